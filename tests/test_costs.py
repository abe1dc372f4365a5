"""The bottom-up cost model: hand-checked components, sampling, determinism, loop == vectorised, calibration."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voyager_analysis import costs
from voyager_analysis.assumptions import Figure
from voyager_analysis.errors import InputError


@pytest.fixture(scope="module")
def base_inputs(roadmap, prices):
    return costs.model_inputs(roadmap=roadmap, prices=prices)


@pytest.fixture(scope="module")
def run(roadmap, prices):
    return dict(roadmap=roadmap, prices=prices)


# --- each component by hand ----------------------------------------------------------------------------------

def test_vercel_by_hand():
    # invocations = 10,000 users x (30 msgs x 4 + 200) = 3.2M; 2.2M beyond the 1M included at $0.60/M = 1.32
    # other usage 10,000 x 0.005 = 50, minus 20 included = 30; seats 2 x 20 = 40
    cost = costs.vercel_cost_usd(10_000, vercel_seats=2, vercel_pro_seat=20, messages_per_user_month=30,
                                 invocations_per_message=4, invocations_per_user_month=200,
                                 vercel_included_invocations=1_000_000, vercel_function_invocations=0.60,
                                 vercel_usage_usd_per_user_month=0.005, vercel_included_usage_usd_per_month=20)
    assert cost == pytest.approx(40 + 1.32 + 30)
    # a small app stays inside both included quotas: the seat only
    small = costs.vercel_cost_usd(100, 1, 20, 30, 4, 200, 1_000_000, 0.60, 0.005, 20)
    assert small == pytest.approx(20)


def test_neon_by_hand():
    kw = dict(neon_min_cu=0.25, neon_cu_per_1k_users=0.1, read_replica_cu=0.5, first_replica_users=20_000,
              read_replicas_initial=1, more_replicas_users=75_000, read_replicas_total=4, neon_scale_plan_users=5_000,
              neon_compute_launch=0.14, neon_compute_scale=0.26, storage_gb_per_user=0.01, archived_storage_share=0.4,
              archival_start_users=10_000, neon_storage=0.35)
    # 25K users: primary 0.1 x 25 = 2.5 CU + 1 replica x 0.5 = 3.0 CU x 730 h x 0.26 (Scale) = 569.4
    # storage 25,000 x 0.01 = 250 GB, 40% archived -> 150 GB hot x 0.35 = 52.5
    assert costs.neon_cost_usd(25_000, **kw) == pytest.approx(3.0 * 730 * 0.26 + 150 * 0.35)
    # 1K users: the 0.25 CU floor at the Launch price, 10 GB all hot: 0.25 x 730 x 0.14 + 10 x 0.35
    assert costs.neon_cost_usd(1_000, **kw) == pytest.approx(0.25 * 730 * 0.14 + 10 * 0.35)
    # 80K users: 8 CU + 4 replicas x 0.5 = 10 CU; 800 GB x 0.6 hot = 480 GB
    assert costs.neon_cost_usd(80_000, **kw) == pytest.approx(10 * 730 * 0.26 + 480 * 0.35)


def test_read_replicas_step_at_the_thresholds():
    users = np.array([19_999, 20_000, 74_999, 75_000])
    assert costs.read_replicas(users, 20_000, 1, 75_000, 4).tolist() == [0, 1, 1, 4]


def test_upstash_inngest_monitoring_by_hand():
    # 10,000 users x 2,000 commands = 20M commands x $0.20 per 100K = 40
    assert costs.upstash_cost_usd(10_000, 2_000, 5_000, 0.20) == pytest.approx(40)
    assert costs.upstash_cost_usd(4_999, 2_000, 5_000, 0.20) == 0
    # 20 + 30,000 x 0.004 = 140
    assert costs.inngest_cost_usd(30_000, 20, 0.004, 10_000) == pytest.approx(140)
    assert costs.inngest_cost_usd(9_999, 20, 0.004, 10_000) == 0
    # 30 + 20,000 x 0.003 = 90
    assert costs.monitoring_cost_usd(20_000, 30, 0.003, 10_000) == pytest.approx(90)


def test_s3_and_search_by_hand():
    # 20,000 x 0.01 GB x 0.5 archived = 100 GB x 0.023 = 2.3; 20,000 x 5 conversations = 100K PUTs x 0.005/1000 = 0.5
    assert costs.s3_cost_usd(20_000, 0.01, 0.5, 10_000, 5, 0.023, 0.005) == pytest.approx(2.3 + 0.5)
    assert costs.s3_cost_usd(9_000, 0.01, 0.5, 10_000, 5, 0.023, 0.005) == 0
    # 60,000 users x 10 searches = 600K requests x $0.50 per 1,000 = 300; Postgres search (free) below 50K
    assert costs.search_cost_usd(60_000, 10, 50_000, 0.50) == pytest.approx(300)
    assert costs.search_cost_usd(49_999, 10, 50_000, 0.50) == 0


def test_claude_by_hand():
    kw = dict(haiku_input_usd_per_mtok=1.0, haiku_output_usd_per_mtok=5.0, haiku_cache_read_multiplier=0.1,
              sonnet_input_usd_per_mtok=3.0, sonnet_output_usd_per_mtok=15.0, sonnet_cache_read_multiplier=0.1)
    # 1,000 users x 10 messages = 10,000 requests; Haiku (1000 x 1 + 500 x 5)/1e6 = 0.0035,
    # Sonnet (1000 x 3 + 500 x 15)/1e6 = 0.0105; half each -> 0.007 per request -> 70
    assert costs.claude_cost_usd(1_000, 10, 1_000, 500, 0.5, 0.0, 0.0, **kw) == pytest.approx(70)
    # half the input from cache at 0.1x: Haiku input 1000 x (0.5 + 0.05) = 550 -> (550 + 2500)/1e6 = 0.00305;
    # Sonnet (1650 + 7500)/1e6 = 0.00915; mix 0.0061 -> 61; a 10% discount -> 54.9
    assert costs.claude_cost_usd(1_000, 10, 1_000, 500, 0.5, 0.5, 0.0, **kw) == pytest.approx(61)
    assert costs.claude_cost_usd(1_000, 10, 1_000, 500, 0.5, 0.5, 0.1, **kw) == pytest.approx(54.9)


def test_claude_agrees_with_the_routing_module(prices):
    from voyager_analysis import routing

    haiku = prices.model(prices.default_model("haiku"))
    sonnet = prices.model(prices.default_model("sonnet"))
    rng = np.random.default_rng(1)
    users, msgs, tin, tout = 20_000, rng.uniform(10, 80, 50), rng.uniform(500, 5000, 50), rng.uniform(100, 800, 50)
    share, cache = rng.random(50), rng.uniform(0, 0.6, 50)
    ours = costs.claude_cost_usd(users, msgs, tin, tout, share, cache, 0.0, haiku.input_usd_per_mtok,
                                 haiku.output_usd_per_mtok, haiku.cache_read_multiplier, sonnet.input_usd_per_mtok,
                                 sonnet.output_usd_per_mtok, sonnet.cache_read_multiplier)
    theirs = routing.monthly_cost_usd(users, msgs, tin, tout, share, prices=prices, cache_hit_rate=cache)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_stripe_and_ops_hire_by_hand():
    # 1,000 users: 100 Pro x 10 + 10 Max x 50 = 1,500 gross; fees 2.9% x 1,500 + 0.30 x 110 charges = 43.5 + 33
    assert costs.stripe_cost_usd(1_000, 0.1, 10, 0.01, 50, 0.029, 0.30) == pytest.approx(76.5)
    assert costs.ops_hire_cost_usd(80_000, 15_000, 75_000) == 15_000
    assert costs.ops_hire_cost_usd(50_000, 15_000, 75_000) == 0


def test_component_functions_broadcast_over_draws(base_inputs):
    values = costs.sample_inputs(base_inputs, 500, seed=1)
    out = costs.evaluate(30_000, values)
    for name, arr in out["components"].items():
        assert np.shape(np.broadcast_to(arr, (500,))) == (500,), name
    assert np.all(np.asarray(out["cost_usd"]) > 0)


# --- inputs and sampling ------------------------------------------------------------------------------------

def test_every_input_has_a_source_and_every_component_input_exists(base_inputs):
    for name, fig in base_inputs.items():
        assert fig.origin, name
    used = {a for args in costs.COMPONENT_ARGS.values() for a in args}
    assert used <= set(base_inputs)
    assert "as_of" in base_inputs["neon_storage"].source
    # thresholds are the roadmap's, never retyped: the Neon plan switch is the low end of phase 1's users
    assert base_inputs["neon_scale_plan_users"].low == base_inputs["upstash_start_users"].low


def test_thresholds_and_revenue_come_from_the_roadmap(base_inputs, roadmap):
    assert base_inputs["neon_scale_plan_users"].value == roadmap.get("phases.phase_1.users").low
    assert (base_inputs["first_replica_users"].low, base_inputs["first_replica_users"].high) == (
        roadmap.get("thresholds.read_replica_likely_users").low, roadmap.get("thresholds.read_replica_likely_users").high)
    assert base_inputs["pro_price_usd"].value == roadmap.get("revenue_assumptions.pro_price").value


@pytest.mark.parametrize("dist,mode,mean", [
    ("uniform", None, lambda a, b, c: (a + b) / 2),
    ("triangular", 3.0, lambda a, b, c: (a + b + c) / 3),
    ("loguniform", None, lambda a, b, c: (b - a) / math.log(b / a)),
])
def test_sampling_recovers_each_distribution(dist, mode, mean):
    fig = Figure(path="x", low=2.0, high=10.0, unit="count", rationale="t", distribution=dist, mode=mode)
    draws = costs.sample_inputs({"x": fig}, 200_000, seed=3)["x"]
    assert draws.min() >= 2.0 and draws.max() <= 10.0
    se = draws.std() / math.sqrt(draws.size)
    assert abs(draws.mean() - mean(2.0, 10.0, mode)) < 4 * se
    if dist == "triangular":  # the mode is the densest bin
        hist, edges = np.histogram(draws, bins=16, range=(2, 10))
        assert edges[np.argmax(hist)] <= 3.0 < edges[np.argmax(hist) + 1]


def test_points_are_constants_and_ranges_use_one_seeded_generator(base_inputs):
    values = costs.sample_inputs(base_inputs, 1000, seed=11)
    assert isinstance(values["neon_storage"], float)
    first = next(k for k, f in base_inputs.items() if not f.is_point)
    expected = costs.from_unit(np.random.default_rng(11).random(1000), base_inputs[first])
    np.testing.assert_array_equal(values[first], expected)


def test_a_chunk_of_draws_equals_the_slice_of_all_draws(base_inputs):
    full = costs.sample_inputs(base_inputs, 5000, seed=2)
    part = costs.sample_inputs(base_inputs, 5000, seed=2, start=1234, size=777)
    for k, v in full.items():
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(v[1234:2011], part[k])


def test_fast_percentiles_equal_numpy():
    rng = np.random.default_rng(0)
    for x in (rng.random(300_001), rng.lognormal(0, 2, 400_000), np.round(rng.normal(size=250_000), 1),
              np.sort(rng.random(300_000))[::-1].copy(), np.full(300_000, 2.5)):
        np.testing.assert_allclose(costs.percentiles(x), np.percentile(x, [5, 50, 95]), rtol=1e-14, atol=0)


# --- simulation ----------------------------------------------------------------------------------------------

def test_same_seed_gives_identical_numbers_and_another_seed_does_not(run):
    a = costs.simulate(40_000, draws=3000, seed=5, **run)
    b = costs.simulate(40_000, draws=3000, seed=5, **run)
    c = costs.simulate(40_000, draws=3000, seed=6, **run)
    np.testing.assert_array_equal(a.components, b.components)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict()["cost_usd"] != c.to_dict()["cost_usd"]


@pytest.mark.parametrize("users", [0, 1_000, 25_000, 80_000, 150_000])
@pytest.mark.parametrize("scenario", [None, "pessimistic"])
def test_percentiles_are_ordered(users, scenario, run):
    res = costs.simulate(users, draws=4000, seed=1, scenario=scenario, **run)
    s = res.summary().dropna()
    assert len(s) >= len(res.component_names)
    assert (s["p5"] <= s["p50"]).all() and (s["p50"] <= s["p95"]).all()


@pytest.mark.parametrize("users", [500, 12_000, 25_000, 60_000, 90_000])
@pytest.mark.parametrize("scenario", [None, "pessimistic", "optimistic"])
def test_loop_and_vectorised_agree_on_the_same_draws(users, scenario, run):
    vec = costs.simulate(users, draws=1500, seed=3, scenario=scenario, include_ops_hire=True, **run)
    loop = costs.simulate_loop(users, draws=1500, seed=3, scenario=scenario, include_ops_hire=True, **run)
    assert vec.component_names == loop.component_names
    np.testing.assert_allclose(vec.components, loop.components, rtol=1e-12, atol=1e-9)
    for k in costs.OUTPUTS:
        np.testing.assert_allclose(vec.outputs[k], loop.outputs[k], rtol=1e-12, atol=1e-9, equal_nan=True)


def test_chunked_simulation_matches_one_pass(run, monkeypatch, base_inputs):
    whole = costs.simulate(30_000, draws=5000, seed=4, **run)
    monkeypatch.setattr(costs, "CHUNK", 999)
    chunked = costs.simulate(30_000, draws=5000, seed=4, **run)
    np.testing.assert_array_equal(whole.components, chunked.components)
    values = costs.sample_inputs(base_inputs, 5000, seed=4)
    np.testing.assert_allclose(whole.column("claude"), costs.evaluate(30_000.0, values)["components"]["claude"])


def test_to_dict_has_exactly_the_cli_keys(run):
    d = costs.simulate(10_000, draws=1000, seed=1, **run).to_dict()
    assert list(d) == ["users", "draws", "seed", "cost_usd", "gross_revenue_usd", "net_revenue_usd", "margin_pct",
                       "components"]
    assert d["users"] == 10_000 and d["draws"] == 1000 and d["seed"] == 1
    for block in [d["cost_usd"], *d["components"].values()]:
        assert list(block) == ["mean", "p5", "p50", "p95"]
    assert set(d["components"]) == set(costs.component_names(False))
    # cost = sum of components in every draw, so the means add up
    assert d["cost_usd"]["mean"] == pytest.approx(sum(c["mean"] for c in d["components"].values()))


def test_cost_margin_and_revenue_are_consistent_per_draw(run):
    res = costs.simulate(20_000, draws=2000, seed=2, **run)
    frame = res.draws_frame()
    assert len(frame) == 2000
    assert set(res.ranged_inputs) <= set(frame.columns) and set(costs.OUTPUTS) <= set(frame.columns)
    np.testing.assert_allclose(frame[list(res.component_names)].sum(axis=1), frame["cost_usd"])
    np.testing.assert_allclose(frame["margin_pct"], 100 * (frame["gross_revenue_usd"] - frame["cost_usd"])
                               / frame["gross_revenue_usd"])
    np.testing.assert_allclose(frame["cost_usd"] - frame["stripe"], frame["infra_cost_usd"])
    # the draws frame's inputs are the draws the simulation used
    np.testing.assert_array_equal(frame["messages_per_user_month"], res.values["messages_per_user_month"])


def test_zero_users_has_no_revenue_and_an_undefined_margin(run):
    d = costs.simulate(0, draws=200, seed=1, **run).to_dict()
    assert d["gross_revenue_usd"]["p50"] == 0
    assert d["margin_pct"] == {"mean": None, "p5": None, "p50": None, "p95": None}
    assert d["cost_usd"]["p5"] > 0  # plans and the database floor cost money at zero users


def test_ops_hire_is_off_by_default_and_adds_its_cost_when_on(run, roadmap):
    off = costs.simulate(100_000, draws=1000, seed=1, **run)
    on = costs.simulate(100_000, draws=1000, seed=1, include_ops_hire=True, **run)
    assert "ops_hire" not in off.component_names
    hire = on.column("ops_hire")
    np.testing.assert_allclose(on.outputs["cost_usd"] - off.outputs["cost_usd"], hire)
    assert hire.max() > 0 and hire.min() >= 0  # hired in the draws whose threshold lies below 100K


@pytest.mark.parametrize("bad", [dict(users=-1), dict(users=float("nan")), dict(draws=0), dict(draws=2.5),
                                 dict(seed=-3)])
def test_bad_arguments_are_input_errors(bad, run):
    kw = dict(users=1000, draws=10, seed=1) | bad
    with pytest.raises(InputError):
        costs.simulate(kw.pop("users"), **kw, **run)


def test_curve_rows_equal_single_simulations(run):
    curve = costs.simulate_curve([2_000, 40_000], draws=2000, seed=8, **run)
    single = costs.simulate(40_000, draws=2000, seed=8, **run).summary()
    got = curve[(curve["users"] == 40_000) & (curve["output"] == "cost_usd")].iloc[0]
    assert got["p50"] == single.at["cost_usd", "p50"]
    per_user = curve[(curve["users"] == 40_000) & (curve["output"] == "cost_per_user_usd")].iloc[0]
    assert per_user["p95"] == pytest.approx(single.at["cost_usd", "p95"] / 40_000)
    assert set(curve["kind"]) == {"total", "component"}
    assert (curve["p5"] <= curve["p95"]).all()


# --- calibration ----------------------------------------------------------------------------------------------

def test_envelope_brackets_every_draw(base_inputs):
    values = costs.sample_inputs(base_inputs, 20_000, seed=9)
    for users in (1_000, 25_000, 90_000):
        env = costs.envelope(users, base_inputs)
        out = costs.evaluate(users, values)
        cols = dict(out["components"], total=out["infra_cost_usd"])
        for name, (lo, hi) in env.items():
            x = np.asarray(cols[name])
            assert lo <= x.min() + 1e-9 and x.max() <= hi + 1e-9, name


def test_envelope_of_a_one_input_cost_is_its_range_ends(base_inputs):
    inputs = {k: (f if k == "searches_per_user_month" else Figure(k, f.low, f.low, f.unit, source="fixed"))
              for k, f in base_inputs.items()}
    fig = base_inputs["searches_per_user_month"]
    lo, hi = costs.envelope(60_000, inputs)["search"]
    price = base_inputs["algolia_search_requests"].value
    assert lo == pytest.approx(60_000 * fig.low * price / 1000)
    assert hi == pytest.approx(60_000 * fig.high * price / 1000)


def test_verdict_rules_by_hand():
    # (p5, p95, envelope min, envelope max) at the low and the high user count
    assert costs.verdict(100, 300, (80, 150, 10, 900), (200, 400, 10, 900))[0] == "within"
    assert costs.verdict(100, 300, (120, 150, 10, 900), (200, 400, 10, 900))[:3] == ("model above", "above", "within")
    assert costs.verdict(100, 300, (80, 150, 10, 900), (150, 250, 10, 900))[:3] == ("model below", "within", "below")
    assert costs.verdict(100, 300, (80, 150, 10, 90), (200, 400, 10, 900))[:2] == ("not reproducible", "unreachable")
    assert costs.verdict(100, 300, (80, 150, 10, 900), (200, 400, 10, 900), conflict="clash")[0] == "not reproducible"
    # above at one end by x2, below at the other by x1.2: the bigger gap decides
    v, lo, hi, note = costs.verdict(100, 300, (200, 400, 10, 900), (100, 250, 10, 900))
    assert (v, lo, hi) == ("model above", "above", "below") and "low end" in note


def test_boundary_conflicts_find_disjoint_ranges_at_a_shared_user_count():
    fig = lambda lo, hi, unit="usd_per_month": Figure("f", lo, hi, unit, section="s")  # noqa: E731
    phases = {
        "a": {"users": fig(0, 10, "users"), "costs": {"x": fig(1, 2), "y": fig(1, 5)}, "total": fig(2, 7)},
        "b": {"users": fig(10, 20, "users"), "costs": {"x": fig(3, 4), "y": fig(5, 9)}, "total": fig(8, 13)},
        "c": {"users": fig(30, 40, "users"), "costs": {"x": fig(9, 9)}, "total": fig(9, 9)},
    }
    found = costs.boundary_conflicts({"phases": phases})
    assert set(found) == {("a", "x"), ("b", "x"), ("a", "total"), ("b", "total")}  # y touches at 5: no conflict


def test_calibration_table_is_consistent_with_its_rules(run, roadmap):
    table = costs.calibration_table(draws=4000, seed=1, **run)
    n_rows = sum(len(p["costs"]) + 1 for p in roadmap["phases"].values())
    assert len(table) == n_rows
    assert set(table["verdict"]) <= {"within", "model above", "model below", "not reproducible"}
    for _, r in table.iterrows():
        unreachable = not (r.min_at_low - 1e-6 <= r.roadmap_low <= r.max_at_low + 1e-6) or not (
            r.min_at_high - 1e-6 <= r.roadmap_high <= r.max_at_high + 1e-6)
        if unreachable:
            assert r.verdict == "not reproducible", (r.phase, r.component)
        inside = (r.p5_at_low <= r.roadmap_low <= r.p95_at_low) and (r.p5_at_high <= r.roadmap_high <= r.p95_at_high)
        if r.verdict == "within":
            assert inside and not unreachable
        assert r.min_at_low <= r.p5_at_low + 1e-9 and r.p95_at_high <= r.max_at_high + 1e-9
    # the current stack is compared at the 1K users its costs refer to
    current = table[table["phase"] == "current"].iloc[0]
    assert current.users_low == current.users_high == roadmap.get("phases.current.cost_at_users").value


def test_calibration_responds_to_drivers(run, tmp_path):
    """Archived bytes per user decide whether the roadmap's S3 line is reachable at all."""
    base = costs.calibration_table(draws=2000, seed=1, **run).set_index(["phase", "component"])
    scen = tmp_path / "huge_archive.yaml"
    scen.write_text("overrides:\n  storage_gb_per_user: {low: 5, high: 50, rationale: attachments in S3}\n")
    big = costs.calibration_table(draws=2000, seed=1, scenario=str(scen), **run).set_index(["phase", "component"])
    assert big.at[("phase_3", "s3"), "max_at_high"] > 100 * base.at[("phase_3", "s3"), "max_at_high"]
    assert big.at[("phase_3", "s3"), "p50_at_high"] > base.at[("phase_3", "s3"), "p50_at_high"]


