"""Sub-linearity: does monthly cost grow more slowly than users?

The elasticity ``b`` of cost to users comes from ``log(cost) = a + b log(users)``. A month-by-month
series is autocorrelated (a bill that is high this month tends to be high next month) and short, and
the textbook Newey-West t-test then rejects a true null far too often (about 17% instead of 5% with
17 months and AR(1) noise of 0.5; see ``tests/test_scaling.py``). So every interval and test here
uses **fixed-b HAC inference** (Kiefer & Vogelsang 2002, 2005): the Newey-West (Bartlett kernel)
covariance with a bandwidth equal to the sample (``maxlags = n - 1`` unless told otherwise), and
critical values that match that choice. They are simulated, seeded, for the actual regressors under
Gaussian white noise, where the t-statistic is exactly pivotal given X; fixed-b theory makes the same
distribution approximately right for any stationary autocorrelation. The point estimate and the HAC
covariance come from statsmodels ``OLS``; the simulation reproduces that formula with numpy,
vectorised over replicates.

A moving-block bootstrap of residuals gives a second, assumption-light interval (``ci_bootstrap``).

statsmodels is imported inside functions only (``import voyager_analysis.scaling`` stays fast).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voyager_analysis import config
from voyager_analysis.errors import InputError

#: Half-width around 1 within which a confidence interval counts as "linear" (elasticity 0.9-1.1).
LINEAR_BAND = 0.1
#: Below this many points the results carry a small-sample warning.
SMALL_N = 12
VERDICTS = ("sub-linear", "linear", "super-linear", "inconclusive")


# --- fixed-b HAC regression (shared by usage.py) -----------------------------------------------------------

def _hac_cov(e: np.ndarray, X: np.ndarray, XtX_inv: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West (Bartlett) covariance of OLS coefficients for residual rows ``e`` (R, n).

    Same formula as statsmodels ``cov_type="HAC"`` with ``use_correction=True`` (factor n/(n-k)).
    Returns (R, k, k).
    """
    n, k = X.shape
    u = e[:, :, None] * X[None, :, :]  # (R, n, k) scores
    gap = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    W = np.clip(1.0 - gap / (lags + 1.0), 0.0, None)  # Bartlett weights as an (n, n) Toeplitz matrix
    S = u.transpose(0, 2, 1) @ (W @ u)
    S *= n / (n - k)
    return XtX_inv @ S @ XtX_inv


@dataclass
class HACRegression:
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

    @property
    def exact(self) -> bool:
        """True when the fit is exact up to rounding (residuals ~1e-10 of the data): SEs are zero."""
        return bool(np.linalg.norm(self.resid) <= 1e-10 * max(np.linalg.norm(self._y), 1e-300))

    @property
    def k(self) -> int:
        return len(self.params)

    @property
    def method(self) -> str:
        return (f"OLS, Newey-West HAC (Bartlett, maxlags={self.lags}), fixed-b critical values from "
                f"{self.n_sim} seeded simulations given X")

    def _null_t(self, c: np.ndarray) -> np.ndarray:
        num = self._null_params @ c
        var = np.einsum("j,rjl,l->r", c, self._null_cov, c)
        return num / np.sqrt(var)

    def contrast(self, c, null: float = 0.0) -> dict[str, Any]:
        """Estimate, SE, two-sided (1-alpha) interval and one-sided p-values of ``c @ params``."""
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

    def coef(self, name: str, null: float = 0.0) -> dict[str, Any]:
        c = np.zeros(self.k)
        c[self.names.index(name)] = 1.0
        return self.contrast(c, null)

    def summary(self):
        import pandas as pd

        rows = []
        for name in self.names:
            r = self.coef(name)
            rows.append({"coef": r["estimate"], "se(coef)": r["se"], "lower": r["ci"][0], "upper": r["ci"][1],
                         "t": r["t"], "crit": r["crit"]})
        return pd.DataFrame(rows, index=pd.Index(self.names, name="term"))


