"""Strict JSON on edge cases (issue 16): every ``--json`` command that reads a metrics file, on series that are
saturating below the milestones (never reached), declining, constant, short, gapped, or that push a curve to a
search bound. Each run either exits 0 with output that ``json.loads`` accepts and ``json.dumps(...,
allow_nan=False)`` re-serialises, or exits 2 with one line on stderr; never a traceback."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from voyager_analysis.months import month_number, month_str

#: Every --json command on every edge-case series (full fits with calibration): part of `make test`, not
#: `make test-fast`.
pytestmark = pytest.mark.slow

COMMANDS = [("fit", "growth"), ("scaling",), ("scaling", "--cross-section"), ("triggers",)]


def _series(kind: str) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(7)
    n = {"short": 4}.get(kind, 18)
    t = np.arange(n, dtype=float)
    users = {
        "never_reached": 20_000 / (1 + np.exp(-0.5 * (t - 6))),  # saturates far below the 100K milestone
        "declining": 50_000 * 0.93**t,
        "constant": np.full(n, 5_000.0),
        "short": 1_000 * 1.3**t,
        "gapped": 1_000 * 1.25**t,
        "at_bound": 1_000 * 1.2**t,  # pure exponential growth: S-curve ceilings run to their bounds
    }[kind] * np.exp(rng.normal(0, 0.01 if kind != "constant" else 0.0, n))
    start = int(month_number(["2025-01"])[0])
    idx = np.arange(n)
    if kind == "gapped":
        idx = np.delete(np.arange(n + 3), [4, 9, 10])  # three missing months on the real time index
    return [month_str(start + int(i)) for i in idx], np.round(users)


def _write(path, kind: str) -> None:
    months, users = _series(kind)
    cost = 50 + 0.02 * users
    lines = ["month,users,cost_neon_usd,cost_vercel_usd,db_connections_pct,error_rate"]
    for m, u, c in zip(months, users, cost):
        lines.append(f"{m},{u:.0f},{c:.2f},{c / 3:.2f},{min(99.0, 5 + u / 2000):.2f},0.001")
    path.write_text("\n".join(lines) + "\n")


def _finite_numbers(obj) -> bool:
    if isinstance(obj, dict):
        return all(_finite_numbers(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_finite_numbers(v) for v in obj)
    return not isinstance(obj, float) or math.isfinite(obj)


@pytest.mark.parametrize("kind", ["never_reached", "declining", "constant", "short", "gapped", "at_bound"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c))
def test_json_commands_survive_edge_cases(cli, tmp_path, kind, command):
    path = tmp_path / f"{kind}.csv"
    _write(path, kind)
    r = cli(*command, "--metrics", str(path), "--json")
    assert "Traceback" not in r.stderr
    assert r.returncode in (0, 2), (r.returncode, r.stderr[-2000:])
    if r.returncode == 2:
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
        assert r.stdout == ""
        return
    d = json.loads(r.stdout)
    json.dumps(d, allow_nan=False)
    assert _finite_numbers(d)


def test_edge_case_answers(cli, tmp_path):
    """What the edge cases must say, not only that they parse."""
    for kind in ("never_reached", "declining", "constant", "gapped", "at_bound"):
        _write(tmp_path / f"{kind}.csv", kind)

    def fit(kind):
        r = cli("fit", "growth", "--metrics", str(tmp_path / f"{kind}.csv"), "--json", "--horizon", "6")
        return r.returncode, (json.loads(r.stdout) if r.returncode == 0 else r.stderr)

    code, d = fit("never_reached")
    ms = d["milestones"]["100000"]
    assert ms["month"] is None and "not reached within the horizon" in ms["month_reason"] and ms["reason"]
    assert len(d["forecast"]) == 6 and d["forecast"][0]["users"] > 0

    code, d = fit("declining")
    assert d["selected"] == "exponential" and d["models"]["exponential"]["params"]["r"] < 0
    for name in ("logistic", "gompertz", "richards", "bass"):
        assert "unsuitable" in d["models"][name]["message"] and d["models"][name]["converged"] is False
    assert all(m["month"] is None for k, m in d["milestones"].items() if float(k) > 50_000)
    assert any("decline" in n for n in d["notes"])

    code, err = fit("constant")
    assert code == 2 and "constant" in err

    code, d = fit("gapped")
    assert any("3 missing month(s)" in n for n in d["notes"])
    assert d["forecast"][0]["month"] == "2026-10"  # 18 rows over 21 calendar months from 2025-01

    code, d = fit("at_bound")
    for entry in d["models"].values():
        for k, v in entry["ci"].items():
            if k.endswith("_reason"):
                assert entry["ci"][k[: -len("_reason")]] is None and "search bound" in v


def test_a_stated_ceiling_flags_and_drops_impossible_curves(cli, tmp_path):
    _write(tmp_path / "at_bound.csv", "at_bound")
    r = cli("fit", "growth", "--metrics", str(tmp_path / "at_bound.csv"), "--json", "--ceiling", "40000")
    d = json.loads(r.stdout)
    flagged = [k for k, m in d["models"].items() if m.get("above_bound")]
    assert flagged, d["models"]
    for k in flagged:
        assert d["models"][k]["weight"] is None and "above the stated bound" in d["models"][k]["message"]
    r = cli("fit", "growth", "--metrics", str(tmp_path / "at_bound.csv"), "--ceiling", "-3")
    assert r.returncode == 2 and "--ceiling" in r.stderr