def test_calibrated_components_are_flagged(base_inputs):
    flagged = costs.calibrated_components(base_inputs)
    notes = {k for k, f in base_inputs.items() if f.note and "calibrated" in f.note}
    assert notes, "drivers.yaml marks its calibrated figures"
    for comp in flagged:
        assert notes & set(costs.COMPONENT_ARGS[comp])
    assert "claude" not in flagged


def test_margin_check_shares(run, roadmap):
    users = costs.roadmap_user_counts(roadmap)
    results = costs.simulate_many(users, draws=3000, seed=2, **run)
    check = costs.roadmap_margin_check(results, roadmap)
    assert check["users"].tolist() == users
    lo, hi = check.attrs["claimed_range_pct"]
    assert (lo, hi) == (100 * roadmap.get("claims.margin_range").low, 100 * roadmap.get("claims.margin_range").high)
    first = results[users[0]].outputs["margin_pct"]
    assert check.at[0, "share_below_claimed"] == pytest.approx(np.mean(first < lo))
    assert check.at[0, "share_below_zero"] <= check.at[0, "share_below_claimed"]
    assert check.at[0, "roadmap_margin_pct"] == pytest.approx(100 * roadmap.get("cost_projection.rows.u1k.margin").value)


def test_simulate_many_equals_simulate(run):
    many = costs.simulate_many([1_000, 60_000], draws=1500, seed=4, **run)
    one = costs.simulate(60_000, draws=1500, seed=4, **run)
    np.testing.assert_array_equal(many[60_000.0].components, one.components)


