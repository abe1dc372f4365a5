"""What the roadmap decides on: its alert/migration triggers and its build-vs-buy options.

**Triggers.** :data:`TRIGGERS` maps every threshold of the roadmap (group ``thresholds``) to the metrics
column that measures it; :func:`current_status` says which have fired. When each will fire is
:mod:`voyager_analysis.triggers`.

**Build-vs-buy options.**
Each option's monthly cost is linear in its driver ``x`` (searches, concurrent connections, Redis commands,
job runs per month)::

    cost(x) = fixed_usd + usd_per_unit * x + ops_hours_per_month * hourly_rate [+ build_hours * hourly_rate / H]

(the bracket amortises the one-off engineering over the horizon ``H`` months; used for break-evens). The
inputs are figures: our assumptions (``data/assumptions/decisions.yaml``, loaded by the caller) plus the
roadmap's option prices (:data:`ROADMAP_INPUTS`) and list prices (:data:`PRICE_ITEMS`). The comparison of
the options (break-evens, ROI) is :mod:`voyager_analysis.buildvsbuy`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from voyager_analysis.constants import SECONDS_PER_MONTH
from voyager_analysis.errors import InputError, unknown_name


STATUSES = ("fired", "ok", "no data")

@dataclass(frozen=True)
class TriggerSpec:
    """One roadmap threshold and the metrics column that measures it.

    ``name`` is the key in ``roadmap.yaml``'s ``thresholds`` group. ``model``: ``linear`` or ``loglog``
    (metric vs users), ``users`` (the threshold is a user count) or ``change`` (month-on-month change of
    the total monthly cost). ``divide_by`` turns the column into the threshold's unit (percent -> fraction).
    ``proxy`` says why the column only stands in for the roadmap's signal. ``roadmap_users`` and
    ``roadmap_months`` are roadmap.yaml paths of the roadmap's own timing for the action, if it gives one.
    """

    name: str
    metric: str
    label: str
    model: str
    divide_by: float = 1.0
    proxy: str | None = None
    roadmap_users: str | None = None
    roadmap_months: str | None = None


#: Pseudo-column of the month-on-month change of total cost (sum of the ``cost_*_usd`` columns).
TOTAL_COST_CHANGE = "total_cost_change"
_SHARDING_USERS = "thresholds.sharding_decision_users"
_SHARDING_MONTHS = "milestones.m_75k_100k.months"

TRIGGERS: tuple[TriggerSpec, ...] = (
    TriggerSpec("db_connections_alert", "db_connections_pct", "database connections, share of the pool", "linear",
                divide_by=100.0),
    TriggerSpec("api_error_rate_alert", "error_rate", "API error rate", "linear"),
    TriggerSpec("monthly_cost_spike_alert", TOTAL_COST_CHANGE, "total monthly cost, change on the previous month",
                "change"),
    TriggerSpec("slow_query_alert", "slow_query_ms", "slowest database queries, ms", "linear",
                proxy="the metrics schema has no query-latency column (P95 API latency is under migrate_p95_latency)"),
    TriggerSpec("migrate_p95_latency", "p95_latency_ms", "P95 API latency, ms", "linear"),
    TriggerSpec("migrate_error_rate", "error_rate", "API error rate", "linear"),
    TriggerSpec("read_replica_read_load", "db_connections_pct", "read load, share of database capacity", "linear",
                divide_by=100.0, proxy="connection-pool use stands in for read load (no read-load column)",
                roadmap_users="thresholds.read_replica_likely_users", roadmap_months="milestones.m_10k_30k.months"),
    TriggerSpec("sharding_primary_cpu", "db_cpu_pct", "primary database CPU, share", "linear", divide_by=100.0,
                proxy="the metrics schema has no database-CPU column",
                roadmap_users=_SHARDING_USERS, roadmap_months=_SHARDING_MONTHS),
    TriggerSpec("sharding_write_latency_p95", "write_p95_latency_ms", "P95 write-query latency, ms", "linear",
                proxy="the metrics schema has no write-latency column (P95 API latency is not write latency)",
                roadmap_users=_SHARDING_USERS, roadmap_months=_SHARDING_MONTHS),
    TriggerSpec("sharding_database_cost", "cost_neon_usd", "database (Neon) bill, USD/month", "loglog",
                roadmap_users=_SHARDING_USERS, roadmap_months=_SHARDING_MONTHS),
    TriggerSpec("search_pg_trgm_users", "users", "monthly active users", "users",
                roadmap_months="milestones.m_30k_50k.months"),
    TriggerSpec("search_upgrade_users", "users", "monthly active users", "users",
                roadmap_months="milestones.m_50k_75k.months"),
    TriggerSpec("websockets_users", "users", "monthly active users", "users",
                roadmap_months="milestones.m_75k_100k.months"),
)
MODELS = ("linear", "loglog", "users", "change")


def _source(df) -> str | None:
    return df.attrs.get("source") if hasattr(df, "attrs") else None


def _fires(value, threshold: float, qualifier: str | None):
    """The roadmap's comparison: ``>`` for "greater_than" thresholds, ``>=`` otherwise ("at 50K users")."""
    value = np.asarray(value, dtype=float)
    return value > threshold if qualifier == "greater_than" else value >= threshold


