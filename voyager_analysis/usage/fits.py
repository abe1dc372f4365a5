"""The usage fits: activity per user vs scale and time, storage accumulation, the Sonnet share.
Every fit is OLS (statsmodels) with Newey-West HAC standard errors and fixed-b critical values
(:mod:`voyager_analysis.stats.hac`: with 10-30 autocorrelated months the usual HAC t-test is far too
optimistic). Error models: per-user activity and tokens per message are fitted on the log scale
(multiplicative errors), storage growth and the linear Sonnet share on the natural scale (additive errors). Intervals are 95% unless ``alpha`` says otherwise, and
are confidence intervals of a fitted value, not ranges of single months.
"""

from __future__ import annotations

import html

from dataclasses import dataclass
from typing import Any

import numpy as np

from voyager_analysis import config
from voyager_analysis.errors import InputError, located, unknown_name
from voyager_analysis.results import Results
from voyager_analysis.stats.hac import HACRegression, check_series, hac_regression
from voyager_analysis.tables import table_html

#: Per-user activity metrics (column of the metrics frame -> what one unit is).
ACTIVITY_METRICS = {
    "messages": "messages per user per month",
    "input_tokens": "Claude input tokens per user per month",
    "output_tokens": "Claude output tokens per user per month",
    "searches": "search requests per user per month",
}
def _source(df) -> str | None:
    return df.attrs.get("source") if hasattr(df, "attrs") else None


def _column(df, name: str, *, positive: bool = True, min_n: int = 4) -> np.ndarray:
    """A checked float column of the metrics frame (InputError naming the file and column)."""
    if name not in df.columns:
        raise located(_source(df), None, f"column '{name}' is needed here but absent")
    try:
        return check_series(name, df[name].to_numpy(dtype=float), positive=positive, min_n=min_n)
    except InputError as exc:
        raise located(_source(df), None, str(exc)) from None


def _months(df) -> np.ndarray:
    from voyager_analysis.months import months_since_start

    return months_since_start(df)


def _interval(r: dict[str, Any], transform=np.exp) -> tuple[float, float, float]:
    return (float(transform(r["estimate"])), float(transform(r["ci"][0])), float(transform(r["ci"][1])))


# --- activity per user -----------------------------------------------------------------------------------

@dataclass(repr=False)
class ActivityFit(Results):
    """``log(metric / users) = a + b log(users) + c t`` (t in months from the first row).

    ``elasticity`` is ``b``: the % change of per-user activity for a 1% rise in users at a fixed date
    (0 = activity per user does not depend on scale; the total's elasticity to users is ``1 + b``).
    ``time_trend`` is ``c``: the log change per month at a fixed scale. With users growing smoothly
    over time the two are partly confounded; their intervals say by how much.
    """

    metric: str
    reg: HACRegression
    users_last: float
    t_last: float
    source: str | None

    @property
    def elasticity(self) -> float:
        return self.reg.coef("log_users")["estimate"]

    @property
    def elasticity_ci(self) -> tuple[float, float]:
        return self.reg.coef("log_users")["ci"]

    @property
    def time_trend(self) -> float | None:
        return self.reg.coef("t_months")["estimate"] if "t_months" in self.reg.names else None

    @property
    def method(self) -> str:
        return f"log({self.metric}/users) on {' + '.join(self.reg.names[1:])}: {self.reg.method}"

    def _row(self, users: float, t: float) -> np.ndarray:
        x = [1.0, np.log(users)]
        if "t_months" in self.reg.names:
            x.append(t)
        return np.asarray(x)

    def predict_per_user(self, users, t=None) -> np.ndarray:
        """Fitted ``metric`` per user per month at ``users`` and month ``t`` (default: the last month).

        The fit is on logs, so this is the geometric-mean level (the median month).
        """
        users = np.asarray(users, dtype=float)
        t = np.full_like(users, self.t_last) if t is None else np.broadcast_to(np.asarray(t, float), users.shape)
        b = self.reg.params
        out = b[0] + b[1] * np.log(users)
        if "t_months" in self.reg.names:
            out = out + b[2] * t
        return np.exp(out)

    def per_user_interval(self, users: float | None = None, t: float | None = None) -> tuple[float, float, float]:
        """(estimate, low, high) per user per month at one point (default: the last observed month)."""
        users = self.users_last if users is None else float(users)
        t = self.t_last if t is None else float(t)
        return _interval(self.reg.contrast(self._row(users, t)))

    title = "Activity per user vs scale and time"

    def summary(self):
        """Coefficients (const, log_users, t_months) with HAC errors and fixed-b intervals."""
        s = self.reg.summary()
        s.attrs["method"] = self.method
        return s

    def _payload(self) -> dict[str, Any]:
        est, lo, hi = self.per_user_interval()
        return {"metric": self.metric, "elasticity": self.elasticity, "elasticity_ci": list(self.elasticity_ci),
                "time_trend": self.time_trend, "per_user_last": {"estimate": est, "low": lo, "high": hi},
                "method": self.method, "n": self.reg.n}

    def plot(self, df, *, note: str = ""):
        """Observed per-user activity against users with this fit (``df``: the metrics it was fitted on)."""
        from voyager_analysis.plots.usage import activity_per_user

        return activity_per_user(df, {self.metric: self}, note=note)

    def __str__(self) -> str:
        lo, hi = self.elasticity_ci
        return (f"ActivityFit({self.metric}): per-user elasticity to users {self.elasticity:+.3f} "
                f"[{lo:+.3f}, {hi:+.3f}], n={self.reg.n}; {self.method}")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(self.title)}</b> ({self.metric} per user): {html.escape(self.method)}</p>"
        return head + table_html(self.summary())


