"""Triggers: when each roadmap alert/migration threshold fires.

Every threshold is read from the roadmap object (group ``thresholds``). :data:`TRIGGERS` maps each one to a
column of the metrics table (a trigger whose column is absent gets status ``no data``, never an error).
:func:`trigger_report` gives, per trigger, the latest value, the status (``fired`` / ``ok`` / ``no data``) and
the month it is forecast to fire:

- the metric is modelled as a function of users, ``metric = a + b users`` (``linear``, additive errors) or
  ``log metric = a + b log users`` (``loglog``, multiplicative errors), by OLS with Newey-West HAC errors and
  fixed-b critical values (:func:`voyager_analysis.stats.hac.hac_regression`); inverting it gives the user
  count at the threshold;
- the selected growth curve (:func:`voyager_analysis.growth.fit_growth`) turns that user count into the first
  month the users reach it (:class:`voyager_analysis.growth.MonthMapper`);
- the interval combines both uncertainties by one seeded parametric simulation: coefficient draws from a
  normal with the HAC covariance inflated so the slope's interval matches its fixed-b interval, paired with
  growth-curve draws (parameters and residual level, the growth module's own simulation).

A month index ``m`` counts from the metrics table's first row (0); a crossing at continuous time ``t`` falls
in month ``floor(t + 0.5)``, the growth module's convention. A trigger that is not yet fired cannot fire
before the next month. ``inf`` (shown as ``None``/"not within the horizon") means not reached within
``horizon_months`` of the last observation, e.g. a user count above the growth ceiling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voyager_analysis import config
from voyager_analysis.decisions import MODELS, TRIGGERS, TriggerSpec, _fires, _source, current_status, metric_series
from voyager_analysis.errors import ConvergenceError, InputError, located, unknown_name
from voyager_analysis.growth.paths import HORIZON_MONTHS, MonthMapper
from voyager_analysis.results import Results
from voyager_analysis.stats.bootstrap import draw_interval
from voyager_analysis.stats.hac import hac_regression

# --- metric vs users -------------------------------------------------------------------------------------------

@dataclass(repr=False)
class MetricFit(Results):
    """``metric = a + b users`` (linear) or ``log metric = a + b log users`` (loglog), HAC OLS."""

    spec: TriggerSpec
    reg: Any  # stats.hac.HACRegression
    n: int
    level: float
    relation: str | None = None  # one of RELATIONS; None: the trigger's own model (linear or loglog)

    @property
    def slope(self) -> float:
        return float(self.reg.params[1])

    @property
    def slope_ci(self) -> tuple[float, float]:
        return tuple(self.reg.coef(self.reg.names[1])["ci"])

    @property
    def method(self) -> str:
        lhs = RELATIONS[self.relation or self.spec.model]
        return f"{lhs}: {self.reg.method}"

    def users_at(self, threshold: float, params=None) -> np.ndarray:
        """User count (month index for the ``time`` relation) at which the fitted metric reaches ``threshold``
        (inf if the slope is <= 0)."""
        p = self.reg.params if params is None else np.asarray(params, dtype=float)
        a, b = p[..., 0], p[..., 1]
        rel = self.relation or self.spec.model
        with np.errstate(all="ignore"):
            if rel == "loglog":
                u = np.exp((math.log(threshold) - a) / b)
            elif rel == "log_users":
                u = np.exp((threshold - a) / b)
            else:
                u = (threshold - a) / b
        return np.where(b > 0, np.maximum(u, 0.0), np.inf)

    def month_at(self, threshold: float, params=None):
        """``time`` relation: the month (index) in which the fitted metric reaches ``threshold`` (a crossing at t
        falls in month floor(t + 0.5)); inf if it never does."""
        t = self.users_at(threshold, params)
        with np.errstate(invalid="ignore"):
            m = np.where(np.isfinite(t), np.floor(t + 0.5), np.inf)
        return float(m) if np.ndim(m) == 0 else m

    title = "Trigger metric against users"

    def summary(self):
        """Coefficients with HAC standard errors and fixed-b intervals (``attrs["method"]``)."""
        out = self.reg.summary()
        out.attrs["method"] = self.method
        return out

    def _payload(self) -> dict[str, Any]:
        return {"trigger": self.spec.name, "metric": self.spec.metric, "slope": self.slope,
                "slope_ci": list(self.slope_ci), "n": self.n, "method": self.method}

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


def fit_metric(df, spec: TriggerSpec, *, level: float = 0.95, seed: int = config.DEFAULT_SEED,
               relation: str | None = None) -> MetricFit:
    """Fit the trigger's metric against users over the months where both are present (at least 5).

    ``relation`` (default the trigger's own model): one of :data:`RELATIONS` — ``linear`` (metric on users),
    ``loglog``, ``log_users`` (metric on log users) or ``time`` (metric on the month index)."""
    if relation is not None and relation != spec.model:
        x, yy, ok = _relation_data(df, spec, relation)
        if ok.sum() < 5 or np.ptp(x) == 0:
            raise located(_source(df), None, f"{spec.metric}: too few distinct months to fit it on {relation}")
        reg = hac_regression(yy, np.column_stack([np.ones_like(x), x]), ["const", relation], alpha=1 - level,
                             seed=seed)
        return MetricFit(spec=spec, reg=reg, n=int(ok.sum()), level=level, relation=relation)
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

@dataclass(repr=False)
class TriggerReport(Results):
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
                 "users_vs_roadmap", "months_vs_roadmap", "proxy", "note", "relation", "relations")

    title = "Roadmap triggers"

    def summary(self):
        """One row per trigger: threshold, latest value, status, forecast month and its interval."""
        return self.table[["name", "threshold", "current", "status", "forecast_month", "low", "high"]]

    def _payload(self) -> dict[str, Any]:
        """The ``triggers --json`` payload: ``{"triggers": [...], "level", "growth_model", ...}``."""
        rows = [{k: r[k] for k in self.JSON_KEYS} for r in self.table.to_dict("records")]
        return {"triggers": rows, "level": self.level, "growth_model": self.growth_model,
                "last_month": self.last_month, "horizon_end": self.horizon_end,
                "roadmap_month_zero": self.month_zero, "method": self.method}

    def _repr_html_(self) -> str:
        cols = ["name", "label", "threshold", "current", "status", "forecast_month", "low", "high",
                "users_at_threshold", "roadmap_users_low", "roadmap_users_high", "roadmap_month_low",
                "roadmap_month_high", "users_vs_roadmap", "months_vs_roadmap", "note"]
        return (f"<p><b>Roadmap triggers</b>: data to {self.last_month}, growth model <b>{self.growth_model}</b>, "
                f"{self.level:.0%} intervals. {self.method}</p>"
                + self.table[cols].to_html(index=False, na_rep="-", float_format="{:,.4g}".format))

    def contradictions(self):
        """Rows whose data-driven timing is earlier or later than the roadmap's, or never comes."""
        bad = ["earlier", "later", "never"]
        return self.table[self.table.users_vs_roadmap.isin(bad) | self.table.months_vs_roadmap.isin(bad)]

    def __repr__(self) -> str:
        return (f"Roadmap triggers (data to {self.last_month}; growth model {self.growth_model}; "
                f"{self.level:.0%} intervals)\n" + self.summary().to_string(index=False))

    __str__ = __repr__

    def plot_timeline(self, first_month: str, *, note: str = ""):
        """Each trigger's forecast month with its interval, and the roadmap's own timing."""
        from voyager_analysis.plots.decisions import trigger_timeline

        return trigger_timeline(self, first_month, note=note)

    def status_findings(self) -> str:
        """Markdown: which triggers fired, when the others fire (with interval and users), which never do within
        the horizon, and which cannot be evaluated for lack of data."""
        from voyager_analysis.audit import format_value

        tt = self.table
        fired = list(tt.loc[tt.status == "fired", "name"])
        no_data = list(tt.loc[tt.status == "no data", "name"])
        finite = np.isfinite(tt.forecast_month_index.astype(float))
        lines = [f"Data to **{self.last_month}**, growth model **{self.growth_model}**.",
                 f"**Fired:** {', '.join(fired) or 'none'}."]
        for r in tt[(tt.status == "ok") & finite].sort_values("forecast_month_index").itertuples():
            at = f", at about {r.users_at_threshold:,.0f} users." if np.isfinite(r.users_at_threshold) else "."
            lines.append(f"- `{r.name}` ({r.label}): {format_value(r.current, r.unit)} now against "
                         f"{format_value(r.threshold, r.unit)}; first month over **{r.forecast_month}** ({r.low} to "
                         f"{_month_or(r.high, f'after {self.horizon_end}')})" + at)
        never = tt[(tt.status == "ok") & ~finite]
        if len(never):
            lines.append(f"Not reached by {self.horizon_end} under the fitted growth curve: "
                         + ", ".join(f"`{n}`" for n in never.name) + ".")
        if no_data:
            lines.append(f"**No data** for {len(no_data)} of {len(tt)} triggers ({', '.join(no_data)}): the metrics "
                         "file has no column for them, so the roadmap's alert cannot be evaluated. Collect them "
                         "before relying on the rule.")
        return "\n\n".join(lines)

    def timing_table(self):
        """The triggers the roadmap times itself (in users or months), with the data's timing next to it."""
        cols = ["name", "users_at_threshold", "users_low", "users_high", "roadmap_users_low", "roadmap_users_high",
                "users_vs_roadmap", "forecast_month", "low", "high", "roadmap_month_low", "roadmap_month_high",
                "months_vs_roadmap", "note"]
        tt = self.table
        return tt[(tt.roadmap_month_low.notna() | tt.roadmap_users_low.notna())][cols]

    def contradiction_findings(self) -> str:
        """Markdown: one bullet per trigger whose data-driven timing contradicts the roadmap's (or says so)."""
        said = []
        for r in self.contradictions().itertuples():
            parts = []
            if r.users_vs_roadmap in ("earlier", "later"):
                parts.append(f"the roadmap expects it at {r.roadmap_users_low:,.0f}-{r.roadmap_users_high:,.0f} users; "
                             f"the data put the threshold at **{_users(r.users_at_threshold)} users** "
                             f"({_users(r.users_low)}-{_users(r.users_high)}): **{r.users_vs_roadmap} than the roadmap**")
            elif r.users_vs_roadmap == "never":
                parts.append("the data never reach it")
            plan = f"the roadmap plans it for {r.roadmap_month_low}..{r.roadmap_month_high}"
            if r.months_vs_roadmap in ("earlier", "later"):
                when = (f"in **{r.forecast_month}** ({r.low} to {_month_or(r.high, f'after {self.horizon_end}')})"
                        if r.status != "fired" else f"since **{r.forecast_month}**")
                parts.append(f"{plan}; the data fire it {when}: **{r.months_vs_roadmap}**")
            elif r.months_vs_roadmap == "never":
                parts.append(f"{plan}; under the growth curve it **never fires** (not by {self.horizon_end})")
            proxy = f" (measured by a proxy: {r.proxy})" if isinstance(r.proxy, str) else ""
            said.append(f"- `{r.name}`{proxy}: " + "; ".join(parts) + ".")
        return "\n".join(said) if said else ("No trigger's timing contradicts the roadmap's own: every comparable "
                                             "interval overlaps the roadmap's range.")


def _users(u) -> str:
    return "never" if not np.isfinite(u) else f"{u:,.0f}"


def _month_or(m, otherwise: str) -> str:
    """A YYYY-MM month, or ``otherwise`` when there is none (not reached within the horizon)."""
    return m if isinstance(m, str) else otherwise



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

    from voyager_analysis.growth.compare import fit_growth, roadmap_month_zero
    from voyager_analysis.months import month_number

    if not 0 < level < 1:
        raise InputError(f"level must lie in (0, 1), got {level}")
    for spec in triggers:
        if spec.model not in MODELS:
            raise InputError(f"trigger {spec.name}: " + unknown_name("model", spec.model, MODELS))
    table = current_status(df, roadmap, triggers)
    months = list(df["month"])
    t_last = int(month_number([months[-1]])[0] - month_number([months[0]])[0])  # real index: gaps allowed
    month_zero = roadmap_month_zero(roadmap)
    offset = int(month_number([months[0]])[0] - month_number([month_zero])[0])  # data row 0 is this roadmap month
    mapper, growth_note = None, None
    try:
        if growth is None:
            # selection by AICc only: the rolling-origin check (n_origins) is notebook 02's business
            growth = fit_growth(df, "auto", level=level, roadmap=roadmap, n_origins=0, calibrate=False)
        mapper = MonthMapper(growth, horizon_months=horizon_months, n_sim=n_sim, seed=seed)
    except (InputError, ConvergenceError) as exc:
        growth_note = f"no growth forecast: {exc}"
    rng = np.random.default_rng(seed)
    fits, out = {}, []
    for spec, row in zip(triggers, table.to_dict("records")):
        th = roadmap.get(f"thresholds.{spec.name}")
        row.update(users_at_threshold=math.nan, users_low=math.nan, users_high=math.nan,
                   forecast_month_index=math.nan, low_index=math.nan, high_index=math.nan, forecast_month=None,
                   low=None, high=None, months_ahead=math.nan, roadmap_users_low=math.nan,
                   roadmap_users_high=math.nan, roadmap_month_low=None, roadmap_month_high=None,
                   users_vs_roadmap="-", months_vs_roadmap="-", note=None, relation=None, relations=None)
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
            if f is not None and f.get("relations"):
                row.update(relation=f["relation"], relations=f["relations"])
            if row["status"] == "fired":
                m = float(month_number([row["fired_since"]])[0] - month_number([months[0]])[0])
                row.update(forecast_month_index=m, low_index=m, high_index=m)
                notes.append(f"fired since {row['fired_since']}")
            elif mapper is None:
                notes.append(growth_note)
            elif f is not None:
                floor = t_last + 1.0  # not fired now: the earliest it can fire is next month
                est, draws = max(f["month"], floor), np.maximum(f["month_draws"], floor)
                lo, hi = draw_interval(draws, level)
                rivals = [max(m, floor) for m in f.get("rival_months", [])]
                if rivals and (min(rivals) < lo or max(rivals) > hi):  # widen by the relations' disagreement
                    notes.append(f"interval widened to the months of the other relations that forecast about as "
                                 f"well ({', '.join(f.get('rival_names', []))})")
                    lo, hi = min([lo, *rivals]), max([hi, *rivals])
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
              "errors and fixed-b critical values; the month from the relation (metric on users, on log users, "
              "log-log, or on time) with the smallest rolling-origin forecast error, through the growth curves "
              "(Akaike-weighted mixture) for the user relations; the interval widened to the months of the "
              f"relations within {RIVAL_FACTOR:g}x of the best error; intervals from {n_sim} seeded joint draws "
              f"(seed {seed})")
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
        with np.errstate(over="ignore"):  # a draw whose users explode gives +inf change: it fires, as it should
            est = _first_change(np.expm1(fit.slope * np.diff(mapper.int_log))[None, :], th, m_index, future)[0]
            draws = _first_change(np.expm1(b_draws[:, None] * np.diff(mapper.int_draw_log, axis=1)), th, m_index,
                                  future)
        out.update(month=float(est), month_draws=draws, fit=fit)
        return out
    fit = fit_metric(df, spec, level=level, seed=seed)
    u_est = float(fit.users_at(th.low))
    u_draws = fit.users_at(th.low, fit.param_draws(n_sim, rng))
    ulo, uhi = draw_interval(u_draws, level)
    out.update(users=u_est, users_low=ulo, users_high=uhi, fit=fit)
    if mapper is None:
        return out
    errors = relation_errors(df, spec)
    chosen = min(errors, key=errors.get) if errors else spec.model
    if spec.model in errors and errors[chosen] > SWITCH_FACTOR * errors[spec.model]:
        chosen = spec.model  # another relation replaces the trigger's own only when clearly better
    months = {}
    for rel in ([spec.model] + [r for r in errors if r != spec.model]):
        f = fit if rel == spec.model else fit_metric(df, spec, level=level, seed=seed, relation=rel)
        if rel == "time":
            point = f.month_at(th.low)
            draws = f.month_at(th.low, f.param_draws(n_sim, rng)) if rel == chosen else None
        else:
            point = float(mapper.point(f.users_at(th.low)))
            draws = mapper.draws(f.users_at(th.low, f.param_draws(n_sim, rng))) if rel == chosen else None
        months[rel] = point
        if rel == chosen:
            out.update(month=float(point), month_draws=draws)
    best = errors.get(chosen, math.nan)
    rivals = [r for r in errors if r != chosen and errors[r] <= RIVAL_FACTOR * best]
    calendar = mapper.calendar
    out.update(relation=chosen, rival_months=[months[r] for r in rivals], rival_names=rivals,
               relations={r: {"oos_abs_error": errors[r], "month": calendar(months[r]),
                              "method": RELATIONS[r]} for r in errors})
    return out


