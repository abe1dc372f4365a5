"""Growth models compared on the same data: error models, AICc, Akaike-weight averaging, a rolling-origin
check of the averaged intervals, milestone months.

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

from voyager_analysis import config
from voyager_analysis.errors import ConvergenceError, ConvergenceWarning, InputError, located, unknown_name
from voyager_analysis.growth.curves import ERROR_MODELS, SEARCH_HORIZON_MONTHS, GrowthModel, _check_growth_data
from voyager_analysis.growth.averaging import rolling_origin
from voyager_analysis.growth.models import MODELS, make_model
from voyager_analysis.growth.roadmap import _roadmap_offset, roadmap_milestone_months, roadmap_month_zero
from voyager_analysis.results import Missing, Results, to_jsonable
from voyager_analysis.tables import table_html


#: How observations scatter around the curves is chosen from the data; this says how (in every output).
ERROR_MODEL_RULE = ("each curve fitted with additive (least squares on users) and multiplicative (least squares on "
                    "log users) errors; the error model and the curve chosen by AICc from the likelihood of users "
                    "on the original scale (the log fit includes the Jacobian term -sum(log users)); forecasts, "
                    "milestones and the ceiling averaged over all converged candidates with Akaike weights")
#: Draws of the model-averaged mixture (forecasts, milestones, ceiling).
N_SIM = 2000
#: Ratio of the two error models' ceilings beyond which the fit reports that they disagree.
MATERIAL_RATIO = 1.25


@dataclass(repr=False)
class GrowthComparison(Results):
    """All requested models fitted to the same data, compared by AICc and out of sample, and averaged.

    ``table``: one row per curve (its better error model) with ``n_params``, ``error_model``, ``aicc``,
    ``delta_aicc``, ``weight`` (Akaike weight of the curve: both its error models, among all converged
    candidates), ``rmse_log``, ``holdout_mape_log`` (rolling-origin mean |log error| x 100, ~%), ``converged``,
    ``message``. ``selected`` is the curve with the lowest AICc; ``candidates`` holds every (curve, error model)
    fit and ``weights`` their Akaike weights, which drive :meth:`forecast`, :meth:`milestones` and
    :meth:`ceiling` (a seeded mixture of draws, :mod:`voyager_analysis.growth.averaging`). ``calibration`` is the
    rolling-origin coverage of the averaged prediction interval.
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
    candidates: dict = field(default_factory=dict)  # {(curve, error model): fitted model}
    weights: dict = field(default_factory=dict)  # {(curve, error model): Akaike weight}
    calibration: dict | None = None
    ceiling_bound: float | None = None  # a physical bound on users stated by the caller
    notes: list = field(default_factory=list)
    error_model_rule: str = ERROR_MODEL_RULE
    n_sim: int = N_SIM
    seed: int = config.DEFAULT_SEED
    _milestones: dict = field(default_factory=dict)
    _draws: dict = field(default_factory=dict)

    title = "Growth models compared and averaged (additive and multiplicative errors)"

    @property
    def comparison(self):
        """The comparison table (same as ``table``)."""
        return self.table

    @property
    def best(self) -> GrowthModel:
        if self.selected is None:
            raise ConvergenceError("no growth model converged on these data; see the comparison table")
        return self.models[self.selected]

    @property
    def inflation(self) -> float:
        """Factor applied to the spread of the averaged draws, from the rolling-origin errors (1: none)."""
        cal = self.calibration or {}
        return float(cal.get("inflation", 1.0))

    @property
    def error_model(self) -> str | None:
        """The selected curve's error model (``additive`` or ``multiplicative``)."""
        return self.models[self.selected].error_model if self.selected is not None else None

    def summary(self):
        """The comparison table: one row per model (error model, AICc, Akaike weight, RMSE, out-of-sample error)."""
        cols = ["model", "error_model", "n_params", "aicc", "delta_aicc", "weight", "rmse_log", "holdout_mape_log",
                "converged", "message"]
        out = self.table[cols].copy()
        out.attrs.update({"selected": self.selected, "n": int(self.t.size), "error_model": self.error_model,
                          "error_model_rule": self.error_model_rule, "calibration": self.calibration})
        return out

    # -- the model-averaged mixture ---------------------------------------------------------------------------
    def _mixture(self, key: str, t: np.ndarray) -> np.ndarray:
        from voyager_analysis.growth.averaging import inflate, mixture_log_draws

        if key not in self._draws:
            if not self.weights:
                raise ConvergenceError("no growth model converged on these data; see the comparison table")
            with np.errstate(all="ignore"):
                draws = mixture_log_draws(self.candidates, self.weights, t, self.n_sim, self.seed)
                self._draws[key] = inflate(draws, self.inflation, t, float(self.t.max()))
        return self._draws[key]

    def _grid(self) -> np.ndarray:
        from voyager_analysis.growth.averaging import GRID_STEP_MONTHS, MAX_GRID_POINTS

        start, stop = float(self.t.min()) - 60.0, float(self.t.max()) + SEARCH_HORIZON_MONTHS
        step = max(GRID_STEP_MONTHS, (stop - start) / MAX_GRID_POINTS)  # bounds the draws' memory on long series
        return np.arange(start, stop + 1e-9, step)

    def milestones(self, levels=None, *, level: float | None = None, roadmap=None):
        """Month each user level is reached, model-averaged (median of the mixture's first crossings, with a
        ``level`` interval), vs the roadmap.

        ``levels`` defaults to the roadmap's milestone levels (each ``milestones`` group's ``users.high``);
        without a roadmap they must be given. Columns: ``users``, ``month`` / ``low`` / ``high`` (months from
        the first data row; NaN when not reached within the horizon, ``reason`` says so), ``calendar_month``,
        ``observed_month`` (first data row at or above the level, if any), ``roadmap_month`` (the upper end of the
        roadmap milestone group whose ``users.high`` equals the level, on the same scale) and
        ``difference_months`` = month - roadmap_month (positive: later than the roadmap).
        """
        import pandas as pd

        from voyager_analysis.growth.averaging import first_crossing_months, month_summary

        level = self.level if level is None else level
        self.best  # noqa: B018 - raises ConvergenceError when nothing converged
        roadmap = roadmap if roadmap is not None else self.roadmap
        roadmap_months = roadmap_milestone_months(roadmap) if roadmap is not None else {}
        if levels is None:
            if roadmap is None:
                raise InputError("milestones: give the user levels (levels=[...]) or fit with a roadmap")
            levels = sorted(roadmap_months)
        offset = self.roadmap_offset or 0
        grid = self._grid()
        rows = []
        for n in levels:
            if not float(n) > 0:
                raise InputError(f"a milestone must be a positive number of users, got {n}")
            key = (float(n), level)
            if key not in self._milestones:
                months = first_crossing_months(self._mixture("grid", grid), grid, float(n))
                self._milestones[key] = month_summary(months, level)
            m = self._milestones[key]
            hit = np.flatnonzero(self.users >= n)
            rm = roadmap_months.get(float(n))
            rm_data = rm - offset if rm is not None else math.nan
            num = {k: (math.nan if isinstance(v, Missing) else v) for k, v in m.items()}
            reason = "; ".join(f"{k}: {v.reason}" for k, v in m.items() if isinstance(v, Missing)) or None
            rows.append({"users": float(n), **num, "reason": reason, "calendar_month": self.calendar(num["month"]),
                         "observed_month": float(self.t[hit[0]]) if hit.size else math.nan,
                         "roadmap_month": rm_data, "difference_months": num["month"] - rm_data})
        out = pd.DataFrame(rows, columns=["users", "month", "low", "high", "reason", "calendar_month",
                                          "observed_month", "roadmap_month", "difference_months"])
        out.attrs.update({"model": "model-averaged", "selected": self.selected, "level": level,
                          "roadmap_offset": offset})
        return out

    def milestone_findings(self, level: float | None = None) -> str:
        """One Markdown bullet per milestone: the month reached, its interval, and the verdict against the
        roadmap's month (consistent when the roadmap's month lies inside the interval, else earlier/later)."""
        level = self.level if level is None else level
        lines = []
        for _, row in self.milestones(level=level).iterrows():
            if not math.isfinite(row.month):
                lines.append(f"- **{row.users:,.0f} users**: not reached within the horizon by the model-averaged "
                             f"curves; the roadmap expects Month {row.roadmap_month:.0f}.")
                continue
            high = f"{row.high:.1f}" if math.isfinite(row.high) else "beyond the horizon"
            inside = row.low <= row.roadmap_month <= (row.high if math.isfinite(row.high) else math.inf)
            when = "earlier" if row.difference_months < 0 else "later"
            verdict = ("consistent with the roadmap (its month lies inside the interval)" if inside else
                       f"**{abs(row.difference_months):.1f} months {when} than the roadmap**")
            lines.append(f"- **{row.users:,.0f} users**: month {row.month:.1f} ({level:.0%} interval {row.low:.1f}–"
                         f"{high}) vs the roadmap's Month {row.roadmap_month:.0f}: {verdict}.")
        return "\n".join(lines)

    def calendar(self, month: float) -> str | None:
        """YYYY-MM of the month in which continuous month ``month`` falls (None without calendar months)."""
        if self.months is None or not math.isfinite(month):
            return None
        from voyager_analysis.months import month_number, month_str

        return month_str(int(month_number([self.months[0]])[0] + math.floor(month + 0.5)))

    def forecast(self, horizon_months: int = 12, level: float | None = None):
        """Model-averaged forecast for the ``horizon_months`` months after the data: ``month`` (from the first
        row), ``calendar_month``, ``users`` (median of the mixture), ``low``, ``high`` (prediction interval)."""
        import pandas as pd

        from voyager_analysis.growth.averaging import quantile_band

        level = self.level if level is None else level
        ahead = float(np.max(self.t)) + np.arange(1, int(horizon_months) + 1, dtype=float)
        mid, lo, hi = (np.exp(q) for q in quantile_band(self._mixture(f"ahead{int(horizon_months)}", ahead), level))
        return pd.DataFrame({"month": ahead, "calendar_month": [self.calendar(t) for t in ahead], "users": mid,
                             "low": lo, "high": hi})

    def calibration_text(self) -> str:
        """One sentence: the rolling-origin coverage of the averaged interval, and any widening it caused."""
        cal = self.calibration or {}
        cov = cal.get("coverage")
        if not isinstance(cov, float):
            return "Rolling-origin check of the intervals: not available (too few months)."
        widened = (f"; intervals widened x{cal['inflation']:.2f} from past misses (coverage without that: "
                   f"{cal['coverage_uninflated']:.0%})" if cal["inflation"] > 1 else "")
        return (f"**Calibration:** the model-averaged {cal['level']:.0%} interval contained {cov:.0%} of {cal['n']} "
                f"rolling-origin forecasts ({cal['origins']} origins, up to {cal['horizon']} steps ahead){widened}.")

    def band(self, t, level: float | None = None):
        """Model-averaged users at months ``t``: ``t``, ``users`` (median of the mixture), ``low``, ``high``
        (``level`` prediction interval, widened by the calibration's inflation)."""
        import pandas as pd

        from voyager_analysis.growth.averaging import quantile_band

        level = self.level if level is None else level
        t = np.atleast_1d(np.asarray(t, dtype=float))
        draws = self._mixture(f"band{t.size}:{t[0]!r}:{t[-1]!r}", t)
        mid, lo, hi = (np.exp(q) for q in quantile_band(draws, level))
        return pd.DataFrame({"t": t, "users": mid, "low": lo, "high": hi})

    def ceiling(self, level: float | None = None) -> dict[str, Any]:
        """The model-averaged ceiling (K, or Bass's m) with a ``level`` interval, over the candidates that have
        one; ``weight_without_ceiling`` is the Akaike weight of curves without a ceiling (exponential)."""
        from voyager_analysis.growth.averaging import quantile_band

        level = self.level if level is None else level
        rng = np.random.default_rng(self.seed)
        draws, w_none, w_bound = [], 0.0, 0.0
        for key, w in self.weights.items():
            m = self.candidates[key]
            if m.ceiling_param is None:
                w_none += w
                continue
            if m.ceiling_param in m.at_bound_:
                w_bound += w
                continue
            j = m.param_names.index(m.ceiling_param)
            k = rng.binomial(self.n_sim, w)
            draws.append(np.exp(m._u[j] + math.sqrt(max(m.cov_[j, j], 0.0)) * rng.standard_normal(k)))
        out = {"weight_without_ceiling": w_none, "weight_at_bound": w_bound, "bound": self.ceiling_bound}
        pooled = np.concatenate(draws) if draws else np.array([])
        if pooled.size == 0:
            why = Missing("no candidate with an identified ceiling")
            return {"users": why, "low": why, "high": why, **out}
        mid, lo, hi = (float(v[0]) for v in quantile_band(pooled[:, None], level))
        return {"users": mid, "low": lo, "high": hi, **out}

    def holdout_by_step(self):
        """Out-of-sample error by model and forecast step: mean |log error| x 100 (~%)."""
        h = self.holdout.assign(abs_error_pct=lambda d: d.error_log.abs() * 100)
        return h.pivot_table(index="model", columns="step", values="abs_error_pct", aggfunc="mean")

    def error_model_comparison(self) -> dict[str, Any]:
        """For the selected curve, both error models' AICc and parameters, and whether they disagree materially
        (ceilings apart by more than :data:`MATERIAL_RATIO`, or AICc within 2 of each other with different
        ceilings)."""
        if self.selected is None:
            return {}
        both = {em: self.candidates.get((self.selected, em)) for em in ERROR_MODELS}
        out = {em: ({"aicc": m.aicc_, "params": dict(m.params_), "converged": True} if m is not None and m.converged_
                    else {"converged": False}) for em, m in both.items()}
        cp = self.best.ceiling_param
        ok = [m for m in both.values() if m is not None and m.converged_]
        out["disagree"] = bool(cp and len(ok) == 2 and max(m.params_[cp] for m in ok)
                               > MATERIAL_RATIO * min(m.params_[cp] for m in ok))
        return out

    def _payload(self, levels=None, horizon_months: int = 12) -> dict[str, Any]:
        weights = self.table.set_index("model")["weight"]
        models = {}
        for name, m in self.models.items():
            models[name] = {"params": dict(m.params_), "ci": m.ci_payload(), "aicc": m.aicc_,
                            "weight": weights.get(name), "converged": bool(m.converged_),
                            "error_model": m.error_model}
            if _above(m, self.ceiling_bound):
                models[name]["above_bound"] = True
            if not m.converged_ or m.at_bound_ or _above(m, self.ceiling_bound):
                models[name]["message"] = m.message_
        milestones = {}
        if self.selected is not None and (levels is not None or self.roadmap is not None):
            for row in self.milestones(levels).to_dict("records"):
                entry = {}
                for k in ("month", "low", "high"):
                    entry[k] = row[k] if math.isfinite(row[k]) else Missing(self._milestones[
                        (row["users"], self.level)][k].reason)
                if isinstance(row["reason"], str):
                    entry["reason"] = row["reason"]
                entry["calendar_month"] = row["calendar_month"] if isinstance(row["calendar_month"], str) else None
                entry["roadmap_month"] = row["roadmap_month"]
                milestones[str(int(row["users"]))] = entry
        if self.selected is not None:
            forecast = [{"month": r["calendar_month"] or r["month"], "users": r["users"], "low": r["low"],
                         "high": r["high"]} for r in self.forecast(horizon_months).to_dict("records")]
            ceiling = self.ceiling()
        else:
            forecast = Missing("no growth model converged")
            ceiling = Missing("no growth model converged")
        return {"selected": self.selected, "error_model": self.error_model, "error_model_rule": self.error_model_rule,
                "error_models": self.error_model_comparison(), "models": models, "milestones": milestones,
                "forecast": forecast, "horizon_months": int(horizon_months), "ceiling": ceiling,
                "calibration": self.calibration if self.calibration is not None else Missing("not run"),
                "level": self.level, "notes": list(self.notes)}

    def to_dict(self, levels=None, horizon_months: int = 12) -> dict[str, Any]:
        """The ``fit growth --json`` payload: selected model and error model (with the rule that chose them), every
        model's fit, model-averaged milestone months (months from the first data row; ``roadmap_month`` on the
        same scale; none without a roadmap or ``levels``), the forecast for ``horizon_months``, the ceiling and
        the rolling-origin calibration."""
        return to_jsonable(self._payload(levels, horizon_months))

    def __repr__(self) -> str:
        cols = ["model", "error_model", "aicc", "delta_aicc", "weight", "rmse_log", "holdout_mape_log", "converged"]
        return (f"Growth models (n={self.t.size}), selected: {self.selected} ({self.error_model} errors)\n"
                + self.table[cols].to_string(index=False))

    __str__ = __repr__

    def _repr_html_(self) -> str:
        import html

        cal = self.calibration or {}
        cov = cal.get("coverage")
        cal_text = (f"; rolling-origin coverage of the {cal['level']:.0%} interval {cov:.0%} (n={cal['n']})"
                    if isinstance(cov, float) else "")
        return (f"<p><b>{html.escape(self.title)}</b> (n={self.t.size}); selected by AICc: <b>{self.selected}</b> with "
                f"<b>{self.error_model}</b> errors{cal_text}<br><small>{html.escape(self.error_model_rule)}</small></p>"
                + table_html(self.table))

    # -- figures ----------------------------------------------------------------------------------------------
    def plot_models(self, horizon_months: float = 12.0, *, note: str = ""):
        """Every converged model's curve over the data and the horizon."""
        from voyager_analysis.plots.growth import model_curves

        return model_curves(self, horizon_months, note=note)

    def plot_forecast(self, horizon_months: float = 12.0, level: float | None = None, *, note: str = ""):
        """The model-averaged forecast fan with the roadmap's milestones."""
        from voyager_analysis.plots.growth import forecast_fan

        return forecast_fan(self, horizon_months, self.level if level is None else level, note=note)

    def plot_milestones(self, level: float | None = None, *, note: str = ""):
        """Month each milestone is reached (estimate and interval) against the roadmap's month."""
        from voyager_analysis.plots.growth import milestone_chart

        return milestone_chart(self.milestones(level=level), note=note)


