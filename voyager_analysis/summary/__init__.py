"""The executive summary (notebook 00): one report run's results set against the roadmap's claims.

Nothing here re-runs an analysis. :func:`summarise` reads the ``results`` of the executed notebooks of a run
folder (:mod:`voyager_analysis.summary.run`: the folder the runner passes, else ``reports/latest``), each as
its typed payload (:mod:`voyager_analysis.contracts`), and returns an :class:`ExecutiveSummary`:

- ``claims``: one row per claim of the roadmap with a verdict (:mod:`voyager_analysis.summary.claims`);
- ``risks``: the biggest risks, money at stake first (:mod:`voyager_analysis.summary.risks`);
- ``top``: the inputs that matter most, ranked by total-order Sobol' index ST across the notebooks'
  ``sensitivity`` results (each index is a share of the variance of that notebook's own headline output), each
  marked **measured** (its range is an estimate from data, with the source) or **assumed**; the headline names
  those that are still assumptions.

A notebook that did not run makes its claims read "not run"; the summary degrades row by row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from voyager_analysis.results import Results
from voyager_analysis.summary.claims import (CLAIMS, CONTRADICTED, HOLDS, MIXED, NOT_RUN, REL_TOL, VERDICTS, _num,
                                             claims_table, get, notebook)
from voyager_analysis.summary.risks import (OUTPUT_LABELS, RISK_ORDER, SEVERITIES, SEVERITY_RULES, risks,
                                            sensitivity_rows, top_inputs)
from voyager_analysis.summary.run import (Run, collect_results, expected_notebooks, latest_run_dir, resolve_run_dir,
                                          run_label, sources_markdown)

#: Colours of the verdicts in the claims table.
VERDICT_COLORS = {CONTRADICTED: "#c0392b", MIXED: "#d68910", HOLDS: "#2e8b57", NOT_RUN: "#888888"}


def headline(claims, risk_table, top) -> str:
    """A few sentences for the top of the summary, every number taken from the three tables."""
    judged = claims[claims["verdict"] != NOT_RUN]
    if judged.empty:
        return ("**No results are available yet**, so no claim can be checked: the table shows what the roadmap "
                "claims. Run `make report` (or `voyager-analysis report`) to execute every notebook; this summary "
                "then reads their results.")
    count = judged["verdict"].value_counts()
    parts = [f"Of the roadmap's {len(claims)} claims below, {len(judged)} could be checked: "
             + ", ".join(f"**{count.get(v, 0)} {v}**" for v in (CONTRADICTED, MIXED, HOLDS)) + "."]
    bad = judged[judged["verdict"] == CONTRADICTED]
    if len(bad):
        parts.append("Contradicted: " + "; ".join(f"*{c}*" for c in bad["claim"]) + ".")
    if len(risk_table):
        parts.append(f"The biggest risk ({risk_table['severity'].iat[0]}): {risk_table['risk'].iat[0]}.")
    if len(top):
        items = [f"**{r.input}** (ST {r.ST:.2f} of the {r.output}; {r.basis})" for r in top.itertuples()]
        parts.append("The inputs that matter most: " + ", ".join(items) + ".")
        parts.append(assumptions_sentence(top))
    not_run = claims[claims["verdict"] == NOT_RUN]
    if len(not_run):
        parts.append(f"{len(not_run)} claim(s) could not be checked because their notebook did not run or lacks the "
                     "result.")
    return " ".join(parts)


def assumed_top_inputs(top) -> list[str]:
    """The inputs among ``top`` (:func:`top_inputs`) that are still assumptions, in rank order."""
    return [str(r.input) for r in top.itertuples() if r.basis != "measured"]


def assumptions_sentence(top) -> str:
    """Which of the inputs that matter most are still assumptions (and how to measure them)."""
    assumed = assumed_top_inputs(top)
    if not assumed:
        return "Each of them is measured from data."
    return (f"Still assumptions among them: {', '.join(f'**{a}**' for a in assumed)}; "
            "`voyager-analysis measure --events SOURCE --out data/scenarios/measured.yaml` then "
            "`voyager-analysis report --scenario measured` replaces those the events record with estimates.")


def risks_markdown(risk_table) -> str:
    """The ranked risks as a numbered Markdown list (empty text when there are none)."""
    return "\n".join(f"{r.rank}. **{r.severity}**: {r.risk} *({r.source})*" for r in risk_table.itertuples())


def top_inputs_markdown(top) -> str:
    """The top inputs as a numbered Markdown list: input, ST (with its confidence half-width), output, notebook,
    and whether the input is measured (with its source) or assumed."""
    lines = []
    for r in top.itertuples():
        conf = _num(r.ST_conf)
        basis = f"**measured** ({r.source})" if r.basis == "measured" else "**assumed**"
        lines.append(f"{r.rank}. **{r.input}**: ST {r.ST:.2f}" + (f" ± {conf:.2f}" if conf is not None else "")
                     + f" of the {r.output} ({r.notebook}); {basis}")
    return "\n".join(lines)


@dataclass(repr=False)
class ExecutiveSummary(Results):
    """The claims, risks and top inputs of one run (see the module docstring)."""

    run: Run
    roadmap: Any
    n_inputs: int = 3
    expected: list[str] = field(default_factory=list)  #: the notebooks a full run executes
    title = "Executive summary: the roadmap's claims against the analysis"

    @cached_property
    def claims(self):
        return claims_table(self.run.results, self.roadmap)

    @cached_property
    def risks(self):
        return risks(self.run.results, self.roadmap)

    @cached_property
    def sensitivity(self):
        return sensitivity_rows(self.run.results)

    @cached_property
    def top(self):
        return top_inputs(self.run.results, n=self.n_inputs)

    @property
    def missing(self) -> list[str]:
        return [stem for stem in self.expected if stem not in self.run.results]

    def summary(self):
        return self.claims.drop(columns="id")

    def claims_styled(self):
        """The claims table for a notebook: verdicts in colour, text left-aligned."""
        return (self.summary().style.hide(axis="index")
                .map(lambda v: f"color: {VERDICT_COLORS.get(v, 'inherit')}; font-weight: bold", subset=["verdict"])
                .set_properties(**{"text-align": "left", "vertical-align": "top"}))

    def headline_markdown(self) -> str:
        return headline(self.claims, self.risks, self.top) + "\n\n" + sources_markdown(self.run, self.missing,
                                                                                         self.roadmap)

    def risks_markdown(self) -> str:
        if not len(self.risks):
            return "No risk can be assessed without results: run `make report` first."
        return risks_markdown(self.risks)

    def top_inputs_markdown(self) -> str:
        if not len(self.top):
            return "No sensitivity results in this run (notebooks 04, 05 and 06 record them)."
        return top_inputs_markdown(self.top)

    def plot_sensitivity_ranking(self):
        from voyager_analysis.plots.summary import sensitivity_ranking_chart

        rows = self.sensitivity
        note = (f"Sobol' indices read from the results of {', '.join(sorted(set(rows.notebook)))} in "
                f"{self.run.label}.")
        return sensitivity_ranking_chart(rows, note=note)

    def _payload(self) -> dict[str, Any]:
        c = self.claims
        return {
            "run_dir": self.run.label if self.run.folder is not None else None,
            "notebooks_read": list(self.run.results),
            "notebooks_without_results": self.missing,
            "claims_checked": int((c["verdict"] != NOT_RUN).sum()),
            "verdicts": {v: c.loc[c["verdict"] == v, "id"].tolist() for v in VERDICTS},
            "contradicted": c.loc[c["verdict"] == CONTRADICTED, "id"].tolist(),
            "risks": [{"risk": r.risk, "severity": r.severity, "source": r.source} for r in self.risks.itertuples()],
            "top_inputs": self.top["input"].tolist(),
            "top_inputs_detail": [{"input": r.input, "ST": r.ST, "output": r.output, "notebook": r.notebook,
                                   "basis": r.basis, "source": r.source or None} for r in self.top.itertuples()],
            "assumed_top_inputs": assumed_top_inputs(self.top),
        }


def summarise(roadmap, run_dir: str = "", *, n_inputs: int = 3, reports_dir=None, notebooks_dir=None) -> ExecutiveSummary:
    """The executive summary of the run in ``run_dir`` ("" = the latest complete run in ``reports/``)."""
    from voyager_analysis.values import check_parameter

    n = int(check_parameter("n_inputs", n_inputs, low=1, allow_sentinel=False))
    run = collect_results(resolve_run_dir(run_dir, reports_dir))
    return ExecutiveSummary(run=run, roadmap=roadmap, n_inputs=n, expected=expected_notebooks(notebooks_dir))


__all__ = ["HOLDS", "CONTRADICTED", "MIXED", "NOT_RUN", "VERDICTS", "REL_TOL", "OUTPUT_LABELS", "CLAIMS", "RISK_ORDER",
           "SEVERITIES", "SEVERITY_RULES", "VERDICT_COLORS", "Run", "latest_run_dir", "resolve_run_dir",
           "collect_results", "expected_notebooks", "run_label", "notebook", "get", "claims_table", "risks",
           "sensitivity_rows", "top_inputs", "assumed_top_inputs", "assumptions_sentence", "headline", "risks_markdown", "top_inputs_markdown", "sources_markdown",
           "ExecutiveSummary", "summarise"]
