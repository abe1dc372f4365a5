"""Full report time vs the papermill floor, measured in the same run.

floor  = executing as many EMPTY notebooks (one empty code cell each) as there are report notebooks,
         through papermill, in one fresh Python process with the same number of parallel jobs: Python
         start, ``import papermill``, and one kernel start, execution and shutdown per notebook.
report = ``voyager-analysis report`` on the shipped notebooks, in a fresh process, same ``--jobs``:
         everything (validation, execution, HTML, manifest, index).

Target (issue 7): report <= 1.5 x floor. Each is measured ``REPEATS`` times, alternating, and the
fastest is kept (the machine is shared; the minimum is the least disturbed measurement). Measured once
each for comparison: the report with ``--cold`` kernels (no pre-warmed zygote), and the same notebooks
executed by plain papermill exactly like the floor (cold kernels, no HTML, no manifest): what the
notebooks themselves cost. Finally a lower bound that no runner with warm kernels can beat: the time to
import what the notebooks need (before the first kernel can start), plus the notebooks' own cell time
(from a ``--jobs 1`` run, so without contention) spread perfectly over the cores, plus the summary
notebook's cells (it runs after the others).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.5
REPEATS = 2

_FLOOR = r"""
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import papermill as pm
src, dst, jobs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
def one(path):
    pm.execute_notebook(str(path), str(dst / path.name), kernel_name="python3", progress_bar=False)
with ThreadPoolExecutor(jobs) as pool:
    list(pool.map(one, sorted(src.glob("*.ipynb"))))
"""


def _empty_notebooks(folder: Path, n: int) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    folder.mkdir(parents=True)
    for i in range(n):
        nb = new_notebook(cells=[new_code_cell("")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, str(folder / f"{i:02d}_empty.ipynb"))


def _timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=1800)
    return time.perf_counter() - t, proc


def _cell_seconds(run_dir: Path) -> dict[str, float]:
    """Seconds each executed notebook spent inside its cells (papermill's per-cell durations)."""
    return {p.stem: sum((c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0)
                        for c in json.loads(p.read_text())["cells"] if c["cell_type"] == "code")
            for p in sorted(run_dir.glob("*.ipynb"))}


def _import_seconds(modules: list[str]) -> float:
    """Seconds a fresh Python takes to import the warm-kernel modules, beyond starting up."""
    code = "import importlib\nfor m in %r:\n    try: importlib.import_module(m)\n    except Exception: pass" % modules
    bare, _ = _timed([sys.executable, "-c", "pass"], Path.cwd())
    full, _ = _timed([sys.executable, "-c", code], Path.cwd())
    return max(full - bare, 0.0)


def main() -> int:
    from voyager_analysis import config, report

    notebooks = report.discover_notebooks(config.NOTEBOOKS_DIR)
    if not notebooks:
        print("no notebooks: nothing to measure")
        return 0
    jobs = os.cpu_count() or 1
    cli = [sys.executable, "-m", "voyager_analysis", "report", "--jobs", str(jobs)]
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        tmp_path = Path(tmp)
        _empty_notebooks(tmp_path / "empty", len(notebooks))
        floors, reports, manifest = [], [], None
        for i in range(REPEATS):
            out = tmp_path / f"floor-out-{i}"
            out.mkdir()
            seconds, proc = _timed([sys.executable, "-c", _FLOOR, str(tmp_path / "empty"), str(out), str(jobs)],
                                   config.ROOT)
            if proc.returncode != 0:
                print(f"floor run failed:\n{proc.stderr[-3000:]}")
                return 1
            floors.append(seconds)
            seconds, proc = _timed([*cli, "--out", str(tmp_path / "reports"), "--json"], config.ROOT)
            if proc.returncode != 0:
                print(f"report failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
                return 1
            reports.append(seconds)
            manifest = json.loads(proc.stdout)
        serial, proc = _timed([*cli[:-1], "1", "--out", str(tmp_path / "reports-serial"), "--json"], config.ROOT)
        cells = _cell_seconds(tmp_path / "reports-serial" / json.loads(proc.stdout)["run_id"]) \
            if proc.returncode == 0 else {}
        imports = _import_seconds(report.warm_modules(notebooks))
        cold, proc = _timed([*cli, "--cold", "--out", str(tmp_path / "reports-cold")], config.ROOT)
        cold_ok = proc.returncode == 0
        out = tmp_path / "plain-out"
        out.mkdir()
        plain, proc = _timed([sys.executable, "-c", _FLOOR, str(config.NOTEBOOKS_DIR), str(out), str(jobs)],
                             config.NOTEBOOKS_DIR)
        plain_ok = proc.returncode == 0

    floor, full = min(floors), min(reports)
    ratio = full / floor
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"report vs papermill floor: {len(notebooks)} notebooks, --jobs {jobs}, {os.cpu_count()} cores, "
          f"load average {load:.2f}")
    print(f"  floor  ({len(notebooks)} empty notebooks via papermill): {floor:6.2f} s  "
          f"(runs: {', '.join(f'{s:.2f}' for s in floors)})")
    print(f"  report (warm kernels, default):                 {full:6.2f} s  "
          f"(runs: {', '.join(f'{s:.2f}' for s in reports)})  = {ratio:.2f} x floor")
    print(f"  report --cold (every kernel imports afresh):    {cold:6.2f} s  = {cold / floor:.2f} x floor"
          + ("" if cold_ok else "  (FAILED)"))
    print(f"  the same notebooks via plain papermill (no HTML):  {plain:6.2f} s  = {plain / floor:.2f} x floor"
          + ("" if plain_ok else "  (FAILED)"))
    if manifest:
        per = ", ".join(f"{r['name']} {r['duration_s']:.2f}s" for r in manifest["notebooks"])
        print(f"  last warm run: {manifest['duration_s']:.2f} s inside the runner; per notebook: {per}")
    if cells:
        summary = sum(v for k, v in cells.items() if k.startswith(report.SUMMARY_PREFIX))
        others = sum(cells.values()) - summary
        bound = imports + others / jobs + summary
        print(f"  lower bound for any warm-kernel runner: imports before the first kernel {imports:.2f} s + cell "
              f"time {others:.2f} s / {jobs} cores + summary notebook {summary:.2f} s = {bound:.2f} s "
              f"= {bound / floor:.2f} x floor")
        print(f"    (cell time measured in a --jobs 1 run, {serial:.2f} s: no runner, kernel, HTML or scheduling "
              f"cost counted; per notebook: " + ", ".join(f"{k} {v:.2f}s" for k, v in cells.items()) + ")")
    passed = ratio <= TARGET_RATIO
    print(f"  target report <= {TARGET_RATIO} x floor: {'met' if passed else 'NOT met'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
