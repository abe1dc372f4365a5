"""Archival: the activity model against simulation, hand-checked flows and costs, monotonicity, the notebook."""

from __future__ import annotations

import html

import numpy as np
import pytest

from voyager_analysis import archival
from voyager_analysis.errors import InputError

LN2 = np.log(2)

# A small world: 100 users a month, 2 conversations each -> 200 conversations and 100 x 0.01 = 1 GB of new
# data a month. With no visits at all every conversation is archived at age >= T.
SMALL = dict(new_gb_per_user_month=0.01, conversations_per_user_month=2,
             inactive_months_threshold=2, max_view_count=5, visits_per_month_new=0.0, activity_half_life_months=1.0,
             hot_storage_usd_per_gb_month=0.35, archive_storage_usd_per_gb_month=0.023,
             put_usd_per_1000=0.005, get_usd_per_1000=0.0004)
USERS = np.full(5, 100.0)

# A realistic parameter set for monotonicity checks.
TYPICAL = dict(SMALL, visits_per_month_new=2.5, activity_half_life_months=1.75, inactive_months_threshold=6,
               conversations_per_user_month=3)
GROWING = np.linspace(1000, 60000, 36)


def flows(users, policy_start_month=0, **params):
    """:meth:`ArchivalPolicy.flows` of the policy made of ``params``."""
    return archival.ArchivalPolicy(**params).flows(users, policy_start_month)


def test_expected_visits_closed_form():
    # r0 h / ln2 (1 - 2^(-a/h)); r0 = 2, h = 1, a = 1 -> 2 / ln2 x 0.5
    assert float(archival.expected_visits(1.0, 2.0, 1.0)) == pytest.approx(1 / LN2)
    assert float(archival.expected_visits(np.inf, 2.0, 1.0)) == pytest.approx(2 / LN2)
    assert float(archival.expected_visits(0.0, 2.0, 1.0)) == 0.0


def test_eligible_share_by_hand_with_no_views_allowed():
    # V = 1 (fewer than one view): no visit ever -> P = exp(-L(a)); r0 = 1, h = 1, a = 3: L = (1 - 1/8) / ln2
    assert float(archival.eligible_share(3.0, 2.0, 1, 1.0, 1.0)) == pytest.approx(np.exp(-(7 / 8) / LN2))
    # below the threshold nothing is archived; with no visits everything at or above it is
    np.testing.assert_allclose(archival.eligible_share(np.array([0.5, 1.5, 2.5, 9.5]), 2, 5, 0.0, 1.0), [0, 0, 1, 1])
    # V = 0 archives nothing, V = inf drops the view condition: exp(-(L(a) - L(a - T)))
    assert float(archival.eligible_share(8.0, 6.0, 0, 2.0, 1.0)) == 0.0
    lam = lambda a: 2 / LN2 * (1 - 2.0 ** -a)  # noqa: E731
    assert float(archival.eligible_share(8.0, 6.0, np.inf, 2.0, 1.0)) == pytest.approx(np.exp(-(lam(8) - lam(2))))


def test_eligible_share_matches_a_simulated_poisson_process():
    """Simulate visit times by inverting L (independent of the closed form) and apply the rule to them."""
    rng = np.random.default_rng(20251108)
    r0, h, T, V = 2.5, 1.75, 6.0, 5
    n, k = 100_000, 40
    total = r0 * h / LN2  # expected visits over a whole life
    arrivals = np.cumsum(rng.exponential(1.0, (n, k)), axis=1)  # unit-rate process on the L scale
    with np.errstate(divide="ignore", invalid="ignore"):
        times = np.where(arrivals < total, -h * np.log2(1 - arrivals / total), np.inf)  # L^-1
    assert np.all(np.isinf(times[:, -1]))  # k large enough: nobody has k visits
    for age in (6.5, 9.0, 20.0):
        before = times <= age
        count = before.sum(axis=1)
        last = np.where(before, times, -np.inf).max(axis=1)
        simulated = np.mean((last <= age - T) & (count < V))
        p = float(archival.eligible_share(age, T, V, r0, h))
        assert simulated == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / n) + 1e-4)


