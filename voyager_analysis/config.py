"""Paths and defaults; nothing else."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: Repository root (the folder holding data/, notebooks/). Override with VOYAGER_ROOT.
ROOT = Path(os.environ.get("VOYAGER_ROOT", PACKAGE_DIR.parent)).resolve()
DATA_DIR = ROOT / "data"
ASSUMPTIONS_DIR = DATA_DIR / "assumptions"
PRICES_DIR = DATA_DIR / "prices"
METRICS_DIR = DATA_DIR / "metrics"
SCENARIOS_DIR = DATA_DIR / "scenarios"
NOTEBOOKS_DIR = ROOT / "notebooks"
REPORTS_DIR = ROOT / "reports"

ROADMAP_YAML = ASSUMPTIONS_DIR / "roadmap.yaml"
CLAUDE_PRICES_CSV = PRICES_DIR / "claude_models.csv"
SERVICE_PRICES_CSV = PRICES_DIR / "services.csv"
EXAMPLE_METRICS_CSV = METRICS_DIR / "example_monthly.csv"

#: Default random seed for every Monte Carlo draw and synthetic data set.
DEFAULT_SEED = 20251108
