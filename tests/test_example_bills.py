"""The synthetic company's bills: read back by the bill readers, they give what the events and prices imply."""

from __future__ import annotations

import numpy as np
import pytest

from sources_tiny import example_events_folder  # noqa: F401 (fixture)


def _read_parquet(path):
    """A Parquet file as a DataFrame through DuckDB (pandas' own reader needs pyarrow, not a dependency)."""
    import duckdb

    return duckdb.sql(f"SELECT * FROM read_parquet('{path}')").df()


@pytest.fixture(scope="module")
def company(example_events_folder, tmp_path_factory, prices):  # noqa: F811
    from voyager_analysis.cli.example_data import modelled_costs
    from voyager_analysis.project import load_project
    from voyager_analysis.sources.bills import read_bills
    from voyager_analysis.sources.derive import derive_metrics
    from voyager_analysis.sources.example_bills import write_example_bills
    from voyager_analysis.values import point_values

    metrics = derive_metrics(example_events_folder)
    modelled = modelled_costs(metrics, point_values(load_project().base_inputs()))
    out = tmp_path_factory.mktemp("bills") / "example"
    write_example_bills(example_events_folder, out, modelled, prices=prices, seed=5)
    return metrics, out, read_bills([out]), modelled


def test_every_month_is_billed_without_double_counting(company):
    metrics, _, bills, _ = company
    assert bills.monthly["month"].tolist() == metrics["month"].tolist()
    assert not bills.partial  # daily Claude buckets and monthly FOCUS lines cover each month whole
    stripe = ["cost_stripe_usd", "gross_revenue_usd"]  # absent (not zero) in a month before the first charge
    assert not bills.monthly.drop(columns=["month", *stripe]).isna().any().any()
    assert bills.monthly[stripe].notna().iloc[-1].all()


def test_claude_cost_is_the_events_tokens_at_list_prices(company, example_events_folder, prices):  # noqa: F811
    """Hand computation per message in pandas (independent of the generator's SQL and page layout)."""
    import pandas as pd

    metrics, _, bills, _ = company
    m = _read_parquet(example_events_folder / "messages.parquet")
    row = {name: prices.model(prices.default_model(role)) for name, role in
           (("claude-haiku-4-5", "haiku"), ("claude-sonnet-4-5", "sonnet"))}
    inp = m["model"].map({k: float(v.input_usd_per_mtok) for k, v in row.items()}) / 1e6
    out = m["model"].map({k: float(v.output_usd_per_mtok) for k, v in row.items()}) / 1e6
    batch = np.where(m["batch"], 0.5, 1.0)  # the price table's batch discount is 50% for both models
    usd = batch * (m["input_tokens"] * inp + m["cache_read_input_tokens"] * inp * 0.1
                   + m["cache_creation_input_tokens"] * inp * 1.25 + m["output_tokens"] * out)
    by_month = usd.groupby(m["created_at"].dt.strftime("%Y-%m")).sum()
    np.testing.assert_allclose(bills.monthly.set_index("month")["cost_claude_usd"], by_month, rtol=0,
                               atol=31 * 8 * 0.5e-6)  # each line's amount is rounded to 1e-4 cents: 31 days x 8 lines


def test_stripe_fees_and_revenue_follow_the_subscriptions(company, example_events_folder, prices):  # noqa: F811
    import pandas as pd

    metrics, out, bills, _ = company
    subs = _read_parquet(example_events_folder / "subscriptions.parquet")
    end = pd.Timestamp(f"{metrics['month'].iat[-1]}-01", tz="UTC") + pd.DateOffset(months=1)
    # charges: one per started month of each subscription's life before it ends (or the period ends)
    stop = subs["ended_at"].fillna(end).clip(upper=end)
    n_charges = sum(int(sum(1 for k in range(40) if s + pd.DateOffset(months=k) < e))
                    for s, e in zip(subs["started_at"], stop))
    charged_usd = sum(p * sum(1 for k in range(40) if s + pd.DateOffset(months=k) < e)
                      for s, e, p in zip(subs["started_at"], stop, subs["monthly_price_usd"]))
    fees = bills.monthly["cost_stripe_usd"].sum()
    percent = prices.service("stripe_card_percent").price_usd
    fixed = prices.service("stripe_card_fixed").price_usd
    assert fees == pytest.approx(charged_usd * percent + n_charges * fixed, abs=0.01 * n_charges)
    revenue = bills.monthly["gross_revenue_usd"].sum()
    assert 0.9 * charged_usd < revenue <= charged_usd + 1e-6  # a few refunds (1% of charges) come off


