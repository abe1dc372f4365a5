"""From events to the report (issue 14): ``measure`` writes a scenario that ``validate`` accepts, notebooks 04-06
use the inputs it measured and mark them, and ``report --scenario measured`` runs end to end.

The measured scenario is generated into a temporary folder from the shipped example events (never committed:
the events may change), so the expected values are read back from the file ``measure`` wrote, and the
"assumed" side from the shipped assumption files — not from the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from voyager_analysis import archival, config, routing
from voyager_analysis.revenue.conversion import conversion_analysis

EVENTS = "data/events/example"


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """(path, parsed YAML) of the scenario ``voyager-analysis measure`` writes from the example events."""
    from conftest import run_cli_in_process

    if not (config.ROOT / EVENTS / "truth.json").is_file():  # gitignored; `make test` generates it first
        pytest.skip(f"{EVENTS} is not generated yet: run `make example-data`")
    out = tmp_path_factory.mktemp("scenarios") / "measured.yaml"
    proc = run_cli_in_process("measure", "--events", EVENTS, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out, yaml.safe_load(out.read_text())


def mode(fig: dict) -> float:
    return fig.get("mode", (fig["low"] + fig["high"]) / 2)


def test_measure_names_the_events_without_an_absolute_path_and_validate_accepts_it(measured, cli):
    path, sc = measured
    assert sc["source"]["events"] == EVENTS and sc["source"]["by"] == "voyager-analysis measure"
    text = path.read_text()
    assert str(config.ROOT) not in text and "\n  events: /" not in text
    for name in ("cache_hit_rate", "monthly_churn", "pro_conversion", "batch_share"):
        assert f"events {EVENTS}" in sc["overrides"][name]["source"]
    proc = cli("validate", "--scenario", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "scenario measured:" in proc.stdout


def test_events_label_is_relative_or_a_url_without_password(tmp_path, monkeypatch):
    from voyager_analysis.measure import events_label

    monkeypatch.chdir(config.ROOT)
    assert events_label(config.ROOT / EVENTS) == EVENTS  # a path need not exist to be named
    outside = events_label(tmp_path / "events")
    assert not outside.startswith("/") and outside.endswith("/events") and outside.startswith("..")
    assert (Path.cwd() / outside).resolve() == (tmp_path / "events").resolve()
    url = events_label("postgresql://analyst:s3cret@db.example/voyager")
    assert "s3cret" not in url and "db.example/voyager" in url


def test_routing_uses_and_marks_the_measured_cache_and_batch_rates(measured, project):
    path, sc = measured
    a = routing.analyse(project, scenario=str(path), sobol_n=64, seed=1)
    origin = {r.name: r for r in a.origins}
    for name in ("cache_hit_rate", "batch_share", "sonnet_share", "messages_per_user_month"):
        assert origin[name].value == pytest.approx(mode(sc["overrides"][name]), rel=1e-9)
        assert origin[name].origin == "scenario 'measured'"
    sens = a.sensitivity.to_dict()
    assert sens["cache_hit_rate"]["basis"] == sens["batch_share"]["basis"] == "measured"
    assert f"events {EVENTS}" in sens["cache_hit_rate"]["source"]
    table = a.measured_table()
    cache = project.base_inputs()["cache_hit_rate"]  # drivers.yaml's assumed range
    row = table.loc["cache_hit_rate"]
    assert row.measured == pytest.approx(mode(sc["overrides"]["cache_hit_rate"]))
    assert (row.measured_low, row.measured_high) == (sc["overrides"]["cache_hit_rate"]["low"],
                                                     sc["overrides"]["cache_hit_rate"]["high"])
    assert (row.assumed_low, row.assumed_high) == (cache.low, cache.high)
    assert bool(row.inside) == (cache.low <= row.measured <= cache.high)
    payload = a.to_dict()
    json.dumps(payload, allow_nan=False)
    assert set(payload["measured_inputs"]) == set(table.index)


def test_conversion_uses_the_measured_churn_and_conversion(measured, project):
    path, sc = measured
    a = conversion_analysis(project, scenario=str(path), draws=2000, sobol_n=64, seed=1)
    assert a.churn == pytest.approx(mode(sc["overrides"]["monthly_churn"]))
    assert a.model.pro_conversion == pytest.approx(mode(sc["overrides"]["pro_conversion"]))
    assert set(a.sens.measured) >= {"monthly_churn", "pro_conversion", "max_conversion"}
    table = a.measured_table()
    own = project.figures("conversion")["monthly_churn"]  # conversion.yaml's assumed churn range
    assert (table.loc["monthly_churn", "assumed_low"], table.loc["monthly_churn", "assumed_high"]) == (own.low, own.high)
    # a parameter fixes the value: churn is then not the measured input any more
    fixed = conversion_analysis(project, scenario=str(path), monthly_churn=0.05, draws=2000, sobol_n=64, seed=1)
    assert fixed.churn == 0.05 and "monthly_churn" not in fixed.sens.measured


def test_archival_uses_a_measured_activity_model(tmp_path, project):
    """The example events may not pin down view decay, so this scenario is written by hand in measure's format."""
    path = tmp_path / "views.yaml"
    path.write_text(yaml.safe_dump({
        "description": "measured views", "source": {"events": EVENTS, "measured_on": "2026-01-01"},
        "overrides": {"activity_half_life_months": {"low": 1.5, "high": 2.5, "mode": 2.0, "distribution": "triangular",
                                                    "unit": "month", "source": "Poisson fit; events x; 2026-01-01"}}}))
    a = archival.analyse(project, scenario=str(path), sobol_n=64, seed=1)
    assert a.policy.activity_half_life_months == 2.0
    assert a.ranges["activity_half_life_months"].low == 1.5
    assert a.sensitivity.measured["activity_half_life_months"] == "Poisson fit; events x; 2026-01-01"
    own = project.figures("archival")["activity"]["activity_half_life_months"]
    row = a.measured_table().loc["activity_half_life_months"]
    assert (row.measured, row.assumed_low, row.assumed_high) == (2.0, own.low, own.high)
    assert bool(row.inside) == (own.low <= 2.0 <= own.high)
    assert a.sensitivity.summary().loc["activity_half_life_months", "basis"] == "measured"
    # without a scenario nothing is shown, and the activity model is an assumption
    plain = archival.analyse(project, sobol_n=64, seed=1)
    assert plain.measured_table().empty
    assert plain.sensitivity.summary().loc["activity_half_life_months", "basis"] == "assumed"


