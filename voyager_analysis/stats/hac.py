"""Fixed-b HAC regression: OLS with a Newey-West covariance and critical values simulated for the design.

A month-by-month series is autocorrelated and short, and the textbook Newey-West t-test then rejects a true
null far too often (about 17% instead of 5% with 17 months and AR(1) noise of 0.5; see
``tests/test_scaling.py``). So every interval and test built on :func:`hac_regression` uses **fixed-b HAC
inference** (Kiefer & Vogelsang 2002, 2005): the Newey-West (Bartlett kernel) covariance with a bandwidth equal
to the sample (``maxlags = n - 1`` unless told otherwise), and critical values that match that choice. They are
simulated, seeded, for the actual regressors under Gaussian white noise, where the t-statistic is exactly
pivotal given X; fixed-b theory makes the same distribution approximately right for any stationary
autocorrelation. The point estimate is OLS and the HAC covariance is statsmodels' formula (tested against
``OLS(...).fit(cov_type="HAC")``), computed from moving sums in O(n k^2) for any number of lags, so 100,000
rows take about a second and no n x n matrix is built; the simulation uses the same formula, vectorised over
replicates.

The error model is explicit: ``y = X b + e`` with ``e`` stationary (any autocorrelation), estimated by OLS.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voyager_analysis import config
from voyager_analysis.errors import InputError
from voyager_analysis.results import Results


def _hac_cov(e: np.ndarray, X: np.ndarray, XtX_inv: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West (Bartlett) covariance of OLS coefficients for residual rows ``e`` (R, n); returns (R, k, k).

    Same formula as statsmodels ``cov_type="HAC"`` with ``use_correction=True`` (factor n/(n-k)):
    ``S = sum_{s,t} (1 - |s-t|/M)_+ u_s u_t'`` with scores ``u_t = e_t x_t`` and ``M = lags + 1``. It is computed
    from moving sums of M consecutive scores, ``W_t = u_{t-M+1} + ... + u_t`` (zero outside the sample):
    ``sum_t W_t W_t' = sum_{s,t} (M - |s-t|)_+ u_s u_t'``, so ``S = sum_t W_t W_t' / M``. That costs
    O(R (n + M) k^2) time and O(R (n + M) k) memory for any number of lags — no n x n matrix.
    """
    n, k = X.shape
    M = int(lags) + 1
    u = e[:, :, None] * X[None, :, :]  # (R, n, k) scores
    c = np.zeros((u.shape[0], n + M, k))
    np.cumsum(u, axis=1, out=c[:, 1:n + 1])
    c[:, n + 1:] = c[:, n:n + 1]  # the cumulative sum stays flat after the sample
    idx = np.arange(1, n + M)
    W = c[:, idx] - c[:, np.maximum(idx - M, 0)]  # (R, n + M - 1, k) window sums
    S = np.einsum("rti,rtj->rij", W, W) / M
    S *= n / (n - k)
    return XtX_inv @ S @ XtX_inv


