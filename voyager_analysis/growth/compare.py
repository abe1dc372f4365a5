"""Growth models compared on the same data: AICc, Akaike weights, a rolling-origin check, milestone months.

:func:`fit_growth` takes plain data — a metrics DataFrame (``month``, ``users``) or a ``(t_months, users)``
pair — and, optionally, the roadmap (a :class:`~voyager_analysis.assumptions.Roadmap` object, never a path):
with it the milestone months are set against the roadmap's own months. Nothing here reads a file.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voyager_analysis.errors import ConvergenceError, ConvergenceWarning, InputError, located, unknown_name
from voyager_analysis.growth.curves import GrowthModel, _check_growth_data
from voyager_analysis.growth.models import MODELS, make_model
from voyager_analysis.results import Results, to_jsonable


@dataclass(repr=False)
class GrowthComparison(Results):
    """All requested models fitted to the same data, compared by AICc and out of sample.

    ``table``: one row per model with ``n_params``, ``aicc``, ``delta_aicc``, ``weight`` (Akaike
    weight among converged models), ``rmse_log``, ``holdout_mape_log`` (rolling-origin mean absolute
    error of log users x 100, ~% error), ``converged``, ``message``. ``selected`` is the converged
    model with the lowest AICc.
    """

    models: dict[str, GrowthModel]
    table: Any
    selected: str | None
    t: np.ndarray
    users: np.ndarray
    months: list[str] | None = None
    roadmap_offset: int | None = None  # data row 0 is this roadmap month (None: no roadmap given)
    holdout: Any = None  # long table of rolling-origin errors
    source: str | None = None
    level: float = 0.95
    roadmap: Any = None
    _milestones: dict = field(default_factory=dict)

    title = "Growth models compared (least squares on log users, multiplicative errors)"

    @property
    def comparison(self):
        """The comparison table (same as ``table``)."""
        return self.table

    @property
    def best(self) -> GrowthModel:
        if self.selected is None:
            raise ConvergenceError("no growth model converged on these data; see the comparison table")
        return self.models[self.selected]

    def summary(self):
        """The comparison table: one row per model (AICc, Akaike weight, RMSE, out-of-sample error, converged)."""
        cols = ["model", "n_params", "aicc", "delta_aicc", "weight", "rmse_log", "holdout_mape_log", "converged",
                "message"]
        out = self.table[cols].copy()
        out.attrs.update({"selected": self.selected, "n": int(self.t.size), "error_model": "multiplicative"})
        return out

    def milestones(self, levels=None, *, level: float | None = None, roadmap=None):
        """Month each user level is reached by the selected model, with an interval, vs the roadmap.

        ``levels`` defaults to the roadmap's milestone levels (each ``milestones`` group's ``users.high``);
        without a roadmap they must be given. Columns: ``users``, ``month`` / ``low`` / ``high`` (months from
        the first data row), ``calendar_month`` (YYYY-MM of the month in which the crossing falls, when the
        data have months), ``observed_month`` (first data row at or above the level, if any),
        ``roadmap_month`` (the upper end of the roadmap milestone group whose ``users.high`` equals the level,
        converted to months from the first data row) and ``difference_months`` = month - roadmap_month
        (positive: later than the roadmap).
        """
        import pandas as pd

        level = self.level if level is None else level
        model = self.best
        roadmap = roadmap if roadmap is not None else self.roadmap
        roadmap_months = roadmap_milestone_months(roadmap) if roadmap is not None else {}
        if levels is None:
            if roadmap is None:
                raise InputError("milestones: give the user levels (levels=[...]) or fit with a roadmap")
            levels = sorted(roadmap_months)
        offset = self.roadmap_offset or 0
        rows = []
        for n in levels:
            key = (float(n), level)
            if key not in self._milestones:
                self._milestones[key] = model.month_reaching(float(n), level)
            m = self._milestones[key]
            hit = np.flatnonzero(self.users >= n)
            observed = float(self.t[hit[0]]) if hit.size else math.nan
            rm = roadmap_months.get(float(n))
            rm_data = rm - offset if rm is not None else math.nan
            rows.append({"users": float(n), "month": m["month"], "low": m["low"], "high": m["high"],
                         "calendar_month": self.calendar(m["month"]), "observed_month": observed,
                         "roadmap_month": rm_data, "difference_months": m["month"] - rm_data})
        out = pd.DataFrame(rows)
        out.attrs.update({"model": self.selected, "level": level, "roadmap_offset": offset})
        return out

    def milestone_findings(self, level: float | None = None) -> str:
        """One Markdown bullet per milestone: the month reached, its interval, and the verdict against the
        roadmap's month (consistent when the roadmap's month lies inside the interval, else earlier/later)."""
        level = self.level if level is None else level
        lines = []
        for _, row in self.milestones(level=level).iterrows():
            if not math.isfinite(row.month):
                lines.append(f"- **{row.users:,.0f} users**: not reached by the fitted curve within the search "
                             f"horizon; the roadmap expects Month {row.roadmap_month:.0f}.")
                continue
            inside = row.low <= row.roadmap_month <= row.high
            when = "earlier" if row.difference_months < 0 else "later"
            verdict = ("consistent with the roadmap (its month lies inside the interval)" if inside else
                       f"**{abs(row.difference_months):.1f} months {when} than the roadmap**")
            lines.append(f"- **{row.users:,.0f} users**: month {row.month:.1f} ({level:.0%} interval {row.low:.1f}–"
                         f"{row.high:.1f}) vs the roadmap's Month {row.roadmap_month:.0f}: {verdict}.")
        return "\n".join(lines)

    def calendar(self, month: float) -> str | None:
        """YYYY-MM of the month in which continuous month ``month`` falls (None without calendar months)."""
        if self.months is None or not math.isfinite(month):
            return None
        from voyager_analysis.months import month_number, month_str

        return month_str(int(month_number([self.months[0]])[0] + math.floor(month + 0.5)))

    def forecast(self, horizon_months: int = 12, level: float | None = None):
        """The selected model's forecast for the ``horizon_months`` months after the data: ``month`` (from the
        first row), ``calendar_month``, ``users`` (median), ``low``, ``high`` (prediction interval)."""
        level = self.level if level is None else level
        ahead = float(np.max(self.t)) + np.arange(1, int(horizon_months) + 1, dtype=float)
        f = self.best.forecast(ahead, level=level)
        return f.assign(calendar_month=[self.calendar(t) for t in f.t]).rename(
            columns={"t": "month", "mean": "users", "lo": "low", "hi": "high"})[
            ["month", "calendar_month", "users", "low", "high"]]

    def holdout_by_step(self):
        """Out-of-sample error by model and forecast step: mean |log error| x 100 (~%)."""
        h = self.holdout.assign(abs_error_pct=lambda d: d.error_log.abs() * 100)
        return h.pivot_table(index="model", columns="step", values="abs_error_pct", aggfunc="mean")

    def _payload(self, levels=None) -> dict[str, Any]:
        weights = self.table.set_index("model")["weight"]
        models = {}
        for name, m in self.models.items():
            models[name] = {"params": dict(m.params_), "ci": {k: list(v) for k, v in m.ci_.items()},
                            "aicc": m.aicc_, "weight": weights.get(name), "converged": bool(m.converged_)}
            if not m.converged_:
                models[name]["message"] = m.message_
        milestones = {}
        if self.selected is not None and (levels is not None or self.roadmap is not None):
            for _, row in self.milestones(levels).iterrows():
                milestones[str(int(row["users"]))] = {
                    "month": row["month"], "low": row["low"], "high": row["high"],
                    "calendar_month": row["calendar_month"], "roadmap_month": row["roadmap_month"]}
        return {"selected": self.selected, "models": models, "milestones": milestones}

    def to_dict(self, levels=None) -> dict[str, Any]:
        """The ``fit growth --json`` payload: selected model, every model's fit, milestone months (months from
        the first data row; ``roadmap_month`` on the same scale; none without a roadmap or ``levels``)."""
        return to_jsonable(self._payload(levels))

    def __repr__(self) -> str:
        cols = ["model", "aicc", "delta_aicc", "weight", "rmse_log", "holdout_mape_log", "converged"]
        return f"Growth models (n={self.t.size}), selected: {self.selected}\n" + self.table[cols].to_string(index=False)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return (f"<p><b>Growth models</b> (n={self.t.size}, least squares on log users); selected by AICc: "
                f"<b>{self.selected}</b></p>" + self.table.to_html(index=False, float_format="{:.4g}".format))

    # -- figures ----------------------------------------------------------------------------------------------
    def plot_models(self, horizon_months: float = 12.0, *, note: str = ""):
        """Every converged model's curve over the data and the horizon."""
        from voyager_analysis.plots.growth import model_curves

        return model_curves(self, horizon_months, note=note)

    def plot_forecast(self, horizon_months: float = 12.0, level: float | None = None, *, note: str = ""):
        """The selected model's forecast fan with the roadmap's milestones."""
        from voyager_analysis.plots.growth import forecast_fan

        return forecast_fan(self, horizon_months, self.level if level is None else level, note=note)

    def plot_milestones(self, level: float | None = None, *, note: str = ""):
        """Month each milestone is reached (estimate and interval) against the roadmap's month."""
        from voyager_analysis.plots.growth import milestone_chart

        return milestone_chart(self.milestones(level=level), note=note)


