"""The base helpers every layer uses: months, strict JSON, point values and the -1 rule, payload contracts."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from voyager_analysis.assumptions import Figure
from voyager_analysis.errors import InputError
from voyager_analysis.months import MONTH_RE, add_months, month_number, month_str, months_since_start
from voyager_analysis.results import Missing, Results, to_jsonable
from voyager_analysis.values import MAX_MAGNITUDE, ParameterRule, check_parameter, parameter_rules, point_value, resolve


def test_month_numbers_round_trip_and_count_months():
    assert month_number(["2024-12", "2025-01"]).tolist() == [2024 * 12 + 11, 2025 * 12]
    assert month_str(month_number(["2025-11"])[0]) == "2025-11"
    assert add_months("2025-11", 3) == "2026-02" and add_months("2025-01", -1) == "2024-12"
    assert months_since_start(pd.DataFrame({"month": ["2025-11", "2025-12", "2026-02"]})).tolist() == [0, 1, 3]


def test_month_pattern_is_ascii_only():
    assert MONTH_RE.match("2025-01") and not MONTH_RE.match("2025-13")
    assert not MONTH_RE.match("２０２５-01")  # full-width digits


def test_to_jsonable_is_strict_and_keeps_reasons():
    data = {"a": np.float64("nan"), "b": np.int64(3), "c": [np.inf, 1.5], "d": np.array([True, False]),
            "e": Missing("not reached within the horizon"), "f": pd.Timestamp("2025-01-02")}
    out = to_jsonable(data)
    json.dumps(out, allow_nan=False)
    assert out == {"a": None, "b": 3, "c": [None, 1.5], "d": [True, False], "e": None,
                   "e_reason": "not reached within the horizon", "f": "2025-01-02T00:00:00"}


def test_to_jsonable_turns_frames_into_records():
    df = pd.DataFrame({"x": [1.0, math.nan]}, index=pd.Index(["p", "q"], name="k"))
    assert to_jsonable(df) == [{"k": "p", "x": 1.0}, {"k": "q", "x": None}]


def test_results_base_gives_dict_html_and_repr():
    class Toy(Results):
        title = "Toy results"

        def summary(self):
            return pd.DataFrame({"estimate": [np.nan, 2.0]})

        def _payload(self):
            return {"estimate": np.nan, "n": np.int32(2)}

    toy = Toy()
    assert json.dumps(toy.to_dict(), allow_nan=False) == '{"estimate": null, "n": 2}'
    assert "Toy results" in toy._repr_html_() and "<table" in toy._repr_html_()
    assert repr(toy).startswith("Toy results")


def _fig(low, high, distribution="uniform", mode=None):
    return Figure(path="x", low=low, high=high, unit="tokens", source="test", distribution=distribution, mode=mode)


def test_point_value_rule():
    assert point_value(_fig(3, 3)) == 3
    assert point_value(_fig(2, 6)) == 4
    assert point_value(_fig(1000, 9000, "loguniform")) == pytest.approx(3000)
    assert point_value(_fig(1, 9, "triangular", mode=2)) == 2


def test_resolve_order_parameter_then_scenario_then_default():
    over = {"x": _fig(100, 400, "loguniform")}
    assert resolve("x", 5, overrides=over, default=1).origin == "parameter"
    r = resolve("x", -1, overrides=over, scenario="pessimistic", default=1)
    assert (r.value, r.origin) == (pytest.approx(200), "scenario 'pessimistic'")
    r = resolve("y", -1, overrides=over, default=7.5, default_origin="fitted from metrics.csv")
    assert (r.value, r.origin) == (7.5, "fitted from metrics.csv")


@pytest.mark.parametrize("value", [-0.5, -2, math.nan, math.inf, "abc"])
def test_bad_parameters_name_the_parameter(value):
    with pytest.raises(InputError, match="parameter sonnet_share"):
        check_parameter("sonnet_share", value, high=1.0)


def test_out_of_range_share_is_refused():
    with pytest.raises(InputError, match="0 to 1"):
        resolve("sonnet_share", 1.5, high=1.0, default=0.2)
    assert check_parameter("budget_usd", -1) == -1


PARAMETERS_CELL = """users: int = -1  # users; monthly active users; -1 means the latest month
share: float = -1.0  # fraction 0-1 of requests; -1 means the scenario's
level: float = 0.95  # fraction [0.01, 0.999]; interval level
growth: float = 0.0  # fraction per month [-1, 10]; 0 is flat
horizon: int = 24  # months simulated
budget_usd: float = 5.0  # USD/month; a budget
grid: list = [1000, 2000]  # users; the curve's user counts
note: str = "x"  # text; anything
flag: bool = True  # flag
odd = 3
"""


def test_parameter_rules_read_the_comment_grammar():
    rules = parameter_rules(PARAMETERS_CELL)
    assert rules["users"] == ParameterRule("int", 0.0, 1e10, sentinel=True)  # the unit word, and '-1 means'
    assert rules["share"] == ParameterRule("float", 0.0, 1.0, sentinel=True)
    assert rules["level"] == ParameterRule("float", 0.01, 0.999)  # an explicit [lo, hi] wins over the unit
    assert rules["growth"] == ParameterRule("float", -1.0, 10.0)
    assert rules["horizon"] == ParameterRule("int", 0.0, 1200.0)  # '-1' is no sentinel here
    assert rules["budget_usd"].high == 1e12 and rules["odd"] == ParameterRule("", 0.0, MAX_MAGNITUDE)
    assert parameter_rules("a = (") == {}  # not Python: the plan step reports it


@pytest.mark.parametrize("name, value, message", [
    ("users", -5, "users: -5 is out of range; expected 0 to 1e+10 (or -1"),
    ("users", 1e300, "users: 1e+300 is out of range"),
    ("users", 2.5, "users: expected a whole number"),
    ("users", "abc", "users: expected a number"),
    ("share", -0.5, "share: -0.5 is out of range; expected 0 to 1"),
    ("share", math.nan, "share: expected a finite number"),
    ("level", 0, "level: 0 is out of range; expected 0.01 to 0.999"),
    ("growth", -2, "growth: -2 is out of range; expected -1 to 10"),
    ("horizon", -1, "horizon: -1 is out of range"),
    ("grid", [1000, -3], "grid[1]: -3 is out of range"),
    ("budget_usd", True, "budget_usd: expected a number"),
])
def test_declared_rule_refuses_with_the_parameter_named(name, value, message):
    with pytest.raises(InputError, match=re.escape(f"parameter {message}")):
        parameter_rules(PARAMETERS_CELL)[name].check(name, value)


def test_declared_rule_accepts_the_sentinel_only_where_documented_and_ignores_text():
    rules = parameter_rules(PARAMETERS_CELL)
    assert rules["users"].check("users", -1) == -1 and rules["growth"].check("growth", -1) == -1  # in range
    for name, value in [("users", 10_000_000_000), ("share", 1.0), ("level", 0.5), ("grid", [0, 1e10]),
                        ("note", "<anything>"), ("flag", False), ("horizon", 24)]:
        assert rules[name].check(name, value) == value


def test_payload_contract_checks_types_and_missing_keys():
    from voyager_analysis.contracts import ContractError, Payload

    @dataclasses.dataclass
    class P(Payload):
        notebook: ClassVar[str] = "99_test"
        users: float
        label: str
        share: float | None = None

    p = P(users=np.int64(5), label="a")
    assert p.to_json() == {"users": 5, "label": "a", "share": None}
    with pytest.raises(ContractError, match="users"):
        P(users="five", label="a")
    with pytest.raises(ContractError, match="lack label"):
        P.from_json({"users": 1})
    assert P.from_json({"users": 1, "label": "b", "extra": 0}).label == "b"
