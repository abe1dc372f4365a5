"""Results of notebook 03 (costs, revenue, margin, sub-linearity): the cost curve, the calibration against the
roadmap, the margin check at the roadmap's user counts (:mod:`voyager_analysis.montecarlo`,
:mod:`voyager_analysis.calibration`) and the elasticity tests (:mod:`voyager_analysis.scaling`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from voyager_analysis.contracts import Payload as _Base


@dataclass
class Payload(_Base):
    notebook: ClassVar[str] = "03_costs_scaling"

    scenario: str
    draws: int
    seed: int
    prices_as_of: str
    cost_usd_p50: dict  #: users -> median monthly cost (USD, payment fees included)
    cost_per_user_usd_p50: dict  #: users -> median cost per user (USD/month)
    margin_pct_p50: dict  #: users -> median margin before the share (percent)
    calibration_verdicts: dict  #: verdict -> number of roadmap ranges
    not_reproducible: list  #: "phase/component" of every range no inputs in range can give
    claimed_margin_range_pct: list  #: [low, high] percent
    roadmap_users: dict  #: users -> {roadmap_margin_pct, margin_pct_p5/p50/p95, share_below_zero, ...}
    share_margin_below_zero_max: float
    share_margin_below_claimed_max: float
    elasticity_total: dict  #: {estimate, low, high} of the observed bills
    elasticity_p_value: float | None
    elasticity_verdict: str
    roadmap_table_elasticity: dict  #: {estimate, low, high} of the roadmap's projection table
    roadmap_table_verdict: str
    component_verdicts: dict  #: component -> verdict
    breakpoint_users: float | None
    breakpoint_p_value: float | None
    data: str | None  #: the metrics file the elasticities were fitted on