def rolling_origin(t, users, models, *, horizon: int = 3, n_origins: int = 5, min_train: int = 8,
                   level: float = 0.95, max_starts: int = 1):
    """Fit each model on the first k rows and predict the next ``horizon`` rows, for up to ``n_origins``
    origins ending at ``n - horizon``. Returns a long DataFrame ``model``, ``origin`` (k), ``step``,
    ``error_log`` (log predicted - log observed; NaN when the fit failed)."""
    import pandas as pd

    t = np.asarray(t, dtype=float)
    y = np.asarray(users, dtype=float)
    n = t.size
    last = n - horizon
    origins = [k for k in range(last - n_origins + 1, last + 1) if k >= min_train]
    rows = []
    for name in models:
        for k in origins:
            m = make_model(name, level)
            try:
                with warnings.catch_warnings():  # an origin's fit at a bound is scored like any other
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    m.fit(t[:k], y[:k], max_starts=max_starts)
            except InputError:  # e.g. a constant stretch of data: no curve for this origin
                m.converged_ = False
            future = slice(k, min(k + horizon, n))
            if m.converged_:
                with np.errstate(all="ignore"):
                    err = np.log(m.predict(t[future])) - np.log(y[future])
            else:
                err = np.full(future.stop - future.start, np.nan)
            rows += [{"model": name, "origin": k, "step": s + 1, "error_log": float(e)} for s, e in enumerate(err)]
    return pd.DataFrame(rows, columns=["model", "origin", "step", "error_log"])


