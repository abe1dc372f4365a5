"""A throw-away PostgreSQL cluster for tests and benchmarks: ``initdb`` + ``pg_ctl`` in a temporary folder,
listening only on a Unix socket there, run as the ``postgres`` user when we are root, password auth."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

#: The tests' cluster password, planted so that a test can check that no output ever contains it.
PLANTED_PASSWORD = "s3cr3t-Planted-pw"
#: Port of the tests' cluster (a Unix socket in its temporary folder; nothing listens on TCP).
PORT = 54329


def bindir() -> Path | None:
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        if (Path(out) / "initdb").exists():
            return Path(out)
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def start(password: str, port: int = 54329):
    """Start a cluster; returns ``(url, stop)`` where ``url(db, password=...)`` builds a connection URL.

    Raises ``RuntimeError`` with the reason when the binaries are missing or the server does not start.
    """
    bins = bindir()
    if bins is None:
        raise RuntimeError("initdb not found (install Debian's postgresql package)")
    base = Path(tempfile.mkdtemp(prefix="voyager-pg-"))
    as_user: list[str] = []
    pwfile = base / "pw"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = base / "data"

    def run(*cmd):
        return subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=120)

    def stop():
        run(str(bins / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)

    r = run(str(bins / "initdb"), "-D", str(data), "-U", "voyager", "--auth=scram-sha-256", f"--pwfile={pwfile}",
            "-E", "UTF8", "--no-sync")
    if r.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {r.stderr.strip()[:300]}")
    opts = f"-c listen_addresses='' -c unix_socket_directories={base} -p {port} -c fsync=off"
    r = run(str(bins / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start")
    if r.returncode != 0:
        log = (base / "log").read_text() if (base / "log").exists() else ""
        stop()
        raise RuntimeError(f"pg_ctl start failed: {(r.stderr + log).strip()[:300]}")

    def url(db="postgres", password=password):
        return f"postgresql://voyager:{password}@/{db}?host={base}&port={port}"

    return url, stop


PG_TYPES = {"id": "text", "text": "text", "tier": "text", "timestamp": "timestamptz", "count": "bigint",
            "amount": "double precision", "flag": "boolean"}


def load_events(admin, db: str, tables: dict, schema="public") -> None:
    """Create ``db`` with typed tables and load ``tables`` ({name: (header, rows of text)}) with COPY."""
    from voyager_analysis.sources.schema import TABLES

    with admin() as con:
        con.execute(f'DROP DATABASE IF EXISTS "{db}"')
        con.execute(f'CREATE DATABASE "{db}"')
    with admin(db) as con:
        if schema != "public":
            con.execute(f'CREATE SCHEMA "{schema}"')
        for name, (header, rows) in tables.items():
            kinds = {f.name: f.kind for f in TABLES[name].fields}
            cols = ", ".join(f"{c} {PG_TYPES.get(kinds.get(c, 'text'))}" for c in header)
            con.execute(f'CREATE TABLE "{schema}"."{name}" ({cols})')
            with con.cursor().copy(f'COPY "{schema}"."{name}" ({", ".join(header)}) FROM STDIN') as cp:
                for row in rows:
                    cp.write_row([None if v == "" else v for v in row])


def tables_from_folder(folder: Path) -> dict:
    """Every event table of a folder as (header, rows of text), read through DuckDB."""
    import duckdb

    from voyager_analysis.sources.schema import TABLES

    out = {}
    for path in sorted(Path(folder).iterdir()):
        name = path.stem
        if name not in TABLES:
            continue
        reader = f"read_parquet('{path}/**/*.parquet')" if path.is_dir() else (
            f"read_parquet('{path}')" if path.suffix == ".parquet" else f"read_csv('{path}', all_varchar=true)")
        rel = duckdb.sql(f"SELECT * FROM {reader}")
        rows = [["" if v is None else (str(v).lower() if isinstance(v, bool) else
                                       v.isoformat() if hasattr(v, "isoformat") else str(v)) for v in r]
                for r in rel.fetchall()]
        out[name] = (rel.columns, rows)
    return out