def test_repr_and_str_name_the_inputs(run):
    res = costs.simulate(5_000, draws=500, seed=1, **run)
    assert "seed 1" in str(res) and "prices as_of" in str(res)
    assert "<table" in res._repr_html_()
    assert "drivers.yaml" in res.source_note()


@pytest.mark.slow
def test_notebook_03_responds_to_its_parameters(tmp_path):
    import papermill as pm

    from voyager_analysis import config
    from voyager_analysis.nbtools import read_results

    out = tmp_path / "03.ipynb"
    params = dict(users_grid=[1000, 50000], draws=2000, seed=7, scenario="pessimistic")
    pm.execute_notebook(str(config.NOTEBOOKS_DIR / "03_costs_scaling.ipynb"), str(out), parameters=params,
                        cwd=str(config.NOTEBOOKS_DIR), kernel_name="python3", progress_bar=False)
    results = read_results(out)
    assert results["scenario"] == "pessimistic" and results["draws"] == 2000 and results["seed"] == 7
    assert set(results["cost_usd_p50"]) == {"1000", "50000"}
    expected = costs.simulate(50_000, draws=2000, seed=7, scenario="pessimistic").stats("cost_usd")["p50"]
    assert results["cost_usd_p50"]["50000"] == pytest.approx(expected)
    assert set(results["roadmap_users"]) == {str(int(u)) for u in costs.roadmap_user_counts()}
    assert 0 <= results["share_margin_below_claimed_max"] <= 1