def metric_series(df, spec: TriggerSpec):
    """The trigger's metric per month in the threshold's unit (NaN where missing), or None if absent."""
    if spec.model == "change":
        from voyager_analysis.metrics import COST_COLUMNS

        cols = [c for c in COST_COLUMNS if c in df.columns]
        if not cols:
            return None
        total = df[cols].to_numpy(dtype=float)
        total = np.where(np.isnan(total).all(axis=1), np.nan, np.nansum(total, axis=1))
        prev = np.concatenate([[np.nan], total[:-1]])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(prev > 0, total / prev - 1.0, np.nan)
    if spec.metric not in df.columns:
        return None
    return df[spec.metric].to_numpy(dtype=float) / spec.divide_by


def current_status(df, roadmap, triggers: Sequence[TriggerSpec] = TRIGGERS):
    """Each trigger's threshold, latest value and status (no forecasting; fast).

    Columns: ``name``, ``metric``, ``label``, ``threshold``, ``unit``, ``qualifier``, ``current`` (latest
    non-missing value, in the threshold's unit), ``current_month``, ``status`` (fired / ok / no data),
    ``fired_since`` (first month of the run of months above the threshold that reaches the latest value;
    None unless fired), ``proxy``.
    """
    import pandas as pd

    months = list(df["month"])
    rows = []
    for spec in triggers:
        th = roadmap.get(f"thresholds.{spec.name}")
        y = metric_series(df, spec)
        row = {"name": spec.name, "metric": spec.metric, "label": spec.label, "threshold": th.low, "unit": th.unit,
               "qualifier": th.qualifier, "current": None, "current_month": None, "status": "no data",
               "fired_since": None, "proxy": spec.proxy}
        ok = np.flatnonzero(np.isfinite(y)) if y is not None else np.array([], dtype=int)
        if ok.size:
            i = int(ok[-1])
            fired = bool(_fires(y[i], th.low, th.qualifier))
            row.update(current=float(y[i]), current_month=months[i], status="fired" if fired else "ok")
            if fired:
                j = i
                while j - 1 >= 0 and np.isfinite(y[j - 1]) and _fires(y[j - 1], th.low, th.qualifier):
                    j -= 1
                row["fired_since"] = months[j]
        rows.append(row)
    return pd.DataFrame(rows)


