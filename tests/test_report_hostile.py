"""Issue 18 at the report level: every parameter is checked against the range its notebook declares before any
kernel starts; nothing executable and no absolute path reaches a shared report (checked by parsing the HTML).

The per-invocation cases (bad ``-p`` values, bad data files reached through ``report``: exit 2, one line,
nothing written) are rows of ``tests/test_hostile_inputs.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import ROOT
from voyager_analysis.report import plan as plan_mod
from voyager_analysis.report.provenance import Scrubber, inert_html, inert_markdown
from voyager_analysis.scenarios import Scenario, markdown_text

PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "[link](javascript:alert(3))")
HOSTILE = " ".join(PAYLOADS)


class Markup(HTMLParser):
    """What a browser would execute: script elements and their text, on* attributes, javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.js_urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")
        for k, v in attrs:
            if k.startswith("on"):
                self.handlers.append((tag, k))
            if v and "".join(v.split()).lower().startswith(("javascript:", "vbscript:")):
                self.js_urls.append(v)

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def markup(html: str) -> Markup:
    m = Markup()
    m.feed(html)
    m.close()
    return m


def assert_inert(html: str) -> None:
    m = markup(html)
    assert not [s for s in m.scripts if "alert(" in s], m.scripts
    assert not m.handlers and not m.js_urls, (m.handlers, m.js_urls)


def render_markdown(text: str) -> str:
    from nbconvert.filters.markdown import markdown2html_mistune

    return markdown2html_mistune(text)


def test_the_parser_used_below_does_see_live_payloads():  # the checks below could fail
    m = markup(render_markdown("\n\n".join(PAYLOADS)))
    assert m.scripts and m.handlers == [("img", "onerror")] and m.js_urls == ["javascript:alert(3)"]


