"""Reuse of unchanged notebooks: the kernel's trace of the data files it reads, the reuse key (code,
parameters, scenario, package, versions, data read), and real runs: an identical re-run reuses everything,
a changed input file re-executes only the notebooks that read it (and the summary when their results
moved), ``--force`` re-runs all, and identical runs show no change."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from voyager_analysis import report
from voyager_analysis.report import execute, provenance

from test_report import make_project, run_folders


def test_the_trace_records_data_files_opened_and_folders_listed(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.yaml").write_text("a: 1\n")
    (data / "sub" / "b.csv").write_text("x\n1\n")
    (data / "unread.txt").write_text("never opened\n")
    (tmp_path / "outside.txt").write_text("not data\n")
    trace = tmp_path / "trace.txt"
    code = ("import voyager_analysis.report.trace, os, pathlib\n"
            "open('data/a.yaml').read(); pathlib.Path('data/sub/b.csv').read_text()\n"
            "open('data/a.yaml').read(); open('outside.txt').read(); list(pathlib.Path('data/sub').glob('*'))\n"
            "os.stat('data/unread.txt')\n")
    env = {**os.environ, "VA_REPORT_TRACE": str(trace), "VA_REPORT_DATA": str(data)}
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True, timeout=60)
    assert provenance.read_trace(trace, data) == ["data/a.yaml", "data/sub/", "data/sub/b.csv"]
    inputs = provenance.input_hashes(data)
    now = provenance.reads_fingerprint(["data/a.yaml", "data/sub/"], data, inputs)
    (data / "sub" / "c.csv").write_text("new file in a listed folder\n")
    assert provenance.reads_fingerprint(["data/a.yaml", "data/sub/"], data, inputs) != now
    # no trace (the hook never ran) or an incomplete one: None, so that every data file counts
    assert provenance.read_trace(tmp_path / "missing.txt", data) is None
    trace.write_text("trace\nfile /x\nincomplete\n")
    assert provenance.read_trace(trace, data) is None


def _record(key: str, reads: dict, status="ok") -> dict:
    return {"name": "01_a", "status": status, "reuse_key": key, "inputs_read": reads, "ipynb": "01_a.ipynb",
            "html": "01_a.html"}


def test_find_reusable_needs_same_key_unchanged_reads_and_files(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.yaml").write_text("a: 1\n")
    inputs = provenance.input_hashes(data)
    out = tmp_path / "reports"
    runs_ = []
    for rid, rec in [("2026-11-29T000000Z-00000002", _record("k", {"data/a.yaml": inputs["data/a.yaml"]})),
                     ("2026-11-28T000000Z-00000001", _record("k", {}))]:
        (out / rid).mkdir(parents=True)
        for f in ("01_a.ipynb", "01_a.html"):
            (out / rid / f).write_text("x")
        runs_.append({"run_id": rid, "notebooks": [rec]})
    found = execute.find_reusable("01_a", "k", runs_, out, data, inputs)
    assert found[1].name == "2026-11-29T000000Z-00000002"  # the newest match
    assert execute.find_reusable("01_a", "other key", runs_, out, data, inputs) is None
    (data / "a.yaml").write_text("a: 2\n")  # the newest read a.yaml: now changed; the older read nothing
    found = execute.find_reusable("01_a", "k", runs_, out, data, provenance.input_hashes(data))
    assert found[1].name == "2026-11-28T000000Z-00000001"
    (out / "2026-11-28T000000Z-00000001" / "01_a.html").unlink()  # its files are gone: nothing to reuse
    assert execute.find_reusable("01_a", "k", runs_, out, data, provenance.input_hashes(data)) is None
    runs_[1]["notebooks"][0]["status"] = "failed"
    assert execute.find_reusable("01_a", "k", runs_[1:], out, data, inputs) is None


def test_the_reuse_key_follows_code_parameters_scenario_and_environment():
    base = provenance.static_key("nb1", {"users": 5}, None, {"code": "c1", "show_code": False})
    assert base == provenance.static_key("nb1", {"users": 5}, None, {"code": "c1", "show_code": False})
    assert len({base, provenance.static_key("nb2", {"users": 5}, None, {"code": "c1", "show_code": False}),
                provenance.static_key("nb1", {"users": 6}, None, {"code": "c1", "show_code": False}),
                provenance.static_key("nb1", {"users": 5}, "s", {"code": "c1", "show_code": False}),
                provenance.static_key("nb1", {"users": 5}, None, {"code": "c2", "show_code": False}),
                provenance.static_key("nb1", {"users": 5}, None, {"code": "c1", "show_code": True})}) == 6


def _nbs(manifest: dict) -> dict:
    return {r["name"]: r for r in manifest["notebooks"]}


@pytest.mark.slow
def test_reuse_of_unchanged_notebooks_in_real_runs(tmp_path, monkeypatch):
    project = make_project(tmp_path / "proj")
    (project / "notebooks" / "03_fails.ipynb").unlink()
    out = project / "reports"
    # the package code is part of the key; other people editing the checkout must not disturb this test
    monkeypatch.setattr(provenance, "code_digest", lambda: "fixed")
    kw = dict(notebooks_dir=project / "notebooks", data_dir=project / "data", out_dir=out, progress=None)

    first = report.run_report(**kw)
    assert first["status"] == "ok" and not any(r["reused_from"] for r in first["notebooks"])
    assert report.latest_run(out) == first["run_id"]

    second = report.run_report(**kw)  # nothing changed: everything reused
    assert {n: r["reused_from"] for n, r in _nbs(second).items()} == {
        "00_summary": first["run_id"], "01_alpha": first["run_id"], "02_beta": first["run_id"]}
    assert report.latest_run(out) == second["run_id"]  # a complete run, even if reused
    folder = out / second["run_id"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in (out / first["run_id"]).iterdir())
    page = (folder / "01_alpha.html").read_text(encoding="utf-8")
    assert second["run_id"] in page and first["run_id"] in page and "reused from run" in page
    assert page.count('<header class="va-run">') == 1 and f" · {second['run_id']}</title>" in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "No result changed" in index and "3/3 ok, 3 reused" in index

    (project / "data" / "sub" / "table.csv").write_text("month,users\n2026-01,11\n")  # read by nobody
    third = report.run_report(**kw)
    assert all(r["reused_from"] for r in third["notebooks"])

    (project / "data" / "inputs.yaml").write_text("growth: 0.5\n")  # read by 02_beta only
    fourth = report.run_report(**kw)
    nbs = _nbs(fourth)
    assert nbs["01_alpha"]["reused_from"] == first["run_id"]
    assert nbs["02_beta"]["reused_from"] is None and nbs["02_beta"]["results"]["growth"] == 0.5
    assert nbs["00_summary"]["reused_from"] is None  # its inputs are the other notebooks' results
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "input changed: data/inputs.yaml" in index and "0.3" in index and "0.5" in index

    forced = report.run_report(**kw, force=True)
    assert not any(r["reused_from"] for r in forced["notebooks"]) and forced["options"]["force"]
    # with --force the summary is queued with the others and waits for them: it still sees every notebook
    assert _nbs(forced)["00_summary"]["results"]["notebooks_seen"] == ["01_alpha", "02_beta"]

    what_if = report.run_report(**kw, parameters=["users=300"])  # an exploration: 01_alpha runs again
    nbs = _nbs(what_if)
    assert what_if["kind"] == "exploration" and nbs["01_alpha"]["reused_from"] is None
    assert nbs["02_beta"]["reused_from"] == forced["run_id"]  # its own parameters did not change
    assert report.latest_run(out) == forced["run_id"]
    assert len(run_folders(out)) == 6


@pytest.mark.slow
def test_progress_lines_and_json_say_reused(tmp_path, monkeypatch, cli):
    from test_report import report_args

    project = make_project(tmp_path / "proj")
    monkeypatch.setattr(provenance, "code_digest", lambda: "fixed")  # others may edit the checkout meanwhile
    first = cli("report", *report_args(project, "--only", "01_alpha"), cwd=project)
    assert first.returncode == 0, first.stderr
    second = cli("report", *report_args(project, "--only", "01_alpha", "--json"), cwd=project)
    assert second.returncode == 0, second.stderr
    rid = json.loads(second.stdout)["notebooks"][0]["reused_from"]
    assert rid and f"01_alpha: reused (unchanged since run {rid})" in second.stderr
    assert "1 ok (1 reused), 0 failed" in second.stderr