def hac_regression(y, X, names: list[str], *, alpha: float = 0.05, maxlags: int | None = None,
                   n_sim: int = 4000, seed: int = config.DEFAULT_SEED) -> HACRegression:
    """Fit ``y ~ X`` by statsmodels OLS with a Newey-West covariance; simulate fixed-b critical values.

    ``maxlags`` defaults to ``n - 1`` (bandwidth = sample size, Kiefer-Vogelsang-Bunzel). Inputs are
    checked by the callers; here ``X`` must have full column rank and ``n > k``.
    """
    from statsmodels.regression.linear_model import OLS

    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    if n <= k:
        raise InputError(f"need more than {k} points to fit {k} coefficients, got {n}")
    if np.linalg.matrix_rank(X) < k:
        raise InputError(f"the regressors ({', '.join(names)}) are collinear or constant: nothing to fit")
    lags = n - 1 if maxlags is None else int(maxlags)
    if not 0 <= lags <= n - 1:
        raise InputError(f"hac_maxlags must lie in 0..{n - 1}, got {maxlags}")
    res = OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
    XtX_inv = np.linalg.inv(X.T @ X)
    z = np.random.default_rng(seed).standard_normal((n_sim, n))
    b0 = z @ X @ XtX_inv  # (n_sim, k): estimation error when the truth is 0 and noise is white
    e0 = z - b0 @ X.T
    cov0 = _hac_cov(e0, X, XtX_inv, lags)
    return HACRegression(names=list(names), params=np.asarray(res.params, dtype=float),
                         cov=np.asarray(res.cov_params(), dtype=float), n=n, lags=lags, alpha=alpha,
                         n_sim=n_sim, resid=np.asarray(res.resid, dtype=float),
                         _null_params=b0, _null_cov=cov0, _y=y)


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


def block_length(n: int) -> int:
    """Moving-block length for a series of n points: round(n^(1/3)), at least 1 (Hall et al. 1995)."""
    return max(1, int(round(n ** (1.0 / 3.0))))