#: Candidate relations of a trigger metric, compared out of sample (rolling origin).
RELATIONS = {"linear": "metric on users", "loglog": "log(metric) on log(users)",
             "log_users": "metric on log(users)", "time": "metric on time (months)"}
#: Relations whose out-of-sample error is within this factor of the best one widen the interval.
RIVAL_FACTOR = 1.5
#: Another relation replaces the trigger's own (metric on users, or log-log) only when its out-of-sample error
#: is below this fraction of the own relation's.
SWITCH_FACTOR = 0.9


def _relation_data(df, spec, relation: str, ok=None):
    """(x, y, ok): the regressor and response of ``relation`` on the rows ``ok`` (metric and users present)."""
    from voyager_analysis.months import months_since_start

    y = metric_series(df, spec)
    users = df["users"].to_numpy(dtype=float)
    if ok is None:
        ok = np.isfinite(y) & np.isfinite(users) & (users > 0) & ((y > 0) if spec.model == "loglog" else True)
    x = {"linear": users, "loglog": np.log(np.where(users > 0, users, np.nan)), "time": months_since_start(df),
         "log_users": np.log(np.where(users > 0, users, np.nan))}[relation][ok]
    with np.errstate(divide="ignore", invalid="ignore"):
        return x, (np.log(y[ok]) if relation == "loglog" else y[ok]), ok


