"""Decisions: trigger status and forecast recovery, build-vs-buy arithmetic, the ROI >= 2x rule, sharding."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from voyager_analysis import buildvsbuy, config, decisions, growth, sharding, triggers
from voyager_analysis.decisions import Option
from voyager_analysis.errors import InputError
from voyager_analysis.months import month_number, month_str

ROOT = Path(__file__).resolve().parents[1]
K, R, T0 = 120_000.0, 0.32, 16.0  # logistic truth of the synthetic users (months from the first row)


def synthetic(n=18, seed=0, noise=0.02, **columns):
    """Logistic users with log-normal noise; each keyword is a function users -> metric column."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    users = np.round(K / (1 + np.exp(-R * (t - T0))) * np.exp(rng.normal(0, noise, n)))
    start = month_number(["2025-07"])[0]
    df = pd.DataFrame({"month": [month_str(int(start + i)) for i in range(n)], "users": users})
    for name, f in columns.items():
        df[name] = f(users, rng)
    df.attrs["source"] = "synthetic"
    return df


def logistic_month(users: float) -> float:
    """Continuous month the logistic truth reaches ``users``: t0 - ln(K/u - 1)/r."""
    return T0 - math.log(K / users - 1) / R


@pytest.fixture(scope="module")
def own():
    """Our decisions.yaml figure tree (the caller loads it; build_vs_buy never reads a file)."""
    from voyager_analysis.assumptions import load_figures

    return load_figures(config.ASSUMPTIONS_DIR / "decisions.yaml")


def spec(name):
    return next(s for s in decisions.TRIGGERS if s.name == name)


# --- forecast recovery ------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_metric_crossing_is_forecast_within_a_month(roadmap, seed):
    th = roadmap.get("thresholds.db_connections_alert").value  # a fraction of the pool
    a, b = 10.0, 70.0 / 1e5  # percent of the pool = a + b * users (+ noise of 1 point)
    df = synthetic(seed=seed, db_connections_pct=lambda u, rng: a + b * u + rng.normal(0, 1.0, u.size))
    u_true = (100 * th - a) / b  # users at which the percentage reaches the threshold
    m_true = math.floor(logistic_month(u_true) + 0.5)  # the month the crossing falls in
    assert m_true > len(df)  # not yet crossed in the data
    g = growth.fit_growth(df, "logistic", roadmap=roadmap, n_origins=0)
    rep = triggers.trigger_report(df, roadmap, g, triggers=[spec("db_connections_alert")], n_sim=2000, seed=seed)
    row = rep.table.iloc[0]
    assert row.status == "ok"
    assert abs(row.forecast_month_index - m_true) <= 1
    assert row.low_index <= m_true <= row.high_index
    assert row.users_at_threshold == pytest.approx(u_true, rel=0.05)
    assert row.forecast_month == month_str(int(month_number(["2025-07"])[0] + row.forecast_month_index))


def test_forecast_month_and_interval_hold_over_many_seeds(roadmap):
    """Over 40 synthetic histories: the month is within one of the truth in >= 90% and the interval covers
    the true month in >= 90% (nominal 95%)."""
    th = roadmap.get("thresholds.db_connections_alert").value
    a, b = 10.0, 70.0 / 1e5
    m_true = math.floor(logistic_month((100 * th - a) / b) + 0.5)
    within = covered = 0
    n = 40
    for seed in range(100, 100 + n):
        df = synthetic(seed=seed, db_connections_pct=lambda u, rng: a + b * u + rng.normal(0, 1.0, u.size))
        g = growth.fit_growth(df, "logistic", roadmap=roadmap, n_origins=0)
        row = triggers.trigger_report(df, roadmap, g, triggers=[spec("db_connections_alert")], n_sim=500,
                                       seed=seed).table.iloc[0]
        within += abs(row.forecast_month_index - m_true) <= 1
        covered += row.low_index <= m_true <= row.high_index
    assert within >= 0.9 * n
    assert covered >= 0.9 * n


