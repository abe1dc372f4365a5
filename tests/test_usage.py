"""Usage curves: recovery of known activity, storage and Sonnet-share parameters; the cost drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from voyager_analysis import usage
from voyager_analysis.errors import InputError
from voyager_analysis.sources.example_events import COMPANY as TRUTH

#: What the synthetic company's generating parameters imply for the monthly table (the example's truth).
GB_PER_MESSAGE = TRUTH.bytes_per_token * (TRUTH.input_tokens_mean + TRUTH.output_tokens_mean) / 1e9
INPUT_TOKENS_PER_MESSAGE = (TRUTH.input_tokens_mean + TRUTH.cache_read_share * TRUTH.cache_read_tokens_mean
                            + TRUTH.cache_write_share * TRUTH.cache_write_tokens_mean)


def frame(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    months = [f"{2025 + (6 + i) // 12}-{(6 + i) % 12 + 1:02d}" for i in range(n)]
    df = pd.DataFrame({"month": months, **{k: np.asarray(v, dtype=float) for k, v in cols.items()}})
    df.attrs["source"] = "synthetic.csv"
    return df


def logistic_users(n: int) -> np.ndarray:
    t = np.arange(n, dtype=float)
    return np.round(120_000 / (1 + np.exp(-0.32 * (t - 14))))


# --- storage -----------------------------------------------------------------------------------------------

def test_storage_recovers_the_example_truth(example_metrics):
    fit = usage.fit_storage(example_metrics)
    lo, hi = fit.gb_per_message_ci
    truth = GB_PER_MESSAGE  # a conversation stores its messages' input + output tokens x bytes per token
    assert lo <= truth <= hi and hi - lo < 0.05 * truth
    last = example_metrics.iloc[-1]
    assert fit.hot_gb_per_user == pytest.approx(last.storage_gb / last.users)
    assert fit.archived_share == pytest.approx(last.archived_gb / (last.storage_gb + last.archived_gb))
    assert fit.new_gb_per_user_month == pytest.approx(fit.gb_per_message * last.messages / last.users)
    assert list(fit.summary().index) == ["gb_per_message", "new_gb_per_user_month", "hot_gb_per_user",
                                       "archived_share"]


def test_storage_interval_covers_truth_under_noise():
    n, g = 24, 3e-6
    covered = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        users = logistic_users(n)
        messages = np.round(users * 40 * np.exp(rng.normal(0, 0.05, n)))
        written = g * messages * np.exp(rng.normal(0, 0.1, n))  # GB written each month, noisy
        total = np.cumsum(written)
        archived = np.where(np.arange(n) > 12, 0.5 * total, 0.0)
        df = frame(users=users, messages=messages, storage_gb=total - archived, archived_gb=archived)
        lo, hi = usage.fit_storage(df, seed=seed).gb_per_message_ci
        covered += lo <= g <= hi
    assert covered >= 17


def test_storage_projection_by_hand():
    df = frame(users=[10, 20, 30, 40, 50], messages=[100, 200, 300, 400, 500],
               storage_gb=[1.0, 1.2, 1.5, 1.9, 2.4])  # grows 0.2, 0.3, 0.4, 0.5 GB for 200..500 msgs
    fit = usage.fit_storage(df)
    assert fit.gb_per_message == pytest.approx(0.001)  # exactly 1 MB per message
    assert fit.archived_share == 0.0
    proj = fit.project_storage_gb([100, 200], messages_per_user_month=10)
    # month 1: 100 users x 10 msgs x 0.001 GB = 1.0 GB new, total 2.4 + 1.0; month 2: +2.0 GB
    assert proj["new_gb"].tolist() == pytest.approx([1.0, 2.0])
    assert proj["total_gb"].tolist() == pytest.approx([3.4, 5.4])
    arch = fit.project_storage_gb([100, 200, 300], messages_per_user_month=10, archive_after_months=1)
    # with a 1-month window only the latest month's writes stay hot (today's 2.4 GB leaves after month 1)
    assert arch["hot_gb"].tolist() == pytest.approx([2.4 + 1.0, 2.0, 3.0])
    assert arch["archived_gb"].tolist() == pytest.approx([0.0, 3.4, 5.4])


def test_storage_errors():
    with pytest.raises(InputError, match="synthetic.csv: column 'storage_gb' is needed"):
        usage.fit_storage(frame(users=[1, 2, 3, 4, 5], messages=[1, 2, 3, 4, 5]))
    with pytest.raises(InputError, match="never grows"):
        usage.fit_storage(frame(users=[1, 2, 3, 4, 5, 6], messages=[1, 2, 3, 4, 5, 6], storage_gb=[5, 4, 3, 2, 1, 1]))
    with pytest.raises(InputError, match="at least 5 months"):
        usage.fit_storage(frame(users=[1, 2, 3, 4], messages=[1, 2, 3, 4], storage_gb=[1, 2, 3, 4]))


# --- activity ----------------------------------------------------------------------------------------------

def test_activity_recovers_scale_elasticity_and_time_trend():
    n = 30
    users = logistic_users(n)
    t = np.arange(n)
    hits_b = hits_c = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        per_user = 50 * (users / 1e4) ** -0.15 * np.exp(0.01 * t + rng.normal(0, 0.05, n))
        fit = usage.fit_activity(frame(users=users, messages=np.round(users * per_user)), "messages", seed=seed)
        lo, hi = fit.elasticity_ci
        hits_b += lo <= -0.15 <= hi
        lo, hi = fit.reg.coef("t_months")["ci"]
        hits_c += lo <= 0.01 <= hi
    assert hits_b >= 17 and hits_c >= 17


def test_activity_exact_data_by_hand():
    users = np.array([100.0, 1000.0, 10000.0, 100000.0, 30000.0])
    msgs = users * 20 * (users / 100) ** -0.1  # per user: 20, 20*10^-0.1, ...
    fit = usage.fit_activity(frame(users=users, messages=msgs), time=False)
    assert fit.elasticity == pytest.approx(-0.1, abs=1e-10)
    assert fit.predict_per_user([100.0])[0] == pytest.approx(20.0)
    est, lo, hi = fit.per_user_interval(users=1000)
    assert est == pytest.approx(20 * 10**-0.1) and lo == pytest.approx(est) and hi == pytest.approx(est)


def test_activity_on_the_example_covers_its_truth(example_metrics):
    """Messages per active user start at the signup month's mean and grow with tenure, never beyond the
    longest tenure's mean; the company has no scale effect beyond that, so the elasticity is small."""
    fit = usage.fit_activity(example_metrics, "messages", time=False)
    lo, hi = fit.elasticity_ci
    assert -0.1 < lo <= hi < 0.1
    longest = TRUTH.messages_per_active_month * (1 + TRUTH.messages_tenure_growth) ** (TRUTH.n_months - 1)
    est, lo, hi = fit.per_user_interval(users=example_metrics.users.iat[-1])
    assert TRUTH.messages_per_active_month < lo <= est <= hi < longest
    with pytest.raises(InputError, match="did you mean 'messages'"):
        usage.fit_activity(example_metrics, "mesages")


