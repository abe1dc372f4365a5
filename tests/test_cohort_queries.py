"""sources.cohort_queries: the SQL aggregations give what the pandas reference functions give on the same
events (DuckDB over Parquet and CSV), and the models recover the synthetic company's known parameters."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from voyager_analysis import churn, config
from voyager_analysis.cohorts import conversion, retention
from voyager_analysis.errors import InputError
from voyager_analysis.sources import cohort_queries as q
from voyager_analysis.sources.engines import open_engine
from voyager_analysis.sources.example_events import EventTruth, example_events, write_example_events

TRUTH = replace(EventTruth(), n_users=3000, n_months=15)
AS_OF = pd.Timestamp("2026-06-20 13:00", tz="UTC")


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    root = tmp_path_factory.mktemp("cohort_events")
    write_example_events(root / "pq", TRUTH, seed=3)
    write_example_events(root / "csv", TRUTH, seed=3, fmt="csv")
    return root, example_events(TRUTH, seed=3)


@pytest.mark.parametrize("fmt", ["pq", "csv"])
def test_subscription_and_conversion_durations_match_pandas(events, fmt):
    root, tables = events
    with open_engine(root / fmt) as eng:
        sql = q.subscription_durations(eng, AS_OF)
        conv = q.conversion_durations(eng, AS_OF)
    ref, _ = churn.subscription_periods(tables["subscriptions"], AS_OF)
    ref = ref.groupby(["tier", "periods", "churned"]).size().rename("count").reset_index()
    got = sql.sort_values(["tier", "periods", "churned"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ref.sort_values(["tier", "periods", "churned"]).reset_index(drop=True),
                                  check_dtype=False)
    firsts = tables["subscriptions"].groupby(["user_id", "tier"])["started_at"].min().unstack()
    users = tables["users"].set_index("user_id").join(firsts.rename(columns=lambda t: f"first_{t}_at"))
    cref, _ = conversion.conversion_periods(users.reset_index(), AS_OF)
    cref = cref.groupby(["tier", "periods", "converted"]).size().rename("count").reset_index()
    pd.testing.assert_frame_equal(conv.sort_values(["tier", "periods", "converted"]).reset_index(drop=True),
                                  cref.sort_values(["tier", "periods", "converted"]).reset_index(drop=True),
                                  check_dtype=False)


def test_cohort_cells_match_pandas(events):
    root, tables = events
    with open_engine(root / "pq") as eng:
        cells, last = q.cohort_cells(eng)
        sizes = q.cohort_sizes(eng)
    users = tables["users"].assign(cohort=tables["users"]["signed_up_at"].dt.strftime("%Y-%m"))
    m = tables["messages"].assign(month=tables["messages"]["created_at"].dt.strftime("%Y-%m"))
    ref_sizes, active, ref_last = retention.retention_counts(users.set_index("user_id")["cohort"], m)
    assert last == ref_last and sizes.to_dict() == ref_sizes.to_dict()
    merged = cells.merge(active, on=["cohort", "age_months"], suffixes=("", "_ref"))
    assert len(merged) == len(active) == len(cells)
    assert (merged["active_users"] == merged["active_users_ref"]).all()
    assert cells["messages"].sum() == len(tables["messages"])
    assert cells["new_storage_gb"].sum() == pytest.approx(tables["conversations"]["size_bytes"].sum() / 1e9)


def test_models_recover_the_synthetic_company(events):
    """Retention: s_k = 0.9 (0.3 + 0.7 exp(-k/3)) in the generator (10% never active) is exactly a decay to a
    plateau of 0.27 at rate 1/3 from s_1 = 0.27 + 0.63 exp(-1/3). Messages grow 4% per month of tenure
    (log 1.04 = 0.0392). Pro lifetimes are exponential at 0.08/month: whole periods are geometric with
    theta = 1 - exp(-0.08), so the constant churn over the horizon is theta / (1 - (1 - theta) ** H)."""
    from voyager_analysis.cohorts.tenure import usage_by_tenure

    root, _ = events
    with open_engine(root / "pq") as eng:
        cells, last = q.cohort_cells(eng)
        sizes = q.cohort_sizes(eng)
        as_of = q.latest_event_time(eng)
        durations = q.subscription_durations(eng, as_of)
    est = retention.retention(sizes, cells, last).estimates()
    truth = {"plateau_share": 0.27, "decay_rate_per_month": 1 / 3,
             "first_month_share": 0.27 + 0.63 * math.exp(-1 / 3)}
    for name, value in truth.items():
        assert est.loc[name, "low"] <= value <= est.loc[name, "high"], name
    _, lo, hi = usage_by_tenure(cells, "messages").growth_per_month
    assert lo <= math.log(1 + TRUTH.messages_tenure_growth) <= hi
    res = churn.churn_by_tier(durations, as_of=as_of.isoformat())
    _, low, high = res.tiers["pro"].monthly_churn
    assert low <= TRUTH.churn_per_period("pro") <= high  # 1 - exp(-hazard): the generator's per-period churn
    json.dumps(res.to_dict(), allow_nan=False)


def test_as_of_before_first_subscription_is_one_line(events):
    root, _ = events
    with open_engine(root / "pq") as eng, pytest.raises(InputError, match="before the first subscription"):
        q.subscription_durations(eng, pd.Timestamp("2001-01-01", tz="UTC"))


def test_view_bins_match_pandas(events):
    from voyager_analysis.cohorts.views import view_bins

    root, tables = events
    with open_engine(root / "pq") as eng:
        bins = q.view_bins(eng, AS_OF)
    ref = view_bins(tables["conversations"], AS_OF)
    assert bins["conversations"].sum() == len(ref)
    assert bins["views"].sum() == ref["views"].sum() and bins["views_sq"].sum() == ref["views_sq"].sum()
    ref_bin = np.floor(ref["age_months"]) + 0.5
    assert sorted(bins["age_months"]) == sorted(ref_bin.unique())


# --- the commands --------------------------------------------------------------------------------------------

def test_retention_and_churn_commands_json(events, cli):
    root, _ = events
    r = cli("retention", "--events", str(root / "pq"), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert {"cohort", "size", "active_share"} == set(d["cohorts"][0]) and d["source"]
    r = cli("churn", "--events", str(root / "pq"), "--as-of", "2026-06-20", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["as_of"].startswith("2026-06-20") and set(d["tiers"]) == {"pro", "max"}
    assert set(d["tiers"]["pro"]["monthly_churn"]) == {"estimate", "low", "high"}
    assert set(d["tiers"]["pro"]["kaplan_meier"][0]) == {"period", "survival", "low", "high", "at_risk"}


def test_bad_input_exits_2_in_one_line(events, cli, tmp_path):
    root, _ = events
    r = cli("churn", "--events", str(root / "pq"), "--as-of", "2001-01-01")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "before the first subscription" in r.stderr
    r = cli("retention", "--events", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    out = tmp_path / "measured.yaml"
    r = cli("measure", "--events", str(root / "pq"), "--as-of", "2001-01-01", "--out", str(out))
    assert r.returncode == 2 and not out.exists()
    partial = tmp_path / "partial"  # users and messages only: retention runs, churn names the missing table
    partial.mkdir()
    for name in ("users", "messages"):
        (partial / f"{name}.parquet").write_bytes((root / "pq" / f"{name}.parquet").read_bytes())
    assert cli("retention", "--events", str(partial), "--json").returncode == 0
    r = cli("churn", "--events", str(partial))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "table 'subscriptions' is missing" in r.stderr


def test_measure_writes_a_scenario_with_sources(events, cli, tmp_path):
    import yaml

    root, _ = events
    out = tmp_path / "measured.yaml"
    r = cli("measure", "--events", str(root / "pq"), "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    sc = yaml.safe_load(out.read_text())
    events = sc["source"]["events"]  # relative (never absolute), naming the same folder
    assert not events.startswith("/") and (config.ROOT / events).resolve() == (root / "pq").resolve()  # the CLI ran there
    assert sc["source"]["by"] == "voyager-analysis measure"
    for name in ("messages_per_user_month", "input_tokens_per_message", "output_tokens_per_message", "sonnet_share",
                 "cache_hit_rate", "batch_share", "pro_conversion", "max_conversion", "monthly_churn",
                 "storage_gb_per_user"):
        fig = sc["overrides"][name]
        assert fig["low"] <= fig.get("mode", fig["low"]) <= fig["high"] and f"events {events};" in fig["source"]
    # The synthetic company's Claude mix is recovered: 35% Sonnet, 5% batch, cache reads 40% of messages x
    # 2000 tokens over 1100 + 0.4 x 2000 + 0.1 x 1500 input tokens per message.
    truth = {"sonnet_share": 0.35, "batch_share": 0.05, "cache_hit_rate": 800 / 2050,
             "input_tokens_per_message": 2050}
    for name, value in truth.items():
        assert sc["overrides"][name]["low"] <= value <= sc["overrides"][name]["high"], name
    # The generator draws a conversation's views regardless of its age, so there is no decay to measure:
    # the half-life is reported as not measured rather than as a number.
    assert "activity_half_life_months" in json.loads(r.stdout)["not_measured"]


def test_conversion_recovers_the_synthetic_company(events):
    """The generator converts 6% of users to Pro and 1% to Max, each after an exponential delay of mean 20 days
    from signup: by the end of month 3 after signup, share * (1 - exp(-91.3 / 20)) have converted."""
    root, _ = events
    with open_engine(root / "pq") as eng:
        res = conversion.conversion_by_tier(q.conversion_durations(eng, q.latest_event_time(eng)))
    for tier, share in (("pro", TRUTH.pro_conversion), ("max", TRUTH.max_conversion)):
        row = res.curves[tier].set_index("period").loc[3]
        truth = share * (1 - math.exp(-3 * 30.4375 / TRUTH.conversion_delay_days))
        assert row["low"] <= truth <= row["high"], tier


def test_analysis_payload_meets_the_notebook_contract(events):
    from voyager_analysis.cohorts.analysis import analyse_events
    from voyager_analysis.contracts.cohorts import Payload

    root, _ = events
    res = analyse_events(root / "pq", as_of="2026-06-20", label="synthetic")
    payload = Payload(**res.payload())
    d = json.loads(json.dumps(payload.to_json(), allow_nan=False))
    assert d["events"] == "synthetic" and d["as_of"].startswith("2026-06-20")
    assert set(d["usage_by_tenure"]) == {"messages", "tokens", "new_storage_gb"}
    assert d["view_decay"] is None and "activity_half_life_months" in res.not_measured
    assert "Retention" in res.findings_markdown() and len(res.measured_table()) == len(res.measured) + 1
