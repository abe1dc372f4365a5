"""Every committed notebook is clean (no outputs) and has the `parameters` and `results` cells."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert any(p.name.startswith("01_") for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs", []) == [], f"{path.name} cell {i} has outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has an execution count"


def _tagged(nb, tag):
    return [c for c in nb["cells"] if tag in c.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_is_typed_literals(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = _tagged(nb, "parameters")
    assert len(cells) == 1, f"{path.name}: expected exactly one cell tagged 'parameters'"
    source = "".join(cells[0]["source"])
    tree = ast.parse(source)
    assert tree.body, "parameters cell is empty"
    lines = source.splitlines()
    for node in tree.body:
        assert isinstance(node, ast.AnnAssign), f"{path.name}: line {node.lineno} is not `name: type = literal`"
        ast.literal_eval(node.value)  # raises if not a literal
        assert "#" in lines[node.lineno - 1], f"{path.name}: parameter on line {node.lineno} lacks a unit comment"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_results_cell_is_last_code_cell(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = _tagged(nb, "results")
    assert len(cells) == 1, f"{path.name}: expected exactly one cell tagged 'results'"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[-1] is cells[0], f"{path.name}: the 'results' cell must be the final code cell"
    assert "show_results" in "".join(cells[0]["source"])
