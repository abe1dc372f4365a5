"""Report speed, measured side by side in one run (issue 17).

serial    = the report's notebooks executed one after another through the papermill CLI (one
            ``papermill`` process per notebook, kernel ``python3``, working directory = notebooks/), the
            summary last: what running them by hand costs. No HTML, no manifest.
full      = ``voyager-analysis report --force`` (every notebook executed, default ``--jobs``, HTML,
            manifest, index) in a fresh process.
unchanged = the same command without ``--force`` right after: every notebook is reused.
one input = the same again after one input file changed (the metrics CSV gains a trailing newline): only
            the notebooks whose kernels read that file (and the summary, if their results moved) execute.

Targets: full <= 0.4 x serial; unchanged <= 0.1 x full. Each report command runs ``REPEATS`` times and the
fastest is kept (the machine is shared; the minimum is the least disturbed measurement). Everything runs on
a snapshot of the package, notebooks and data (``PYTHONPATH`` points at it, kernels included), so that edits
to the checkout during the benchmark neither change what is measured nor defeat the reuse.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FULL_VS_SERIAL = 0.4
UNCHANGED_VS_FULL = 0.1
REPEATS = 3


def _snapshot(root: Path, dest: Path) -> dict[str, str]:
    """Copy the package, notebooks and data to ``dest``; the environment that makes Python use the copy."""
    import shutil

    for name in ("voyager_analysis", "notebooks", "data"):
        shutil.copytree(root / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(dest), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=3600, env=env)
    return time.perf_counter() - t, proc


def _serial(notebooks: list[Path], out: Path, cwd: Path, env: dict[str, str]) -> tuple[float, list[str]]:
    papermill = str(Path(sys.executable).with_name("papermill"))
    order = [p for p in notebooks if not p.name.startswith("00_")] + [p for p in notebooks if p.name.startswith("00_")]
    failed, t = [], time.perf_counter()
    for nb in order:
        proc = subprocess.run([papermill, str(nb), str(out / nb.name), "-k", "python3", "--cwd", str(cwd),
                               "--no-progress-bar"], capture_output=True, text=True, timeout=1800, env=env)
        if proc.returncode != 0:
            failed.append(nb.stem)
    return time.perf_counter() - t, failed


def main() -> int:
    from voyager_analysis import config, report

    if not report.discover_notebooks(config.NOTEBOOKS_DIR):
        print("no notebooks: nothing to measure")
        return 0
    cli = [sys.executable, "-m", "voyager_analysis", "report"]
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        tmp_path = Path(tmp)
        root = tmp_path / "checkout"
        env = _snapshot(config.ROOT, root)
        notebooks = report.discover_notebooks(root / "notebooks")
        out = tmp_path / "reports"
        fulls, unchanged, serials, manifest, reused, serial_failed = [], [], [], None, None, []
        for i in range(REPEATS):  # alternating, so that a busy moment of the machine hits all three alike
            seconds, proc = _timed([*cli, "--force", "--out", str(out), "--json"], root, env)
            if proc.returncode != 0:
                print(f"report failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
                return 1
            fulls.append(seconds)
            manifest = json.loads(proc.stdout)
            seconds, proc = _timed([*cli, "--out", str(out), "--json"], root, env)
            if proc.returncode != 0:
                print(f"unchanged re-run failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
                return 1
            unchanged.append(seconds)
            reused = json.loads(proc.stdout)
            (tmp_path / f"serial-{i}").mkdir()
            seconds, serial_failed = _serial(notebooks, tmp_path / f"serial-{i}", root / "notebooks", env)
            serials.append(seconds)

        metrics = next((root / "data" / "metrics").glob("*.csv"))
        metrics.write_text(metrics.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        one_input, proc = _timed([*cli, "--out", str(out), "--json"], root, env)
        after_edit = json.loads(proc.stdout) if proc.returncode == 0 else None

    full, again, serial = min(fulls), min(unchanged), min(serials)
    cores = os.cpu_count() or 1
    n_reused = sum(1 for r in reused["notebooks"] if r.get("reused_from"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"report speed: {len(notebooks)} notebooks, {os.cpu_count()} cores, load average {load:.2f}")
    print(f"  serial papermill CLI, one after another:  {serial:6.2f} s  (runs: {', '.join(f'{s:.2f}' for s in serials)})"
          + (f"  (FAILED: {', '.join(serial_failed)})" if serial_failed else ""))
    print(f"  serial / {cores} cores:                       {serial / cores:6.2f} s  = {1 / cores:.2f} x serial: what "
          "perfect parallel execution of the same kernels and cells would take (a runner saves only the "
          "papermill start-ups below that)")
    print(f"  full report (--force, default --jobs):    {full:6.2f} s  (runs: {', '.join(f'{s:.2f}' for s in fulls)})"
          f"  = {full / serial:.2f} x serial   (target <= {FULL_VS_SERIAL})")
    print(f"  unchanged re-run ({n_reused}/{len(reused['notebooks'])} reused): {again:6.2f} s  "
          f"(runs: {', '.join(f'{s:.2f}' for s in unchanged)})  = {again / full:.3f} x full   (target <= {UNCHANGED_VS_FULL})")
    if after_edit:
        executed = [r["name"] for r in after_edit["notebooks"] if not r.get("reused_from")]
        readers = [r["name"] for r in manifest["notebooks"] if f"data/metrics/{metrics.name}" in r.get("inputs_read", {})]
        print(f"  after data/metrics/{metrics.name} changed: {one_input:6.2f} s; executed {', '.join(executed) or 'none'}"
              f" (the notebooks that read it: {', '.join(readers)}), reused the rest")
    per = ", ".join(f"{r['name']} {r['duration_s']:.2f}s" for r in manifest["notebooks"])
    print(f"  last full run: {manifest['duration_s']:.2f} s inside the runner; per notebook: {per}")
    ok_full, ok_again = full <= FULL_VS_SERIAL * serial, again <= UNCHANGED_VS_FULL * full
    print(f"  full <= {FULL_VS_SERIAL} x serial: {'met' if ok_full else 'NOT met'}; "
          f"unchanged <= {UNCHANGED_VS_FULL} x full: {'met' if ok_again else 'NOT met'}")
    return 0 if ok_full and ok_again and not serial_failed else 1


if __name__ == "__main__":
    sys.exit(main())
