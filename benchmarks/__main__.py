"""`make bench`: run every benchmarks/bench_*.py module's ``main()`` in name order.

Each benchmark prints its own measured numbers and returns 0 when its targets are met, 1 otherwise.
Performance targets live here, never in timed unit tests.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    only = sys.argv[1:]
    status = 0
    for name in names:
        if only and name not in only:
            continue
        print(f"== {name}", flush=True)
        status |= int(importlib.import_module(f"benchmarks.{name}").main() or 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
