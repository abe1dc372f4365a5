"""How views of a conversation decay with its age: the archival model's ``visits_per_month_new`` and
``activity_half_life_months``, measured from ``view_count`` and ``created_at``.

The archival model (:mod:`voyager_analysis.archival.model`) has a conversation visited as a Poisson process
of rate ``r(a) = r0 * 2 ** (-a / h)`` at age ``a`` months, so its views by age ``A`` have mean
``L(A) = r0 h / ln 2 (1 - 2 ** (-A / h))``. Conversations of different ages observed at one date give the
curve: ``view_count`` at age ``A`` is fitted by **Poisson quasi-maximum likelihood** of ``L(A)`` with a
**sandwich** (robust) covariance, so the intervals stay honest when conversations differ in how often they are
opened (over-dispersion: a negative-binomial world has the same mean and a larger variance). Intervals are Wald
on the log scale.

Input: one row per conversation (``age_months``, ``view_count``) or per age bin (``age_months`` at the bin's
middle, ``conversations``, ``views`` = sum of view counts, ``views_sq`` = sum of squared view counts): the
same estimate and covariance from the sums, so SQL can aggregate. Binning ages to whole months moves the
estimate slightly (the curve is evaluated at the bin middle).

:func:`archive_rule_share` is the share of stored bytes in conversations that match the roadmap's archive rule
now (inactive for more than T months and fewer than V views): a count over the data, not an estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from voyager_analysis.errors import ConvergenceError, InputError
from voyager_analysis.results import Results

LN2 = math.log(2.0)


def expected_views(age_months, visits_per_month_new, activity_half_life_months):
    """L(A) = r0 h / ln 2 (1 - 2 ** (-A / h)): the archival model's expected visits by age A."""
    a = np.maximum(np.asarray(age_months, dtype=float), 0.0)
    h = activity_half_life_months
    return visits_per_month_new * h / LN2 * -np.expm1(-LN2 * a / h)


def _dlog(a, h):
    """d log L / d (log r0, log h) at ages a (L's r0 factor cancels in the second component)."""
    e = np.exp(-LN2 * a / h)
    g = h / LN2 * (1 - e)
    dg_dh = (1 - e) / LN2 - (a / h) * e
    with np.errstate(divide="ignore", invalid="ignore"):
        second = np.where(g > 0, h * dg_dh / g, 1.0)
    return np.column_stack([np.ones_like(a), second])


@dataclass(repr=False)
class ViewDecay(Results):
    """Fitted visit rate of a conversation by age (see the module docstring)."""

    bins: object  #: DataFrame age_months, conversations, views, views_sq
    log_params: np.ndarray  #: (log r0, log h)
    cov: np.ndarray  #: sandwich covariance of log_params
    level: float = 0.95
    title = "Views of a conversation by age"

    @property
    def _z(self) -> float:
        from scipy.stats import norm

        return float(norm.ppf(0.5 + self.level / 2))

    def _interval(self, i: int) -> tuple[float, float, float]:
        se = math.sqrt(self.cov[i, i])
        x = self.log_params[i]
        return math.exp(x), math.exp(x - self._z * se), math.exp(x + self._z * se)

    @property
    def visits_per_month_new(self) -> tuple[float, float, float]:
        return self._interval(0)

    @property
    def activity_half_life_months(self) -> tuple[float, float, float]:
        return self._interval(1)

    def expected(self, age_months):
        return expected_views(age_months, *np.exp(self.log_params))

    def summary(self):
        import pandas as pd

        return pd.DataFrame([("visits_per_month_new", *self.visits_per_month_new),
                             ("activity_half_life_months", *self.activity_half_life_months)],
                            columns=["parameter", "estimate", "low", "high"]).set_index("parameter")

    def _payload(self) -> dict:
        return {"method": "Poisson quasi-maximum likelihood of views by age, sandwich covariance, Wald on log scale",
                "conversations": float(self.bins["conversations"].sum()),
                **{name: dict(zip(("estimate", "low", "high"), getattr(self, name)))
                   for name in ("visits_per_month_new", "activity_half_life_months")}}

    def plot_decay(self):
        from voyager_analysis.plots.cohorts import view_decay

        b = self.bins.assign(month=np.floor(self.bins["age_months"]))
        g = b.groupby("month")[["conversations", "views"]].sum()
        shown = g.assign(age_months=g.index + 0.5, mean_views=g["views"] / g["conversations"]).reset_index(drop=True)
        h = self.activity_half_life_months
        return view_decay(shown, self.expected, note=f"Half-life {h[0]:.1f} months ({h[1]:.1f}-{h[2]:.1f}); "
                                                     "Poisson QMLE with sandwich intervals.")


