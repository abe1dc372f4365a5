"""Execute notebooks: each in a worker process of a ``spawn`` process pool (papermill starts the kernel the
supported way, through jupyter_client), or reuse a notebook's outputs from an earlier run when nothing it
depends on has changed.

A worker runs papermill for one notebook at a time, then sanitises the executed notebook (no machine
path), reads its ``results`` and writes its HTML, so conversions run in parallel too.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voyager_analysis.report import html as html_mod
from voyager_analysis.report.provenance import Scrubber, read_trace, reads_fingerprint, sha256_file

KERNEL_NAME = "python3"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
TRACE_MODULE = "voyager_analysis.report.trace"
#: Libraries' thread pools, capped per kernel so that ``jobs`` kernels do not oversubscribe the cores.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def kernel_environment(jobs: int) -> dict[str, str]:
    """Variables the workers (and so their kernels) get: inline figures, quiet debugger, and
    ``cores // jobs`` threads per kernel unless the caller set a thread count already."""
    env = {"MPLBACKEND": INLINE_BACKEND, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    threads = str(max(1, (os.cpu_count() or 1) // max(1, jobs)))
    env.update({v: threads for v in THREAD_VARIABLES if v not in os.environ})
    return env


def import_papermill():
    # nbformat -> jsonschema imports the optional 'rfc3987_syntax', which builds a grammar at import time
    # (about 2 s here) for the 'iri' string format that no notebook schema uses. Hide it in this process.
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    import logging

    import papermill

    # Parameters are validated by plan_run; papermill's own parser warns about lines it cannot read.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    return papermill


def init_worker(env: Mapping[str, str]) -> None:
    """Start of a worker process: its environment (inherited by its kernels), papermill and nbconvert
    imported once for all the notebooks it will run, and a watchdog that ends the worker if the runner
    dies without cleaning up (killed): its kernel then sees its parent gone and exits too."""
    import threading

    os.environ.update(env)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="va-orphan-watchdog").start()
    import_papermill()
    import nbconvert  # noqa: F401


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _papermill(task: Mapping[str, Any], out_ipynb: Path) -> dict | None:
    """Run one notebook with papermill; returns None on success or the error description."""
    pm = import_papermill()
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(task["path"], str(out_ipynb), parameters=task["parameters"], kernel_name=KERNEL_NAME,
                            cwd=task["cwd"], progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False, start_timeout=180,
                            # outputs are collected when the last cell ends and the kernel writes nothing
                            # after it, so it is stopped at once instead of waiting ~0.4 s for a graceful exit
                            shutdown_kernel="immediate",
                            execution_timeout=task["timeout_s"],
                            extra_arguments=["--IPKernelApp.log_level=CRITICAL",
                                             f"--IPKernelApp.exec_lines=import {TRACE_MODULE}"])
        return None
    except PapermillExecutionError as exc:
        lines = [ln for ln in str(exc.source).splitlines() if ln.strip()]
        return {"cell": exc.cell_index, "execution_count": exc.exec_count, "ename": exc.ename,
                "evalue": _strip_ansi(str(exc.evalue))[:2000],
                "source_first_line": lines[0][:200] if lines else None}
    except Exception as exc:  # noqa: BLE001 - kernel died, timeout, unreadable notebook ...
        return {"cell": None, "execution_count": None, "ename": type(exc).__name__,
                "evalue": _strip_ansi(str(exc)).strip()[:2000], "source_first_line": None}


def run_notebook(task: Mapping[str, Any]) -> dict:
    """Worker: execute one notebook into ``task['tmp_dir']`` and return its manifest record (without the
    reuse fields, which the runner adds)."""
    import nbformat

    from voyager_analysis.nbtools import read_results

    tmp_dir = Path(task["tmp_dir"])
    out_ipynb = tmp_dir / f"{task['name']}.ipynb"
    trace = tmp_dir / f".reads-{task['name']}.txt"
    os.environ["VA_REPORT_TRACE"], os.environ["VA_REPORT_DATA"] = str(trace), task["data_dir"]
    t = time.perf_counter()
    error = _papermill(task, out_ipynb)
    duration = time.perf_counter() - t
    scrub: Scrubber = task["scrub"]
    nb = nbformat.read(str(out_ipynb if out_ipynb.exists() else task["path"]), as_version=4)
    pm_meta = nb.metadata.get("papermill")
    if pm_meta is not None:
        pm_meta["input_path"] = Path(task["path"]).name
        pm_meta["output_path"] = out_ipynb.name
    nb = nbformat.from_dict(scrub.walk(nb))
    nbformat.write(nb, str(out_ipynb))
    reads = read_trace(trace, Path(task["data_dir"]))
    trace.unlink(missing_ok=True)
    record = {
        "notebook": Path(task["path"]).name,
        "name": task["name"],
        "sha256": sha256_file(task["path"]),
        "status": "failed" if error else "ok",
        "duration_s": round(duration, 3),
        "parameters": scrub.walk(dict(task["parameters"])),
        "results": read_results(out_ipynb),
        "error": scrub.walk(error) if error else None,
        "ipynb": out_ipynb.name,
        "html": f"{task['name']}.html",
        "reused_from": None,
        "data_read": reads,
    }
    title = html_mod.first_heading(nb) or task["name"]
    header = html_mod.header_html(record, task["run"])
    page = html_mod.notebook_to_html(html_mod.without_results_cell(nb), header=header,
                                     title=f"{title} · {task['run']['run_id']}", show_code=task["show_code"])
    (tmp_dir / record["html"]).write_text(page, encoding="utf-8")
    return record


# --- reuse ---------------------------------------------------------------------------------------------------

def find_reusable(name: str, key: str, runs: list[dict], out_dir: Path, data_dir: Path,
                  inputs: Mapping[str, str]) -> tuple[dict, Path] | None:
    """The newest earlier successful execution of notebook ``name`` with the same reuse ``key`` whose
    data files (those it read, see :mod:`.trace`) are unchanged, and its run folder; or None."""
    for m in runs:
        for r in m.get("notebooks", []):
            if r.get("name") != name or r.get("status") != "ok" or r.get("reuse_key") != key:
                continue
            read = r.get("inputs_read")
            if not isinstance(read, dict) or reads_fingerprint(read, data_dir, inputs) != read:
                continue
            folder = out_dir / m["run_id"]
            if (folder / str(r.get("ipynb"))).is_file() and (folder / str(r.get("html"))).is_file():
                return r, folder
    return None


def reuse(old: Mapping[str, Any], old_dir: Path, tmp_dir: Path, run: Mapping[str, Any]) -> dict:
    """Copy a notebook's executed ``.ipynb`` and HTML from an earlier run into this one (the HTML gets this
    run's header); returns its record for this run."""
    shutil.copyfile(old_dir / old["ipynb"], tmp_dir / old["ipynb"])
    record = {**old, "reused_from": old.get("reused_from") or old_dir.name}
    page = (old_dir / old["html"]).read_text(encoding="utf-8").replace(
        f" · {old_dir.name}</title>", f" · {run['run_id']}</title>", 1)
    (tmp_dir / old["html"]).write_text(html_mod.replace_header(page, html_mod.header_html(record, run)),
                                       encoding="utf-8")
    return record


def with_reads(record: dict, data_dir: Path, inputs: Mapping[str, str]) -> dict:
    """Turn the worker's ``data_read`` (paths, or None when untraced: every data file counts) into
    ``inputs_read`` (path → hash now), the part of the reuse check that follows the data."""
    reads = record.pop("data_read", None)
    record["inputs_read"] = reads_fingerprint(reads, data_dir, inputs) if reads is not None else dict(inputs)
    return record
