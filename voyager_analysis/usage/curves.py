"""The usage curves together, and the drivers they hand to the cost model.

:func:`fit_usage` fits every usage curve of a metrics table (:mod:`voyager_analysis.usage.fits`) and returns a
:class:`UsageCurves` results object; :func:`usage_drivers` gives only the cost model's drivers at the latest
month, as ``(estimate, low, high)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voyager_analysis import config
from voyager_analysis.errors import located
from voyager_analysis.results import Results
from voyager_analysis.stats.hac import hac_regression
from voyager_analysis.usage.fits import (ACTIVITY_METRICS, ActivityFit, ShareTrend, StorageFit, _column, _interval,
                                         _months, _source, fit_activity, fit_sonnet_share, fit_storage)

#: The drivers :func:`usage_drivers` returns, with their units.
DRIVERS = {
    "messages_per_user_month": "messages per active user per month",
    "input_tokens_per_message": "Claude input tokens per message",
    "output_tokens_per_message": "Claude output tokens per message",
    "searches_per_user_month": "search requests per active user per month",
    "new_gb_per_user_month": "GB of new conversation data per active user per month",
    "sonnet_share": "fraction of Claude requests sent to Sonnet",
}
#: Columns :func:`usage_drivers` needs.
DRIVER_COLUMNS = ("users", "messages", "input_tokens", "output_tokens", "searches", "storage_gb", "sonnet_share")


def _per_message(df, column: str, alpha: float, seed: int) -> tuple[float, float, float]:
    """Tokens per message at the last month from ``log(column/messages) = a + c t`` (multiplicative errors)."""
    ratio = _column(df, column) / _column(df, "messages")
    t = _months(df)
    reg = hac_regression(np.log(ratio), np.column_stack([np.ones_like(t), t]), ["const", "t_months"],
                         alpha=alpha, seed=seed)
    return _interval(reg.contrast(np.array([1.0, t[-1]])))


def _drivers(df, messages: ActivityFit, searches: ActivityFit, storage: StorageFit, share: ShareTrend,
             alpha: float, seed: int) -> dict[str, tuple[float, float, float]]:
    return {
        "messages_per_user_month": messages.per_user_interval(),
        "input_tokens_per_message": _per_message(df, "input_tokens", alpha, seed),
        "output_tokens_per_message": _per_message(df, "output_tokens", alpha, seed),
        "searches_per_user_month": searches.per_user_interval(),
        "new_gb_per_user_month": (storage.new_gb_per_user_month, *storage.new_gb_per_user_month_ci),
        "sonnet_share": share.share_interval(),
    }


def _require_driver_columns(df) -> None:
    missing = [c for c in DRIVER_COLUMNS if c not in df.columns]
    if missing:
        raise located(_source(df), None, f"usage drivers need column(s) {', '.join(missing)}")


def usage_drivers(df, *, alpha: float = 0.05, seed: int = config.DEFAULT_SEED) -> dict[str, tuple[float, float, float]]:
    """The cost model's usage drivers at the latest observed month, as (estimate, low, high).

    Keys and units are in :data:`DRIVERS`. Intervals are (1 - alpha) confidence intervals of the fitted value at
    the last month (fixed-b HAC):

    - ``messages_per_user_month``, ``searches_per_user_month``: :func:`fit_activity` (per-user level vs log users
      and time) evaluated at the last month's users;
    - ``input_tokens_per_message``, ``output_tokens_per_message``: ``log(tokens/messages)`` on time;
    - ``new_gb_per_user_month``: :func:`fit_storage` (GB per message x last month's messages per user);
    - ``sonnet_share``: :func:`fit_sonnet_share` (linear trend) at the last month.

    Per-user and per-message levels are geometric means (fits on logs). Every column named in
    :data:`DRIVER_COLUMNS` must be present; a missing one is an InputError naming it.
    """
    _require_driver_columns(df)
    return _drivers(df, fit_activity(df, "messages", alpha=alpha, seed=seed),
                    fit_activity(df, "searches", alpha=alpha, seed=seed), fit_storage(df, alpha=alpha, seed=seed),
                    fit_sonnet_share(df, alpha=alpha, seed=seed), alpha, seed)


def drivers_frame(drivers: dict[str, tuple[float, float, float]]):
    """:func:`usage_drivers` output as a DataFrame (driver, estimate, low, high, unit)."""
    import pandas as pd

    return pd.DataFrame([(k, *v, DRIVERS.get(k, "")) for k, v in drivers.items()],
                        columns=["driver", "estimate", "low", "high", "unit"]).set_index("driver")


@dataclass(repr=False)
class UsageCurves(Results):
    """Every usage curve of one metrics table and the drivers they give the cost model (see :func:`fit_usage`)."""

    activity: dict[str, ActivityFit]
    storage: StorageFit
    share: ShareTrend
    share_logit: ShareTrend
    drivers: dict[str, tuple[float, float, float]]
    level: float
    df: Any = field(default=None)

    title = "Usage curves: the drivers handed to the cost model"

    def summary(self):
        """The drivers at the latest month: estimate, low, high, unit."""
        return drivers_frame(self.drivers)

    def _payload(self) -> dict[str, Any]:
        return {"drivers": {k: list(v) for k, v in self.drivers.items()},
                "activity": {k: v.to_dict() for k, v in self.activity.items()},
                "storage": self.storage.to_dict(), "sonnet_share": self.share.to_dict()}

    def activity_table(self):
        """One row per activity metric: elasticity to users with interval, drift per month, level per user."""
        import pandas as pd

        rows = []
        for name, fit in self.activity.items():
            lo, hi = fit.elasticity_ci
            est, plo, phi = fit.per_user_interval()
            rows.append({"metric": ACTIVITY_METRICS[name], "elasticity to users": fit.elasticity, "low": lo,
                         "high": hi, "drift per month (log)": fit.time_trend, "per user (last month)": est,
                         "per user low": plo, "per user high": phi})
        return pd.DataFrame(rows)

    def storage_projection(self, users, archive_after_months: int | None = None):
        """Stored GB over future months for a path of users (:meth:`StorageFit.project_storage_gb`)."""
        return self.storage.project_storage_gb(users, archive_after_months=archive_after_months)

    def storage_findings(self, projection, archive_after_months: int) -> str:
        """Markdown: GB per message, new data per user-month, archived share, and where ``projection`` ends."""
        s, p, n = self.storage, projection, len(projection)
        return (f"At {s.month_last}: {s.gb_per_message * 1e6:.2f} KB per message, {s.new_gb_per_user_month * 1e3:.2f} "
                f"MB of new data per active user per month, {s.archived_share:.0%} of stored data archived. In {n} "
                f"months at the forecast's median users, stored data reach {p.total_gb.iat[-1]:,.0f} GB "
                f"({p.total_gb_low.iat[-1]:,.0f}–{p.total_gb_high.iat[-1]:,.0f} from the GB-per-message interval "
                f"alone; the users forecast's own spread comes on top); with a {archive_after_months}-month archive "
                f"age about {p.hot_gb.iat[-1]:,.0f} GB would stay hot.")

    def share_findings(self, horizon_months: float) -> str:
        """Markdown: the Sonnet share's slope per month and where the linear and logit fits put it ahead."""
        lo, hi = self.share.slope_ci
        t = self.share.t_last + horizon_months
        return (f"Sonnet share changes by **{self.share.slope_per_month * 100:+.2f} percentage points per month** "
                f"({self.level:.0%} interval {lo * 100:+.2f} to {hi * 100:+.2f}); the logit fit puts it at "
                f"{self.share_logit.predict([t])[0]:.1%} in {horizon_months:g} months (linear: "
                f"{self.share.predict([t])[0]:.1%}).")

    def plot_activity(self, *, note: str = ""):
        from voyager_analysis.plots.usage import activity_per_user

        return activity_per_user(self.df, self.activity, note=note)

    def plot_storage(self, projection=None, *, note: str = ""):
        return self.storage.plot(self.df, projection, note=note)

    def plot_share(self, horizon_months: float = 6.0, *, note: str = ""):
        return self.share.plot(self.df, horizon_months, note=note)


def fit_usage(df, *, level: float = 0.95, seed: int = config.DEFAULT_SEED) -> UsageCurves:
    """Fit every usage curve of a metrics table at interval level ``level``: activity per user for each
    :data:`ACTIVITY_METRICS` column present, storage, the Sonnet share (linear and logit), and the drivers."""
    _require_driver_columns(df)
    alpha = 1 - level
    activity = {m: fit_activity(df, m, alpha=alpha, seed=seed) for m in ACTIVITY_METRICS if m in df.columns}
    storage = fit_storage(df, alpha=alpha, seed=seed)
    share = fit_sonnet_share(df, alpha=alpha, seed=seed)
    drivers = _drivers(df, activity["messages"], activity["searches"], storage, share, alpha, seed)
    return UsageCurves(activity=activity, storage=storage, share=share,
                       share_logit=fit_sonnet_share(df, link="logit", alpha=alpha, seed=seed), drivers=drivers,
                       level=level, df=df)


__all__ = ["DRIVERS", "DRIVER_COLUMNS", "UsageCurves", "fit_usage", "usage_drivers", "drivers_frame"]