def test_scenario_description_is_literal_text_in_markdown():
    md = Scenario(name="evil", description=HOSTILE + " *bold* a_b &#106;x").markdown("2026-11-01")
    html = render_markdown(md)
    assert_inert(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "*bold* a_b &amp;#106;x" in html  # as written
    assert markdown_text("a\n  b") == "a b"


@pytest.mark.parametrize("text", [
    HOSTILE, "\n\n".join(PAYLOADS), "- Phase 1 " + HOSTILE, "[x](&#106;avascript:alert(1))", "[x](<javascript:alert(1)>)", "[x][r]\n\n[r]: JavaScript:alert(1)",
    "<a href='javascript:alert(1)'>x</a>", "[x](%6Aavascript:alert(1))", "<svg onload=alert(1)>",
])
def test_markdown_outputs_lose_raw_html_and_unsafe_links(text):
    assert_inert(render_markdown(inert_markdown(text)))


def test_markdown_outputs_keep_what_is_safe():
    text = "p < 0.05, <5%, [docs](https://example.com/a), [here](other.html#x), [m](mailto:a@b.c), **b**"
    assert inert_markdown(text) == text


def test_html_outputs_are_rebuilt_without_scripts_handlers_or_script_urls():
    html = ("<style>td > b {color: red}</style><div onclick='x()'><table><tr><td>a &amp; b &lt;i&gt;</td><td>"
            + HOSTILE + "<a href=' JaVa&#115;cript:x'>m</a><a href='https://e.com/x'>ok</a>"
            "<img src='data:image/png;base64,AA'/></td></tr></table><iframe src='x'></iframe></div>")
    out = inert_html(html)
    assert_inert(out)
    assert "<style>td > b {color: red}</style>" in out and "a &amp; b &lt;i&gt;" in out
    assert 'href="https://e.com/x"' in out and 'src="data:image/png;base64,AA"' in out and "iframe" not in out


def test_scrubber_shows_an_outside_absolute_path_as_its_file_name():
    scrub = Scrubber([])
    assert scrub("Inputs: /tmp/pytest-of-x/t0/outside/x.csv (12 months)") == "Inputs: x.csv (12 months)"
    assert scrub('{"metrics_path": "/home/alice/m.csv"}') == '{"metrics_path": "m.csv"}'
    kept = ["https://example.com/a/b.html", "<repo>/data/x.csv", "usd/month/user", "</td></tr>", "../data/x.csv",
            "~/notes/a.txt", "1/2/3"]
    assert [scrub(t) for t in kept] == kept
    assert scrub.walk({"text/markdown": ["<b>", "x"]}) == {"text/markdown": ["&lt;b>", "x"]}


def test_every_notebook_parameter_has_a_rule_its_default_obeys():
    specs = [plan_mod.NotebookSpec(p, plan_mod.declared_parameters(p)) for p in plan_mod.discover_notebooks(
        ROOT / "notebooks")]
    numeric = [(s.name, p) for s in specs for p in s.parameters.values() if p.type_name in ("int", "float")]
    assert len(numeric) > 30 and all(p.rule is not None for _, p in numeric)
    for s in specs:
        for p in s.parameters.values():
            p.rule.check(p.name, p.default)
    rules = {(n, p.name): p.rule for n, p in numeric}
    assert rules[("02_growth_usage", "level")].low == 0.01  # a level must lie in (0, 1)
    assert rules[("04_claude_routing", "users")].sentinel and not rules[("06_archival", "horizon_months")].sentinel
    plan_mod.plan_run(out_dir=ROOT / "reports-never-written")  # the shipped defaults and data pass the plan step
    assert not (ROOT / "reports-never-written").exists()


@pytest.mark.slow
def test_html_report_from_hostile_inputs_carries_no_markup_and_no_absolute_path(tmp_path):
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    shutil.copytree(ROOT / "notebooks", repo / "notebooks")
    shutil.copytree(ROOT / "data", repo / "data", ignore=shutil.ignore_patterns("events", "bills"))
    outside.mkdir()
    metrics = outside / "x.csv"
    shutil.copy(ROOT / "data" / "metrics" / "example_monthly.csv", metrics)
    roadmap = repo / "data" / "assumptions" / "roadmap.yaml"
    text = roadmap.read_text(encoding="utf-8")
    assert 'label: "Phase 1: 5K-10K users"' in text
    roadmap.write_text(text.replace('label: "Phase 1: 5K-10K users"', f"label: 'Phase 1 {HOSTILE}'", 1),
                       encoding="utf-8")
    scenario = repo / "data" / "scenarios" / "evil.yaml"
    lines = (repo / "data" / "scenarios" / "pessimistic.yaml").read_text(encoding="utf-8").splitlines()
    scenario.write_text("\n".join(f"description: '{HOSTILE}'" if ln.startswith("description:") else ln
                                  for ln in lines) + "\n", encoding="utf-8")
    out = tmp_path / "reports"
    env = {**os.environ, "VOYAGER_ROOT": str(repo)}
    r = subprocess.run([sys.executable, "-m", "voyager_analysis", "report", "--notebooks", str(repo / "notebooks"),
                        "--data", str(repo / "data"), "--out", str(out), "--only", "01_roadmap_audit",
                        "03_costs_scaling", "04_claude_routing", "--scenario", str(scenario), "-p",
                        f"metrics_path={metrics}", "-p", "draws=500", "-p", "sobol_n=64", "--jobs", "2", "--json"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    run = out / json.loads(r.stdout)["run_id"]
    pages = sorted(run.glob("*.html")) + [out / "index.html"]
    assert len(pages) == 4
    shown = {"03_costs_scaling": "onerror=alert(2)", "04_claude_routing": "onerror=alert(2)"}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert_inert(html)
        if page.stem in shown:  # the payload is there, as text
            assert shown[page.stem] in html
    for f in [*pages, run / "manifest.json", *run.glob("*.ipynb")]:
        text = f.read_text(encoding="utf-8")
        assert str(tmp_path) not in text and os.path.realpath(tmp_path) not in text, f.name
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["metrics_path"] == "x.csv"


def test_notebooks_can_check_their_parameters_with_the_same_rule(monkeypatch):
    from voyager_analysis.errors import InputError
    from voyager_analysis.nbtools import check_parameters

    monkeypatch.chdir(ROOT)  # not the notebooks folder: falls back to the repository's notebooks/
    good = {"users": -1, "sonnet_share": 0.3, "budget_usd": 500.0, "haiku_model": "", "seed": 1, "other": -9}
    check_parameters("04_claude_routing", good)
    with pytest.raises(InputError, match=r"^parameter sonnet_share: -0\.5 is out of range; expected 0 to 1"):
        check_parameters("04_claude_routing", {**good, "sonnet_share": -0.5})
    with pytest.raises(InputError, match=r"^parameter level: 0 is out of range"):
        check_parameters("02_growth_usage", {"level": 0})
