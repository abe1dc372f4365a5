"""Run the notebooks and publish a dated, shareable report: ``voyager-analysis report``.

One run executes the notebooks of a folder with papermill, in parallel worker processes (``--jobs``),
and writes ``OUT/<run-id>/``: per notebook the executed ``.ipynb`` and a self-contained ``.html``, plus
``manifest.json`` and ``results.json``. Then it rewrites ``OUT/index.html`` (a dashboard of the latest
complete run, what changed, every run) and points ``OUT/latest`` at the newest complete run of every
notebook with default parameters.

Modules: :mod:`.plan` (validation, before anything runs), :mod:`.execute` (worker processes, reuse of
unchanged notebooks), :mod:`.trace` (which data files a kernel reads), :mod:`.html` (notebook pages),
:mod:`.provenance` (hashes, versions, run ids, reuse keys, scrubbing of machine paths), :mod:`.runs` (lock,
latest, listing, pruning), :mod:`.changes` and :mod:`.headlines` and :mod:`.index` (the dashboard),
:mod:`.schedule` (nightly recipes), :mod:`.pipeline` (one run, start to finish).

Names are imported lazily: kernels import :mod:`.trace` and the summary notebook reads :func:`latest_run`
without paying for the rest.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "plan_run": "plan", "RunPlan": "plan", "NotebookSpec": "plan", "Parameter": "plan",
    "parse_parameter_args": "plan", "declared_parameters": "plan", "discover_notebooks": "plan",
    "RUN_DIR_PARAMETER": "plan", "SCENARIO_PARAMETER": "plan", "SUMMARY_PREFIX": "plan",
    "run_report": "pipeline",
    "latest_run": "runs", "list_runs": "runs", "scan_runs": "runs", "prune_runs": "runs", "set_latest": "runs",
    "RunLock": "runs", "LATEST_NAME": "runs", "LATEST_TXT": "runs", "MANIFEST_NAME": "runs",
    "RESULTS_NAME": "runs", "RUN_ID_RE": "runs",
    "render_index": "index", "write_index": "index", "headline_cards": "headlines",
    "compare_results": "changes",
    "notebook_to_html": "html", "escape_dollars": "html", "external_resources": "html",
    "strip_external_resources": "html", "INDEX_NAME": "html",
    "Scrubber": "provenance", "make_scrubber": "provenance", "sha256_file": "provenance",
    "input_hashes": "provenance", "make_run_id": "provenance",
    "schedule_recipe": "schedule",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'voyager_analysis.report' has no attribute {name!r}")
    return getattr(importlib.import_module(f"voyager_analysis.report.{module}"), name)
