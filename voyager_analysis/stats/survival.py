"""Survival in whole periods: Kaplan–Meier with confidence bands, and the shifted-beta-geometric (sBG) model.

Durations are counted in whole periods (monthly billing periods, months since signup). An observation is
``(period, event)``: ``event`` true means the event happened at the end of period ``period`` (a subscription
paid for ``period`` months and then ended: ``T = period``); false means it is *censored* there: it is known
only that ``T > period`` (still subscribed after ``period`` renewals). Optional ``counts`` weight each row, so
aggregated tables (one row per period and status, as SQL returns them) and per-subscriber rows give the
same answer.

* :func:`kaplan_meier` — statsmodels' ``SurvfuncRight`` (product-limit estimate) with Greenwood standard errors,
  with pointwise intervals on the log(-log) scale (Kalbfleisch & Prentice 2002, 1.3), which stay in [0, 1].
* :func:`fit_sbg` — the sBG of Fader & Hardie ("How to project customer retention", Journal of Interactive
  Marketing 21(1), 2007): each subscriber churns at the end of every period with a constant probability
  theta, and theta varies across subscribers as Beta(alpha, beta), so that
  ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)`` and ``S(t) = B(alpha, beta + t) / B(alpha, beta)``.
  Maximum likelihood over churned (``log P(T = t)``) and censored (``log S(t)``) rows, on log parameters,
  from several starting points (the paper's advice); Wald intervals on the log scale from the observed
  information (a numerical Hessian).

No domain knowledge here (tiers, subscriptions); see :mod:`voyager_analysis.churn`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from voyager_analysis.errors import ConvergenceError, ConvergenceWarning, InputError
from voyager_analysis.results import Results

#: Starting points (alpha, beta) of the sBG likelihood search; the best optimum wins.
SBG_STARTS = ((1.0, 1.0), (0.5, 3.0), (3.0, 0.5), (0.1, 0.1))


def _observations(periods, events, counts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.asarray(periods, dtype=float).ravel()
    d = np.asarray(events, dtype=bool).ravel()
    w = np.ones_like(t) if counts is None else np.asarray(counts, dtype=float).ravel()
    if not (t.size == d.size == w.size):
        raise InputError(f"periods, events and counts differ in length ({t.size}, {d.size}, {w.size})")
    if t.size and (not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(t != np.round(t))):
        raise InputError("periods must be whole numbers >= 0")
    if w.size and (not np.all(np.isfinite(w)) or np.any(w < 0)):
        raise InputError("counts must be finite and >= 0")
    keep = w > 0
    return t[keep].astype(int), d[keep], w[keep]


# --- Kaplan–Meier ------------------------------------------------------------------------------------------

def kaplan_meier(periods, events, counts=None, *, level: float = 0.95, max_period: int | None = None):
    """Kaplan–Meier survival after each period 1..``max_period`` (default: the longest observed duration).

    Returns a DataFrame with ``period``, ``survival`` (share with ``T > period``), ``low``/``high`` (pointwise
    ``level`` interval, log(-log) transform of the Greenwood standard error) and ``at_risk`` (weight with
    ``T >= period``, i.e. still there at the start of the period).
    """
    import pandas as pd
    from scipy.stats import norm
    from statsmodels.duration.survfunc import SurvfuncRight

    t, d, w = _observations(periods, events, counts)
    if t.size == 0:
        raise InputError("no observations for a survival estimate")
    last = int(t.max()) if max_period is None else int(max_period)
    grid = np.arange(1, last + 1)
    at_risk = np.array([w[t >= p].sum() for p in grid])
    if d.any():
        sf = SurvfuncRight(t, d.astype(int), freq_weights=w)
        # Greenwood from the estimator's own risk sets: statsmodels 0.15's ``surv_prob_se`` changes when
        # freq_weights are given, even all ones (0.143 instead of 0.132 at period 1 of the 7-row example in
        # tests/test_survival.py), so weighted and expanded rows would get different bands.
        n, e = sf.n_risk, sf.n_events
        idx = np.searchsorted(sf.surv_times, grid, side="right") - 1
        s = np.where(idx >= 0, sf.surv_prob[np.maximum(idx, 0)], 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            green = np.cumsum(np.where(n > e, e / (n * (n - e)), np.inf))
            se = np.where(idx >= 0, s * np.sqrt(green[np.maximum(idx, 0)]), 0.0)
    else:
        s, se = np.ones(grid.size), np.zeros(grid.size)
    z = norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_loglog = se / (s * np.abs(np.log(s)))
        low = s ** np.exp(z * se_loglog)
        high = s ** np.exp(-z * se_loglog)
    flat = (s >= 1.0) | (s <= 0.0) | ~np.isfinite(se_loglog)
    low, high = np.where(flat, s, low), np.where(flat, s, high)
    out = pd.DataFrame({"period": grid, "survival": s, "low": low, "high": high, "at_risk": at_risk})
    return out[out["at_risk"] > 0].reset_index(drop=True)


# --- shifted-beta-geometric --------------------------------------------------------------------------------

def sbg_log_pmf(t, alpha: float, beta: float) -> np.ndarray:
    """log P(T = t), t = 1, 2, ... (churn at the end of period t)."""
    from scipy.special import betaln

    t = np.asarray(t, dtype=float)
    return betaln(alpha + 1.0, beta + t - 1.0) - betaln(alpha, beta)


def sbg_survival(t, alpha: float, beta: float) -> np.ndarray:
    """S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta); S(0) = 1."""
    from scipy.special import betaln

    t = np.asarray(t, dtype=float)
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


def sbg_retention_rate(t, alpha: float, beta: float) -> np.ndarray:
    """r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1): rises with t (sorting, not learning)."""
    t = np.asarray(t, dtype=float)
    return (beta + t - 1.0) / (alpha + beta + t - 1.0)


def sbg_loglik(alpha: float, beta: float, periods, events, counts=None) -> float:
    """Log-likelihood of churned rows (log P(T = t)) and censored rows (log S(t))."""
    t, d, w = _observations(periods, events, counts)
    return _loglik(alpha, beta, t, d, w)


def _loglik(alpha, beta, t, d, w) -> float:
    ll = np.where(d, sbg_log_pmf(np.maximum(t, 1), alpha, beta), np.log(sbg_survival(t, alpha, beta)))
    return float(np.sum(w * ll))


def sbg_equivalent_churn(alpha: float, beta: float, horizon: int) -> float:
    """The constant churn per period c that gives a constant inflow the same stock after ``horizon`` periods.

    Under the sBG, N new subscribers a period leave ``N * sum_{t<H} S(t)`` subscribed after H periods; a
    constant churn c (``S_t = S_(t-1) (1 - c) + N``) leaves ``N * (1 - (1 - c)^H) / c``, decreasing in c, so c
    is the root of ``(1 - (1 - c)^H) / c = sum_{t=0}^{H-1} S(t)``. Without heterogeneity (the geometric limit,
    constant theta) that root is theta at every horizon. As H grows it tends to
    ``1 / E[T] = (alpha - 1) / (alpha + beta - 1)`` (zero when alpha <= 1: the mean lifetime is infinite), which
    is why a finite planning horizon is used. (Matching the sBG's stock after H periods to the constant churn's
    *steady state* N / c instead, as before, overstated even a constant churn: 0.0815 for theta = 0.077.)
    """
    from scipy.optimize import brentq

    h = int(horizon)
    stock = float(sbg_survival(np.arange(h), alpha, beta).sum())  # in [1, H]
    if stock >= h * (1 - 1e-12):
        return 0.0
    if stock <= 1.0 + 1e-12:
        return 1.0

    def gap(c: float) -> float:
        return (1.0 if c >= 1.0 else -math.expm1(h * math.log1p(-c))) / c - stock

    return float(brentq(gap, 1e-15, 1.0, xtol=1e-15, rtol=1e-13))


@dataclass(repr=False)
class SBGFit(Results):
    """A fitted sBG: ``alpha``, ``beta``, their covariance on the log scale, the log-likelihood."""

    alpha: float
    beta: float
    cov_log: np.ndarray  #: covariance of (log alpha, log beta); NaN when the information is singular
    loglik: float
    n: float  #: weight of the observations
    level: float = 0.95
    title = "Shifted-beta-geometric fit (maximum likelihood)"

    @property
    def _z(self) -> float:
        from scipy.stats import norm

        return float(norm.ppf(0.5 + self.level / 2))

    def _ci(self, i: int) -> tuple[float, float]:
        value = (self.alpha, self.beta)[i]
        se = math.sqrt(self.cov_log[i, i]) if np.isfinite(self.cov_log[i, i]) else math.nan
        return value * math.exp(-self._z * se), value * math.exp(self._z * se)

    @property
    def alpha_ci(self) -> tuple[float, float]:
        return self._ci(0)

    @property
    def beta_ci(self) -> tuple[float, float]:
        return self._ci(1)

    def survival(self, t) -> np.ndarray:
        return sbg_survival(t, self.alpha, self.beta)

    def mean_lifetime(self) -> float:
        """E[T] = (alpha + beta - 1) / (alpha - 1) periods; infinite when alpha <= 1."""
        return (self.alpha + self.beta - 1.0) / (self.alpha - 1.0) if self.alpha > 1.0 else math.inf

    def median_lifetime(self, limit: int = 100_000) -> float:
        """The smallest t with S(t) <= 1/2 (infinite beyond ``limit`` periods)."""
        lo, hi = 0, limit
        if self.survival(hi) > 0.5:
            return math.inf
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if self.survival(mid) > 0.5 else (lo, mid)
        return float(hi)

    def function_interval(self, f) -> tuple[float, float, float]:
        """(estimate, low, high) of ``f(alpha, beta)`` in (0, 1): delta method on the logit scale."""
        eps = 1e-5
        la, lb = math.log(self.alpha), math.log(self.beta)

        def g(x, y):
            v = min(max(f(math.exp(x), math.exp(y)), 1e-300), 1 - 1e-16)
            return math.log(v / (1 - v))

        est = g(la, lb)
        grad = np.array([(g(la + eps, lb) - g(la - eps, lb)) / (2 * eps), (g(la, lb + eps) - g(la, lb - eps)) / (2 * eps)])
        se = math.sqrt(grad @ self.cov_log @ grad) if np.all(np.isfinite(self.cov_log)) else math.nan

        def expit(x):
            return 1.0 / (1.0 + math.exp(-x))

        return expit(est), expit(est - self._z * se), expit(est + self._z * se)

    def equivalent_churn(self, horizon: int) -> tuple[float, float, float]:
        """(estimate, low, high) of :func:`sbg_equivalent_churn` over ``horizon`` periods."""
        return self.function_interval(lambda a, b: sbg_equivalent_churn(a, b, horizon))

    def summary(self):
        import pandas as pd

        rows = [("alpha", self.alpha, *self.alpha_ci), ("beta", self.beta, *self.beta_ci)]
        return pd.DataFrame(rows, columns=["parameter", "estimate", "low", "high"]).set_index("parameter")

    def _payload(self) -> dict:
        return {"alpha": self.alpha, "beta": self.beta, "alpha_ci": list(self.alpha_ci),
                "beta_ci": list(self.beta_ci), "loglik": self.loglik}


def fit_sbg(periods, events, counts=None, *, level: float = 0.95) -> SBGFit:
    """Maximum-likelihood sBG from churned and censored durations (see the module docstring).

    Raises :class:`ConvergenceError` when nothing churned (the likelihood then grows without bound as
    beta -> infinity) or every optimiser start fails; warns with :class:`ConvergenceWarning` when the
    observed information is singular (intervals are then NaN).
    """
    import warnings

    from scipy.optimize import minimize
    from statsmodels.tools.numdiff import approx_hess3

    t, d, w = _observations(periods, events, counts)
    if t.size == 0 or w[d].sum() == 0:
        raise ConvergenceError("the sBG needs at least one churned observation")
    if np.any(t[d] < 1):
        raise InputError("a churned duration must be at least 1 period")

    def nll(x):
        return -_loglik(math.exp(x[0]), math.exp(x[1]), t, d, w)

    best = None
    for a0, b0 in SBG_STARTS:
        with np.errstate(all="ignore"):
            res = minimize(nll, np.log([a0, b0]), method="L-BFGS-B", bounds=[(-12.0, 12.0)] * 2)
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        raise ConvergenceError("sBG likelihood could not be maximised from any starting point")
    x = best.x
    if np.any(np.abs(x) > 11.5):
        warnings.warn("sBG estimate at a parameter bound (alpha or beta near 0 or infinity)", ConvergenceWarning,
                      stacklevel=2)
    hess = approx_hess3(x, nll)
    try:
        cov = np.linalg.inv(hess)
        if not np.all(np.linalg.eigvalsh(hess) > 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        warnings.warn("sBG information matrix is singular; intervals are not available", ConvergenceWarning,
                      stacklevel=2)
        cov = np.full((2, 2), np.nan)
    return SBGFit(alpha=math.exp(x[0]), beta=math.exp(x[1]), cov_log=cov, loglik=-float(best.fun),
                  n=float(w.sum()), level=level)


def alive_to_durations(alive) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A cohort's counts still alive after periods 0..n (Fader & Hardie's table) as (periods, events, counts):
    the lost in each period churned there, the survivors after the last period are censored at it."""
    alive = np.asarray(alive, dtype=float)
    n = alive.size - 1
    lost = -np.diff(alive)
    periods = np.concatenate([np.arange(1, n + 1), [n]])
    events = np.concatenate([np.ones(n, bool), [False]])
    return periods, events, np.concatenate([lost, [alive[-1]]])


__all__ = ["SBGFit", "alive_to_durations", "fit_sbg", "kaplan_meier", "sbg_equivalent_churn", "sbg_log_pmf",
           "sbg_loglik", "sbg_retention_rate", "sbg_survival"]