def test_users_at_threshold_interval_covers_the_truth(roadmap):
    """The user count at the threshold (fit of the metric on users, fixed-b widened draws): 95% intervals
    cover the truth in 88-100% of 100 seeded histories (binomial spread around 95% is about +-4.4 points)."""
    th = roadmap.get("thresholds.db_connections_alert").value
    a, b = 10.0, 70.0 / 1e5
    u_true = (100 * th - a) / b
    hits = 0
    for seed in range(100):
        df = synthetic(seed=seed, db_connections_pct=lambda u, rng: a + b * u + rng.normal(0, 1.0, u.size))
        fit = triggers.fit_metric(df, spec("db_connections_alert"), seed=seed)
        lo, hi = triggers.draw_interval(fit.users_at(th, fit.param_draws(2000, np.random.default_rng(seed))), 0.95)
        hits += lo <= u_true <= hi
    assert 88 <= hits <= 100


def test_loglog_cost_crossing_is_forecast_within_a_month(roadmap):
    th = roadmap.get("thresholds.sharding_database_cost").value
    u_true, beta = 90_000.0, 0.7  # the bill reaches the threshold at u_true: th * (u / u_true)^beta
    df = synthetic(seed=3, cost_neon_usd=lambda u, rng: th * (u / u_true) ** beta * np.exp(rng.normal(0, 0.03, u.size)))
    g = growth.fit_growth(df, "logistic", roadmap=roadmap, n_origins=0)
    rep = triggers.trigger_report(df, roadmap, g, triggers=[spec("sharding_database_cost")], n_sim=2000)
    row = rep.table.iloc[0]
    m_true = math.floor(logistic_month(u_true) + 0.5)
    assert abs(row.forecast_month_index - m_true) <= 1
    assert row.low_index <= m_true <= row.high_index
    assert row.users_at_threshold == pytest.approx(u_true, rel=0.05)
    assert rep.fits["sharding_database_cost"].slope == pytest.approx(beta, abs=0.05)


def test_user_trigger_month_agrees_with_the_growth_module(roadmap, example_metrics):
    # Bass: the example's logistic ceiling lies below the 100K threshold (its actives are not logistic)
    g = growth.fit_growth(example_metrics, "bass", roadmap=roadmap, n_origins=0)
    rep = triggers.trigger_report(example_metrics, roadmap, g, triggers=[spec("websockets_users")], n_sim=1000)
    row = rep.table.iloc[0]
    n = roadmap.get("thresholds.websockets_users").value
    m = g.best.month_reaching(n)
    assert row.forecast_month_index == math.floor(m["month"] + 0.5)
    assert row.forecast_month == g.milestones([n]).calendar_month.iat[0]


def test_metric_that_never_rises_is_never_forecast(roadmap):
    th = roadmap.get("thresholds.api_error_rate_alert").value
    df = synthetic(error_rate=lambda u, rng: np.clip(th / 2 - 1e-8 * u + rng.normal(0, th / 50, u.size), 0, 1))
    g = growth.fit_growth(df, "logistic", roadmap=roadmap, n_origins=0)
    row = triggers.trigger_report(df, roadmap, g, triggers=[spec("api_error_rate_alert")], n_sim=500).table.iloc[0]
    assert row.status == "ok"
    assert pd.isna(row.forecast_month) and math.isinf(row.forecast_month_index)
    assert "not reached" in row.note


def test_forecast_is_reproducible_with_a_seed(roadmap, example_metrics):
    g = growth.fit_growth(example_metrics, "logistic", roadmap=roadmap, n_origins=0)
    a = triggers.trigger_report(example_metrics, roadmap, g, n_sim=500, seed=7).table
    b = triggers.trigger_report(example_metrics, roadmap, g, n_sim=500, seed=7).table
    pd.testing.assert_frame_equal(a, b)


# --- status on current values -----------------------------------------------------------------------------

