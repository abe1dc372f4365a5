"""Small helpers used by the notebooks (so the notebooks stay thin)."""

from __future__ import annotations

import json
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
