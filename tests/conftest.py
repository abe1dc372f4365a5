"""Shared fixtures: the shipped inputs, loaded once per session, and a helper to run the CLI."""

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
def example_metrics():
    from voyager_analysis.metrics import load_metrics

    return load_metrics()


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m voyager_analysis ARGS`` in a subprocess; returns the completed process."""
    return subprocess.run([sys.executable, "-m", "voyager_analysis", *args], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def cli():
    return run_cli