def test_missing_metrics_give_no_data_not_an_error(roadmap, example_metrics):
    df = example_metrics.drop(columns=["error_rate", "db_connections_pct"])
    df.attrs = dict(example_metrics.attrs)
    rep = triggers.trigger_report(df, roadmap, growth.fit_growth(df, "logistic", roadmap=roadmap, n_origins=0), n_sim=300)
    t = rep.table.set_index("name")
    for name in ("api_error_rate_alert", "migrate_error_rate", "db_connections_alert", "read_replica_read_load"):
        assert t.loc[name, "status"] == "no data"
        assert pd.isna(t.loc[name, "forecast_month"])
    assert t.loc["migrate_p95_latency", "status"] in ("ok", "fired")  # the rest still computed


def test_only_users_gives_no_data_for_every_metric_trigger(roadmap, example_metrics):
    df = example_metrics[["month", "users"]].copy()
    t = triggers.trigger_report(df, roadmap, growth.fit_growth(df, "logistic", roadmap=roadmap, n_origins=0), n_sim=300).table
    metric_rows = t[t.metric != "users"]
    assert set(metric_rows.status) == {"no data"}
    assert set(t[t.metric == "users"].status) <= {"fired", "ok"}


def test_status_follows_the_roadmap_comparison_and_finds_when_it_fired(roadmap):
    th = roadmap.get("thresholds.db_connections_alert")
    assert th.qualifier == "greater_than"
    pct = [50, 60, 100 * th.value + 5, 70, 100 * th.value + 1, 100 * th.value + 2]
    df = pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"],
                       "users": [1e3, 2e3, 3e3, 4e3, 5e3, 6e3], "db_connections_pct": pct})
    row = decisions.current_status(df, roadmap, [spec("db_connections_alert")]).iloc[0]
    assert row.status == "fired" and row.fired_since == "2026-05"  # the run that reaches the latest month
    assert row.current == pytest.approx(pct[-1] / 100)
    df.loc[5, "db_connections_pct"] = 100 * th.value  # exactly at the threshold: "> 80%" has not fired
    assert decisions.current_status(df, roadmap, [spec("db_connections_alert")]).iloc[0].status == "ok"
    users_th = roadmap.get("thresholds.search_upgrade_users")
    assert users_th.qualifier is None  # "at 50K users": reaching it counts
    df.loc[5, "users"] = users_th.value
    assert decisions.current_status(df, roadmap, [spec("search_upgrade_users")]).iloc[0].status == "fired"


def test_cost_spike_is_the_month_on_month_change_of_total_cost(roadmap):
    th = roadmap.get("thresholds.monthly_cost_spike_alert").value
    df = pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03"], "users": [1e3, 1.1e3, 1.2e3],
                       "cost_neon_usd": [60.0, 60.0, 100.0], "cost_claude_usd": [40.0, 40.0, 60.0]})
    row = decisions.current_status(df, roadmap, [spec("monthly_cost_spike_alert")]).iloc[0]
    assert row.current == pytest.approx((100 + 60) / (60 + 40) - 1)  # 0.6
    assert row.status == ("fired" if 0.6 > th else "ok")


def test_thresholds_come_from_the_roadmap_file(roadmap, example_metrics, tmp_path):
    text = (ROOT / "data/assumptions/roadmap.yaml").read_text()
    old = "db_connections_alert: {low: 0.80, high: 0.80,"
    assert old in text
    path = tmp_path / "roadmap.yaml"
    path.write_text(text.replace(old, "db_connections_alert: {low: 0.50, high: 0.50,"))
    from voyager_analysis.assumptions import load_roadmap

    changed = load_roadmap(path)
    a = decisions.current_status(example_metrics, roadmap).set_index("name").loc["db_connections_alert"]
    b = decisions.current_status(example_metrics, changed).set_index("name").loc["db_connections_alert"]
    assert (a.threshold, b.threshold) == (0.8, 0.5)
    assert a.current == b.current > 0.5
    assert (a.status, b.status) == ("ok", "fired")


def test_without_a_growth_curve_statuses_remain_and_forecasts_say_why(roadmap, example_metrics):
    df = example_metrics.iloc[:4].copy()  # too short for any growth model
    df.attrs = dict(example_metrics.attrs)
    t = triggers.trigger_report(df, roadmap, n_sim=200).table
    assert set(t.status) <= set(decisions.STATUSES)
    ok = t[t.status == "ok"]
    assert len(ok) and ok.forecast_month.isna().all()
    assert ok.note.str.contains("no growth forecast|no forecast").all()


