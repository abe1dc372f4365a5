"""Voyager Analysis: turns the infrastructure roadmap's claims into tested, reproducible analysis.

The main entry points are available from the top level, imported lazily on first use (so that
``import voyager_analysis`` and the command line stay fast)::

    import voyager_analysis as va
    project = va.load_project()              # read and validate data/ once
    fit = va.fit_growth(project.metrics)     # a results object: .summary(), .to_dict(), .plot_*()

Submodules can be imported directly as well (``from voyager_analysis import costs``).
"""

from __future__ import annotations

import importlib
import importlib.util

__version__ = "0.1.0"

#: Public name -> module that defines it (imported on first access).
_EXPORTS = {
    # inputs
    "load_project": "project", "Project": "project", "point_value": "values", "resolve": "values",
    "InputError": "errors", "ConvergenceError": "errors",
    # real data: events, bills
    "open_engine": "sources.engines", "derive_metrics": "sources.derive", "write_example_events":
    "sources.example_events", "EventTruth": "sources.example_events", "read_bills": "sources.bills",
    "monthly_bills": "sources.bills", "join_bills": "sources.bills",
    # growth, usage, scaling
    "fit_growth": "growth", "fit_usage": "usage", "usage_drivers": "usage", "fit_elasticity": "scaling",
    "scaling_report": "scaling", "hac_regression": "stats.hac",
    # costs, revenue, sensitivity
    "simulate": "montecarlo", "simulate_curve": "montecarlo", "sample_figures": "montecarlo",
    "calibration_table": "calibration", "roadmap_margin_check": "calibration", "RevenueModel": "revenue",
    "conversion_analysis": "revenue.conversion", "RoutingModel": "routing", "ArchivalPolicy": "archival",
    # measured behaviour
    "analyse_events": "cohorts.analysis", "churn_by_tier": "churn", "kaplan_meier": "stats.survival",
    "fit_sbg": "stats.survival", "measured_scenario": "measure",
    # decisions, audit, summary, report
    "trigger_report": "triggers", "build_vs_buy": "buildvsbuy", "sharding_balance": "sharding",
    "run_audit": "audit", "summarise": "summary", "run_report": "report",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")  # a submodule: va.routing.analyse(...)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = sorted(_EXPORTS)
