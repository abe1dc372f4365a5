"""Growth curves of monthly active users: fitting, selection, forecasts and milestone months.

Every model maps t (months from the first data row; row i is month i) to users:

=============  =====================================================  =================================
model          curve                                                  parameters
=============  =====================================================  =================================
exponential    N0 exp(r t)                                            N0 users at t=0, r per month
logistic       K / (1 + exp(-r (t - t0)))                             K ceiling, r per month, t0 month
gompertz       K exp(-exp(-r (t - t0)))                               K, r, t0 (inflection, at K/e)
richards       K (1 + nu exp(-r (t - t0)))^(-1/nu)                    K, r, t0, nu > 0 (nu=1: logistic;
                                                                      nu -> 0: Gompertz)
bass           m (1 - E) / (1 + (q/p) E),  E = exp(-(p + q)(t + 1))   m market size, p innovation,
                                                                      q imitation (per month)
=============  =====================================================  =================================

Bass describes *cumulative* adopters from a launch at t = -1 (the first data row holds the adopters
by the end of the first month). We use monthly active users as the adopter count, which assumes churn
is small or replaced, so ``m`` plays the role of the ceiling K.

**Error model.** Each model states it in ``error_model``, one of :data:`ERROR_MODELS`:

* ``"multiplicative"``: ``log(users_i) = log f(t_i) + e_i``, ``e_i ~ N(0, sigma^2)`` independent (a 3% miss at
  1K users counts as much as one at 100K): least squares on ``log(users)``;
* ``"additive"``: ``users_i = f(t_i) + e_i`` (natural scale; nonlinear least squares as in the textbooks):
  large values dominate the fit, which is what pins a ceiling on a long saturating series.

Both minimise squared residuals with ``scipy.optimize.least_squares`` from several automatic starting points,
inside bounds. ``aicc_`` is computed from the Gaussian likelihood of *users on the original scale* (the
multiplicative fit's log-likelihood includes the Jacobian term ``-sum(log users)``), so the two error models
of a curve, and different curves, are compared on the same footing
(:func:`voyager_analysis.growth.fit_growth` does that and averages over them).

Positive parameters are fitted on the log scale, so their 95% intervals (t quantiles
with n - p degrees of freedom, from the Jacobian covariance) are asymmetric; ``se_`` is the delta-
method standard error on the natural scale. These Wald intervals are accurate for the three-parameter
curves (about 95% coverage in the tests' simulations) but run narrow for Richards, whose r and nu are
strongly correlated (about 85-90% coverage at nominal 95% with 30 months of 3% noise). The residuals
are assumed independent: ``diagnostics_`` reports their lag-1 autocorrelation and a Ljung-Box test so
a reader can see when that fails. A fit that fails is reported (``converged_ = False`` and
``message_``), never raised; a parameter that ends at a search bound gives a
:class:`~voyager_analysis.errors.ConvergenceWarning` (and ``at_bound_``); asking a failed fit for a prediction raises
:class:`~voyager_analysis.errors.ConvergenceError`. Nothing here reads a file.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from voyager_analysis import config
from voyager_analysis.errors import ConvergenceError, ConvergenceWarning, InputError, unknown_name
from voyager_analysis.results import Results
from voyager_analysis.stats.residuals import residual_diagnostics
from voyager_analysis.tables import table_html

#: Starting points actually optimised (the best of the automatic candidates by initial fit).
MAX_STARTS = 3
#: How far past the last observation a milestone month is searched for (months).
SEARCH_HORIZON_MONTHS = 240.0
#: The longest series a curve is fitted to (months): nonlinear least squares costs grow with it, and a century
#: of monthly users is not one growth curve.
MAX_POINTS = int(1.2e3)  # 100 years of months
#: The two ways observations may scatter around a curve (see the module docstring).
ERROR_MODELS = ("multiplicative", "additive")
#: The reason given for an interval that is not reported because its parameter ended at a search bound.
AT_BOUND_REASON = "not identified: the parameter ended at a search bound, so the data do not pin it down"


def _log1pexp(x):
    """log(1 + exp(x)) without overflow."""
    return np.logaddexp(0.0, x)


# --- the models ------------------------------------------------------------------------------------------

class GrowthModel(Results):
    """Base class: one growth curve with its fitting, intervals and forecasts (lifelines-style).

    Subclasses set ``name``, ``param_names``, ``log_params`` (fitted on the log scale) and implement
    ``_log_curve(t, *params)`` (log users; params broadcast against t) and ``_starts(t, y)``,
    ``_bounds(t, y)`` (natural scale).
    """

    name = "base"
    #: How the observations scatter around the curve (see the module docstring); stated in every output.
    error_model = "multiplicative"
    #: The parameter that is the ceiling (users), if the curve has one.
    ceiling_param: str | None = None
    param_names: tuple[str, ...] = ()
    log_params: tuple[bool, ...] = ()

    def __init__(self, level: float = 0.95, error_model: str = "multiplicative"):
        if error_model not in ERROR_MODELS:
            raise InputError(unknown_name("error model", error_model, ERROR_MODELS))
        self.level = level
        self.error_model = error_model
        self._scale = 1.0  # additive residuals are divided by max(users) for the optimiser's sake
        self.converged_ = False
        self.at_bound_: list[str] = []  # parameters that ended at a search bound (a ConvergenceWarning)
        self.message_ = "not fitted"
        self.params_: dict[str, float] = {}
        self.se_: dict[str, float] = {}
        self.ci_: dict[str, tuple[float, float]] = {}
        self.aicc_ = math.nan
        self.rmse_ = math.nan
        self.residuals_ = np.array([])
        self.diagnostics_: dict[str, float] = {}
        self.cov_ = None  # covariance of the internal (log-scale where marked) parameters
        self._u = None

    # -- curve ------------------------------------------------------------------------------------------
    def _log_curve(self, t, *params):  # pragma: no cover - abstract
        raise NotImplementedError

    def _starts(self, t, y) -> list[tuple[float, ...]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _bounds(self, t, y) -> tuple[list[float], list[float]]:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    def _to_internal(self, params) -> np.ndarray:
        return np.array([math.log(p) if lg else p for p, lg in zip(params, self.log_params)], dtype=float)

    def _to_natural(self, u: np.ndarray) -> tuple:
        """Internal -> natural; works on arrays with the parameter axis last."""
        u = np.asarray(u, dtype=float)
        return tuple(np.exp(u[..., j]) if lg else u[..., j] for j, lg in enumerate(self.log_params))

    def _log_f(self, t, u) -> np.ndarray:
        return self._log_curve(t, *self._to_natural(u))

    # -- fitting ----------------------------------------------------------------------------------------
    def fit(self, t_months, users, *, max_starts: int = MAX_STARTS) -> GrowthModel:
        """Fit to ``users`` observed at months ``t_months``; returns self (check ``converged_``).

        The automatic starting points are ranked by their initial fit and the best ``max_starts`` are
        optimised; the lowest final cost wins.
        """
        from scipy.optimize import least_squares
        from scipy.stats import t as t_dist

        t = np.asarray(t_months, dtype=float).ravel()
        y = np.asarray(users, dtype=float).ravel()
        _check_growth_data(t, y)
        self.t_, self.users_, self.n_ = t, y, t.size
        self._scale = float(np.max(y)) if y.size else 1.0
        self.converged_, self.message_ = False, ""
        p = self.n_params
        if self.n_ < p + 3:
            self.message_ = f"needs at least {p + 3} months for {p} parameters and AICc, got {self.n_}"
            return self
        lo, hi = self._bounds(t, y)
        ulo, uhi = self._to_internal(lo), self._to_internal(hi)

        def resid(u):
            return self._residuals(t, y, u)

        best, failures = None, []
        with np.errstate(all="ignore"):
            starts = [np.clip(self._to_internal(s), ulo + 1e-9 * (1 + np.abs(ulo)), uhi - 1e-9 * (1 + np.abs(uhi)))
                      for s in self._starts(t, y)]
            cost0 = [float(np.sum(resid(u0) ** 2)) for u0 in starts]
            cost0 = [c if math.isfinite(c) else math.inf for c in cost0]
            order = np.argsort(cost0, kind="stable")[:max_starts]  # optimise from the best few starts
            for u0 in (starts[i] for i in order):
                try:
                    res = least_squares(resid, u0, bounds=(ulo, uhi), method="trf", x_scale="jac",
                                        max_nfev=2000)
                except (ValueError, FloatingPointError) as exc:
                    failures.append(str(exc))
                    continue
                if not (res.success and np.all(np.isfinite(res.fun))):
                    failures.append(res.message)
                    continue
                if best is None or res.cost < best.cost:
                    best = res
        if best is None:
            self.message_ = "optimiser failed from every start: " + (failures[-1] if failures else "no start")
            return self
        u = best.x
        r = best.fun
        J = best.jac
        dof = self.n_ - p
        rss = float(r @ r)
        s2 = rss / dof
        JtJ = J.T @ J
        if np.linalg.matrix_rank(JtJ) < p or not np.all(np.isfinite(JtJ)):
            self.message_ = "parameters are not identifiable from these data (singular Jacobian)"
            return self
        cov = s2 * np.linalg.inv(JtJ)
        se_u = np.sqrt(np.clip(np.diag(cov), 0, None))
        q = float(t_dist.ppf(0.5 + self.level / 2, dof))
        natural = self._to_natural(u)
        with np.errstate(over="ignore"):
            lo_n, hi_n = self._to_natural(u - q * se_u), self._to_natural(u + q * se_u)
        scale = self._scale if self.error_model == "additive" else 1.0
        self._u, self.cov_, self.sigma_, self.dof_ = u, cov, math.sqrt(s2) * scale, dof
        self.params_ = {k: float(v) for k, v in zip(self.param_names, natural)}
        at_bound = [self.param_names[j] for j in range(p)
                    if best.active_mask[j] != 0 or abs(u[j] - ulo[j]) < 1e-6 * (1 + abs(ulo[j]))
                    or abs(u[j] - uhi[j]) < 1e-6 * (1 + abs(uhi[j]))]
        # a parameter at a bound has no interval: the Jacobian covariance would pretend it is known
        self.se_ = {k: (math.nan if k in at_bound else float(se_u[j] * (natural[j] if self.log_params[j] else 1.0)))
                    for j, k in enumerate(self.param_names)}
        self.ci_ = {k: ((math.nan, math.nan) if k in at_bound else (float(lo_n[j]), float(hi_n[j])))
                    for j, k in enumerate(self.param_names)}
        self.residuals_ = r.copy()
        with np.errstate(all="ignore"):
            self.rmse_ = float(np.sqrt(np.mean((self._log_f(t, u) - np.log(y)) ** 2)))
        self.loglik_ = _gaussian_loglik(rss * scale**2, self.n_) - (float(np.sum(np.log(y)))
                                                                   if self.error_model == "multiplicative" else 0.0)
        k = p + 1  # + the noise variance
        self.aicc_ = -2 * self.loglik_ + 2 * k + 2 * k * (k + 1) / (self.n_ - k - 1)
        self.diagnostics_ = residual_diagnostics(r)
        self.converged_, self.at_bound_ = True, at_bound
        self.message_ = (f"converged; {', '.join(at_bound)} at a search bound: the data do not pin it down"
                         if at_bound else "converged")
        if at_bound:
            warnings.warn(f"{self.name}: {self.message_}", ConvergenceWarning, stacklevel=2)
        return self

    def _residuals(self, t, y, u) -> np.ndarray:
        """Residuals minimised by the fit, on the scale of :attr:`error_model`."""
        if self.error_model == "additive":
            return (np.exp(self._log_f(t, u)) - y) / self._scale
        return self._log_f(t, u) - np.log(y)

    def _to_users(self, x):
        """Values on the fitting scale (log users, or users) -> users (>= 0)."""
        return np.exp(x) if self.error_model == "multiplicative" else np.maximum(x, 0.0)

    def _require_fit(self):
        if not self.converged_:
            raise ConvergenceError(f"the {self.name} fit did not converge ({self.message_}); nothing to predict")

    # -- predictions ------------------------------------------------------------------------------------
    def predict(self, t) -> np.ndarray:
        """Fitted (median) users at months ``t``."""
        self._require_fit()
        return np.exp(self._log_f(np.asarray(t, dtype=float), self._u))

    def _fit_scale_f(self, t, u) -> np.ndarray:
        """The curve on the fitting scale: log users (multiplicative) or users (additive)."""
        f = self._log_f(t, u)
        return f if self.error_model == "multiplicative" else np.exp(f)

    def _log_bands(self, t: np.ndarray, level: float):
        """The curve on the fitting scale (log users or users), its delta-method SE, and the prediction SE
        (adds residual noise)."""
        mean = self._fit_scale_f(t, self._u)
        grad = np.empty((t.size, self.n_params))
        for j in range(self.n_params):
            h = 1e-6 * max(1.0, abs(self._u[j]))
            up, dn = self._u.copy(), self._u.copy()
            up[j] += h
            dn[j] -= h
            grad[:, j] = (self._fit_scale_f(t, up) - self._fit_scale_f(t, dn)) / (2 * h)
        se_fit = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", grad, self.cov_, grad), 0, None))
        se_pred = np.sqrt(se_fit**2 + self.sigma_**2)
        return mean, se_fit, se_pred

    def forecast(self, t, level: float = 0.95, *, method: str = "delta", n_sim: int = 4000,
                 seed: int = config.DEFAULT_SEED):
        """Forecast users at months ``t`` with (``level``) prediction intervals.

        ``method="delta"``: log users ± t-quantile x sqrt(parameter variance by the delta method +
        residual variance). ``method="simulate"``: ``n_sim`` seeded draws of the (internal) parameters
        from their normal approximation plus t-distributed residual noise; quantiles of the draws.
        Returns a DataFrame ``t``, ``mean`` (median forecast), ``lo``, ``hi`` (prediction interval) and
        ``lo_fit``, ``hi_fit`` (confidence band of the curve alone).
        """
        import pandas as pd
        from scipy.stats import t as t_dist

        self._require_fit()
        t = np.atleast_1d(np.asarray(t, dtype=float))
        q = float(t_dist.ppf(0.5 + level / 2, self.dof_))
        g = self._to_users
        with np.errstate(all="ignore"):
            mean, se_fit, se_pred = self._log_bands(t, level)
            out = pd.DataFrame({"t": t, "mean": g(mean), "lo": g(mean - q * se_pred),
                                "hi": g(mean + q * se_pred), "lo_fit": g(mean - q * se_fit),
                                "hi_fit": g(mean + q * se_fit)})
            if method == "simulate":
                draws = self.simulate_log_users(t, n_sim, seed)
                a = (1 - level) / 2
                out["lo"], out["hi"] = np.exp(np.nanquantile(draws, [a, 1 - a], axis=0))
            elif method != "delta":
                raise InputError(unknown_name("forecast method", method, ("delta", "simulate")))
        return out

    def simulate_log_users(self, t: np.ndarray, n_sim: int, seed: int) -> np.ndarray:
        """Seeded draws of log(users) at months ``t``: joint parameter uncertainty (normal on the fitting
        scale) plus residual noise. Returns an array (n_sim, len(t))."""
        rng = np.random.default_rng(seed)
        w, V = np.linalg.eigh(self.cov_)
        root = V * np.sqrt(np.clip(w, 0, None))
        u = self._u + rng.standard_normal((n_sim, self.n_params)) @ root.T
        noise = self.sigma_ * rng.standard_t(self.dof_, size=(n_sim, 1))
        natural = self._to_natural(u)
        log_f = self._log_curve(t[None, :], *[p[:, None] for p in natural])
        if self.error_model == "multiplicative":
            return log_f + noise
        with np.errstate(all="ignore"):  # additive noise may push a path to <= 0 users: log of a tiny number
            return np.log(np.maximum(np.exp(log_f) + noise, 1e-300))

    def month_reaching(self, n_users: float, level: float = 0.95, *, horizon: float = SEARCH_HORIZON_MONTHS):
        """Month (from the first row) when users reach ``n_users``, with a ``level`` interval.

        The estimate is where the fitted curve crosses ``n_users``; ``low`` is where the upper end of
        the prediction interval crosses it and ``high`` where the lower end does (the months in which
        the crossing plausibly happens). ``inf`` when a crossing is not reached within ``horizon``
        months after the last observation (e.g. a ceiling K below ``n_users``). Returns a dict
        ``{"month", "low", "high"}``.
        """
        from scipy.stats import t as t_dist

        self._require_fit()
        if not n_users > 0:
            raise InputError(f"a milestone must be a positive number of users, got {n_users}")
        t0, t1 = float(self.t_.min()) - 60.0, float(self.t_.max()) + horizon
        grid = np.arange(t0, t1 + 1e-9, 0.02)
        q = float(t_dist.ppf(0.5 + level / 2, self.dof_))
        with np.errstate(all="ignore"):
            mean, _, se_pred = self._log_bands(grid, level)
        target = math.log(n_users) if self.error_model == "multiplicative" else float(n_users)
        return {"month": _first_crossing(grid, mean, target),
                "low": _first_crossing(grid, mean + q * se_pred, target),
                "high": _first_crossing(grid, mean - q * se_pred, target)}

    # -- presentation ------------------------------------------------------------------------------------
    @property
    def title(self) -> str:
        return f"{self.name} growth model ({self.error_model} errors)"

    def summary(self):
        """Parameters with standard errors and intervals (NaN for a parameter at a search bound: not identified);
        fit statistics and the error model in ``attrs``."""
        import pandas as pd

        pct = f"{self.level:.0%}"
        rows = [{"param": k, "coef": self.params_.get(k, math.nan), "se(coef)": self.se_.get(k, math.nan),
                 f"coef lower {pct}": self.ci_.get(k, (math.nan, math.nan))[0],
                 f"coef upper {pct}": self.ci_.get(k, (math.nan, math.nan))[1]} for k in self.param_names]
        out = pd.DataFrame(rows).set_index("param")
        out.attrs.update({"model": self.name, "aicc": self.aicc_, "rmse_log": self.rmse_,
                          "converged": self.converged_, "message": self.message_, "error_model": self.error_model})
        return out

    def __str__(self) -> str:
        if not self.converged_:
            return f"{self.name} growth model: not fitted ({self.message_})"
        parts = ", ".join(f"{k}={v:.4g} [{self.ci_[k][0]:.4g}, {self.ci_[k][1]:.4g}]" for k, v in self.params_.items())
        return (f"{self.name} growth model (n={self.n_}): {parts}; AICc {self.aicc_:.2f}, RMSE(log) "
                f"{self.rmse_:.4f}; {self.message_}")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        scale = "log(users)" if self.error_model == "multiplicative" else "users"
        head = (f"<p><b>{html.escape(self.title)}</b>: least squares on {scale} ({self.error_model} errors); "
                f"AICc {self.aicc_:.2f}, RMSE(log) {self.rmse_:.4f}; {html.escape(self.message_)}</p>")
        return head + table_html(self.summary())

    def _payload(self) -> dict[str, Any]:
        return {"model": self.name, "error_model": self.error_model, "params": self.params_,
                "ci": self.ci_payload(), "se": self.se_, "aicc": self.aicc_,
                "rmse_log": self.rmse_, "converged": bool(self.converged_), "message": self.message_,
                "diagnostics": self.diagnostics_}

    def ci_payload(self) -> dict[str, Any]:
        """``{param: [low, high]}``; a parameter at a search bound gets :class:`Missing` (JSON null + reason)."""
        from voyager_analysis.results import Missing

        return {k: (Missing(AT_BOUND_REASON) if k in self.at_bound_ else list(v)) for k, v in self.ci_.items()}

    def residual_check(self) -> str:
        """One paragraph on the residuals: autocorrelation, Ljung-Box and Shapiro-Wilk, and what they imply."""
        d = self.diagnostics_
        if not d or not math.isfinite(d.get("ljung_box_p", math.nan)):
            return "Residual check: not available (no residual spread)."
        verdict = ("No sign of serial correlation at the 5% level, so the independent-noise intervals are usable."
                   if d["ljung_box_p"] >= 0.05 else
                   "Ljung-Box flags serial correlation at the 5% level (with this few months it also does so by "
                   "chance about one time in twenty): the intervals may be somewhat too narrow.")
        return (f"Residual check: lag-1 autocorrelation {d['lag1_autocorrelation']:+.2f}, Ljung-Box p = "
                f"{d['ljung_box_p']:.3f}, Shapiro-Wilk p = {d['shapiro_p']:.3f}. " + verdict)


def _gaussian_loglik(rss: float, n: int) -> float:
    """Maximised Gaussian log-likelihood of n residuals with residual sum of squares ``rss``."""
    return -0.5 * n * (math.log(2 * math.pi * max(rss, 1e-300) / n) + 1.0)


def _first_crossing(grid: np.ndarray, values: np.ndarray, target: float) -> float:
    """First grid time where ``values`` reaches ``target`` (linear interpolation); inf if never."""
    ok = np.isfinite(values)
    above = ok & (values >= target)
    if not above.any():
        return math.inf
    i = int(np.argmax(above))
    if i == 0 or not ok[i - 1]:
        return float(grid[i])
    v0, v1 = values[i - 1], values[i]
    return float(grid[i - 1] + (target - v0) / (v1 - v0) * (grid[i] - grid[i - 1]))


def _check_growth_data(t: np.ndarray, y: np.ndarray) -> None:
    if t.size != y.size:
        raise InputError(f"t_months and users differ in length ({t.size} vs {y.size})")
    if t.size > MAX_POINTS:
        raise InputError(f"{t.size:,} points is more than the {MAX_POINTS:,} months (100 years) a growth curve is "
                         f"fitted to; fit the recent years")
    for name, v in (("t_months", t), ("users", y)):
        bad = np.flatnonzero(~np.isfinite(v))
        if bad.size:
            raise InputError(f"{name}: value {bad[0] + 1} of {v.size} is missing or not finite")
    bad = np.flatnonzero(y <= 0)
    if bad.size:
        raise InputError(f"users: value {bad[0] + 1} of {y.size} is {y[bad[0]]:g}; growth curves need users > 0")
    if y.size and np.ptp(y) == 0:
        raise InputError(f"users: all {y.size} values equal {y[0]:g}; a constant series has no growth curve")
    if np.unique(t).size != t.size:
        raise InputError("t_months has repeated months")


__all__ = ["GrowthModel", "MAX_STARTS", "MAX_POINTS", "SEARCH_HORIZON_MONTHS", "ERROR_MODELS", "AT_BOUND_REASON"]