def fit_activity(df, metric: str = "messages", *, time: bool = True, alpha: float = 0.05,
                 seed: int = config.DEFAULT_SEED) -> ActivityFit:
    """Fit per-user ``metric`` (messages, input_tokens, output_tokens, searches) vs log(users) and time."""
    if metric not in ACTIVITY_METRICS:
        raise InputError(unknown_name("activity metric", metric, ACTIVITY_METRICS))
    users = _column(df, "users")
    y = _column(df, metric)
    t = _months(df)
    cols = [np.ones_like(users), np.log(users)] + ([t] if time else [])
    names = ["const", "log_users"] + (["t_months"] if time else [])
    if len(users) < len(names) + 2:
        raise located(_source(df), None, f"need at least {len(names) + 2} months to fit {metric} per user, "
                                         f"got {len(users)}")
    reg = hac_regression(np.log(y / users), np.column_stack(cols), names, alpha=alpha, seed=seed)
    return ActivityFit(metric=metric, reg=reg, users_last=float(users[-1]), t_last=float(t[-1]),
                       source=_source(df))


# --- storage ---------------------------------------------------------------------------------------------

@dataclass(repr=False)
class StorageFit(Results):
    """Storage accumulation: GB of new conversation data per message, and where it sits now.

    ``gb_per_message`` comes from ``Δ(storage_gb + archived_gb)_t = g · messages_t`` (no intercept,
    months 2..n): the growth of all stored data (hot Postgres + archived S3) per message sent that
    month. If archiving compresses data, the archived GB understate what was written and ``g`` is a
    little low; deletions likewise.
    """

    reg: HACRegression
    messages_per_user_last: float
    users_last: float
    hot_gb_last: float
    archived_gb_last: float
    month_last: str
    source: str | None

    @property
    def gb_per_message(self) -> float:
        return self.reg.coef("gb_per_message")["estimate"]

    @property
    def gb_per_message_ci(self) -> tuple[float, float]:
        return self.reg.coef("gb_per_message")["ci"]

    @property
    def new_gb_per_user_month(self) -> float:
        """New data per active user in the latest month: ``g`` x that month's messages per user."""
        return self.gb_per_message * self.messages_per_user_last

    @property
    def new_gb_per_user_month_ci(self) -> tuple[float, float]:
        lo, hi = self.gb_per_message_ci
        return (lo * self.messages_per_user_last, hi * self.messages_per_user_last)

    @property
    def hot_gb_per_user(self) -> float:
        """Hot (Postgres) GB per active user at the latest month."""
        return self.hot_gb_last / self.users_last

    @property
    def archived_share(self) -> float:
        """archived / (hot + archived) at the latest month (0 when nothing is archived)."""
        total = self.hot_gb_last + self.archived_gb_last
        return self.archived_gb_last / total if total > 0 else 0.0

    @property
    def method(self) -> str:
        return f"Δ(storage_gb + archived_gb) on messages, no intercept: {self.reg.method}"

    title = "Storage accumulation"

    def _payload(self) -> dict[str, Any]:
        return {"gb_per_message": self.gb_per_message, "gb_per_message_ci": list(self.gb_per_message_ci),
                "new_gb_per_user_month": self.new_gb_per_user_month,
                "new_gb_per_user_month_ci": list(self.new_gb_per_user_month_ci), "hot_gb_per_user": self.hot_gb_per_user,
                "archived_share": self.archived_share, "month_last": self.month_last, "method": self.method}

    def summary(self):
        """gb_per_message (with SE and interval), new GB per user-month, hot GB per user, archived share."""
        import pandas as pd

        lo, hi = self.gb_per_message_ci
        nlo, nhi = self.new_gb_per_user_month_ci
        rows = [
            ("gb_per_message", self.gb_per_message, self.reg.coef("gb_per_message")["se"], lo, hi, "GB per message"),
            ("new_gb_per_user_month", self.new_gb_per_user_month, np.nan, nlo, nhi,
             f"GB per user-month at {self.month_last}"),
            ("hot_gb_per_user", self.hot_gb_per_user, np.nan, np.nan, np.nan, f"GB per user at {self.month_last}"),
            ("archived_share", self.archived_share, np.nan, np.nan, np.nan, f"fraction at {self.month_last}"),
        ]
        out = pd.DataFrame(rows, columns=["quantity", "estimate", "se", "lower", "upper", "unit"]).set_index("quantity")
        out.attrs["method"] = self.method
        return out

    def project_storage_gb(self, users, *, messages_per_user_month: float | None = None,
                           archive_after_months: int | None = None):
        """Accumulate stored GB over future months for a path of monthly active users.

        ``users``: users in each future month (month 1 = the month after the last observed one).
        New GB per month = ``g`` x messages per user (default: the latest observed) x users, added to
        today's hot + archived total. Low/high use the ends of ``g``'s interval. With
        ``archive_after_months`` N, data written more than N months ago is counted as archived (data
        already stored today is assumed old enough to be archived after N months too).
        Returns a DataFrame with ``month_ahead``, ``users``, ``new_gb``, ``total_gb``, ``total_gb_low``,
        ``total_gb_high`` and, with an archive policy, ``hot_gb`` and ``archived_gb``.
        """
        import pandas as pd

        users = np.asarray(users, dtype=float)
        if users.ndim != 1 or users.size == 0 or not np.all(np.isfinite(users)) or np.any(users < 0):
            raise InputError("users to project must be a non-empty list of finite counts >= 0")
        mpu = self.messages_per_user_last if messages_per_user_month is None else float(messages_per_user_month)
        start = self.hot_gb_last + self.archived_gb_last
        msgs = users * mpu
        out = pd.DataFrame({"month_ahead": np.arange(1, users.size + 1), "users": users})
        out["new_gb"] = msgs * self.gb_per_message
        out["total_gb"] = start + np.cumsum(out["new_gb"].to_numpy())
        lo, hi = self.gb_per_message_ci
        out["total_gb_low"] = start + np.cumsum(msgs * lo)
        out["total_gb_high"] = start + np.cumsum(msgs * hi)
        if archive_after_months is not None:
            n_keep = int(archive_after_months)
            if n_keep < 0:
                raise InputError(f"archive_after_months must be >= 0, got {archive_after_months}")
            new = out["new_gb"].to_numpy()
            cum = np.cumsum(new)
            recent = cum - np.concatenate([np.zeros(min(n_keep, new.size)), cum[:max(new.size - n_keep, 0)]])
            out["hot_gb"] = recent + np.where(out["month_ahead"].to_numpy() <= n_keep, self.hot_gb_last, 0.0)
            out["archived_gb"] = out["total_gb"] - out["hot_gb"]
        return out

    def plot(self, df, projection=None, *, note: str = ""):
        """Hot and archived storage over months (``df``: the metrics it was fitted on), with ``projection``
        (:meth:`project_storage_gb`) if given."""
        from voyager_analysis.plots.usage import storage_accumulation

        return storage_accumulation(df, self, projection, note=note)

    def __str__(self) -> str:
        lo, hi = self.gb_per_message_ci
        return (f"StorageFit: {self.gb_per_message * 1e6:.3g} KB per message [{lo * 1e6:.3g}, {hi * 1e6:.3g}], "
                f"{self.new_gb_per_user_month * 1e3:.3g} MB new per user-month, archived share "
                f"{self.archived_share:.1%} at {self.month_last}")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(self.title)}</b>: {html.escape(self.method)}</p>" + table_html(self.summary())


