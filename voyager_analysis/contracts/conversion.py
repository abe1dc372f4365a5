"""Results of notebook 05 (conversion and revenue): :meth:`voyager_analysis.revenue.conversion.ConversionAnalysis`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from voyager_analysis.contracts import Payload as _Base


@dataclass
class Payload(_Base):
    notebook: ClassVar[str] = "05_conversion"

    users: float  #: monthly active users
    scenario: str
    inputs: dict  #: every revenue input and monthly_churn used
    input_origins: dict  #: input -> where its value came from
    prices_as_of: str
    gross_revenue_usd: float
    payment_fees_usd: float
    partner_share_usd: float
    net_revenue_usd: float
    net_revenue_roadmap_method_usd: float  #: gross x share, no fees (the roadmap's arithmetic)
    roadmap_example: dict | None  #: {users, gross_usd, after_share_usd} when the roadmap states one here
    infra_cost_usd: dict  #: {p5, p50, p95} USD/month
    claude_share_of_infra_cost: float | None
    margin_pct: float | None  #: median margin before the share (percent)
    margin_pct_p5: float | None
    margin_pct_p95: float | None
    margin_after_share_pct: float | None
    margin_after_share_pct_p5: float | None
    margin_after_share_pct_p95: float | None
    claimed_margin_range_pct: list
    roadmap_table_margin_pct: float | None
    share_margin_below_zero: float
    share_margin_below_claimed: float
    share_after_share_below_zero: float
    breakeven_pro_conversion: float | None  #: None where no conversion breaks even
    breakeven_pro_conversion_range: list
    conversion_over_breakeven: float | None
    monthly_churn: float
    new_pro_subscribers_per_month: float
    steady_state_pro_subscribers: float
    months_to_90pct_of_steady_state: int | None
    draws: int
    seed: int
    sensitivity_output: str
    sensitivity: dict  #: {input: {S1, S1_conf, ST, ST_conf, basis[, source]}}
    top_inputs: list
    measured_inputs: dict = field(default_factory=dict)  #: input -> {measured, measured_low, measured_high,
    #: assumed_low, assumed_high, inside, source}: a measured scenario's values next to the assumed ranges