def relation_errors(df, spec, *, horizon: int = 3, n_origins: int = 6, min_train: int = 5) -> dict[str, float]:
    """Rolling-origin mean absolute error (metric units) of each candidate relation: fit by OLS on the first k
    rows, predict the next ``horizon`` rows (with their observed users), for the last ``n_origins`` origins.
    Empty when there are too few rows."""
    names = (["loglog"] if spec.model == "loglog" else []) + ["linear", "log_users", "time"]
    out = {}
    for rel in names:
        x, y, _ = _relation_data(df, spec, rel)
        n = y.size
        errs = []
        for k in range(max(min_train, n - horizon - n_origins + 1), n):
            if np.ptp(x[:k]) == 0:
                continue
            b, a = np.polyfit(x[:k], y[:k], 1)
            pred, obs = a + b * x[k:k + horizon], y[k:k + horizon]
            if rel == "loglog":
                pred, obs = np.exp(pred), np.exp(obs)
            errs += list(np.abs(pred - obs))
        if errs:
            out[rel] = float(np.mean(errs))
    return out


def _first_change(change: np.ndarray, th, m_index: np.ndarray, future: np.ndarray) -> np.ndarray:
    """First future month index whose change fires the threshold, per row; inf if none."""
    above = _fires(change, th.low, th.qualifier) & future[None, :]
    return np.where(above.any(axis=1), m_index[np.argmax(above, axis=1)], np.inf)