def test_roadmap_timing_comparison(roadmap, example_metrics):
    """Read replicas: the roadmap says 20K-30K users; the proxy's user count is compared with that range."""
    rep = triggers.trigger_report(example_metrics, roadmap, growth.fit_growth(example_metrics, "logistic",
                                                                                 roadmap=roadmap), n_sim=1000)
    row = rep.table.set_index("name").loc["read_replica_read_load"]
    ru = roadmap.get("thresholds.read_replica_likely_users")
    assert (row.roadmap_users_low, row.roadmap_users_high) == (ru.low, ru.high)
    expected = ("later" if row.users_low > ru.high else "earlier" if row.users_high < ru.low else "consistent")
    assert row.users_vs_roadmap == expected
    assert "proxy" in row.note
    zero = growth.roadmap_month_zero(roadmap)
    rm = roadmap.get("milestones.m_10k_30k.months")
    assert row.roadmap_month_low == month_str(int(month_number([zero])[0] + rm.low))


# --- build vs buy: hand-checked arithmetic ----------------------------------------------------------------

def test_breakeven_by_hand():
    a = Option("a", "fixed", fixed_usd_per_month=60.0, usd_per_unit=0.0, ops_hours_per_month=5.0, build_hours=52.0)
    b = Option("b", "per use", fixed_usd_per_month=0.0, usd_per_unit=0.0005, ops_hours_per_month=1.25, build_hours=28.0)
    # without the build: a costs 60 + 5 x 100 = 560, b costs 1.25 x 100 + 0.0005 x = 125 + 0.0005 x -> x* = 435 / 0.0005
    assert float(buildvsbuy.breakeven(a, b, 100.0)) == pytest.approx(870_000.0)
    # with the builds spread over 18 months: a 560 + 5200/18, b 125 + 2800/18
    expected = ((560 + 5200 / 18) - (125 + 2800 / 18)) / 0.0005
    assert float(buildvsbuy.breakeven(a, b, 100.0, 18)) == pytest.approx(expected)
    assert float(buildvsbuy.breakeven(b, a, 100.0, 18)) == pytest.approx(expected)  # symmetric
    # at the break-even both cost the same
    x = float(buildvsbuy.breakeven(a, b, 100.0, 18))
    assert a.monthly_cost_usd(x, 100.0, 18) == pytest.approx(b.monthly_cost_usd(x, 100.0, 18))
    # parallel lines, or one option cheaper at every volume: no break-even
    c = replace(b, fixed_usd_per_month=1000.0)
    assert math.isnan(float(buildvsbuy.breakeven(b, c, 100.0)))
    d = replace(a, usd_per_unit=0.001)  # dearer per unit and per month than b: never cheaper
    assert math.isnan(float(buildvsbuy.breakeven(d, b, 100.0)))


def test_shipped_redis_breakeven_by_hand(roadmap, prices, own):
    """Upstash vs Railway at the middle of every range, recomputed from the loaded figures."""
    redis = own["redis"]
    rate = own["engineering"]["usd_per_hour"].mid
    H = own["roi"]["horizon_months"].mid
    railway_fee = roadmap.get("options.redis_railway").mid
    per_command = prices.service("upstash_commands").price_usd / 100_000  # the price is per 100K commands
    up = redis["upstash"]["ops_hours_per_month"].mid * rate + redis["upstash"]["build_hours"].mid * rate / H
    rw = railway_fee + redis["railway"]["ops_hours_per_month"].mid * rate + redis["railway"]["build_hours"].mid * rate / H
    bvb = buildvsbuy.build_vs_buy(roadmap, prices, own, users=10_000, n_draws=200)
    row = bvb.breakeven.query("decision == 'redis'").iloc[0]
    assert row.breakeven_driver == pytest.approx((rw - up) / per_command)
    per_user = redis["commands_per_user_month"].mid
    assert row.breakeven_users == pytest.approx((rw - up) / per_command / per_user)
    assert (row.cheaper_below, row.cheaper_above) == ("upstash", "railway")


