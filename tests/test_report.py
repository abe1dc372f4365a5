"""The report runner: validation before anything runs, dated run folders, manifest, latest, pruning,
locking, interruption, the schedule recipe, and self-contained private HTML (checked in Chromium).
Reuse of unchanged notebooks: test_report_reuse.py; the index dashboard: test_report_index.py.

The notebooks run here are small fixtures written by :func:`make_project` (with nbformat) into a
temporary project folder: ``notebooks/`` (00_summary, 01_alpha, 02_beta, 03_fails), ``data/`` and a
scenario file. Tests that start kernels are marked ``slow``.
"""

from __future__ import annotations

import configparser
import fcntl
import getpass
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from voyager_analysis import config, report
from voyager_analysis.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
REMOTE_LOAD = re.compile(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//", re.I)
BASE64 = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+")


# --- the fixture project -------------------------------------------------------------------------------------

def _notebook(path: Path, title: str, parameters: str, cells: list[str], results: str) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    res = new_code_cell(f"from voyager_analysis.nbtools import show_results\nshow_results({results})")
    res.metadata["tags"] = ["results"]
    nb.cells = [new_markdown_cell(f"# {title}\n\nA fixture notebook."), params,
                *[new_markdown_cell(c[3:]) if c.startswith("md:") else new_code_cell(c) for c in cells], res]
    nbformat.write(nb, str(path))


def make_project(root: Path, *, slow: bool = False) -> Path:
    """A project folder: notebooks/, data/ (with a copy of the real prices), scenario.yaml."""
    nbs = root / "notebooks"
    nbs.mkdir(parents=True)
    (root / "data" / "sub").mkdir(parents=True)
    (root / "data" / "inputs.yaml").write_text("growth: 0.3\n", encoding="utf-8")
    (root / "data" / "sub" / "table.csv").write_text("month,users\n2026-01,10\n", encoding="utf-8")
    shutil.copytree(config.PRICES_DIR, root / "data" / "prices")
    (root / "scenario.yaml").write_text("description: Fixture scenario without overrides.\n", encoding="utf-8")
    (root / "bad_scenario.yaml").write_text("descripton: typo\n", encoding="utf-8")
    _notebook(nbs / "01_alpha.ipynb", "Alpha cost check",
              "users: int = 100  # users; monthly active users\nprice_usd: float = 0.5  # USD per user-month",
              ["cost_usd = users * price_usd\nprint(f'cost {cost_usd}')",
               "md:The figure below shows users.",
               "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2, 3], [users, 2 * users, 3 * users])\nax.set_title('alpha users');"],
              "{'users': users, 'cost_usd': cost_usd}")
    _notebook(nbs / "02_beta.ipynb", "Beta inputs",
              "scenario: str = ''  # path of a scenario YAML; '' = none",
              ["from voyager_analysis.files import read_yaml\ninputs = read_yaml('../data/inputs.yaml')\n"
               "described = read_yaml(scenario)['description'] if scenario else 'none'"],
              "{'growth': inputs['growth'], 'scenario': described}")
    _notebook(nbs / "03_fails.ipynb", "Fails on purpose",
              "missing: str = '../data/missing.yaml'  # a file that does not exist",
              ["print('before the failure')", "from voyager_analysis.files import read_yaml\nread_yaml(missing)"],
              "{'never': True}")
    _notebook(nbs / "00_summary.ipynb", "Summary of the run",
              "run_dir: str = '.'  # folder of this run's executed notebooks",
              ["from pathlib import Path\nfrom voyager_analysis.nbtools import read_results\n"
               "from voyager_analysis.summary.run import wait_for_run\nwait_for_run(Path(run_dir))\n"
               "found = {p.stem: read_results(p) for p in sorted(Path(run_dir).glob('*.ipynb')) "
               "if not p.name.startswith('00_')}"],
              "{'notebooks_seen': sorted(found), 'alpha_cost_usd': (found.get('01_alpha') or {}).get('cost_usd')}")
    if slow:
        _notebook(nbs / "05_slow.ipynb", "Slow", "seconds: int = 120  # seconds to sleep",
                  ["import time\ntime.sleep(seconds)"], "{'slept': seconds}")
    return root


def report_args(project: Path, *args: str) -> list[str]:
    return ["--notebooks", str(project / "notebooks"), "--data", str(project / "data"),
            "--out", str(project / "reports"), *args]


def report_cmd(project: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "voyager_analysis", "report", *report_args(project, *args)]


def run_report_cli(project: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(report_cmd(project, *args), cwd=project, capture_output=True, text=True,
                          timeout=timeout)


def run_folders(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.is_dir() and not p.is_symlink()) if out.exists() else []


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj")


# --- validation: exit 2, nothing written (no kernels) ------------------------------------------------------

def test_parameters_are_yaml_scalars():
    got = report.parse_parameter_args(["users=5000", "sonnet_share=0.3", "label=abc", "flag=true", "q='7'",
                                       "start=2026-01", "day=2026-01-31"])
    assert got["start"][0] == "2026-01" and got["day"][0] == "2026-01-31"  # dates stay text
    assert got["users"][0] == 5000 and isinstance(got["users"][0], int)
    assert got["sonnet_share"][0] == 0.3 and isinstance(got["sonnet_share"][0], float)
    assert got["label"][0] == "abc" and got["flag"][0] is True and got["q"][0] == "7"
    for bad in (["users"], ["1x=3"], ["a=[1, 2]"], ["a={b: 1}"], ["a=1", "a=2"]):
        with pytest.raises(InputError):
            report.parse_parameter_args(bad)


def test_declared_parameters_read_the_typed_lines(project):
    params = report.declared_parameters(project / "notebooks" / "01_alpha.ipynb")
    assert params == {"users": report.Parameter("users", "int", 100),
                      "price_usd": report.Parameter("price_usd", "float", 0.5)}
    assert report.declared_parameters(project / "notebooks" / "02_beta.ipynb")["scenario"].default == ""


def test_plan_injects_parameters_only_where_declared_and_marks_explorations(project):
    kw = dict(notebooks_dir=project / "notebooks", out_dir=project / "reports", data_dir=project / "data")
    plan = report.plan_run(**kw, parameters=["users=5", "price_usd=2"], scenario=project / "scenario.yaml")
    assert plan.injected["01_alpha"] == {"users": 5, "price_usd": 2.0}  # the int 2 becomes the declared float
    assert isinstance(plan.injected["01_alpha"]["price_usd"], float)
    assert plan.injected["02_beta"] == {"scenario": "../scenario.yaml"}  # relative to the notebooks folder
    assert plan.injected["03_fails"] == {} and plan.injected["00_summary"] == {}
    assert [s.name for s in plan.notebooks] == ["00_summary", "01_alpha", "02_beta", "03_fails"]
    assert not (project / "reports").exists()
    assert plan.exploration
    assert not report.plan_run(**kw).exploration  # every notebook, defaults: a full run
    assert report.plan_run(**kw, only=["01_alpha"]).exploration
    assert report.plan_run(**kw, parameters=["users=5"]).exploration
    assert report.plan_run(**kw, scenario=project / "scenario.yaml").exploration


@pytest.mark.parametrize("args, expected", [
    (["-p", "user=5"], ["-p user", "did you mean 'users'", "valid: missing, price_usd, users"]),
    (["-p", "users=abc"], ["01_alpha declares users as int", "'abc'"]),
    (["-p", "users=2.5"], ["declares users as int"]),
    (["--only", "01_alfa"], ["unknown notebook '01_alfa'", "valid: 00_summary, 01_alpha, 02_beta, 03_fails"]),
    (["--only", "01_alpha", "-p", "missing=x"], ["no selected notebook declares", "valid: price_usd, users"]),
    (["--scenario", "nope.yaml"], ["nope.yaml", "file not found"]),
    (["--scenario", "bad_scenario.yaml"], ["bad_scenario.yaml: descripton: unknown key", "'description'"]),
    (["--scenario", "pessimistc"], ["unknown scenario 'pessimistc'", "did you mean 'pessimistic'"]),
    (["--data", "no-such-folder"], ["no-such-folder", "folder not found"]),
    (["--only", "01_alpha", "--scenario", "scenario.yaml"], ["no selected notebook declares a 'scenario'"]),
    (["-p", "run_dir=x"], ["set by the report runner"]),
    (["-p", "scenario=x"], ["use --scenario FILE"]),
    (["--keep", "0"], ["--keep must be at least 1"]),
    (["--jobs", "0"], ["--jobs must be at least 1"]),
])
def test_bad_input_exits_2_before_anything_is_written(project, args, expected, cli):
    proc = cli("report", *report_args(project, *args), cwd=project)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr  # one line, no traceback
    for text in expected:
        assert text in lines[0]
    assert not (project / "reports").exists()


def test_a_parameters_cell_that_is_not_python_is_refused_naming_the_notebook(project):
    _notebook(project / "notebooks" / "04_magic.ipynb", "Magic", "%matplotlib inline\nx = 1", [], "{}")
    with pytest.raises(InputError, match=r"04_magic.ipynb.*parameters cell line 1"):
        report.plan_run(notebooks_dir=project / "notebooks", data_dir=project / "data")


def test_no_wait_exits_2_while_another_run_holds_the_lock(project, cli):
    out = project / "reports"
    out.mkdir()
    with open(out / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("pid 12345, started 2026-01-01T00:00:00Z\n")
        held.flush()
        proc = cli("report", *report_args(project, "--only", "01_alpha", "--no-wait"), cwd=project)
    assert proc.returncode == 2
    assert "another report run is writing to this folder (pid 12345" in proc.stderr
    assert run_folders(out) == [] and not (out / "index.html").exists()


def test_a_reports_folder_that_cannot_be_written_is_one_line_and_exit_2(project, cli):
    out = project / "reports"
    (out / ".lock").mkdir(parents=True)  # os.open(O_RDWR) of a folder fails even for root
    proc = cli("report", *report_args(project, "--only", "01_alpha"), cwd=project)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: reports folder") and "Traceback" not in proc.stderr
    assert "Is a directory" in lines[0] and str(project) not in lines[0]
    assert run_folders(out) == [".lock"]


def test_a_full_disk_during_a_run_is_one_line_and_exit_2(project, cli, monkeypatch):
    import errno

    from voyager_analysis.report import runs

    def full(out_dir):
        raise OSError(errno.ENOSPC, "No space left on device", str(out_dir / ".tmp-x"))

    monkeypatch.setattr(runs, "remove_stale_tmp", full)  # the first write of a run, after the lock
    proc = cli("report", *report_args(project, "--only", "01_alpha"), cwd=project)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines == ["error: reports folder reports: cannot write reports/.tmp-x (No space left on device)"], proc.stderr
    with open(project / "reports" / ".lock") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the lock was released


def test_lock_serialises_and_is_released(tmp_path):
    from voyager_analysis.report.runs import RunLock

    first = RunLock(tmp_path, wait=False, progress=None)
    assert f"pid {os.getpid()}" in (tmp_path / ".lock").read_text()
    with pytest.raises(InputError, match=f"another report run is writing to this folder \\(pid {os.getpid()}"):
        RunLock(tmp_path, wait=False, progress=None)  # flock locks are per open file: this one is refused
    first.release()
    RunLock(tmp_path, wait=False, progress=None).release()


# --- pure functions ------------------------------------------------------------------------------------------

def test_external_resources_are_found_and_stripped():
    page = ("<html><head><script src='https://cdn.example/require.js'></script>"
            '<link rel="stylesheet" href="http://cdn.example/a.css"><script src="//cdn.example/x.js"></script>'
            "<style>@import url(https://fonts.example/f.css); .a{background:url('http://x.example/b.png')}</style>"
            "<script>var inline = 1;</script></head><body>"
            '<img src="https://x.example/p.png" alt="p"><img src="data:image/png;base64,AAAA">'
            '<iframe src="https://x.example/frame"></iframe><video poster="https://x.example/v.jpg"></video>'
            '<svg><image xlink:href="https://x.example/s.png"/></svg>'
            '<a href="https://example.com/docs">a link is not a load</a></body></html>')
    found = report.external_resources(page)
    assert len(found) == 9, found  # 3 scripts/links + @import + css url + img + iframe + poster + svg image
    assert not any("example.com/docs" in f for f in found)
    clean = report.strip_external_resources(page)
    assert report.external_resources(clean) == []
    assert REMOTE_LOAD.search(clean) is None
    assert "var inline = 1;" in clean and 'href="https://example.com/docs"' in clean
    assert "data:image/png;base64,AAAA" in clean


def test_scrubber_replaces_machine_paths_but_not_images(tmp_path):
    proj = make_project(tmp_path / "p")
    plan = report.plan_run(notebooks_dir=proj / "notebooks", out_dir=proj / "reports", data_dir=proj / "data")
    tmp_dir, run_dir = plan.out_dir / ".tmp-RUN-1", plan.out_dir / "RUN"
    scrub = report.make_scrubber(plan.notebooks_dir, plan.out_dir, plan.data_dir, tmp_dir, run_dir)
    home = os.path.expanduser("~")
    text = (f"a {tmp_dir}/x.ipynb b {os.path.relpath(tmp_dir, plan.notebooks_dir)} c {ROOT}/voyager_analysis/files.py "
            f"d {sys.prefix}/lib/site.py e {home}/notes.txt f {proj}/data/inputs.yaml")
    out = scrub(text)
    assert "a <reports>/RUN/x.ipynb" in out
    assert "b ../reports/RUN" in out  # relative paths inside the project reveal nothing: kept, renamed
    assert "c <repo>/voyager_analysis/files.py" in out and "d <python>/lib/site.py" in out
    assert str(tmp_path) not in out and str(ROOT) not in out
    if home not in {"/", ""} and not str(ROOT).startswith(home) and not str(tmp_path).startswith(home):
        assert "e ~/notes.txt" in out
    tree = {"text/plain": f"{ROOT}/x", "image/png": f"{ROOT}/not-really-base64"}
    assert scrub.walk(tree) == {"text/plain": "<repo>/x", "image/png": f"{ROOT}/not-really-base64"}


def test_run_ids_sort_by_time_and_hash_the_inputs():
    t1 = datetime(2026, 11, 27, 8, 12, 3, tzinfo=timezone.utc)
    t2 = datetime(2026, 11, 27, 8, 12, 4, tzinfo=timezone.utc)
    a = report.make_run_id(t1, {"inputs": {"data/x": "1"}, "parameters": {"users": 5}})
    b = report.make_run_id(t2, {"inputs": {"data/x": "1"}, "parameters": {"users": 5}})
    c = report.make_run_id(t2, {"inputs": {"data/x": "1"}, "parameters": {"users": 6}})
    assert a.startswith("2026-11-27T081203Z-") and report.RUN_ID_RE.match(a)
    assert sorted([b, a]) == [a, b]
    assert a.split("-")[-1] == b.split("-")[-1] != c.split("-")[-1]


def fake_run(out: Path, run_id: str, *, status="ok", results=None, started=None, **extra) -> dict:
    """A run folder with a hand-written manifest (no kernel)."""
    m = {"run_id": run_id, "status": status, "started_at": started or run_id[:17], "duration_s": 1.0,
         "kind": "full", "parameters": {}, "scenario": None, "inputs": {}, "options": {"selected": ["01_a"]},
         "notebooks": [{"notebook": "01_a.ipynb", "name": "01_a", "html": "01_a.html", "status": status,
                        "duration_s": 1.0, "results": results or {},
                        "error": None if status == "ok" else {"cell": 2, "execution_count": 2, "ename": "ValueError",
                                                              "evalue": "boom", "source_first_line": "x = 1 / 0"}}],
         **extra}
    (out / run_id).mkdir(parents=True)
    (out / run_id / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    return m


def test_keep_prunes_old_runs_but_never_the_latest_good_one(tmp_path):
    ids = [f"2026-11-2{d}T080000Z-0000000{d}" for d in range(1, 6)]
    for i, rid in enumerate(ids):
        fake_run(tmp_path, rid, status="ok" if i == 1 else "failed")
    (tmp_path / "notes").mkdir()  # not a run: never touched
    report.set_latest(tmp_path, ids[1])
    assert report.latest_run(tmp_path) == ids[1]
    gone = report.prune_runs(tmp_path, 2)
    assert sorted(gone) == [ids[0], ids[2]]
    assert run_folders(tmp_path) == sorted([ids[1], ids[3], ids[4], "notes"])
    assert (tmp_path / "latest").resolve() == (tmp_path / ids[1]).resolve()


def test_latest_falls_back_to_a_text_file_where_symlinks_are_impossible(tmp_path, monkeypatch):
    fake_run(tmp_path, "2026-11-21T080000Z-00000001")
    fake_run(tmp_path, "2026-11-22T080000Z-00000002")
    assert report.set_latest(tmp_path, "2026-11-21T080000Z-00000001") == "latest"

    def no_symlinks(*args, **kwargs):
        raise OSError("symlinks not supported")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    assert report.set_latest(tmp_path, "2026-11-22T080000Z-00000002") == "latest.txt"
    assert (tmp_path / "latest.txt").read_text().strip() == "2026-11-22T080000Z-00000002"
    assert not (tmp_path / "latest").is_symlink()  # the stale link was removed
    assert report.latest_run(tmp_path) == "2026-11-22T080000Z-00000002"
    assert report.prune_runs(tmp_path, 1) == ["2026-11-21T080000Z-00000001"]


@pytest.mark.parametrize("text, problem", [
    ('{"run_id": "RID", "status": "ok"', "cannot be read (JSONDecodeError)"),
    ("[1, 2]", "not a JSON object"),
    ('{"run_id": "RID", "status": "ok", "started_at": "x", "duration_s": "slow", "notebooks": []}',
     "'duration_s' has the wrong type (str)"),
    ('{"run_id": "RID", "status": "ok", "started_at": "x", "duration_s": 1, "notebooks": [{"name": 3}]}',
     "notebooks[0].name has the wrong type (int)"),
    ('{"run_id": "other", "status": "ok"}', "names run 'other', not its folder"),
])
def test_unreadable_manifests_are_listed_not_fatal(tmp_path, text, problem):
    fake_run(tmp_path, "2026-11-21T080000Z-00000001")
    rid = "2026-11-22T080000Z-00000002"
    (tmp_path / rid).mkdir()
    (tmp_path / rid / "manifest.json").write_text(text.replace("RID", rid), encoding="utf-8")
    found, bad = report.scan_runs(tmp_path)
    assert [m["run_id"] for m in found] == ["2026-11-21T080000Z-00000001"]
    assert bad == [{"run_id": rid, "problem": bad[0]["problem"]}] and problem in bad[0]["problem"]
    page = report.write_index(tmp_path).read_text(encoding="utf-8")
    assert "Unreadable runs" in page and rid in page
    assert report.prune_runs(tmp_path, 1) == [] and (tmp_path / rid).is_dir()  # never deleted blindly


def test_schedule_recipe_commands_are_valid_cli_calls():
    from voyager_analysis.cli import build_parser

    recipe = report.schedule_recipe(ROOT, keep=7)
    owner = Path(ROOT).owner()
    assert recipe["user"] == owner and f"User={owner}\n" in recipe["voyager-report.service"]
    assert f"sudo crontab -u {owner} -e" in recipe["cron"] and f"writable by {owner}" in recipe["cron"]
    cron_line = [ln for ln in recipe["cron"].splitlines() if ln and not ln.startswith("#")]
    assert len(cron_line) == 1
    minute, hour, dom, mon, dow, *command = cron_line[0].split(None, 5)
    assert 0 <= int(minute) < 60 and 0 <= int(hour) < 24 and (dom, mon, dow) == ("*", "*", "*")
    service = configparser.ConfigParser()
    service.read_string(recipe["voyager-report.service"])
    timer = configparser.ConfigParser()
    timer.read_string(recipe["voyager-report.timer"])
    assert service["Service"]["Type"] == "oneshot" and timer["Timer"]["OnCalendar"].startswith("*-*-* ")
    assert timer["Install"]["WantedBy"] == "timers.target"
    for text in (command[0], service["Service"]["ExecStart"]):
        words = shlex.split(text)
        start = next(i for i, w in enumerate(words) if w.endswith("/.venv/bin/voyager-analysis"))
        assert Path(words[start]).is_file() and os.access(words[start], os.X_OK)  # as printed, for this checkout
        args = []
        for w in words[start + 1:]:
            if w in {">>", "2>&1"} or w.startswith(">"):
                break
            args.append(w)
        parsed = build_parser().parse_args(args)
        assert parsed.command == "report" and parsed.keep == 7 and parsed.run.__module__ == "voyager_analysis.cli.report"


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (no systemd here)")
def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    recipe = report.schedule_recipe(ROOT, keep=14)
    for name in ("voyager-report.service", "voyager-report.timer"):
        (tmp_path / name).write_text(recipe[name], encoding="utf-8")
    proc = subprocess.run([SYSTEMD_ANALYZE, "verify", "--man=no", str(tmp_path / "voyager-report.service"),
                           str(tmp_path / "voyager-report.timer")], capture_output=True, text=True, timeout=60)
    problems = [ln for ln in proc.stderr.splitlines() if "voyager-report" in ln]
    assert proc.returncode == 0 and problems == [], proc.stderr
    # the same check fails on a broken unit (so it is not vacuous)
    (tmp_path / "voyager-report.service").write_text(recipe["voyager-report.service"].replace(
        "ExecStart=", "ExecStart=/no/such/voyager-analysis-binary "), encoding="utf-8")
    bad = subprocess.run([SYSTEMD_ANALYZE, "verify", "--man=no", str(tmp_path / "voyager-report.service")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 or "voyager-report" in bad.stderr


def test_schedule_flag_prints_the_recipe_for_this_checkout(cli):
    proc = cli("report", "--schedule", "--keep", "5")
    assert proc.returncode == 0, proc.stderr
    assert f"cd {config.ROOT} && mkdir -p reports && {config.ROOT}/.venv/bin/voyager-analysis report --keep 5" \
        in proc.stdout
    assert "OnCalendar=" in proc.stdout and "ExecStart=" in proc.stdout and "User=" in proc.stdout


def test_help_examples_are_valid_runs_of_the_shipped_notebooks():
    from voyager_analysis.cli import build_parser
    from voyager_analysis.cli import report as report_cli

    examples = [ln.split("#")[0].split() for ln in report_cli.EPILOG.splitlines()
                if ln.strip().startswith("voyager-analysis report")]
    assert len(examples) >= 4
    for words in examples:
        args = build_parser().parse_args(words[1:])
        if args.schedule:
            continue
        plan = report.plan_run(only=args.only, scenario=args.scenario, parameters=args.parameters,
                               keep=args.keep)  # raises InputError if the example went stale
        assert plan.notebooks and all(s.path.parent == config.NOTEBOOKS_DIR for s in plan.notebooks)


def test_dollar_amounts_in_markdown_render_as_text_not_maths():
    import nbformat

    from voyager_analysis.report import escape_dollars, notebook_to_html

    assert escape_dollars("**$10** and `$x`") == "**&#36;10** and `$x`"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "Gross **$104,850/month** against **$73,395 after the share**.")])
    html = notebook_to_html(nb, header="", title="t")
    assert "<strong>&#36;104,850/month</strong>" in html or "<strong>$104,850/month</strong>" in html
    assert "**" not in html.split("<body", 1)[-1]


def test_reports_modules_are_small():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines())
             for p in (ROOT / "voyager_analysis" / "report").glob("*.py")}
    assert sizes and max(sizes.values()) <= 400, sizes


# --- real runs (kernels) -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("good") / "proj")
    proc = run_report_cli(project, "--only", "01_alpha", "02_beta", "00_summary", "-p", "users=200",
                          "--scenario", "scenario.yaml", "--json")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads(proc.stdout)
    return project, manifest, proc


@pytest.mark.slow
def test_run_writes_dated_folder_manifest_results_and_index(good_run):
    project, manifest, proc = good_run
    out = project / "reports"
    rid = manifest["run_id"]
    assert run_folders(out) == [rid] and not list(out.glob(".tmp-*"))
    assert report.latest_run(out) is None and manifest["kind"] == "exploration"  # --only/-p/--scenario
    files = sorted(p.name for p in (out / rid).iterdir())
    assert files == ["00_summary.html", "00_summary.ipynb", "01_alpha.html", "01_alpha.ipynb", "02_beta.html",
                     "02_beta.ipynb", "manifest.json", "results.json"]
    assert json.loads((out / rid / "manifest.json").read_text()) == manifest
    nbs = {r["name"]: r for r in manifest["notebooks"]}
    assert json.loads((out / rid / "results.json").read_text()) == {n: r["results"] for n, r in nbs.items()}
    assert manifest["status"] == "ok" and {r["status"] for r in nbs.values()} == {"ok"}
    assert nbs["01_alpha"]["results"] == {"users": 200, "cost_usd": 200 * 0.5}
    assert nbs["01_alpha"]["parameters"] == {"users": 200}
    assert nbs["02_beta"]["parameters"] == {"scenario": "../scenario.yaml"}
    assert nbs["02_beta"]["results"] == {"growth": 0.3, "scenario": "Fixture scenario without overrides."}
    assert manifest["scenario"] == {"name": "scenario", "path": "scenario.yaml", "sha256": hashlib.sha256(
        (project / "scenario.yaml").read_bytes()).hexdigest()}
    # 00_summary ran after the others and read their executed notebooks through run_dir
    assert nbs["00_summary"]["results"] == {"notebooks_seen": ["01_alpha", "02_beta"], "alpha_cost_usd": 100.0}
    assert manifest["parameters"] == {"users": 200} and manifest["versions"]["papermill"]
    assert manifest["started_at"] <= manifest["finished_at"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert rid in index and f"{rid}/01_alpha.html" in index and "exploration" in index
    for step in ("01_alpha: running", "01_alpha: ok in", "00_summary: ok in", f"run {rid}: 3 ok (0 reused), 0 failed"):
        assert step in proc.stderr
    lines = proc.stderr.splitlines()
    # the summary may be queued (and its kernel started) early, but it ends after the others and read them all
    assert max(i for i, s in enumerate(lines) if "ok in" in s and "00_summary" not in s) < \
        next(i for i, s in enumerate(lines) if "00_summary: ok in" in s)


@pytest.mark.slow
def test_manifest_hashes_match_the_inputs(good_run):
    project, manifest, _ = good_run
    data = project / "data"
    expected = {f"data/{p.relative_to(data).as_posix()}": hashlib.sha256(p.read_bytes()).hexdigest()
                for p in data.rglob("*") if p.is_file()}
    assert manifest["inputs"] == expected and "data/sub/table.csv" in expected
    nbs = {r["name"]: r for r in manifest["notebooks"]}
    for r in nbs.values():
        assert r["sha256"] == hashlib.sha256((project / "notebooks" / r["notebook"]).read_bytes()).hexdigest()
    # what each kernel read from data/, traced: 02_beta reads inputs.yaml, 01_alpha reads nothing there
    assert nbs["02_beta"]["inputs_read"] == {"data/inputs.yaml": expected["data/inputs.yaml"]}
    assert nbs["01_alpha"]["inputs_read"] == {}


def _text_without_images(path: Path) -> str:
    return BASE64.sub("data:image", path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_html_is_self_contained_readable_and_private(good_run):
    project, manifest, _ = good_run
    out = project / "reports"
    run_dir = out / manifest["run_id"]
    for page_path in run_dir.glob("*.html"):
        page = page_path.read_text(encoding="utf-8")
        assert REMOTE_LOAD.search(page) is None, page_path.name
        assert report.external_resources(page) == [], page_path.name
        assert '<a class="va-back" href="../index.html">' in page and manifest["run_id"] in page
        assert '<a href="results.json">results.json</a>' in page
    alpha = (run_dir / "01_alpha.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in alpha  # the figure is embedded
    assert "<dd>users=200</dd>" in alpha and "Alpha cost check" in alpha and "cost 100.0" in alpha
    assert "<dt>Scenario</dt><dd>scenario</dd>" in alpha
    assert "cost_usd" not in alpha  # the results JSON cell is not in the page (it is in results.json)
    assert "cost_usd = users * price_usd" not in alpha  # code hidden by default
    home = os.path.expanduser("~")
    secrets = [str(project), str(ROOT), sys.prefix, "pytest-of-", f"/{getpass.getuser()}/"]
    secrets += [home] if home not in {"/", ""} else []
    host = socket.gethostname()
    for path in [*run_dir.iterdir(), out / "index.html"]:
        text = _text_without_images(path)
        for secret in secrets:
            assert secret not in text, (path.name, secret)
        if len(host) >= 4:
            assert not re.search(rf"\b{re.escape(host)}\b", text), path.name


@pytest.mark.slow
def test_show_code_keeps_the_code(good_run):
    import nbformat

    project, manifest, _ = good_run
    nb = nbformat.read(str(project / "reports" / manifest["run_id"] / "01_alpha.ipynb"), as_version=4)
    shown = report.notebook_to_html(nb, header="<p>h</p>", title="t", show_code=True)
    hidden = report.notebook_to_html(nb, header="<p>h</p>", title="t", show_code=False)
    assert "cost_usd" in shown and "price_usd" in shown and "price_usd" not in hidden
    assert "cost 100.0" in hidden  # outputs stay


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    # Name resolution fails for every host but 127.0.0.1, so nothing, not even Chromium's own background
    # requests (component updater, accounts), can leave the machine during the test.
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
                           "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                           f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120)


def page_requests(netlog: Path) -> set[str]:
    """URLs of the requests a page made, from Chromium's net log. Requests Chromium makes for itself
    carry the initiator 'not an origin'; those a page makes carry the page's origin ('null' for file://)."""
    log = json.loads(netlog.read_text(encoding="utf-8"))
    urls = set()
    for event in log.get("events", []):
        params = event.get("params") or {}
        if isinstance(params.get("url"), str) and "initiator" in params and params["initiator"] != "not an origin":
            urls.add(params["url"])
    return urls


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run does)")
def test_report_renders_in_a_headless_browser_without_network(good_run, tmp_path):
    project, manifest, _ = good_run
    page = project / "reports" / manifest["run_id"] / "01_alpha.html"
    dom = chromium(["--dump-dom", page.as_uri()], tmp_path / "profile1")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f"<title>Alpha cost check · {manifest['run_id']}</title>" in dom.stdout
    assert "cost 100.0" in dom.stdout and "data:image/png;base64," in dom.stdout

    shot, netlog = tmp_path / "alpha.png", tmp_path / "net.json"
    proc = chromium([f"--log-net-log={netlog}", "--window-size=1100,1400", f"--screenshot={shot}",
                     page.as_uri()], tmp_path / "profile2")
    assert proc.returncode == 0 and shot.stat().st_size > 10_000  # a real rendering, not a blank page
    remote = {u for u in page_requests(netlog) if not u.startswith(("file:", "data:"))}
    assert remote == set(), remote

    # The same check does see a request when a page makes one (to a closed local port: nothing leaves).
    control = tmp_path / "control.html"
    control.write_text('<html><body><img src="http://127.0.0.1:9/pixel.png"></body></html>', encoding="utf-8")
    proc = chromium([f"--log-net-log={tmp_path / 'control.json'}", "--dump-dom", control.as_uri()],
                    tmp_path / "profile3")
    assert page_requests(tmp_path / "control.json") == {"http://127.0.0.1:9/pixel.png"}


@pytest.mark.slow
def test_failing_notebook_exits_1_keeps_latest_and_keep_prunes(project):
    out = project / "reports"
    (project / "notebooks" / "03_fails.ipynb").rename(project / "03_fails.ipynb")
    first = run_report_cli(project)  # every notebook, defaults: a full run, becomes latest
    assert first.returncode == 0, first.stderr
    (good,) = run_folders(out)
    assert report.latest_run(out) == good
    (project / "03_fails.ipynb").rename(project / "notebooks" / "03_fails.ipynb")

    second = run_report_cli(project)  # a full run with a failure
    assert second.returncode == 1, second.stderr
    assert report.latest_run(out) == good  # latest still points to the last good run
    failed = [r for r in run_folders(out) if r != good][0]
    assert sorted(p.name for p in (out / failed).iterdir()) == [
        "00_summary.html", "00_summary.ipynb", "01_alpha.html", "01_alpha.ipynb", "02_beta.html", "02_beta.ipynb",
        "03_fails.html", "03_fails.ipynb", "manifest.json", "results.json"]
    manifest = json.loads((out / failed / "manifest.json").read_text())
    nbs = {r["name"]: r for r in manifest["notebooks"]}
    assert manifest["status"] == "failed" and nbs["01_alpha"]["status"] == "ok"
    err = nbs["03_fails"]["error"]
    assert nbs["03_fails"]["status"] == "failed" and err["ename"] == "InputError"
    assert err["evalue"] == "../data/missing.yaml: file not found" and err["source_first_line"].startswith("from")
    assert "03_fails: FAILED" in second.stderr and "file not found" in second.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "InputError: ../data/missing.yaml: file not found" in index
    assert f"The newest run <code>{failed}</code> is failed" in index
    fail_html = (out / failed / "03_fails.html").read_text(encoding="utf-8")
    assert "This notebook failed." in fail_html and "before the failure" in fail_html
    fail_nb = (out / failed / "03_fails.ipynb").read_text(encoding="utf-8")
    assert "<repo>/voyager_analysis/files.py" in fail_nb and str(ROOT) not in fail_nb  # traceback scrubbed

    third = run_report_cli(project, "--only", "03_fails", "--keep", "1")
    assert third.returncode == 1
    newest = [r for r in run_folders(out) if r not in {good, failed}]
    assert len(newest) == 1 and run_folders(out) == sorted([good, newest[0]])  # the failed middle run pruned
    assert f"pruned {failed}" in third.stderr and report.latest_run(out) == good


@pytest.mark.slow
def test_two_concurrent_runs_do_not_corrupt_each_other(project):
    out = project / "reports"
    procs = [subprocess.Popen(report_cmd(project, "--only", "01_alpha", "-p", f"users={u}"), cwd=project,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for u in (300, 400)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    waited = [err for _, err in results if "waiting for another report run on this folder" in err]
    assert len(waited) == 1  # the second run waited for the first
    found = report.list_runs(out)
    assert len(found) == 2 and sorted(r["notebooks"][0]["results"]["users"] for r in found) == [300, 400]
    first, second = sorted(found, key=lambda m: m["started_at"])
    assert first["finished_at"] <= second["started_at"]  # serialised, not interleaved
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(r["run_id"] in index for r in found)


def _processes_in(folder: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.readlink(proc / "cwd") == str(folder):
                    pids.append(int(proc.name))
            except OSError:
                pass
    return pids


def _start_and_wait_for_kernel(project: Path) -> subprocess.Popen:
    proc = subprocess.Popen(report_cmd(project, "--only", "05_slow"), cwd=project, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    # the worker process (papermill) and its kernel both run in the notebooks folder
    while len(_processes_in(project / "notebooks")) < 2 or not list((project / "reports").glob(".tmp-*")):
        assert time.monotonic() < deadline and proc.poll() is None, "the run never started its kernel"
        time.sleep(0.2)
    time.sleep(1.5)  # the kernel is executing the notebook's sleep
    return proc


@pytest.mark.slow
def test_interrupted_run_leaves_no_visible_run_folder(tmp_path):
    project = make_project(tmp_path / "proj", slow=True)
    out = project / "reports"
    proc = _start_and_wait_for_kernel(project)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    assert sorted(p.name for p in out.iterdir()) == [".lock"]  # no run folder, no temporary folder, no index
    with open(out / ".lock") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the lock was released
    deadline = time.monotonic() + 20
    while _processes_in(project / "notebooks") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_in(project / "notebooks") == []  # no worker or kernel left behind

    killed = _start_and_wait_for_kernel(project)
    killed.kill()  # no chance to clean up: the half-written run stays hidden ...
    killed.wait()
    leftovers = [p.name for p in out.iterdir() if p.name not in {".lock"}]
    assert leftovers and all(name.startswith(".tmp-") for name in leftovers)
    assert report.list_runs(out) == []
    again = run_report_cli(project, "--only", "01_alpha")  # ... and the next run removes it
    assert again.returncode == 0, again.stderr
    assert not list(out.glob(".tmp-*")) and len(report.list_runs(out)) == 1
    deadline = time.monotonic() + 20  # the killed run's orphaned worker and kernel notice and exit
    while _processes_in(project / "notebooks") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_in(project / "notebooks") == []
