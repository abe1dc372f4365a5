"""Every notebook parameter is visible to papermill, as declared: the ``parameters`` cell parsed with ``ast``
(names, annotated types, literal defaults, the comment after each) equals ``papermill.inspect_notebook``'s
own reading (what ``papermill --help-notebook`` prints), every help text starts with its unit, and the
README's papermill example passes no parameter papermill calls unknown."""

from __future__ import annotations

import ast
import io
import json
import re
import shlex
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
#: Words that say what a parameter is measured or named in (the first clause of its help text has one).
UNIT_WORDS = {"path", "folder", "name", "users", "count", "fraction", "months", "month", "usd", "usd/month", "integer",
              "tokens", "flag", "messages", "hours", "visits", "conversations", "views", "yyyy-mm", "yyyy-mm-dd",
              "row", "seed", "percent", "gb", "draws", "list"}
#: Help texts still without a unit word; their comments belong to the parameter-validation work (issue 18).
#: Remove an entry when its comment says its unit (e.g. "count; Sobol' base sample size ...").
AWAITING_UNIT: set[tuple[str, str]] = set()


def declared(notebook: Path) -> dict[str, dict]:
    """The parameters cell read with ``ast`` and ``tokenize``: name → type, default source, comment."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{notebook.name}: one cell tagged 'parameters'"
    source = "".join(cells[0]["source"])
    comments = {tok.start[0]: tok.string.lstrip("#").strip()
                for tok in tokenize.generate_tokens(io.StringIO(source).readline) if tok.type == tokenize.COMMENT}
    out = {}
    for node in ast.parse(source).body:
        assert isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name), \
            f"{notebook.name} line {node.lineno}: only `name: type = literal  # unit; meaning` lines"
        value = ast.literal_eval(node.value)  # literals only
        out[node.target.id] = {"type": ast.unparse(node.annotation), "default": ast.get_source_segment(source, node.value),
                               "value": value, "help": comments.get(node.lineno, "")}
    return out


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_reads_every_declared_parameter(notebook):
    import papermill

    ours = declared(notebook)
    theirs = papermill.inspect_notebook(str(notebook))
    assert ours, f"{notebook.name} declares no parameter"
    assert list(theirs) == list(ours), f"papermill misses {sorted(set(ours) - set(theirs))}"
    for name, p in ours.items():
        seen = theirs[name]
        assert seen["inferred_type_name"] == p["type"], (name, seen)
        assert seen["default"] == p["default"], (name, seen)
        assert seen["help"] == p["help"], (name, seen)
        expected = {"int": int, "float": (int, float), "str": str, "bool": bool, "list": list}[p["type"]]
        assert isinstance(p["value"], expected) and not (p["type"] == "int" and isinstance(p["value"], bool)), \
            f"{notebook.name}: {name}: default {p['default']} is not a {p['type']}"


def _unit_of(help_text: str) -> str:
    return re.split(r"[;:(]| -1 | \[", help_text, maxsplit=1)[0].strip()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_help_text_names_its_unit_first(notebook):
    missing = [f"{name}: {p['help']!r}" for name, p in declared(notebook).items()
               if (notebook.stem, name) not in AWAITING_UNIT and not set(re.findall(r"[\w/'-]+", _unit_of(p["help"]).lower())) & UNIT_WORDS]
    assert not missing, f"{notebook.name}: help text without a unit: {missing}"


def test_the_unit_rule_can_fail():
    assert _unit_of("users [1, 1e10]; monthly active users (-1 means ...)") == "users"
    assert not set(re.findall(r"[\w/'-]+", _unit_of("how big the sample is; more is slower").lower())) & UNIT_WORDS


def _readme_example() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"`(papermill 0\d_\w+\.ipynb out\.ipynb[^`]*)`", text.replace("\n", " "))
    assert found, "the README shows a papermill example"
    return shlex.split(found.group(1))


def test_readme_papermill_example_passes_only_known_parameters(tmp_path):
    args = _readme_example()
    notebook, names = args[1], [args[i + 1] for i, a in enumerate(args) if a == "-p"]
    assert names, args
    known = declared(ROOT / "notebooks" / notebook)
    assert set(names) <= set(known), f"the README passes unknown parameters {set(names) - set(known)}"
    # and papermill itself agrees: parameterise (without running a kernel) and look for its warning
    proc = subprocess.run([sys.executable, "-m", "papermill", *args[1:2], str(tmp_path / "out.ipynb"), *args[3:],
                           "--prepare-only"], cwd=ROOT / "notebooks", capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "unknown parameter" not in (proc.stdout + proc.stderr).lower(), proc.stderr[-2000:]
    injected = [c for c in json.loads((tmp_path / "out.ipynb").read_text(encoding="utf-8"))["cells"]
                if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    assert injected and all(f"{n} = " in "".join(injected[0]["source"]) for n in names)


def test_unknown_parameter_is_what_papermill_warns_about(tmp_path):
    """The check above would see the warning: papermill does print it for a name the notebook lacks."""
    proc = subprocess.run([sys.executable, "-m", "papermill", "04_claude_routing.ipynb", str(tmp_path / "o.ipynb"),
                           "-p", "no_such_parameter", "1", "--prepare-only"], cwd=ROOT / "notebooks",
                          capture_output=True, text=True, timeout=300)
    assert "unknown parameter" in (proc.stdout + proc.stderr).lower(), proc.stderr[-2000:]


@pytest.mark.slow
def test_readme_papermill_example_runs(tmp_path):
    args = _readme_example()
    proc = subprocess.run([sys.executable, "-m", "papermill", args[1], str(tmp_path / "out.ipynb"), *args[3:]],
                          cwd=ROOT / "notebooks", capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "unknown parameter" not in proc.stderr.lower()