def test_roi_rule_exactly_2x_clears(roadmap):
    bar = roadmap.get("thresholds.migrate_min_roi").value
    assert bar == 2
    current = Option("cur", "running", 200.0, 0.0, 0.0, 0.0)
    new = Option("new", "cheaper", 100.0, 0.0, 0.0, 0.0)
    roi = float(buildvsbuy.switch_roi(current, new, 0.0, 100.0, 12))  # 12 x 200 / (0 + 12 x 100)
    assert roi == 2.0
    assert bool(buildvsbuy.clears(roi, bar))
    just_below = float(buildvsbuy.switch_roi(replace(current, fixed_usd_per_month=199.99), new, 0.0, 100.0, 12))
    assert just_below < 2 and not bool(buildvsbuy.clears(just_below, bar))


def test_roi_by_hand_with_build_and_ops():
    current = Option("cur", "running", 100.0, 0.0, 2.0, 40.0)  # 100 + 2h x 100 = 300/month; its build is sunk
    new = Option("new", "switch", 100.0, 0.0, 0.0, 12.0)  # 100/month + 12h x 100 = 1200 once
    roi = float(buildvsbuy.switch_roi(current, new, 0.0, 100.0, 12))
    assert roi == pytest.approx(12 * 300 / (1200 + 12 * 100))  # 1.5
    need = float(buildvsbuy.required_other_benefit(current, new, 0.0, 100.0, 12, 2.0))
    assert need == pytest.approx(2 * 1200 / 12 + 2 * 100 - 300)  # 100 per month more benefit
    assert float(buildvsbuy.switch_roi(current, new, 0.0, 100.0, 12, need)) == pytest.approx(2.0)


def test_users_clearing_roi_by_hand():
    current = Option("cur", "per use", 0.0, 0.001, 0.0, 0.0)  # 0.001 USD per unit
    new = Option("new", "fixed", 50.0, 0.0, 0.0, 10.0)  # 50/month + 10h x 100 = 1000 once
    # ROI >= 2 <=> 10 x 0.001 x 10 u >= 2 x 1000 + 2 x 10 x 50  ->  u* = 3000 / 0.1 = 30,000 users (10 units/user)
    u = float(buildvsbuy.users_clearing_roi(current, new, 10.0, 100.0, 10, 2.0))
    assert u == pytest.approx(30_000)
    assert float(buildvsbuy.switch_roi(current, new, 10.0 * u, 100.0, 10)) == pytest.approx(2.0)
    assert float(buildvsbuy.switch_roi(current, new, 10.0 * (u - 1), 100.0, 10)) < 2.0
    # a switch that costs more per unit than half the current one never gets there
    dear = replace(new, usd_per_unit=0.0006)
    assert math.isinf(float(buildvsbuy.users_clearing_roi(current, dear, 10.0, 100.0, 10, 2.0)))
    # one that clears even with no users: 0
    cheap = Option("cheap", "free", 0.0, 0.0, 0.0, 0.0)
    assert float(buildvsbuy.users_clearing_roi(replace(current, fixed_usd_per_month=10.0), cheap, 10.0, 100.0, 10, 2.0)) == 0