def fit_storage(df, *, alpha: float = 0.05, seed: int = config.DEFAULT_SEED) -> StorageFit:
    """Fit GB stored per message from month-to-month growth of hot + archived storage.

    Needs ``storage_gb``, ``messages`` and ``users``; ``archived_gb`` is optional (absent or empty = 0).
    """
    src = _source(df)
    users = _column(df, "users")
    messages = _column(df, "messages")
    hot = _column(df, "storage_gb", positive=False)
    if np.any(hot < 0):
        raise located(src, None, "storage_gb has a negative value")
    archived = (df["archived_gb"].fillna(0.0).to_numpy(dtype=float) if "archived_gb" in df.columns
                else np.zeros_like(hot))
    total = hot + archived
    from voyager_analysis.months import month_number

    consecutive = np.diff(month_number(df["month"])) == 1  # growth across a missing month spans two months
    growth = np.diff(total)[consecutive]
    if growth.size < 4:
        raise located(src, None, f"need at least 5 months of storage to fit growth (4 month-to-month steps "
                                 f"between consecutive months), got {growth.size} step(s)")
    if not np.any(growth > 0):
        raise located(src, None, "storage_gb + archived_gb never grows: nothing to fit per message")
    reg = hac_regression(growth, messages[1:][consecutive, None], ["gb_per_message"], alpha=alpha, seed=seed)
    return StorageFit(reg=reg, messages_per_user_last=float(messages[-1] / users[-1]), users_last=float(users[-1]),
                      hot_gb_last=float(hot[-1]), archived_gb_last=float(archived[-1]),
                      month_last=str(df["month"].iat[-1]), source=src)


