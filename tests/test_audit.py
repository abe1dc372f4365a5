"""The audit's recomputations, each hand-checked on the roadmap's own numbers or a small edited copy."""

from __future__ import annotations

import html
import json
import re

import pytest

from voyager_analysis import audit
from voyager_analysis.assumptions import load_roadmap


@pytest.fixture(scope="module")
def result(roadmap, prices):
    return audit.run_audit(roadmap, prices)


def edited_roadmap(tmp_path, roadmap, old: str, new: str):
    text = roadmap.path.read_text()
    assert old in text
    p = tmp_path / "roadmap.yaml"
    p.write_text(text.replace(old, new, 1))
    return load_roadmap(p)


def test_severity_rules():
    assert audit.severity_of(100, 100.9) == "ok"          # within 1 unit
    assert audit.severity_of(1000, 1009) == "ok"          # within 1%
    assert audit.severity_of(1000, 1100) == "minor"       # 10%
    assert audit.severity_of(1000, 1200) == "major"       # 20%
    assert audit.severity_of(1000, 1080, approx=True) == "ok"   # "~" figures: 10% tolerance
    assert audit.severity_of(0.55, 0.7474, abs_tol=0.005) == "major"  # fractions need their own tolerance


def test_phase_sums_hand_checked(roadmap):
    t = audit.phase_cost_table(roadmap).set_index("phase")
    # Phase 1: Vercel 20-100, Neon 100-200, Upstash 20-50, Claude 1000-3000
    assert t.loc["phase_1", "sum_components_low"] == 20 + 100 + 20 + 1000
    assert t.loc["phase_1", "sum_components_high"] == 100 + 200 + 50 + 3000
    # Phase 3 high: 500 + 2000 + 300 + 500 + 200 + 1000 + 40000 + 500
    assert t.loc["phase_3", "sum_components_high"] == 45000
    assert t.loc["phase_1", "claude_share_low"] == pytest.approx(1000 / 1140)


def test_cost_projection_recomputed_hand_checked(roadmap, prices):
    t = audit.cost_projection_table(roadmap, prices).set_index("row")
    r = t.loc["u10k"]
    assert r.revenue_pro_only_usd == pytest.approx(10_000 * 0.05 * 18.99)                # 9,495
    assert r.revenue_with_max_usd == pytest.approx(10_000 * 0.05 * 18.99 + 10_000 * 0.001 * 99)  # 10,485
    assert r.margin_recomputed == pytest.approx((9500 - 3500) / 9500)
    assert r.margin_after_share == pytest.approx((9500 * 0.7 - 3500) / (9500 * 0.7))
    fees = 10_485 * 0.029 + (500 + 10) * 0.30
    assert r.margin_with_max_after_share_and_fees == pytest.approx(
        (10_485 * 0.7 - fees - 3500) / (10_485 * 0.7 - fees))
    assert r.cost_per_user_usd == pytest.approx(0.35)


def test_stripe_fee_hand_checked(prices):
    assert audit.stripe_fee_usd(100.0, 5, prices) == pytest.approx(100 * 0.029 + 5 * 0.30)


def test_growth_pace_hand_checked(roadmap):
    t = audit.growth_pace_table(roadmap)
    first = t.iloc[0]  # 1K at month 4 -> 5K at month 6
    assert (first.from_users, first.to_users, first.months) == (1000, 5000, 2)
    assert first.monthly_growth == pytest.approx(5 ** 0.5 - 1)


def test_every_finding_has_both_sides_and_unique_id(result):
    ids = [f.id for f in result.findings]
    assert len(ids) == len(set(ids))
    for f in result.findings:
        assert f.severity in audit.SEVERITIES
        assert f.stated is not None and f.recomputed is not None and f.unit and f.section and f.explanation