def test_small_case_flows_by_hand():
    f = flows(USERS, **SMALL)
    # data of month c has age t - c + 0.5 at the end of month t; archived when age >= 2: lags 2, 3, 4
    np.testing.assert_allclose(f["archived_gb"], [0, 0, 1, 2, 3])
    np.testing.assert_allclose(f["total_gb"], [1, 2, 3, 4, 5])
    np.testing.assert_allclose(f["archived_share"], [0, 0, 1 / 3, 2 / 4, 3 / 5])
    np.testing.assert_allclose(f["archived_conversations"], [0, 0, 200, 400, 600])
    np.testing.assert_allclose(f["puts"], [0, 0, 200, 200, 200])
    np.testing.assert_allclose(f["gets"], 0)
    np.testing.assert_allclose(f["gb_moved"], [0, 0, 1, 1, 1])
    # requests: 200 PUTs x 0.005 / 1000 = 0.001 a month
    np.testing.assert_allclose(f["request_usd"], [0, 0, 0.001, 0.001, 0.001])
    # storage: 3 GB x (0.35 - 0.023) = 0.981; net 0.980
    assert f["storage_saved_usd"][-1] == pytest.approx(0.981)
    assert f["net_savings_usd"][-1] == pytest.approx(0.980)


def test_policy_start_moves_the_backlog_at_once():
    f = flows(USERS, **SMALL, policy_start_month=3)
    np.testing.assert_allclose(f["archived_gb"], [0, 0, 0, 2, 3])
    np.testing.assert_allclose(f["puts"], [0, 0, 0, 400, 200])  # cohorts 0 and 1 together, then one a month
    np.testing.assert_allclose(f["request_usd"], [0, 0, 0, 0.002, 0.001])


def test_reopen_share_override_request_arithmetic():
    f = flows(USERS, **SMALL, reopen_share_per_month=0.1)
    # month 3: 10% of the 200 archived last month reopened (20 GETs) and restored; PUTs = growth 200 + 20 re-archived
    assert f["gets"][3] == pytest.approx(20)
    assert f["puts"][3] == pytest.approx(220)
    assert f["request_usd"][3] == pytest.approx(220 * 0.005 / 1000 + 20 * 0.0004 / 1000)