# --- Sonnet share ----------------------------------------------------------------------------------------

@dataclass(repr=False)
class ShareTrend(Results):
    """Trend of the Sonnet share: ``share = a + s t`` (link "linear", s in share per month) or
    ``logit(share) = a + s t`` (link "logit", s in log-odds per month; predictions stay in 0-1)."""

    link: str
    reg: HACRegression
    t_last: float
    source: str | None

    @property
    def slope_per_month(self) -> float:
        return self.reg.coef("t_months")["estimate"]

    @property
    def slope_ci(self) -> tuple[float, float]:
        return self.reg.coef("t_months")["ci"]

    def _inverse(self, x):
        x = np.asarray(x, dtype=float)
        return 1.0 / (1.0 + np.exp(-x)) if self.link == "logit" else np.clip(x, 0.0, 1.0)

    def predict(self, t) -> np.ndarray:
        """Fitted share at month(s) ``t`` (months from the first row); linear fits are clipped to 0-1."""
        a, s = self.reg.params
        return self._inverse(a + s * np.asarray(t, dtype=float))

    def share_interval(self, t: float | None = None) -> tuple[float, float, float]:
        """(estimate, low, high) of the fitted share at month ``t`` (default: the last month)."""
        t = self.t_last if t is None else float(t)
        return _interval(self.reg.contrast(np.array([1.0, t])), transform=self._inverse)

    @property
    def method(self) -> str:
        return f"{'logit(sonnet_share)' if self.link == 'logit' else 'sonnet_share'} on t_months: {self.reg.method}"

    title = "Sonnet share trend"

    def summary(self):
        """Coefficients (const, t_months) with HAC errors and fixed-b intervals."""
        s = self.reg.summary()
        s.attrs["method"] = self.method
        return s

    def _payload(self) -> dict[str, Any]:
        return {"link": self.link, "slope_per_month": self.slope_per_month, "slope_ci": list(self.slope_ci),
                "share_last": list(self.share_interval()), "method": self.method}

    def plot(self, df, horizon_months: float = 6.0, *, note: str = ""):
        """Observed share by month (``df``: the metrics it was fitted on) with the trend extended."""
        from voyager_analysis.plots.usage import sonnet_share_trend

        return sonnet_share_trend(df, self, horizon_months, note=note)

    def __str__(self) -> str:
        lo, hi = self.slope_ci
        unit = "log-odds" if self.link == "logit" else "share"
        return f"ShareTrend({self.link}): {self.slope_per_month:+.4f} {unit}/month [{lo:+.4f}, {hi:+.4f}]"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(self.title)}</b>: {html.escape(self.method)}</p>" + table_html(self.summary())


def fit_sonnet_share(df, *, link: str = "linear", alpha: float = 0.05,
                     seed: int = config.DEFAULT_SEED) -> ShareTrend:
    """Trend of ``sonnet_share`` over months (link "linear": slope in share per month; or "logit")."""
    if link not in ("linear", "logit"):
        raise InputError(unknown_name("link", link, ("linear", "logit")))
    share = _column(df, "sonnet_share", positive=(link == "logit"))
    if link == "logit":
        if np.any(share >= 1):
            raise located(_source(df), None, "sonnet_share of 1 has no logit; use link='linear'")
        y = np.log(share / (1 - share))
    else:
        y = share
    t = _months(df)
    reg = hac_regression(y, np.column_stack([np.ones_like(t), t]), ["const", "t_months"], alpha=alpha, seed=seed)
    return ShareTrend(link=link, reg=reg, t_last=float(t[-1]), source=_source(df))


__all__ = ["ACTIVITY_METRICS", "ActivityFit", "StorageFit", "ShareTrend", "fit_activity", "fit_storage",
           "fit_sonnet_share"]
