"""Small helpers used by the notebooks (so the notebooks stay thin)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

RESULTS_MIME = "application/json"


def jsonable(obj: Any) -> Any:
    """Turn numpy/pandas scalars and containers into plain JSON values (NaN/inf -> None)."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return obj


def show_results(results: dict) -> dict:
    """Display a notebook's headline results as ``application/json`` (the cell tagged ``results``)."""
    from IPython.display import display

    clean = jsonable(results)
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
