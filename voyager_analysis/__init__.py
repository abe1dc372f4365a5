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

__version__ = "0.1.0"

#: Public name -> module that defines it (imported on first access).
_EXPORTS = {
    "load_project": "project",
    "Project": "project",
    "InputError": "errors",
    "ConvergenceError": "errors",
    "point_value": "values",
    "resolve": "values",
    "fit_growth": "growth",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = sorted(_EXPORTS)
