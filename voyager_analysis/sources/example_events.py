"""The synthetic company: a seeded, clearly labelled event set with known generating parameters.

Signups follow a logistic growth curve; a user is active in their signup month and then with a probability
that decays with tenure towards a floor; active users send a negative-binomial number of messages whose
mean grows with tenure; each message picks Haiku or Sonnet, uses the prompt cache and the batch API with
fixed probabilities; messages group into conversations, which are viewed less as they age and are archived
once unviewed for a while; a share of users converts to Pro or Max some days after signup and churns at a
monthly hazard per tier (a continuous rate; :meth:`EventTruth.churn_per_period` is the probability per
billing period). :class:`EventTruth` holds every parameter; ``truth.json`` beside the tables records them, so
measured-behaviour code can be tested by recovering them.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from voyager_analysis import config
from voyager_analysis.errors import InputError
from voyager_analysis.months import month_number, month_str

LABEL = "SYNTHETIC EXAMPLE EVENTS - not observed data (voyager-analysis example-events)"
HAIKU, SONNET = "claude-haiku-4-5", "claude-sonnet-4-5"
DAY_S = 86_400
MONTH_DAYS = 30.4375


@dataclass(frozen=True)
class EventTruth:
    """The generating parameters (the truth the measured-behaviour tests recover)."""

    start_month: str = "2025-07"
    n_months: int = 12
    n_users: int = 600
    growth_r: float = 0.35  # logistic rate of cumulative signups, per month
    growth_t0_share: float = 0.8  # inflection as a share of the period
    never_active_share: float = 0.1  # users who sign up and never send a message
    active_floor: float = 0.3  # long-run monthly activity probability after signup month
    active_decay_months: float = 3.0  # e-folding time of the activity decay with tenure
    messages_per_active_month: float = 20.0  # mean in the signup month
    messages_tenure_growth: float = 0.04  # per month of tenure, multiplicative
    messages_dispersion: float = 2.0  # negative-binomial shape (smaller = more spread)
    sonnet_share: float = 0.35
    cache_read_share: float = 0.4  # share of messages reading the prompt cache
    cache_write_share: float = 0.1
    batch_share: float = 0.05
    input_tokens_mean: float = 1100.0  # uncached input per message (log-normal, sigma below)
    cache_read_tokens_mean: float = 2000.0
    cache_write_tokens_mean: float = 1500.0
    output_tokens_mean: float = 400.0
    tokens_sigma: float = 0.5
    messages_per_conversation: float = 5.0
    bytes_per_token: float = 4.0
    views_per_conversation: float = 3.0
    view_lifetime_days: float = 20.0  # mean time from creation to the last view
    archive_after_days: float = 60.0  # a monthly job archives conversations unviewed this long
    pro_conversion: float = 0.06
    max_conversion: float = 0.01
    conversion_delay_days: float = 20.0
    # churn hazards per month (continuous): a subscription lasts an exponential time with this rate, so it
    # churns in a given monthly billing period with probability 1 - exp(-hazard) (0.077 for Pro, 0.049 for
    # Max), which is what a per-period estimate recovers (:meth:`churn_per_period`)
    pro_monthly_churn: float = 0.08
    max_monthly_churn: float = 0.05
    searches_per_active_month: float = 3.0
    pro_price_usd: float | None = None  # None: the roadmap's price
    max_price_usd: float | None = None

    def churn_per_period(self, tier: str) -> float:
        """The probability that a ``tier`` subscription ends in a given monthly billing period: ``1 - exp(-h)``
        for the tier's monthly hazard h (the revenue model's ``monthly_churn`` unit)."""
        return -math.expm1(-{"pro": self.pro_monthly_churn, "max": self.max_monthly_churn}[tier])


#: The shipped synthetic company (``voyager-analysis example-data``): 105,000 signups over 17 months from 2025-07,
#: still accelerating at the end (inflection at the last month), about 57,000 monthly active users in the last month.
COMPANY = EventTruth(n_users=105_000, n_months=17, growth_t0_share=1.0)


def example_events(truth: EventTruth = EventTruth(), seed: int = config.DEFAULT_SEED) -> dict:
    """The event tables (pandas DataFrames, timestamps UTC to the second) generated from ``truth``."""
    import pandas as pd

    tr = _with_prices(truth)
    rng = np.random.default_rng(seed)
    m0 = int(month_number([tr.start_month])[0])
    starts = np.array([np.datetime64(f"{month_str(m0 + i)}-01T00:00:00", "s") for i in range(tr.n_months + 1)])
    t0 = starts.astype(np.int64)  # month starts, epoch seconds
    end = t0[-1]

    # signups: increments of a logistic curve
    x = np.arange(tr.n_months + 1)
    cum = 1 / (1 + np.exp(-tr.growth_r * (x - tr.growth_t0_share * tr.n_months)))
    per_month = rng.multinomial(tr.n_users, np.diff(cum) / np.diff(cum).sum())
    u_month = np.repeat(np.arange(tr.n_months), per_month)
    u_signup = t0[u_month] + (rng.random(tr.n_users) * (t0[u_month + 1] - t0[u_month])).astype(np.int64)
    n = tr.n_users

    # active user-months
    ever = rng.random(n) >= tr.never_active_share
    pu, pm = np.nonzero((np.arange(tr.n_months)[None, :] >= u_month[:, None]) & ever[:, None])
    tenure = pm - u_month[pu]
    p_active = np.where(tenure == 0, 1.0,
                        tr.active_floor + (1 - tr.active_floor) * np.exp(-tenure / tr.active_decay_months))
    keep = rng.random(len(pu)) < p_active
    pu, pm, tenure = pu[keep], pm[keep], tenure[keep]
    mean = tr.messages_per_active_month * (1 + tr.messages_tenure_growth) ** tenure
    k = np.maximum(rng.negative_binomial(tr.messages_dispersion, tr.messages_dispersion / (tr.messages_dispersion + mean)), 1)

    # messages
    pair = np.repeat(np.arange(len(pu)), k)
    lo = np.maximum(t0[pm], u_signup[pu])[pair]
    hi = t0[pm + 1][pair]
    when = lo + (rng.random(len(pair)) * (hi - lo)).astype(np.int64)
    nm = len(pair)
    lognormal = lambda m: np.round(rng.lognormal(np.log(m) - tr.tokens_sigma ** 2 / 2, tr.tokens_sigma, nm))  # noqa: E731
    inp = lognormal(tr.input_tokens_mean).astype(np.int64)
    cread = np.where(rng.random(nm) < tr.cache_read_share, lognormal(tr.cache_read_tokens_mean), 0).astype(np.int64)
    cwrite = np.where(rng.random(nm) < tr.cache_write_share, lognormal(tr.cache_write_tokens_mean), 0).astype(np.int64)
    out = lognormal(tr.output_tokens_mean).astype(np.int64)

    # conversations: within a user-month, messages spread over 1 + Binomial(k-1, 1/mpc) conversations
    n_conv = 1 + rng.binomial(k - 1, 1 / tr.messages_per_conversation)
    conv_of = np.repeat(np.cumsum(n_conv) - n_conv, k) + (rng.random(nm) * np.repeat(n_conv, k)).astype(np.int64)
    used, conv_idx = np.unique(conv_of, return_inverse=True)
    nc = len(used)
    c_created = np.full(nc, end)
    np.minimum.at(c_created, conv_idx, when)
    c_bytes = np.zeros(nc, dtype=np.int64)
    np.add.at(c_bytes, conv_idx, np.round((inp + out) * tr.bytes_per_token).astype(np.int64))
    c_user = np.zeros(nc, dtype=np.int64)
    c_user[conv_idx] = pu[pair]
    views = rng.poisson(tr.views_per_conversation, nc)
    last_view = np.minimum(c_created + (rng.exponential(tr.view_lifetime_days, nc) * DAY_S).astype(np.int64), end - 1)
    last_view = np.where(views > 0, last_view, -1)
    idle_from = np.where(views > 0, last_view, c_created) + int(tr.archive_after_days * DAY_S)
    run = np.searchsorted(t0, idle_from, side="left")  # the first monthly archival run after the idle period
    archived = np.where(run < len(t0) - 1, t0[np.minimum(run, len(t0) - 1)], -1)

    # subscriptions
    u = rng.random(n)
    tier = np.where(u < tr.pro_conversion, "pro", np.where(u < tr.pro_conversion + tr.max_conversion, "max", ""))
    s_start = u_signup + (rng.exponential(tr.conversion_delay_days, n) * DAY_S).astype(np.int64)
    subscribed = (tier != "") & (s_start < end)
    churn = np.where(tier == "max", tr.max_monthly_churn, tr.pro_monthly_churn)
    s_end = s_start + (rng.exponential(1 / churn) * MONTH_DAYS * DAY_S).astype(np.int64)
    s_end = np.where(s_end < end, s_end, -1)

    # searches
    n_search = rng.poisson(tr.searches_per_active_month, len(pu))
    spair = np.repeat(np.arange(len(pu)), n_search)
    slo = np.maximum(t0[pm], u_signup[pu])[spair]
    s_when = slo + (rng.random(len(spair)) * (t0[pm + 1][spair] - slo)).astype(np.int64)

    def ts(seconds):
        s = pd.to_datetime(np.where(seconds >= 0, seconds, 0), unit="s", utc=True)
        return s.where(seconds >= 0) if (seconds < 0).any() else s

    uid = np.array([f"u{i + 1}" for i in range(n)], dtype=object)
    sub_idx = np.flatnonzero(subscribed)
    return {
        "users": pd.DataFrame({"user_id": uid, "signed_up_at": ts(u_signup)}),
        "subscriptions": pd.DataFrame({
            "subscription_id": [f"s{i + 1}" for i in range(len(sub_idx))], "user_id": uid[sub_idx],
            "tier": tier[sub_idx], "started_at": ts(s_start[sub_idx]), "ended_at": ts(s_end[sub_idx]),
            "monthly_price_usd": np.where(tier[sub_idx] == "max", tr.max_price_usd, tr.pro_price_usd)}),
        "messages": pd.DataFrame({
            "message_id": [f"m{i + 1}" for i in range(nm)], "user_id": uid[pu[pair]],
            "conversation_id": [f"c{i + 1}" for i in conv_idx], "created_at": ts(when),
            "model": np.where(rng.random(nm) < tr.sonnet_share, SONNET, HAIKU), "input_tokens": inp,
            "cache_read_input_tokens": cread, "cache_creation_input_tokens": cwrite, "output_tokens": out,
            "batch": rng.random(nm) < tr.batch_share}),
        "conversations": pd.DataFrame({
            "conversation_id": [f"c{i + 1}" for i in range(nc)], "user_id": uid[c_user], "created_at": ts(c_created),
            "size_bytes": c_bytes, "view_count": views, "last_viewed_at": ts(last_view), "archived_at": ts(archived)}),
        "searches": pd.DataFrame({"user_id": uid[pu[spair]], "created_at": ts(s_when)}),
    }


def _with_prices(truth: EventTruth) -> EventTruth:
    if truth.pro_price_usd is not None and truth.max_price_usd is not None:
        return truth
    from voyager_analysis.assumptions import load_roadmap

    roadmap = load_roadmap()
    return replace(truth, pro_price_usd=truth.pro_price_usd or roadmap.get("revenue_assumptions.pro_price").value,
                   max_price_usd=truth.max_price_usd or roadmap.get("revenue_assumptions.max_price").value)


def write_example_events(out, truth: EventTruth = EventTruth(), seed: int = config.DEFAULT_SEED,
                         fmt: str = "parquet") -> dict:
    """Write the tables (``NAME.parquet`` or ``NAME.csv``) and ``truth.json`` into folder ``out``.

    All or nothing: the set is written to a temporary folder beside ``out`` and renamed. An existing
    ``out`` is replaced only if it is an earlier example set (it holds ``truth.json``) or empty.
    Returns the row count per table.
    """
    import duckdb

    if fmt not in ("parquet", "csv"):
        raise InputError(f"--format must be parquet or csv, got '{fmt}'")
    for name, value, low in (("users", truth.n_users, 1), ("months", truth.n_months, 1)):
        if value < low:
            raise InputError(f"--{name} must be at least {low}, got {value}")
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "truth.json").exists())):
        raise InputError(f"{out}: exists and is not an example event folder; choose another --out")
    if not out.parent.exists():
        raise InputError(f"{out.parent}: folder not found")
    tables = example_events(truth, seed)
    tr = _with_prices(truth)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(0o755)
    try:
        con = duckdb.connect(":memory:")
        con.execute("SET TimeZone = 'UTC'")
        for name, df in tables.items():
            con.register("frame", df)
            path = str(tmp / f"{name}.{fmt}").replace("'", "''")
            options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%SZ'"
            con.execute(f"COPY (SELECT * FROM frame) TO '{path}' ({options})")
            con.unregister("frame")
        con.close()
        counts = {name: len(df) for name, df in tables.items()}
        (tmp / "truth.json").write_text(json.dumps(
            {"label": LABEL, "seed": seed, "format": fmt, "rows": counts, "truth": asdict(tr)}, indent=2) + "\n")
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return counts
