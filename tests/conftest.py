"""Shared fixtures: the shipped inputs, loaded once per session, a helper to run the CLI, and one throw-away
PostgreSQL cluster per test session (``pg``) shared by every PostgreSQL test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def roadmap():
    from voyager_analysis.assumptions import load_roadmap

    return load_roadmap()


@pytest.fixture(scope="session")
def prices():
    from voyager_analysis.assumptions import load_prices

    return load_prices()


@pytest.fixture(scope="session")
def project():
    """The checkout's data folder, read and validated once for the session (analyses only read it)."""
    from voyager_analysis.project import load_project

    return load_project()


@pytest.fixture(scope="session")
def base_inputs(project):
    return project.base_inputs()


def ar1(rng, n: int, rho: float, sd: float):
    """Stationary AR(1) noise with innovation sd ``sd`` (for tests of the HAC machinery)."""
    import math

    import numpy as np

    eps = rng.normal(0.0, sd, n)
    e = np.empty(n)
    e[0] = eps[0] / math.sqrt(1 - rho**2)
    for i in range(1, n):
        e[i] = rho * e[i - 1] + eps[i]
    return e


@pytest.fixture(scope="session")
def example_metrics():
    from voyager_analysis.metrics import load_metrics

    return load_metrics()


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m voyager_analysis ARGS`` in a subprocess (smoke tests of the installed entry point)."""
    return subprocess.run([sys.executable, "-m", "voyager_analysis", *args], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=600)


def run_cli_in_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``voyager_analysis.cli.main(ARGS)`` in this process with captured output (fast: no interpreter start,
    no re-import); returns the same shape as :func:`run_cli`. A ``SystemExit`` (argparse) becomes its code."""
    import contextlib
    import io

    from voyager_analysis.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    try:
        os.chdir(cwd or ROOT)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        os.chdir(old)
    return subprocess.CompletedProcess(["voyager-analysis", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    """The command line, run in-process (see :func:`run_cli_in_process`); use :func:`run_cli` for a subprocess."""
    return run_cli_in_process


@pytest.fixture(scope="session")
def pg(request):
    """A running throw-away PostgreSQL cluster (:mod:`pg_cluster`), one per test session: yields
    ``(url, admin)`` where ``url(db)`` is a connection URL with the planted password
    (``pg_cluster.PLANTED_PASSWORD``, which no output may contain) and ``admin(db)`` an autocommit connection.
    Skipped when the server cannot start, except under ``CI``, where that fails the tests."""
    import pg_cluster

    if os.environ.get("CI"):
        import psycopg
    else:
        psycopg = pytest.importorskip("psycopg")
    try:
        url, stop = pg_cluster.start(pg_cluster.PLANTED_PASSWORD, pg_cluster.PORT)
    except RuntimeError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests must run in CI: {exc}")
        pytest.skip(str(exc))
    request.addfinalizer(stop)

    def admin(db="postgres"):
        return psycopg.connect(url(db), autocommit=True)

    yield url, admin
