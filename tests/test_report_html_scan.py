"""Every report page a person reads is free of raw values: the shipped notebooks are run once through the
runner, and every table cell of every HTML page is scanned for NaN, nan, inf, None, True/False and scientific
notation (1e-06, 9.219e+04), and every page for the raw results JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW_CELL = re.compile(r"^[-−]?(?:NaN|nan|inf|Infinity|None|True|False|NaT|<NA>|null)$")
SCIENTIFIC = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?[eE][+-]?\d+(?![\w])")


class _Cells(HTMLParser):
    """Text of every ``td``/``th`` cell, and of every ``pre``/output block outside script and style."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells, self.blocks, self._cell, self._pre, self._skip = [], [], None, None, 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "pre":
            self._pre = []

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "pre" and self._pre is not None:
            self.blocks.append("".join(self._pre))
            self._pre = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        if self._pre is not None:
            self._pre.append(data)


def raw_values(page: str) -> list[str]:
    """Table cells of ``page`` showing a raw value (NaN, None, True, 1e-06, ...), each once."""
    parser = _Cells()
    parser.feed(page)
    bad = [c for c in parser.cells if RAW_CELL.match(c) or SCIENTIFIC.search(c)]
    return sorted(set(bad))


def raw_json(page: str) -> list[str]:
    """``pre`` blocks of ``page`` that are a printed JSON object (such as a notebook's results)."""
    parser = _Cells()
    parser.feed(page)
    found = []
    for block in parser.blocks:
        text = block.strip()
        if text.startswith("{") and text.endswith("}"):
            try:
                if isinstance(json.loads(text), dict):
                    found.append(text[:120])
            except ValueError:
                pass
    return found


def test_the_scanner_sees_raw_values_and_json():
    page = ("<table><tr><th>a</th><td>NaN</td><td>nan</td><td>inf</td><td>None</td><td>True</td><td>False</td>"
            "<td>1e-06</td><td>9.219e+04</td><td>$92,190</td><td>—</td><td>yes</td><td>Nancy</td><td>2026-11</td>"
            "<td>None of them</td></tr></table><pre>{\"margin\": 0.6384734313965987}</pre>"
            "<script>var x = {\"a\": NaN}</script><p>True story</p>")
    assert raw_values(page) == sorted(["NaN", "nan", "inf", "None", "True", "False", "1e-06", "9.219e+04"])
    assert raw_json(page) == ['{"margin": 0.6384734313965987}']
    assert raw_values("<table><tr><td>$92,190</td><td>2.5e3 users</td></tr></table>") == ["2.5e3 users"]


@pytest.fixture(scope="session")
def full_report(tmp_path_factory) -> Path:
    """The shipped notebooks run once through the runner; the folder holding index.html and the run."""
    out = tmp_path_factory.mktemp("reports")
    proc = subprocess.run([sys.executable, "-m", "voyager_analysis", "report", "--out", str(out), "--force"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def report_pages(out: Path) -> list[Path]:
    run = (out / "latest").resolve()
    pages = sorted(run.glob("*.html"))
    assert len(pages) == len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))), pages
    return [out / "index.html", *pages]


@pytest.mark.slow
def test_no_report_page_shows_raw_values_or_json(full_report):
    problems = {}
    for page in report_pages(full_report):
        text = page.read_text(encoding="utf-8")
        found = raw_values(text) + raw_json(text)
        if found:
            problems[page.name] = found[:10]
    assert not problems, problems
