"""HAC covariance and a 100,000-row metrics file through `scaling` and `triggers` (issue 18: "HAC in O(n·L)").

Targets: the Newey-West covariance of 100,000 rows with the full bandwidth (maxlags = n - 1, the default) in under
a second of CPU and without an n x n matrix (which would need 80 GB); the scaling report (total, components,
breakpoint search) and the trigger report on a 100,000-row frame each in under 10 CPU seconds. Reading the CSV
(``metrics.load_metrics``, cell-by-cell validation) is timed separately and printed, not judged here. The growth
curves refuse series over ``growth.curves.MAX_POINTS`` months with one line, so the trigger report carries that
note instead of growth forecasts. Times are CPU seconds of this process (the machine is shared); peak resident
memory is printed. Returns 0 when the targets are met.
"""

from __future__ import annotations

import resource
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROWS = 100_000
TARGET_HAC_SECONDS = 1.0
TARGET_REPORT_SECONDS = 10.0


def _write_metrics(path: Path, n: int) -> None:
    from voyager_analysis.months import month_str

    rng = np.random.default_rng(1)
    t = np.arange(n)
    users = np.round(1000 * np.exp(0.0001 * t) * np.exp(rng.normal(0, 0.02, n)))
    cost = 0.1 * users**0.8 * np.exp(rng.normal(0, 0.05, n))
    with path.open("w") as f:
        f.write("month,users,cost_neon_usd,cost_vercel_usd,db_connections_pct\n")
        for i in range(n):
            f.write(f"{month_str(12 + i)},{users[i]:.0f},{cost[i]:.2f},{cost[i] / 2:.2f},"
                    f"{min(99.0, 5 + users[i] / 1e3):.2f}\n")


def _cpu(fn):
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def main() -> int:
    from voyager_analysis import assumptions, metrics, scaling, triggers
    from voyager_analysis.stats import hac

    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(ROWS), np.log1p(np.arange(ROWS, dtype=float))])
    e = rng.normal(size=ROWS)
    XtX_inv = np.linalg.inv(X.T @ X)
    hac_s, _ = _cpu(lambda: hac._hac_cov(e[None], X, XtX_inv, ROWS - 1))
    print(f"HAC covariance, {ROWS:,} rows, maxlags {ROWS - 1:,}: {hac_s:.3f} s CPU (target < {TARGET_HAC_SECONDS} s)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "metrics.csv"
        _write_metrics(path, ROWS)
        load_s, df = _cpu(lambda: metrics.load_metrics(path))
    roadmap = assumptions.load_roadmap()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scaling_s, rep = _cpu(lambda: scaling.scaling_report(df))
        triggers_s, trig = _cpu(lambda: triggers.trigger_report(df, roadmap))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load_metrics, {ROWS:,} rows: {load_s:.2f} s CPU (not judged here)")
    print(f"scaling report: {scaling_s:.2f} s CPU (target < {TARGET_REPORT_SECONDS} s); elasticity "
          f"{rep.total.elasticity:.4f}; {rep.total.method.split(';')[1].strip()}")
    print(f"trigger report: {triggers_s:.2f} s CPU (target < {TARGET_REPORT_SECONDS} s); "
          f"{int((trig.table.status == 'fired').sum())} fired")
    print(f"peak resident memory: {peak_mb:,.0f} MB")
    ok = hac_s < TARGET_HAC_SECONDS and scaling_s < TARGET_REPORT_SECONDS and triggers_s < TARGET_REPORT_SECONDS
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
