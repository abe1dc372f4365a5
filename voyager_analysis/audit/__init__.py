"""Recompute the roadmap's own tables from ``roadmap.yaml`` and list every inconsistency: :func:`run_audit`.

The checks are in :mod:`voyager_analysis.audit.checks` (severity rules in its docstring), the recomputed tables
in :mod:`voyager_analysis.audit.tables`. :func:`run_audit` returns an :class:`AuditResult` (the results
protocol: ``summary()``, ``to_dict()``, ``plot_*()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voyager_analysis.audit.checks import CHECKS, SEVERITIES, Finding, format_value, severity_of
from voyager_analysis.audit.tables import cost_projection_table, growth_pace_table, phase_cost_table, stripe_fee_usd
from voyager_analysis.results import Results

#: A stated margin "matches" (revenue - cost) / revenue when within this many points (rounding to 1%).
MARGIN_MATCH_TOLERANCE = 0.005
ELASTICITY_ID = "claims.costs_scale_sublinearly"


@dataclass(frozen=True, repr=False)
class AuditResult(Results):
    """Every finding of the audit (passed checks included, severity ``ok``), with the inputs it read."""

    findings: tuple[Finding, ...]
    roadmap: Any = field(default=None, repr=False, compare=False)
    prices: Any = field(default=None, repr=False, compare=False)
    title = "Roadmap audit: the roadmap's numbers against themselves"

    def summary(self):
        """One row per finding, worst first, with ``stated_text`` and ``recomputed_text`` formatted for people."""
        import pandas as pd

        df = pd.DataFrame([f.to_dict() for f in self.findings])
        df["stated_text"] = [format_value(f.stated, f.unit) for f in self.findings]
        df["recomputed_text"] = [format_value(f.recomputed, f.unit) for f in self.findings]
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return df.sort_values("severity", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}

    def _payload(self) -> dict:
        return {"findings": [f.to_dict() for f in self.findings], "counts": self.counts()}

    def finding(self, finding_id: str) -> Finding:
        return {f.id: f for f in self.findings}[finding_id]

    # --- the roadmap's tables ---------------------------------------------------------------------------------
    def cost_projection_table(self):
        return cost_projection_table(self.roadmap, self.prices)

    def phase_cost_table(self):
        return phase_cost_table(self.roadmap)

    def growth_pace_table(self):
        return growth_pace_table(self.roadmap)

    @property
    def claimed_margin(self):
        return self.roadmap.get("claims.margin_range")

    # --- the words and the headline ---------------------------------------------------------------------------
    @property
    def source(self) -> str:
        """The inputs behind every table and figure: the roadmap file and its date, the price date."""
        from voyager_analysis.errors import display_path

        folders = sorted({display_path(Path(p).parent) for p in self.prices.paths}) if self.prices.paths else []
        where = f" from {', '.join(folders)}" if folders else ""
        return (f"Inputs: {display_path(self.roadmap.path)} (roadmap dated {self.roadmap.meta['dated']}); card fees and "
                f"storage prices{where}, as of {self.prices.service('stripe_card_percent').as_of}.")

    def headline_markdown(self) -> str:
        c = self.counts()
        return (f"**{len(self.findings)} checks: {c['major']} major and {c['minor']} minor inconsistencies, "
                f"{c['info']} notes, {c['ok']} checks passed.** {self.source}")

    def margin_markdown(self) -> str:
        """The claimed margin band against the cost projection table's margins after the revenue share."""
        table, claim = self.cost_projection_table(), self.claimed_margin
        after = table.margin_after_share
        inside = int(((after >= claim.low) & (after <= claim.high)).sum())
        matches = int(((table.stated_margin - table.margin_recomputed).abs() <= MARGIN_MATCH_TOLERANCE).sum())
        return (f"**Finding.** The roadmap claims margins of {claim.low:.0%}–{claim.high:.0%} throughout. Its revenue "
                f"column is before the revenue share; after the share the same rows give margins of {after.min():.0%}–"
                f"{after.max():.0%}, and {inside} of {len(after)} rows fall in the claimed band. The stated margin "
                f"column matches (revenue − cost) / revenue only at {matches} of {len(table)} rows.")

    def elasticity_markdown(self) -> str:
        return f"**Elasticity test on the roadmap's own table.** {self.finding(ELASTICITY_ID).explanation}"

    def headline(self) -> dict[str, Any]:
        """The notebook's results: counts, the major findings, the margin band and the roadmap's elasticity."""
        after = self.cost_projection_table().margin_after_share
        claim = self.claimed_margin
        return {"n_checks": len(self.findings), "counts": self.counts(),
                "major": [f.id for f in self.summary().itertuples() if f.severity == "major"],
                "claimed_margin_range": [claim.low, claim.high],
                "margin_after_share_range": [float(after.min()), float(after.max())],
                "roadmap_cost_elasticity": self.finding(ELASTICITY_ID).recomputed,
                "roadmap_dated": self.roadmap.meta["dated"],
                "prices_as_of": self.prices.service("stripe_card_percent").as_of}

    # --- the figures ------------------------------------------------------------------------------------------
    def plot_margins(self):
        from voyager_analysis.plots.audit import margin_stated_vs_recomputed

        claim = self.claimed_margin
        return margin_stated_vs_recomputed(self.cost_projection_table(), claim.low, claim.high, self.source)

    def plot_cost_per_user(self):
        from voyager_analysis.plots.audit import cost_per_user

        return cost_per_user(self.cost_projection_table(), self.phase_cost_table(), self.source)


def run_audit(roadmap, prices) -> AuditResult:
    """Run every check; returns all findings (passed checks included, with severity ``ok``)."""
    findings: list[Finding] = []
    for check in CHECKS:
        n_args = check.__code__.co_argcount
        check(*((roadmap, prices, findings) if n_args == 3 else (roadmap, findings)))
    ids = [f.id for f in findings]
    assert len(ids) == len(set(ids)), "audit finding ids must be unique"
    return AuditResult(tuple(findings), roadmap, prices)


__all__ = ["SEVERITIES", "Finding", "severity_of", "format_value", "phase_cost_table", "stripe_fee_usd",
           "cost_projection_table", "growth_pace_table", "AuditResult", "run_audit", "MARGIN_MATCH_TOLERANCE"]