def block_bootstrap_residuals(resid: np.ndarray, n_boot: int, rng: np.random.Generator,
                              length: int | None = None, dof: int = 0) -> np.ndarray:
    """(n_boot, n) moving-block resamples of centred residuals, rescaled by sqrt(n / (n - dof)).

    Blocks of ``length`` consecutive residuals start at uniform positions and are joined until n.
    """
    e = np.asarray(resid, dtype=float)
    n = e.size
    e = (e - e.mean()) * np.sqrt(n / max(n - dof, 1))
    ell = block_length(n) if length is None else int(length)
    n_blocks = -(-n // ell)
    starts = rng.integers(0, n - ell + 1, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(ell)).reshape(n_boot, n_blocks * ell)[:, :n]
    return e[idx]


# --- elasticity of cost to users ---------------------------------------------------------------------------

@dataclass
class ElasticityTest:
    """Elasticity of monthly cost to users, and the one-sided test of H0: b >= 1 vs H1: b < 1.

    ``verdict`` rule (alpha = ``alpha``):

    - ``"sub-linear"``: ``p_value`` (H1: b < 1) < alpha;
    - ``"super-linear"``: ``p_value_super`` (H1: b > 1) < alpha;
    - ``"linear"``: neither, and the (1 - alpha) interval ``ci`` lies within 1 ± ``LINEAR_BAND`` (0.9-1.1):
      the data pin the elasticity near 1;
    - ``"inconclusive"``: neither, and the interval is wider than that.

    ``ci`` and the p-values use fixed-b HAC inference (module docstring); ``ci_bootstrap`` is the
    percentile interval of a moving-block bootstrap of residuals, for comparison. ``warning`` holds
    small-sample and provenance caveats (also appended to ``method`` in :meth:`to_dict`).
    """

    elasticity: float
    se: float
    ci: tuple[float, float]
    ci_bootstrap: tuple[float, float]
    test_statistic: float
    p_value: float
    p_value_super: float
    verdict: str
    method: str
    n: int
    alpha: float
    intercept: float
    critical_value: float
    warning: str | None
    users: np.ndarray = field(repr=False)
    cost_usd: np.ndarray = field(repr=False)
    reg: HACRegression = field(repr=False)

    @property
    def summary(self):
        import pandas as pd

        row = {"estimate": self.elasticity, "se": self.se, "lower": self.ci[0], "upper": self.ci[1],
               "lower_bootstrap": self.ci_bootstrap[0], "upper_bootstrap": self.ci_bootstrap[1],
               "test_statistic": self.test_statistic, "p_value": self.p_value,
               "p_value_super": self.p_value_super, "verdict": self.verdict, "n": self.n}
        out = pd.DataFrame([row], index=pd.Index(["elasticity"], name="term"))
        out.attrs["method"] = self.method
        return out

    def to_dict(self) -> dict[str, Any]:
        """``{"elasticity", "ci": [lo, hi], "p_value", "verdict", "method", "n"}`` (the CLI JSON)."""
        method = self.method + (f"; caution: {self.warning}" if self.warning else "")
        return {"elasticity": float(self.elasticity), "ci": [float(self.ci[0]), float(self.ci[1])],
                "p_value": float(self.p_value), "verdict": self.verdict, "method": method, "n": int(self.n)}

    def fitted_band(self, users=None):
        """Fitted cost (median) and its (1 - alpha) confidence band at ``users`` (default: a grid over
        the observed range). Returns a DataFrame ``users``, ``cost_usd``, ``lower``, ``upper``."""
        import pandas as pd

        if users is None:
            users = np.geomspace(self.users.min(), self.users.max(), 60)
        users = np.asarray(users, dtype=float)
        rows = [self.reg.contrast(np.array([1.0, np.log(u)])) for u in users]
        return pd.DataFrame({"users": users, "cost_usd": [np.exp(r["estimate"]) for r in rows],
                             "lower": [np.exp(r["ci"][0]) for r in rows],
                             "upper": [np.exp(r["ci"][1]) for r in rows]})

    def __str__(self) -> str:
        lo, hi = self.ci
        blo, bhi = self.ci_bootstrap
        level = f"{1 - self.alpha:.0%}"
        text = (f"Elasticity of cost to users: {self.elasticity:.3f} ({level} CI {lo:.3f} to {hi:.3f}; block "
                f"bootstrap {blo:.3f} to {bhi:.3f}), n={self.n}\n"
                f"H0: b >= 1 vs H1: b < 1: t = {self.test_statistic:.2f}, one-sided p = {self.p_value:.4g} "
                f"-> {self.verdict}\nmethod: {self.method}")
        return text + (f"\ncaution: {self.warning}" if self.warning else "")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        note = f"<p><i>caution: {html.escape(self.warning)}</i></p>" if self.warning else ""
        return (f"<p><b>Elasticity of cost to users: {self.elasticity:.3f}, verdict {self.verdict}</b> "
                f"(one-sided p = {self.p_value:.3g}, n = {self.n})<br><small>{html.escape(self.method)}</small></p>"
                + note + self.summary.to_html(float_format="{:.4g}".format))


def fit_elasticity(users, cost_usd, *, alpha: float = 0.05, n_boot: int = 2000, seed: int = config.DEFAULT_SEED,
                   hac_maxlags: int | None = None, n_sim: int = 4000, note: str | None = None) -> ElasticityTest:
    """Estimate ``b`` in ``log(cost_usd) = a + b log(users)`` and test H0: b >= 1 against H1: b < 1.

    ``users`` and ``cost_usd`` are same-length sequences in time order (months), all > 0, at least 4
    points, neither constant. OLS by statsmodels; Newey-West HAC covariance with ``hac_maxlags``
    (default n - 1) and fixed-b critical values from ``n_sim`` seeded simulations; a moving-block
    bootstrap of residuals (``n_boot`` replicates, same seed) for ``ci_bootstrap``. ``note`` is added
    to the warning (e.g. where the points come from). Raises InputError for unusable input.
    """
    if not 0 < alpha < 0.5:
        raise InputError(f"alpha must lie in (0, 0.5), got {alpha}")
    u = check_series("users", users)
    c = check_series("cost_usd", cost_usd)
    if u.size != c.size:
        raise InputError(f"users and cost_usd differ in length ({u.size} vs {c.size})")
    n = u.size
    x, y = np.log(u), np.log(c)
    X = np.column_stack([np.ones(n), x])
    reg = hac_regression(y, X, ["const", "log_users"], alpha=alpha, maxlags=hac_maxlags, n_sim=n_sim, seed=seed)
    r = reg.coef("log_users", null=1.0)
    rng = np.random.default_rng(seed)
    if n_boot > 0:
        XtX_inv = np.linalg.inv(X.T @ X)
        ystar = X @ reg.params + block_bootstrap_residuals(reg.resid, n_boot, rng, dof=2)
        slopes = (ystar @ X @ XtX_inv)[:, 1]
        ci_boot = tuple(float(q) for q in np.quantile(slopes, [alpha / 2, 1 - alpha / 2]))
    else:
        ci_boot = (math.nan, math.nan)
    if r["p_lower"] < alpha:
        verdict = "sub-linear"
    elif r["p_upper"] < alpha:
        verdict = "super-linear"
    elif 1 - LINEAR_BAND <= r["ci"][0] and r["ci"][1] <= 1 + LINEAR_BAND:
        verdict = "linear"
    else:
        verdict = "inconclusive"
    cautions = []
    if n < SMALL_N:
        cautions.append(f"only {n} points: intervals are wide and the test has little power; treat the "
                        f"verdict as indicative")
    if note:
        cautions.append(note)
    method = (f"{reg.method}; one-sided test of H0: b >= 1; moving-block bootstrap of residuals "
              f"(block {block_length(n)}, {n_boot} replicates, seed {seed})")
    return ElasticityTest(
        elasticity=r["estimate"], se=r["se"], ci=(float(r["ci"][0]), float(r["ci"][1])), ci_bootstrap=ci_boot,
        test_statistic=r["t"], p_value=r["p_lower"], p_value_super=r["p_upper"], verdict=verdict,
        method=method, n=n, alpha=alpha, intercept=float(reg.params[0]), critical_value=r["crit"],
        warning="; ".join(cautions) or None, users=u, cost_usd=c, reg=reg)


# --- does the elasticity change with scale? ----------------------------------------------------------------

@dataclass
class BreakpointResult:
    """Best one-break (continuous, hinge) log-log fit and a sup-F test against a single slope.

    ``log(cost) = a + b1 x + (b2 - b1) max(0, x - log(users_at_break))``, x = log(users). The break
    is searched over observed users values leaving ``min_segment`` points on each side (the break
    point counts on both). ``test_statistic`` is the largest F over those candidates (Andrews 1993);
    ``p_value`` is the share of ``n_boot`` moving-block bootstrap series built from the one-slope fit
    whose sup-F is at least as large. ``aicc_one``/``aicc_two`` compare the fits (the break location
    counts as a parameter). ``tested`` is False (with ``reason``) when there are too few points.
    """

    tested: bool
    reason: str | None
    n: int
    min_segment: int
    users_at_break: float | None = None
    slope_below: float | None = None
    slope_above: float | None = None
    intercept: float | None = None
    test_statistic: float | None = None
    p_value: float | None = None
    aicc_one: float | None = None
    aicc_two: float | None = None
    alpha: float = 0.05
    method: str = ""

    @property
    def significant(self) -> bool:
        return bool(self.tested and self.p_value is not None and self.p_value < self.alpha)

    def predict(self, users) -> np.ndarray:
        """Fitted median cost of the two-segment fit at ``users``."""
        x = np.log(np.asarray(users, dtype=float))
        c = np.log(self.users_at_break)
        return np.exp(self.intercept + self.slope_below * x + (self.slope_above - self.slope_below)
                      * np.maximum(0.0, x - c))

    def to_dict(self) -> dict[str, Any]:
        keys = ("tested", "reason", "n", "users_at_break", "slope_below", "slope_above", "test_statistic",
                "p_value", "aicc_one", "aicc_two", "method")
        out = {k: getattr(self, k) for k in keys}
        out["significant"] = self.significant
        return {k: (float(v) if isinstance(v, (np.floating, float)) and not isinstance(v, bool) else v)
                for k, v in out.items()}

    @property
    def summary(self):
        import pandas as pd

        out = pd.DataFrame([self.to_dict()]).drop(columns=["method"])
        out.attrs["method"] = self.method
        return out

    def __str__(self) -> str:
        if not self.tested:
            return f"Breakpoint search: not tested ({self.reason})"
        word = "changes" if self.significant else "does not change significantly"
        return (f"Breakpoint search: elasticity {word} at scale (sup-F = {self.test_statistic:.2f}, "
                f"p = {self.p_value:.3g}); best break at {self.users_at_break:,.0f} users: slope "
                f"{self.slope_below:.3f} below, {self.slope_above:.3f} above; AICc one slope "
                f"{self.aicc_one:.1f} vs two {self.aicc_two:.1f}\nmethod: {self.method}")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(str(self))}</pre>"


