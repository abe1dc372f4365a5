"""Imported by a report's kernels at start: note every file under the data folder the notebook opens or
lists, so that the next run can reuse the notebook unless one of THOSE files changed.

Active only when the runner sets ``VA_REPORT_TRACE`` (the file to append to) and ``VA_REPORT_DATA`` (the
data folder); standard library only, so importing it costs nothing.
"""

from __future__ import annotations

import os
import sys


def _install(trace_file: str, data_dir: str) -> None:
    data = os.path.realpath(data_dir)
    seen: set[tuple[str, str]] = set()
    with open(trace_file, "w", encoding="utf-8") as f:
        f.write("trace\n")
    busy = []

    def hook(event: str, args: tuple) -> None:
        if busy or event not in ("open", "os.listdir", "os.scandir") or not args:
            return
        path = args[0]
        if isinstance(path, int) or path is None:
            return
        busy.append(1)
        try:
            path = os.path.realpath(os.fsdecode(path))
            if path == data or path.startswith(data + os.sep):
                item = ("file" if event == "open" else "dir", path)
                if item not in seen:
                    seen.add(item)
                    with open(trace_file, "a", encoding="utf-8") as f:
                        f.write(f"{item[0]} {path}\n")
        except Exception:  # noqa: BLE001 - never break the notebook; the runner then counts every data file
            try:
                with open(trace_file, "a", encoding="utf-8") as f:
                    f.write("incomplete\n")
            except OSError:
                pass
        finally:
            busy.pop()

    sys.addaudithook(hook)


if os.environ.get("VA_REPORT_TRACE") and os.environ.get("VA_REPORT_DATA"):
    _install(os.environ["VA_REPORT_TRACE"], os.environ["VA_REPORT_DATA"])
