"""Model averaging over growth curves and error models, and the rolling-origin calibration of its intervals.

Every candidate (a curve with an error model) that converged gets an Akaike weight from its AICc (computed
on the original scale of users, so additive and multiplicative fits compete fairly). Forecasts, milestone
months and the ceiling are read from a *mixture* of seeded simulations: candidate ``i`` contributes a
multinomial share ``w_i`` of the ``n_sim`` draws (its parameters from their normal approximation plus its
residual noise, :meth:`GrowthModel.simulate_log_users`). So an interval covers the disagreement between the
curves, not only the winner's own uncertainty (Burnham & Anderson 2002, ch. 4).

:func:`rolling_calibration` checks those intervals: for origins ``k`` it refits every candidate on the first
``k`` rows, forecasts the next ``horizon`` rows from the mixture and counts how often the observed users fall
inside the ``level`` prediction interval. Parametric intervals assume independent noise around the right
curve; real series (a depression, a baby boom) break that, so the spread of the draws is widened by a factor
learnt from the standardised rolling-origin errors (empirical prediction intervals, Williams & Goodman 1971;
the quantile rule of split conformal prediction). The reported coverage is scored on origins whose factor
uses only errors observed before them. Nothing here reads a file.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from voyager_analysis import config
from voyager_analysis.errors import ConvergenceWarning, InputError
from voyager_analysis.growth.curves import ERROR_MODELS, GrowthModel
from voyager_analysis.growth.models import make_model
from voyager_analysis.results import Missing

#: Why a milestone month is null.
NOT_REACHED = "not reached within the horizon"
ALREADY_ABOVE = "already above this level before the data start"
#: Time step (months) of the grid on which milestone crossings are searched.
GRID_STEP_MONTHS = 0.1
#: At most this many grid points (a coarser step on long series).
MAX_GRID_POINTS = 4000
#: At most this many rolling origins before the scored ones set the interval inflation (every feasible earlier
#: origin up to this cap: a series' early history is part of the method's track record, and the conformal
#: quantile needs about 20 errors before it stops being simply the largest one).
CALIBRATION_ORIGINS = 16


def akaike_weights(models: dict[Any, GrowthModel]) -> dict[Any, float]:
    """Akaike weights ``exp(-dAICc/2)`` normalised over the converged models with a finite AICc."""
    ok = {k: m.aicc_ for k, m in models.items() if m.converged_ and math.isfinite(m.aicc_)}
    if not ok:
        return {}
    best = min(ok.values())
    raw = {k: math.exp(-(a - best) / 2) for k, a in ok.items()}
    total = sum(raw.values())
    return {k: v / total for k, v in raw.items()}


def mixture_log_draws(models: dict[Any, GrowthModel], weights: dict[Any, float], t, n_sim: int,
                      seed: int = config.DEFAULT_SEED) -> np.ndarray:
    """(n_sim, len(t)) seeded draws of log users from the weighted mixture of ``models``."""
    t = np.atleast_1d(np.asarray(t, dtype=float))
    keys = [k for k in weights if weights[k] > 0]
    if not keys:
        raise InputError("no converged growth model to draw from")
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_sim, np.array([weights[k] for k in keys]) / sum(weights[k] for k in keys))
    parts = [_valid_draws(models[k], t, int(c), rng) for k, c in zip(keys, counts) if c > 0]
    parts = [p for p in parts if p is not None]
    if not parts:
        raise InputError("no growth model gives valid draws (every parameter draw is outside its curve's domain)")
    return np.concatenate(parts, axis=0)


def _valid_draws(model: GrowthModel, t: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray | None:
    """``count`` draws of a candidate; the paths that are not a number where its fitted curve is (a parameter draw
    of the normal approximation outside the curve's domain, e.g. a Richards shape below 0) are replaced by
    resampled valid ones: the candidate keeps its share of the mixture, and its approximation is truncated to its
    domain. None when no path is valid (the candidate drops out). Unhandled, one NaN path turns every quantile
    into NaN."""
    draws = model.simulate_log_users(t, count, int(rng.integers(2**31)))
    with np.errstate(all="ignore"):
        defined = ~np.isnan(np.log(model.predict(t)))  # e.g. Bass before its start is undefined for every path
    ok = ~np.isnan(draws[:, defined]).any(axis=1)
    if ok.all():
        return draws
    if not ok.any():
        return None
    return draws[ok][rng.integers(0, int(ok.sum()), size=count)]


def inflate(draws: np.ndarray, factor: float, t=None, t_last: float | None = None) -> np.ndarray:
    """Draws spread ``factor`` times further from their per-column median (log scale); with months ``t`` and
    the last observed month ``t_last``, only the columns after it: the factor is learnt from forecast errors, so
    it widens forecasts, not the fitted stretch (where it would move milestones already observed)."""
    if factor == 1.0:
        return draws
    med = np.quantile(draws, 0.5, axis=0, method="inverted_cdf")
    ahead = np.ones(draws.shape[1], dtype=bool) if t is None else np.asarray(t, dtype=float) > t_last
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(draws) & ahead, med + factor * (draws - med), draws)


def quantile_band(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and equal-tailed ``level`` band of draws along axis 0 (inf-safe: no interpolation)."""
    a = (1 - level) / 2
    q = np.quantile(draws, [0.5, a, 1 - a], axis=0, method="inverted_cdf")
    return q[0], q[1], q[2]


def first_crossing_months(log_paths: np.ndarray, grid: np.ndarray, n_users: float) -> np.ndarray:
    """First grid month at which each path rises to ``n_users`` (an upward crossing); ``-inf`` where the path is at
    or above it from the start of the grid to its end (reached before the data), ``inf`` where it never rises to
    it (below throughout, or above only in the past of a declining path)."""
    above = log_paths >= math.log(n_users)
    up = above[:, 1:] & ~above[:, :-1]
    hit = up.any(axis=1)
    first = np.where(hit, grid[1:][np.argmax(up, axis=1)], np.inf)
    return np.where(~hit & above[:, 0] & above[:, -1], -np.inf, first)


def month_summary(months: np.ndarray, level: float) -> dict[str, Any]:
    """``{"month", "low", "high"}`` from month draws: the median and the ``level`` interval; a value that is
    infinite becomes :class:`Missing` (``inf``: not reached within the horizon; ``-inf``: above the level from
    before the data)."""
    mid, lo, hi = (float(v[0]) for v in quantile_band(months[:, None], level))

    def value(v, what):
        if v == math.inf:
            return Missing(f"{NOT_REACHED} ({what})")
        if v == -math.inf:
            return Missing(f"{ALREADY_ABOVE} ({what})")
        return v

    return {"month": value(mid, "median of the model-averaged draws"),
            "low": value(lo, "earliest plausible month"),
            "high": value(hi, f"in more than {(1 - level) / 2:.1%} of the model-averaged draws")}


def rolling_calibration(t, users, names, *, horizon: int = 3, n_origins: int = 5, min_train: int = 8,
                        level: float = 0.95, error_models=ERROR_MODELS, n_sim: int = 2000,
                        seed: int = config.DEFAULT_SEED, ceiling: float | None = None,
                        n_learn: int = CALIBRATION_ORIGINS, cache: dict | None = None) -> dict[str, Any]:
    """Rolling-origin check of the model-averaged ``level`` prediction interval, and its inflation factor.

    At each origin ``k`` (the last ``n_origins + n_learn`` with at least ``min_train`` rows) every candidate curve
    and error model is refitted on rows ``< k`` (one start each) and the next ``horizon`` rows are forecast from
    the Akaike-weighted mixture. Each observed value gives a standardised error ``z = (log y - median) / half``
    (``half``: half the width of the mixture's log-scale interval; ``|z| <= 1`` means inside). The *inflation*
    known at origin ``k`` is the conformal ``level`` quantile of ``|z|`` (at least 1, :func:`_inflation`) over the
    errors whose month is before ``k``, from every feasible earlier origin up to ``n_learn`` of them. The last
    ``n_origins`` origins are scored with their own ``phi`` (nothing from the future), so ``coverage`` is an
    honest out-of-sample figure; ``coverage_uninflated`` is the same without ``phi``; ``inflation`` is ``phi``
    from every error, applied by :class:`~voyager_analysis.growth.GrowthComparison` to its intervals.
    """
    t = np.asarray(t, dtype=float)
    y = np.asarray(users, dtype=float)
    n = t.size
    if n_origins <= 0:
        why = Missing("rolling-origin check not run (n_origins = 0)")
        return {"coverage": why, "coverage_uninflated": why, "n": 0, "level": level, "origins": 0,
                "horizon": horizon, "inflation": 1.0}
    origins = [k for k in range(n - n_origins - n_learn, n) if k >= min_train]
    errors = []  # (origin, target row, z)
    cache = {} if cache is None else cache
    for i, k in enumerate(origins):
        fits = {(name, em): m for name in names for em in error_models
                if (m := origin_fit(cache, name, em, level, t, y, k)).converged_ and not _above_ceiling(m, ceiling)}
        weights = akaike_weights(fits)
        if not weights:
            continue
        rows = np.arange(k, min(k + horizon, n))
        with np.errstate(all="ignore"):
            draws = mixture_log_draws(fits, weights, t[rows], n_sim, seed + i)
            med, lo, hi = quantile_band(draws, level)
            z = (np.log(y[rows]) - med) / np.maximum((hi - lo) / 2, 1e-12)
        errors += [(k, int(r), float(v)) for r, v in zip(rows, z) if np.isfinite(v)]
    scored = [e for e in errors if e[0] >= n - horizon - n_origins + 1]
    inside = raw_inside = 0
    for k, _, z in scored:
        phi = _inflation([e[2] for e in errors if e[1] < k], level)
        inside += abs(z) <= phi
        raw_inside += abs(z) <= 1
    if scored:
        coverage, raw = inside / len(scored), raw_inside / len(scored)
    else:
        coverage = raw = Missing("no rolling origin could be scored (too few months)")
    return {"coverage": coverage, "coverage_uninflated": raw, "n": len(scored), "level": level,
            "origins": len({e[0] for e in scored}), "horizon": horizon,
            "inflation": _inflation([e[2] for e in errors], level)}


def _inflation(z: list[float], level: float) -> float:
    """Interval inflation from standardised errors: the ``level`` quantile of ``|z|`` (the conformal rank
    ``ceil((m + 1) level)`` of m errors, capped at the largest), at least 1; 1 without errors."""
    if not z:
        return 1.0
    a = np.sort(np.abs(np.asarray(z, dtype=float)))
    rank = min(math.ceil((a.size + 1) * level), a.size)
    return max(1.0, float(a[rank - 1]))


def origin_fit(cache: dict, name: str, error_model: str, level: float, t: np.ndarray, y: np.ndarray,
               k: int) -> GrowthModel:
    """Curve ``name`` with ``error_model`` fitted (one start) on the first ``k`` rows, memoised in ``cache`` so
    that the rolling-origin error table and the calibration share their fits. A fit that cannot start (e.g. a
    constant stretch of data) comes back not converged; one at a search bound is used like any other."""
    key = (name, error_model, k)
    if key not in cache:
        m = make_model(name, level, error_model)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                m.fit(t[:k], y[:k], max_starts=1)
        except InputError:
            m.converged_ = False
        cache[key] = m
    return cache[key]


def rolling_origin(t, users, models, *, horizon: int = 3, n_origins: int = 5, min_train: int = 8,
                   level: float = 0.95, error_models: dict | None = None, cache: dict | None = None):
    """Fit each model on the first k rows and predict the next ``horizon`` rows, for up to ``n_origins``
    origins ending at ``n - horizon``. ``error_models`` maps a model to its error model (default
    multiplicative). Returns a long DataFrame ``model``, ``origin`` (k), ``step``, ``error_log`` (log predicted -
    log observed; NaN when the fit failed)."""
    import pandas as pd

    t = np.asarray(t, dtype=float)
    y = np.asarray(users, dtype=float)
    n = t.size
    last = n - horizon
    origins = [k for k in range(last - n_origins + 1, last + 1) if k >= min_train]
    rows, cache = [], ({} if cache is None else cache)
    for name in models:
        for k in origins:
            m = origin_fit(cache, name, (error_models or {}).get(name, "multiplicative"), level, t, y, k)
            future = slice(k, min(k + horizon, n))
            if m.converged_:
                with np.errstate(all="ignore"):
                    err = np.log(m.predict(t[future])) - np.log(y[future])
            else:
                err = np.full(future.stop - future.start, np.nan)
            rows += [{"model": name, "origin": k, "step": s + 1, "error_log": float(e)} for s, e in enumerate(err)]
    return pd.DataFrame(rows, columns=["model", "origin", "step", "error_log"])


def _above_ceiling(model: GrowthModel, ceiling: float | None) -> bool:
    """True when the model's ceiling exceeds a physical bound stated by the caller."""
    if ceiling is None or model.ceiling_param is None or not model.converged_:
        return False
    return model.params_[model.ceiling_param] > ceiling


__all__ = ["rolling_origin", "akaike_weights", "mixture_log_draws", "inflate", "quantile_band",
           "first_crossing_months", "month_summary", "rolling_calibration", "NOT_REACHED", "ALREADY_ABOVE"]