def _aicc(rss: np.ndarray | float, n: int, k: int) -> np.ndarray | float:
    """Gaussian AICc with k parameters (including the noise variance)."""
    return n * np.log(np.maximum(rss, 1e-300) / n) + 2 * k + 2 * k * (k + 1) / max(n - k - 1, 1e-9)


def breakpoint_search(users, cost_usd, *, min_segment: int = 5, alpha: float = 0.05, n_boot: int = 999,
                      seed: int = config.DEFAULT_SEED) -> BreakpointResult:
    """Does the elasticity change at some scale? A hinge in log-log space, sup-F tested (see class doc)."""
    u = check_series("users", users)
    c = check_series("cost_usd", cost_usd)
    if u.size != c.size:
        raise InputError(f"users and cost_usd differ in length ({u.size} vs {c.size})")
    if min_segment < 3:
        raise InputError(f"min_segment must be at least 3 points, got {min_segment}")
    n = u.size
    order = np.argsort(u, kind="stable")
    x, y = np.log(u)[order], np.log(c)[order]
    ks = [k for k in range(min_segment - 1, n - min_segment + 1) if x[0] < x[k] < x[-1]]
    if not ks:
        return BreakpointResult(tested=False, n=n, min_segment=min_segment, alpha=alpha,
                                reason=f"{n} points leave no break with {min_segment} points on each side")
    X0 = np.column_stack([np.ones(n), x])
    H0 = X0 @ np.linalg.pinv(X0)
    designs = [np.column_stack([X0, np.maximum(0.0, x - x[k])]) for k in ks]
    Hs = np.stack([D @ np.linalg.pinv(D) for D in designs])  # (m, n, n) hat matrices

    def sup_f(Y):  # Y (R, n) -> sup-F (R,), best candidate index (R,)
        rss0 = ((Y - Y @ H0.T) ** 2).sum(-1)
        rss = ((Y[None] - np.einsum("mij,rj->mri", Hs, Y)) ** 2).sum(-1)  # (m, R)
        f = (rss0[None] - rss) / np.maximum(rss / (n - 3), 1e-300)
        return f.max(0), f.argmax(0), rss0, rss

    F, best, rss0, rss = sup_f(y[None])
    F, b, rss0 = float(F[0]), int(best[0]), float(rss0[0])
    beta = np.linalg.lstsq(designs[b], y, rcond=None)[0]
    fitted0 = X0 @ np.linalg.lstsq(X0, y, rcond=None)[0]
    rng = np.random.default_rng(seed)
    Ystar = fitted0 + block_bootstrap_residuals(y - fitted0, n_boot, rng, dof=2)
    Fstar = sup_f(Ystar)[0]
    p = (np.count_nonzero(Fstar >= F) + 1) / (n_boot + 1)
    method = (f"continuous hinge in log-log, break searched over {len(ks)} observed users values; sup-F "
              f"(Andrews 1993) with p-value from {n_boot} moving-block bootstrap series (block "
              f"{block_length(n)}, seed {seed}) of the one-slope fit; AICc with Gaussian errors")
    return BreakpointResult(
        tested=True, reason=None, n=n, min_segment=min_segment, alpha=alpha, users_at_break=float(np.exp(x[ks[b]])),
        slope_below=float(beta[1]), slope_above=float(beta[1] + beta[2]), intercept=float(beta[0]),
        test_statistic=F, p_value=float(p), aicc_one=float(_aicc(rss0, n, 3)),
        aicc_two=float(_aicc(float(rss[b, 0]), n, 5)), method=method)


