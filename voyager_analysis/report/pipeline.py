"""One report run from plan to published folder: lock, reuse or execute each notebook, manifest,
atomic rename, ``latest``, pruning, index. See :func:`run_report`."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from voyager_analysis import config
from voyager_analysis.errors import InputError, display_path
from voyager_analysis.report import execute, provenance, runs
from voyager_analysis.report.html import INDEX_NAME, error_text, results_json_text
from voyager_analysis.report.plan import RUN_DIR_PARAMETER, NotebookSpec, RunPlan, plan_run
from voyager_analysis.summary.run import PENDING_MARKER


class _Progress:
    def __init__(self, stream: TextIO | None):
        self.stream, self.t0, self.lock = stream, time.perf_counter(), threading.Lock()

    def __call__(self, text: str) -> None:
        if self.stream is not None:
            with self.lock:
                print(f"[{time.perf_counter() - self.t0:6.1f}s] {text}", file=self.stream, flush=True)


def run_report(plan: RunPlan | None = None, *, progress: TextIO | None | str = "stderr", **options) -> dict:
    """Execute a run and publish it; returns its manifest (``status`` 'ok' or 'failed').

    ``plan`` comes from :func:`plan_run` (or pass :func:`plan_run`'s keyword arguments here).
    Bad input raises InputError before the lock is taken and anything is written; an OSError on the
    reports folder (read-only, disk full) becomes an InputError naming the folder.
    """
    plan = plan or plan_run(**options)
    stream = sys.stderr if progress == "stderr" else progress
    try:
        plan.out_dir.mkdir(parents=True, exist_ok=True)
        lock = runs.RunLock(plan.out_dir, wait=plan.wait, progress=stream)
    except OSError as exc:
        raise _folder_error(plan.out_dir, exc) from None
    tmp_dir: Path | None = None
    try:
        runner = _Run(plan, _Progress(stream))
        tmp_dir = runner.tmp_dir
        manifest = runner.execute_all()
        runner.publish(manifest)
        tmp_dir = None
        return manifest
    except OSError as exc:
        raise _folder_error(plan.out_dir, exc) from None
    finally:
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)
        lock.release()


def _folder_error(out_dir: Path, exc: OSError) -> InputError:
    where = display_path(Path(exc.filename)) if exc.filename else display_path(out_dir)
    return InputError(f"reports folder {display_path(out_dir)}: cannot write {where} ({exc.strerror or exc})")


class _Run:
    """The state of one run between the lock and the rename."""

    def __init__(self, plan: RunPlan, say: _Progress):
        self.plan, self.say, self.t0 = plan, say, time.perf_counter()
        self.started = datetime.now(timezone.utc)
        runs.remove_stale_tmp(plan.out_dir)
        self.inputs = provenance.input_hashes(plan.data_dir)
        self.scenario = None
        if plan.scenario is not None:
            self.scenario = {"name": plan.scenario.stem, "path": provenance.portable(plan.scenario),
                             "sha256": provenance.sha256_file(plan.scenario)}
        self.nb_sha = {s.name: provenance.sha256_file(s.path) for s in plan.notebooks}
        fingerprint = {"inputs": self.inputs, "notebooks": self.nb_sha, "parameters": plan.parameters,
                       "scenario": self.scenario and self.scenario["sha256"]}
        base = run_id = provenance.make_run_id(self.started, fingerprint)
        n = 2
        while (plan.out_dir / run_id).exists():
            run_id, n = f"{base}-{n}", n + 1
        self.run_id = run_id
        self.tmp_dir = plan.out_dir / f"{runs.TMP_PREFIX}{run_id}-{os.getpid()}"
        self.tmp_dir.mkdir()
        self.run_dir = plan.out_dir / run_id
        self.scrub = provenance.make_scrubber(plan.notebooks_dir, plan.out_dir, plan.data_dir, self.tmp_dir,
                                              self.run_dir)
        self.versions = provenance.versions()
        self.environment = {"versions": self.versions, "code": provenance.code_digest(),
                            "show_code": plan.show_code, "kernel": execute.KERNEL_NAME}
        self.header = {"run_id": run_id, "started_at": provenance.iso(self.started), "scenario": self.scenario,
                       "git": provenance.git_commit(config.ROOT), "exploration": plan.exploration}
        self.earlier = runs.list_runs(plan.out_dir)
        self.records: dict[str, dict] = {}
        self.pool = None

    # --- scheduling --------------------------------------------------------------------------------------

    def _key(self, spec: NotebookSpec, extra: Any = None) -> str:
        env = self.environment if extra is None else {**self.environment, "siblings": extra}
        return provenance.static_key(self.nb_sha[spec.name], self.plan.injected.get(spec.name, {}),
                                     self.scenario and self.scenario["sha256"], env)

    def _reuse_or_task(self, spec: NotebookSpec, key: str) -> dict | None:
        """Reuse the notebook (record stored, None returned) or describe the task that executes it."""
        if not self.plan.force:
            found = execute.find_reusable(spec.name, key, self.earlier, self.plan.out_dir, self.plan.data_dir,
                                          self.inputs)
            if found:
                record = execute.reuse(*found, self.tmp_dir, self.header)
                self.records[spec.name] = {**record, "reuse_key": key}
                self.say(f"{spec.name}: reused (unchanged since run {record['reused_from']})")
                return None
        params = dict(self.plan.injected.get(spec.name, {}))
        if spec.is_summary and RUN_DIR_PARAMETER in spec.parameters:
            params[RUN_DIR_PARAMETER] = os.path.relpath(self.tmp_dir, self.plan.notebooks_dir)
        return {"path": str(spec.path), "name": spec.name, "parameters": params, "cwd": str(self.plan.notebooks_dir),
                "tmp_dir": str(self.tmp_dir), "data_dir": str(self.plan.data_dir), "timeout_s": self.plan.timeout_s,
                "show_code": self.plan.show_code, "scrub": self.scrub, "run": self.header, "reuse_key": key}

    def _pool(self, n_tasks: int):
        """The run's worker pool, started on first use and kept for the summary (a second pool would spend
        about a second starting its workers while every other notebook is done)."""
        if self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(max_workers=min(self.plan.jobs, n_tasks),
                                            mp_context=multiprocessing.get_context("spawn"),
                                            initializer=execute.init_worker,
                                            initargs=(execute.kernel_environment(self.plan.jobs),))
        return self.pool

    def _submit(self, tasks: list[dict], note: str = "") -> dict:
        """Queue ``tasks`` on the pool (first in, first out); returns {future: task}."""
        if not tasks:
            return {}
        pool = self._pool(len(tasks))
        pending = {}
        for task in tasks:
            self.say(f"{task['name']}: running{note}")
            pending[pool.submit(execute.run_notebook, task)] = task
        return pending

    def _collect(self, pending: dict) -> None:
        """Wait for the futures of ``pending`` and store their records."""
        from concurrent.futures import FIRST_COMPLETED, wait

        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    task = pending.pop(future)
                    record = execute.with_reads(future.result(), self.plan.data_dir, self.inputs)
                    self.records[task["name"]] = {**record, "reuse_key": task["reuse_key"]}
                    if record["error"]:
                        self.say(f"{task['name']}: FAILED after {record['duration_s']:.1f}s: "
                                 f"{error_text(record['error'])}")
                    else:
                        self.say(f"{task['name']}: ok in {record['duration_s']:.1f}s")
        except BaseException:
            pool = self.pool
            for proc in list(getattr(pool, "_processes", {}).values()):  # no public way to stop a task
                proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
            raise

    def _close_pool(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    def execute_all(self) -> dict:
        plan = self.plan
        self.say(f"run {self.run_id}: {len(plan.notebooks)} notebook(s), {plan.jobs} job(s)"
                 + (", exploration" if plan.exploration else "") + (", --force" if plan.force else ""))
        before = {r["name"]: float(r["duration_s"]) for m in self.earlier[:1] for r in m["notebooks"]}
        first = sorted((s for s in plan.notebooks if not s.is_summary), key=lambda s: -before.get(s.name, 1e9))
        last = [s for s in plan.notebooks if s.is_summary]
        tasks = [t for s in first if (t := self._reuse_or_task(s, self._key(s))) is not None]
        # When the summary will execute whatever the others give (--force, or no earlier summary to reuse), its
        # kernel can start (and import) as soon as a worker is free; it waits for the marker to go before it
        # reads the other notebooks' results. Otherwise its reuse depends on their results: decided after them.
        reusable = {r.get("name") for m in self.earlier for r in m.get("notebooks", []) if r.get("status") == "ok"}
        early = ((plan.force or not any(s.name in reusable for s in last)) and bool(tasks) and plan.jobs > 1
                 and all(RUN_DIR_PARAMETER in s.parameters for s in last))
        try:
            pending, waiting = self._submit(tasks), {}
            if early:
                (self.tmp_dir / PENDING_MARKER).touch()
                waiting = self._submit([self._reuse_or_task(s, "") for s in last], " (queued now: its kernel "
                                       "starts when a worker is free, then waits for the other notebooks)")
            self._collect(pending)
            (self.tmp_dir / PENDING_MARKER).unlink(missing_ok=True)
            siblings = {n: [r["status"], r.get("results")] for n, r in sorted(self.records.items())}
            for task in waiting.values():
                task["reuse_key"] = self._key(next(s for s in last if s.name == task["name"]), siblings)
            self._collect(waiting or self._submit(
                [t for s in last if (t := self._reuse_or_task(s, self._key(s, siblings))) is not None]))
        finally:
            self._close_pool()
        return self._manifest()

    # --- the manifest and publishing ----------------------------------------------------------------------

    def _manifest(self) -> dict:
        plan = self.plan
        records = sorted(self.records.values(), key=lambda r: r["notebook"])
        as_of = Counter(str(r["results"]["prices_as_of"]) for r in records
                        if isinstance(r.get("results"), dict) and r["results"].get("prices_as_of"))
        failed = [r["name"] for r in records if r["status"] != "ok"]
        manifest = {
            "run_id": self.run_id, "status": "failed" if failed else "ok", "started_at": self.header["started_at"],
            "finished_at": provenance.iso(datetime.now(timezone.utc)),
            "duration_s": round(time.perf_counter() - self.t0, 3),
            "kind": "exploration" if plan.exploration else "full",
            "git": self.header["git"], "versions": self.versions, "scenario": self.scenario,
            "parameters": plan.parameters,
            "options": {"selected": [s.name for s in plan.notebooks], "jobs": plan.jobs,
                        "show_code": plan.show_code, "timeout_s": plan.timeout_s, "force": plan.force},
            "prices_as_of": as_of.most_common(1)[0][0] if as_of else None,
            "inputs": self.inputs, "notebooks": records,
        }
        return self.scrub.walk(manifest)

    def publish(self, manifest: dict) -> None:
        plan, say = self.plan, self.say
        try:
            text = json.dumps(manifest, indent=2, allow_nan=False)
        except ValueError:  # a notebook's results JSON held NaN or infinity: strict JSON has no such numbers
            from voyager_analysis.results import to_jsonable

            manifest.update(to_jsonable(manifest))
            text = json.dumps(manifest, indent=2, allow_nan=False)
        (self.tmp_dir / runs.MANIFEST_NAME).write_text(text + "\n", encoding="utf-8")
        (self.tmp_dir / runs.RESULTS_NAME).write_text(results_json_text(manifest["notebooks"]), encoding="utf-8")
        os.replace(self.tmp_dir, self.run_dir)
        failed = [r["name"] for r in manifest["notebooks"] if r["status"] != "ok"]
        if not failed and manifest["kind"] == "full":
            runs.set_latest(plan.out_dir, self.run_id)
        if plan.keep:
            for gone in runs.prune_runs(plan.out_dir, plan.keep):
                say(f"pruned {gone}")
        from voyager_analysis.report.index import write_index

        write_index(plan.out_dir)
        reused = sum(1 for r in manifest["notebooks"] if r.get("reused_from"))
        shown = display_path(plan.out_dir)
        say(f"run {self.run_id}: {len(manifest['notebooks']) - len(failed)} ok ({reused} reused), "
            f"{len(failed)} failed" + (f" ({', '.join(failed)})" if failed else "")
            + (" — exploration, 'latest' unchanged" if manifest["kind"] != "full" else "")
            + f"; wrote {shown}/{self.run_id}/ and {shown}/{INDEX_NAME}")