@dataclass(repr=False)
class HACRegression(Results):
    """OLS coefficients with a Newey-West covariance and fixed-b critical values simulated for X.

    Build with :func:`hac_regression`. ``contrast(c)`` tests and bounds any linear combination
    ``c @ params`` (a coefficient, a prediction at a point).
    """

    names: list[str]
    params: np.ndarray
    cov: np.ndarray
    n: int
    lags: int
    alpha: float
    n_sim: int
    resid: np.ndarray
    _null_params: np.ndarray = field(repr=False)  # (n_sim, k): simulated (b* - beta) under white noise
    _null_cov: np.ndarray = field(repr=False)  # (n_sim, k, k)
    _y: np.ndarray = field(repr=False, default=None)
    #: ``"HAC"`` (time series: Newey-West, fixed-b) or ``"HC3"`` (cross-section: heteroskedasticity-robust, t
    #: critical values with n - k degrees of freedom; the answer does not depend on the row order).
    cov_type: str = "HAC"

    title = "OLS with Newey-West HAC errors and fixed-b intervals"

    @property
    def exact(self) -> bool:
        """True when the fit is exact up to rounding (residuals ~1e-10 of the data): SEs are zero."""
        return bool(np.linalg.norm(self.resid) <= 1e-10 * max(np.linalg.norm(self._y), 1e-300))

    @property
    def k(self) -> int:
        return len(self.params)

    @property
    def method(self) -> str:
        if self.cov_type == "HC3":
            return (f"OLS, HC3 heteroskedasticity-robust covariance, t critical values with {self.n - self.k} "
                    f"degrees of freedom (rows are a cross-section: no time order)")
        given = ("given X" if self.n <= SIM_MAX_ROWS else
                 f"on {SIM_MAX_ROWS} evenly spaced rows of X (same bandwidth ratio)")
        return (f"OLS, Newey-West HAC (Bartlett, maxlags={self.lags}), fixed-b critical values from "
                f"{self.n_sim} seeded simulations {given}")

    def _null_t(self, c: np.ndarray) -> np.ndarray:
        num = self._null_params @ c
        var = np.einsum("j,rjl,l->r", c, self._null_cov, c)
        return num / np.sqrt(var)

    def contrast(self, c, null: float = 0.0) -> dict[str, Any]:
        """Estimate, SE, two-sided (1-alpha) interval and one-sided p-values of ``c @ params``."""
        if self.cov_type == "HC3":
            return self._contrast_t(np.asarray(c, dtype=float), null)
        c = np.asarray(c, dtype=float)
        est = float(c @ self.params)
        se = float(np.sqrt(c @ self.cov @ c))
        t_null = self._null_t(c)
        crit = float(np.quantile(np.abs(t_null), 1 - self.alpha))
        if not self.exact:
            t = (est - null) / se
        else:  # an exact fit (no residual noise): only the sign of the difference is meaningful
            se = 0.0
            diff = est - null
            t = 0.0 if abs(diff) <= 1e-9 * (1.0 + abs(null)) else math.copysign(math.inf, diff)
        m = len(t_null)
        p_lower = (np.count_nonzero(t_null <= t) + 1) / (m + 1)  # H1: value < null
        p_upper = (np.count_nonzero(t_null >= t) + 1) / (m + 1)  # H1: value > null
        return {"estimate": est, "se": se, "ci": (est - crit * se, est + crit * se), "t": float(t),
                "crit": crit, "p_lower": float(p_lower), "p_upper": float(p_upper)}

    def _contrast_t(self, c: np.ndarray, null: float) -> dict[str, Any]:
        """HC3: Student t with n - k degrees of freedom."""
        from scipy.stats import t as t_dist

        est = float(c @ self.params)
        se = float(np.sqrt(c @ self.cov @ c))
        dof = self.n - self.k
        crit = float(t_dist.ppf(1 - self.alpha / 2, dof))
        t = (est - null) / se if se > 0 else (0.0 if est == null else math.copysign(math.inf, est - null))
        return {"estimate": est, "se": se, "ci": (est - crit * se, est + crit * se), "t": float(t), "crit": crit,
                "p_lower": float(t_dist.cdf(t, dof)), "p_upper": float(t_dist.sf(t, dof))}

    def coef(self, name: str, null: float = 0.0) -> dict[str, Any]:
        c = np.zeros(self.k)
        c[self.names.index(name)] = 1.0
        return self.contrast(c, null)

    def _payload(self) -> dict[str, Any]:
        return {"method": self.method, "n": self.n, "alpha": self.alpha,
                "coefficients": self.summary().reset_index().to_dict("records")}

    def summary(self):
        """Coefficients, HAC standard errors, fixed-b (1 - alpha) intervals, t and critical values."""
        import pandas as pd

        rows = []
        for name in self.names:
            r = self.coef(name)
            rows.append({"coef": r["estimate"], "se(coef)": r["se"], "lower": r["ci"][0], "upper": r["ci"][1],
                         "t": r["t"], "crit": r["crit"]})
        return pd.DataFrame(rows, index=pd.Index(self.names, name="term"))


#: Above this many rows the fixed-b critical values are simulated on this many evenly spaced rows of X (same
#: bandwidth ratio b = (maxlags + 1) / n): the fixed-b limit depends on b and the regressors' shape, not on n.
SIM_MAX_ROWS = 500
#: Replicates simulated at a time (bounds memory).
SIM_CHUNK = 500
#: The largest regression accepted (rows); above it one line says so. 100,000 rows take about a second.
MAX_ROWS = 1_000_000


def hac_regression(y, X, names: list[str], *, alpha: float = 0.05, maxlags: int | None = None,
                   n_sim: int = 4000, seed: int = config.DEFAULT_SEED) -> HACRegression:
    """Fit ``y ~ X`` by OLS with a Newey-West covariance; simulate fixed-b critical values.

    ``maxlags`` defaults to ``n - 1`` (bandwidth = sample size, Kiefer-Vogelsang-Bunzel). Inputs are
    checked by the callers; here ``X`` must have full column rank and ``n > k``. The covariance is
    :func:`_hac_cov` (statsmodels' formula, O(n k^2) for any lag); the critical values are simulated under
    white noise for X, or for :data:`SIM_MAX_ROWS` evenly spaced rows of it (same b) when n is larger.
    At most :data:`MAX_ROWS` rows.
    """
    y, X, n, k = _design(y, X, names)
    lags = n - 1 if maxlags is None else int(maxlags)
    if not 0 <= lags <= n - 1:
        raise InputError(f"hac_maxlags must lie in 0..{n - 1}, got {maxlags}")
    XtX_inv = np.linalg.inv(X.T @ X)
    params = XtX_inv @ (X.T @ y)
    resid = y - X @ params
    cov = _hac_cov(resid[None], X, XtX_inv, lags)[0]
    b0, cov0 = _null_draws(X, lags, n_sim, seed)
    return HACRegression(names=list(names), params=params, cov=cov, n=n, lags=lags, alpha=alpha, n_sim=n_sim,
                         resid=resid, _null_params=b0, _null_cov=cov0, _y=y)