def test_build_vs_buy_tables(roadmap, prices, example_metrics, own):
    bvb = buildvsbuy.build_vs_buy(roadmap, prices, own, df=example_metrics, hourly_rate_usd=100.0, horizon_months=12,
                                 n_draws=500)
    assert bvb.users == example_metrics.users.iat[-1]
    assert bvb.min_roi == roadmap.get("thresholds.migrate_min_roi").value
    assert set(bvb.roi.decision) == set(decisions.DECISIONS)
    # both Algolia prices are shown: the list price and the roadmap's ~$1 per 1,000
    opts = bvb.options.set_index("option")
    assert opts.loc["algolia", "usd_per_unit"] == pytest.approx(prices.service("algolia_search_requests").price_usd / 1000)
    assert opts.loc["algolia_roadmap", "usd_per_unit"] == pytest.approx(roadmap.get("options.search_algolia").value / 1000)
    # searches per user come from the usage curve of the metrics
    assert bvb.per_user["search"][3].startswith("usage curve")
    for r in bvb.roi.to_dict("records"):
        assert r["clears"] == (r["roi"] >= bvb.min_roi)
        assert r["roi_low"] <= r["roi_high"]
        u = r["users_at_min_roi"]
        if 0 < u < math.inf:  # the ROI curve crosses the bar at that user count
            curve = bvb.roi_curves(r["decision"], [u])
            assert curve[r["to"]].iat[0] == pytest.approx(bvb.min_roi, rel=1e-9)
    # a higher hourly rate raises the benefit of dropping a high-ops option and the cost of adopting one
    dear = buildvsbuy.build_vs_buy(roadmap, prices, own, df=example_metrics, hourly_rate_usd=300.0, horizon_months=12,
                                  n_draws=500)
    a = bvb.roi.set_index("switch")
    b = dear.roi.set_index("switch")
    assert b.loc["vercel_cron -> inngest", "roi"] > a.loc["vercel_cron -> inngest", "roi"]  # cron needs more ops time
    assert b.loc["upstash -> railway", "roi"] < a.loc["upstash -> railway", "roi"]  # railway needs more ops time


def test_inputs_are_drawn_within_their_ranges_and_reproducibly(roadmap, own):
    figs = decisions.decision_figures(roadmap, own)
    from voyager_analysis.montecarlo import sample_figures
    from voyager_analysis.values import point_value

    a = sample_figures(figs, 1000, seed=5)
    b = sample_figures(figs, 1000, seed=5)
    for k, f in figs.items():
        np.testing.assert_array_equal(a[k], b[k])
        assert a[k].min() >= f.low and a[k].max() <= f.high
    sse = figs["realtime.sse.usd_per_connection_month"]
    assert sse.distribution == "loguniform"
    assert point_value(sse) == pytest.approx(math.sqrt(sse.low * sse.high))
    # "low end only" roadmap inputs are points at the low end
    assert figs["options.inngest"].is_point and figs["options.inngest"].low == roadmap.get("options.inngest").low


def test_price_with_an_unexpected_unit_is_an_error(prices):
    from voyager_analysis.assumptions import PriceBook

    services = prices.services.copy()
    services.loc["upstash_commands", "unit"] = "usd_per_1000_requests"
    bad = PriceBook(claude=prices.claude, services=services)
    with pytest.raises(InputError, match="upstash_commands"):
        decisions.unit_prices(bad)


def test_bad_overrides_are_errors(roadmap, prices, own):
    with pytest.raises(InputError, match="parameter hourly_rate_usd: -5 is out of range"):
        buildvsbuy.build_vs_buy(roadmap, prices, own, users=1000, hourly_rate_usd=-5)
    with pytest.raises(InputError, match="users"):
        buildvsbuy.build_vs_buy(roadmap, prices, own)


# --- sharding ---------------------------------------------------------------------------------------------

def test_roadmap_sharding_example_by_hand(roadmap):
    sizes = sharding.roadmap_communities(roadmap)
    s = roadmap["sharding"]
    n = int(s["communities_c_to_j_count"].value)
    assert len(sizes) == 2 + n and sum(sizes) == pytest.approx(
        s["community_a_users"].value + s["community_b_users"].value + s["communities_c_to_j_users"].value)
    # three shards: A alone, B alone, C-J together -> the roadmap's own layout
    loads = sharding.community_shard_loads(sizes, 3)
    assert list(loads) == [s["community_a_users"].value, s["community_b_users"].value, s["communities_c_to_j_users"].value]
    bal = sharding.sharding_balance(sizes, 3, n_sim=500).table.set_index("strategy")
    assert bal.loc["community", "max_over_mean"] == pytest.approx(loads[0] / (sum(sizes) / 3))  # 50 / 33.3 = 1.5


