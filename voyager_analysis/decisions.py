"""Decisions: when each roadmap trigger fires, build vs buy under the roadmap's ROI >= 2x rule, and
how evenly the two sharding schemes spread the load.

**Triggers.** Every threshold is read from ``roadmap.yaml`` (group ``thresholds``). :data:`TRIGGERS`
maps each one to a column of the metrics file (a trigger whose column is absent gets status
``no data``, never an error). :func:`trigger_report` gives, per trigger, the latest value, the status
(``fired`` / ``ok`` / ``no data``) and the month it is forecast to fire:

- the metric is modelled as a function of users, ``metric = a + b users`` (``linear``) or
  ``log metric = a + b log users`` (``loglog``), by statsmodels OLS with Newey-West HAC errors and
  fixed-b critical values (:func:`voyager_analysis.scaling.hac_regression`, as in ``usage``);
  inverting it gives the user count at the threshold;
- the selected growth curve (:func:`voyager_analysis.growth.fit_growth`) turns that user count into
  the first month the users reach it;
- the interval combines both uncertainties by one seeded parametric simulation: coefficient draws
  from a normal with the HAC covariance inflated so the slope's interval matches its fixed-b interval,
  paired with growth-curve draws (parameters and residual level, the growth module's own simulation).

A month index ``m`` counts from the metrics file's first row (0); a crossing at continuous time ``t``
falls in month ``floor(t + 0.5)``, the growth module's convention. A trigger that is not yet fired
cannot fire before the next month. ``inf`` (shown as ``None``/"not within the horizon") means not
reached within ``horizon_months`` of the last observation, e.g. a user count above the growth
ceiling.

**Build vs buy.** Each option's monthly cost is linear in its driver ``x`` (searches, concurrent
connections, Redis commands, job runs per month)::

    cost(x) = fixed_usd + usd_per_unit * x + ops_hours_per_month * hourly_rate [+ build_hours * hourly_rate / H]

(the bracket amortises the one-off engineering over the horizon ``H`` months; used for break-evens).
The break-even between options a and b is ``x* = (F_b - F_a) / (s_a - s_b)`` with ``F`` the
driver-free part and ``s`` the slope. The ROI of switching from the running option A to B over ``H``
months follows the roadmap's own definition (decision framework, step 4: "Migration cost: engineering
time + new service cost; Benefit: ... cost savings ...; ROI = Benefit / Cost")::

    ROI = H * (cost_A(x) + V) / (build_B * hourly_rate + H * cost_B(x))

where A's build is sunk, costs include operations time, and ``V`` is any benefit not counted in
dollars (speed, user satisfaction; 0 unless given). The rule is "If ROI < 2x: don't migrate", so an
ROI of exactly 2 clears. With the driver proportional to users (``x = k users``) the user count at
which the ROI first reaches ``R`` has the closed form of :func:`users_clearing_roi`.

**Sharding.** :func:`sharding_balance` compares shard-by-community (largest-first greedy packing) with
shard-by-user-hash (seeded multinomial simulation) on max-shard load / mean load.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from voyager_analysis import config
from voyager_analysis.errors import InputError, located, unknown_name

DECISIONS_YAML = config.ASSUMPTIONS_DIR / "decisions.yaml"
#: Hours in an average month (8,760 / 12) and seconds in it.
HOURS_PER_MONTH = 730.0
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600.0
STATUSES = ("fired", "ok", "no data")
#: How far past the last observed month a firing month is searched for.
HORIZON_MONTHS = 120


# === triggers =================================================================================================

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


# --- growth paths: users -> month ----------------------------------------------------------------------------

class MonthMapper:
    """First month (index from the data's first row) in which users reach a level, for the selected
    growth curve (point) and for ``n_sim`` seeded draws of it (parameters and residual level).

    A month ``m`` counts as reached when the curve at ``m + 0.5`` is at or above the level (a crossing
    at ``t`` falls in month ``floor(t + 0.5)``). Months are searched up to ``horizon_months`` after the
    last observed one; beyond that the answer is ``inf``.
    """

    def __init__(self, growth, *, horizon_months: int = HORIZON_MONTHS, n_sim: int = 4000,
                 seed: int = config.DEFAULT_SEED):
        model = growth.best
        self.growth = growth
        self.model_name = growth.selected
        self.t_last = int(round(float(np.max(growth.t))))
        self.months = np.arange(0, self.t_last + horizon_months + 1)
        n = self.months.size
        grid = np.concatenate([self.months + 0.5, self.months.astype(float)])  # month ends, then month points
        with np.errstate(all="ignore"):
            point = np.log(model.predict(grid))
            # the growth module's own simulation: parameter draws + a t-distributed residual level per path
            draws = model.simulate_log_users(grid, n_sim, seed)  # (n_sim, 2 n)
        self.point_log, self.int_log = point[:n], point[n:]  # log users at m + 0.5 and at m
        self.draw_log, self.int_draw_log = draws[:, :n], draws[:, n:]
        self.n_sim = n_sim
        self.first_month = growth.months[0] if growth.months else None

    def _first(self, paths: np.ndarray, log_level: np.ndarray) -> np.ndarray:
        above = paths >= log_level[..., None]
        hit = above.any(axis=-1)
        idx = np.argmax(above, axis=-1)
        return np.where(hit, self.months[idx].astype(float), np.inf)

    def point(self, users) -> np.ndarray:
        """Month the fitted curve reaches ``users`` (array-like); inf if not within the horizon."""
        u = np.asarray(users, dtype=float)
        with np.errstate(divide="ignore"):
            return self._first(np.broadcast_to(self.point_log, u.shape + self.point_log.shape), np.log(u))

    def draws(self, users) -> np.ndarray:
        """Month each growth draw reaches ``users`` (a scalar or ``n_sim`` values, paired with the draws)."""
        u = np.broadcast_to(np.asarray(users, dtype=float), (self.n_sim,))
        with np.errstate(divide="ignore"):
            return self._first(self.draw_log, np.log(u))

    def calendar(self, m) -> str | None:
        """YYYY-MM of month index ``m`` (None for inf/NaN or without calendar months)."""
        from voyager_analysis.months import month_number, month_str

        if m is None or not np.isfinite(m) or self.first_month is None:
            return None
        return month_str(int(month_number([self.first_month])[0] + int(m)))


def _quantiles(x: np.ndarray, level: float) -> tuple[float, float]:
    """Equal-tailed ``level`` interval of draws that may hold inf (no interpolation across inf)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (math.nan, math.nan)
    a = (1 - level) / 2
    lo, hi = np.quantile(x, [a, 1 - a], method="inverted_cdf")
    return float(lo), float(hi)


# --- metric vs users -------------------------------------------------------------------------------------------

@dataclass
class MetricFit:
    """``metric = a + b users`` (linear) or ``log metric = a + b log users`` (loglog), HAC OLS."""

    spec: TriggerSpec
    reg: Any  # scaling.HACRegression
    n: int
    level: float

    @property
    def slope(self) -> float:
        return float(self.reg.params[1])

    @property
    def slope_ci(self) -> tuple[float, float]:
        return tuple(self.reg.coef(self.reg.names[1])["ci"])

    @property
    def method(self) -> str:
        lhs = "log(metric) on log(users)" if self.spec.model == "loglog" else "metric on users"
        return f"{lhs}: {self.reg.method}"

    def users_at(self, threshold: float, params=None) -> np.ndarray:
        """User count at which the fitted metric reaches ``threshold`` (inf if the slope is <= 0)."""
        p = self.reg.params if params is None else np.asarray(params, dtype=float)
        a, b = p[..., 0], p[..., 1]
        with np.errstate(all="ignore"):
            if self.spec.model == "loglog":
                u = np.exp((math.log(threshold) - a) / b)
            else:
                u = (threshold - a) / b
        return np.where(b > 0, np.maximum(u, 0.0), np.inf)

    @property
    def summary(self):
        """Coefficients with HAC standard errors and fixed-b intervals (``attrs["method"]``)."""
        out = self.reg.summary()
        out.attrs["method"] = self.method
        return out

    def __str__(self) -> str:
        lo, hi = self.slope_ci
        return f"MetricFit({self.spec.metric}): slope {self.slope:.4g} [{lo:.4g}, {hi:.4g}], n={self.n}; {self.method}"

    def param_draws(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, 2) coefficient draws: normal with the HAC covariance, widened so the slope's interval
        equals its fixed-b interval (the fixed-b critical value over the normal one)."""
        from scipy.stats import norm

        crit = self.reg.coef(self.reg.names[1])["crit"]
        inflate = max(crit / float(norm.ppf(1 - self.reg.alpha / 2)), 1.0)
        w, V = np.linalg.eigh(self.reg.cov)
        root = V * np.sqrt(np.clip(w, 0, None))
        return self.reg.params + inflate * rng.standard_normal((n, 2)) @ root.T


def fit_metric(df, spec: TriggerSpec, *, level: float = 0.95, seed: int = config.DEFAULT_SEED) -> MetricFit:
    """Fit the trigger's metric against users over the months where both are present (at least 5)."""
    from voyager_analysis.scaling import hac_regression

    y = metric_series(df, spec)
    if y is None:
        raise located(_source(df), None, f"column '{spec.metric}' is absent")
    users = df["users"].to_numpy(dtype=float)
    ok = np.isfinite(y) & np.isfinite(users) & (users > 0)
    if spec.model == "loglog":
        ok &= y > 0
    if ok.sum() < 5:
        raise located(_source(df), None, f"{spec.metric}: need at least 5 months with a value to fit it against "
                                         f"users, got {int(ok.sum())}")
    x = np.log(users[ok]) if spec.model == "loglog" else users[ok]
    yy = np.log(y[ok]) if spec.model == "loglog" else y[ok]
    if np.ptp(x) == 0:
        raise located(_source(df), None, "users are constant: nothing to fit the metric against")
    name = "log_users" if spec.model == "loglog" else "users"
    reg = hac_regression(yy, np.column_stack([np.ones_like(x), x]), ["const", name], alpha=1 - level, seed=seed)
    return MetricFit(spec=spec, reg=reg, n=int(ok.sum()), level=level)


# --- the report ----------------------------------------------------------------------------------------------

@dataclass
class TriggerReport:
    """Status and forecast firing month of every roadmap trigger (see the module docstring).

    ``table`` columns: name, metric, label, threshold, unit, current, current_month, status, fired_since,
    users_at_threshold with users_low / users_high (users at which the fitted metric reaches the
    threshold), forecast_month_index with low_index / high_index (months from the data's first row),
    forecast_month / low / high (YYYY-MM; missing = not within the horizon), months_ahead (after the last
    observed month), roadmap_users_low/high and roadmap_month_low/high (the roadmap's own timing),
    users_vs_roadmap and months_vs_roadmap (earlier / later / consistent / never / "-": our interval
    entirely below, above, overlapping the roadmap's range, not reached, or nothing to compare), proxy, note.
    """

    table: Any
    level: float
    growth_model: str | None
    month_zero: str | None  # calendar month of the roadmap's Month 0
    last_month: str
    method: str
    horizon_end: str | None = None  # last month searched; None/inf forecasts mean "not by then"
    fits: dict[str, MetricFit] = field(default_factory=dict, repr=False)

    JSON_KEYS = ("name", "metric", "threshold", "unit", "current", "current_month", "status", "forecast_month",
                 "low", "high", "forecast_month_index", "months_ahead", "users_at_threshold", "users_low",
                 "users_high", "roadmap_users_low", "roadmap_users_high", "roadmap_month_low", "roadmap_month_high",
                 "users_vs_roadmap", "months_vs_roadmap", "proxy", "note")

    def to_dict(self) -> dict[str, Any]:
        """The ``triggers --json`` payload: ``{"triggers": [...], "level", "growth_model", ...}``."""
        from voyager_analysis.results import to_jsonable as jsonable

        rows = [{k: r[k] for k in self.JSON_KEYS} for r in self.table.to_dict("records")]
        return jsonable({"triggers": rows, "level": self.level, "growth_model": self.growth_model,
                         "last_month": self.last_month, "horizon_end": self.horizon_end,
                         "roadmap_month_zero": self.month_zero, "method": self.method})

    def contradictions(self):
        """Rows whose data-driven timing is earlier or later than the roadmap's, or never comes."""
        bad = ["earlier", "later", "never"]
        return self.table[self.table.users_vs_roadmap.isin(bad) | self.table.months_vs_roadmap.isin(bad)]

    def __str__(self) -> str:
        cols = ["name", "threshold", "current", "status", "forecast_month", "low", "high"]
        return (f"Roadmap triggers (data to {self.last_month}; growth model {self.growth_model}; "
                f"{self.level:.0%} intervals)\n" + self.table[cols].to_string(index=False))

    def _repr_html_(self) -> str:
        cols = ["name", "label", "threshold", "current", "status", "forecast_month", "low", "high",
                "users_at_threshold", "roadmap_users_low", "roadmap_users_high", "roadmap_month_low",
                "roadmap_month_high", "users_vs_roadmap", "months_vs_roadmap", "note"]
        return (f"<p><b>Roadmap triggers</b>: data to {self.last_month}, growth model <b>{self.growth_model}</b>, "
                f"{self.level:.0%} intervals. {self.method}</p>"
                + self.table[cols].to_html(index=False, na_rep="-", float_format="{:,.4g}".format))


def _timing(f_lo: float, f_hi: float, r_lo: float, r_hi: float) -> str:
    """Our interval [f_lo, f_hi] vs the roadmap's [r_lo, r_hi]: earlier / later / consistent / never / -."""
    if any(isinstance(v, float) and math.isnan(v) for v in (f_lo, f_hi, r_lo, r_hi)):
        return "-"
    if math.isinf(f_lo):
        return "never"
    if f_hi < r_lo:
        return "earlier"
    if f_lo > r_hi:
        return "later"
    return "consistent"


def trigger_report(df, roadmap, growth=None, *, triggers: Sequence[TriggerSpec] = TRIGGERS, level: float = 0.95,
                   n_sim: int = 4000, seed: int = config.DEFAULT_SEED,
                   horizon_months: int = HORIZON_MONTHS) -> TriggerReport:
    """Status and forecast firing month (with a ``level`` interval) of each trigger.

    ``growth``: a fitted :class:`~voyager_analysis.growth.GrowthComparison` (default: ``fit_growth(df,
    "auto")``, selected by AICc). If no growth curve can be fitted, statuses are still given and forecasts are None with
    the reason in ``note``; likewise for a metric too short to fit. ``n_sim`` seeded draws carry the
    uncertainty of the metric fit and of the growth curve into the interval.
    """
    import pandas as pd

    from voyager_analysis import growth as growth_mod
    from voyager_analysis.months import month_number

    if not 0 < level < 1:
        raise InputError(f"level must lie in (0, 1), got {level}")
    for spec in triggers:
        if spec.model not in MODELS:
            raise InputError(f"trigger {spec.name}: " + unknown_name("model", spec.model, MODELS))
    table = current_status(df, roadmap, triggers)
    months = list(df["month"])
    t_last = len(months) - 1
    month_zero = growth_mod.roadmap_month_zero(roadmap)
    offset = int(month_number([months[0]])[0] - month_number([month_zero])[0])  # data row 0 is this roadmap month
    mapper, growth_note = None, None
    try:
        if growth is None:
            # selection by AICc only: the rolling-origin check (n_origins) is notebook 02's business
            growth = growth_mod.fit_growth(df, "auto", level=level, roadmap=roadmap, n_origins=0)
        mapper = MonthMapper(growth, horizon_months=horizon_months, n_sim=n_sim, seed=seed)
    except InputError as exc:
        growth_note = f"no growth forecast: {exc}"
    rng = np.random.default_rng(seed)
    fits, out = {}, []
    for spec, row in zip(triggers, table.to_dict("records")):
        th = roadmap.get(f"thresholds.{spec.name}")
        row.update(users_at_threshold=math.nan, users_low=math.nan, users_high=math.nan,
                   forecast_month_index=math.nan, low_index=math.nan, high_index=math.nan, forecast_month=None,
                   low=None, high=None, months_ahead=math.nan, roadmap_users_low=math.nan,
                   roadmap_users_high=math.nan, roadmap_month_low=None, roadmap_month_high=None,
                   users_vs_roadmap="-", months_vs_roadmap="-", note=None)
        r_lo = r_hi = math.nan
        if spec.roadmap_users:
            ru = roadmap.get(spec.roadmap_users)
            row.update(roadmap_users_low=ru.low, roadmap_users_high=ru.high)
        if spec.roadmap_months:
            rm = roadmap.get(spec.roadmap_months)
            r_lo, r_hi = rm.low - offset, rm.high - offset
            row.update(roadmap_month_low=_calendar(months[0], r_lo), roadmap_month_high=_calendar(months[0], r_hi))
        notes = []
        if row["status"] == "no data":
            notes.append(spec.proxy or f"column '{spec.metric}' is not in the metrics file")
        else:
            if spec.proxy:
                notes.append(f"proxy: {spec.proxy}")
            try:
                f = _forecast_one(df, spec, th, mapper, level, n_sim, rng, seed)
            except InputError as exc:
                f = None
                notes.append(f"no forecast: {exc}")
            if f is not None and f["fit"] is not None:
                fits[spec.name] = f["fit"]
            if f is not None and f["users"] is not None:
                row.update(users_at_threshold=f["users"], users_low=f["users_low"], users_high=f["users_high"])
            if row["status"] == "fired":
                m = float(months.index(row["fired_since"]))
                row.update(forecast_month_index=m, low_index=m, high_index=m)
                notes.append(f"fired since {row['fired_since']}")
            elif mapper is None:
                notes.append(growth_note)
            elif f is not None:
                floor = t_last + 1.0  # not fired now: the earliest it can fire is next month
                est, draws = max(f["month"], floor), np.maximum(f["month_draws"], floor)
                lo, hi = _quantiles(draws, level)
                row.update(forecast_month_index=est, low_index=lo, high_index=hi, months_ahead=est - t_last)
                if not np.isfinite(est):
                    why = (f": {f['users']:,.0f} users needed, beyond the growth curve" if f["users"] is not None
                           and np.isfinite(f["users"]) else "")
                    notes.append(f"not reached within {horizon_months} months of {months[-1]}{why}")
        row["forecast_month"] = _calendar(months[0], row["forecast_month_index"])
        row["low"] = _calendar(months[0], row["low_index"])
        row["high"] = _calendar(months[0], row["high_index"])
        if spec.roadmap_users and spec.model != "users":
            row["users_vs_roadmap"] = _timing(row["users_low"], row["users_high"], row["roadmap_users_low"],
                                              row["roadmap_users_high"])
        if spec.roadmap_months:
            row["months_vs_roadmap"] = _timing(row["low_index"], row["high_index"], r_lo, r_hi)
        row["note"] = "; ".join(n for n in notes if n) or None
        out.append(row)
    method = ("users at the threshold from OLS of the metric on users (log-log for costs) with Newey-West HAC "
              "errors and fixed-b critical values; month from the selected growth curve; intervals from "
              f"{n_sim} seeded joint draws of both (seed {seed})")
    return TriggerReport(table=pd.DataFrame(out), level=level, growth_model=mapper.model_name if mapper else None,
                         month_zero=month_zero, last_month=months[-1], method=method,
                         horizon_end=_calendar(months[0], t_last + horizon_months), fits=fits)


def _calendar(first_month: str, m) -> str | None:
    """YYYY-MM of month index ``m`` counted from ``first_month`` (None for NaN/inf)."""
    from voyager_analysis.months import month_number, month_str

    if m is None or not np.isfinite(m):
        return None
    return month_str(int(month_number([first_month])[0] + int(round(float(m)))))


def _forecast_one(df, spec, th, mapper: MonthMapper | None, level, n_sim, rng, seed) -> dict[str, Any]:
    """Users at the threshold (point, interval) and the month it is reached (point, draws; None without
    a growth curve) for one trigger."""
    out = {"users": None, "users_low": None, "users_high": None, "month": None, "month_draws": None, "fit": None}
    if spec.model == "users":
        out.update(users=th.low, users_low=th.low, users_high=th.low)
        if mapper is not None:
            out.update(month=float(mapper.point(th.low)), month_draws=mapper.draws(th.low))
        return out
    if spec.model == "change":
        from voyager_analysis.metrics import total_cost_usd
        from voyager_analysis.scaling import hac_regression

        if mapper is None:
            return out
        cost = total_cost_usd(df).to_numpy(dtype=float)
        users = df["users"].to_numpy(dtype=float)
        ok = (cost > 0) & (users > 0)
        if ok.sum() < 5:
            raise InputError(f"need at least 5 months with a positive total cost, got {int(ok.sum())}")
        X = np.column_stack([np.ones(int(ok.sum())), np.log(users[ok])])
        reg = hac_regression(np.log(cost[ok]), X, ["const", "log_users"], alpha=1 - level, seed=seed)
        fit = MetricFit(spec=spec, reg=reg, n=int(ok.sum()), level=level)
        b_draws = fit.param_draws(n_sim, rng)[:, 1]
        # expected month-on-month change of cost = (users_m / users_{m-1})^b - 1 along each growth path
        m_index = mapper.months[1:].astype(float)
        future = m_index > mapper.t_last
        est = _first_change(np.expm1(fit.slope * np.diff(mapper.int_log))[None, :], th, m_index, future)[0]
        draws = _first_change(np.expm1(b_draws[:, None] * np.diff(mapper.int_draw_log, axis=1)), th, m_index, future)
        out.update(month=float(est), month_draws=draws, fit=fit)
        return out
    fit = fit_metric(df, spec, level=level, seed=seed)
    u_est = float(fit.users_at(th.low))
    u_draws = fit.users_at(th.low, fit.param_draws(n_sim, rng))
    ulo, uhi = _quantiles(u_draws, level)
    out.update(users=u_est, users_low=ulo, users_high=uhi, fit=fit)
    if mapper is not None:
        out.update(month=float(mapper.point(u_est)), month_draws=mapper.draws(u_draws))
    return out


def _first_change(change: np.ndarray, th, m_index: np.ndarray, future: np.ndarray) -> np.ndarray:
    """First future month index whose change fires the threshold, per row; inf if none."""
    above = _fires(change, th.low, th.qualifier) & future[None, :]
    return np.where(above.any(axis=1), m_index[np.argmax(above, axis=1)], np.inf)


# === build vs buy ==============================================================================================

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


def load_decision_assumptions(path: str | Path | None = None) -> dict[str, Any]:
    """Load ``data/assumptions/decisions.yaml`` (or another file of the same shape) as a figure tree."""
    from voyager_analysis.assumptions import load_figures

    return load_figures(path if path is not None else DECISIONS_YAML)


def decision_figures(roadmap, assumptions: Mapping[str, Any]) -> dict[str, Any]:
    """All ranged inputs of the build-vs-buy models: ``{dotted path: Figure}`` from decisions.yaml plus the
    roadmap's option prices (:data:`ROADMAP_INPUTS`, keyed by their roadmap.yaml path)."""
    from voyager_analysis.assumptions import iter_figures

    figs = {f.path: f for f in iter_figures(assumptions)}
    for path, part in ROADMAP_INPUTS.items():
        f = roadmap.get(path)
        figs[path] = replace(f, high=f.low, distribution="uniform", mode=None) if part == "low" else f
    return figs


def point_value(fig) -> float:
    """The value used for point results: the middle of a uniform range, the geometric middle of a
    log-uniform one, the mode of a triangular one."""
    if fig.is_point:
        return float(fig.low)
    if fig.distribution == "loguniform":
        return float(math.sqrt(fig.low * fig.high))
    if fig.distribution == "triangular":
        return float(fig.mode)
    return float(fig.mid)


def point_inputs(figures: Mapping[str, Any]) -> dict[str, float]:
    return {k: point_value(f) for k, f in figures.items()}


def sample_inputs(figures: Mapping[str, Any], n: int, seed: int = config.DEFAULT_SEED) -> dict[str, np.ndarray]:
    """``n`` seeded draws of every figure from its distribution (uniform, triangular, log-uniform)."""
    rng = np.random.default_rng(seed)
    out = {}
    for k, f in figures.items():
        if f.is_point:
            out[k] = np.full(n, float(f.low))
        elif f.distribution == "loguniform":
            out[k] = np.exp(rng.uniform(math.log(f.low), math.log(f.high), n))
        elif f.distribution == "triangular":
            out[k] = rng.triangular(f.low, f.mode, f.high, n)
        else:
            out[k] = rng.uniform(f.low, f.high, n)
    return out


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


def breakeven(a: Option, b: Option, hourly_rate_usd, horizon_months=None):
    """Driver value at which ``a`` and ``b`` cost the same per month: ``(F_b - F_a) / (s_a - s_b)``.

    ``F`` = fees + operations time (+ build / horizon), ``s`` = USD per driver unit. NaN when the lines
    do not cross at a driver value > 0 (parallel, or one option is cheaper at every volume).
    """
    Fa, Fb = a.intercept_usd(hourly_rate_usd, horizon_months), b.intercept_usd(hourly_rate_usd, horizon_months)
    ds = np.asarray(a.usd_per_unit, float) - np.asarray(b.usd_per_unit, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (Fb - Fa) / ds
    return np.where((ds != 0) & (x > 0), x, np.nan)


def switch_roi(current: Option, new: Option, driver, hourly_rate_usd, horizon_months, other_benefit_usd_per_month=0.0):
    """ROI of moving from the running ``current`` option to ``new`` over ``horizon_months`` at ``driver``:
    ``H (cost_current + V) / (build_new * rate + H cost_new)`` (module docstring; costs with operations time)."""
    H = horizon_months
    benefit = H * (current.monthly_cost_usd(driver, hourly_rate_usd) + other_benefit_usd_per_month)
    cost = np.asarray(new.build_hours, float) * hourly_rate_usd + H * new.monthly_cost_usd(driver, hourly_rate_usd)
    with np.errstate(divide="ignore", invalid="ignore"):
        return benefit / cost


def clears(roi, min_roi: float):
    """The roadmap's bar: "If ROI < 2x: don't migrate", so ROI >= min_roi clears (exactly 2x counts)."""
    return np.asarray(roi) >= min_roi


def users_clearing_roi(current: Option, new: Option, per_user, hourly_rate_usd, horizon_months, min_roi: float,
                       other_benefit_usd_per_month=0.0):
    """Smallest user count at which the switch's ROI reaches ``min_roi`` (driver = ``per_user`` x users).

    With ``a0, a1`` the current option's intercept and slope, ``b0, b1`` the new one's, ``E`` its build
    cost, ``R`` the bar, ``k`` the driver per user: ROI >= R  <=>  ``H k u (a1 - R b1) >= D`` with
    ``D = R E + R H b0 - H (a0 + V)``. So ``u* = D / (H k (a1 - R b1))`` when ``a1 > R b1`` (0 if
    D <= 0); when ``a1 <= R b1`` it clears at every scale if D <= 0 (u* = 0) and never otherwise (inf).
    """
    H, R = horizon_months, min_roi
    a0 = current.intercept_usd(hourly_rate_usd) + other_benefit_usd_per_month
    b0 = new.intercept_usd(hourly_rate_usd)
    a1, b1 = np.asarray(current.usd_per_unit, float), np.asarray(new.usd_per_unit, float)
    E = np.asarray(new.build_hours, float) * hourly_rate_usd
    D = R * E + R * H * b0 - H * a0
    g = H * np.asarray(per_user, float) * (a1 - R * b1)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(g > 0, np.maximum(D, 0.0) / g, np.where(D <= 0, 0.0, np.inf))
    return u


def required_other_benefit(current: Option, new: Option, driver, hourly_rate_usd, horizon_months, min_roi: float):
    """Non-dollar benefit per month (speed, satisfaction) the switch must bring for its ROI to reach
    ``min_roi``: ``R E / H + R cost_new - cost_current`` (<= 0: it clears on cost alone)."""
    E = np.asarray(new.build_hours, float) * hourly_rate_usd
    return (min_roi * E / horizon_months + min_roi * new.monthly_cost_usd(driver, hourly_rate_usd)
            - current.monthly_cost_usd(driver, hourly_rate_usd))


@dataclass
class BuildVsBuy:
    """Build-vs-buy results for every decision (see the module docstring for the formulas).

    ``options``: monthly cost pieces of each option (point inputs). ``breakeven``: each pair of options'
    break-even driver and user count (build amortised over the horizon), with ``level`` intervals over the
    assumption ranges. ``roi``: each switch from the running option, at ``users``: ROI (point and
    interval), whether it clears the roadmap's bar, the user count (and month, with a growth curve) at
    which it first does, and the non-dollar benefit per month it would need.
    """

    decisions: dict[str, Decision]
    per_user: dict[str, tuple[float, float, float, str]]  # estimate, low, high, where from
    users: float
    hourly_rate_usd: float
    horizon_months: float
    min_roi: float
    other_benefit_usd_per_month: float
    level: float
    options: Any
    breakeven: Any
    roi: Any
    prices: Any  # price rows used (with as_of)
    n_draws: int
    seed: int

    @property
    def as_of(self) -> str:
        return str(self.prices["as_of"].max())

    def cost_curves(self, decision: str, users):
        """Monthly cost of each option (ops time included, build amortised over the horizon) at ``users``."""
        import pandas as pd

        d = self.decisions[decision]
        users = np.asarray(users, dtype=float)
        x = users * self.per_user[decision][0]
        out = pd.DataFrame({"users": users, "driver": x})
        for k, o in d.options.items():
            out[k] = o.monthly_cost_usd(x, self.hourly_rate_usd, self.horizon_months)
        return out

    def roi_curves(self, decision: str, users):
        """ROI of each switch from the running option at ``users`` (point inputs)."""
        import pandas as pd

        d = self.decisions[decision]
        users = np.asarray(users, dtype=float)
        x = users * self.per_user[decision][0]
        out = pd.DataFrame({"users": users})
        cur = d.options[d.current]
        for k in d.alternatives():
            out[k] = switch_roi(cur, d.options[k], x, self.hourly_rate_usd, self.horizon_months,
                                self.other_benefit_usd_per_month)
        return out

    def to_dict(self) -> dict[str, Any]:
        from voyager_analysis.results import to_jsonable as jsonable

        return jsonable({"roi": self.roi.to_dict("records"), "breakeven": self.breakeven.to_dict("records"),
                         "hourly_rate_usd": self.hourly_rate_usd, "horizon_months": self.horizon_months,
                         "min_roi": self.min_roi, "users": self.users})

    def __str__(self) -> str:
        cols = ["decision", "switch", "roi", "roi_low", "roi_high", "clears", "users_at_min_roi"]
        return (f"Build vs buy at {self.users:,.0f} users, ${self.hourly_rate_usd:,.0f}/engineer hour, "
                f"{self.horizon_months:g}-month horizon, bar {self.min_roi:g}x\n" + self.roi[cols].to_string(index=False))

    def _repr_html_(self) -> str:
        return (f"<p><b>Build vs buy</b> at {self.users:,.0f} users, ${self.hourly_rate_usd:,.0f} per engineer hour, "
                f"{self.horizon_months:g}-month horizon, roadmap bar ROI &ge; {self.min_roi:g}x; prices as of "
                f"{self.as_of}</p>" + self.roi.to_html(index=False, na_rep="-", float_format="{:,.4g}".format))


def _per_user_drivers(df, figures, level, seed) -> dict[str, tuple[float, float, float, str]]:
    """Driver per user for each decision: searches from the usage curve when the metrics have them."""
    out = {}
    for name, (_, key, _, _) in DECISIONS.items():
        f = figures[key]
        out[name] = (point_value(f), f.low, f.high, "data/assumptions/decisions.yaml")
    if df is not None and "searches" in df.columns and df["searches"].notna().sum() >= 6:
        from voyager_analysis.usage import fit_activity

        try:
            est, lo, hi = fit_activity(df, "searches", alpha=1 - level, seed=seed).per_user_interval()
            out["search"] = (est, lo, hi, f"usage curve of searches per user at {df['month'].iat[-1]} "
                                          f"({_source(df) or 'metrics'})")
        except InputError:
            pass
    return out


def build_vs_buy(roadmap, prices, assumptions: Mapping[str, Any] | None = None, *, df=None, users: float | None = None,
                 hourly_rate_usd: float | None = None, horizon_months: float | None = None, min_roi: float | None = None,
                 other_benefit_usd_per_month: float = 0.0, growth=None, level: float = 0.95, n_draws: int = 4000,
                 seed: int = config.DEFAULT_SEED, horizon_search_months: int = HORIZON_MONTHS) -> BuildVsBuy:
    """Break-evens, ROI of each switch and the user count where it clears the roadmap's bar.

    ``assumptions``: the decisions.yaml figure tree (default: the shipped file). ``df``: metrics (the
    latest users, and searches per user from the usage curve). ``users``: where to evaluate the ROI
    (default: the latest observed users). ``hourly_rate_usd``/``horizon_months``: override the middle of
    the assumption ranges (fixed, not drawn, when given). ``min_roi``: default the roadmap's
    ``thresholds.migrate_min_roi``. ``growth``: a fitted GrowthComparison to turn user counts into months.
    Intervals are ``level`` quantiles over ``n_draws`` seeded draws of every ranged input.
    """
    import pandas as pd

    assumptions = load_decision_assumptions() if assumptions is None else assumptions
    figures = decision_figures(roadmap, assumptions)
    per_user = _per_user_drivers(df, figures, level, seed)
    if users is None:
        if df is None:
            raise InputError("build_vs_buy needs users= or a metrics frame df=")
        users = float(df["users"].dropna().iat[-1])
    if not users > 0:
        raise InputError(f"users must be > 0, got {users}")
    if min_roi is None:
        min_roi = roadmap.get("thresholds.migrate_min_roi").value
    point = point_inputs(figures)
    draws = sample_inputs(figures, n_draws, seed)
    rng = np.random.default_rng(seed + 1)
    for name, (est, lo, hi, src) in per_user.items():
        key = DECISIONS[name][1]
        point[key] = est
        if src.startswith("usage curve") and hi > lo > 0:  # a measured interval: log-normal around the fit
            from scipy.stats import norm

            sd = (math.log(hi) - math.log(lo)) / (2 * norm.ppf(0.5 + level / 2))
            draws[key] = est * np.exp(sd * rng.standard_normal(n_draws))
    for key, given in (("engineering.usd_per_hour", hourly_rate_usd), ("roi.horizon_months", horizon_months)):
        if given is not None:
            if not (isinstance(given, (int, float)) and given > 0):
                raise InputError(f"{key.split('.')[-1]} must be a number > 0, got {given!r}")
            point[key] = float(given)
            draws[key] = np.full(n_draws, float(given))
    rate, H = point["engineering.usd_per_hour"], point["roi.horizon_months"]
    rate_d, H_d = draws["engineering.usd_per_hour"], draws["roi.horizon_months"]
    up = unit_prices(prices)
    mapper = (MonthMapper(growth, horizon_months=horizon_search_months, n_sim=n_draws, seed=seed)
              if growth is not None else None)
    decisions, opt_rows, be_rows, roi_rows = {}, [], [], []
    for name in DECISIONS:
        d = build_decision(name, point, up)
        dd = build_decision(name, draws, up)
        decisions[name] = d
        k, k_d = point[d.per_user_input], draws[d.per_user_input]
        for o in d.options.values():
            opt_rows.append({"decision": name, "option": o.name, "label": o.label, "driver": d.driver,
                             "fixed_usd_per_month": o.fixed_usd_per_month, "usd_per_unit": o.usd_per_unit,
                             "ops_hours_per_month": o.ops_hours_per_month, "build_hours": o.build_hours,
                             "running": o.name == d.current})
        for a, b in combinations(d.options, 2):
            if d.options[b].variant_of == a or d.options[a].variant_of == b:
                continue
            x = float(breakeven(d.options[a], d.options[b], rate, H))
            x_d = breakeven(dd.options[a], dd.options[b], rate_d, H_d)
            u_d = np.where(np.isnan(x_d), np.inf, x_d / k_d)
            lo, hi = _quantiles(u_d, level)
            cheap_small = a if d.options[a].intercept_usd(rate, H) <= d.options[b].intercept_usd(rate, H) else b
            other = b if cheap_small == a else a
            be_rows.append({"decision": name, "option_a": a, "option_b": b, "breakeven_driver": x,
                            "driver": d.driver, "breakeven_users": x / k if np.isfinite(x) else math.nan,
                            "users_low": lo, "users_high": hi,
                            "share_of_draws_crossing": float(np.mean(~np.isnan(x_d))),
                            "cheaper_below": cheap_small, "cheaper_above": other if np.isfinite(x) else cheap_small})
        cur, cur_d = d.options[d.current], dd.options[d.current]
        for alt in d.alternatives():
            new, new_d = d.options[alt], dd.options[alt]
            x, x_d = k * users, k_d * users
            roi = float(switch_roi(cur, new, x, rate, H, other_benefit_usd_per_month))
            roi_d = switch_roi(cur_d, new_d, x_d, rate_d, H_d, other_benefit_usd_per_month)
            u_star = float(users_clearing_roi(cur, new, k, rate, H, min_roi, other_benefit_usd_per_month))
            u_star_d = users_clearing_roi(cur_d, new_d, k_d, rate_d, H_d, min_roi, other_benefit_usd_per_month)
            saving = float(cur.monthly_cost_usd(x, rate) - new.monthly_cost_usd(x, rate))
            build = float(new.build_hours) * rate
            rlo, rhi = _quantiles(roi_d, level)
            ulo, uhi = _quantiles(u_star_d, level)
            row = {"decision": name, "switch": f"{d.current} -> {alt}", "from": d.current, "to": alt,
                   "users": users, "driver_value": x, "driver": d.driver,
                   "cost_from_usd_per_month": float(cur.monthly_cost_usd(x, rate)),
                   "cost_to_usd_per_month": float(new.monthly_cost_usd(x, rate)), "build_usd": build,
                   "roi": roi, "roi_low": rlo, "roi_high": rhi, "clears": bool(clears(roi, min_roi)),
                   "share_of_draws_clearing": float(np.mean(clears(roi_d, min_roi))),
                   "users_at_min_roi": u_star, "users_at_min_roi_low": ulo, "users_at_min_roi_high": uhi,
                   "month_at_min_roi": None, "month_at_min_roi_low": None, "month_at_min_roi_high": None,
                   "required_other_benefit_usd_per_month": float(
                       required_other_benefit(cur, new, x, rate, H, min_roi)),
                   "net_saving_usd_per_month": saving,
                   "payback_months": build / saving if saving > 0 else math.inf}
            if mapper is not None:  # a bar already cleared at today's users counts from the last month
                m = max(float(mapper.point(u_star)), mapper.t_last)
                mlo, mhi = _quantiles(np.maximum(mapper.draws(u_star_d), mapper.t_last), level)
                row.update(month_at_min_roi=mapper.calendar(m), month_at_min_roi_low=mapper.calendar(mlo),
                           month_at_min_roi_high=mapper.calendar(mhi))
            roi_rows.append(row)
    return BuildVsBuy(decisions=decisions, per_user=per_user, users=users, hourly_rate_usd=rate, horizon_months=H,
                      min_roi=min_roi, other_benefit_usd_per_month=other_benefit_usd_per_month, level=level,
                      options=pd.DataFrame(opt_rows), breakeven=pd.DataFrame(be_rows), roi=pd.DataFrame(roi_rows),
                      prices=price_rows(prices), n_draws=n_draws, seed=seed)


# === sharding ================================================================================================

def roadmap_communities(roadmap) -> list[float]:
    """The roadmap's sharding example as community sizes: A, B, then C-J's total split evenly over its count
    (50K, 30K and 8 x 2.5K in the shipped roadmap.yaml)."""
    s = roadmap.get("sharding")
    n = int(s["communities_c_to_j_count"].value)
    return [s["community_a_users"].value, s["community_b_users"].value] + [s["communities_c_to_j_users"].value / n] * n


def _check_sizes(sizes, n_shards: int) -> np.ndarray:
    x = np.asarray(sizes, dtype=float).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < 0) or x.sum() <= 0:
        raise InputError("community sizes must be a non-empty list of user counts >= 0 with a positive total")
    if not (isinstance(n_shards, (int, np.integer)) and n_shards >= 1):
        raise InputError(f"n_shards must be a whole number >= 1, got {n_shards!r}")
    return x


def community_shard_loads(sizes, n_shards: int) -> np.ndarray:
    """Users per shard when whole communities go to shards: largest community first, each to the least
    loaded shard (greedy LPT packing; a community larger than a fair share sits alone). Sorted, largest first."""
    x = _check_sizes(sizes, n_shards)
    loads = np.zeros(n_shards)
    for s in np.sort(x)[::-1]:
        loads[np.argmin(loads)] += s
    return np.sort(loads)[::-1]


def hash_shard_loads(total_users: float, n_shards: int, n_sim: int = 2000, seed: int = config.DEFAULT_SEED) -> np.ndarray:
    """(n_sim, n_shards) users per shard when each user is hashed to a shard (uniform, independent)."""
    _check_sizes([total_users], n_shards)
    rng = np.random.default_rng(seed)
    return rng.multinomial(int(round(total_users)), np.full(n_shards, 1.0 / n_shards), size=n_sim).astype(float)


def cross_shard_share(group_size, n_shards: int):
    """Share of Collab Spaces whose ``group_size`` members are not all on one shard under user-hash sharding:
    ``1 - (1/n)^(g-1)`` (0 under community sharding, where a space stays inside its community)."""
    g = np.asarray(group_size, dtype=float)
    return 1.0 - (1.0 / n_shards) ** (g - 1.0)


def sharding_balance(sizes, n_shards: int, *, n_sim: int = 2000, seed: int = config.DEFAULT_SEED, level: float = 0.95):
    """Max-shard load / mean load of shard-by-community vs shard-by-user-hash (1 = perfectly even).

    Columns: strategy, max_shard_users, mean_shard_users, max_over_mean (hash: mean over ``n_sim``
    seeded draws), max_over_mean_low/high (hash: ``level`` interval), lower_bound (max(largest
    community, total/n) / mean for community sharding: no packing can do better).
    """
    import pandas as pd

    x = _check_sizes(sizes, n_shards)
    total, mean = x.sum(), x.sum() / n_shards
    comm = community_shard_loads(x, n_shards)
    hashed = hash_shard_loads(total, n_shards, n_sim, seed).max(axis=1) / mean
    lo, hi = _quantiles(hashed, level)
    rows = [
        {"strategy": "community", "max_shard_users": comm[0], "mean_shard_users": mean, "max_over_mean": comm[0] / mean,
         "max_over_mean_low": comm[0] / mean, "max_over_mean_high": comm[0] / mean,
         "lower_bound": max(x.max(), mean) / mean, "loads": comm.tolist()},
        {"strategy": "user_hash", "max_shard_users": float(hashed.mean() * mean), "mean_shard_users": mean,
         "max_over_mean": float(hashed.mean()), "max_over_mean_low": lo, "max_over_mean_high": hi,
         "lower_bound": 1.0, "loads": [mean] * n_shards},
    ]
    out = pd.DataFrame(rows)
    out.attrs.update({"n_shards": n_shards, "communities": len(x), "total_users": total, "n_sim": n_sim, "seed": seed})
    return out