#: Price rows used, with the unit each must have and how many driver units that unit is per dollar figure.
PRICE_ITEMS: dict[str, tuple[str, float]] = {
    "neon_compute_scale": ("usd_per_cu_hour", 3600.0),  # -> USD per CU-second
    "algolia_search_requests": ("usd_per_1000_requests", 1000.0),  # -> USD per search
    "vercel_function_invocations": ("usd_per_million_invocations", 1e6),  # -> USD per invocation
    "upstash_commands": ("usd_per_100k_commands", 1e5),  # -> USD per command
}
#: Roadmap figures that are inputs here (roadmap.yaml path -> which part: the range, or its low end only).
ROADMAP_INPUTS: dict[str, str] = {
    "options.search_meilisearch": "range",
    "options.search_algolia": "range",
    "options.redis_railway": "range",
    "options.polling_interval": "range",
    "options.inngest": "low",  # entry plan; usage on top comes from jobs.inngest.usd_per_1000_runs
    "options.realtime_pusher_ably": "low",  # entry plan; connections on top from the per-connection slope
}


def decision_figures(roadmap, assumptions: Mapping[str, Any]) -> dict[str, Any]:
    """All ranged inputs of the build-vs-buy models: ``{dotted path: Figure}`` from decisions.yaml plus the
    roadmap's option prices (:data:`ROADMAP_INPUTS`, keyed by their roadmap.yaml path)."""
    from voyager_analysis.assumptions import iter_figures

    figs = {f.path: f for f in iter_figures(assumptions)}
    for path, part in ROADMAP_INPUTS.items():
        f = roadmap.get(path)
        figs[path] = replace(f, high=f.low, distribution="uniform", mode=None) if part == "low" else f
    return figs


def unit_prices(prices) -> dict[str, float]:
    """USD per driver unit of each price row in :data:`PRICE_ITEMS` (checking the row's unit)."""
    out = {}
    for item, (unit, per) in PRICE_ITEMS.items():
        p = prices.service(item)
        if p.unit != unit:
            raise InputError(f"prices: {item} is in '{p.unit}', expected '{unit}'")
        out[item] = p.price_usd / per
    return out


def price_rows(prices):
    """The price rows the build-vs-buy models use (item, price, unit, as_of, source)."""
    import pandas as pd

    return pd.DataFrame([vars(prices.service(item)) for item in PRICE_ITEMS])


@dataclass(frozen=True)
class Option:
    """One way to do a job; monthly cost linear in the driver (fields may be arrays of draws)."""

    name: str
    label: str
    fixed_usd_per_month: Any
    usd_per_unit: Any
    ops_hours_per_month: Any
    build_hours: Any
    variant_of: str | None = None  # the same option priced another way (no break-even between the two)

    def intercept_usd(self, hourly_rate_usd, horizon_months=None):
        """Driver-free monthly cost: fees + operations time (+ build amortised over the horizon)."""
        out = np.asarray(self.fixed_usd_per_month, float) + np.asarray(self.ops_hours_per_month, float) * hourly_rate_usd
        if horizon_months is not None:
            out = out + np.asarray(self.build_hours, float) * hourly_rate_usd / horizon_months
        return out

    def monthly_cost_usd(self, driver, hourly_rate_usd, horizon_months=None):
        """USD per month at driver value(s) ``driver``, operations time at ``hourly_rate_usd``; with
        ``horizon_months`` the one-off build is spread over that many months."""
        return self.intercept_usd(hourly_rate_usd, horizon_months) + np.asarray(self.usd_per_unit, float) * driver


@dataclass(frozen=True)
class Decision:
    """A build-vs-buy choice: its driver, the per-user amount of it, the running option and the options."""

    name: str
    driver: str
    per_user_input: str
    current: str
    options: dict[str, Option]

    def alternatives(self) -> list[str]:
        return [k for k in self.options if k != self.current]


