"""Results of notebook 06 (archival): :meth:`voyager_analysis.archival.ArchivalAnalysis.to_dict`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from voyager_analysis.contracts import Payload as _Base


@dataclass
class Payload(_Base):
    notebook: ClassVar[str] = "06_archival"

    at_month: str  #: YYYY-MM, the last simulated month
    archived_share: float  #: fraction of conversation data in S3 that month
    archived_gb: float
    monthly_savings_usd: float  #: net: storage saved minus requests
    storage_saved_usd: float
    request_usd: float
    s3_monthly_usd: float
    monthly_savings_at_roadmap_prices_usd: float
    gb_moved_total: float
    engineering_cost_usd: float
    payback_months: float | None  #: None when the build is not paid back within the horizon
    roi_over_horizon: float
    roadmap_min_roi: float
    policy_start_month: str
    scenario: str | None
    price_ratio_roadmap: float
    price_ratio_list: float
    prices_as_of: str
    inputs: dict  #: the policy's parameters
    sensitivity_output: str
    sensitivity: dict  #: {input: {S1, S1_conf, ST, ST_conf, basis[, source]}}
    top_inputs: list
    payback_months_reason: str | None = None  #: why payback_months is None
    measured_inputs: dict = field(default_factory=dict)  #: input -> {measured, measured_low, measured_high,
    #: assumed_low, assumed_high, inside, source}: a measured scenario's values next to the assumed ranges
