"""Results of notebook 08 (cohorts, retention, usage by tenure, conversion, churn, view decay).

Built from :class:`voyager_analysis.cohorts.retention.Retention`, :class:`voyager_analysis.churn.Churn`,
:class:`voyager_analysis.cohorts.conversion.Conversion`, :class:`voyager_analysis.cohorts.tenure.TenureUsage`,
:class:`voyager_analysis.cohorts.views.ViewDecay` and the :class:`voyager_analysis.measure.Measured` inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from voyager_analysis.contracts import Payload as _Base


@dataclass
class Payload(_Base):
    notebook: ClassVar[str] = "08_cohorts_retention"

    events: str  #: where the events came from (a path, or a URL without its password)
    as_of: str  #: ISO time the survival analyses were cut at
    retention: dict  #: Retention.to_dict(): {cohorts: [{cohort, size, active_share}], fit: {...}, ...}
    churn: dict  #: Churn.to_dict(): {as_of, horizon_months, tiers: {pro: {n, kaplan_meier, sbg, monthly_churn}}}
    conversion: dict  #: Conversion.to_dict(): {tiers: {pro: {users, curve}}}
    usage_by_tenure: dict  #: quantity -> TenureUsage.to_dict() (elasticity, curve, decomposition with caveat)
    view_decay: dict | None  #: ViewDecay.to_dict(), None when conversations had no views to fit
    measured: dict  #: input -> {estimate, low, high, estimator}: what a measured scenario would carry