def test_focus_costs_are_the_cost_equations_with_small_noise(company):
    """The billed FOCUS cost over the modelled cost is log-normal with the generator's noise (recovered)."""
    from voyager_analysis.sources.example_bills import FOCUS_NOISE_SD, FOCUS_VENDORS

    metrics, _, bills, modelled = company
    billed = bills.monthly.set_index("month")
    ratios = []
    for m in modelled.itertuples(index=False):
        for c in FOCUS_VENDORS:
            model = getattr(m, c)
            if model == 0:
                assert billed.loc[m.month, f"cost_{c}_usd"] == 0  # a service not used yet is billed at zero
            elif model > 1:  # cents rounding aside
                ratios.append(billed.loc[m.month, f"cost_{c}_usd"] / model)
    logs = np.log(ratios)
    assert len(logs) > 10 and abs(logs.mean()) < 4 * FOCUS_NOISE_SD / np.sqrt(len(logs))
    assert 0.5 * FOCUS_NOISE_SD < logs.std() < 1.5 * FOCUS_NOISE_SD


def test_modelled_costs_use_the_derived_usage(company):
    """Twice the messages per user -> Claude's modelled cost doubles; components not driven by messages stay."""
    from voyager_analysis.cli.example_data import modelled_costs
    from voyager_analysis.project import load_project
    from voyager_analysis.values import point_values

    metrics, _, _, modelled = company
    more = metrics.assign(messages=metrics["messages"] * 2)
    again = modelled_costs(more, point_values(load_project().base_inputs()))
    np.testing.assert_allclose(again["claude"], 2 * modelled["claude"], rtol=1e-12)
    for c in ("neon", "upstash", "s3", "monitoring"):
        np.testing.assert_allclose(again[c], modelled[c], rtol=1e-12)


def test_same_seed_same_bills(company, example_events_folder, tmp_path, prices):  # noqa: F811
    from voyager_analysis.sources.example_bills import write_example_bills

    metrics, out, _, modelled = company
    write_example_bills(example_events_folder, tmp_path / "again", modelled, prices=prices, seed=5)
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*") if p.is_file())
    assert all((out / f).read_bytes() == (tmp_path / "again" / f).read_bytes() for f in files)


def test_derive_with_bills_joins_them_and_a_bad_bill_writes_nothing(company, example_events_folder, cli, tmp_path):  # noqa: F811
    from voyager_analysis.metrics import load_metrics

    metrics, out, bills, _ = company
    path = tmp_path / "m.csv"
    r = cli("derive", "--events", str(example_events_folder), "--bills", str(out), "--out", str(path))
    assert r.returncode == 0, r.stderr
    got = load_metrics(path).set_index("month")
    assert got["cost_claude_usd"].tolist() == bills.monthly["cost_claude_usd"].tolist()
    assert got["users"].tolist() == metrics["users"].tolist()
    bad = tmp_path / "bad.json"
    bad.write_text('{"object": "list", "has_more": false, "data": [{"id": "t1", "amount": "12", "fee": 1, '
                   '"currency": "usd", "created": 1754006400, "type": "charge", "reporting_category": "charge"}]}')
    path2 = tmp_path / "m2.csv"
    r = cli("derive", "--events", str(example_events_folder), "--bills", str(bad), "--out", str(path2))
    assert r.returncode == 2 and "bad.json" in r.stderr and r.stderr.count("\n") == 1 and not path2.exists()
