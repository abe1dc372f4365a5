"""Usage by tenure: messages, tokens or new storage per active user by months since signup, and how much of the
change in per-user usage over calendar time is the changing tenure mix of the active users.

Input: one row per signup cohort and age (months since the signup month) with ``active_users`` and the sum of
the quantity over those users in that month (what the SQL aggregation returns).

The curve: ``per_user(c, k) = exp(a_c + b k)``, fitted as weighted least squares of log(per-user usage) on k
with a level ``a_c`` per cohort (weights: active users) and **cluster-robust** standard errors by cohort (cells
of one cohort share its users, so they are not independent), t critical values on (cohorts - 1) degrees of
freedom. ``b`` is the growth per month of tenure on the log scale (``exp(b) - 1`` per month): b > 0, users send
more as they stay; b < 0, they taper. The cohort levels keep "who signed up when" out of ``b`` (a pooled line
without them covered the truth in 89% of 100 simulated panels, with them 94%); the curve shown is
``exp(abar + b k)`` with ``abar`` the active-user-weighted mean level.

Tenure mix: in calendar month t, per-user usage is ``sum_k w_tk y_tk`` (w: share of the month's active users
at tenure k). Holding the fitted tenure curve fixed, ``sum_k w_tk yhat_k`` is what the tenure mix alone
predicts; its change between the first and the last month is the part attributed to mix, and the rest is
"other". **Age-period-cohort caveat**: tenure = calendar month - signup month, so tenure, calendar-time and
cohort effects cannot be separated without an assumption. This decomposition assumes the tenure curve is the
same for every cohort and month; the "other" part mixes calendar-time effects (product changes, seasonality)
with cohort differences (who signed up when), and a cohort effect that trends with signup date would show
up partly as a tenure effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from voyager_analysis.errors import InputError
from voyager_analysis.months import month_number, month_str
from voyager_analysis.results import Results

APC_CAVEAT = ("Tenure, calendar month and signup cohort are linked (tenure = month - cohort), so their effects "
              "are not separately identified: the tenure-mix part assumes one tenure curve for every cohort and "
              "month; the 'other' part mixes calendar-time effects with cohort differences.")


@dataclass(repr=False)
class TenureUsage(Results):
    """Per-active-user usage by tenure with a fitted curve, and the tenure-mix decomposition."""

    quantity: str
    cells: object  #: DataFrame cohort, age_months, active_users, per_user
    params: np.ndarray  #: (b, a_1, ..., a_G): tenure slope, then one level per cohort
    cov: np.ndarray  #: cluster-robust covariance of params
    level_weights: np.ndarray  #: weight of each cohort level in abar (shares of active user-months)
    df_resid: int  #: cohorts - 1 (t critical values)
    level: float = 0.95
    title = "Usage per active user by tenure"

    @property
    def _t(self) -> float:
        from scipy.stats import t

        return float(t.ppf(0.5 + self.level / 2, self.df_resid))

    @property
    def growth_per_month(self) -> tuple[float, float, float]:
        """b with its interval: per-user usage is multiplied by exp(b) per month of tenure."""
        se = math.sqrt(self.cov[0, 0])
        return float(self.params[0]), float(self.params[0] - self._t * se), float(self.params[0] + self._t * se)

    def curve(self, age_months=None):
        """Fitted per-user usage by age with a pointwise interval (of the curve, not of a cell)."""
        import pandas as pd

        k = np.arange(0, int(self.cells["age_months"].max()) + 1) if age_months is None else np.asarray(age_months)
        X = np.column_stack([k, np.tile(self.level_weights, (len(k), 1))])
        mid = X @ self.params
        se = np.sqrt(np.einsum("ij,jk,ik->i", X, self.cov, X))
        return pd.DataFrame({"age": k, "value": np.exp(mid), "low": np.exp(mid - self._t * se),
                             "high": np.exp(mid + self._t * se)})

    def mix(self):
        """By calendar month: observed per-user usage and the tenure-mix-only prediction (see the docstring)."""
        c = self.cells
        month = month_number(c["cohort"]) + c["age_months"].to_numpy()
        yhat = np.exp(self.level_weights @ self.params[1:] + self.params[0] * c["age_months"].to_numpy())
        frame = c.assign(month=[month_str(m) for m in month], total=c["per_user"] * c["active_users"],
                         predicted=yhat * c["active_users"])
        g = frame.groupby("month")[["total", "predicted", "active_users"]].sum()
        return g.assign(observed=g["total"] / g["active_users"],
                        tenure_mix_only=g["predicted"] / g["active_users"])[["observed", "tenure_mix_only", "active_users"]]

    def decomposition(self) -> dict:
        """Change of per-user usage from the first to the last calendar month: total, from tenure mix, other."""
        m = self.mix()
        total = float(m["observed"].iloc[-1] - m["observed"].iloc[0])
        mix = float(m["tenure_mix_only"].iloc[-1] - m["tenure_mix_only"].iloc[0])
        return {"from_month": m.index[0], "to_month": m.index[-1], "total_change": total, "tenure_mix": mix,
                "other": total - mix, "caveat": APC_CAVEAT}

    def summary(self):
        import pandas as pd

        b, lo, hi = self.growth_per_month
        d = self.decomposition()
        return pd.DataFrame([("log growth per month of tenure b", b, lo, hi),
                             ("per user at month 1", *self.curve([1]).iloc[0][["value", "low", "high"]]),
                             ("per user at month 12", *self.curve([12]).iloc[0][["value", "low", "high"]]),
                             (f"change {d['from_month']} -> {d['to_month']}", d["total_change"], math.nan, math.nan),
                             ("  of which tenure mix", d["tenure_mix"], math.nan, math.nan)],
                            columns=["quantity", "estimate", "low", "high"]).set_index("quantity")

    def _payload(self) -> dict:
        b, lo, hi = self.growth_per_month
        return {"quantity": self.quantity, "model": "per_user = exp(a_cohort + b * months since signup)",
                "method": "WLS of log per-user usage with cohort levels, cluster-robust by cohort, t on cohorts - 1 df",
                "growth_per_month": {"estimate": b, "low": lo, "high": hi},
                "curve": self.curve().to_dict(orient="records"), "decomposition": self.decomposition()}

    def plot_curve(self):
        from voyager_analysis.plots.cohorts import usage_by_tenure

        return usage_by_tenure(self.cells, self.curve(), quantity=self.quantity,
                               note="One dot per signup cohort and month; curve: WLS on log scale, cluster-robust by cohort.")

    def plot_mix(self):
        from voyager_analysis.plots.cohorts import tenure_mix

        return tenure_mix(self.mix(), quantity=self.quantity, note=APC_CAVEAT)


def usage_by_tenure(cells, quantity: str, *, level: float = 0.95) -> TenureUsage:
    """:class:`TenureUsage` of ``quantity`` from cohort-age cells (``cohort``, ``age_months``, ``active_users``
    and the column ``quantity`` holding the sum over those users). Cells with no active user or no usage are
    left out of the fit (log scale)."""
    from statsmodels.regression.linear_model import WLS  # not statsmodels.api: ~0.6 s more of imports

    missing = {"cohort", "age_months", "active_users", quantity} - set(cells.columns)
    if missing:
        raise InputError(f"usage by tenure: missing column(s) {', '.join(sorted(missing))}")
    c = cells[["cohort", "age_months", "active_users", quantity]].copy()
    c = c[(c["active_users"] > 0) & (c[quantity] > 0)]
    c["per_user"] = c[quantity] / c["active_users"]
    groups = c["cohort"].astype(str).to_numpy()
    n_groups = len(set(groups))
    if n_groups < 3 or len(c) < 5:
        raise InputError(f"usage by tenure: {n_groups} cohort(s) and {len(c)} cell(s) with usage; the curve "
                         "needs at least 3 cohorts and 5 cells")
    names, codes = np.unique(groups, return_inverse=True)
    w = c["active_users"].to_numpy(dtype=float)
    X = np.column_stack([c["age_months"].to_numpy(dtype=float), np.eye(len(names))[codes]])
    fit = WLS(np.log(c["per_user"].to_numpy(dtype=float)), X, weights=w) \
        .fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    return TenureUsage(quantity=quantity, cells=c.reset_index(drop=True), params=np.asarray(fit.params),
                       cov=np.asarray(fit.cov_params()), level_weights=np.bincount(codes, weights=w) / w.sum(),
                       df_resid=n_groups - 1, level=level)


__all__ = ["APC_CAVEAT", "TenureUsage", "usage_by_tenure"]