# --- report over a metrics frame, and the roadmap's own table ----------------------------------------------

#: Fewest months with a positive bill for a component's elasticity to be estimated.
MIN_COMPONENT_POINTS = 6


def component_elasticities(df, *, alpha: float = 0.05, seed: int = config.DEFAULT_SEED,
                           n_boot: int = 2000) -> dict[str, dict[str, Any]]:
    """Elasticity per ``cost_<component>_usd`` column present, on the months where that bill is > 0.

    A component with fewer than :data:`MIN_COMPONENT_POINTS` positive months, or a constant bill, gets
    an entry with ``verdict: "not tested"`` and a ``reason`` instead of numbers.
    """
    from voyager_analysis.metrics import COST_COLUMNS

    users = df["users"].to_numpy(dtype=float)
    out: dict[str, dict[str, Any]] = {}
    for col in COST_COLUMNS:
        if col not in df.columns:
            continue
        name = col[len("cost_"):-len("_usd")]
        cost = df[col].to_numpy(dtype=float)
        keep = np.isfinite(cost) & (cost > 0) & np.isfinite(users) & (users > 0)
        k = int(keep.sum())
        skipped = {"elasticity": None, "ci": None, "p_value": None, "verdict": "not tested", "method": None, "n": k}
        if k < MIN_COMPONENT_POINTS:
            out[name] = {**skipped, "reason": f"only {k} month(s) with a positive bill; need "
                                              f"{MIN_COMPONENT_POINTS}"}
            continue
        try:
            res = fit_elasticity(users[keep], cost[keep], alpha=alpha, seed=seed, n_boot=n_boot)
        except InputError as exc:
            out[name] = {**skipped, "reason": str(exc)}
            continue
        entry = res.to_dict()
        if k < len(cost):
            entry["method"] += f"; fitted on the {k} of {len(cost)} months with a positive bill"
        out[name] = entry
    return out