def test_known_contradictions_are_found(result):
    by_id = {f.id: f for f in result.findings}
    # the table's margins ignore the revenue share the notes describe
    assert by_id["claims.margins_throughout"].severity == "major"
    # 5K row: (4750 - 1200) / 4750 = 74.7%, not the stated 55%
    assert by_id["cost_projection.u5k.margin"].severity == "major"
    assert by_id["cost_projection.u5k.margin"].recomputed == pytest.approx((4750 - 1200) / 4750, abs=1e-4)
    # cost per user rises between 5K and 30K
    assert by_id["claims.per_user_cost_decreases"].severity == "major"
    # the notes include the Max tier; the revenue column does not
    assert by_id["cost_projection.u100k.revenue"].recomputed == pytest.approx(104_850)
    assert by_id["cost_projection.u100k.revenue"].severity != "ok"


def test_checks_that_hold_pass(result):
    by_id = {f.id: f for f in result.findings}
    for fid in ["phase_3.gross", "phase_3.after_share", "phase_1.pro_subscribers", "archival.price_ratio",
                "cost_projection.u1k.margin", "phase_3.total_high", "sharding.example_total"]:
        assert by_id[fid].severity == "ok", fid


def test_a_corrected_row_passes(tmp_path, roadmap, prices):
    fixed = edited_roadmap(tmp_path, roadmap,
                           "margin: {low: 0.55, high: 0.55, unit: fraction, section: \"Cost projection summary\"}",
                           "margin: {low: 0.747, high: 0.747, unit: fraction, section: \"Cost projection summary\"}")
    by_id = {f.id: f for f in audit.run_audit(fixed, prices).findings}
    assert by_id["cost_projection.u5k.margin"].severity == "ok"


def test_a_broken_total_is_caught(tmp_path, roadmap, prices):
    broken = edited_roadmap(tmp_path, roadmap,
                            "total: {low: 22000, high: 45000,", "total: {low: 22000, high: 60000,")
    f = {f.id: f for f in audit.run_audit(broken, prices).findings}["phase_3.total_high"]
    assert (f.stated, f.recomputed, f.severity) == (60000, 45000, "major")


def test_elasticity_of_the_roadmap_table_is_reported(result):
    f = {f.id: f for f in result.findings}["claims.costs_scale_sublinearly"]
    beta, (lo, hi) = f.recomputed
    assert lo <= beta <= hi
    assert re.search(r"elasticity \d\.\d\d", f.explanation)


def test_audit_cli_json(cli):
    r = cli("audit", "--json")
    assert r.returncode == 0, r.stderr
    payload = json.loads(r.stdout)
    keys = {"id", "section", "claim", "stated", "recomputed", "unit", "severity", "explanation"}
    assert payload["findings"] and all(set(f) == keys for f in payload["findings"])
    assert {f["severity"] for f in payload["findings"]} >= {"ok", "major"}


def test_audit_cli_table_and_bad_input(cli, tmp_path):
    r = cli("audit", "--problems-only")
    assert r.returncode == 0 and "major" in r.stdout and " ok " not in r.stdout
    bad = tmp_path / "r.yaml"
    bad.write_text("phases: {}\n")
    r = cli("audit", "--assumptions", str(bad))
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "Traceback" not in r.stderr


def test_audit_result_protocol_and_headline(result):
    import json

    from voyager_analysis.contracts.audit import Payload

    d = result.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["counts"] == result.counts() and len(d["findings"]) == len(result.findings)
    table = result.summary()
    assert list(table.severity) == sorted(table.severity, key=audit.SEVERITIES.index)  # worst first
    assert html.escape(result.title) in result._repr_html_()
    head = Payload(**result.headline())
    assert head.n_checks == len(result.findings) == sum(head.counts.values())
    assert head.major == [f.id for f in result.findings if f.severity == "major"]
    after = result.cost_projection_table().margin_after_share
    assert head.margin_after_share_range == [after.min(), after.max()]
    assert f"{len(result.findings)} checks: {head.counts['major']} major" in result.headline_markdown()
    for fig in (result.plot_margins(), result.plot_cost_per_user()):
        assert fig.axes


def test_margin_sentence_counts_rows_by_hand(result):
    table, claim = result.cost_projection_table(), result.claimed_margin
    inside = sum(claim.low <= m <= claim.high for m in table.margin_after_share)
    text = result.margin_markdown()
    assert f"{inside} of {len(table)} rows fall in the claimed band" in text