def _above(model: GrowthModel, bound: float | None) -> bool:
    return bool(bound is not None and model.converged_ and model.ceiling_param is not None
                and model.params_[model.ceiling_param] > bound)


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


def declining(t, users) -> bool:
    """True when users fall over the series (negative least-squares slope of log users on time)."""
    return bool(np.polyfit(np.asarray(t, dtype=float), np.log(np.asarray(users, dtype=float)), 1)[0] < 0)


def fit_growth(data, models="auto", *, level: float = 0.95, horizon: int = 3, n_origins: int = 5,
               roadmap=None, error_model: str = "auto", ceiling: float | None = None, calibrate: bool = True,
               n_sim: int = N_SIM, seed: int = config.DEFAULT_SEED) -> GrowthComparison:
    """Fit growth models to users over months; compare by AICc, average by Akaike weight, check out of sample.

    ``data``: a metrics DataFrame (uses ``month`` and ``users``; missing months are gaps on the real time index)
    or a ``(t_months, users)`` pair. ``models``: "auto" (all five), one name, or a list of names.
    ``error_model``: "auto" (both, chosen by AICc on the original scale; see :data:`ERROR_MODEL_RULE`),
    "additive" or "multiplicative". ``roadmap`` (optional, a loaded roadmap such as ``load_project().roadmap``)
    places the data on the roadmap's months and supplies the milestone levels. ``ceiling``: a physical bound on
    users (e.g. the number of households); a curve whose ceiling exceeds it is flagged and left out of the
    average. ``calibrate``: run :func:`~voyager_analysis.growth.averaging.rolling_calibration` (``horizon``,
    ``n_origins``). A declining series gets only the exponential curve: the S-curves cannot decline and are
    reported as unsuitable.
    """
    import pandas as pd

    from voyager_analysis.growth.averaging import akaike_weights, rolling_calibration

    t, users, months, source = _as_t_users(data)
    try:
        _check_growth_data(t, users)
    except InputError as exc:
        raise located(source, None, str(exc)) from None
    names = list(MODELS) if models in ("auto", None) else ([models] if isinstance(models, str) else list(models))
    for name in names:
        if name not in MODELS:
            raise InputError(unknown_name("growth model", name, list(MODELS) + ["auto"]))
    if error_model != "auto" and error_model not in ERROR_MODELS:
        raise InputError(unknown_name("error model", error_model, ("auto",) + ERROR_MODELS))
    if ceiling is not None and not (math.isfinite(ceiling) and ceiling > 0):
        raise InputError(f"ceiling must be a positive number of users, got {ceiling}")
    ems = ERROR_MODELS if error_model == "auto" else (error_model,)
    down = declining(t, users)
    notes = []
    if months is not None and len(months) > 1:
        from voyager_analysis.months import month_number, month_str

        num = month_number(months)
        gaps = sorted(set(range(int(num[0]), int(num[-1]) + 1)) - set(int(x) for x in num))
        if gaps:
            notes.append(f"{len(gaps)} missing month(s) ({', '.join(month_str(g) for g in gaps[:6])}"
                         f"{', ...' if len(gaps) > 6 else ''}): fitted on the real time index")
    if down:
        notes.append("users decline over the series: S-curves (which cannot decline) are unsuitable; only the "
                     "exponential curve (negative rate) is fitted, and milestones above today's level are not reached")
    candidates = {}
    with warnings.catch_warnings():  # a fit at a search bound says so in the table's message column
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name in names:
            for em in ems:
                m = make_model(name, level, em)
                if down and name != "exponential":
                    m.message_ = "unsuitable: the series declines and this S-curve cannot decline"
                else:
                    m.fit(t, users)
                candidates[(name, em)] = m
    usable = {k: m for k, m in candidates.items() if m.converged_ and not _above(m, ceiling)}
    weights = akaike_weights(usable)
    fitted = {}
    for name in names:
        variants = [candidates[(name, em)] for em in ems]
        ok = [m for m in variants if m.converged_]
        fitted[name] = min(ok, key=lambda m: m.aicc_) if ok else variants[0]
        if _above(fitted[name], ceiling):
            cp = fitted[name].ceiling_param
            fitted[name].message_ += (f"; ceiling {cp} = {fitted[name].params_[cp]:,.4g} is above the stated bound "
                                      f"{ceiling:,.4g}: left out of the average")
    curve_weight = {name: sum(w for (n, _), w in weights.items() if n == name) for name in names}
    best = min((m.aicc_ for m in usable.values()), default=math.nan)
    origin_fits: dict = {}  # shared by the error table and the calibration
    holdout = rolling_origin(t, users, names, horizon=horizon, n_origins=n_origins, level=level,
                             error_models={k: m.error_model for k, m in fitted.items()}, cache=origin_fits)
    mape = (holdout.assign(abs_err=holdout.error_log.abs() * 100).groupby("model")["abs_err"].mean()
            if len(holdout) else pd.Series(dtype=float))
    rows = [{"model": k, "error_model": m.error_model, "n_params": m.n_params, "aicc": m.aicc_,
             "delta_aicc": m.aicc_ - best if m.converged_ else math.nan,
             "weight": curve_weight[k] if m.converged_ and not _above(m, ceiling) else math.nan, "rmse_log": m.rmse_,
             "holdout_mape_log": float(mape.get(k, math.nan)), "converged": m.converged_, "message": m.message_}
            for k, m in fitted.items()]
    table = pd.DataFrame(rows).sort_values(["converged", "aicc"], ascending=[False, True], kind="stable")
    table = table.reset_index(drop=True)
    selected = min(weights, key=lambda k: candidates[k].aicc_)[0] if weights else None
    if selected is not None and fitted[selected].ceiling_param is not None:
        cp, pair = fitted[selected].ceiling_param, [candidates.get((selected, em)) for em in ERROR_MODELS]
        if all(m is not None and m.converged_ for m in pair) and max(m.params_[cp] for m in pair) > \
                MATERIAL_RATIO * min(m.params_[cp] for m in pair):
            notes.append(f"the {selected} ceiling depends on the error model: {cp} = "
                         + " vs ".join(f"{m.params_[cp]:,.4g} ({m.error_model})" for m in pair)
                         + "; both are in the model-averaged forecasts and milestones")
    calibration = None
    if calibrate:
        calibration = rolling_calibration(t, users, [n for n in names if not (down and n != "exponential")],
                                          horizon=horizon, n_origins=n_origins, level=level, error_models=ems,
                                          n_sim=n_sim, seed=seed, ceiling=ceiling, cache=origin_fits)
    offset = _roadmap_offset(months[0], roadmap) if months is not None and roadmap is not None else None
    return GrowthComparison(models=fitted, table=table, selected=selected, t=t, users=users, months=months,
                            roadmap_offset=offset, holdout=holdout, source=source, level=level, roadmap=roadmap,
                            candidates=candidates, weights=weights, calibration=calibration, ceiling_bound=ceiling,
                            notes=notes, n_sim=n_sim, seed=seed)


__all__ = ["GrowthComparison", "fit_growth", "declining", "ERROR_MODEL_RULE"]
