"""The base helpers every layer uses: months, strict JSON, point values and the -1 rule, payload contracts."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from voyager_analysis.assumptions import Figure
from voyager_analysis.errors import InputError
from voyager_analysis.months import MONTH_RE, add_months, month_number, month_str, months_since_start
from voyager_analysis.results import Missing, Results, to_jsonable
from voyager_analysis.values import check_parameter, point_value, resolve


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
