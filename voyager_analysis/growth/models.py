"""The five growth curves (see :mod:`voyager_analysis.growth.curves` for their equations and error model):
each sets its parameters, its curve on the log scale, automatic starting points and search bounds."""

from __future__ import annotations

import math
import warnings

import numpy as np

from voyager_analysis.errors import ConvergenceWarning, InputError, unknown_name
from voyager_analysis.growth.curves import GrowthModel, _log1pexp


def _span(t) -> float:
    return max(float(np.ptp(t)), 1.0)


def _linear_start(t, z) -> tuple[float, float]:
    """Slope and intercept of z on t (least squares)."""
    b, a = np.polyfit(t, z, 1)
    return float(b), float(a)


def _sigmoid_starts(t, y, link) -> list[tuple[float, float, float]]:
    """(K, r, t0) starts: for several ceilings K, linearise ``link(y/K) = -r (t - t0)``."""
    starts = []
    for mult in (1.1, 1.5, 3.0, 10.0, 100.0):
        K = float(y.max()) * mult
        with np.errstate(all="ignore"):
            z = link(np.clip(y / K, 1e-9, 1 - 1e-9))
        slope, icpt = _linear_start(t, z)
        r = min(max(-slope, 0.01), 3.0)
        t0 = icpt / r if slope < 0 else float(t.max())
        starts.append((K, r, float(np.clip(t0, -100, 1000))))
    return starts


def _sigmoid_bounds(t, y, extra_lo=(), extra_hi=()):
    span = _span(t)
    lo = [0.5 * float(y.max()), 1e-4, float(t.min()) - 5 * span - 24] + list(extra_lo)
    hi = [1e4 * float(y.max()), 5.0, float(t.max()) + 20 * span + 120] + list(extra_hi)
    return lo, hi


class Exponential(GrowthModel):
    """``N0 exp(r t)``: N0 users at t = 0, r per month (may be negative)."""

    name = "exponential"
    param_names = ("N0", "r")
    log_params = (True, False)

    def _log_curve(self, t, N0, r):
        return np.log(N0) + r * t

    def _starts(self, t, y):
        r, a = _linear_start(t, np.log(y))
        return [(math.exp(a), r)]

    def _bounds(self, t, y):
        return [1e-6 * float(y.min()), -3.0], [1e4 * float(y.max()), 5.0]


class Logistic(GrowthModel):
    """``K / (1 + exp(-r (t - t0)))``: ceiling K users, rate r per month, inflection (K/2) at t0."""

    name = "logistic"
    ceiling_param = "K"
    param_names = ("K", "r", "t0")
    log_params = (True, True, False)

    def _log_curve(self, t, K, r, t0):
        return np.log(K) - _log1pexp(-r * (t - t0))

    def _starts(self, t, y):
        return _sigmoid_starts(t, y, lambda p: np.log(1 / p - 1))

    def _bounds(self, t, y):
        return _sigmoid_bounds(t, y)


class Gompertz(GrowthModel):
    """``K exp(-exp(-r (t - t0)))``: ceiling K, rate r per month, inflection (K/e) at t0."""

    name = "gompertz"
    ceiling_param = "K"
    param_names = ("K", "r", "t0")
    log_params = (True, True, False)

    def _log_curve(self, t, K, r, t0):
        return np.log(K) - np.exp(-r * (t - t0))

    def _starts(self, t, y):
        return _sigmoid_starts(t, y, lambda p: np.log(-np.log(p)))

    def _bounds(self, t, y):
        return _sigmoid_bounds(t, y)


class Richards(GrowthModel):
    """``K (1 + nu exp(-r (t - t0)))^(-1/nu)``; inflection at ``t0 + ln(nu)/r``."""

    name = "richards"
    ceiling_param = "K"
    param_names = ("K", "r", "t0", "nu")
    log_params = (True, True, False, True)

    def _log_curve(self, t, K, r, t0, nu):
        return np.log(K) - _log1pexp(np.log(nu) - r * (t - t0)) / nu

    def _starts(self, t, y):
        base = _sigmoid_starts(t, y, lambda p: np.log(1 / p - 1))
        with warnings.catch_warnings():  # only a starting point: a bound here is no news
            warnings.simplefilter("ignore", ConvergenceWarning)
            logistic = Logistic(error_model=self.error_model).fit(t, y)
        if logistic.converged_:
            base.insert(0, tuple(logistic.params_.values()))
        return [(K, r, t0, nu) for (K, r, t0) in base for nu in (0.3, 1.0, 3.0)]

    def _bounds(self, t, y):
        return _sigmoid_bounds(t, y, [0.02], [50.0])


class Bass(GrowthModel):
    """Bass diffusion, cumulative adopters: ``m (1 - E) / (1 + (q/p) E)``, ``E = exp(-(p+q)(t+1))``.

    Monthly active users are treated as cumulative adopters (churn small or replaced), launch at
    t = -1; m is the market size (users), p the innovation and q the imitation coefficient per month.
    """

    name = "bass"
    ceiling_param = "m"
    param_names = ("m", "p", "q")
    log_params = (True, True, True)

    def _log_curve(self, t, m, p, q):
        b = p + q
        tau = t + 1.0
        return np.log(m) + np.log(-np.expm1(-b * tau)) - _log1pexp(np.log(q / p) - b * tau)

    def _starts(self, t, y):
        out = []
        for K, r, t0 in _sigmoid_starts(t, y, lambda p: np.log(1 / p - 1)):
            a = math.exp(min(max(r * (t0 + 1.0), 0.0), 30.0))  # q/p from the logistic approximation
            p = r / (1 + a)
            out.append((K, max(p, 2e-7), max(r - p, 2e-4)))
        return out

    def _bounds(self, t, y):
        return [0.5 * float(y.max()), 1e-7, 1e-4], [1e4 * float(y.max()), 1.0, 5.0]


MODELS: dict[str, type[GrowthModel]] = {m.name: m for m in (Exponential, Logistic, Gompertz, Richards, Bass)}


def make_model(name: str, level: float = 0.95, error_model: str = "multiplicative") -> GrowthModel:
    """A fresh model by name (``exponential``, ``logistic``, ``gompertz``, ``richards``, ``bass``) with the given
    error model (``multiplicative``: least squares on log users; ``additive``: on users)."""
    if name not in MODELS:
        raise InputError(unknown_name("growth model", name, MODELS))
    return MODELS[name](level=level, error_model=error_model)


__all__ = ["Exponential", "Logistic", "Gompertz", "Richards", "Bass", "MODELS", "make_model"]
