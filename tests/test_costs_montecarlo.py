"""The Monte Carlo: the one sampling scheme (recovery of each distribution, independent streams), determinism,
loop == vectorised on the same draws, chunking, and the simulation's results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voyager_analysis import costs, montecarlo
from voyager_analysis.assumptions import Figure
from voyager_analysis.errors import InputError


# --- sampling -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dist,mode,mean", [
    ("uniform", None, lambda a, b, c: (a + b) / 2),
    ("triangular", 3.0, lambda a, b, c: (a + b + c) / 3),
    ("loguniform", None, lambda a, b, c: (b - a) / math.log(b / a)),
])
def test_sampling_recovers_each_distribution(dist, mode, mean):
    fig = Figure(path="x", low=2.0, high=10.0, unit="count", rationale="t", distribution=dist, mode=mode)
    draws = montecarlo.sample_figures({"x": fig}, 200_000, seed=3)["x"]
    assert draws.min() >= 2.0 and draws.max() <= 10.0
    se = draws.std() / math.sqrt(draws.size)
    assert abs(draws.mean() - mean(2.0, 10.0, mode)) < 4 * se
    if dist == "triangular":  # the mode is the densest bin
        hist, edges = np.histogram(draws, bins=16, range=(2, 10))
        assert edges[np.argmax(hist)] <= 3.0 < edges[np.argmax(hist) + 1]


def test_each_input_has_its_own_seeded_stream(base_inputs):
    values = montecarlo.sample_figures(base_inputs, 1000, seed=11)
    assert np.all(values["neon_storage"] == base_inputs["neon_storage"].value)  # a point repeats its value
    ranged = [k for k, f in base_inputs.items() if not f.is_point]
    for name in ranged[:3]:
        expected = montecarlo.from_unit(montecarlo.stream(11, name).random(1000), base_inputs[name])
        np.testing.assert_array_equal(values[name], expected)
    # adding, dropping or reordering inputs does not change anyone else's draws
    subset = {k: base_inputs[k] for k in reversed(ranged[1:4])}
    again = montecarlo.sample_figures(subset, 1000, seed=11)
    for k in subset:
        np.testing.assert_array_equal(again[k], values[k])
    assert not np.array_equal(values[ranged[0]], montecarlo.sample_figures(base_inputs, 1000, seed=12)[ranged[0]])


def test_fewer_draws_are_a_prefix_and_chunks_equal_one_pass(base_inputs):
    full = montecarlo.sample_figures(base_inputs, 5000, seed=2)
    short = montecarlo.sample_figures(base_inputs, 1234, seed=2)
    gens = montecarlo.streams(base_inputs, 2)
    first, second = montecarlo.draw(base_inputs, gens, 1234), montecarlo.draw(base_inputs, gens, 777)
    for k, v in full.items():
        if not base_inputs[k].is_point:
            np.testing.assert_array_equal(v[:1234], short[k])
            np.testing.assert_array_equal(v[1234:2011], second[k])
            np.testing.assert_array_equal(v[:1234], first[k])


def test_triangular_inverse_cdf_equals_numpys_triangular():
    from voyager_analysis.assumptions import Figure

    fig = Figure(path="x", low=1.0, high=7.0, unit="count", rationale="t", distribution="triangular", mode=2.0)
    u = np.random.default_rng(5).random(1000)
    np.testing.assert_allclose(montecarlo.from_unit(u.copy(), fig),
                               np.random.default_rng(5).triangular(1.0, 2.0, 7.0, 1000), rtol=1e-12)


def test_fast_percentiles_equal_numpy():
    rng = np.random.default_rng(0)
    for x in (rng.random(300_001), rng.lognormal(0, 2, 400_000), np.round(rng.normal(size=250_000), 1),
              np.sort(rng.random(300_000))[::-1].copy(), np.full(300_000, 2.5)):
        np.testing.assert_allclose(montecarlo.percentiles(x), np.percentile(x, [5, 50, 95]), rtol=1e-14, atol=0)


# --- simulation ----------------------------------------------------------------------------------------------

def test_same_seed_gives_identical_numbers_and_another_seed_does_not(project):
    a = montecarlo.simulate(40_000, project, draws=3000, seed=5)
    b = montecarlo.simulate(40_000, project, draws=3000, seed=5)
    c = montecarlo.simulate(40_000, project, draws=3000, seed=6)
    np.testing.assert_array_equal(a.components, b.components)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict()["cost_usd"] != c.to_dict()["cost_usd"]


@pytest.mark.parametrize("users", [0, 1_000, 25_000, 80_000, 150_000])
@pytest.mark.parametrize("scenario", [None, "pessimistic"])
def test_percentiles_are_ordered(users, scenario, project):
    res = montecarlo.simulate(users, project, draws=4000, seed=1, scenario=scenario)
    s = res.summary().dropna()
    assert len(s) >= len(res.component_names)
    assert (s["p5"] <= s["p50"]).all() and (s["p50"] <= s["p95"]).all()


@pytest.mark.parametrize("users", [500, 12_000, 25_000, 60_000, 90_000])
@pytest.mark.parametrize("scenario", [None, "pessimistic", "optimistic"])
def test_loop_and_vectorised_agree_on_the_same_draws(users, scenario, project):
    vec = montecarlo.simulate(users, project, draws=1500, seed=3, scenario=scenario, include_ops_hire=True)
    loop = montecarlo.simulate_loop(users, project, draws=1500, seed=3, scenario=scenario, include_ops_hire=True)
    assert vec.component_names == loop.component_names
    np.testing.assert_allclose(vec.components, loop.components, rtol=1e-12, atol=1e-9)
    for k in costs.OUTPUTS:
        np.testing.assert_allclose(vec.outputs[k], loop.outputs[k], rtol=1e-12, atol=1e-9, equal_nan=True)


def test_chunked_simulation_matches_one_pass(project, monkeypatch, base_inputs):
    whole = montecarlo.simulate(30_000, project, draws=5000, seed=4)
    monkeypatch.setattr(montecarlo, "CHUNK", 999)
    chunked = montecarlo.simulate(30_000, project, draws=5000, seed=4)
    np.testing.assert_array_equal(whole.components, chunked.components)
    values = montecarlo.sample_figures(base_inputs, 5000, seed=4)
    np.testing.assert_allclose(whole.column("claude"), costs.evaluate(30_000.0, values)["components"]["claude"])


def test_to_dict_has_exactly_the_cli_keys(project):
    d = montecarlo.simulate(10_000, project, draws=1000, seed=1).to_dict()
    assert list(d) == ["users", "draws", "seed", "cost_usd", "gross_revenue_usd", "net_revenue_usd", "margin_pct",
                       "components"]
    assert d["users"] == 10_000 and d["draws"] == 1000 and d["seed"] == 1
    for block in [d["cost_usd"], *d["components"].values()]:
        assert list(block) == ["mean", "p5", "p50", "p95"]
    assert set(d["components"]) == set(costs.component_names(False))
    # cost = sum of components in every draw, so the means add up
    assert d["cost_usd"]["mean"] == pytest.approx(sum(c["mean"] for c in d["components"].values()))


def test_cost_margin_and_revenue_are_consistent_per_draw(project):
    res = montecarlo.simulate(20_000, project, draws=2000, seed=2)
    frame = res.draws_frame()
    assert len(frame) == 2000
    assert set(res.ranged_inputs) <= set(frame.columns) and set(costs.OUTPUTS) <= set(frame.columns)
    np.testing.assert_allclose(frame[list(res.component_names)].sum(axis=1), frame["cost_usd"])
    np.testing.assert_allclose(frame["margin_pct"], 100 * (frame["gross_revenue_usd"] - frame["cost_usd"])
                               / frame["gross_revenue_usd"])
    np.testing.assert_allclose(frame["cost_usd"] - frame["stripe"], frame["infra_cost_usd"])
    # the draws frame's inputs are the draws the simulation used
    np.testing.assert_array_equal(frame["messages_per_user_month"], res.values["messages_per_user_month"])


def test_zero_users_has_no_revenue_and_an_undefined_margin(project):
    d = montecarlo.simulate(0, project, draws=200, seed=1).to_dict()
    assert d["gross_revenue_usd"]["p50"] == 0
    assert d["margin_pct"] == {"mean": None, "p5": None, "p50": None, "p95": None}
    assert d["cost_usd"]["p5"] > 0  # plans and the database floor cost money at zero users


def test_ops_hire_is_off_by_default_and_adds_its_cost_when_on(project, roadmap):
    off = montecarlo.simulate(100_000, project, draws=1000, seed=1)
    on = montecarlo.simulate(100_000, project, draws=1000, seed=1, include_ops_hire=True)
    assert "ops_hire" not in off.component_names
    hire = on.column("ops_hire")
    np.testing.assert_allclose(on.outputs["cost_usd"] - off.outputs["cost_usd"], hire)
    assert hire.max() > 0 and hire.min() >= 0  # hired in the draws whose threshold lies below 100K


@pytest.mark.parametrize("bad", [dict(users=-1), dict(users=float("nan")), dict(draws=0), dict(draws=2.5),
                                 dict(seed=-3)])
def test_bad_arguments_are_input_errors(bad, project):
    kw = dict(users=1000, draws=10, seed=1) | bad
    with pytest.raises(InputError):
        montecarlo.simulate(kw.pop("users"), project, **kw)


def test_curve_rows_equal_single_simulations(project):
    result = montecarlo.simulate_curve([2_000, 40_000], project, draws=2000, seed=8)
    curve = result.frame
    single = montecarlo.simulate(40_000, project, draws=2000, seed=8).summary()
    got = curve[(curve["users"] == 40_000) & (curve["output"] == "cost_usd")].iloc[0]
    assert got["p50"] == single.at["cost_usd", "p50"]
    per_user = curve[(curve["users"] == 40_000) & (curve["output"] == "cost_per_user_usd")].iloc[0]
    assert per_user["p95"] == pytest.approx(single.at["cost_usd", "p95"] / 40_000)
    assert set(curve["kind"]) == {"total", "component"}
    assert (curve["p5"] <= curve["p95"]).all()
    assert result.summary().at[40_000, "cost_usd"] == single.at["cost_usd", "p50"]
    assert result.to_dict()["cost_usd_p50"]["40000"] == single.at["cost_usd", "p50"]