def view_bins(conversations, as_of=None):
    """Per-conversation rows (``created_at``, ``view_count``) as one bin each, ages in months at ``as_of``."""
    import pandas as pd

    from voyager_analysis.churn import utc_timestamp
    from voyager_analysis.constants import SECONDS_PER_MONTH

    created = pd.to_datetime(conversations["created_at"], utc=True, format="ISO8601")
    as_of = created.max() if as_of is None else utc_timestamp(as_of)
    age = (as_of - created).dt.total_seconds().to_numpy() / SECONDS_PER_MONTH
    v = np.asarray(conversations["view_count"], dtype=float)
    keep = age > 0
    return pd.DataFrame({"age_months": age[keep], "conversations": 1.0, "views": v[keep], "views_sq": v[keep] ** 2})


def view_decay(bins, *, level: float = 0.95) -> ViewDecay:
    """:class:`ViewDecay` from age bins (``age_months``, ``conversations``, ``views``, ``views_sq``)."""
    from scipy.optimize import minimize

    a = bins["age_months"].to_numpy(dtype=float)
    n = bins["conversations"].to_numpy(dtype=float)
    y = bins["views"].to_numpy(dtype=float)
    q = bins["views_sq"].to_numpy(dtype=float)
    if np.any(a <= 0) or n.sum() < 10 or y.sum() == 0:
        raise InputError("view decay: need at least 10 conversations of positive age and some views")
    if a.max() < 2 * a.min() + 1:
        raise InputError("view decay: conversations span too narrow a range of ages to measure a decay")

    def nll(x):
        mu = expected_views(a, math.exp(x[0]), math.exp(x[1]))
        return -float(np.sum(y * np.log(np.maximum(mu, 1e-300)) - n * mu))

    r0 = y.sum() / n.sum() / max(float(np.average(a, weights=n)), 1e-6)
    best = None
    for h0 in (1.0, 4.0, 16.0):
        res = minimize(nll, [math.log(max(r0, 1e-6)), math.log(h0)], method="Nelder-Mead",
                       options={"xatol": 1e-9, "fatol": 1e-10, "maxiter": 4000})
        if best is None or res.fun < best.fun:
            best = res
    x = best.x
    if not np.isfinite(best.fun) or abs(x[1]) > 9:
        raise ConvergenceError("view decay: no finite half-life maximises the likelihood (views do not decay "
                               "within the ages observed)")
    if math.exp(x[1]) < 0.5 * a.min():
        raise ConvergenceError(f"view decay: views do not change with age over the ages observed (the fitted "
                               f"half-life, {math.exp(x[1]):.2g} months, is below the youngest age)")
    mu = expected_views(a, *np.exp(x))
    D = _dlog(a, math.exp(x[1]))
    A = (D * (n * mu)[:, None]).T @ D
    B = (D * (q - 2 * mu * y + n * mu ** 2)[:, None]).T @ D
    try:
        A_inv = np.linalg.inv(A)
    except np.linalg.LinAlgError as exc:
        raise ConvergenceError("view decay: singular information matrix") from exc
    cov = A_inv @ B @ A_inv
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        raise ConvergenceError("view decay: the covariance is not defined at the optimum")
    return ViewDecay(bins=bins.reset_index(drop=True), log_params=np.asarray(x), cov=cov, level=level)


def archive_rule_share(conversations, *, inactive_months: float, max_view_count: float, as_of=None) -> float:
    """Share of stored bytes in conversations inactive for more than ``inactive_months`` (last view, else
    creation) with fewer than ``max_view_count`` views, at ``as_of`` (default: the latest timestamp)."""
    import pandas as pd

    from voyager_analysis.churn import utc_timestamp
    from voyager_analysis.constants import SECONDS_PER_MONTH

    created = pd.to_datetime(conversations["created_at"], utc=True, format="ISO8601")
    viewed = pd.to_datetime(conversations["last_viewed_at"], utc=True, format="ISO8601")
    last = viewed.fillna(created)
    as_of = last.max() if as_of is None else utc_timestamp(as_of)
    idle_months = (as_of - last).dt.total_seconds().to_numpy() / SECONDS_PER_MONTH
    size = np.asarray(conversations["size_bytes"], dtype=float)
    if size.sum() <= 0:
        raise InputError("conversations: no stored bytes")
    match = (idle_months > inactive_months) & (np.asarray(conversations["view_count"], dtype=float) < max_view_count)
    return float(size[match].sum() / size.sum())


__all__ = ["ViewDecay", "archive_rule_share", "expected_views", "view_bins", "view_decay"]