def test_implied_reopens_follow_the_activity_model():
    # one cohort of 100 users in month 0: reopens in month t = archived at t-1 x P(a visit in the next month)
    users = np.array([100.0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    p = dict(TYPICAL, inactive_months_threshold=3, max_view_count=np.inf)
    f = flows(users, **p)
    conv = 100 * 3
    ages = np.arange(10) + 0.5
    P = archival.eligible_share(ages, 3, np.inf, 2.5, 1.75)
    lam = archival.expected_visits(ages, 2.5, 1.75)
    visit = 1 - np.exp(-(archival.expected_visits(ages + 1, 2.5, 1.75) - lam))
    np.testing.assert_allclose(f["archived_conversations"], conv * P)
    np.testing.assert_allclose(f["gets"][1:], conv * P[:-1] * visit[:-1])
    assert np.all(f["puts"] >= 0)
    # what enters = growth + what left
    np.testing.assert_allclose(f["puts"][1:], np.diff(conv * P) + conv * P[:-1] * visit[:-1])


def test_no_savings_when_archive_costs_the_same_as_hot_storage():
    same = dict(TYPICAL, hot_storage_usd_per_gb_month=0.1, archive_storage_usd_per_gb_month=0.1)
    f = flows(GROWING, **same, policy_start_month=12)
    np.testing.assert_allclose(f["storage_saved_usd"], 0)
    assert np.all(f["net_savings_usd"] <= 0)
    np.testing.assert_allclose(f["net_savings_usd"], -f["request_usd"])
    assert f["net_savings_usd"][12:].min() < 0  # the PUTs are paid for nothing
    # and an archive dearer than hot storage loses money
    dear = flows(GROWING, **dict(same, archive_storage_usd_per_gb_month=0.2), policy_start_month=12)
    assert np.all(dear["net_savings_usd"][13:] < 0)


def test_longer_inactivity_threshold_archives_less():
    thresholds = np.array([1.0, 3.0, 6.0, 9.0, 12.0, 18.0])
    f = flows(GROWING, **dict(TYPICAL, inactive_months_threshold=thresholds))
    share = f["archived_share"][:, -1]
    assert share.shape == (6,)
    assert np.all(np.diff(share) < 0)
    # also age by age
    ages = np.linspace(0, 40, 81)
    by_age = archival.eligible_share(ages, thresholds[:, None], 5, 2.5, 1.75)
    assert np.all(np.diff(by_age, axis=0) <= 1e-15)


def test_more_views_allowed_archives_more():
    f = flows(GROWING, **dict(TYPICAL, max_view_count=np.array([1.0, 2, 5, 10, np.inf])))
    assert np.all(np.diff(f["archived_share"][:, -1]) > 0)


def test_vectorised_equals_one_at_a_time():
    visits = np.array([1.0, 2.5, 4.0])
    half = np.array([0.5, 1.75, 3.0])
    f = flows(GROWING, **dict(TYPICAL, visits_per_month_new=visits, activity_half_life_months=half))
    for i in range(3):
        g = flows(GROWING, **dict(TYPICAL, visits_per_month_new=visits[i],
                                                  activity_half_life_months=half[i]))
        for key in ("archived_gb", "puts", "gets", "net_savings_usd"):
            np.testing.assert_allclose(f[key][i], g[key], rtol=1e-12)
    policy = archival.ArchivalPolicy(**dict(TYPICAL, visits_per_month_new=visits, activity_half_life_months=half))
    np.testing.assert_allclose(policy.net_savings_at(GROWING), f["net_savings_usd"][:, -1])


def test_simulate_and_payback():
    t = archival.ArchivalPolicy(**SMALL).simulate(USERS, engineering_cost_usd=1.5)
    assert list(t.month) == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(t.cumulative_net_usd, np.cumsum(t.net_savings_usd) - 1.5)
    late = archival.ArchivalPolicy(**SMALL).simulate(USERS, engineering_cost_usd=1.5, policy_start_month=3)
    assert np.isnan(late.cumulative_net_usd[:3]).all()
    assert late.cumulative_net_usd.iat[3] == pytest.approx(late.net_savings_usd.iat[3] - 1.5)
    # payback by hand
    assert archival.payback_months([0, 0, 10, 10, 10], 25, policy_start_month=2) == pytest.approx(2.5)
    assert archival.payback_months([0, 0, 10, 10, 10], 25) == pytest.approx(4.5)
    assert np.isnan(archival.payback_months([0, 0, 10, 10, 10], 100))
    assert archival.payback_months([1, 2], 0) == 0.0


def test_price_comparison(roadmap, prices):
    t = archival.price_comparison(roadmap, prices)
    hot, s3 = prices.service("neon_storage").price_usd, prices.service("s3_standard_storage").price_usd
    assert t.loc["list price", "ratio"] == pytest.approx(hot / s3)
    assert t.loc["roadmap", "ratio"] == pytest.approx(roadmap.get("archival.claimed_price_ratio").value)
    assert t.loc["roadmap", "saving_usd_per_gb_month"] == pytest.approx(
        roadmap.get("archival.hot_storage_price").value - roadmap.get("archival.archive_storage_price").value)
    assert "as_of" in t.loc["list price", "source"]


@pytest.mark.parametrize("change,match", [
    ({"hot_storage_usd_per_gb_month": -0.1}, "hot_storage_usd_per_gb_month"),
    ({"reopen_share_per_month": 1.5}, "reopen_share_per_month"),
    ({"activity_half_life_months": 0.0}, "activity_half_life_months"),
    ({"conversations_per_user_month": -2}, "conversations_per_user_month"),
    ({"policy_start_month": 9}, "policy_start_month"),
    ({"visits_per_month_new": np.ones((2, 2))}, "1-D arrays"),
])
def test_bad_inputs_are_input_errors(change, match):
    with pytest.raises(InputError, match=match):
        flows(USERS, **{**SMALL, **change})


def test_bad_users_path():
    with pytest.raises(InputError, match="users"):
        flows(np.array([100.0, -1.0]), **SMALL)


# --- the notebook ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_notebook_responds_to_parameters(tmp_path, prices):
    import papermill as pm

    from voyager_analysis import config, metrics, usage
    from voyager_analysis.nbtools import read_results

    params = dict(inactive_months_threshold=3.0, max_view_count=10.0, hot_storage_usd_per_gb_month=0.05,
                  archive_storage_usd_per_gb_month=0.05, visits_per_month_new=1.5, activity_half_life_months=1.0,
                  conversations_per_user_month=4.0, engineering_hours=10.0, engineering_usd_per_hour=100.0,
                  policy_start_month="2026-01", horizon_months=6, users_growth_per_month=0.05, sobol_n=64)
    out = tmp_path / "06.ipynb"
    pm.execute_notebook(str(config.NOTEBOOKS_DIR / "06_archival.ipynb"), str(out), kernel_name="python3",
                        cwd=str(config.NOTEBOOKS_DIR), progress_bar=False, parameters=params)
    res = read_results(out)
    # equal prices: nothing saved on storage, the requests are a pure loss, never paid back
    assert res["storage_saved_usd"] == 0.0
    assert res["monthly_savings_usd"] == pytest.approx(-res["request_usd"])
    assert res["monthly_savings_usd"] < 0
    assert res["payback_months"] is None
    assert res["engineering_cost_usd"] == 1000.0
    assert res["at_month"] == "2027-05"  # 2025-07..2026-11 in the file, then 6 months
    assert res["policy_start_month"] == "2026-01"
    # the archived share is the package's for the same inputs
    df = metrics.load_metrics(config.EXAMPLE_METRICS_CSV)
    drivers = usage.usage_drivers(df)
    users = np.concatenate([df.users.to_numpy(float), df.users.iat[-1] * 1.05 ** np.arange(1, 7)])
    f = flows(users, new_gb_per_user_month=drivers["new_gb_per_user_month"][0],
                              conversations_per_user_month=4.0, inactive_months_threshold=3.0, max_view_count=10.0,
                              visits_per_month_new=1.5, activity_half_life_months=1.0,
                              hot_storage_usd_per_gb_month=0.05, archive_storage_usd_per_gb_month=0.05,
                              put_usd_per_1000=prices.service("s3_put_requests").price_usd,
                              get_usd_per_1000=prices.service("s3_get_requests").price_usd, policy_start_month=6)
    assert res["archived_share"] == pytest.approx(f["archived_share"][-1])
    assert set(res["sensitivity"]) >= {"visits_per_month_new", "activity_half_life_months", "hot_storage_usd_per_gb_month"}
    for v in res["sensitivity"].values():
        assert {"S1", "S1_conf", "ST", "ST_conf", "basis"} <= set(v)
    # no measured scenario: the activity model is our assumption; storage growth is fitted from the metrics
    assert res["sensitivity"]["activity_half_life_months"]["basis"] == "assumed" and res["measured_inputs"] == {}


# --- the analysis (notebook 06's computation) -----------------------------------------------------------------

def analysis(project, **params):
    return archival.analyse(project, **{"sobol_n": 64, "seed": 1, **params})


def test_analyse_defaults_come_from_the_roadmap_list_prices_and_our_ranges(project):
    a = analysis(project)
    rule, own = project.roadmap["archival"], project.figures("archival")
    p = a.policy
    assert p.inactive_months_threshold == rule["inactive_months"].value
    assert p.max_view_count == rule["max_view_count"].value
    assert p.hot_storage_usd_per_gb_month == project.prices.service("neon_storage").price_usd
    assert p.get_usd_per_1000 == project.prices.service("s3_get_requests").price_usd
    v = own["activity"]["visits_per_month_new"]  # uniform: the middle of its range
    assert p.visits_per_month_new == pytest.approx((v.low + v.high) / 2)
    eng = own["engineering"]
    assert a.engineering_cost_usd == pytest.approx((eng["hours"].low + eng["hours"].high) / 2
                                                   * (eng["usd_per_hour"].low + eng["usd_per_hour"].high) / 2)
    assert p.reopen_share_per_month is None
    # the months: the metrics file, then 24 more; the roadmap's start month lies inside them
    assert len(a.months) == len(project.metrics) + 24 and a.months[0] == project.metrics["month"].iat[0]


def test_parameters_and_scenario_override_the_defaults(project, tmp_path):
    scenario = tmp_path / "dear.yaml"
    scenario.write_text("description: dear storage\noverrides:\n  neon_storage: 1.0\n")
    a = analysis(project, scenario=str(scenario), inactive_months_threshold=3, reopen_share_per_month=0.1)
    got = {r.name: r for r in a.origins}
    assert got["inactive_months_threshold"].value == 3 and got["inactive_months_threshold"].origin == "parameter"
    assert a.policy.hot_storage_usd_per_gb_month == 1.0 and got["hot_storage_usd_per_gb_month"].origin.startswith("scenario")
    assert a.policy.reopen_share_per_month == 0.1


@pytest.mark.parametrize("params,match", [({"max_view_count": -2}, "parameter max_view_count"),
                                          ({"policy_start_month": "1999-01"}, "parameter policy_start_month"),
                                          ({"horizon_months": -1}, "parameter horizon_months"),
                                          ({"inactive_month": 3}, "unknown archival parameter")])
def test_bad_parameters_name_themselves(project, params, match):
    with pytest.raises(InputError, match=match):
        analysis(project, **params)


def test_payback_verdict_follows_the_numbers(project):
    never = analysis(project)  # the shipped data: a few dollars a month against a build of thousands
    assert np.isnan(never.payback_months) and "does **not** pay back" in never.savings_markdown()
    d = never.to_dict()
    assert d["payback_months"] is None and "not covered" in d["payback_months_reason"]
    cheap = analysis(project, engineering_hours=0.01, engineering_usd_per_hour=1.0)
    assert np.isfinite(cheap.payback_months) and "pays back the $0 build after" in cheap.savings_markdown()
    # ROI: net savings from the start over the build cost
    net = cheap.table["net_savings_usd"].iloc[cheap.start:].sum()
    assert cheap.roi == pytest.approx(net / 0.01)


def test_knob_table_halving_the_threshold_archives_more(project):
    knobs = analysis(project).knob_table()
    with_views = knobs[knobs.view_condition != "none"].set_index("inactive_months_threshold")
    assert with_views["archived_share"].is_monotonic_decreasing
    assert (knobs[knobs.view_condition == "none"].archived_share.to_numpy()
            >= with_views.archived_share.to_numpy()).all()  # dropping the view condition never archives less


def test_results_protocol_and_contract(project):
    import json

    from voyager_analysis.contracts.archival import Payload

    a = analysis(project)
    d = a.to_dict()
    json.dumps(d, allow_nan=False)
    p = Payload(**d)
    assert p.monthly_savings_usd == pytest.approx(p.storage_saved_usd - p.request_usd)
    assert p.at_month == a.months[-1] and p.policy_start_month == a.months[a.start]
    assert p.price_ratio_list == pytest.approx(project.prices.service("neon_storage").price_usd
                                               / project.prices.service("s3_standard_storage").price_usd)
    assert html.escape(a.title) in a._repr_html_()
    for fig in (a.plot_eligible_by_age(), a.plot_storage(), a.plot_savings(), a.sensitivity.plot_tornado(), a.sensitivity.plot_sobol()):
        assert fig.axes
