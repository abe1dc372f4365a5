"""Observed monthly metrics: the schema, its loader, and the synthetic example's ops model and writer.

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
    from voyager_analysis.files import read_text

    text = read_text(path)  # read once: the table and its '# billed:' line
    raw = read_csv(path, required=["month", "users"], optional=list(SCHEMA), text=text)
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
    out.attrs["billed"] = parse_billed_line(text)
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
    "# SYNTHETIC EXAMPLE DATA - not observed metrics. Written by `voyager-analysis example-data` (seed {seed}): "
    "usage columns derived by `voyager-analysis derive --events data/events/example` from the synthetic company's "
    "events (`example-events`), cost and revenue columns read from its synthetic bills in data/bills/example "
    "(`derive --bills`), ops columns db_connections_pct, p95_latency_ms, error_rate from the synthetic ops model "
    "(voyager_analysis.metrics.example_ops)."
)


@dataclass(frozen=True)
class OpsTruth:
    """The synthetic ops model (no event or bill records these): each column is linear in ``users / 1e5``
    (latency with exponent ``p95_exponent``) plus seeded normal noise."""

    db_pct_base: float = 15.0
    db_pct_per_100k: float = 70.0
    db_pct_noise_sd: float = 2.0
    p95_base_ms: float = 180.0
    p95_per_100k_ms: float = 260.0
    p95_exponent: float = 1.2
    p95_noise_sd_ms: float = 10.0
    error_rate_base: float = 0.003
    error_rate_per_100k: float = 0.004
    error_rate_noise_sd: float = 0.0005


def example_ops(users, seed: int = config.DEFAULT_SEED, truth: OpsTruth = OpsTruth()) -> dict:
    """The ops columns of the synthetic example at monthly active ``users`` (a labelled model, not derived):
    ``db_connections_pct``, ``p95_latency_ms``, ``error_rate``, from ``numpy.random.default_rng(seed)``."""
    tr = truth
    users = np.asarray(users, dtype=float)
    rng = np.random.default_rng(seed)
    n = len(users)
    scale = users / 1e5
    db_pct = np.clip(tr.db_pct_base + tr.db_pct_per_100k * scale + rng.normal(0, tr.db_pct_noise_sd, n), 0, 100)
    p95 = tr.p95_base_ms + tr.p95_per_100k_ms * scale ** tr.p95_exponent + rng.normal(0, tr.p95_noise_sd_ms, n)
    err = np.clip(tr.error_rate_base + tr.error_rate_per_100k * scale + rng.normal(0, tr.error_rate_noise_sd, n), 0, 1)
    return {"db_connections_pct": np.round(db_pct, 1), "p95_latency_ms": np.round(p95, 1),
            "error_rate": np.round(err, 5)}


#: The comment line that records which cost and revenue columns came from vendor bills (``derive --bills``), so
#: that a reader of the CSV (and notebook 03) can say which costs are billed and which are typed or modelled.
BILLED_PREFIX = "# billed:"


def billed_line(billed: dict[str, list[str]]) -> str:
    """``# billed: cost_claude_usd 2025-07..2026-11 (17 months); ...`` for ``{column: [months]}`` (empty: '')."""
    parts = [f"{col} {months[0]}..{months[-1]} ({len(months)} months)" for col, months in sorted(billed.items()) if months]
    return f"{BILLED_PREFIX} " + "; ".join(parts) if parts else ""


def parse_billed_line(text: str) -> dict[str, str]:
    """``{column: "2025-07..2026-11 (17 months)"}`` from a metrics file's ``# billed:`` line ({} when absent)."""
    for line in text.splitlines():
        if line.startswith(BILLED_PREFIX):
            out = {}
            for part in line[len(BILLED_PREFIX):].split(";"):
                col, _, span = part.strip().partition(" ")
                if col in SCHEMA:
                    out[col] = span.strip()
            return out
    return {}


def write_example_metrics(df, path: str | Path, seed: int) -> Path:
    """Write the example CSV with its SYNTHETIC banner (atomically: a temp file, then rename)."""
    from voyager_analysis.files import write_text_atomic

    body = df.to_csv(index=False, lineterminator="\n")
    billed = billed_line(df.attrs.get("billed", {}))
    return write_text_atomic(path, SYNTHETIC_BANNER.format(seed=seed) + "\n" + (billed + "\n" if billed else "") + body)