def scaling_report(df, *, alpha: float = 0.05, seed: int = config.DEFAULT_SEED, n_boot: int = 2000,
                   min_segment: int = 5) -> dict[str, Any]:
    """The ``voyager-analysis scaling --json`` payload for a loaded metrics frame.

    ``{"total": ElasticityTest.to_dict(), "components": {name: {...}}, "breakpoint": {...}}``; total
    cost is :func:`voyager_analysis.metrics.total_cost_usd`.
    """
    from voyager_analysis.errors import located
    from voyager_analysis.metrics import total_cost_usd

    total = total_cost_usd(df).to_numpy(dtype=float)
    users = df["users"].to_numpy(dtype=float)
    try:
        res = fit_elasticity(users, total, alpha=alpha, seed=seed, n_boot=n_boot)
        brk = breakpoint_search(users, total, min_segment=min_segment, alpha=alpha, seed=seed)
    except InputError as exc:
        raise located(df.attrs.get("source"), None, f"total cost vs users: {exc}") from None
    return {"total": res.to_dict(), "components": component_elasticities(df, alpha=alpha, seed=seed, n_boot=n_boot),
            "breakpoint": brk.to_dict()}


def roadmap_cost_table(roadmap):
    """The roadmap's cost projection summary as a DataFrame: users, cost_usd, revenue_usd, margin.

    Read from ``roadmap.yaml`` ``cost_projection.rows`` (point figures; a range would be taken at its
    midpoint). Sorted by users; ``attrs["source"]`` names the group.
    """
    import pandas as pd

    rows = roadmap.get("cost_projection.rows")
    table = pd.DataFrame([{"row": key, "users": r["users"].mid, "cost_usd": r["cost"].mid,
                           "revenue_usd": r["revenue"].mid, "margin": r["margin"].mid} for key, r in rows.items()])
    table = table.sort_values("users", kind="stable").reset_index(drop=True)
    table.attrs["source"] = f"{roadmap.path.name}: cost_projection.rows"
    return table


def roadmap_elasticity(roadmap, *, alpha: float = 0.05, seed: int = config.DEFAULT_SEED,
                       n_boot: int = 2000) -> ElasticityTest:
    """:func:`fit_elasticity` on the roadmap's own projection table (cost vs users, one row per scale).

    The rows are stated projections at chosen scales, not observed months: their spread around a
    power law is the roadmap's rounding and step changes, and "autocorrelation" means neighbouring
    scales. The result carries that caveat in ``warning``.
    """
    table = roadmap_cost_table(roadmap)
    return fit_elasticity(table["users"], table["cost_usd"], alpha=alpha, seed=seed, n_boot=n_boot,
                          note="points are the roadmap's projected costs at chosen user counts, not observations")
