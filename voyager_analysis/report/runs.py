"""The reports folder: the lock, atomic publishing of a run, ``latest``, listing and pruning runs.

Layout of ``OUT/``: one folder per run (``<run-id>/``: executed notebooks, HTML, ``manifest.json``,
``results.json``), ``index.html``, ``latest`` (relative symlink to the newest complete default run, or
``latest.txt`` holding its id where symlinks are impossible), ``.lock``, and while a run is under way its
hidden ``.tmp-<run-id>-<pid>/`` folder, renamed into place at the end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from voyager_analysis.errors import InputError

LOCK_NAME = ".lock"
TMP_PREFIX = ".tmp-"
LATEST_NAME = "latest"
LATEST_TXT = "latest.txt"
MANIFEST_NAME = "manifest.json"
RESULTS_NAME = "results.json"
RUN_ID_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z-[0-9a-f]{8}(-\d+)?$")


# --- the lock -------------------------------------------------------------------------------------------------

class RunLock:
    """An exclusive lock on ``OUT/.lock`` for the whole run: ``fcntl.flock`` on POSIX, ``msvcrt.locking``
    on Windows. The holder writes its pid and start time into the file so that a waiting run can say
    whom it waits for. Released by :meth:`release` or when the process ends (the OS drops the lock)."""

    def __init__(self, out_dir: Path, *, wait: bool, progress: TextIO | None):
        self.path = out_dir / LOCK_NAME
        self.fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not self._try(blocking=False):
            holder = self._holder()
            if not wait:
                os.close(self.fd)
                self.fd = None
                raise InputError(f"another report run is writing to this folder ({holder}); "
                                 f"try again later, or run without --no-wait to wait for it")
            if progress:
                print(f"report: waiting for another report run on this folder to finish ({holder})",
                      file=progress, flush=True)
            self._try(blocking=True)
        stamp = f"pid {os.getpid()}, started {datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}\n".encode()
        os.lseek(self.fd, 0, os.SEEK_SET)
        if sys.platform != "win32":  # on Windows the locked byte range cannot be truncated away
            os.ftruncate(self.fd, 0)
        os.write(self.fd, stamp.ljust(64))

    def _try(self, *, blocking: bool) -> bool:
        if sys.platform == "win32":
            import msvcrt
            import time

            while True:  # msvcrt's own blocking mode gives up after 10 s: poll instead
                os.lseek(self.fd, 0, os.SEEK_SET)
                try:
                    msvcrt.locking(self.fd, msvcrt.LK_NBLCK, 1)
                    return True
                except OSError:
                    if not blocking:
                        return False
                    time.sleep(0.5)
        import fcntl

        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            return True
        except BlockingIOError:
            return False

    def _holder(self) -> str:
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                return f.read(200).strip() or "unknown process"
        except OSError:
            return "unknown process"

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            if sys.platform == "win32":
                import msvcrt

                os.lseek(self.fd, 0, os.SEEK_SET)
                msvcrt.locking(self.fd, msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                os.ftruncate(self.fd, 0)
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)
            self.fd = None


# --- writing ---------------------------------------------------------------------------------------------

def write_atomic(path: Path, text: str) -> None:
    """Write a file through a hidden temporary file and a rename (readers never see half a file)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def remove_stale_tmp(out_dir: Path) -> None:
    """Remove hidden temporary run folders left by killed runs (safe: we hold the lock)."""
    for p in out_dir.glob(f"{TMP_PREFIX}*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


def set_latest(out_dir: Path, run_id: str) -> str:
    """Point ``OUT/latest`` at ``run_id`` (relative symlink, replaced atomically). Where symlinks are
    impossible, write ``OUT/latest.txt`` holding the run id instead. Returns which one was written."""
    link, tmp = out_dir / LATEST_NAME, out_dir / f".{LATEST_NAME}.tmp-{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(run_id, tmp)
        os.replace(tmp, link)
        txt = out_dir / LATEST_TXT
        if txt.exists():
            txt.unlink()
        return LATEST_NAME
    except OSError:
        write_atomic(out_dir / LATEST_TXT, run_id + "\n")
        if link.is_symlink():  # a stale link would win over the text file
            link.unlink()
        return LATEST_TXT


def latest_run(out_dir: str | Path) -> str | None:
    """The run id ``OUT/latest`` (or ``OUT/latest.txt``) points to, or None."""
    out = Path(out_dir)
    link = out / LATEST_NAME
    if link.is_symlink():
        return Path(os.readlink(link)).name
    txt = out / LATEST_TXT
    if txt.is_file():
        return txt.read_text(encoding="utf-8").strip() or None
    return None


# --- reading ----------------------------------------------------------------------------------------------

_NUMBER = (int, float)


def manifest_problem(m: Any, run_id: str) -> str | None:
    """Why a run's manifest cannot be shown (None if it can): wrong shape or types of the keys the index
    and the runner read."""
    if not isinstance(m, dict):
        return "manifest.json is not a JSON object"
    if m.get("run_id") != run_id:
        return f"manifest.json names run {str(m.get('run_id'))[:40]!r}, not its folder"
    for key, types in [("status", str), ("started_at", str), ("duration_s", _NUMBER), ("notebooks", list)]:
        value = m.get(key)
        if not isinstance(value, types) or isinstance(value, bool):
            return f"manifest.json: '{key}' has the wrong type ({type(value).__name__})"
    for key in ("parameters", "scenario", "git", "options"):
        if m.get(key) is not None and not isinstance(m[key], dict):
            return f"manifest.json: '{key}' has the wrong type ({type(m[key]).__name__})"
    for i, r in enumerate(m["notebooks"]):
        if not isinstance(r, dict):
            return f"manifest.json: notebooks[{i}] is not an object"
        for key, types in [("name", str), ("notebook", str), ("status", str), ("html", str), ("duration_s", _NUMBER)]:
            if not isinstance(r.get(key), types) or isinstance(r.get(key), bool):
                return f"manifest.json: notebooks[{i}].{key} has the wrong type ({type(r.get(key)).__name__})"
    return None


def scan_runs(out_dir: str | Path) -> tuple[list[dict], list[dict]]:
    """``(manifests newest first, unreadable)``: every run folder of ``out_dir``; a folder whose manifest
    is missing, does not parse or has wrong types is listed in ``unreadable`` as ``{run_id, problem}``."""
    out = Path(out_dir)
    runs, bad = [], []
    if not out.is_dir():
        return runs, bad
    for p in out.iterdir():
        if not p.is_dir() or p.is_symlink() or not RUN_ID_RE.match(p.name):
            continue
        try:
            m = json.loads((p / MANIFEST_NAME).read_text(encoding="utf-8"))
        except FileNotFoundError:
            bad.append({"run_id": p.name, "problem": "no manifest.json"})
            continue
        except (OSError, ValueError) as exc:
            bad.append({"run_id": p.name, "problem": f"manifest.json cannot be read ({type(exc).__name__})"})
            continue
        problem = manifest_problem(m, p.name)
        if problem:
            bad.append({"run_id": p.name, "problem": problem})
        else:
            runs.append(m)
    runs.sort(key=lambda m: (m["started_at"], _id_key(m["run_id"])), reverse=True)
    bad.sort(key=lambda b: _id_key(b["run_id"]), reverse=True)
    return runs, bad


def list_runs(out_dir: str | Path) -> list[dict]:
    """Manifests of every readable published run in ``out_dir``, newest first."""
    return scan_runs(out_dir)[0]


def _id_key(run_id: str) -> tuple[str, int]:
    base, _, n = run_id.rpartition("-")
    return (base, int(n)) if n.isdigit() and RUN_ID_RE.match(base) else (run_id, 0)


def prune_runs(out_dir: str | Path, keep: int) -> list[str]:
    """Delete run folders beyond the ``keep`` newest, never the one ``latest`` points to; returns the
    deleted run ids. Only folders that are runs (named like a run id, with a readable manifest) are
    touched."""
    if keep < 1:
        raise InputError(f"--keep must be at least 1, got {keep}")
    out = Path(out_dir)
    good = latest_run(out)
    gone = []
    for m in list_runs(out)[keep:]:
        if m["run_id"] != good:
            shutil.rmtree(out / m["run_id"])
            gone.append(m["run_id"])
    return gone
