"""The executive summary: reading a run, the claims table, the ranking of risks and inputs, and notebook 00
on a fake run folder and on no run at all. Expected values are worked out from the hand-made results below."""

from __future__ import annotations

from pathlib import Path

import pytest

from voyager_analysis import summary
from voyager_analysis.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "00_summary.ipynb"
CLAIM_IDS = ["margins", "revenue", "costs_sublinear", "routing", "cost_ranges", "archival", "growth", "upgrades_roi",
             "milestones", "roadmap_consistent"]


def write_executed(path: Path, results: dict | None) -> Path:
    """A minimal executed notebook: one code cell tagged `results` whose output holds ``results`` as JSON."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    cell = new_code_cell("show_results(...)")
    cell.metadata["tags"] = ["results"]
    if results is not None:
        cell.outputs = [new_output("display_data", data={"application/json": results, "text/plain": "{...}"})]
    nbformat.write(new_notebook(cells=[cell]), str(path))
    return path


def complete(stem: str, partial: dict) -> dict:
    """``partial`` results with every other field of the notebook's contract filled with an empty value (None
    where allowed, else 0, "", [] or {}), so that a hand-made result passes its contract."""
    import dataclasses
    import typing

    from voyager_analysis import contracts

    if stem not in contracts.MODULES:
        return partial
    try:
        cls = contracts.payload_class(stem)
    except ImportError:  # no contract yet
        return partial
    hints = typing.get_type_hints(cls)
    empty = {float: 0.0, int: 0, str: "", list: [], dict: {}, bool: False}
    out = dict(partial)
    for f in dataclasses.fields(cls):
        if f.name in out or f.default is not dataclasses.MISSING:
            continue
        args = typing.get_args(hints[f.name])
        tp = hints[f.name]
        out[f.name] = None if type(None) in args else empty.get(typing.get_origin(tp) or tp, None)
    return out


def claim(table, cid):
    return table.set_index("id").loc[cid]


@pytest.fixture(scope="module")
def claimed(roadmap):
    c = roadmap.get("claims.margin_range")
    return 100 * c.low, 100 * c.high


def fake_results(roadmap, claimed):
    """Results of a whole run, built so that each verdict is known in advance (see the test below)."""
    lo, hi = claimed
    archive_ratio = roadmap.get("archival.claimed_price_ratio").value
    min_roi = roadmap.get("thresholds.migrate_min_roi").value
    target_month = roadmap.get("phases.phase_3.months").high
    return {
        "01_roadmap_audit": {"n_checks": 10, "counts": {"major": 0, "minor": 2, "info": 0, "ok": 8}, "major": [],
                             "roadmap_cost_elasticity": [0.8, [0.7, 0.9]]},
        "02_growth_usage": {"month_reaching_target": {"month": target_month + 3, "low": target_month + 1,
                                                      "high": target_month + 5},
                            "roadmap_month_target": target_month, "target_users": 100_000.0,
                            "difference_months_target": 3.0, "data": "data/metrics/real.csv"},
        # medians all inside the claim; cost grows like users^0.7 -> sub-linear
        "03_costs_scaling": {"roadmap_users": {"1000": {"margin_pct_p50": lo + 1}, "10000": {"margin_pct_p50": hi - 1}},
                             "share_margin_below_zero_max": 0.2, "share_margin_below_claimed_max": 0.3,
                             "cost_usd_p50": {str(u): 3.0 * u ** 0.7 for u in (1000, 10000, 100000)},
                             "calibration_verdicts": {"within": 3, "model above": 1}, "not_reproducible": []},
        "04_claude_routing": {"users": 50_000.0, "claude_monthly_cost_usd": 1e9, "savings_vs_all_sonnet_pct": 40.0,
                              "roadmap_claude_range_usd": [1.0, 2.0], "roadmap_phase": "phase_3",
                              "sensitivity_output": "claude_monthly_cost_usd",
                              "sensitivity": {"a": {"S1": 0.1, "S1_conf": 0.01, "ST": 0.2, "ST_conf": 0.02},
                                              "b": {"S1": 0.6, "S1_conf": 0.01, "ST": 0.7, "ST_conf": 0.02}}},
        "05_conversion": {"users": 100_000.0, "net_revenue_usd": 1000.0, "net_revenue_roadmap_method_usd": 1010.0,
                          "margin_pct": lo + 5, "margin_after_share_pct": lo - 5, "share_after_share_below_zero": 0.0,
                          "claude_share_of_infra_cost": 0.9, "breakeven_pro_conversion": 0.02,
                          "breakeven_pro_conversion_range": [0.01, 0.03], "inputs": {"pro_conversion": 0.05},
                          "monthly_churn": 0.05, "new_pro_subscribers_per_month": 250.0,
                          "months_to_90pct_of_steady_state": 45,
                          "sensitivity_output": "margin_after_share_pct",
                          "sensitivity": {"c": {"S1": 0.4, "S1_conf": 0.01, "ST": 0.5, "ST_conf": 0.03},
                                          "a": {"S1": 0.8, "S1_conf": 0.01, "ST": 0.9, "ST_conf": 0.03}}},
        "06_archival": {"price_ratio_list": 2 * archive_ratio, "monthly_savings_usd": 10.0, "payback_months": None,
                        "roi_over_horizon": min_roi / 10, "roadmap_min_roi": min_roi, "prices_as_of": "2026-11-01",
                        "sensitivity_output": "monthly_savings_usd",
                        "sensitivity": {"d": {"S1": 0.1, "S1_conf": 0.01, "ST": 0.1, "ST_conf": 0.01}}},
        "07_decisions": {"roi": {"x -> y": {"roi": 3.0, "clears": True}, "y -> z": {"roi": 0.5, "clears": False}},
                         "roi_users": 60_000.0, "min_roi": min_roi,
                         "triggers": {"t1": {"users_vs_roadmap": "consistent", "users_at_threshold": 20_000.0},
                                      "t2": {"users_vs_roadmap": "later", "users_at_threshold": 80_000.0},
                                      "t3": {"users_vs_roadmap": "-"}},
                         "fired": [], "no_data": ["slow_query_alert"]},
    }


# --- the claims table ------------------------------------------------------------------------------------------

def test_without_results_every_claim_shows_the_roadmap_and_reads_not_run(roadmap, claimed):
    table = summary.claims_table({}, roadmap)
    assert table["id"].tolist() == CLAIM_IDS
    assert (table["verdict"] == summary.NOT_RUN).all()
    assert (table["finding"] == "not available").all()
    lo, hi = claimed
    assert f"{lo:.0f}-{hi:.0f}%" in claim(table, "margins")["roadmap"]  # the roadmap's side comes from roadmap.yaml
    after = roadmap.get("phases.phase_3.revenue.after_share").value
    assert f"${after:,.0f}" in claim(table, "revenue")["roadmap"]
    ratio = roadmap.get("archival.claimed_price_ratio").value
    assert f"{ratio:g}x cheaper" in claim(table, "archival")["roadmap"]
    text = summary.headline(table, summary.risks({}, roadmap), summary.top_inputs({}))
    assert "No results are available yet" in text and "make report" in text


def test_verdicts_of_a_whole_run(roadmap, claimed):
    table = summary.claims_table(fake_results(roadmap, claimed), roadmap)
    verdict = table.set_index("id")["verdict"].to_dict()
    assert verdict == {
        "margins": "holds",  # both of 03's medians reach the claim (05's margin is evidence only without 03)
        "revenue": "holds",  # 1,000 vs 1,010: -1.0%, within the 2% tolerance
        "costs_sublinear": "holds",  # model slope 0.7 and the roadmap's own 0.8, both below 1 - 0.05
        "routing": "contradicted",  # $1e9 against a $2 ceiling
        "cost_ranges": "mixed",  # 3 within, 1 above
        "archival": "mixed",  # list price ratio 2x the claim, but ROI a tenth of the rule
        "growth": "contradicted",  # even the interval's low end (month + 1) is after the roadmap's month
        "upgrades_roi": "mixed",  # 1 of 2 switches clears
        "milestones": "mixed",  # t1 consistent, t2 later, t3 not comparable
        "roadmap_consistent": "mixed",  # no major, 2 minor inconsistencies
    }
    lo, hi = claimed
    assert f"cost model median {lo + 1:.0f}-{hi - 1:.0f}%" in claim(table, "margins")["finding"]
    assert "-1.0%" in claim(table, "revenue")["finding"]
    assert "elasticity 0.70" in claim(table, "costs_sublinear")["finding"]  # least squares on log-log, exact
    assert "1 of 2 switches" in claim(table, "upgrades_roi")["finding"]
    assert "t2 later (at 80K users)" in claim(table, "milestones")["finding"]
    assert claim(table, "growth")["finding"].startswith("100K users in month")
    assert "3.0 months later" in claim(table, "growth")["finding"]


def test_margin_and_revenue_verdicts_flip_with_the_numbers(roadmap, claimed):
    lo, hi = claimed
    below = {"03_c": {"roadmap_users": {"1000": {"margin_pct_p50": lo - 1}, "5000": {"margin_pct_p50": lo - 2}}}}
    assert claim(summary.claims_table(below, roadmap), "margins")["verdict"] == "contradicted"
    split = {"03_c": {"roadmap_users": {"1000": {"margin_pct_p50": lo - 1}, "5000": {"margin_pct_p50": lo + 2}}}}
    assert claim(summary.claims_table(split, roadmap), "margins")["verdict"] == "mixed"
    # without 03, notebook 05's single margin decides
    only05 = {"05_x": {"users": 10.0, "margin_pct": lo - 0.5}}
    assert claim(summary.claims_table(only05, roadmap), "margins")["verdict"] == "contradicted"
    # the roadmap's revenue arithmetic overstated by 6.2% (68,824 vs 73,395)
    rev = {"05_x": {"users": 100_000.0, "net_revenue_usd": 68_824.0, "net_revenue_roadmap_method_usd": 73_395.0}}
    row = claim(summary.claims_table(rev, roadmap), "revenue")
    assert row["verdict"] == "contradicted" and "-6.2%" in row["finding"]


def test_elasticity_evidence_can_disagree(roadmap):
    # the model's costs grow in proportion to users (slope 1), the roadmap's table says 0.8: mixed
    linear = {"03_c": {"cost_usd_p50": {"1000": 300.0, "100000": 30_000.0}},
              "01_a": {"roadmap_cost_elasticity": [0.8, [0.6, 1.0]]}}
    row = claim(summary.claims_table(linear, roadmap), "costs_sublinear")
    assert row["verdict"] == "mixed" and "elasticity 1.00" in row["finding"]
    # a verdict of the statistical test, when notebook 03 reports one, is evidence of its own
    tested = {"03_c": {"elasticity_total": {"estimate": 0.99, "low": 0.95, "high": 1.03}, "elasticity_verdict": "linear",
                       "roadmap_table_elasticity": {"estimate": 1.02, "low": 0.7, "high": 1.34}}}
    row = claim(summary.claims_table(tested, roadmap), "costs_sublinear")
    assert row["verdict"] == "contradicted"
    assert "the roadmap's own table: elasticity 1.02 (0.70-1.34) [03_c]" in row["finding"]  # 01 absent: 03's copy


def test_missing_or_malformed_keys_read_not_run(roadmap):
    odd = {"03_costs_scaling": {"renamed": 1, "roadmap_users": {"x": {"margin_pct_p50": "n/a"}}},
           "04_claude_routing": {"claude_monthly_cost_usd": None},
           "06_archival": {"sensitivity": "broken"},
           "07_decisions": {"roi": [], "triggers": None}}
    table = summary.claims_table(odd, roadmap)
    assert (table["verdict"] == summary.NOT_RUN).all()
    assert summary.top_inputs(odd).empty
    assert summary.risks(odd, roadmap).empty


def test_synthetic_metrics_are_flagged_in_the_growth_row(roadmap):
    from voyager_analysis import config

    res = {"02_g": {"month_reaching_target": {"month": 10.0}, "roadmap_month_target": 24.0,
                    "data": f"data/metrics/{config.EXAMPLE_METRICS_CSV.name}"}}
    row = claim(summary.claims_table(res, roadmap), "growth")
    assert row["verdict"] == "holds" and "SYNTHETIC" in row["finding"] and "14.0 months earlier" in row["finding"]


# --- the ranking of inputs and risks ---------------------------------------------------------------------------

def test_top_inputs_rank_by_total_order_index_across_notebooks(roadmap, claimed):
    res = fake_results(roadmap, claimed)
    top = summary.top_inputs(res, n=3)
    # ST: a 0.9 (05) and 0.2 (04) -> counted once at 0.9; b 0.7 (04); c 0.5 (05); d 0.1 (06)
    assert top["input"].tolist() == ["a", "b", "c"]
    assert top["ST"].tolist() == [0.9, 0.7, 0.5]
    assert top["notebook"].tolist() == ["05_conversion", "04_claude_routing", "05_conversion"]
    assert top["output"].iat[1] == summary.OUTPUT_LABELS["claude_monthly_cost_usd"]
    assert top["rank"].tolist() == [1, 2, 3]
    assert summary.top_inputs(res, n=10)["input"].tolist() == ["a", "b", "c", "d"]
    rows = summary.sensitivity_rows(res)
    assert len(rows) == 5  # every (notebook, input) pair, duplicates included


def test_risks_are_ranked_by_severity_then_priority(roadmap, claimed):
    res = fake_results(roadmap, claimed)
    table = summary.risks(res, roadmap)
    by_text = {r.risk.split(":")[0]: r for r in table.itertuples()}
    # loss: worst of 0.2 (03) and 0.0 (05) = 0.2 >= 0.10 -> high; below claim 0.3 >= 0.25 -> high;
    # Claude 0.9 >= 0.75 -> high; timing 3 months -> medium; churn -> medium; blind spots -> medium;
    # break-even: plan 5% above the 3% needed at high cost -> low; archival never pays back -> low
    assert by_text["Loss-making months"].severity == "high" and by_text["Loss-making months"].value == 0.2
    lo, _ = claimed
    assert by_text[f"Margin below the claimed {lo:.0f}%"].severity == "high"
    assert by_text["Concentration on one supplier"].severity == "high"
    assert by_text["Timing"].severity == "medium"
    assert by_text["Conversion headroom"].severity == "low"
    order = [r.split(":")[0] for r in table["risk"]]
    assert order == ["Loss-making months", f"Margin below the claimed {lo:.0f}%", "Concentration on one supplier",
                     "Churn (not in the roadmap)", "Timing", "Blind spots", "Conversion headroom",
                     "Archival never pays back its build cost within the horizon (net saving $10/month)"]
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    # a plan below the break-even at the median cost is a high risk
    short = {"05_x": {"users": 1000.0, "breakeven_pro_conversion": 0.06, "inputs": {"pro_conversion": 0.05}}}
    assert summary.risks(short, roadmap)["severity"].tolist() == ["high"]


def test_severity_thresholds_by_hand():
    from voyager_analysis.summary.risks import _severity

    high, medium = summary.SEVERITY_RULES["loss"]
    assert _severity("loss", high) == "high"
    assert _severity("loss", (high + medium) / 2) == "medium"
    assert _severity("loss", medium / 2) == "low"


# --- reading a run folder ----------------------------------------------------------------------------------------

def test_collect_results_reads_executed_notebooks_only(tmp_path):
    write_executed(tmp_path / "03_costs.ipynb", {"x": 1.5})
    write_executed(tmp_path / "04_routing.ipynb", {"y": [1, 2]})
    write_executed(tmp_path / "05_failed.ipynb", None)  # failed: no results output
    write_executed(tmp_path / "00_summary.ipynb", {"z": 0})  # the summary itself is never read
    (tmp_path / "06_broken.ipynb").write_text("{not json", encoding="utf-8")
    run = summary.collect_results(tmp_path)
    assert run.results == {"03_costs": {"x": 1.5}, "04_routing": {"y": [1, 2]}}  # no contract: plain dicts
    assert list(run.invalid) == ["06_broken"]
    assert summary.collect_results(None).results == {}


def test_collect_results_waits_while_the_runner_marks_the_run_as_still_executing(tmp_path):
    """The report runner may start the summary early (``--force``); it marks the folder until the other notebooks
    are done. collect_results must not read before the marker goes, and must not wait without one."""
    import threading
    import time

    from voyager_analysis.summary.run import PENDING_MARKER

    marker = tmp_path / PENDING_MARKER
    marker.touch()

    def finish():
        time.sleep(0.4)
        write_executed(tmp_path / "03_costs.ipynb", {"x": 1.5})
        marker.unlink()

    threading.Thread(target=finish).start()
    t = time.perf_counter()
    run = summary.collect_results(tmp_path)
    assert time.perf_counter() - t >= 0.4 and run.results == {"03_costs": {"x": 1.5}}
    t = time.perf_counter()
    assert summary.collect_results(tmp_path).results == {"03_costs": {"x": 1.5}}
    assert time.perf_counter() - t < 0.4


def test_collect_results_types_each_payload_by_its_contract(tmp_path, roadmap, claimed):
    from voyager_analysis.contracts import ContractError
    from voyager_analysis.contracts.routing import Payload

    full = complete("04_claude_routing", fake_results(roadmap, claimed)["04_claude_routing"])
    write_executed(tmp_path / "04_claude_routing.ipynb", full)
    renamed = dict(full, claude_bill_usd=full["claude_monthly_cost_usd"])
    del renamed["claude_monthly_cost_usd"]
    write_executed(tmp_path / "06_archival.ipynb", {"renamed": True})
    run = summary.collect_results(tmp_path)
    payload = run.results["04_claude_routing"]
    assert isinstance(payload, Payload) and payload.claude_monthly_cost_usd == 1e9
    assert "06_archival" in run.invalid and "results lack" in run.invalid["06_archival"]
    # a renamed key in a producer's results fails loudly instead of reading "not available"
    with pytest.raises(ContractError, match="claude_monthly_cost_usd"):
        summary.run.typed("04_claude_routing", renamed)
    # and the summary asking a typed payload for a field its contract lacks is a ContractError too
    with pytest.raises(ContractError, match="claude_bill_usd"):
        summary.get(payload, "claude_bill_usd")


def test_resolve_run_dir(tmp_path):
    assert summary.resolve_run_dir(str(tmp_path)) == tmp_path
    with pytest.raises(InputError, match="parameter run_dir: folder '.*nope' not found"):
        summary.resolve_run_dir(str(tmp_path / "nope"))
    reports = tmp_path / "reports"
    assert summary.resolve_run_dir("", reports_dir=reports) is None  # no reports/ at all
    reports.mkdir()
    assert summary.resolve_run_dir("", reports_dir=reports) is None  # no latest run yet
    run = reports / "2026-11-01T000000Z-abcdef12"
    run.mkdir()
    (reports / "latest.txt").write_text(run.name + "\n", encoding="utf-8")  # where symlinks are impossible
    assert summary.resolve_run_dir("", reports_dir=reports) == run
    newer = reports / "2026-11-02T000000Z-abcdef13"
    newer.mkdir()
    (reports / "latest").symlink_to(newer.name)  # the link wins over the text file
    assert summary.resolve_run_dir("", reports_dir=reports).resolve() == newer.resolve()
    (reports / "latest").unlink()
    (reports / "latest.txt").write_text("2020-01-01T000000Z-gone\n", encoding="utf-8")
    assert summary.resolve_run_dir("", reports_dir=reports) is None  # a run that was pruned


def test_expected_notebooks_are_the_numbered_analysis_notebooks():
    stems = summary.expected_notebooks()
    assert "05_conversion" in stems and not any(s.startswith("00_") for s in stems)
    assert stems == sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
                           if not p.name.startswith("00_"))


# --- the notebook --------------------------------------------------------------------------------------------

def _run(tmp_path, name, run_dir):
    import papermill as pm

    from voyager_analysis.nbtools import read_results

    out = tmp_path / f"{name}.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parent), kernel_name="python3",
                        progress_bar=False, parameters={"run_dir": str(run_dir)})
    return read_results(out)


@pytest.mark.slow
def test_notebook_00_reads_a_fake_run(tmp_path, roadmap, claimed):
    run = tmp_path / "run"
    run.mkdir()
    res = fake_results(roadmap, claimed)
    for stem, results in res.items():
        write_executed(run / f"{stem}.ipynb", complete(stem, results))
    out = _run(tmp_path, "summary", run)
    assert out["notebooks_read"] == sorted(res)
    assert out["claims_checked"] == len(CLAIM_IDS)
    assert out["contradicted"] == ["routing", "growth"]
    assert out["verdicts"]["holds"] == ["margins", "revenue", "costs_sublinear"]
    assert out["top_inputs"] == ["a", "b", "c"]
    assert [r["severity"] for r in out["risks"]][:3] == ["high", "high", "high"]
    assert out["notebooks_without_results"] == [s for s in summary.expected_notebooks() if s not in res]


@pytest.mark.slow
def test_notebook_00_without_results(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = _run(tmp_path, "empty", empty)
    assert out["notebooks_read"] == [] and out["claims_checked"] == 0 and out["top_inputs"] == []
    assert sorted(out["verdicts"]["not run"]) == sorted(CLAIM_IDS)
    # run_dir "" reads the latest report run when there is one, and runs cleanly when there is none
    default = _run(tmp_path, "default", "")
    latest = summary.resolve_run_dir("")
    assert default["notebooks_read"] == list(summary.collect_results(latest).results)
    assert default["run_dir"] is None if latest is None else default["run_dir"] is not None
    if latest is None:
        assert default["claims_checked"] == 0 and default["risks"] == []
        assert sorted(default["verdicts"]["not run"]) == sorted(CLAIM_IDS)


def test_run_label_is_the_folder_name(tmp_path):
    from voyager_analysis.summary import run_label

    run_id = "2026-11-28T012616Z-c6b61386"
    assert run_label(tmp_path / run_id) == run_id
    assert run_label(None) == "none"


def test_executive_summary_results_object(tmp_path, roadmap, claimed):
    import html
    import json

    from voyager_analysis.contracts.summary import Payload

    run = tmp_path / "2026-11-01T000000Z-abcdef12"
    run.mkdir()
    res = fake_results(roadmap, claimed)
    for stem in ("01_roadmap_audit", "04_claude_routing", "06_archival"):
        write_executed(run / f"{stem}.ipynb", complete(stem, res[stem]))
    write_executed(run / "05_conversion.ipynb", {"renamed_everything": 1})  # breaks its contract
    s = summary.summarise(roadmap, str(run), n_inputs=2, notebooks_dir=ROOT / "notebooks")
    d = s.to_dict()
    json.dumps(d, allow_nan=False)
    p = Payload(**d)
    assert p.run_dir == run.name
    assert p.notebooks_read == ["01_roadmap_audit", "04_claude_routing", "06_archival"]
    assert "05_conversion" in p.notebooks_without_results and "05_conversion" in s.run.invalid
    assert p.contradicted == ["routing"]  # 1e9 USD/month is far above the roadmap's ceiling
    assert p.top_inputs == ["b", "a"]  # ST 0.7 and 0.2 from notebook 04 (05 is unreadable)
    assert p.claims_checked == int((s.claims.verdict != summary.NOT_RUN).sum())
    text = s.headline_markdown()
    assert run.name in text and "not readable: 05_conversion" in text
    assert html.escape(s.title) in s._repr_html_()
    assert s.plot_sensitivity_ranking().axes
    with pytest.raises(InputError, match="parameter n_inputs"):
        summary.summarise(roadmap, str(run), n_inputs=0)


def test_top_inputs_say_which_are_measured_and_which_are_still_assumptions(tmp_path, roadmap, claimed):
    from voyager_analysis.contracts.summary import Payload

    res = fake_results(roadmap, claimed)
    # b (ST 0.7 in notebook 04) measured from events; a and c carry no basis (results written before inputs were
    # marked): they count as assumed
    res["04_claude_routing"]["sensitivity"]["b"] |= {"basis": "measured", "source": "sBG fit; events data/ev"}
    top = summary.top_inputs(res, n=3)
    assert dict(zip(top["input"], top["basis"])) == {"a": "assumed", "b": "measured", "c": "assumed"}
    assert top.set_index("input").loc["b", "source"] == "sBG fit; events data/ev"
    assert summary.assumed_top_inputs(top) == ["a", "c"]
    text = summary.headline(summary.claims_table(res, roadmap), summary.risks(res, roadmap), top)
    assert "**b** (ST 0.70 of the" in text and "; measured)" in text
    assert "Still assumptions among them: **a**, **c**" in text
    listing = summary.top_inputs_markdown(top)
    assert "**measured** (sBG fit; events data/ev)" in listing.splitlines()[1]
    assert listing.splitlines()[0].endswith("**assumed**")
    # every top input measured: the headline says so instead of listing assumptions
    for stem in ("04_claude_routing", "05_conversion"):
        for v in res[stem]["sensitivity"].values():
            v["basis"] = "measured"
    text = summary.headline(summary.claims_table(res, roadmap), summary.risks(res, roadmap),
                            summary.top_inputs(res, n=3))
    assert "Each of them is measured from data." in text and "Still assumptions" not in text
    from voyager_analysis.plots.summary import sensitivity_ranking_chart

    labels = [t.get_text() for t in sensitivity_ranking_chart(summary.sensitivity_rows(res)).axes[0].get_yticklabels()]
    assert any(lab.startswith("d ") and lab.endswith("; assumed)") for lab in labels)  # 06's d kept no basis
    assert any(lab.startswith("b ") and lab.endswith("; measured)") for lab in labels)
    # the payload carries the basis; an old payload without the new field still parses
    run = tmp_path / "run"
    run.mkdir()
    write_executed(run / "04_claude_routing.ipynb", complete("04_claude_routing", res["04_claude_routing"]))
    d = summary.summarise(roadmap, str(run), n_inputs=2, notebooks_dir=ROOT / "notebooks").to_dict()
    p = Payload(**d)
    assert p.assumed_top_inputs == [] and {x["basis"] for x in p.top_inputs_detail} == {"measured"}
    old = {k: v for k, v in d.items() if k != "assumed_top_inputs"}
    assert Payload.from_json(old).assumed_top_inputs == []
