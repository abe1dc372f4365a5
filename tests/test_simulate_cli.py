"""`voyager-analysis simulate`: JSON contract, determinism, readable table, one-line errors with exit 2."""

from __future__ import annotations

import json

import pytest


def test_json_has_the_documented_keys_and_matches_the_library(cli):
    from voyager_analysis import montecarlo
    from voyager_analysis.project import load_project

    r = cli("simulate", "--users", "25000", "--draws", "3000", "--seed", "7", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert list(doc) == ["users", "draws", "seed", "cost_usd", "gross_revenue_usd", "net_revenue_usd", "margin_pct",
                         "components"]
    assert (doc["users"], doc["draws"], doc["seed"]) == (25000, 3000, 7)
    for key in ("cost_usd", "gross_revenue_usd", "net_revenue_usd", "margin_pct"):
        assert list(doc[key]) == ["mean", "p5", "p50", "p95"]
        assert doc[key]["p5"] <= doc[key]["p50"] <= doc[key]["p95"]
    assert {"claude", "neon", "vercel", "stripe"} <= set(doc["components"])
    assert doc == montecarlo.simulate(25000, load_project(), draws=3000, seed=7).to_dict()


def test_same_seed_same_output_other_seed_other_output(cli):
    args = ("simulate", "--users", "5000", "--draws", "2000", "--json")
    a = cli(*args, "--seed", "3")
    b = cli(*args, "--seed", "3")
    c = cli(*args, "--seed", "4")
    assert a.returncode == b.returncode == c.returncode == 0
    assert a.stdout == b.stdout
    assert json.loads(a.stdout)["cost_usd"] != json.loads(c.stdout)["cost_usd"]


def test_readable_table(cli):
    r = cli("simulate", "--users", "10000", "--draws", "1000", "--scenario", "optimistic")
    assert r.returncode == 0, r.stderr
    assert "scenario optimistic" in r.stdout and "prices as_of" in r.stdout
    for word in ("cost_usd", "margin_pct", "claude", "p95"):
        assert word in r.stdout


def test_scenario_changes_the_answer(cli):
    base = json.loads(cli("simulate", "--users", "50000", "--draws", "2000", "--json").stdout)
    pess = json.loads(cli("simulate", "--users", "50000", "--draws", "2000", "--json",
                          "--scenario", "pessimistic").stdout)
    assert pess["cost_usd"]["p50"] > base["cost_usd"]["p50"]
    assert pess["gross_revenue_usd"]["p50"] < base["gross_revenue_usd"]["p50"]


@pytest.mark.parametrize("args,fragment", [
    (("--users", "-5"), "users must be"),
    (("--users", "100", "--draws", "0"), "draws must be"),
    (("--users", "100", "--seed", "-1"), "seed must be"),
    (("--users", "abc"), "invalid float value"),
    (("--users", "100", "--scenario", "pesimistic"), "valid: base"),
    ((), "--users"),
])
def test_bad_input_is_one_line_and_exit_2(cli, args, fragment):
    r = cli("simulate", *args)
    assert r.returncode == 2
    assert r.stderr.startswith("error:") and fragment in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_bad_scenario_file_names_the_key(cli, tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text("overrides:\n  sonet_share: 0.5\n")
    r = cli("simulate", "--users", "100", "--scenario", str(p))
    assert r.returncode == 2
    assert "mine.yaml" in r.stderr and "sonet_share" in r.stderr and "sonnet_share" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_help(cli):
    r = cli("simulate", "--help")
    assert r.returncode == 0 and "--scenario" in r.stdout and "--json" in r.stdout


def test_subprocess_smoke_exit_codes():
    """The installed entry point in a real process: a run and a user error (exit 2, one line, nothing on stdout)."""
    from conftest import run_cli

    ok = run_cli("simulate", "--users", "1000", "--draws", "200", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["draws"] == 200
    bad = run_cli("simulate", "--users", "1000", "--scenario", "nope")
    assert bad.returncode == 2 and bad.stdout == "" and len(bad.stderr.strip().splitlines()) == 1
