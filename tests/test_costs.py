"""The cost model's equations: each component by hand, one-draw reference, and where the inputs come from."""

from __future__ import annotations

import numpy as np
import pytest

from voyager_analysis import costs, montecarlo


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
    theirs = routing.RoutingModel.from_prices(prices, cache_hit_rate=cache).monthly_cost_usd(users, msgs, tin, tout, share)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_stripe_and_ops_hire_by_hand():
    # 1,000 users: 100 Pro x 10 + 10 Max x 50 = 1,500 gross; fees 2.9% x 1,500 + 0.30 x 110 charges = 43.5 + 33
    assert costs.stripe_cost_usd(1_000, 0.1, 10, 0.01, 50, 0.029, 0.30) == pytest.approx(76.5)
    assert costs.ops_hire_cost_usd(80_000, 15_000, 75_000) == 15_000
    assert costs.ops_hire_cost_usd(50_000, 15_000, 75_000) == 0


def test_component_functions_broadcast_over_draws(base_inputs):
    values = montecarlo.sample_figures(base_inputs, 500, seed=1)
    out = costs.evaluate(30_000, values)
    for name, arr in out["components"].items():
        assert np.shape(np.broadcast_to(arr, (500,))) == (500,), name
    assert np.all(np.asarray(out["cost_usd"]) > 0)


# --- inputs ---------------------------------------------------------------------------------------------------

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


def test_one_draw_equals_evaluate_by_hand_inputs(base_inputs):
    """The plain-Python reference and the vectorised equations agree input by input at the point values."""
    from voyager_analysis.values import point_values

    v = point_values(base_inputs)
    for users in (0.0, 3_000.0, 60_000.0, 120_000.0):
        comps, outs = costs.one_draw(users, v, True)
        vec = costs.evaluate(users, v, include_ops_hire=True)
        assert comps == pytest.approx([float(vec["components"][c]) for c in costs.component_names(True)])
        assert outs[:4] == pytest.approx([float(vec[k]) for k in costs.OUTPUTS[:4]])


def test_model_inputs_are_assembled_without_reading_files(project):
    from voyager_analysis import model_inputs

    tree = project.figures("drivers")
    inputs = model_inputs.base_inputs(project.roadmap, project.prices, tree)
    assert set(model_inputs.driver_inputs(tree)) < set(inputs)
    assert set(model_inputs.REVENUE_ARGS) <= set(inputs) and set(model_inputs.SERVICE_PRICES) <= set(inputs)
    assert model_inputs.prices_as_of(inputs) != "n/a"
    frame = model_inputs.inputs_frame(inputs)
    assert list(frame.index) == list(inputs)


def test_duplicate_driver_names_are_an_input_error():
    from voyager_analysis import model_inputs
    from voyager_analysis.assumptions import Figure
    from voyager_analysis.errors import InputError

    f = Figure(path="a.x", low=1, high=2, unit="count", rationale="r")
    tree = {"a": {"x": f}, "b": {"x": Figure(path="b.x", low=1, high=2, unit="count", rationale="r")}}
    with pytest.raises(InputError, match="'x' is used twice"):
        model_inputs.driver_inputs(tree)
