"""Hostile and unlucky input (issue 18): every case gets one line on stderr, exit 2, no traceback, no hang and
no file written. Table-driven: add a row for every bug found.

Each case builds its input in a temporary folder and runs the command line in a subprocess with a time limit
(a hang fails the test instead of blocking the suite). Afterwards nothing in the temporary folder or in the
repository's data/ has changed, and no temporary leftovers exist.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import ROOT

#: One interpreter per case (a hang must not block the suite): part of `make test`, not `make test-fast`.
pytestmark = pytest.mark.slow

METRICS = (ROOT / "data" / "metrics" / "example_monthly.csv").read_text(encoding="utf-8")
ROADMAP = (ROOT / "data" / "assumptions" / "roadmap.yaml").read_text(encoding="utf-8")
METRICS_COMMANDS = (["validate", "--metrics"], ["fit", "growth", "--metrics"], ["scaling", "--metrics"],
                    ["triggers", "--metrics"])


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], list[str]]  # builds the input under tmp, returns the CLI arguments
    expect: str  # a fragment of the one-line error
    env: tuple[tuple[str, str], ...] = ()


def _symlink_loop(tmp: Path) -> Path:
    a, b = tmp / "a.csv", tmp / "b.csv"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


def _fifo(tmp: Path) -> Path:
    p = tmp / "pipe.csv"
    os.mkfifo(p)
    return p


def _metrics_with(tmp: Path, transform) -> Path:
    p = tmp / "metrics.csv"
    p.write_text(transform(METRICS), encoding="utf-8")
    return p


def _roadmap_with(tmp: Path, old: str, new: str) -> Path:
    assert old in ROADMAP, old
    p = tmp / "roadmap.yaml"
    p.write_text(ROADMAP.replace(old, new, 1), encoding="utf-8")
    return p


def _yaml_file(tmp: Path, text: str) -> Path:
    p = tmp / "roadmap.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def _big_cell(text: str) -> str:
    lines = text.splitlines()
    body = [i for i, ln in enumerate(lines) if ln and not ln.startswith("#")]
    header = lines[body[0]].split(",")
    row = lines[body[1]].split(",")
    row[header.index("users")] = '"' + "9" * 200_000 + '"'
    lines[body[1]] = ",".join(row)
    return "\n".join(lines) + "\n"


def _full_width_month(text: str) -> str:
    lines = text.splitlines()
    i = next(i for i, ln in enumerate(lines[1:], 1) if ln[:1].isdigit() and not lines[i - 1].startswith("#") and "," in ln
             and i > 2)
    y = lines[i][:4]
    lines[i] = "".join(chr(ord(c) + 0xFEE0) for c in y) + lines[i][4:]
    return "\n".join(lines) + "\n"


def _report(tmp: Path, notebook: str, *extra: str) -> list[str]:
    """``report`` of one notebook into a reports folder under tmp (which must stay unwritten)."""
    return ["report", "--out", str(tmp / "reports"), "--only", notebook, *extra]


def _scenario_with(tmp: Path, text: str) -> Path:
    p = tmp / "bad_scenario.yaml"
    p.write_text(text, encoding="utf-8")
    return p


BOMB = "\n".join(["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
                 + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]) + "\n"

CASES = [
    *[Case(f"symlink loop via {cmd[0]}", lambda t, c=cmd: [*c, str(_symlink_loop(t))], "cannot be read")
      for cmd in METRICS_COMMANDS],
    Case("metrics is /dev/zero", lambda t: ["validate", "--metrics", "/dev/zero"], "not a regular file"),
    Case("metrics is a FIFO with no writer", lambda t: ["validate", "--metrics", str(_fifo(t))], "not a regular file"),
    Case("metrics is a folder", lambda t: ["validate", "--metrics", str(t)], "is a folder"),
    Case("200 KB quoted cell", lambda t: ["validate", "--metrics", str(_metrics_with(t, _big_cell))], "malformed CSV"),
    Case("NUL bytes in metrics", lambda t: ["validate", "--metrics", str(_metrics_with(t, lambda s: s + "\x00\n"))],
         "NUL"),
    Case("full-width digits in a month", lambda t: ["validate", "--metrics",
                                                    str(_metrics_with(t, _full_width_month))], "month"),
    Case("file over the input size limit", lambda t: ["validate", "--metrics", str(_metrics_with(t, lambda s: s))],
         "input limit", env=(("VOYAGER_MAX_INPUT_MB", "0.001"),)),
    Case("unit is a list", lambda t: ["validate", "--assumptions",
                                      str(_roadmap_with(t, "unit: usd_per_month", "unit: [usd]"))], "must be text"),
    Case("qualifier is a list", lambda t: ["validate", "--assumptions",
                                           str(_roadmap_with(t, "qualifier: approx", "qualifier: [x]"))], "must be text"),
    Case("400-digit integer", lambda t: ["validate", "--assumptions",
                                         str(_roadmap_with(t, "{low: 20, high: 20,", "{low: 20, high: " + "9" * 400 + ","))],
         "too large"),
    Case("wrong but valid unit on a cost", lambda t: ["validate", "--assumptions",
                                                      str(_roadmap_with(t, "{low: 20, high: 20, unit: usd_per_month",
                                                                        "{low: 20, high: 20, unit: users"))],
         "does not fit"),
    Case("YAML nested 5,000 deep", lambda t: ["validate", "--assumptions", str(_yaml_file(t, "a: " + "[" * 5000 + "]" * 5000))],
         "nested deeper"),
    Case("billion laughs", lambda t: ["validate", "--assumptions", str(_yaml_file(t, BOMB))], "aliases"),
    Case("example-data --out an existing folder", lambda t: ["example-data", "--out", str(t)], "is a folder"),
    Case("simulate --users 1e300", lambda t: ["simulate", "--users", "1e300", "--draws", "10"], "users must be"),
    Case("simulate --users above the limit", lambda t: ["simulate", "--users", "2e10", "--draws", "10"], "1e+10"),
    # report: every parameter, scenario and data file is checked in the plan step (exit 2, nothing written)
    *[Case(f"report -p {nb[:2]} {param}", lambda t, nb=nb, param=param: _report(t, nb, "-p", param),
           expect) for nb, param, expect in [
        ("04_claude_routing", "users=-5", "parameter users: -5 is out of range"),
        ("04_claude_routing", "users=abc", "users"),
        ("04_claude_routing", "users=20000000000", "parameter users: 2e+10 is out of range"),
        ("04_claude_routing", "sonnet_share=-0.5", "parameter sonnet_share: -0.5 is out of range; expected 0 to 1"),
        ("04_claude_routing", "sonnet_share=.nan", "parameter sonnet_share: expected a finite number"),
        ("04_claude_routing", "sonnet_share=.inf", "parameter sonnet_share: expected a finite number"),
        ("04_claude_routing", "messages_per_user_month=-7", "parameter messages_per_user_month: -7"),
        ("04_claude_routing", "budget_usd=-50", "parameter budget_usd: -50"),
        ("05_conversion", "users=0", "parameter users: 0 is out of range"),
        ("06_archival", "inactive_months_threshold=-3", "parameter inactive_months_threshold: -3"),
        ("06_archival", "users_growth_per_month=-2", "parameter users_growth_per_month: -2 is out of range"),
        ("06_archival", "horizon_months=-1", "parameter horizon_months: -1 is out of range"),
        ("07_decisions", "roi_users=-5", "parameter roi_users: -5"),
        ("02_growth_usage", "level=0", "parameter level: 0 is out of range; expected 0.01 to 0.999"),
        ("02_growth_usage", "level=1", "parameter level: 1 is out of range"),
        ("03_costs_scaling", "draws=2.5", "draws"),
    ]],
    Case("report with a bad metrics file", lambda t: _report(t, "02_growth_usage", "-p", "metrics_path="
                                                               + str(_metrics_with(t, lambda s: s + "\x00\n"))), "NUL"),
    Case("report with a bad roadmap", lambda t: _report(t, "01_roadmap_audit", "-p", "roadmap_path="
                                                        + str(_roadmap_with(t, "unit: usd_per_month", "unit: [usd]"))),
         "must be text"),
    Case("report with a bad scenario", lambda t: _report(t, "03_costs_scaling", "--scenario", str(_scenario_with(
        t, "description: x\noverrides:\n  no_such_input: 3\n"))), "unknown input"),
    Case("example-data --out below a file", lambda t: ["example-data", "--out", str(_metrics_with(t, str) / "x.csv")],
         "cannot be written"),
]


def _snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for folder in folders:
        for p in folder.rglob("*"):
            if p.is_symlink() or not p.is_file():
                out[str(p)] = (0, 0)
            else:
                st = p.stat()
                out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input_gets_one_line_and_exit_2(case, tmp_path):
    args = case.make(tmp_path)
    before = _snapshot(tmp_path, ROOT / "data")
    env = {**os.environ, **dict(case.env)}
    try:
        r = subprocess.run([sys.executable, "-m", "voyager_analysis", *args], cwd=ROOT, capture_output=True,
                           text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case.name}: hung (over 60 s)")
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr[:2000]
    assert case.expect in lines[0], lines[0]
    assert len(lines[0]) <= 420
    assert _snapshot(tmp_path, ROOT / "data") == before
    assert not [p for p in tmp_path.parent.rglob("*.tmp")]
