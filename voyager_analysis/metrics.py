"""Observed monthly metrics: the schema, its loader, and the labelled synthetic example generator.

Schema (one row per calendar month, CSV, ``#`` lines are comments):

=====================  ========================================================================
column                 meaning (unit)
=====================  ========================================================================
month                  calendar month, ``YYYY-MM`` (required)
users                  monthly active users (required)
new_users              users who signed up that month
pro_subscribers        paying Pro subscribers at month end
max_subscribers        paying Max subscribers at month end
messages               chat messages sent that month
input_tokens           Claude input tokens that month (uncached + cache reads + cache writes)
cache_read_tokens      of which read from the prompt cache
cache_write_tokens     of which written to the prompt cache
output_tokens          Claude output tokens that month
sonnet_share           fraction of Claude requests sent to Sonnet (0-1)
batch_share            fraction of Claude requests sent through the batch API (0-1)
storage_gb             hot (Postgres) storage at month end, GB
archived_gb            archived (S3) conversation data at month end, GB
db_connections_pct     peak database connections as a percentage of the pool limit (0-100)
p95_latency_ms         P95 API latency, milliseconds
error_rate             fraction of API requests that failed (0-1)
searches               search requests that month
gross_revenue_usd      revenue collected that month: charges minus refunds, USD (from Stripe bills)
cost_<component>_usd   monthly bill of one component, USD; components: see ``COMPONENTS``
=====================  ========================================================================

Rows may come in any order (they are sorted); a duplicated month is an error. Missing months are allowed:
they are listed in ``df.attrs["missing_months"]`` (and ``df.attrs["note"]``), and fits use the real time
index (:func:`voyager_analysis.months.months_since_start`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voyager_analysis import config
from voyager_analysis.errors import display_path, located
from voyager_analysis.files import read_csv, to_number
from voyager_analysis.months import MONTH_RE, month_number, month_str, months_since_start

COMPONENTS = ("vercel", "neon", "upstash", "inngest", "s3", "search", "claude", "monitoring", "stripe")
COST_COLUMNS = tuple(f"cost_{c}_usd" for c in COMPONENTS)


@dataclass(frozen=True)
class Column:
    name: str
    high: float  # largest value any real service could report
    share: bool = False  # a fraction in 0-1
    whole: bool = False  # a count that must be a whole number
    required: bool = False


SCHEMA: dict[str, Column] = {c.name: c for c in [
    Column("users", 1e10, whole=True, required=True),
    Column("new_users", 1e10, whole=True),
    Column("pro_subscribers", 1e10, whole=True),
    Column("max_subscribers", 1e10, whole=True),
    Column("messages", 1e13, whole=True),
    Column("input_tokens", 1e16, whole=True),
    Column("cache_read_tokens", 1e16, whole=True),
    Column("cache_write_tokens", 1e16, whole=True),
    Column("output_tokens", 1e16, whole=True),
    Column("sonnet_share", 1.0, share=True),
    Column("batch_share", 1.0, share=True),
    Column("storage_gb", 1e9),
    Column("archived_gb", 1e9),
    Column("db_connections_pct", 100.0),
    Column("p95_latency_ms", 3.6e6),
    Column("error_rate", 1.0, share=True),
    Column("searches", 1e13, whole=True),
    Column("gross_revenue_usd", 1e10),
    *[Column(name, 1e9) for name in COST_COLUMNS],
]}


def load_metrics(path: str | Path | None = None):
    """Load and validate a monthly metrics CSV into a DataFrame sorted by month.

    Returns columns ``month`` (str ``YYYY-MM``) and the numeric columns present (float, NaN where a
    cell was empty). ``df.attrs["source"]`` holds the path. Errors name the file, row and column.
    """
    import pandas as pd

    path = Path(path) if path is not None else config.EXAMPLE_METRICS_CSV
    raw = read_csv(path, required=["month", "users"], optional=list(SCHEMA))
    out = pd.DataFrame({"month": raw["month"].astype(str)})
    for i, m in enumerate(out["month"]):
        if not MONTH_RE.match(m):
            raise located(path, f"row {i + 1}", f"month must look like YYYY-MM, got '{m}'")
    for name in raw.columns.drop("month"):
        col = SCHEMA[name]
        values = np.empty(len(raw))
        for i, cell in enumerate(raw[name]):
            where = f"row {i + 1} ({out['month'].iat[i]})"
            if cell == "":
                if col.required:
                    raise located(path, where, f"{name} is empty")
                values[i] = np.nan
                continue
            x = to_number(cell, path=path, where=where, field=name)
            if x < 0:
                raise located(path, where, f"{name} is negative ({x:g})")
            if x > col.high:
                rule = "a share must lie in 0-1" if col.share else f"no real service reports more than {col.high:g}"
                raise located(path, where, f"{name} is out of range ({x:g}): {rule}")
            if col.whole and x != int(x):
                raise located(path, where, f"{name} must be a whole number, got {x:g}")
            values[i] = x
        out[name] = values
    dup = out["month"].duplicated(keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise located(path, f"row {i + 1}", f"month {out['month'].iat[i]} appears more than once")
    out = out.sort_values("month", kind="stable").reset_index(drop=True)
    idx = month_number(out["month"])
    missing = [month_str(m) for m in sorted(set(range(int(idx[0]), int(idx[-1]) + 1)) - set(int(i) for i in idx))]
    out.attrs["source"] = display_path(path)
    out.attrs["missing_months"] = missing  # gaps are allowed: fits use the real time index (months_since_start)
    if missing:
        out.attrs["note"] = (f"{len(missing)} month(s) missing ({', '.join(missing[:6])}"
                             f"{', ...' if len(missing) > 6 else ''}); fits use the real time index")
    return out


def total_cost_usd(df):
    """Sum of the ``cost_*_usd`` columns present (NaN cells count as 0; all missing -> error)."""
    cols = [c for c in COST_COLUMNS if c in df.columns]
    if not cols:
        raise located(df.attrs.get("source"), None, "no cost_<component>_usd columns to add up")
    return df[cols].fillna(0.0).sum(axis=1)


# --- the labelled synthetic example ------------------------------------------------------------------------

SYNTHETIC_BANNER = (
    "# SYNTHETIC EXAMPLE DATA - not observed metrics. Generated by `voyager-analysis example-data` "
    "(voyager_analysis.metrics.example_metrics) with seed {seed}; see its docstring for the generating truth."
)


@dataclass(frozen=True)
class ExampleTruth:
    """The generating truth of the synthetic example (so tests and notebooks can check recovery)."""

    start_month: str = "2025-07"  # month 0 of the roadmap (its 'Month 4' is 2025-11)
    n_months: int = 17
    growth_K: float = 120_000.0  # logistic ceiling, users
    growth_r: float = 0.32  # per month
    growth_t0: float = 16.0  # inflection, months from start
    growth_noise_sd: float = 0.03  # log-normal noise on users
    messages_per_user_at_10k: float = 45.0
    messages_scale_elasticity: float = -0.04  # per-user activity falls slightly with scale
    input_tokens_per_message: float = 1500.0
    output_tokens_per_message: float = 400.0
    sonnet_share_start: float = 0.50
    sonnet_share_slope: float = -0.015  # per month: routing improves
    stored_kb_per_message: float = 4.0
    archival_start_month: int = 12
    archive_after_months: int = 6
    monthly_churn: float = 0.08
    pro_conversion: float = 0.045
    max_conversion: float = 0.0008
    searches_per_user: float = 6.0
    upstash_commands_per_user: float = 1500.0
    invocations_per_message: float = 3.0
    neon_cu_at_1k_users: float = 0.5
    neon_cu_elasticity: float = 0.6
    usage_noise_sd: float = 0.05


def example_metrics(prices, roadmap, seed: int = config.DEFAULT_SEED, truth: ExampleTruth = ExampleTruth()):
    """Generate the synthetic monthly metrics shipped in ``data/metrics/example_monthly.csv``.

    Users follow a logistic curve ``K / (1 + exp(-r (t - t0)))`` with log-normal noise. Messages per user
    have elasticity ``messages_scale_elasticity`` to users; tokens per message are constant with noise;
    the Sonnet share falls linearly. Hot storage accumulates ``stored_kb_per_message``; from
    ``archival_start_month`` data older than ``archive_after_months`` moves to S3. Each component's cost is
    usage x the list prices in ``prices`` (a :class:`~voyager_analysis.assumptions.PriceBook`) plus the
    plan fees below; Stripe charges the list percentage + fixed fee per subscriber. The synthetic company
    follows the roadmap's plan (read from ``roadmap``, a :class:`~voyager_analysis.assumptions.Roadmap`): Pro and
    Max prices, Redis from Phase 1, Neon's Scale tier from Phase 1's user count, background jobs from
    Phase 2's start month, dedicated search from the roadmap's search threshold. Every draw comes from
    ``numpy.random.default_rng(seed)``.
    """
    import pandas as pd

    tr = truth
    pro_price_usd = roadmap.get("revenue_assumptions.pro_price").value
    max_price_usd = roadmap.get("revenue_assumptions.max_price").value
    scale_tier_users = roadmap.get("phases.phase_1.users").low
    redis_month = roadmap.get("phases.phase_1.months").low
    jobs_month = roadmap.get("phases.phase_2.months").low
    search_users = roadmap.get("thresholds.search_upgrade_users").value
    rng = np.random.default_rng(seed)
    n = tr.n_months
    t = np.arange(n, dtype=float)
    noise = lambda sd: np.exp(rng.normal(0.0, sd, n))  # noqa: E731
    users = np.round(tr.growth_K / (1 + np.exp(-tr.growth_r * (t - tr.growth_t0))) * noise(tr.growth_noise_sd))
    prev = np.concatenate([[users[0] / 1.3], users[:-1]])
    new_users = np.round(np.maximum(users - prev * (1 - tr.monthly_churn), 0))
    msgs_per_user = tr.messages_per_user_at_10k * (users / 1e4) ** tr.messages_scale_elasticity
    messages = np.round(users * msgs_per_user * noise(tr.usage_noise_sd))
    input_tokens = np.round(messages * tr.input_tokens_per_message * noise(tr.usage_noise_sd))
    output_tokens = np.round(messages * tr.output_tokens_per_message * noise(tr.usage_noise_sd))
    sonnet = np.clip(tr.sonnet_share_start + tr.sonnet_share_slope * t + rng.normal(0, 0.01, n), 0, 1)
    new_gb = messages * tr.stored_kb_per_message / 1e6
    cum_gb = np.cumsum(new_gb)
    old_gb = np.concatenate([np.zeros(tr.archive_after_months), cum_gb[:-tr.archive_after_months]])
    archived = np.where(t >= tr.archival_start_month, old_gb * 0.8, 0.0)
    storage = cum_gb - archived
    pro = np.round(users * tr.pro_conversion)
    mx = np.round(users * tr.max_conversion)
    searches = np.round(users * tr.searches_per_user * noise(tr.usage_noise_sd))
    scale = users / 1e5
    db_pct = np.clip(15 + 70 * scale + rng.normal(0, 2, n), 0, 100)
    p95 = 180 + 260 * scale**1.2 + rng.normal(0, 10, n)
    err = np.clip(0.003 + 0.004 * scale + rng.normal(0, 0.0005, n), 0, 1)

    haiku = prices.model(prices.default_model("haiku"))
    sonnet_row = prices.model(prices.default_model("sonnet"))
    mix_in = sonnet * sonnet_row.input_usd_per_mtok + (1 - sonnet) * haiku.input_usd_per_mtok
    mix_out = sonnet * sonnet_row.output_usd_per_mtok + (1 - sonnet) * haiku.output_usd_per_mtok
    svc = prices.service
    hours = 730.0
    cu = tr.neon_cu_at_1k_users * (users / 1e3) ** tr.neon_cu_elasticity
    cu_price = np.where(users < scale_tier_users, svc("neon_compute_launch").price_usd, svc("neon_compute_scale").price_usd)
    costs = {
        "vercel": svc("vercel_pro_seat").price_usd
        + messages * tr.invocations_per_message * svc("vercel_function_invocations").price_usd / 1e6
        + 0.003 * users,
        "neon": cu * hours * cu_price + storage * svc("neon_storage").price_usd,
        "upstash": np.where(t >= redis_month, users * tr.upstash_commands_per_user * svc("upstash_commands").price_usd / 1e5, 0),
        "inngest": np.where(t >= jobs_month, 50 + 0.003 * users, 0),
        "s3": archived * svc("s3_standard_storage").price_usd
        + np.where(archived > 0, users * 2 * svc("s3_put_requests").price_usd / 1e3, 0),
        "search": np.where(users >= search_users, 60.0, 0.0),
        "claude": input_tokens / 1e6 * mix_in + output_tokens / 1e6 * mix_out,
        "monitoring": 26 + 0.002 * users,
        "stripe": (pro * pro_price_usd + mx * max_price_usd) * svc("stripe_card_percent").price_usd
        + (pro + mx) * svc("stripe_card_fixed").price_usd,
    }
    start = month_number([tr.start_month])[0]
    df = pd.DataFrame({
        "month": [month_str(int(start + i)) for i in range(n)],
        "users": users, "new_users": new_users, "pro_subscribers": pro, "max_subscribers": mx,
        "messages": messages, "input_tokens": input_tokens, "output_tokens": output_tokens,
        "sonnet_share": np.round(sonnet, 4), "storage_gb": np.round(storage, 3),
        "archived_gb": np.round(archived, 3), "db_connections_pct": np.round(db_pct, 1),
        "p95_latency_ms": np.round(p95, 1), "error_rate": np.round(err, 5), "searches": searches,
    })
    for name, values in costs.items():
        df[f"cost_{name}_usd"] = np.round(values * noise(0.02), 2)
    return df


def write_example_metrics(df, path: str | Path, seed: int) -> Path:
    """Write the example CSV with its SYNTHETIC banner (atomically: a temp file, then rename)."""
    from voyager_analysis.files import write_text_atomic

    body = df.to_csv(index=False, lineterminator="\n")
    return write_text_atomic(path, SYNTHETIC_BANNER.format(seed=seed) + "\n" + body)
