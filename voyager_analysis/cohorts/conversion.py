"""Conversion as time to event: months from signup to a user's first Pro and first Max subscription.

A user who has not converted yet is *censored* at the months observed since signup, not counted as never
converting (a user who signed up last week has had no time to). The cumulative share converted by month
since signup is ``1 - KM`` of the time to conversion, with the Kaplan–Meier band flipped
(:func:`voyager_analysis.stats.survival.kaplan_meier`). A conversion inside the k-th month since signup
(``[k - 1, k)`` whole calendar months after it) counts at month k (k >= 1).

The revenue model's ``pro_conversion`` / ``max_conversion`` are a different quantity: the share of the monthly
active users who hold a paid subscription in a month. :func:`paying_share` measures it directly, with a Wilson
interval (a census of a month's users; the interval covers the month-to-month binomial noise only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voyager_analysis.errors import InputError
from voyager_analysis.results import Results

TIERS = ("pro", "max")


def conversion_periods(users, as_of=None):
    """Per user and tier: months to the first subscription (converted) or months observed (censored).

    ``users`` has ``signed_up_at`` and, per tier, ``first_<tier>_at`` (empty = not yet). Returns a frame with
    ``tier``, ``periods``, ``converted`` for users who signed up before ``as_of`` (default: the latest time in
    the frame), and ``as_of``.
    """
    import pandas as pd

    from voyager_analysis.churn import utc_timestamp, whole_months

    signup = pd.to_datetime(users["signed_up_at"], utc=True, format="ISO8601")
    firsts = {t: pd.to_datetime(users[f"first_{t}_at"], utc=True, format="ISO8601") for t in TIERS
              if f"first_{t}_at" in users}
    if not firsts:
        raise InputError("users: no first_pro_at or first_max_at column")
    latest = max([signup.max()] + [f.max() for f in firsts.values() if f.notna().any()])
    as_of = latest if as_of is None else utc_timestamp(as_of)
    keep = signup < as_of
    out = []
    for tier, first in firsts.items():
        s, f = signup[keep], first[keep]
        converted = (f.notna() & (f <= as_of)).to_numpy()
        to_event = whole_months(s, f.where(converted, as_of)) + 1
        observed = whole_months(s, pd.Series(as_of, index=s.index))
        out.append(pd.DataFrame({"tier": tier, "periods": np.where(converted, np.maximum(to_event, 1), observed),
                                 "converted": converted}))
    return pd.concat(out, ignore_index=True), as_of


@dataclass(repr=False)
class Conversion(Results):
    """Cumulative share converted by month since signup, per tier, with pointwise bands."""

    curves: dict  #: tier -> DataFrame period, converted, low, high, at_risk
    users: dict  #: tier -> users followed
    level: float = 0.95
    title = "Time from signup to the first paid subscription"

    def summary(self):
        import pandas as pd

        rows = []
        for tier, c in self.curves.items():
            for month in (1, 3, 6, 12):
                hit = c[c["period"] == month]
                if len(hit):
                    rows.append((tier, month, *hit.iloc[0][["converted", "low", "high", "at_risk"]]))
        return pd.DataFrame(rows, columns=["tier", "months_since_signup", "converted", "low", "high", "at_risk"]) \
            .set_index(["tier", "months_since_signup"])

    def _payload(self) -> dict:
        return {"method": "1 - Kaplan-Meier of months to the first subscription; unconverted users censored",
                "tiers": {t: {"users": self.users[t], "curve": c.to_dict(orient="records")}
                          for t, c in self.curves.items()}}

    def plot_curves(self):
        from voyager_analysis.plots.cohorts import conversion_curves

        return conversion_curves(self.curves, note="Users not converted yet are censored at their months observed.")


def conversion_by_tier(durations, *, level: float = 0.95) -> Conversion:
    """:class:`Conversion` from ``tier``, ``periods``, ``converted`` (and optional ``count``) rows."""
    from voyager_analysis.stats.survival import kaplan_meier

    curves, users = {}, {}
    for tier in dict.fromkeys(durations["tier"]):
        rows = durations[durations["tier"] == tier]
        w = rows["count"].to_numpy() if "count" in rows else None
        km = kaplan_meier(rows["periods"].to_numpy(), rows["converted"].to_numpy(), w, level=level)
        curves[tier] = km.assign(converted=1 - km["survival"], low=1 - km["high"], high=1 - km["low"])[
            ["period", "converted", "low", "high", "at_risk"]]
        users[tier] = int(len(rows) if w is None else np.sum(w))
    if not curves:
        raise InputError("conversion: no users")
    return Conversion(curves=curves, users=users, level=level)


def paying_share(subscribers: float, active_users: float, *, level: float = 0.95) -> tuple[float, float, float]:
    """(share, low, high): paying subscribers over monthly active users with a Wilson score interval."""
    from scipy.stats import norm

    n, x = float(active_users), float(subscribers)
    if n <= 0 or x < 0 or x > n:
        raise InputError(f"paying share: need 0 <= subscribers <= active users, got {x:g} of {n:g}")
    z = float(norm.ppf(0.5 + level / 2))
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, float(centre - half), float(centre + half)


__all__ = ["Conversion", "conversion_by_tier", "conversion_periods", "paying_share"]
