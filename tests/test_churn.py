"""churn: whole billing periods from timestamps (by hand), recovery of a known churn process per tier, the bias
of ignoring censoring, the JSON shape of the issue, one-line errors."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from voyager_analysis import churn
from voyager_analysis.errors import InputError
from voyager_analysis.sources.example_events import EventTruth, example_events
from voyager_analysis.stats.survival import sbg_equivalent_churn

TRUTH = {"pro": (0.9, 6.0), "max": (1.5, 12.0)}  # (alpha, beta) of the sBG generating each tier


def test_whole_months_by_hand():
    s = pd.to_datetime(["2025-01-31 00:00", "2025-01-15 12:00", "2025-01-15 12:00"], utc=True)
    e = pd.to_datetime(["2025-02-28 00:00", "2025-03-15 11:59", "2025-03-15 12:00"], utc=True)
    assert churn.whole_months(s, e).tolist() == [0, 1, 2]


def test_subscription_periods_by_hand():
    subs = pd.DataFrame({
        "tier": ["pro", "pro", "max", "pro", "pro", "pro", "max"],
        "started_at": ["2025-01-10", "2025-01-10", "2025-02-01", "2025-03-05", "2025-06-01", "2025-01-20",
                       "2025-04-10"],
        "ended_at": ["2025-04-10", None, "2025-02-20", "2025-05-05", None, "2025-04-25", "2025-04-20"],
    })
    frame, as_of = churn.subscription_periods(subs, "2025-05-01")
    # 1: ended Apr 10 after 3 full periods -> churned, 3 paid. 2: active, 3 renewals (Feb, Mar, Apr 10) ->
    # censored at 3. 3: cancelled inside its first period, which ended Mar 1 -> churned, 1 paid. 4: ends after
    # as_of -> censored at 1 (renewed Apr 5). 5: starts after as_of -> left out. 6: cancelled Apr 25 inside its
    # 4th period (Apr 20 - May 20), unfinished at as_of -> censored at its 3 completed periods, like the
    # subscribers of that period who have not cancelled yet. 7: cancelled inside its unfinished first period ->
    # censored at 0.
    assert frame["periods"].tolist() == [3, 3, 1, 1, 3, 0]
    assert frame["churned"].tolist() == [True, False, True, False, False, False]
    assert str(as_of.date()) == "2025-05-01"


def simulate_subscriptions(seed: int, n: int = 2500, window: int = 30) -> pd.DataFrame:
    """Subscribers start uniformly over ``window`` months before 2026-01-01; per tier theta ~ Beta(alpha, beta)
    and the subscription lasts a geometric(theta) number of monthly periods."""
    rng = np.random.default_rng(seed)
    rows = []
    as_of = pd.Timestamp("2026-01-01", tz="UTC")
    for tier, (a, b) in TRUTH.items():
        theta = rng.beta(a, b, n)
        life = np.minimum(rng.geometric(theta), window + 2)  # longer ones are censored anyway
        start = as_of - pd.to_timedelta(rng.uniform(0, window * 30.4, n), unit="D")
        start = start.floor("D")
        end = pd.DatetimeIndex([s + pd.DateOffset(months=int(k)) for s, k in zip(start, life)])
        rows.append(pd.DataFrame({"tier": tier, "started_at": start, "ended_at": end.where(end <= as_of)}))
    return pd.concat(rows, ignore_index=True)


def _covered(seed: int) -> int:
    res = churn.churn_from_subscriptions(simulate_subscriptions(seed), "2026-01-01")
    hits = 0
    for tier, (a, b) in TRUTH.items():
        t = res.tiers[tier]
        true_churn = sbg_equivalent_churn(a, b, churn.HORIZON_MONTHS)
        hits += t.sbg.alpha_ci[0] <= a <= t.sbg.alpha_ci[1]
        hits += t.sbg.beta_ci[0] <= b <= t.sbg.beta_ci[1]
        hits += t.monthly_churn[1] <= true_churn <= t.monthly_churn[2]
    return hits


def test_recovery_one_seed():
    assert _covered(2) == 6


@pytest.mark.slow
def test_recovery_coverage_over_seeds():
    hits = [_covered(seed) for seed in range(20)]
    assert sum(hits) >= 0.9 * 6 * 20  # each estimate inside its 95% interval in >= 90% of the cases


def test_ignoring_censoring_overstates_churn():
    """'Churn = 1 / mean completed lifetime' uses only the subscriptions that ended: far above the truth and
    above the interval of the censoring-aware estimate, which covers the truth."""
    subs = simulate_subscriptions(7)
    frame, _ = churn.subscription_periods(subs, "2026-01-01")
    res = churn.churn_by_tier(frame, as_of="2026-01-01")
    pro = frame[(frame["tier"] == "pro") & frame["churned"]]
    naive = 1.0 / pro["periods"].mean()
    truth = sbg_equivalent_churn(*TRUTH["pro"], churn.HORIZON_MONTHS)
    est, low, high = res.tiers["pro"].monthly_churn
    assert low <= truth <= high
    assert naive > high and naive > 1.5 * truth


def test_json_shape_of_the_issue():
    res = churn.churn_from_subscriptions(simulate_subscriptions(3, n=400), "2026-01-01")
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["as_of"].startswith("2026-01-01")
    for tier in ("pro", "max"):
        t = d["tiers"][tier]
        assert t["n"] == res.tiers[tier].n == 400
        assert set(t["kaplan_meier"][0]) == {"period", "survival", "low", "high", "at_risk"}
        assert t["kaplan_meier"][0]["period"] == 1
        assert set(t["sbg"]) >= {"alpha", "beta", "alpha_ci", "beta_ci", "loglik"}
        assert set(t["monthly_churn"]) == {"estimate", "low", "high"}
        assert t["monthly_churn"]["low"] < t["monthly_churn"]["estimate"] < t["monthly_churn"]["high"]
    assert "pro" in res._repr_html_()
    assert res.summary().loc["pro", "subscriptions"] == res.tiers["pro"].n
    fig = res.plot_survival()
    assert len(fig.axes[0].lines) >= 2


def test_no_cancellations_gives_a_reason_not_a_crash():
    frame = pd.DataFrame({"tier": ["pro"] * 3, "periods": [1, 2, 3], "churned": [False] * 3})
    res = churn.churn_by_tier(frame, as_of="2026-01-01", tiers=("pro",))
    d = res.to_dict()["tiers"]["pro"]
    assert d["sbg"] is None and "churned" in d["sbg_reason"]
    json.dumps(d, allow_nan=False)


def test_bad_input_one_line():
    subs = simulate_subscriptions(1, n=50)
    with pytest.raises(InputError, match="before the first subscription") as e:
        churn.churn_from_subscriptions(subs, "2020-01-01")
    assert "\n" not in str(e.value)
    with pytest.raises(InputError, match="tier 'max' has no subscriptions"):
        churn.churn_from_subscriptions(subs[subs["tier"] == "pro"], "2026-01-01")
    with pytest.raises(InputError, match="--as-of"):
        churn.churn_from_subscriptions(subs, "yesterday-ish")


def test_geometric_churn_by_hand_and_by_recovery():
    # lifetimes 1 (churned), 2 (censored), 3 (churned): D = 2 churned, F = 0 + 2 + 2 = 4 survived periods,
    # theta = 2 / 6; information D / theta^2 + F / (1 - theta)^2 = 18 + 9 = 27, se(logit) = sqrt(1/27) / (2/9)
    est, low, high = churn.geometric_churn([1, 2, 3], [True, False, True])
    assert est == pytest.approx(1 / 3)
    se = math.sqrt(1 / 27) / (2 / 9)
    assert low == pytest.approx(1 / (1 + 2 * math.exp(1.959964 * se)), rel=1e-5)
    assert high == pytest.approx(1 / (1 + 2 * math.exp(-1.959964 * se)), rel=1e-5)
    # counts weight the rows like repeated rows
    assert churn.geometric_churn([1, 3], [True, True], [2, 1]) == pytest.approx(
        churn.geometric_churn([1, 1, 3], [True, True, True]))
    # geometric lifetimes at theta = 0.08, censored at a uniform follow-up: the truth is in the 95% interval in
    # at least 18 of 20 seeds
    theta, hits = 0.08, 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        life = rng.geometric(theta, 2000)
        follow = rng.integers(1, 30, 2000)
        est, low, high = churn.geometric_churn(np.minimum(life, follow), life <= follow)
        hits += low <= theta <= high
    assert hits >= 18


def test_churn_on_the_geometric_ridge_does_not_depend_on_row_order():
    """Constant churn (no heterogeneity): the sBG's maximum is on its geometric limit, where the optimiser's end
    point is arbitrary; the monthly churn then comes from the geometric model and every row order agrees."""
    rng = np.random.default_rng(5)
    life = rng.geometric(0.08, 3000)
    follow = rng.integers(1, 20, 3000)
    frame = pd.DataFrame({"tier": "pro", "periods": np.minimum(life, follow), "churned": life <= follow})
    frame = frame.groupby(["tier", "periods", "churned"], as_index=False).size().rename(columns={"size": "count"})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs = [churn.churn_by_tier(f, as_of="2026-01-01", tiers=("pro",)).tiers["pro"]
                for f in (frame, frame.iloc[::-1], frame.sample(frac=1, random_state=2))]
    geometric = [t for t in runs if t.monthly_churn_model == "geometric"]
    expected = churn.geometric_churn(frame["periods"], frame["churned"], frame["count"])
    for t in geometric:
        assert t.monthly_churn == pytest.approx(expected)
    for t in runs:  # whichever model gave it, the interval is finite and holds the truth
        truth = 0.08  # a constant churn is its own horizon-matched churn
        assert all(np.isfinite(t.monthly_churn)) and t.monthly_churn[1] <= truth <= t.monthly_churn[2]


def _covered_by_the_synthetic_company(seed: int) -> int:
    """Tiers (of 2) whose monthly churn interval holds the generator's per-period churn, on a smaller synthetic
    company (20,000 users over 12 months: ~1,100 Pro and ~190 Max subscriptions, cancelled at any time of
    the month, still active ones censored at the latest event)."""
    import warnings

    truth = replace(EventTruth(), n_users=20_000)
    subs = example_events(truth, seed=seed)["subscriptions"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sBG on its geometric ridge warns; the geometric model answers
        res = churn.churn_from_subscriptions(subs)
    return sum(res.tiers[t].monthly_churn[1] <= truth.churn_per_period(t) <= res.tiers[t].monthly_churn[2]
               for t in churn.TIERS)


def test_synthetic_company_churn_recovered_one_seed():
    """Issue: Pro measured 0.089 [0.085, 0.094] against a per-period truth of 0.077. Cancellations inside the
    unfinished current period counted as churn (their non-cancelling peers counted nothing) and the churn was
    matched to a steady state instead of the stock after 36 months; both fixed, the truth is covered."""
    assert _covered_by_the_synthetic_company(2) == 2


@pytest.mark.slow
def test_synthetic_company_churn_coverage_over_seeds():
    hits = [_covered_by_the_synthetic_company(seed) for seed in range(20)]
    assert sum(hits) >= 0.9 * 2 * 20
