"""Which costs are billed and which are modelled (issue 15): `derive --bills` records the billed columns in a
`# billed:` line, `load_metrics` reads it back, and notebook 03's note says it."""

from __future__ import annotations

from voyager_analysis.metrics import billed_line, load_metrics, parse_billed_line


def test_billed_line_round_trips():
    billed = {"cost_claude_usd": ["2026-01", "2026-02", "2026-03"], "gross_revenue_usd": ["2026-02"], "cost_s3_usd": []}
    line = billed_line(billed)
    assert line == "# billed: cost_claude_usd 2026-01..2026-03 (3 months); gross_revenue_usd 2026-02..2026-02 (1 months)"
    assert parse_billed_line("# other\n" + line + "\nmonth,users\n") == {
        "cost_claude_usd": "2026-01..2026-03 (3 months)", "gross_revenue_usd": "2026-02..2026-02 (1 months)"}
    assert billed_line({}) == "" and parse_billed_line("month,users\n") == {}


def test_a_file_with_bills_and_one_without_say_so(tmp_path):
    from voyager_analysis.calibration import billed_sentence

    body = "month,users,cost_claude_usd,cost_vercel_usd\n2026-01,10,5.0,1.0\n2026-02,12,6.0,1.2\n"
    typed = tmp_path / "typed.csv"
    typed.write_text(body)
    billed = tmp_path / "billed.csv"
    billed.write_text(billed_line({"cost_claude_usd": ["2026-01", "2026-02"]}) + "\n" + body)
    assert billed_sentence(load_metrics(typed)) == "no cost column comes from vendor bills (typed or modelled)"
    assert billed_sentence(load_metrics(billed)) == "billed: claude; typed or modelled: vercel"


def test_the_shipped_example_is_billed():
    from voyager_analysis.calibration import billed_sentence

    df = load_metrics()
    assert set(df.attrs["billed"]) >= {"cost_claude_usd", "cost_stripe_usd", "gross_revenue_usd"}
    assert billed_sentence(df).startswith("billed: ")
