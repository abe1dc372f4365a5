"""Cohort retention: the share of each signup cohort active k months after its signup month, and a fitted curve.

A cohort is a signup month; a user is active in a month when they sent at least one message in it; ``s_k`` is
the share of the cohort active in the k-th month after the signup month (k = 0 is the signup month), observed
up to ``last_month`` (the month of the latest message). Later months are *not observed yet* (censored): they
are left empty in the triangle and out of the fit, never counted as zeros (``tests/test_cohorts.py`` shows the
bias of doing so).

The curve: **exponential decay to a plateau**, ``s_k = plateau + (s_1 - plateau) exp(-rate (k - 1))`` for
k >= 1, fitted by binomial maximum likelihood over every observed cohort-month cell, with a quasi-binomial
dispersion (Pearson chi-square / degrees of freedom, at least 1) widening the Wald intervals when cohorts
differ more than binomial noise allows. Why this and not the shifted-beta-geometric: activity is not a
one-way exit — a user silent for a month often comes back — so a model of permanent churn (sBG, which
:mod:`voyager_analysis.churn` uses for paid subscriptions, where cancellation *is* an exit) does not describe
it; consumer-app retention curves fall fast and flatten at a plateau of habitual users, and the three
parameters read directly: the share active in the first month after signup, the long-run share, and the
half-life of the decay ``ln 2 / rate``. The signup month (k = 0) is partial and left out of the fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from voyager_analysis.errors import ConvergenceError, InputError
from voyager_analysis.months import MONTH_RE, month_number, month_str
from voyager_analysis.results import Results

PARAMS = ("first_month_share", "plateau_share", "decay_rate_per_month")
#: Why this curve (stated in the results, see the module docstring).
MODEL_WHY = ("activity is not a one-way exit (users silent for a month come back), so a model of permanent churn "
             "(shifted-beta-geometric, used for paid subscriptions) does not fit; retention falls and flattens at "
             "a plateau of habitual users, and the three parameters read directly")


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p):
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def decay_to_plateau(age_months, first_month_share, plateau_share, decay_rate_per_month):
    """s_k = plateau + (s_1 - plateau) exp(-rate (k - 1))."""
    k = np.asarray(age_months, dtype=float)
    return plateau_share + (first_month_share - plateau_share) * np.exp(-decay_rate_per_month * (k - 1.0))


def _natural(x):
    return _expit(x[0]), _expit(x[1]), math.exp(x[2])


def retention_counts(signup_month, activity, last_month: str | None = None):
    """Cohort sizes and active users by cohort and age from per-user rows (small data, tests).

    ``signup_month``: a Series user_id -> ``YYYY-MM``; ``activity``: a frame with ``user_id`` and ``month``
    (one row per user and month with a message; duplicates allowed). Returns ``(sizes, active, last_month)``
    as :func:`retention` takes them.
    """
    import pandas as pd

    act = activity[["user_id", "month"]].drop_duplicates()
    cohort = act["user_id"].map(signup_month)
    if cohort.isna().any():
        raise InputError("activity: a user_id is not in users")
    age = month_number(act["month"]) - month_number(cohort)
    cells = pd.DataFrame({"cohort": cohort.to_numpy(), "age_months": age})
    active = cells.groupby(["cohort", "age_months"]).size().rename("active_users").reset_index()
    sizes = signup_month.value_counts().sort_index()
    return sizes, active, last_month or max(act["month"])


@dataclass(repr=False)
class Retention(Results):
    """The retention triangle and the fitted decay-to-plateau curve (see the module docstring)."""

    triangle: object  #: DataFrame cohort x age (share active; NaN = not observed yet)
    sizes: object  #: Series cohort -> users who signed up
    last_month: str
    params: np.ndarray  #: (logit s1, logit plateau, log rate) at the maximum
    cov: np.ndarray  #: their covariance (dispersion-scaled)
    dispersion: float
    level: float = 0.95
    method: str = field(default="binomial maximum likelihood, quasi-binomial Wald intervals")
    title = "Cohort retention"

    @property
    def _z(self) -> float:
        from scipy.stats import norm

        return float(norm.ppf(0.5 + self.level / 2))

    def estimates(self):
        """Each parameter with its interval (plus the half-life of the decay, ln 2 / rate)."""
        import pandas as pd

        se = np.sqrt(np.diag(self.cov))
        lo, hi = self.params - self._z * se, self.params + self._z * se
        rows = [(name, f(self.params[i]), f(lo[i]), f(hi[i]))
                for i, (name, f) in enumerate(zip(PARAMS, (_expit, _expit, math.exp)))]
        rate = rows[2]
        rows.append(("decay_half_life_months", math.log(2) / rate[1], math.log(2) / rate[3], math.log(2) / rate[2]))
        return pd.DataFrame(rows, columns=["parameter", "estimate", "low", "high"]).set_index("parameter")

    def curve(self, age_months=None):
        """Fitted share active by age with a pointwise interval (delta method on the logit scale)."""
        import pandas as pd

        k = np.arange(1, self.triangle.shape[1]) if age_months is None else np.asarray(age_months, dtype=float)
        eps = 1e-6

        def g(x):
            return _logit(decay_to_plateau(k, *_natural(x)))

        grad = np.stack([(g(self.params + eps * e) - g(self.params - eps * e)) / (2 * eps) for e in np.eye(3)], 1)
        se = np.sqrt(np.einsum("ij,jk,ik->i", grad, self.cov, grad))
        mid = g(self.params)
        return pd.DataFrame({"age": k, "share": _expit(mid), "low": _expit(mid - self._z * se),
                             "high": _expit(mid + self._z * se)})

    def summary(self):
        return self.estimates()

    def _payload(self) -> dict:
        cohorts = [{"cohort": c, "size": int(self.sizes[c]),
                    "active_share": [float(v) for v in row if np.isfinite(v)]}
                   for c, row in zip(self.triangle.index, self.triangle.to_numpy(dtype=float))]
        est = self.estimates()
        return {"cohorts": cohorts, "last_month": self.last_month, "model": "exponential decay to a plateau",
                "model_why": MODEL_WHY,
                "method": self.method, "dispersion": self.dispersion,
                "fit": {p: {"estimate": r.estimate, "low": r.low, "high": r.high} for p, r in est.iterrows()}}

    def plot_heatmap(self):
        from voyager_analysis.plots.cohorts import retention_heatmap

        return retention_heatmap(self.triangle, note=f"Users active (sent a message) by signup cohort, to {self.last_month}.")

    def plot_curves(self):
        from voyager_analysis.plots.cohorts import retention_curves

        return retention_curves(self.triangle, self.curve(),
                                note=f"Decay to a plateau fitted by {self.method}; months to {self.last_month}.")


def triangle_from_counts(sizes, active, last_month: str):
    """The cohort x age share-active table; cells after ``last_month`` are NaN, observed cells without a row
    in ``active`` are 0."""
    import pandas as pd

    if not MONTH_RE.match(str(last_month)):
        raise InputError(f"last month must be YYYY-MM, got {str(last_month)[:20]}")
    sizes = pd.Series(sizes).astype(float)
    sizes = sizes[sizes > 0].sort_index()
    if sizes.empty:
        raise InputError("users: no signups to form cohorts")
    last = int(month_number([last_month])[0])
    first = int(month_number(sizes.index).min())
    width = last - first + 1
    if width < 1:
        raise InputError(f"the latest activity month {last_month} is before the first signup cohort")
    counts = np.full((len(sizes), width), np.nan)
    start = month_number(sizes.index)
    for i, s in enumerate(start):
        counts[i, : max(last - s + 1, 0)] = 0.0
    pos = {c: i for i, c in enumerate(sizes.index)}
    for c, k, n in zip(active["cohort"], active["age_months"], active["active_users"]):
        if c in pos and 0 <= k < width and np.isfinite(counts[pos[c], k]):
            counts[pos[c], int(k)] = n
    share = counts / sizes.to_numpy()[:, None]
    return pd.DataFrame(share, index=[month_str(s) for s in start], columns=range(width)).rename_axis(
        index="cohort", columns="age_months")


def retention(sizes, active, last_month: str, *, level: float = 0.95) -> Retention:
    """:class:`Retention` from cohort sizes (cohort -> users), active users per (``cohort``, ``age_months``) and
    the month of the latest message."""
    from scipy.optimize import minimize
    from statsmodels.tools.numdiff import approx_hess3

    import pandas as pd

    tri = triangle_from_counts(sizes, active, last_month)
    sizes = pd.Series(sizes).astype(float).reindex(tri.index)
    n = sizes.to_numpy()
    n_cells = np.broadcast_to(n[:, None], tri.shape)
    k = np.broadcast_to(np.arange(tri.shape[1])[None, :], tri.shape)
    obs = np.isfinite(tri.to_numpy()) & (k >= 1)
    if obs.sum() < 4:
        raise InputError(f"retention: {int(obs.sum())} observed cohort-months after signup; the curve needs 4")
    kk, nn = k[obs].astype(float), n_cells[obs]
    yy = np.rint(tri.to_numpy()[obs] * nn)

    def nll(x):
        p = np.clip(decay_to_plateau(kk, *_natural(x)), 1e-12, 1 - 1e-12)
        return -float(np.sum(yy * np.log(p) + (nn - yy) * np.log1p(-p)))

    s1 = float(yy[kk == 1].sum() / nn[kk == 1].sum())
    tail = kk >= np.quantile(kk, 0.75)
    plateau0 = max(float(yy[tail].sum() / nn[tail].sum()), 1e-3)
    best = None
    for rate0 in (0.1, 0.5, 1.5):
        res = minimize(nll, [_logit(s1), _logit(min(plateau0, s1 * 0.99)), math.log(rate0)], method="Nelder-Mead",
                       options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 4000})
        if best is None or res.fun < best.fun:
            best = res
    if best is None or not np.isfinite(best.fun):
        raise ConvergenceError("retention curve: the likelihood could not be maximised")
    x = best.x
    p = decay_to_plateau(kk, *_natural(x))
    dof = max(int(obs.sum()) - 3, 1)
    dispersion = max(1.0, float(np.sum((yy - nn * p) ** 2 / (nn * p * (1 - p)))) / dof)
    try:
        cov = np.linalg.inv(approx_hess3(x, nll)) * dispersion
    except np.linalg.LinAlgError as exc:
        raise ConvergenceError("retention curve: singular information matrix") from exc
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        raise ConvergenceError("retention curve: the intervals are not defined at the optimum")
    return Retention(triangle=tri, sizes=sizes, last_month=str(last_month), params=x, cov=cov,
                     dispersion=dispersion, level=level)


__all__ = ["Retention", "decay_to_plateau", "retention", "retention_counts", "triangle_from_counts"]
