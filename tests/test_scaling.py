"""Sub-linearity: elasticity estimation, its test's size and power, breakpoints, the roadmap's table."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voyager_analysis import scaling
from voyager_analysis.errors import InputError
from tests.conftest import ar1


def logistic_users(n: int, K: float = 120_000.0, r: float = 0.32, t0: float = 16.0) -> np.ndarray:
    t = np.arange(n, dtype=float)
    return K / (1 + np.exp(-r * (t - t0)))


# --- hand-checked cases ------------------------------------------------------------------------------------

def test_exact_power_law_gives_its_exponent():
    users = np.array([100.0, 400.0, 1600.0, 6400.0, 25600.0])
    cost = 3 * users**0.5  # 30, 60, 120, 240, 480: doubling per 4x users -> exponent log2/log4 = 0.5
    res = scaling.fit_elasticity(users, cost)
    assert res.elasticity == pytest.approx(0.5, abs=1e-12)
    assert math.exp(res.intercept) == pytest.approx(3.0, rel=1e-10)
    assert res.ci == pytest.approx((0.5, 0.5), abs=1e-9)
    assert res.verdict == "sub-linear"
    assert res.n == 5 and "only 5 points" in res.warning


def test_exact_proportional_cost_is_linear():
    res = scaling.fit_elasticity([1, 10, 100, 1000], [2, 20, 200, 2000])
    assert res.elasticity == pytest.approx(1.0, abs=1e-12)
    assert res.verdict == "linear"
    assert 0.3 < res.p_value < 0.7  # t = 0 sits in the middle of its null distribution


# --- recovery, size and power ------------------------------------------------------------------------------

def test_beta_08_with_autocorrelated_noise_is_sub_linear():
    users = logistic_users(17)
    covered = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        cost = 0.5 * users**0.8 * np.exp(ar1(rng, 17, 0.5, 0.08))
        res = scaling.fit_elasticity(users, cost, seed=seed, n_boot=500)
        assert res.verdict == "sub-linear", (seed, res.elasticity, res.p_value)
        covered += res.ci[0] <= 0.8 <= res.ci[1]
    assert covered >= 17  # 95% intervals; fixed-b keeps coverage near nominal under AR(1) noise


def test_beta_1_is_not_sub_linear_and_super_linear_is_detected():
    users = logistic_users(20)
    rng = np.random.default_rng(7)
    noise = np.exp(rng.normal(0, 0.02, 20))
    assert scaling.fit_elasticity(users, 0.4 * users * noise).verdict == "linear"
    assert scaling.fit_elasticity(users, 0.4 * users**1.3 * noise).verdict == "super-linear"
    noisy = scaling.fit_elasticity(users[:6], 0.4 * users[:6] * np.exp(rng.normal(0, 0.8, 6)))
    assert noisy.verdict == "inconclusive"


def _rejection_rate(n: int, rho: float, seeds: int, maxlags=None) -> float:
    users = logistic_users(n, t0=n * 0.6)
    hits = 0
    for seed in range(seeds):
        rng = np.random.default_rng(1000 + seed)
        cost = 0.4 * users * np.exp(ar1(rng, n, rho, 0.1))
        res = scaling.fit_elasticity(users, cost, seed=seed, n_boot=0, n_sim=1000, hac_maxlags=maxlags)
        hits += res.verdict == "sub-linear"
    return hits / seeds


def test_false_positive_rate_near_alpha_with_white_noise():
    rate = _rejection_rate(24, 0.0, 300)
    assert 0.02 <= rate <= 0.09, rate


def test_false_positive_rate_not_inflated_by_ar1_noise():
    rate = _rejection_rate(24, 0.5, 300)
    assert rate <= 0.10, rate


def test_textbook_newey_west_would_be_inflated_by_the_same_noise():
    """The check above can fail: plug-in lags with t critical values reject far more than alpha."""
    from scipy import stats
    from statsmodels.regression.linear_model import OLS

    n = 24
    users = logistic_users(n, t0=n * 0.6)
    X = np.column_stack([np.ones(n), np.log(users)])
    lags = int(4 * (n / 100) ** (2 / 9))  # the Newey-West (1994) rule of thumb: 2
    hits = 0
    for seed in range(300):
        rng = np.random.default_rng(1000 + seed)
        y = np.log(0.4 * users) + ar1(rng, n, 0.5, 0.1)
        res = OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
        t = (res.params[1] - 1) / res.bse[1]
        hits += stats.t.cdf(t, n - 2) < 0.05
    assert hits / 300 > 0.12


def test_bootstrap_interval_covers_truth_in_most_seeds():
    users = logistic_users(24, t0=14)
    covered = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        res = scaling.fit_elasticity(users, users**0.8 * np.exp(rng.normal(0, 0.1, 24)), seed=seed, n_boot=1000)
        covered += res.ci_bootstrap[0] <= 0.8 <= res.ci_bootstrap[1]
    assert covered >= 32  # 95% nominal; residual bootstraps run a little narrow in small samples


def test_same_seed_same_numbers():
    users = logistic_users(15)
    cost = users**0.9 * np.exp(np.random.default_rng(1).normal(0, 0.1, 15))
    a = scaling.fit_elasticity(users, cost, seed=5)
    b = scaling.fit_elasticity(users, cost, seed=5)
    c = scaling.fit_elasticity(users, cost, seed=6)
    assert a.to_dict() == b.to_dict() and a.ci_bootstrap == b.ci_bootstrap
    assert a.ci_bootstrap != c.ci_bootstrap


# --- bad input ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("users, cost, words", [
    ([1, 2, 3], [1, 2, 3], "at least 4 points"),
    ([1, 2, 3, 4], [1, 0, 3, 4], "value 2 of 4 is 0"),
    ([1, 2, -3, 4], [1, 2, 3, 4], "value 3 of 4 is -3"),
    ([1, 2, 3, 4], [1, 2, float("nan"), 4], "missing or not finite"),
    ([5, 5, 5, 5], [1, 2, 3, 4], "constant series"),
    ([1, 2, 3, 4], [7, 7, 7, 7], "constant series"),
    ([1, 2, 3, 4, 5], [1, 2, 3, 4], "differ in length"),
])
def test_bad_input_is_a_clear_error(users, cost, words):
    with pytest.raises(InputError, match=words):
        scaling.fit_elasticity(users, cost)


def test_bad_alpha_and_lags():
    with pytest.raises(InputError, match="alpha"):
        scaling.fit_elasticity([1, 2, 3, 4], [1, 2, 3, 5], alpha=0.7)
    with pytest.raises(InputError, match="hac_maxlags"):
        scaling.fit_elasticity([1, 2, 3, 4], [1, 2, 3, 5], hac_maxlags=9)


# --- breakpoints -------------------------------------------------------------------------------------------

def test_breakpoint_exact_hinge_is_recovered():
    users = np.geomspace(1000, 100_000, 15)
    x, c = np.log(users), np.log(users[6])
    cost = np.exp(1.0 + 0.5 * x + (1.2 - 0.5) * np.maximum(0, x - c))
    res = scaling.breakpoint_search(users, cost, n_boot=199)
    assert res.users_at_break == pytest.approx(users[6])
    assert (res.slope_below, res.slope_above) == pytest.approx((0.5, 1.2))
    assert res.aicc_two < res.aicc_one


def test_breakpoint_detected_in_noisy_hinge_and_not_in_a_power_law():
    users = logistic_users(24, t0=12)
    x, c = np.log(users), np.log(10_000)
    found = false_alarms = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        noise = rng.normal(0, 0.05, 24)
        hinge = scaling.breakpoint_search(users, np.exp(0.5 * x + 0.8 * np.maximum(0, x - c) + noise),
                                          seed=seed, n_boot=199)
        found += hinge.significant and 5_000 < hinge.users_at_break < 20_000
        plain = scaling.breakpoint_search(users, np.exp(0.8 * x + noise), seed=seed, n_boot=199)
        false_alarms += plain.significant
    assert found >= 18
    assert false_alarms <= 3


def test_breakpoint_with_too_few_points_is_reported_not_raised():
    res = scaling.breakpoint_search([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 7], min_segment=5)
    assert not res.tested and "no break" in res.reason and not res.significant
    assert "not tested" in str(res)


# --- the roadmap's own table and the metrics report ---------------------------------------------------------

def test_roadmap_cost_table_reads_the_yaml(roadmap):
    table = scaling.roadmap_cost_table(roadmap)
    rows = roadmap.get("cost_projection.rows")
    assert len(table) == len(rows) == 7
    for key, r in rows.items():
        got = table.set_index("row").loc[key]
        assert (got.users, got.cost_usd, got.revenue_usd, got.margin) == (
            r["users"].value, r["cost"].value, r["revenue"].value, r["margin"].value)
    assert table["users"].is_monotonic_increasing


def test_roadmap_elasticity_matches_a_hand_computed_slope(roadmap):
    table = scaling.roadmap_cost_table(roadmap)
    x, y = np.log(table.users.to_numpy()), np.log(table.cost_usd.to_numpy())
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    res = scaling.roadmap_elasticity(roadmap)
    assert res.elasticity == pytest.approx(slope, rel=1e-12)
    assert res.n == 7
    assert "only 7 points" in res.warning and "not observations" in res.warning
    assert "caution" in res.to_dict()["method"]
    assert res.verdict in scaling.VERDICTS


def test_scaling_report_on_the_example(example_metrics):
    rep = scaling.scaling_report(example_metrics, n_boot=500).to_dict()
    assert set(rep) == {"total", "components", "breakpoint"}
    assert set(rep["total"]) == {"elasticity", "ci", "p_value", "verdict", "method", "n"}
    assert rep["total"]["n"] == len(example_metrics)
    comps = rep["components"]
    # The synthetic company's bills charge Upstash in exact proportion to users (times 3% noise) and Stripe per
    # charge: elasticity 1. One 95% interval may miss 1 by chance, so the estimate is checked, not the interval.
    for name in ("upstash", "stripe"):
        assert abs(comps[name]["elasticity"] - 1.0) < 0.05, (name, comps[name])
        assert comps[name]["verdict"] != "sub-linear"
    # A fixed plan fee plus a per-user part is sub-linear:
    assert comps["monitoring"]["verdict"] == "sub-linear"
    # Search is billed in only 2 months: flagged with a reason, not fitted.
    assert comps["search"]["verdict"] == "not tested" and "2 month" in comps["search"]["reason"]
    assert "positive bill" in comps["inngest"]["method"]
    assert rep["breakpoint"]["tested"] is True


def test_scaling_report_names_the_file_on_bad_total(example_metrics):
    df = example_metrics.copy()
    for col in [c for c in df.columns if c.startswith("cost_")]:
        df[col] = 0.0
    with pytest.raises(InputError, match="total cost vs users"):
        scaling.scaling_report(df)


def test_result_objects_read_well():
    users = logistic_users(14)
    res = scaling.fit_elasticity(users, users**0.7 * np.exp(np.random.default_rng(0).normal(0, 0.05, 14)))
    text = str(res)
    assert "H0: b >= 1" in text and res.verdict in text
    assert "<table" in res._repr_html_()
    s = res.summary()
    assert list(s.index) == ["elasticity"] and s.loc["elasticity", "estimate"] == res.elasticity
    band = res.fitted_band()
    assert np.all(band.lower <= band.cost_usd) and np.all(band.cost_usd <= band.upper)
