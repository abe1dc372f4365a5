"""The reports index as a dashboard: headline cards read from the results (values hand-checked against
the inputs written here), verdicts, trends, "what changed" between comparable runs only, explorations kept
apart, unreadable runs listed, every string escaped, and a page that fits 1280 px and 400 px in Chromium
without loading anything."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from voyager_analysis import report
from voyager_analysis.report import changes, headlines, index

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def results(**over) -> dict:
    """Results shaped like the notebooks' (today's keys), with round numbers to check by hand."""
    r = {
        "05_conversion": {"margin_after_share_pct": 54.5, "margin_pct": 65.8, "users": 100000.0,
                          "claimed_margin_range_pct": [50.0, 60.0], "breakeven_pro_conversion": 0.02,
                          "breakeven_pro_conversion_range": [0.01, 0.04], "inputs": {"pro_conversion": 0.05}},
        "03_costs_scaling": {"cost_per_user_usd_p50": {"1000": 0.5, "100000": 0.36, "150000": 0.35},
                             "elasticity_verdict": "sub-linear"},
        "04_claude_routing": {"claude_monthly_cost_usd": 14250.4, "users": 63084.0,
                              "roadmap_claude_range_usd": [20000.0, 40000.0]},
        "02_growth_usage": {"month_reaching_target": {"calendar_month": "2027-03", "month": 20.0, "low": 19.0,
                                                      "high": 22.0},
                            "target_users": 100000.0, "difference_months_target": -4.0},
        "07_decisions": {"fired": ["search_upgrade_users"], "triggers": {
            "search_upgrade_users": {"status": "fired", "forecast_month": "2026-10", "users_at_threshold": 50000.0},
            "db_connections_alert": {"status": "ok", "forecast_month": "2027-02", "users_at_threshold": 92187.0},
            "read_replica_read_load": {"status": "ok", "forecast_month": "2026-12", "users_at_threshold": 78103.3},
            "sharding_primary_cpu": {"status": "no data", "forecast_month": None}}},
        "00_summary": {"run_dir": "<reports>/x", "risks": [
            {"risk": "Churn is not in the roadmap", "severity": "medium"},
            {"risk": "Claude is 86% of the bill", "severity": "high"},
            {"risk": "Archival never pays back", "severity": "low"},
            {"risk": "Timing: 4 months early", "severity": "medium"}]},
    }
    for name, value in over.items():
        r[name] = value
    return r


def manifest(run_id: str, res: dict | None = None, *, status="ok", kind="full", parameters=None, **extra) -> dict:
    res = results() if res is None else res
    return {"run_id": run_id, "status": status, "started_at": f"{run_id[:10]}T02:15:00Z", "duration_s": 12.5,
            "kind": kind, "parameters": parameters or {}, "scenario": None, "inputs": {"data/a.csv": "1"},
            "git": {"commit": "abc"}, "options": {"selected": sorted(res)},
            "notebooks": [{"name": n, "notebook": f"{n}.ipynb", "html": f"{n}.html", "status": "ok",
                           "duration_s": 1.0, "results": v, "error": None} for n, v in sorted(res.items())], **extra}


def write_runs(out: Path, *manifests: dict, latest: str | None = None) -> str:
    for m in manifests:
        (out / m["run_id"]).mkdir(parents=True)
        (out / m["run_id"] / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    if latest:
        report.set_latest(out, latest)
    return report.write_index(out).read_text(encoding="utf-8")


def test_headline_cards_hand_checked():
    cards = {c.key: c for c in headlines.headline_cards(manifest("2026-11-30T021500Z-aaaaaaaa"))}
    assert [c.key for c in headlines.headline_cards(manifest("2026-11-30T021500Z-aaaaaaaa"))] == [
        "margin", "cost_per_user", "claude_bill", "breakeven_conversion", "month_target", "next_trigger", "risks"]
    m = cards["margin"]
    assert (m.value, m.tone, m.number) == ("54.5%", "good", 54.5)
    assert m.verdict == "within the roadmap's claimed 50–60%" and "65.8% before the share" in m.detail
    c = cards["cost_per_user"]
    assert c.value == "$0.36 / user-month" and "at 100,000 users" in c.detail  # the 100K column, not the largest
    assert cards["claude_bill"].value == "$14,250 / month"
    assert cards["claude_bill"].verdict == "below the roadmap's $20,000–$40,000"
    b = cards["breakeven_conversion"]
    assert b.value == "2.00%" and b.verdict == "planned 5.0% is 2.5× break-even" and b.tone == "good"  # 0.05/0.02
    t = cards["month_target"]
    assert (t.value, t.verdict) == ("2027-03", "4.0 months earlier than the roadmap") and t.label.startswith("Month 100,000")
    n = cards["next_trigger"]  # the earliest forecast among those not fired: 2026-12 < 2027-02
    assert n.value == "read replica read load" and n.detail == "forecast 2026-12, at about 78,103 users"
    assert n.verdict == "already fired: search_upgrade_users"
    r = cards["risks"]
    assert r.value == "3 high or medium" and r.items[0] == ("bad", "high: Claude is 86% of the bill")
    assert [tone for tone, _ in r.items] == ["bad", "warn", "warn"]  # severity order, top three


@pytest.mark.parametrize("res, key, tone, verdict", [
    (results(**{"05_conversion": {**results()["05_conversion"], "margin_after_share_pct": 41.0}}), "margin", "bad",
     "below the roadmap's claimed 50–60%"),
    (results(**{"04_claude_routing": {**results()["04_claude_routing"], "claude_monthly_cost_usd": 45000.0}}),
     "claude_bill", "bad", "above the roadmap's $20,000–$40,000"),
    (results(**{"05_conversion": {**results()["05_conversion"], "breakeven_pro_conversion": 0.06}}),
     "breakeven_conversion", "bad", "planned 5.0% is 0.8× break-even"),
])
def test_verdicts_turn_when_the_numbers_do(res, key, tone, verdict):
    card = {c.key: c for c in headlines.headline_cards(manifest("2026-11-30T021500Z-aaaaaaaa", res))}[key]
    assert (card.tone, card.verdict) == (tone, verdict)


def test_missing_or_malformed_results_give_a_dash_not_an_error():
    res = results()
    del res["07_decisions"]
    res["05_conversion"] = {"margin_after_share_pct": "high", "users": None}
    cards = {c.key: c for c in headlines.headline_cards(manifest("2026-11-30T021500Z-aaaaaaaa", res))}
    assert cards["next_trigger"].value == "—" and cards["next_trigger"].detail == "notebook not in this run"
    assert cards["margin"].value == "—" and cards["margin"].detail == "not in this run's results"
    assert cards["claude_bill"].value == "$14,250 / month"


def test_index_shows_latest_complete_run_trends_and_no_change_between_identical_runs(tmp_path):
    a = manifest("2026-11-28T021500Z-aaaaaaaa")
    b = manifest("2026-11-29T021500Z-bbbbbbbb")
    b["notebooks"][0]["results"] = {**b["notebooks"][0]["results"], "run_dir": "<reports>/other"}  # 00_summary
    page = write_runs(tmp_path, a, b, latest=b["run_id"])
    assert "Headlines of run <code>2026-11-29T021500Z-bbbbbbbb</code>" in page
    assert "What changed since run <code>2026-11-28T021500Z-aaaaaaaa</code>" in page
    assert "Same inputs, notebooks, parameters, scenario and code." in page and "No result changed" in page
    assert page.count("<svg class='trend'") == 6  # every numeric card has a trend line; the trigger has none
    assert "href='2026-11-29T021500Z-bbbbbbbb/05_conversion.html'" in page
    assert "href='2026-11-29T021500Z-bbbbbbbb/results.json'" in page
    assert page.index("Headlines") < page.index("What changed") < page.index("All runs")
    assert report.external_resources(page) == [] and "<script" not in page


def test_explorations_are_listed_but_never_headline_or_baseline(tmp_path):
    a = manifest("2026-11-28T021500Z-aaaaaaaa")
    res = results()
    res["04_claude_routing"] = {**res["04_claude_routing"], "claude_monthly_cost_usd": 9000.0, "users": 50000.0}
    what_if = manifest("2026-11-28T101500Z-eeeeeeee", {"04_claude_routing": res["04_claude_routing"]},
                       kind="exploration", parameters={"users": 50000})
    res_c = results()
    res_c["04_claude_routing"] = {**res_c["04_claude_routing"], "claude_monthly_cost_usd": 15250.4}
    c = manifest("2026-11-29T021500Z-cccccccc", res_c)
    page = write_runs(tmp_path, a, what_if, c, latest=c["run_id"])
    assert "What changed since run <code>2026-11-28T021500Z-aaaaaaaa</code>" in page  # not the exploration
    assert "$15,250 / month" in page and "$9,000" not in page
    assert "1 of" in page and "+7.0%" in page  # 15250.4 / 14250.4 - 1 = 7.0 %
    assert "<span class='tag'>exploration</span>" in page and "users=50,000" in page
    # the newest run being an exploration is said, and the headlines stay with the complete run
    d = manifest("2026-11-30T101500Z-dddddddd", {"04_claude_routing": res["04_claude_routing"]},
                 kind="exploration", parameters={"users": 50000})
    page = write_runs(tmp_path, d)
    assert "is an exploration; the headlines below are from the latest complete run" in page
    assert "Headlines of run <code>2026-11-29T021500Z-cccccccc</code>" in page
    assert changes.previous_comparable(report.list_runs(tmp_path), d)["run_id"] == what_if["run_id"]


def test_every_string_from_the_inputs_is_escaped(tmp_path):
    res = results()
    res["00_summary"]["risks"].append({"risk": "<script>alert(1)</script> & <b>bold</b>", "severity": "high"})
    m = manifest("2026-11-28T021500Z-aaaaaaaa", res, parameters={"label": "<img src=x onerror=alert(1)>"})
    m["notebooks"].append({"name": "09_<evil>", "notebook": "09.ipynb", "html": "javascript:alert(1)",
                           "status": "failed", "duration_s": 1.0, "results": None,
                           "error": {"ename": "<Err>", "evalue": "</td><script>x()</script>"}})
    page = write_runs(tmp_path, m)
    assert "<script" not in page and "<img src=x" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "09_&lt;evil&gt;" in page and "javascript:" not in page  # not a plain file name: no link


def test_sparkline_maps_values_onto_the_box():
    svg = index.sparkline([1.0, 3.0, 2.0], width=104, height=28)
    points = svg.split("points='")[1].split("'")[0].split()
    assert points == ["4.0,24.0", "52.0,4.0", "100.0,14.0"]  # x: 4 + i*48; y: 24 - (v-1)/2*20
    assert index.sparkline([5.0]) == ""


# --- in a browser ----------------------------------------------------------------------------------------

def _measure(page: Path, width: int, tmp_path: Path) -> tuple[int, int, set[str]]:
    """(scrollWidth, innerWidth) of ``page`` in an iframe ``width`` px wide (headless windows cannot be
    narrower than 500 px), and the URLs requested."""
    from test_report import chromium, page_requests

    wrapper = page.with_name(f"_measure_{width}.html")
    wrapper.write_text(
        f"<!DOCTYPE html><html><body style='margin:0'><iframe id='f' src='{page.name}' "
        f"style='width:{width}px;height:900px;border:0'></iframe><script>window.onload=function(){{"
        "var f=document.getElementById('f');document.title='W '+f.contentDocument.documentElement.scrollWidth"
        "+' '+f.contentWindow.innerWidth;};</script></body></html>", encoding="utf-8")
    netlog = tmp_path / f"net-{page.stem}-{width}.json"
    proc = chromium(["--allow-file-access-from-files", "--virtual-time-budget=5000", "--window-size=1400,1000",
                     f"--log-net-log={netlog}", "--dump-dom", wrapper.as_uri()], tmp_path / f"profile-{page.stem}-{width}")
    wrapper.unlink()
    assert "<title>W " in proc.stdout, (proc.stdout[-800:], proc.stderr[-1500:])
    title = proc.stdout.split("<title>W ", 1)[1].split("<", 1)[0]
    scroll, inner = (int(x) for x in title.split())
    requests = {u for u in page_requests(netlog) if not u.startswith(("file:", "data:"))}
    return scroll, inner, requests


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run does)")
def test_index_fits_1280_and_400_px_and_loads_nothing(tmp_path):
    out = tmp_path / "reports"
    runs_ = [manifest(f"2026-11-2{d}T021500Z-0000000{d}") for d in range(1, 5)]
    res = copy.deepcopy(results())
    res["04_claude_routing"]["claude_monthly_cost_usd"] = 16000.0
    runs_.append(manifest("2026-11-25T021500Z-00000005", res))
    runs_.append(manifest("2026-11-26T021500Z-00000006", {"04_claude_routing": res["04_claude_routing"]},
                          kind="exploration", parameters={"users": 50000, "sonnet_share": 0.3}))
    write_runs(out, *runs_, latest="2026-11-25T021500Z-00000005")
    (out / "2026-11-20T021500Z-deadbeef").mkdir()
    (out / "2026-11-20T021500Z-deadbeef" / "manifest.json").write_text('{"duration_s": "slow"}', encoding="utf-8")
    page = report.write_index(out)
    assert "Unreadable runs" in page.read_text(encoding="utf-8")
    for width in (1280, 400):
        scroll, inner, requests = _measure(page, width, tmp_path)
        assert inner == width and scroll <= inner, (width, scroll, inner)
        assert requests == set()
    # the measurement does see an overflow when there is one
    wide = out / "wide.html"
    wide.write_text("<html><body><div style='width:2000px'>x</div></body></html>", encoding="utf-8")
    scroll, inner, _ = _measure(wide, 400, tmp_path)
    assert scroll > inner == 400


@pytest.mark.slow
def test_the_shipped_notebooks_fill_every_card_and_an_unchanged_rerun_reuses_all(tmp_path, cli, monkeypatch):
    from voyager_analysis.report import provenance

    monkeypatch.setattr(provenance, "code_digest", lambda: "fixed")  # others may edit the checkout meanwhile
    out = tmp_path / "reports"
    first = cli("report", "--out", str(out), "--json")
    assert first.returncode == 0, first.stderr[-3000:]
    m1 = json.loads(first.stdout)
    cards = headlines.headline_cards(m1)
    assert [c.key for c in cards if c.value == "—"] == [], [(c.key, c.detail) for c in cards]
    second = cli("report", "--out", str(out), "--json")
    assert second.returncode == 0, second.stderr[-3000:]
    m2 = json.loads(second.stdout)
    assert all(r["reused_from"] == m1["run_id"] for r in m2["notebooks"])
    assert report.latest_run(out) == m2["run_id"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "No result changed" in page and "input changed" not in page  # (the git commit may have moved)
    if CHROMIUM is not None:
        for width in (1280, 400):
            scroll, inner, requests = _measure(out / "index.html", width, tmp_path)
            assert scroll <= inner == width and requests == set()
