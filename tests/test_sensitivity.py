"""Sensitivity methods: Sobol' on functions with known indices, tornado by hand, problems from figures."""

from __future__ import annotations

import numpy as np
import pytest

from voyager_analysis import sensitivity
from voyager_analysis.assumptions import load_figures
from voyager_analysis.errors import InputError

PI = np.pi


def ishigami(X, a=7.0, b=0.1):
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def ishigami_truth(a=7.0, b=0.1):
    """Analytic indices of the Ishigami function on U(-pi, pi)^3 (Sobol' & Levitan 1999)."""
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * PI**8 / 18 - b**2 * PI**8 / 50
    v = v1 + v2 + v13
    return {"S1": [v1 / v, v2 / v, 0.0], "ST": [(v1 + v13) / v, v2 / v, v13 / v]}


ISHIGAMI = sensitivity.problem_from_figures({f"x{i}": (-PI, PI) for i in (1, 2, 3)})


def test_ishigami_truth_is_the_published_one():
    t = ishigami_truth()
    np.testing.assert_allclose(t["S1"], [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(t["ST"], [0.5576, 0.4424, 0.2437], atol=1e-4)


def test_sobol_reproduces_ishigami_indices():
    table = sensitivity.sobol(ishigami, ISHIGAMI, n=4096, seed=7)
    truth = ishigami_truth()
    assert list(table.index) == ["x1", "x2", "x3"]
    np.testing.assert_allclose(table["S1"], truth["S1"], atol=0.03)
    np.testing.assert_allclose(table["ST"], truth["ST"], atol=0.03)
    # the bootstrap intervals are honest: each truth lies within 2 half-widths
    assert np.all(np.abs(table["S1"] - truth["S1"]) <= 2 * table["S1_conf"])
    assert np.all(np.abs(table["ST"] - truth["ST"]) <= 2 * table["ST_conf"])
    assert table.attrs["n_evaluations"] == 4096 * (3 + 2)


def test_sobol_additive_linear_model():
    # y = x1 + 2 x2 on U(0,1)^2: variances 1/12 and 4/12 -> S1 = ST = 0.2, 0.8
    problem = sensitivity.problem_from_figures({"x1": (0, 1), "x2": (0, 1)})
    table = sensitivity.sobol(lambda X: X[:, 0] + 2 * X[:, 1], problem, n=1024, seed=3)
    np.testing.assert_allclose(table["S1"], [0.2, 0.8], atol=0.02)
    np.testing.assert_allclose(table["ST"], [0.2, 0.8], atol=0.02)


def test_sobol_is_byte_identical_for_a_seed_and_differs_across_seeds():
    a = sensitivity.sobol(ishigami, ISHIGAMI, n=512, seed=11)
    b = sensitivity.sobol(ishigami, ISHIGAMI, n=512, seed=11)
    c = sensitivity.sobol(ishigami, ISHIGAMI, n=512, seed=12)
    assert a.to_numpy().tobytes() == b.to_numpy().tobytes()
    assert a.to_numpy().tobytes() != c.to_numpy().tobytes()


def test_sobol_second_order_is_kept_in_attrs():
    table = sensitivity.sobol(ishigami, ISHIGAMI, n=1024, seed=5, calc_second_order=True)
    s2 = table.attrs["S2"]
    # the only interaction of the Ishigami function is x1 x x3: S2_13 = ST3 (x3 acts only through it)
    assert s2.loc["x1", "x3"] == pytest.approx(ishigami_truth()["ST"][2], abs=0.06)
    assert abs(s2.loc["x1", "x2"]) < 0.06
    assert table.attrs["n_evaluations"] == 1024 * (2 * 3 + 2)


def test_to_results_shape():
    res = sensitivity.to_results(sensitivity.sobol(ishigami, ISHIGAMI, n=256, seed=1))
    assert set(res) == {"x1", "x2", "x3"}
    assert all(set(v) == {"S1", "S1_conf", "ST", "ST_conf", "basis"} for v in res.values())
    assert all(isinstance(v[c], float) for v in res.values() for c in sensitivity.SOBOL_COLUMNS)
    assert {v["basis"] for v in res.values()} == {"assumed"}  # nothing measured was named


class _Fig:
    def __init__(self, source, rationale=""):
        self.source, self.rationale = source, rationale


class _Scenario:
    """Duck-typed stand-in for scenarios.Scenario: x2 measured, x3 overridden by an assumption."""
    overrides = {"x2": _Fig("sBG fit; events data/events/example; measured 2026-01-01"),
                 "x3": _Fig("", rationale="our guess")}

    def is_measured(self, name):
        return name in self.overrides and bool(self.overrides[name].source) and not self.overrides[name].rationale


def test_inputs_are_marked_measured_with_their_source_or_assumed():
    measured = sensitivity.measured_inputs(_Scenario(), ["x1", "x2", "x3"])
    assert measured == {"x2": "sBG fit; events data/events/example; measured 2026-01-01"}
    assert sensitivity.measured_inputs(None, ["x1"]) == {}
    res = sensitivity.to_results(sensitivity.sobol(ishigami, ISHIGAMI, n=64, seed=1), measured)
    assert res["x2"]["basis"] == "measured" and res["x2"]["source"].startswith("sBG fit")
    assert res["x1"]["basis"] == res["x3"]["basis"] == "assumed" and "source" not in res["x1"]
    sens = sensitivity.analyze(ishigami, ISHIGAMI, {"x1": 0.0, "x2": 0.0, "x3": 0.0}, output_label="y", n=64,
                               seed=1, measured={**measured, "not_an_input": "x"})
    assert sens.measured == measured  # names outside the problem are dropped
    table = sens.summary()
    assert table.loc["x2", "basis"] == "measured" and table.loc["x1", "basis"] == "assumed"
    assert table.loc["x1", "source"] == "" and "events data/events/example" in table.loc["x2", "source"]
    text = sens.basis_markdown()
    assert "**Measured** from data: x2" in text and "**Assumed**: " in text and "x1" in text.split("**Assumed**")[1]
    assert "data/events/example" in text


def test_sobol_rejects_bad_n_constant_and_non_finite_models():
    with pytest.raises(InputError, match="power of 2"):
        sensitivity.sobol(ishigami, ISHIGAMI, n=1000)
    with pytest.raises(InputError, match="does not vary"):
        sensitivity.sobol(lambda X: np.ones(len(X)), ISHIGAMI, n=64)
    with pytest.raises(InputError, match="not finite at x1="):
        sensitivity.sobol(lambda X: np.where(X[:, 0] > 0, X[:, 0], np.nan), ISHIGAMI, n=64)


def test_tornado_on_a_linear_function_by_hand():
    # y = 2a - 3b + 0.5c; ranges a 0-10, b 1-2, c -4-4; base a=5, b=1.5, c=0 -> y = 10 - 4.5 + 0 = 5.5
    problem = sensitivity.problem_from_figures({"a": (0, 10), "b": (1, 2), "c": (-4, 4)})
    f = lambda X: 2 * X[:, 0] - 3 * X[:, 1] + 0.5 * X[:, 2]  # noqa: E731
    t = sensitivity.tornado(f, problem, {"a": 5, "b": 1.5, "c": 0})
    assert list(t.input) == ["a", "c", "b"]  # swings 2 x 10 = 20, 0.5 x 8 = 4, 3 x 1 = 3
    t = t.set_index("input")
    assert t.loc["a", "output_at_low"] == pytest.approx(0 - 4.5)  # a = 0
    assert t.loc["a", "output_at_high"] == pytest.approx(20 - 4.5)  # a = 10
    assert t.loc["b", "output_at_low"] == pytest.approx(10 - 3)  # b = 1
    assert t.loc["b", "output_at_high"] == pytest.approx(10 - 6)  # b = 2
    assert t.loc["c", "output_at_low"] == pytest.approx(5.5 - 2)
    np.testing.assert_allclose(t.swing, [20, 4, 3])
    assert (t.base_output == 5.5).all()
    # a base given as a sequence in problem order gives the same table
    t2 = sensitivity.tornado(f, problem, [5, 1.5, 0]).set_index("input")
    assert t2.equals(t)


def test_tornado_base_must_name_every_input():
    problem = sensitivity.problem_from_figures({"a": (0, 1), "b": (0, 1)})
    with pytest.raises(InputError, match="missing.*b"):
        sensitivity.tornado(lambda X: X.sum(1), problem, {"a": 0.5})
    with pytest.raises(InputError, match="unknown tornado input 'bb'"):
        sensitivity.tornado(lambda X: X.sum(1), problem, {"a": 0.5, "b": 0.5, "bb": 1})


def test_problem_from_figures_maps_distributions(tmp_path):
    path = tmp_path / "ranges.yaml"
    path.write_text(
        "flat: {low: 1, high: 3, unit: ratio, rationale: test}\n"
        + "peaked: {low: 0, high: 10, unit: count, rationale: test, distribution: triangular, mode: 2.5}\n"
        + "wide: {low: 1, high: 100, unit: hours, rationale: test, distribution: loguniform}\n"
        + "point: {low: 4, high: 4, unit: hours, rationale: test}\n"
    )
    figs = load_figures(path)
    problem = sensitivity.problem_from_figures({k: figs[k] for k in ("flat", "peaked", "wide")})
    assert problem["names"] == ["flat", "peaked", "wide"]
    assert problem["dists"] == ["unif", "triang", "logunif"]
    assert problem["bounds"] == [[1.0, 3.0], [0.0, 10.0, 0.25], [1.0, 100.0]]
    np.testing.assert_allclose(sensitivity.ranges(problem), [[1, 3], [0, 10], [1, 100]])
    with pytest.raises(InputError, match="'point'.*low < high"):
        sensitivity.problem_from_figures({"point": figs["point"]})
    # a triangular input's samples follow its mode: median of triang(0, 10, c=0.25) = 10 - sqrt(0.5 x 10 x 7.5)
    from SALib.sample import sobol as sobol_sample

    X = sobol_sample.sample(problem, 1024, calc_second_order=False, seed=1)
    assert np.median(X[:, 1]) == pytest.approx(10 - np.sqrt(0.5 * 10 * 7.5), abs=0.15)
    assert X[:, 2].min() >= 1 and X[:, 2].max() <= 100


def test_kwargs_model_maps_columns_to_keywords():
    model = sensitivity.kwargs_model(lambda a, b, c: a * 10 + b - c, ["b", "a"], c=1.0)
    np.testing.assert_allclose(model(np.array([[1.0, 2.0], [3.0, 4.0]])), [1 + 20 - 1, 3 + 40 - 1])
    with pytest.raises(InputError, match="both ranged and fixed"):
        sensitivity.kwargs_model(lambda a: a, ["a"], a=1)


def test_relative_ranges_keep_the_measured_relative_width():
    intervals = {"m": (40.0, 36.0, 44.0), "s": (0.5, 0.4, 0.6), "z": (2.0, 1.0, 3.0)}
    out = sensitivity.relative_ranges({"m": 80.0, "s": 0.9, "z": 0.0}, intervals, shares=["s"])
    assert out["m"] == pytest.approx((72.0, 88.0))  # 80 x (0.9, 1.1)
    assert out["s"] == pytest.approx((0.72, 1.0))  # 0.9 x (0.8, 1.2) = (0.72, 1.08), clipped to 1
    assert "z" not in out  # a base of 0 has no range
    with pytest.raises(InputError, match="unknown measured input"):
        sensitivity.relative_ranges({"q": 1.0}, intervals)


def test_analyze_on_a_linear_model_by_hand():
    """y = a + 2b, a ~ U(0, 1), b ~ U(1, 2): Var(a) = 1/12 and Var(2b) = 4/12, so S1 = ST = 0.2 and 0.8; one at a
    time around (0.5, 1.5) a swings y by 1 and b by 2."""
    import json

    problem = sensitivity.problem_from_figures({"a": (0.0, 1.0), "b": (1.0, 2.0)})
    res = sensitivity.analyze(lambda X: X[:, 0] + 2 * X[:, 1], problem, {"a": 0.5, "b": 1.5, "unused": 9.0},
                              output_label="y (units)", n=2048, seed=4)
    assert res.tornado.set_index("input")["swing"].to_dict() == pytest.approx({"a": 1.0, "b": 2.0})
    assert res.top_inputs() == ["b", "a"]
    d = res.to_dict()
    assert d["a"]["S1"] == pytest.approx(0.2, abs=0.03) and d["b"]["ST"] == pytest.approx(0.8, abs=0.03)
    json.dumps(d, allow_nan=False)
    assert res.verdict_markdown().startswith("The y is most sensitive to **b**")