@pytest.mark.slow
def test_report_scenario_measured_runs_end_to_end(measured, tmp_path, monkeypatch, cli):
    from voyager_analysis.nbtools import read_results

    path, sc = measured
    monkeypatch.setattr(config, "SCENARIOS_DIR", path.parent)  # `--scenario measured` by name, as a user types it
    out = tmp_path / "reports"
    notebooks = ["00_summary", "03_costs_scaling", "04_claude_routing", "05_conversion", "06_archival"]
    proc = cli("report", "--out", str(out), "--only", *notebooks, "--scenario", "measured", "--jobs", "1")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    run = next(p for p in out.iterdir() if (p / "04_claude_routing.ipynb").exists())
    res = {n: read_results(run / f"{n}.ipynb") for n in notebooks}
    assert all(isinstance(r, dict) for r in res.values()), [n for n, r in res.items() if not isinstance(r, dict)]
    assert res["04_claude_routing"]["inputs"]["cache_hit_rate"] == pytest.approx(mode(sc["overrides"]["cache_hit_rate"]))
    assert res["04_claude_routing"]["sensitivity"]["cache_hit_rate"]["basis"] == "measured"
    assert "cache_hit_rate" in res["04_claude_routing"]["measured_inputs"]
    assert res["05_conversion"]["monthly_churn"] == pytest.approx(mode(sc["overrides"]["monthly_churn"]))
    assert res["05_conversion"]["sensitivity"]["monthly_churn"]["basis"] == "measured"
    summary = res["00_summary"]
    detail = summary["top_inputs_detail"]
    assert detail and all(d["basis"] in ("measured", "assumed") for d in detail)
    assert summary["assumed_top_inputs"] == [d["input"] for d in detail if d["basis"] == "assumed"]
    for d in detail:  # the summary's basis is the one the notebook recorded
        stem = d["notebook"]
        assert res[stem]["sensitivity"][d["input"]]["basis"] == d["basis"]
