"""The synthetic company: labelled, reproducible, both formats agree, and its truth is visible in the events."""

from __future__ import annotations

import json

import pytest

from sources_tiny import example_events_folder  # noqa: F401 (fixture)


def test_cli_writes_a_labelled_reproducible_set(cli, tmp_path):
    from voyager_analysis.sources.derive import derive_metrics

    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, "5"), (b, "5"), (c, "6")):
        r = cli("example-events", "--out", str(out), "--users", "80", "--months", "5", "--seed", seed)
        assert r.returncode == 0, r.stderr
        assert "SYNTHETIC" in r.stdout
    truth = json.loads((a / "truth.json").read_text())
    assert truth["label"].startswith("SYNTHETIC") and truth["seed"] == 5 and truth["truth"]["n_users"] == 80
    assert sorted(p.name for p in a.iterdir()) == ["conversations.parquet", "messages.parquet", "searches.parquet",
                                                   "subscriptions.parquet", "truth.json", "users.parquet"]
    da, db, dc = derive_metrics(a), derive_metrics(b), derive_metrics(c)
    assert da.equals(db) and not da.equals(dc)
    # an earlier example set is replaced; any other folder is refused
    assert cli("example-events", "--out", str(a), "--users", "20", "--months", "2").returncode == 0
    assert json.loads((a / "truth.json").read_text())["truth"]["n_users"] == 20
    other = tmp_path / "mine"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    r = cli("example-events", "--out", str(other))
    assert r.returncode == 2 and "is not an example event folder" in r.stderr and (other / "keep.txt").exists()
    r = cli("example-events", "--out", str(tmp_path / "z"), "--users", "0")
    assert r.returncode == 2 and "--users must be at least 1" in r.stderr and not (tmp_path / "z").exists()


def test_csv_and_parquet_formats_derive_identically(tmp_path):
    import pandas as pd

    from voyager_analysis.sources.derive import derive_metrics
    from voyager_analysis.sources.example_events import EventTruth, write_example_events

    small = EventTruth(n_users=120, n_months=6)
    write_example_events(tmp_path / "pq", small, seed=3, fmt="parquet")
    write_example_events(tmp_path / "csv", small, seed=3, fmt="csv")
    assert "T" in (tmp_path / "csv" / "users.csv").read_text().splitlines()[1]  # ISO 8601 timestamps
    pd.testing.assert_frame_equal(derive_metrics(tmp_path / "pq"), derive_metrics(tmp_path / "csv"), check_exact=True)


def test_generating_parameters_are_recovered_from_the_events(example_events_folder):
    """Shares and means in the events sit within a few standard errors of truth.json's parameters."""
    import duckdb
    import numpy as np

    truth = json.loads((example_events_folder / "truth.json").read_text())["truth"]
    f = example_events_folder
    q = lambda sql: duckdb.sql(sql).fetchall()[0]  # noqa: E731
    n, sonnet, batch, cached, out_mean = q(f"""SELECT COUNT(*), AVG(CASE WHEN model LIKE '%sonnet%' THEN 1 ELSE 0 END),
        AVG(CAST(batch AS INT)), AVG(CASE WHEN cache_read_input_tokens > 0 THEN 1 ELSE 0 END), AVG(output_tokens)
        FROM '{f}/messages.parquet'""")
    for got, p in ((sonnet, truth["sonnet_share"]), (batch, truth["batch_share"]), (cached, truth["cache_read_share"])):
        assert abs(got - p) < 4 * np.sqrt(p * (1 - p) / n)
    assert out_mean == pytest.approx(truth["output_tokens_mean"], rel=0.03)
    users, silent = q(f"""SELECT COUNT(*), COUNT(*) FILTER (WHERE user_id NOT IN (SELECT user_id FROM '{f}/messages.parquet'))
        FROM '{f}/users.parquet'""")
    assert users == truth["n_users"]
    p = truth["never_active_share"]
    assert abs(silent / users - p) < 4 * np.sqrt(p * (1 - p) / users)
    tiers = dict(duckdb.sql(f"SELECT tier, COUNT(*) FROM '{f}/subscriptions.parquet' GROUP BY tier").fetchall())
    assert set(tiers) <= {"pro", "max"} and tiers.get("pro", 0) > tiers.get("max", 0)
    # activity decays with tenure: the share of users active one month after signup exceeds five months after
    by_tenure = dict(duckdb.sql(f"""
        WITH s AS (SELECT user_id, date_diff('month', date_trunc('month', signed_up_at), TIMESTAMPTZ '2000-01-01') AS m0 FROM '{f}/users.parquet'),
             a AS (SELECT DISTINCT user_id, date_diff('month', date_trunc('month', created_at), TIMESTAMPTZ '2000-01-01') AS m FROM '{f}/messages.parquet')
        SELECT s.m0 - a.m AS tenure, COUNT(*) FROM a JOIN s USING (user_id) GROUP BY 1""").fetchall())
    assert by_tenure[1] > by_tenure.get(5, 0)


ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
SHIPPED_METRICS = ROOT / "data" / "metrics" / "example_monthly.csv"


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    """The synthetic company regenerated from its seed by the one command (about 30 s and 3.5 GB)."""
    from conftest import run_cli

    out = tmp_path_factory.mktemp("company")
    r = run_cli("example-data", "--out", str(out / "metrics.csv"), "--events", str(out / "events"),
                "--bills", str(out / "bills"))
    assert r.returncode == 0, r.stderr
    assert "SYNTHETIC" not in r.stderr and "synthetic" in r.stdout
    return out


@pytest.mark.slow
def test_shipped_metrics_are_what_example_data_writes(company):
    shipped = SHIPPED_METRICS.read_bytes()
    assert shipped.startswith(b"# SYNTHETIC EXAMPLE DATA")
    assert (company / "metrics.csv").read_bytes() == shipped, "regenerate with `make example-data` and commit"
    truth = json.loads((company / "events" / "truth.json").read_text())
    assert truth["label"].startswith("SYNTHETIC") and truth["rows"]["users"] == truth["truth"]["n_users"]


@pytest.mark.slow
def test_shipped_metrics_are_derived_from_the_events_and_bills(company, cli, tmp_path):
    """Usage columns = derive(events); cost and revenue columns = the bills (through ``derive --bills``);
    ops columns = the labelled synthetic ops model at the derived users."""
    import numpy as np

    from voyager_analysis.metrics import COST_COLUMNS, example_ops, load_metrics
    from voyager_analysis.sources.derive import DERIVED_COLUMNS

    shipped = load_metrics(SHIPPED_METRICS)
    out = tmp_path / "derived.csv"
    r = cli("derive", "--events", str(company / "events"), "--bills", str(company / "bills"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    derived = load_metrics(out)
    assert shipped["month"].tolist() == derived["month"].tolist()
    cols = [c for c in (*DERIVED_COLUMNS, *COST_COLUMNS, "gross_revenue_usd") if c != "month"]
    assert set(cols) <= set(shipped.columns) and set(cols) <= set(derived.columns)
    for c in cols:
        np.testing.assert_array_equal(shipped[c].to_numpy(float), derived[c].to_numpy(float), err_msg=c)
    seed = json.loads((company / "events" / "truth.json").read_text())["seed"]
    for c, values in example_ops(shipped["users"], seed=seed).items():
        np.testing.assert_array_equal(shipped[c].to_numpy(float), values, err_msg=c)