def test_community_packing_small_case_by_hand():
    # 4 shards, sizes 50, 30 and eight of 2.5: 50 | 30 | 2.5 x 4 | 2.5 x 4 -> max 50, mean 25 -> 2.0
    loads = sharding.community_shard_loads([50, 30] + [2.5] * 8, 4)
    np.testing.assert_allclose(loads, [50, 30, 10, 10])
    bal = sharding.sharding_balance([50, 30] + [2.5] * 8, 4, n_sim=200).table.set_index("strategy")
    assert bal.loc["community", "max_over_mean"] == pytest.approx(2.0)
    assert bal.loc["community", "lower_bound"] == pytest.approx(2.0)  # the largest community sits alone
    # equal communities pack perfectly
    np.testing.assert_allclose(sharding.community_shard_loads([10] * 6, 3), [20, 20, 20])


def test_hash_sharding_is_nearly_even_and_seeded():
    bal = sharding.sharding_balance([50_000, 30_000] + [2_500] * 8, 3, n_sim=2000, seed=1).table.set_index("strategy")
    ratio = bal.loc["user_hash", "max_over_mean"]
    # each shard holds Binomial(100K, 1/3) users: sd / mean = sqrt((2/3) / 33,333) ~ 0.45%
    sd = math.sqrt((2 / 3) / (100_000 / 3))
    assert 1.0 < ratio < 1 + 3 * sd
    again = sharding.sharding_balance([50_000, 30_000] + [2_500] * 8, 3, n_sim=2000, seed=1)
    assert again.table.set_index("strategy").loc["user_hash", "max_over_mean"] == ratio
    loads = sharding.hash_shard_loads(100_000, 3, n_sim=10, seed=2)
    assert (loads.sum(axis=1) == 100_000).all()


def test_cross_shard_share_by_hand():
    assert sharding.cross_shard_share(3, 3) == pytest.approx(1 - 1 / 9)  # 2 other members, each 1/3 same shard
    assert sharding.cross_shard_share(1, 5) == 0.0
    assert sharding.cross_shard_share(10, 1) == 0.0


def test_bad_sharding_inputs(roadmap):
    with pytest.raises(InputError):
        sharding.sharding_balance([], 3)
    with pytest.raises(InputError):
        sharding.sharding_balance([10, -1], 3)
    with pytest.raises(InputError):
        sharding.sharding_balance([10, 20], 0)


# --- the notebook -------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_notebook_07_results_follow_its_parameters(tmp_path, own):
    import papermill as pm

    from voyager_analysis.nbtools import read_results

    nb = ROOT / "notebooks" / "07_decisions.ipynb"
    out = tmp_path / "07_out.ipynb"
    pm.execute_notebook(str(nb), str(out), cwd=str(nb.parent), kernel_name="python3", progress_bar=False,
                        parameters={"hourly_rate_usd": 250.0, "horizon_months": 6, "n_shards": 4,
                                    "community_sizes": [40000, 40000, 20000], "level": 0.8, "growth_model": "logistic"})
    res = read_results(out)
    assert res["hourly_rate_usd"] == 250.0 and res["horizon_months"] == 6 and res["level"] == 0.8
    assert res["growth_model"] == "logistic"
    # 40K, 40K, 20K on 4 shards: 40 | 40 | 20 | 0 -> max 40 / mean 25 = 1.6
    assert res["sharding"]["n_shards"] == 4
    assert res["sharding"]["community_max_over_mean"] == pytest.approx(1.6)
    assert 1.0 < res["sharding"]["hash_max_over_mean"] < 1.05
    assert set(res["triggers"]) == {s.name for s in decisions.TRIGGERS}
    for name, t in res["triggers"].items():
        assert t["status"] in decisions.STATUSES
    # the ROI table responds to the rate: recompute one switch directly
    from voyager_analysis.assumptions import load_prices, load_roadmap
    from voyager_analysis.metrics import load_metrics

    bvb = buildvsbuy.build_vs_buy(load_roadmap(), load_prices(), own, df=load_metrics(), hourly_rate_usd=250.0,
                                 horizon_months=6, level=0.8, n_draws=200)
    expected = bvb.roi.set_index("switch")["roi"]
    for switch, r in res["roi"].items():
        assert r["roi"] == pytest.approx(expected[switch])