def _search(v, p) -> dict[str, Option]:
    ops, build = "ops_hours_per_month", "build_hours"
    return {
        "postgres_fts": Option("postgres_fts", "Postgres full-text (running)", 0.0,
                               v["search.postgres_fts.cu_seconds_per_search"] * p["neon_compute_scale"],
                               v[f"search.postgres_fts.{ops}"], 0.0),
        "meilisearch": Option("meilisearch", "Meilisearch self-hosted", v["options.search_meilisearch"], 0.0,
                              v[f"search.meilisearch.{ops}"], v[f"search.meilisearch.{build}"]),
        "algolia": Option("algolia", "Algolia (list price)", 0.0, p["algolia_search_requests"],
                          v[f"search.algolia.{ops}"], v[f"search.algolia.{build}"]),
        "algolia_roadmap": Option("algolia_roadmap", "Algolia (roadmap's ~$1/1,000)", 0.0,
                                  v["options.search_algolia"] / 1000.0, v[f"search.algolia.{ops}"],
                                  v[f"search.algolia.{build}"], variant_of="algolia"),
    }


def _realtime(v, p) -> dict[str, Option]:
    polls = SECONDS_PER_MONTH / v["options.polling_interval"]  # polls per connected user per month
    per_poll = p["vercel_function_invocations"] + v["realtime.polling.cu_seconds_per_poll"] * p["neon_compute_scale"]
    return {
        "polling": Option("polling", "Polling (running since v0.6.0)", 0.0, polls * per_poll,
                          v["realtime.polling.ops_hours_per_month"], 0.0),
        "sse": Option("sse", "Server-sent events", 0.0, v["realtime.sse.usd_per_connection_month"],
                      v["realtime.sse.ops_hours_per_month"], v["realtime.sse.build_hours"]),
        "websockets": Option("websockets", "WebSockets (Pusher/Ably)", v["options.realtime_pusher_ably"],
                             v["realtime.peak_to_average"] * v["realtime.websockets.usd_per_peak_connection_month"],
                             v["realtime.websockets.ops_hours_per_month"], v["realtime.websockets.build_hours"]),
    }


def _redis(v, p) -> dict[str, Option]:
    return {
        "upstash": Option("upstash", "Upstash pay-as-you-go", 0.0, p["upstash_commands"],
                          v["redis.upstash.ops_hours_per_month"], v["redis.upstash.build_hours"]),
        "railway": Option("railway", "Railway Redis (fixed)", v["options.redis_railway"], 0.0,
                          v["redis.railway.ops_hours_per_month"], v["redis.railway.build_hours"]),
    }


def _jobs(v, p) -> dict[str, Option]:
    return {
        "vercel_cron": Option("vercel_cron", "Vercel cron + functions", 0.0,
                              v["jobs.vercel_cron.invocations_per_run"] * p["vercel_function_invocations"],
                              v["jobs.vercel_cron.ops_hours_per_month"], v["jobs.vercel_cron.build_hours"]),
        "inngest": Option("inngest", "Inngest", v["options.inngest"], v["jobs.inngest.usd_per_1000_runs"] / 1000.0,
                          v["jobs.inngest.ops_hours_per_month"], v["jobs.inngest.build_hours"]),
    }


#: name -> (driver, per-user input, running option, builder)
DECISIONS: dict[str, tuple[str, str, str, Any]] = {
    "search": ("searches per month", "search.searches_per_user_month", "postgres_fts", _search),
    "realtime": ("average concurrent Collab Spaces connections", "realtime.concurrent_share", "polling", _realtime),
    "redis": ("Redis commands per month", "redis.commands_per_user_month", "upstash", _redis),
    "jobs": ("background job runs per month", "jobs.runs_per_user_month", "vercel_cron", _jobs),
}


def build_decision(name: str, inputs: Mapping[str, Any], unit_price: Mapping[str, float]) -> Decision:
    """The options of decision ``name`` at ``inputs`` (point values or arrays of draws)."""
    if name not in DECISIONS:
        raise InputError(unknown_name("decision", name, DECISIONS))
    driver, per_user, current, builder = DECISIONS[name]
    return Decision(name=name, driver=driver, per_user_input=per_user, current=current,
                    options=builder(inputs, unit_price))
