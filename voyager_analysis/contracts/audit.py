"""Results of notebook 01 (roadmap audit): :meth:`voyager_analysis.audit.AuditResult.headline`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from voyager_analysis.contracts import Payload as _Base


@dataclass
class Payload(_Base):
    notebook: ClassVar[str] = "01_roadmap_audit"

    n_checks: int
    counts: dict  #: {major, minor, info, ok} -> count
    major: list  #: ids of the major findings
    claimed_margin_range: list  #: [low, high] fractions
    margin_after_share_range: list  #: [low, high] fractions over the cost projection table's rows
    roadmap_cost_elasticity: list  #: [estimate, [low, high]]
    roadmap_dated: str
    prices_as_of: str
