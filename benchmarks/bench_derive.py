"""derive (DuckDB, SQL in the engine) vs a straightforward pandas implementation of the same metrics.

Issue 13's targets, on 20M message rows in Parquet (100K users, 24 months): ``derive`` at least as fast as
pandas (wall clock) and with at most half its peak memory (RSS). Each run is a separate process, so its peak
RSS (``wait4``) is its own; both runs compute every metric, and their monthly results are checked to agree
before anything is timed. How derive's time grows from 2M to 20M rows is printed too. ``derive`` runs with
its validation on (pandas does none) and DuckDB's memory limit at ``MEMORY_LIMIT``.

Then derive's time on the three engines (DuckDB, a throw-away local PostgreSQL, local-mode Spark) on the
shipped example events, each checked to give identical metrics (informational).

Environment: ``BENCH_DERIVE_ROWS=2000000,20000000`` changes the sizes (the largest is compared with pandas);
``BENCH_DERIVE_BIG=50000000`` adds a bounded-memory run of derive alone at that size (skipped by default: it
needs ~2 GB of disk and minutes on a shared 2-core machine). Data are generated with DuckDB's ``range()`` in
a temporary folder and deleted afterwards. Returns 0 when both targets are met.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

USERS = 100_000
MONTHS = 24
MEMORY_LIMIT = "1GB"
SECONDS_24_MONTHS = 730 * 86_400


def generate(folder: Path, n_messages: int) -> None:
    """A synthetic event folder: ``n_messages`` messages, growing over 24 months, ids as integers."""
    import duckdb

    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    start = "TIMESTAMPTZ '2024-01-01 00:00:00+00'"
    n_conv = max(n_messages // 20, 1)
    con.execute(f"""COPY (SELECT i AS user_id, {start} + to_seconds(CAST(sqrt(i / {USERS}) * {SECONDS_24_MONTHS} * 0.9 AS BIGINT)) AS signed_up_at
        FROM range({USERS}) t(i)) TO '{folder}/users.parquet' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT i AS subscription_id, i * 20 AS user_id, CASE WHEN i % 10 = 0 THEN 'max' ELSE 'pro' END AS tier,
        {start} + to_seconds(CAST(sqrt((i * 20.0) / {USERS}) * {SECONDS_24_MONTHS} * 0.9 + 86400 AS BIGINT)) AS started_at,
        CASE WHEN i % 3 = 0 THEN {start} + to_seconds(CAST({SECONDS_24_MONTHS} * 0.95 AS BIGINT)) END AS ended_at,
        20.0 AS monthly_price_usd FROM range({USERS // 20}) t(i)) TO '{folder}/subscriptions.parquet' (FORMAT parquet)""")
    # message i at a time growing like sqrt (more users later); its user is one who has signed up by then
    con.execute(f"""COPY (SELECT i AS message_id, CAST(hash(i) % (1 + least({USERS - 1}, floor({USERS} * f))) AS BIGINT) AS user_id,
        i % {n_conv} AS conversation_id, {start} + to_seconds(CAST(sqrt(f) * {SECONDS_24_MONTHS} * 0.999 AS BIGINT)) AS created_at,
        CASE WHEN hash(i * 7) % 100 < 35 THEN 'claude-sonnet-4-5' ELSE 'claude-haiku-4-5' END AS model,
        CAST(500 + hash(i * 3) % 1000 AS BIGINT) AS input_tokens,
        CAST(CASE WHEN hash(i * 5) % 10 < 4 THEN 1000 + hash(i * 11) % 2000 ELSE 0 END AS BIGINT) AS cache_read_input_tokens,
        CAST(CASE WHEN hash(i * 13) % 10 = 0 THEN 1500 ELSE 0 END AS BIGINT) AS cache_creation_input_tokens,
        CAST(100 + hash(i * 17) % 600 AS BIGINT) AS output_tokens, hash(i * 19) % 20 = 0 AS batch
        FROM (SELECT i, i / {n_messages}.0 AS f FROM range({n_messages}) t(i)))
        TO '{folder}/messages' (FORMAT parquet, PER_THREAD_OUTPUT true)""")
    con.execute(f"""COPY (SELECT i AS conversation_id, i % {USERS} AS user_id,
        {start} + to_seconds(CAST(i / {n_conv}.0 * {SECONDS_24_MONTHS} * 0.99 AS BIGINT)) AS created_at,
        CAST(2000 + hash(i) % 50000 AS BIGINT) AS size_bytes, CAST(hash(i * 3) % 5 AS BIGINT) AS view_count,
        CAST(NULL AS TIMESTAMPTZ) AS last_viewed_at,
        CASE WHEN i < {n_conv} / 3 THEN {start} + to_seconds(CAST({SECONDS_24_MONTHS} * 0.5 AS BIGINT)) END AS archived_at
        FROM range({n_conv}) t(i)) TO '{folder}/conversations.parquet' (FORMAT parquet)""")
    con.close()


# --- the two implementations (run in child processes) ---------------------------------------------------------

def run_derive(folder: str) -> dict:
    from voyager_analysis.sources.derive import derive_metrics

    df = derive_metrics(folder, memory_limit=MEMORY_LIMIT)
    return _digest(df)


def run_pandas(folder: str) -> dict:
    """The straightforward way: read the needed columns into pandas, group by month, count and sum."""
    import numpy as np
    import pandas as pd

    f = Path(folder)
    m = _read(f / "messages", ["user_id", "created_at", "model", "input_tokens", "cache_read_input_tokens",
                               "cache_creation_input_tokens", "output_tokens", "batch"])
    m["month"] = m["created_at"].dt.year * 12 + m["created_at"].dt.month - 1
    m["all_input"] = m["input_tokens"] + m["cache_read_input_tokens"] + m["cache_creation_input_tokens"]
    m["sonnet"] = m["model"].str.contains("sonnet", case=False)
    g = m.groupby("month").agg(messages=("user_id", "size"), users=("user_id", "nunique"),
                               input_tokens=("all_input", "sum"), output_tokens=("output_tokens", "sum"),
                               sonnet=("sonnet", "sum"), batch=("batch", "sum"))
    del m
    u = _read(f / "users.parquet", ["signed_up_at"])
    new = (u["signed_up_at"].dt.year * 12 + u["signed_up_at"].dt.month - 1).value_counts()
    s = _read(f / "subscriptions.parquet", ["tier", "started_at", "ended_at"])
    c = _read(f / "conversations.parquet", ["created_at", "size_bytes", "archived_at"])
    months = np.arange(min(g.index.min(), new.index.min()), g.index.max() + 1)
    ends = pd.Series([pd.Timestamp(f"{mo // 12:04d}-{mo % 12 + 1:02d}-01", tz="UTC") + pd.offsets.MonthBegin(1)
                      for mo in months], index=months)
    out = pd.DataFrame(index=months)
    out["messages"] = g["messages"].reindex(months, fill_value=0)
    out["users"] = g["users"].reindex(months, fill_value=0)
    out["new_users"] = new.reindex(months, fill_value=0)
    for tier in ("pro", "max"):
        t = s[s["tier"] == tier]
        out[f"{tier}_subscribers"] = [int(((t.started_at < e) & (t.ended_at.isna() | (t.ended_at >= e))).sum()) for e in ends]
    out["storage_gb"] = [c.size_bytes[(c.created_at < e) & ~(c.archived_at < e)].sum() / 1e9 for e in ends]
    out["input_tokens"] = g["input_tokens"].reindex(months, fill_value=0)
    out["sonnet_share"] = g["sonnet"].reindex(months) / out["messages"]
    return {"months": len(out), "messages": int(out["messages"].sum()), "users_last": int(out["users"].iat[-1]),
            "input_tokens": int(out["input_tokens"].sum()), "pro_last": int(out["pro_subscribers"].iat[-1]),
            "storage_gb_last": round(float(out["storage_gb"].iat[-1]), 6)}


def _read(path: Path, columns):
    import pandas as pd

    try:
        import pyarrow  # noqa: F401

        return pd.read_parquet(path, columns=columns)
    except ImportError:  # no pyarrow in this environment: DuckDB's Parquet reader hands pandas the columns
        import duckdb

        src = f"{path}/*.parquet" if path.is_dir() else str(path)
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(f"SELECT {', '.join(columns)} FROM read_parquet('{src}')").df()


def _digest(df) -> dict:
    return {"months": len(df), "messages": int(df["messages"].sum()), "users_last": int(df["users"].iat[-1]),
            "input_tokens": int(df["input_tokens"].sum()), "pro_last": int(df["pro_subscribers"].iat[-1]),
            "storage_gb_last": round(float(df["storage_gb"].iat[-1]), 6)}


def _child(kind: str, folder: str) -> None:
    t = time.perf_counter()
    result = {"derive": run_derive, "pandas": run_pandas}[kind](folder)
    print(json.dumps({"seconds": time.perf_counter() - t, "result": result}))


def measure(kind: str, folder: Path) -> dict:
    """Run one implementation in a fresh process: wall seconds, CPU seconds, peak RSS (MB), its result."""
    root = Path(__file__).resolve().parents[1]
    code = f"from benchmarks.bench_derive import _child; _child({kind!r}, {str(folder)!r})"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed with exit {proc.returncode}")
    data = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    return {"seconds": data["seconds"], "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024, "result": data["result"]}


def compare_engines(folder: Path) -> None:
    """derive's time on DuckDB, PostgreSQL (a throw-away local cluster, loading not timed) and local-mode Spark
    on the same events (informational: on one machine local Spark is expected to be the slowest)."""
    import importlib
    import secrets

    from voyager_analysis.sources.derive import derive_metrics

    def timed(source, **kw):
        t = time.perf_counter()
        df = derive_metrics(source, **kw)
        return df, time.perf_counter() - t

    base, t_duckdb = timed(folder)
    print(f"engines on {folder.name} ({int(base['messages'].sum()):,} messages): duckdb {t_duckdb:.2f} s", flush=True)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    try:
        pg_cluster = importlib.import_module("pg_cluster")
        import psycopg

        url, stop = pg_cluster.start(secrets.token_hex(8), port=54331)
        try:
            with psycopg.connect(url(), autocommit=True) as con:
                con.execute("SELECT 1")
            pg_cluster.load_events(lambda db="postgres": psycopg.connect(url(db), autocommit=True), "bench",
                                   pg_cluster.tables_from_folder(folder))
            df, t_pg = timed(url("bench"))
            same = "identical" if df.equals(base) else "DIFFERENT"
            print(f"  postgres {t_pg:.2f} s ({same} metrics)", flush=True)
        finally:
            stop()
    except (ImportError, RuntimeError) as exc:
        print(f"  postgres skipped: {exc}")
    try:
        from voyager_analysis.sources.spark import local_session

        t = time.perf_counter()
        session = local_session()
        start_s = time.perf_counter() - t
        df, t_cold = timed(folder, engine="spark")
        df, t_warm = timed(folder, engine="spark")
        session.stop()
        same = "identical" if df.equals(base) else "DIFFERENT"
        print(f"  spark (local[2]) {t_warm:.2f} s warm, {t_cold:.2f} s first run, session start {start_s:.1f} s "
              f"({same} metrics)")
    except Exception as exc:  # noqa: BLE001 - informational
        print(f"  spark skipped: {str(exc).splitlines()[0]}")


def main() -> int:
    sizes = [int(x) for x in os.environ.get("BENCH_DERIVE_ROWS", "2000000,20000000").split(",")]
    big = int(os.environ.get("BENCH_DERIVE_BIG", "0"))
    tmp = Path(tempfile.mkdtemp(prefix="voyager-bench-derive-"))
    status = 0
    try:
        rows = []
        for n in sizes:
            folder = tmp / f"ev{n}"
            t = time.perf_counter()
            generate(folder, n)
            gen_s = time.perf_counter() - t
            d = measure("derive", folder)
            rows.append((n, d))
            print(f"derive  {n:>11,} messages: {d['seconds']:6.1f} s wall, {d['cpu_s']:6.1f} s CPU, "
                  f"peak RSS {d['peak_rss_mb']:6.0f} MB  (data generated in {gen_s:.1f} s)", flush=True)
            if n == max(sizes):
                p = measure("pandas", folder)
                import importlib.util

                reader = "pyarrow" if importlib.util.find_spec("pyarrow") else "DuckDB's reader (no pyarrow)"
                print(f"pandas  {n:>11,} messages (Parquet read with {reader}): {p['seconds']:6.1f} s wall, {p['cpu_s']:6.1f} s CPU, "
                      f"peak RSS {p['peak_rss_mb']:6.0f} MB", flush=True)
                if p["result"] != d["result"]:
                    print(f"MISMATCH: derive {d['result']} vs pandas {p['result']}")
                    return 1
                faster = d["seconds"] <= p["seconds"]
                leaner = d["peak_rss_mb"] <= p["peak_rss_mb"] / 2
                print(f"same monthly results; derive/pandas time {d['seconds'] / p['seconds']:.2f}x "
                      f"(target <= 1: {'met' if faster else 'NOT met'}), peak RSS "
                      f"{d['peak_rss_mb'] / p['peak_rss_mb']:.2f}x (target <= 0.5: {'met' if leaner else 'NOT met'})")
                status |= 0 if (faster and leaner) else 1
            shutil.rmtree(folder, ignore_errors=True)
        if len(rows) > 1:
            (n0, d0), (n1, d1) = rows[0], rows[-1]
            print(f"growth {n0:,} -> {n1:,} rows ({n1 / n0:.0f}x): derive time x{d1['seconds'] / d0['seconds']:.1f}, "
                  f"peak RSS x{d1['peak_rss_mb'] / d0['peak_rss_mb']:.1f}")
        if big:
            folder = tmp / "big"
            generate(folder, big)
            d = measure("derive", folder)
            print(f"derive  {big:>11,} messages (memory limit {MEMORY_LIMIT}): {d['seconds']:6.1f} s wall, "
                  f"peak RSS {d['peak_rss_mb']:6.0f} MB")
        else:
            print("50M-row bounded-memory run skipped (set BENCH_DERIVE_BIG=50000000 to run it)")
        compare_engines(Path(__file__).resolve().parents[1] / "data" / "events" / "example")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return status