def _as_t_users(data):
    """(t, users, months, source) from a metrics DataFrame or a (t, users) pair."""
    if hasattr(data, "columns"):
        from voyager_analysis.months import months_since_start

        if "users" not in data.columns:
            raise located(data.attrs.get("source"), None, "column 'users' is needed to fit growth")
        return (months_since_start(data), data["users"].to_numpy(dtype=float), list(data["month"]),
                data.attrs.get("source"))
    try:
        t, users = data
    except (TypeError, ValueError):
        raise InputError("fit_growth needs a metrics DataFrame or a (t_months, users) pair") from None
    return np.asarray(t, dtype=float), np.asarray(users, dtype=float), None, None


def fit_growth(data, models="auto", *, level: float = 0.95, horizon: int = 3, n_origins: int = 5,
               roadmap=None) -> GrowthComparison:
    """Fit growth models to users over months; compare by AICc, Akaike weights and rolling origin.

    ``data``: a metrics DataFrame (uses ``month`` and ``users``) or a ``(t_months, users)`` pair.
    ``models``: "auto" (all five), one name, or a list of names. ``roadmap`` (optional, a loaded roadmap such
    as ``load_project().roadmap``) places the data on the roadmap's months (its ``meta.dated`` month minus
    ``timeline.this_month`` is Month 0) and supplies the milestone levels.
    """
    import pandas as pd

    t, users, months, source = _as_t_users(data)
    try:
        _check_growth_data(t, users)
    except InputError as exc:
        raise located(source, None, str(exc)) from None
    names = list(MODELS) if models in ("auto", None) else ([models] if isinstance(models, str) else list(models))
    for name in names:
        if name not in MODELS:
            raise InputError(unknown_name("growth model", name, list(MODELS) + ["auto"]))
    with warnings.catch_warnings():  # a fit at a search bound says so in the table's message column
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = {name: make_model(name, level).fit(t, users) for name in names}
    ok = {k: m.aicc_ for k, m in fitted.items() if m.converged_}
    best = min(ok.values()) if ok else math.nan
    raw = {k: math.exp(-(a - best) / 2) for k, a in ok.items()}
    total = sum(raw.values())
    holdout = rolling_origin(t, users, names, horizon=horizon, n_origins=n_origins, level=level)
    mape = (holdout.assign(abs_err=holdout.error_log.abs() * 100).groupby("model")["abs_err"].mean()
            if len(holdout) else pd.Series(dtype=float))
    rows = [{"model": k, "n_params": m.n_params, "aicc": m.aicc_,
             "delta_aicc": m.aicc_ - best if m.converged_ else math.nan,
             "weight": raw[k] / total if k in raw else math.nan, "rmse_log": m.rmse_,
             "holdout_mape_log": float(mape.get(k, math.nan)), "converged": m.converged_, "message": m.message_}
            for k, m in fitted.items()]
    table = pd.DataFrame(rows).sort_values(["converged", "aicc"], ascending=[False, True], kind="stable")
    table = table.reset_index(drop=True)
    selected = min(ok, key=ok.get) if ok else None
    offset = _roadmap_offset(months[0], roadmap) if months is not None and roadmap is not None else None
    return GrowthComparison(models=fitted, table=table, selected=selected, t=t, users=users, months=months,
                            roadmap_offset=offset, holdout=holdout, source=source, level=level, roadmap=roadmap)


def roadmap_month_zero(roadmap) -> str:
    """The calendar month of the roadmap's Month 0: its ``meta.dated`` month minus ``timeline.this_month``."""
    from voyager_analysis.months import month_number, month_str

    dated = str(roadmap.meta.get("dated", ""))[:7]
    if len(dated) != 7:
        raise located(roadmap.path, "meta.dated", "needs a date YYYY-MM-DD to place the roadmap's months")
    this_month = roadmap.get("timeline.this_month")
    return month_str(int(month_number([dated])[0] - this_month.mid))


def _roadmap_offset(first_month: str, roadmap) -> int:
    from voyager_analysis.months import month_number

    return int(month_number([first_month])[0] - month_number([roadmap_month_zero(roadmap)])[0])


def roadmap_milestone_months(roadmap) -> dict[float, float]:
    """{users level: roadmap month it is reached}: for each ``milestones`` group, ``users.high`` ->
    ``months.high`` (the upper end of the group's month range)."""
    out = {}
    for group in roadmap.get("milestones").values():
        if "users" in group and "months" in group:
            out[float(group["users"].high)] = float(group["months"].high)
    return out


__all__ = ["GrowthComparison", "fit_growth", "rolling_origin", "roadmap_month_zero", "roadmap_milestone_months"]
