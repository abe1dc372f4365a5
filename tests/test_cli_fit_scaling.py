"""The `fit growth` and `scaling` subcommands: JSON shape, readable output, one-line errors (exit 2)."""

from __future__ import annotations

import json

import pytest

from voyager_analysis.metrics import COMPONENTS


@pytest.fixture
def bad_metrics(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("month,users,cost_claude_usd\n2025-07,100,10\n2025-08,-5,12\n", encoding="utf-8")
    return path


def _one_line_error(r, *words):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    for w in words:
        assert w in lines[0], lines[0]


def test_fit_growth_json(cli):
    r = cli("fit", "growth", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert {"selected", "models", "milestones", "error_model", "forecast", "calibration"} <= set(d)
    assert d["error_model"] in ("additive", "multiplicative") and d["error_model_rule"]
    assert len(d["forecast"]) == 12 and d["forecast"][0]["month"] == "2026-12"
    assert 0 <= d["calibration"]["coverage"] <= 1 and d["calibration"]["level"] == 0.95
    assert set(d["models"]) == {"exponential", "logistic", "gompertz", "richards", "bass"}
    weights = {k: m["weight"] for k, m in d["models"].items() if m["weight"] is not None}
    assert d["selected"] == max(weights, key=weights.get)  # the lowest AICc has the largest Akaike weight
    for m in d["models"].values():
        assert {"params", "ci", "aicc", "weight", "converged"} <= set(m)
    assert sum(m["weight"] for m in d["models"].values() if m["weight"] is not None) == pytest.approx(1.0)
    ms = d["milestones"]["100000"]
    assert ms["low"] <= ms["month"]
    assert ms["high"] is None and ms["high_reason"] or ms["month"] <= ms["high"]  # None: beyond the horizon


def test_fit_growth_one_model_and_readable_table(cli):
    r = cli("fit", "growth", "--model", "gompertz")
    assert r.returncode == 0, r.stderr
    assert "selected: gompertz" in r.stdout and "roadmap_month" in r.stdout
    assert "logistic" not in r.stdout


def test_scaling_json(cli):
    r = cli("scaling", "--json", "--alpha", "0.1")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) == {"total", "components", "breakpoint"}
    assert set(d["total"]) == {"elasticity", "ci", "p_value", "verdict", "method", "n"}
    assert d["total"]["n"] == 17
    lo, hi = d["total"]["ci"]
    # the verdict follows the one-sided test at --alpha and the interval (the synthetic company's total is close
    # to linear: its Claude bill grows faster than users because messages per user grow with tenure)
    assert d["total"]["verdict"] == ("sub-linear" if d["total"]["p_value"] < 0.1 else
                                     "super-linear" if lo > 1 else d["total"]["verdict"])
    assert d["total"]["verdict"] in ("sub-linear", "linear", "super-linear", "inconclusive")
    assert set(d["components"]) <= set(COMPONENTS)
    assert d["components"]["search"]["verdict"] == "not tested"
    assert {"users_at_break", "slope_below", "slope_above", "p_value"} <= set(d["breakpoint"])


def test_bad_metrics_file_exits_2_naming_the_row(cli, bad_metrics):
    for args in (("fit", "growth"), ("scaling",)):
        r = cli(*args, "--metrics", str(bad_metrics), "--json")
        _one_line_error(r, "bad.csv", "row 2", "users is negative")


def test_bad_options_exit_2(cli):
    _one_line_error(cli("fit", "growth", "--model", "logistc"), "did you mean 'logistic'")
    _one_line_error(cli("scaling", "--alpha", "0.7"), "--alpha")
    _one_line_error(cli("scaling", "--metrics", "nowhere.csv"), "nowhere.csv", "file not found")
    r = cli("fit")
    assert r.returncode == 2 and "growth" in r.stderr


def test_scaling_readable_table(cli):
    r = cli("scaling")
    assert r.returncode == 0, r.stderr
    assert "TOTAL" in r.stdout and "verdict" in r.stdout and "Breakpoint search:" in r.stdout