def _design(y, X, names) -> tuple[np.ndarray, np.ndarray, int, int]:
    """``y`` and ``X`` as float arrays with their shape, refusing what no regression can fit (one line each)."""
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    if n <= k:
        raise InputError(f"need more than {k} points to fit {k} coefficients, got {n}")
    if n > MAX_ROWS:
        raise InputError(f"{n:,} rows is more than the {MAX_ROWS:,} a regression here accepts; aggregate the data")
    if np.linalg.matrix_rank(X) < k:
        raise InputError(f"the regressors ({', '.join(names)}) are collinear or constant: nothing to fit")
    return y, X, n, k


def _null_draws(X: np.ndarray, lags: int, n_sim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(b* - beta, HAC covariance) of ``n_sim`` regressions on X under Gaussian white noise (seeded); the last
    few designs are remembered (a report fits several metrics against the same users column)."""
    n = X.shape[0]
    if n > SIM_MAX_ROWS:
        X = X[np.round(np.linspace(0, n - 1, SIM_MAX_ROWS)).astype(int)]
        lags = int(np.clip(round((lags + 1) / n * SIM_MAX_ROWS) - 1, 0, SIM_MAX_ROWS - 1))
    X = np.ascontiguousarray(X, dtype=float)
    return _null_draws_cached(X.tobytes(), X.shape, lags, n_sim, seed)


@functools.lru_cache(maxsize=16)
def _null_draws_cached(x_bytes: bytes, shape: tuple, lags: int, n_sim: int, seed: int):
    X = np.frombuffer(x_bytes, dtype=float).reshape(shape)
    XtX_inv = np.linalg.inv(X.T @ X)
    rng = np.random.default_rng(seed)
    b_parts, cov_parts = [], []
    for start in range(0, n_sim, SIM_CHUNK):
        z = rng.standard_normal((min(SIM_CHUNK, n_sim - start), X.shape[0]))
        b0 = z @ X @ XtX_inv  # estimation error when the truth is 0 and noise is white
        b_parts.append(b0)
        cov_parts.append(_hac_cov(z - b0 @ X.T, X, XtX_inv, lags))
    b0, cov0 = np.concatenate(b_parts), np.concatenate(cov_parts)
    b0.flags.writeable = cov0.flags.writeable = False  # shared between results through the cache
    return b0, cov0


def hc3_regression(y, X, names: list[str], *, alpha: float = 0.05) -> HACRegression:
    """Fit ``y ~ X`` by OLS with the HC3 covariance ``(X'X)^-1 X' diag(e_i^2 / (1 - h_i)^2) X (X'X)^-1``
    (statsmodels' ``cov_type="HC3"``; MacKinnon & White 1985), for rows with no time order. A
    :class:`HACRegression` with ``cov_type="HC3"``. O(n k^2); at most :data:`MAX_ROWS` rows."""
    y, X, n, k = _design(y, X, names)
    XtX_inv = np.linalg.inv(X.T @ X)
    params = XtX_inv @ (X.T @ y)
    resid = y - X @ params
    h = np.einsum("ij,jk,ik->i", X, XtX_inv, X)  # leverages
    w = resid**2 / np.maximum(1.0 - h, 1e-12) ** 2
    cov = XtX_inv @ (X.T * w) @ X @ XtX_inv
    return HACRegression(names=list(names), params=params, cov=cov, n=n, lags=0, alpha=alpha, n_sim=0,
                         resid=resid, _null_params=np.zeros((0, k)), _null_cov=np.zeros((0, k, k)), _y=y,
                         cov_type="HC3")


def check_series(name: str, values, *, positive: bool = True, min_n: int = 4) -> np.ndarray:
    """A 1-D float array with no NaN/inf, at least ``min_n`` points, not constant, (> 0 if positive)."""
    x = np.asarray(values, dtype=float).ravel()
    if x.size < min_n:
        raise InputError(f"{name}: need at least {min_n} points, got {x.size}")
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise InputError(f"{name}: value {bad[0] + 1} of {x.size} is missing or not finite ({x[bad[0]]})")
    if positive:
        bad = np.flatnonzero(x <= 0)
        if bad.size:
            raise InputError(f"{name}: value {bad[0] + 1} of {x.size} is {x[bad[0]]:g}; a log-log fit needs "
                             f"every value > 0")
    if np.ptp(x) == 0:
        raise InputError(f"{name}: all {x.size} values equal {x[0]:g}; a constant series has no slope")
    return x


__all__ = ["HACRegression", "hac_regression", "hc3_regression", "check_series", "MAX_ROWS"]
