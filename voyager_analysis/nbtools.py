"""Small helpers used by the notebooks (so the notebooks stay thin)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

RESULTS_MIME = "application/json"


def show_results(results) -> dict:
    """Display a notebook's headline results as ``application/json`` (the cell tagged ``results``).

    ``results`` is the notebook's :class:`voyager_analysis.contracts.Payload` (checked at construction); a
    plain mapping is still accepted while a notebook has no contract.
    """
    from IPython.display import display

    from voyager_analysis.results import to_jsonable

    clean = results.to_json() if hasattr(results, "to_json") else to_jsonable(results)
    display({RESULTS_MIME: clean, "text/plain": json.dumps(clean, indent=2)}, raw=True)
    return clean


def read_results(notebook_path: str | Path) -> dict | None:
    """The ``results`` JSON of an executed notebook, or None if it has none.

    Reads the notebook as plain JSON: importing nbformat costs seconds (its schema validator), which
    a summary notebook reading its sibling notebooks would pay in every report run.
    """
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "results" in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if RESULTS_MIME in data:
                    return data[RESULTS_MIME]
    return None


def check_parameters(notebook: str, namespace: Mapping[str, Any]) -> None:
    """Check a notebook's parameters (``globals()`` after the injected cell) against the ranges its own
    ``parameters`` cell declares in its comments (:func:`voyager_analysis.values.parameter_rules`): the rule the
    report's plan step applies, so papermill users get the same one-line InputError naming the parameter.

    The declarations are read from ``<notebook>.ipynb`` in the working directory (where Jupyter and the report
    runner start the kernel), else in the repository's ``notebooks/``.
    """
    from voyager_analysis import config
    from voyager_analysis.values import check_declared, parameter_rules

    path = Path(f"{notebook}.ipynb")
    if not path.is_file():
        path = config.NOTEBOOKS_DIR / path.name
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    source = next(("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code"
                   and "parameters" in c.get("metadata", {}).get("tags", [])), "")
    check_declared(namespace, parameter_rules(source))
