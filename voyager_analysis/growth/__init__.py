"""Growth curves of monthly active users: fitting, selection, forecasts and milestone months.

* :mod:`~voyager_analysis.growth.curves` — :class:`GrowthModel`, the lifelines-style base of every curve
  (``fit(t, users)`` returns itself; intervals, forecasts, milestone months; its error model stated);
* :mod:`~voyager_analysis.growth.models` — the five curves (exponential, logistic, Gompertz, Richards, Bass);
* :mod:`~voyager_analysis.growth.compare` — :func:`fit_growth`: every curve with both error models on the same
  data, AICc, Akaike weights, model-averaged forecasts, milestone months against the roadmap (given as an
  object, never read) and the ceiling;
* :mod:`~voyager_analysis.growth.averaging` — Akaike-weight mixtures of every curve and error model, the
  rolling-origin checks (per-model errors, coverage of the averaged interval);
* :mod:`~voyager_analysis.growth.roadmap` — the roadmap's Month 0 and milestone levels;
* :mod:`~voyager_analysis.growth.paths` — :class:`MonthMapper`: the month a user level is reached, with draws.

>>> import numpy as np
>>> from voyager_analysis.growth import fit_growth
>>> t = np.arange(24.0)
>>> fit = fit_growth((t, 100 * np.exp(0.2 * t)), "exponential")
>>> round(fit.best.params_["r"], 3)
0.2
"""

from __future__ import annotations

from voyager_analysis.growth.averaging import rolling_calibration, rolling_origin
from voyager_analysis.growth.compare import GrowthComparison, declining, fit_growth
from voyager_analysis.growth.curves import ERROR_MODELS, GrowthModel
from voyager_analysis.growth.models import MODELS, Bass, Exponential, Gompertz, Logistic, Richards, make_model
from voyager_analysis.growth.paths import MonthMapper
from voyager_analysis.growth.roadmap import roadmap_milestone_months, roadmap_month_zero

__all__ = ["GrowthComparison", "fit_growth", "rolling_origin", "rolling_calibration", "declining",
           "roadmap_month_zero", "roadmap_milestone_months", "ERROR_MODELS", "GrowthModel", "Exponential",
           "Logistic", "Gompertz", "Richards", "Bass", "MODELS", "make_model", "MonthMapper"]
