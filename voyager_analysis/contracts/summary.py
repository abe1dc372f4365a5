"""Results of notebook 00 (executive summary): :meth:`voyager_analysis.summary.ExecutiveSummary.to_dict`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from voyager_analysis.contracts import Payload as _Base


@dataclass
class Payload(_Base):
    notebook: ClassVar[str] = "00_summary"

    run_dir: str | None  #: the name of the run folder read (None: no run found)
    notebooks_read: list
    notebooks_without_results: list
    claims_checked: int
    verdicts: dict  #: verdict -> claim ids
    contradicted: list  #: claim ids
    risks: list  #: [{risk, severity, source}], worst first
    top_inputs: list
    top_inputs_detail: list  #: [{input, ST, output, notebook, basis ("measured"/"assumed"), source}]
    assumed_top_inputs: list = field(default_factory=list)  #: the top inputs that are still assumptions
