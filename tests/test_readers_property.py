"""Property-based: whatever bytes or YAML/CSV text a file holds, the readers either load it or raise the one-line
``InputError`` — never another exception (issue 18). Hypothesis generates the inputs; a fixed seed keeps CI
repeatable (derandomize)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voyager_analysis.errors import InputError

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _load(tmp_path, name: str, data: bytes, loader):
    p = tmp_path / name
    p.write_bytes(data)
    try:
        loader(p)
    except InputError as exc:
        msg = str(exc)
        assert "\n" not in msg and 0 < len(msg) <= 400


def _metrics(p):
    from voyager_analysis.metrics import load_metrics

    load_metrics(p)


def _figures(p):
    from voyager_analysis.assumptions import load_figures

    load_figures(p)


def _roadmap(p):
    from voyager_analysis.assumptions import load_roadmap

    load_roadmap(p)


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes_as_metrics(tmp_path, data):
    _load(tmp_path, "m.csv", data, _metrics)


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes_as_yaml(tmp_path, data):
    _load(tmp_path, "f.yaml", data, _figures)


CELL = st.one_of(st.sampled_from(["", "2025-01", "2025-13", "1e308", "-1", "nan", "inf", "0x10", "1_000", "９", "\"",
                                  "users", "#"]),
                 st.integers(-10**6, 10**400).map(str), st.floats(allow_nan=True).map(str), st.text(max_size=8))
HEADER = st.lists(st.sampled_from(["month", "users", "new_users", "messages", "sonnet_share", "storage_gb",
                                   "cost_claude_usd", "cost_x_usd", "bogus", ""]), min_size=1, max_size=6)


@SETTINGS
@given(HEADER, st.lists(st.lists(CELL, min_size=0, max_size=7), max_size=6))
def test_random_csv_as_metrics(tmp_path, header, rows):
    text = "\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n"
    _load(tmp_path, "m.csv", text.encode("utf-8", "surrogatepass"), _metrics)


YAML_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**5, 10**400), st.floats(),
                        st.text(max_size=10), st.sampled_from(["usd_per_month", "fraction", "users", "approx"]))
NUMBER = st.one_of(st.integers(-10, 10**400), st.floats(), st.text(max_size=5))
FIGURE = st.fixed_dictionaries(
    {"low": NUMBER, "high": NUMBER,
     "unit": st.one_of(st.sampled_from(["usd_per_month", "fraction", "users"]), YAML_SCALAR, st.lists(YAML_SCALAR, max_size=2)),
     "section": st.one_of(st.text(min_size=1, max_size=5), YAML_SCALAR)},
    optional={"mode": NUMBER, "distribution": st.sampled_from(["uniform", "triangular", "loguniform", "x"]),
              "qualifier": st.one_of(st.sampled_from(["approx", "at_least"]), YAML_SCALAR)})
YAML_VALUE = st.recursive(st.one_of(YAML_SCALAR, FIGURE), lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["low", "high", "unit", "section", "mode", "distribution", "qualifier", "x"]),
                    inner, max_size=5)), max_leaves=12)


@SETTINGS
@given(st.dictionaries(st.sampled_from(["meta", "phases", "milestones", "thresholds", "a", "b"]), YAML_VALUE,
                       max_size=4))
def test_random_yaml_trees(tmp_path, tree):
    import yaml

    try:
        text = yaml.safe_dump(tree, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        pytest.skip("not representable as YAML")
    _load(tmp_path, "f.yaml", text.encode("utf-8", "surrogatepass"), _figures)
    _load(tmp_path, "r.yaml", text.encode("utf-8", "surrogatepass"), _roadmap)


@SETTINGS
@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), FIGURE, min_size=1, max_size=3))
def test_random_figures(tmp_path, tree):
    import yaml

    _load(tmp_path, "f.yaml", yaml.safe_dump(tree, allow_unicode=True).encode("utf-8", "surrogatepass"), _figures)
