"""Usage curves: activity per user vs scale and time, storage accumulation, the Sonnet share.

These turn a forecast of users into a forecast of the cost model's drivers (:func:`usage_drivers`). Every fit
is OLS with Newey-West HAC standard errors and fixed-b critical values (:mod:`voyager_analysis.stats.hac`).

* :mod:`~voyager_analysis.usage.fits` — :func:`fit_activity`, :func:`fit_storage`, :func:`fit_sonnet_share`;
* :mod:`~voyager_analysis.usage.curves` — :func:`fit_usage` (all of them, a :class:`UsageCurves` results
  object) and :func:`usage_drivers`.
"""

from __future__ import annotations

from voyager_analysis.usage.curves import DRIVERS, UsageCurves, drivers_frame, fit_usage, usage_drivers
from voyager_analysis.usage.fits import (ACTIVITY_METRICS, ActivityFit, ShareTrend, StorageFit, fit_activity,
                                         fit_sonnet_share, fit_storage)

__all__ = ["ACTIVITY_METRICS", "DRIVERS", "ActivityFit", "ShareTrend", "StorageFit", "UsageCurves", "drivers_frame",
           "fit_activity", "fit_sonnet_share", "fit_storage", "fit_usage", "usage_drivers"]
