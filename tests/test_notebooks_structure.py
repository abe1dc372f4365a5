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


# --- thin notebooks (issue 12) ------------------------------------------------------------------------------------

#: A notebook calls, shows and explains; the computing lives in the package.
MAX_CODE_LINES = 80
MAX_CELL_LINES = 25


def _code_lines(source: str) -> int:
    """Non-blank lines that are not only a comment."""
    return sum(1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#"))


def test_code_line_count_ignores_blanks_and_comments():
    assert _code_lines("x = 1\n\n# a comment\n    # indented comment\ny = 2  # trailing\n") == 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [("".join(c["source"]), i) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    total = sum(_code_lines(src) for src, _ in cells)
    assert total <= MAX_CODE_LINES, f"{path.name}: {total} lines of code (at most {MAX_CODE_LINES}); move logic to the package"
    for src, i in cells:
        assert _code_lines(src) <= MAX_CELL_LINES, f"{path.name} cell {i}: {_code_lines(src)} lines (at most {MAX_CELL_LINES})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameter_comments_have_no_equals_sign(path):
    """papermill's --help-notebook drops a parameter whose comment holds '=': write '-1 means ...'."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    source = "".join(_tagged(nb, "parameters")[0]["source"])
    for lineno, line in enumerate(source.splitlines(), 1):
        if "#" in line:
            comment = line.split("#", 1)[1]
            assert "=" not in comment, f"{path.name} parameters line {lineno}: '=' in the comment: {comment.strip()}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_results_cell_builds_its_contract_payload(path):
    """The results cell emits the notebook's ``contracts.<module>.Payload`` (checked when built)."""
    from voyager_analysis import contracts

    nb = json.loads(path.read_text(encoding="utf-8"))
    assert path.stem in contracts.MODULES, f"{path.name} has no results contract in contracts.MODULES"
    module = f"voyager_analysis.contracts.{contracts.MODULES[path.stem]}"
    results = "".join(_tagged(nb, "results")[0]["source"])
    setup = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    tree = ast.parse(results)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    names = {ast.unparse(c.func) for c in calls}
    assert any(n == "Payload" or n.endswith(".Payload") for n in names), f"{path.name}: results cell builds no Payload"
    assert (f"from {module} import Payload" in setup or f"{module}.Payload" in setup
            or f"contracts.{contracts.MODULES[path.stem]}.Payload" in setup), \
        f"{path.name}: the Payload used is not {module}.Payload"
