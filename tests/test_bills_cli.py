"""``voyager-analysis bills`` and ``join_bills``: the monthly table written atomically, strict JSON, one-line errors
with nothing written, and bills joined into a metrics table that ``load_metrics`` accepts."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from voyager_analysis.sources.bills import join_bills, monthly_bills

AUG_2025 = 1754006400  # 2025-08-01T00:00:00Z


def _strict(text):
    def refuse(name):
        raise AssertionError(f"{name} in JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def bills_dir(tmp_path):
    d = tmp_path / "bills"
    d.mkdir()
    (d / "claude.json").write_text(json.dumps({"data": [
        {"starting_at": "2025-08-03T00:00:00Z", "ending_at": "2025-08-04T00:00:00Z",
         "results": [{"amount": "12345", "currency": "USD"}]},
        {"starting_at": "2025-09-03T00:00:00Z", "ending_at": "2025-09-04T00:00:00Z",
         "results": [{"amount": "655", "currency": "USD"}]}], "has_more": False, "next_page": None}))
    (d / "stripe.json").write_text(json.dumps({"object": "list", "has_more": False, "data": [
        {"id": "txn_1", "object": "balance_transaction", "amount": 200000, "fee": 5830, "net": 194170,
         "currency": "usd", "created": AUG_2025 + 3600, "type": "charge", "reporting_category": "charge"},
        {"id": "txn_2", "object": "balance_transaction", "amount": -2000, "fee": 0, "net": -2000,
         "currency": "usd", "created": AUG_2025 + 7200, "type": "refund", "reporting_category": "refund"}]}))
    return d


def test_bills_writes_the_monthly_csv_and_strict_json(cli, tmp_path, bills_dir):
    out = tmp_path / "monthly.csv"
    res = cli("bills", str(bills_dir), "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    payload = _strict(res.stdout)
    assert payload["columns"] == ["cost_claude_usd", "cost_stripe_usd", "gross_revenue_usd"]
    df = pd.read_csv(out)
    got = df.set_index("month")
    assert got.loc["2025-08", "cost_claude_usd"] == pytest.approx(123.45)  # 12345 cents
    assert got.loc["2025-09", "cost_claude_usd"] == pytest.approx(6.55)
    assert got.loc["2025-08", "gross_revenue_usd"] == pytest.approx(1980.00)  # 2000.00 - 20.00 refund
    assert got.loc["2025-08", "cost_stripe_usd"] == pytest.approx(58.30)
    assert math.isnan(got.loc["2025-09", "cost_stripe_usd"])  # Stripe has nothing in September: empty
    assert payload["monthly"][1]["cost_stripe_usd"] is None
    assert not list(tmp_path.glob(".monthly.csv.*"))  # no temporary file left behind


def test_a_bad_bill_is_one_line_exit_2_and_nothing_written(cli, tmp_path, bills_dir):
    (bills_dir / "bad.csv").write_text("ChargePeriodStart,EffectiveCost,BillingCurrency,ProviderName\n"
                                       "2025-08-01T00:00:00Z,12.00,USD,Mystery Cloud\n")
    out = tmp_path / "monthly.csv"
    res = cli("bills", str(bills_dir), "--out", str(out))
    assert res.returncode == 2
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
    assert "bad.csv" in res.stderr and "Mystery Cloud" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()


def test_join_bills_replaces_billed_months_only_and_load_metrics_accepts_the_result(tmp_path, bills_dir,
                                                                                      example_metrics):
    from voyager_analysis.metrics import load_metrics

    bills = monthly_bills(bills_dir)
    joined = join_bills(example_metrics, bills)
    m = joined.set_index("month")
    before = example_metrics.set_index("month")
    assert m.loc["2025-08", "cost_claude_usd"] == pytest.approx(123.45)
    assert m.loc["2025-09", "cost_claude_usd"] == pytest.approx(6.55)
    assert m.loc["2025-10", "cost_claude_usd"] == before.loc["2025-10", "cost_claude_usd"]  # not billed: kept
    assert m.loc["2025-09", "cost_stripe_usd"] == before.loc["2025-09", "cost_stripe_usd"]  # Stripe: August only
    assert m.loc["2025-08", "gross_revenue_usd"] == pytest.approx(1980.0)
    assert m.loc["2025-09", "gross_revenue_usd"] == before.loc["2025-09", "gross_revenue_usd"]  # not billed: kept
    assert joined.attrs["billed"] == {"cost_claude_usd": ["2025-08", "2025-09"], "cost_stripe_usd": ["2025-08"],
                                      "gross_revenue_usd": ["2025-08"]}
    path = tmp_path / "metrics.csv"
    joined.to_csv(path, index=False)
    again = load_metrics(path)
    assert again.set_index("month").loc["2025-08", "gross_revenue_usd"] == pytest.approx(1980.0)


def test_vendor_tokens_fill_only_empty_months_and_the_gap_is_reported():
    metrics = pd.DataFrame({"month": ["2026-01", "2026-02"], "users": [10.0, 12.0], "output_tokens": [1100.0, None]})
    bills = pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03"], "output_tokens": [1000.0, 2000.0, 5.0]})
    joined = join_bills(metrics, bills)
    assert joined["output_tokens"].tolist() == [1100.0, 2000.0]  # events kept; the empty month filled
    assert joined.attrs["bills_outside"] == ["2026-03"]
    check = joined.attrs["token_check"]
    assert check == [{"month": "2026-01", "column": "output_tokens", "events": 1100.0, "vendor": 1000.0,
                      "relative_gap": pytest.approx(0.10)}]  # events 10% above the vendor's count
