"""Vendor bill readers: monthly totals against hand sums on small fixtures written here, and one-line errors.

Every expected number below is worked out by hand in the comment next to it (cents to dollars, UTC months).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from voyager_analysis.errors import InputError
from voyager_analysis.sources.bills import claude_cost_breakdown, monthly_bills, read_bills


def cost_page(buckets, has_more=False, next_page=None):
    """A cost report page; ``buckets`` is [(starting_at, ending_at, [(amount, model, token_type), ...])]."""
    return {"data": [{"starting_at": s, "ending_at": e, "results": [
        {"amount": a, "currency": "USD", "cost_type": "tokens", "description": f"{m} {t}", "model": m,
         "token_type": t, "service_tier": "standard", "context_window": "0-200k", "workspace_id": None}
        for a, m, t in results]} for s, e, results in buckets], "has_more": has_more, "next_page": next_page}


def day(d):  # a UTC day bucket
    return f"{d}T00:00:00Z"


def write(folder: Path, name: str, obj) -> Path:
    path = folder / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return path


def value(df, month, column):
    row = df.loc[df["month"] == month, column]
    assert len(row) == 1, f"{month} not in {list(df['month'])}"
    return float(row.iat[0])


# --- Claude cost report ---------------------------------------------------------------------------------------

def test_claude_cost_pages_sum_cents_to_dollars_by_utc_month_across_a_page_boundary(tmp_path):
    # page 1: Jan 30 (123.45 + 0.55 cents) and Jan 31 (1000 cents); page 2: Feb 1 (250.5 cents).
    write(tmp_path, "p1.json", cost_page([
        (day("2026-01-30"), day("2026-01-31"), [("123.45", "claude-sonnet-4-5", "uncached_input_tokens"),
                                                ("0.55", "claude-haiku-4-5", "output_tokens")]),
        (day("2026-01-31"), day("2026-02-01"), [("1000", "claude-sonnet-4-5", "output_tokens")]),
    ], has_more=True, next_page="page_2"))
    write(tmp_path, "p2.json", cost_page([
        (day("2026-02-01"), day("2026-02-02"), [("250.5", "claude-sonnet-4-5", "output_tokens")]),
    ]))
    df = monthly_bills([tmp_path])
    assert list(df.columns) == ["month", "cost_claude_usd"]
    # January: (123.45 + 0.55 + 1000) cents = 1124 cents = $11.24; February: 250.5 cents = $2.505
    assert value(df, "2026-01", "cost_claude_usd") == pytest.approx(11.24, abs=1e-12)
    assert value(df, "2026-02", "cost_claude_usd") == pytest.approx(2.505, abs=1e-12)


def test_amounts_are_summed_exactly_not_as_floats(tmp_path):
    # 0.1 + 0.2 cents ten times: exactly 3 cents = $0.03 (float summing of 0.001 + 0.002 drifts)
    results = [("0.1", "m", "t"), ("0.2", "m", "t")] * 10
    write(tmp_path, "p.json", cost_page([(day("2026-03-01"), day("2026-03-02"), results)]))
    assert value(monthly_bills(tmp_path), "2026-03", "cost_claude_usd") == 0.03


def test_a_bucket_spanning_midnight_utc_counts_in_the_utc_month_of_its_start(tmp_path):
    # 2026-01-31T20:00-05:00 is 2026-02-01T01:00Z: February, although the local date is January 31.
    # 2026-03-01T00:30+01:00 is 2026-02-28T23:30Z: February, although the local date is March 1.
    write(tmp_path, "p.json", cost_page([
        ("2026-01-31T20:00:00-05:00", "2026-02-01T20:00:00-05:00", [("500", "m", "t")]),
        ("2026-03-01T00:30:00+01:00", "2026-03-01T12:00:00+01:00", [("300", "m", "t")]),
        ("2026-01-31T12:00:00Z", "2026-02-01T12:00:00Z", [("100", "m", "t")]),  # spans midnight: January
    ]))
    df = monthly_bills(tmp_path)
    assert list(df["month"]) == ["2026-01", "2026-02"]
    assert value(df, "2026-01", "cost_claude_usd") == pytest.approx(1.00)  # 100 cents
    assert value(df, "2026-02", "cost_claude_usd") == pytest.approx(8.00)  # 500 + 300 cents


def test_breakdown_by_model_and_token_type_adds_up_to_the_monthly_cost(tmp_path):
    write(tmp_path, "p.json", cost_page([
        (day("2026-01-05"), day("2026-01-06"), [("200", "claude-sonnet-4-5", "output_tokens"),
                                                ("50", "claude-haiku-4-5", "output_tokens")]),
        (day("2026-01-06"), day("2026-01-07"), [("100", "claude-sonnet-4-5", "output_tokens"),
                                                ("10", "claude-sonnet-4-5", "cache_read_input_tokens")]),
    ]))
    bd = claude_cost_breakdown(tmp_path)
    got = {(r.model, r.token_type): r.cost_usd for r in bd.itertuples()}
    # sonnet output 200 + 100 cents = $3.00; haiku output 50 cents; sonnet cache reads 10 cents
    assert got == pytest.approx({("claude-sonnet-4-5", "output_tokens"): 3.00, ("claude-haiku-4-5", "output_tokens"): 0.50,
                                 ("claude-sonnet-4-5", "cache_read_input_tokens"): 0.10})
    assert bd["cost_usd"].sum() == pytest.approx(value(monthly_bills(tmp_path), "2026-01", "cost_claude_usd"))


def test_claude_usage_report_gives_the_metrics_token_columns(tmp_path):
    usage = {"data": [{"starting_at": day("2026-01-10"), "ending_at": day("2026-01-11"), "results": [
        {"uncached_input_tokens": 1000, "cache_read_input_tokens": 300, "output_tokens": 200, "model": "m1",
         "cache_creation": {"ephemeral_5m_input_tokens": 40, "ephemeral_1h_input_tokens": 10}},
        {"uncached_input_tokens": 5, "cache_read_input_tokens": 0, "output_tokens": 7, "model": "m2",
         "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}}]}],
        "has_more": False, "next_page": None}
    df = monthly_bills(write(tmp_path, "u.json", usage))
    # input = uncached + cache reads + cache writes = (1000 + 300 + 50) + 5 = 1355; writes 40 + 10 = 50
    assert value(df, "2026-01", "input_tokens") == 1355
    assert value(df, "2026-01", "cache_read_tokens") == 300
    assert value(df, "2026-01", "cache_write_tokens") == 50
    assert value(df, "2026-01", "output_tokens") == 207


# --- FOCUS ----------------------------------------------------------------------------------------------------

FOCUS_10 = """BillingAccountId,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ProviderName,PublisherName,ServiceName
acct,Usage,2026-01-31T00:00:00Z,2026-02-01T00:00:00Z,10.00,9.50,USD,Vercel,Vercel,Functions
acct,Usage,2026-02-01T00:00:00Z,2026-02-02T00:00:00Z,3.25,3.25,USD,Vercel,Vercel,Edge Requests
acct,Usage,2026-02-01T00:00:00Z,2026-02-02T00:00:00Z,1.10,1.10,USD,Amazon Web Services,Amazon Web Services,Amazon Simple Storage Service
acct,Usage,2026-02-01T00:00:00Z,2026-02-02T00:00:00Z,4.00,4.00,USD,Amazon Web Services,Amazon Web Services,AWS Cost Explorer
acct,Credit,2026-02-03T00:00:00Z,2026-02-04T00:00:00Z,-2.00,-2.00,USD,Neon,Neon,Postgres
"""


def test_focus_1_0_csv_sums_effective_cost_per_component_and_month(tmp_path):
    df = monthly_bills(write(tmp_path, "aws_vercel_neon.csv", FOCUS_10))
    # Vercel: January 9.50 (EffectiveCost, not BilledCost 10.00); February 3.25
    assert value(df, "2026-01", "cost_vercel_usd") == pytest.approx(9.50)
    assert value(df, "2026-02", "cost_vercel_usd") == pytest.approx(3.25)
    assert value(df, "2026-02", "cost_s3_usd") == pytest.approx(1.10)  # Cost Explorer (4.00) is ignored
    assert value(df, "2026-02", "cost_neon_usd") == pytest.approx(-2.00)  # a credit
    assert math.isnan(value(df, "2026-01", "cost_s3_usd"))  # no S3 line in January: absent, not zero
    bills = read_bills(tmp_path)
    assert bills.files[0]["ignored_lines"] == 1


def test_focus_1_3_json_lines_use_service_provider_name(tmp_path):
    rows = [  # Vercel's billing API: FOCUS 1.3 JSON Lines; the deprecated ProviderName says something else
        {"ChargePeriodStart": "2026-04-30T00:00:00Z", "ChargePeriodEnd": "2026-05-01T00:00:00Z", "EffectiveCost": 1.5,
         "BilledCost": 1.5, "BillingCurrency": "USD", "ServiceProviderName": "Upstash", "ProviderName": "Vercel",
         "HostProviderName": "Vercel", "ServiceName": "Redis"},
        {"ChargePeriodStart": "2026-05-01T00:00:00Z", "ChargePeriodEnd": "2026-05-02T00:00:00Z", "EffectiveCost": "0.25",
         "BilledCost": "0.25", "BillingCurrency": "USD", "ServiceProviderName": "Vercel", "ServiceName": "Bandwidth"},
    ]
    df = monthly_bills(write(tmp_path, "vercel.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n"))
    assert value(df, "2026-04", "cost_upstash_usd") == pytest.approx(1.5)
    assert "cost_vercel_usd" in df and value(df, "2026-05", "cost_vercel_usd") == pytest.approx(0.25)
    assert math.isnan(value(df, "2026-04", "cost_vercel_usd"))


def test_non_usd_focus_is_converted_with_a_dated_rate_table(tmp_path):
    vendors = write(tmp_path, "vendors.yaml", "providers:\n  Neon: neon\ncurrency:\n  as_of: 2026-01-31\n"
                                              "  source: test rates\n  usd_per_unit:\n    EUR: 1.25\n")
    csv = ("ChargePeriodStart,EffectiveCost,BillingCurrency,ProviderName,ServiceName\n"
           "2026-01-02T00:00:00Z,8.00,EUR,Neon,Compute\n")
    df = monthly_bills(write(tmp_path, "neon.csv", csv), vendors=vendors)
    assert value(df, "2026-01", "cost_neon_usd") == pytest.approx(10.00)  # 8 EUR x 1.25
    with pytest.raises(InputError, match="as_of"):
        monthly_bills(tmp_path / "neon.csv", vendors=write(
            tmp_path, "v2.yaml", "providers:\n  Neon: neon\ncurrency:\n  usd_per_unit:\n    EUR: 1.25\n"))


# --- Stripe ---------------------------------------------------------------------------------------------------

JAN_15 = 1768435200  # 2026-01-15T00:00:00Z
FEB_1 = 1769904000  # 2026-02-01T00:00:00Z


def tx(id_, created, amount, fee, category, type_=None):
    return {"id": id_, "object": "balance_transaction", "amount": amount, "fee": fee, "net": amount - fee,
            "currency": "usd", "created": created, "type": type_ or category, "reporting_category": category,
            "fee_details": [{"amount": fee, "currency": "usd", "type": "stripe_fee"}] if fee else []}


def test_stripe_fees_and_gross_revenue_with_a_refund(tmp_path):
    page = {"object": "list", "url": "/v1/balance_transactions", "has_more": False, "data": [
        tx("txn_1", JAN_15, 2000, 88, "charge"),          # $20.00 charge, $0.88 fee
        tx("txn_2", JAN_15 + 60, 10000, 320, "charge"),   # $100.00 charge, $3.20 fee
        tx("txn_3", FEB_1 - 1, -2000, 0, "refund"),       # 2026-01-31T23:59:59Z: January refund of $20.00
        tx("txn_4", FEB_1, 500, 45, "charge"),            # February: $5.00, fee $0.45
        tx("txn_5", FEB_1 + 10, -1500, 0, "fee", "stripe_fee"),  # a Billing fee charged separately: $15.00
        tx("txn_6", FEB_1 + 20, -9000, 0, "payout", "payout"),   # a payout: neither revenue nor fee
    ]}
    df = monthly_bills(write(tmp_path, "stripe.json", page))
    assert value(df, "2026-01", "gross_revenue_usd") == pytest.approx(100.00)  # 20 + 100 - 20
    assert value(df, "2026-01", "cost_stripe_usd") == pytest.approx(4.08)     # 0.88 + 3.20
    assert value(df, "2026-02", "gross_revenue_usd") == pytest.approx(5.00)
    assert value(df, "2026-02", "cost_stripe_usd") == pytest.approx(15.45)    # 0.45 + 15.00


def test_the_same_stripe_transaction_in_two_files_is_double_counting(tmp_path):
    for name in ("a.json", "b.json"):
        write(tmp_path, name, {"object": "list", "has_more": False, "data": [tx("txn_9", JAN_15, 100, 3, "charge")]})
    with pytest.raises(InputError, match=r"double counting: .*a\.json and .*b\.json .*txn_9"):
        monthly_bills(tmp_path)


# --- together -------------------------------------------------------------------------------------------------

def test_months_no_bill_covers_are_absent_and_columns_not_covered_are_empty(tmp_path):
    write(tmp_path, "c.json", cost_page([(day("2026-01-10"), day("2026-01-11"), [("100", "m", "t")]),
                                         (day("2026-03-10"), day("2026-03-11"), [])]))  # March: billed at zero
    write(tmp_path, "s.json", {"object": "list", "has_more": False, "data": [tx("txn_1", FEB_1, 1000, 59, "charge")]})
    bills = read_bills(tmp_path)
    df = bills.monthly
    assert list(df["month"]) == ["2026-01", "2026-02", "2026-03"]  # nothing before, after or invented
    assert value(df, "2026-03", "cost_claude_usd") == 0.0  # covered, no cost
    assert math.isnan(value(df, "2026-02", "cost_claude_usd"))  # not covered by the cost report
    assert math.isnan(value(df, "2026-01", "cost_stripe_usd"))
    assert bills.partial["cost_claude_usd"] == ["2026-01", "2026-03"]
    json.dumps(bills.to_dict(), allow_nan=False)


def test_two_files_covering_the_same_days_are_refused_naming_both(tmp_path):
    write(tmp_path, "run1.json", cost_page([(day("2026-01-10"), day("2026-01-12"), [("100", "m", "t")])]))
    write(tmp_path, "run2.json", cost_page([(day("2026-01-11"), day("2026-01-12"), [("100", "m", "t")])]))
    with pytest.raises(InputError) as exc:
        monthly_bills(tmp_path)
    msg = str(exc.value)
    assert "run1.json" in msg and "run2.json" in msg and "2026-01-11" in msg and "\n" not in msg


def test_a_focus_export_and_a_claude_cost_report_for_the_same_days_double_count(tmp_path):
    write(tmp_path, "c.json", cost_page([(day("2026-01-10"), day("2026-01-11"), [("100", "m", "t")])]))
    write(tmp_path, "f.csv", "ChargePeriodStart,ChargePeriodEnd,EffectiveCost,BillingCurrency,ProviderName\n"
                             "2026-01-10T00:00:00Z,2026-01-11T00:00:00Z,1,USD,Anthropic\n")
    with pytest.raises(InputError, match="double counting.*cost_claude_usd"):
        monthly_bills(tmp_path)


def test_adjacent_days_in_two_files_are_not_double_counting(tmp_path):
    write(tmp_path, "a.json", cost_page([(day("2026-01-10"), day("2026-01-11"), [("100", "m", "t")])]))
    write(tmp_path, "b.json", cost_page([(day("2026-01-11"), day("2026-01-12"), [("100", "m", "t")])]))
    assert value(monthly_bills(tmp_path), "2026-01", "cost_claude_usd") == pytest.approx(2.0)


# --- bad input: one line naming the file, the place and the problem --------------------------------------------

BAD = [
    ("cost.json", json.dumps(cost_page([(day("2026-01-01"), day("2026-01-02"), [("12,5", "m", "t")])])),
     r"cost\.json: bucket 1 \(2026-01-01T00:00:00Z\): result 1: amount must be a decimal number"),
    ("cost.json", json.dumps(cost_page([(day("2026-01-01"), day("2026-01-02"), [("NaN", "m", "t")])])),
     "amount must be a finite number"),
    ("cost.json", json.dumps(cost_page([(day("2026-01-01"), day("2026-01-02"), [(12.5, "m", "t")])])),
     "amount must be a decimal string in cents"),
    ("cost.json", json.dumps(cost_page([(day("2026-01-01"), day("2026-01-02"), [("1", "m", "t")])])).replace(
        '"USD"', '"EUR"'), "currency 'EUR' is not USD"),
    ("cost.json", '{"data": [{"starting_at": "yesterday", "ending_at": "today", "results": []}], "has_more": false}',
     "starting_at is not an ISO 8601 date-time"),
    ("page.json", '{"data": [], "has_more": false', "page.json: line 1: malformed JSON"),
    ("cost.json", json.dumps(cost_page([(day("2026-01-01"), day("2026-01-02"), [("1", "m", "t")])] * 2)),
     r"bucket 2 \(2026-01-01T00:00:00Z\): a bucket with this starting_at appears earlier"),
    ("f.csv", "ChargePeriodStart,BilledCost,BillingCurrency,ProviderName\n2026-01-01,1,USD,Vercel\n",
     r"f\.csv: header: FOCUS column EffectiveCost is missing"),
    ("f.csv", "ChargePeriodEnd,EffectiveCost,BillingCurrency,ProviderName\n2026-01-01,1,USD,Vercel\n",
     "FOCUS column ChargePeriodStart is missing"),
    ("f.csv", "ChargePeriodStart,EffectiveCost,BillingCurrency,ProviderName,ServiceName\n"
              "2026-01-01T00:00:00Z,1,USD,Vercel,x\n2026-01-02T00:00:00Z,1,USD,Fly.io,Machines\n",
     r"f\.csv: row 2: provider 'Fly\.io' service 'Machines' maps to no cost component"),
    ("f.csv", "ChargePeriodStart,EffectiveCost,BillingCurrency,ProviderName,ServiceName\n"
              "2026-01-01T00:00:00Z,1,USD,Amazon Web Services,Amazon EC2\n",
     "provider 'Amazon Web Services' service 'Amazon EC2' maps to no cost component"),
    ("f.csv", "ChargePeriodStart,EffectiveCost,BillingCurrency,ProviderName\n2026-01-01T00:00:00Z,abc,USD,Vercel\n",
     "row 1: EffectiveCost must be a decimal number"),
    ("f.csv", "ChargePeriodStart,EffectiveCost,BillingCurrency,ProviderName\n2026-01-01T00:00:00Z,1,GBP,Vercel\n",
     "currency 'GBP' is not USD"),
    ("s.json", json.dumps({"object": "list", "has_more": False, "data": [
        {"id": "txn_1", "amount": "20.00", "fee": 0, "currency": "usd", "created": JAN_15}]}),
     r"transaction 1 \(txn_1\): amount must be a whole number"),
    ("s.json", json.dumps({"object": "list", "has_more": False, "data": [
        {"id": "txn_1", "amount": 100, "fee": 3, "currency": "chf", "created": JAN_15}]}),
     "currency 'chf' is not USD"),
    ("notes.json", '{"hello": "world"}', "is not a bill in a known format"),
]


@pytest.mark.parametrize("name,text,pattern", BAD, ids=[f"{i}-{b[2][:30]}" for i, b in enumerate(BAD)])
def test_bad_bills_give_one_line_naming_file_place_and_problem(tmp_path, name, text, pattern):
    path = write(tmp_path, name, text)
    with pytest.raises(InputError, match=pattern) as exc:
        monthly_bills(path)
    assert "\n" not in str(exc.value) and name in str(exc.value)


def test_forcing_a_format_that_does_not_fit_is_one_line(tmp_path):
    path = write(tmp_path, "s.json", {"object": "list", "has_more": False, "data": []})
    with pytest.raises(InputError, match="not a Claude report page"):
        monthly_bills(path, format="claude-cost")
    assert monthly_bills(path, format="stripe").empty


def test_the_shipped_mapping_has_the_issue_defaults():
    from voyager_analysis.sources.bills.common import load_vendors

    v = load_vendors()
    got = {(p, s): v.component(p, s, path="x", where="y") for p, s in [
        ("Vercel", "Functions"), ("NEON", None), ("Upstash", "Redis"), ("Inngest", "Steps"),
        ("Amazon Web Services", "Amazon Simple Storage Service"), ("AWS", "Amazon Simple Storage Service"),
        ("Algolia", "Search"), ("Anthropic", "Claude")]}
    assert list(got.values()) == ["vercel", "neon", "upstash", "inngest", "s3", "s3", "search", "claude"]
    assert v.usd_per_unit == {}  # no rates shipped: every bill must be in USD unless someone adds dated rates
    with pytest.raises(InputError, match="provider 'AWS' service 'Amazon EC2'"):
        v.component("AWS", "Amazon EC2", path="x", where="y")