# --- Sonnet share ------------------------------------------------------------------------------------------

def test_sonnet_share_trend_on_the_example(example_metrics):
    lin = usage.fit_sonnet_share(example_metrics)
    lo, hi = lin.slope_ci
    assert lo <= 0.0 <= hi  # the company's Sonnet share is constant
    est, lo, hi = lin.share_interval()
    assert lo <= TRUTH.sonnet_share <= hi
    logit = usage.fit_sonnet_share(example_metrics, link="logit")
    assert abs(logit.slope_per_month) < 0.01
    far = logit.predict([0, 100, 1000])
    assert np.all((far > 0) & (far < 1))
    assert 0.0 <= lin.predict([10_000])[0] <= 1.0  # a linear trend is clipped to 0-1


def test_sonnet_share_exact_line():
    df = frame(users=[1, 2, 3, 4, 5], sonnet_share=[0.5, 0.48, 0.46, 0.44, 0.42])
    fit = usage.fit_sonnet_share(df)
    assert fit.slope_per_month == pytest.approx(-0.02)
    assert fit.predict([10])[0] == pytest.approx(0.3)
    with pytest.raises(InputError, match="link"):
        usage.fit_sonnet_share(df, link="probit")


# --- drivers -----------------------------------------------------------------------------------------------

def test_usage_drivers_cover_the_example_truth(example_metrics):
    d = usage.usage_drivers(example_metrics)
    assert list(d) == list(usage.DRIVERS)
    for name, (est, lo, hi) in d.items():
        assert lo <= est <= hi, name
    truth = {
        "input_tokens_per_message": INPUT_TOKENS_PER_MESSAGE,
        "output_tokens_per_message": TRUTH.output_tokens_mean,
        "searches_per_user_month": TRUTH.searches_per_active_month,
        "sonnet_share": TRUTH.sonnet_share,
    }
    for name, value in truth.items():
        est, lo, hi = d[name]
        assert lo <= value <= hi, (name, value, d[name])
    est, lo, hi = d["messages_per_user_month"]
    assert TRUTH.messages_per_active_month < lo <= hi < 2 * TRUTH.messages_per_active_month
    est, lo, hi = d["new_gb_per_user_month"]
    observed_mpu = example_metrics.messages.iat[-1] / example_metrics.users.iat[-1]
    assert lo <= GB_PER_MESSAGE * observed_mpu <= hi
    table = usage.drivers_frame(d)
    assert list(table.columns) == ["estimate", "low", "high", "unit"]


def test_usage_drivers_name_missing_columns(example_metrics):
    with pytest.raises(InputError, match="searches"):
        usage.usage_drivers(example_metrics.drop(columns=["searches"]))
