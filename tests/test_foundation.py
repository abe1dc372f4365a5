"""Repository-level guarantees: the roadmap is data, the example data is reproducible, packaging is in sync."""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

import pytest
import yaml

from voyager_analysis.assumptions import iter_figures

ROOT = Path(__file__).resolve().parents[1]


def test_every_roadmap_figure_has_unit_range_and_section(roadmap):
    figures = list(iter_figures(roadmap.tree))
    assert len(figures) > 150
    for f in figures:
        assert f.unit and f.section, f.path
        assert f.low <= f.high, f.path


def test_roadmap_holds_the_headline_numbers_of_the_markdown(roadmap):
    """Spot-check against the roadmap text itself: each of these strings must appear in the document, and the
    YAML must hold the same number at the named path (so the data file cannot drift from the source)."""
    doc = (ROOT / "docs" / "roadmap.md").read_text(encoding="utf-8")
    checks = {
        "phases.phase_1.revenue.gross": "$9,495/month",
        "phases.phase_3.revenue.gross": "$104,850/month",
        "phases.phase_2.costs.claude": "$5K-20K/month",
        "cost_projection.rows.u30k.cost": "| 30K   | $15,000",
        "archival.hot_storage_price": "~$0.12/GB/month",
    }
    for path, snippet in checks.items():
        assert snippet in doc, snippet
    assert roadmap.get("phases.phase_1.revenue.gross").value == 9495
    assert roadmap.get("phases.phase_3.revenue.gross").value == 104850
    assert (roadmap.get("phases.phase_2.costs.claude").low, roadmap.get("phases.phase_2.costs.claude").high) == (5000, 20000)
    assert roadmap.get("cost_projection.rows.u30k.cost").value == 15000
    assert roadmap.get("archival.hot_storage_price").value == 0.12


def _distinctive_roadmap_values(roadmap) -> set[float]:
    """Roadmap numbers unlikely to appear in code by coincidence (e.g. 18.99, 0.029, 9495, 3500)."""
    out = set()
    for f in iter_figures(roadmap.tree):
        for x in (f.low, f.high):
            if x >= 1000 and sum(d != "0" for d in str(int(x))) >= 2:
                out.add(x)
            elif 0 < x < 100 and round(x, 1) != x and x not in {0.05, 0.95, 0.25, 0.75, 0.01, 0.02}:
                out.add(x)
    return out


def _code_sources():
    for p in sorted((ROOT / "voyager_analysis").rglob("*.py")):
        yield p.relative_to(ROOT).as_posix(), p.read_text()
    for p in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(p.read_text())
        for i, c in enumerate(nb["cells"]):
            if c["cell_type"] == "code":
                yield f"{p.name} cell {i}", "".join(c["source"])


def test_no_roadmap_number_is_typed_into_code_or_notebooks(roadmap):
    values = _distinctive_roadmap_values(roadmap)
    assert {18.99, 0.029, 9495, 3500, 104850} <= values  # the scan looks for real roadmap numbers
    hits = []
    for where, src in _code_sources():
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(src).readline))
        except (tokenize.TokenError, SyntaxError, IndentationError):
            continue
        for tok in tokens:
            # scientific notation (1e-3, 1e6) is how code writes tolerances and scales, not business figures
            if tok.type == tokenize.NUMBER and "e" not in tok.string.lower():
                try:
                    x = float(tok.string.replace("_", ""))
                except ValueError:
                    continue
                if x in values:
                    hits.append(f"{where}:{tok.start[0]}: {tok.string}")
    assert not hits, "roadmap numbers typed into code (read them from roadmap.yaml): " + "; ".join(hits)


def test_example_data_recovers_its_own_truth(example_metrics):
    """The company's signups (COMPANY.n_users in all) follow a logistic curve whose inflection is at
    growth_t0_share of the period: the busiest signup month is there (or the last month, if it lies beyond)."""
    from voyager_analysis.sources.example_events import COMPANY

    assert example_metrics.new_users.sum() == COMPANY.n_users
    assert len(example_metrics) == COMPANY.n_months
    peak = min(COMPANY.growth_t0_share * COMPANY.n_months, COMPANY.n_months - 1)
    assert abs(int(example_metrics.new_users.idxmax()) - peak) <= 1


def _names(specs) -> set[str]:
    return {re.split(r"[<>=!~ \[]", s.strip(), maxsplit=1)[0].lower().replace("_", "-") for s in specs}


def test_environment_yml_matches_pyproject():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _names(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= _names(extra)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = _names(d for d in env["dependencies"] if isinstance(d, str)) - {"python", "pip"}
    assert conda == wanted, f"only in environment.yml: {conda - wanted}; only in pyproject: {wanted - conda}"


def test_required_stack_is_declared():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = _names(project["dependencies"]) | set().union(*(_names(v) for v in project["optional-dependencies"].values()))
    assert {"jupyterlab", "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "papermill", "nbval"} <= names
    assert project["requires-python"] == ">=3.11"


def test_every_subcommand_has_help(cli):
    from voyager_analysis.cli import _commands

    for name in _commands():
        r = cli(name, "--help")
        assert r.returncode == 0 and "usage:" in r.stdout, name


def test_no_generated_files_are_tracked():
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    assert not [t for t in tracked if t.startswith(("reports/", ".venv/")) or "__pycache__" in t]


def _norm(text: str) -> str:
    import re

    return " ".join(re.sub(r"[^a-z0-9~/.%$]+", " ", text.lower()).split())


def _doc_sections() -> dict[str, str]:
    """``{normalised level-2 heading: normalised text under it}`` of docs/roadmap.md."""
    out, head, buf = {}, None, []
    for line in (ROOT / "docs" / "roadmap.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            if head is not None:
                out[head] = _norm("\n".join(buf))
            head, buf = _norm(line[3:]), []
        else:
            buf.append(line)
    out[head] = _norm("\n".join(buf))
    return out


def test_every_roadmap_section_points_into_the_roadmap_document(roadmap):
    """Each figure's ``section`` ("Phase 2 > Read replicas", several joined by ';') names a level-2 heading of
    docs/roadmap.md (by its start) and, below it, text containing every further part — so a reader can find
    the sentence a number came from. Always runs: the document is part of the repository."""
    sections = _doc_sections()
    bad = []
    for f in iter_figures(roadmap.tree):
        for path in f.section.split(";"):
            first, *rest = [p.strip() for p in path.split(">")]
            heads = [h for h in sections if h.startswith(_norm(first))]
            if not heads:
                bad.append(f"{f.path}: no heading starts with '{first}'")
            elif not any(all(_norm(r) in sections[h] for r in rest) for h in heads):
                bad.append(f"{f.path}: '{' > '.join(rest)}' is not under '{first}'")
    assert not bad, "\n".join(bad)
