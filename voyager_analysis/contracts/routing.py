"""Results of notebook 04 (Claude routing): :meth:`voyager_analysis.routing.RoutingAnalysis.to_dict`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from voyager_analysis.contracts import Payload as _Base


@dataclass
class Payload(_Base):
    notebook: ClassVar[str] = "04_claude_routing"

    users: float  #: monthly active users priced
    claude_monthly_cost_usd: float
    claude_cost_per_user_usd: float
    all_sonnet_monthly_cost_usd: float
    all_haiku_monthly_cost_usd: float
    savings_vs_all_sonnet_usd: float
    savings_vs_all_sonnet_pct: float  #: 0-100
    extra_vs_all_haiku_pct: float  #: 0-100
    inputs: dict  #: the usage inputs, cache_hit_rate and batch_share used
    models: dict  #: {haiku, sonnet, as_of}
    scenario: str | None
    budget_usd: list  #: USD/month: the budget_usd parameter, or the roadmap's Claude range for the phase
    max_sonnet_share_for_budget: list  #: one per budget; None where even all-Haiku does not fit
    roadmap_phase: str
    roadmap_claude_range_usd: list  #: [low, high] USD/month
    sensitivity_output: str
    sensitivity: dict  #: {input: {S1, S1_conf, ST, ST_conf, basis[, source]}}
    top_inputs: list
    measured_inputs: dict = field(default_factory=dict)  #: input -> {measured, measured_low, measured_high,
    #: assumed_low, assumed_high, inside, source}: a measured scenario's values next to the assumed ranges
