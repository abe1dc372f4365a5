"""Spark in local mode (one shared session for the module): the same metrics as DuckDB, exactly, and the
same one-line errors. Needs Java and pyspark; when ``CI`` is set they must be present (the tests fail, not
skip)."""

from __future__ import annotations

import copy
import os
import shutil

import pytest

from sources_tiny import TINY, assert_matches_expected, example_events_folder, write_tiny_csv  # noqa: F401

#: A JVM and a Spark session: part of `make test` (and CI), not of `make test-fast`.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark():
    missing = None
    if shutil.which("java") is None:
        missing = "no Java runtime (install openjdk-17-jre-headless)"
    else:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            missing = "pyspark is not installed (pip install 'voyager-analysis[spark]')"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"Spark tests must run in CI: {missing}")
        pytest.skip(missing)
    from voyager_analysis.sources.spark import local_session

    session = local_session()
    yield session
    session.stop()


def test_tiny_events_give_the_hand_counted_metrics_on_spark(spark, tmp_path):
    from voyager_analysis.sources.derive import derive_metrics

    df = derive_metrics(write_tiny_csv(tmp_path / "ev"), engine="spark")
    assert df.attrs["engine"] == "spark"
    assert_matches_expected(df)


def test_example_events_identical_on_spark_and_duckdb(spark, example_events_folder, cli):  # noqa: F811
    import json

    import pandas as pd

    from voyager_analysis.sources.derive import derive_metrics

    on_spark = derive_metrics(example_events_folder, engine="spark")
    on_duckdb = derive_metrics(example_events_folder)
    pd.testing.assert_frame_equal(on_spark, on_duckdb, check_exact=True)
    r = cli("derive", "--events", str(example_events_folder), "--engine", "spark", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["metrics"] == json.loads(
        cli("derive", "--events", str(example_events_folder), "--json").stdout)["metrics"]


def _bad(table, row, column, value):
    tables = copy.deepcopy(TINY)
    header, rows = tables[table]
    rows[row][header.index(column)] = value
    return tables


@pytest.mark.parametrize("tables", [
    _bad("subscriptions", 0, "tier", "gold"), _bad("users", 1, "signed_up_at", "2025-02-30"),
    _bad("messages", 2, "output_tokens", "-5"), _bad("messages", 2, "message_id", "m1"),
    _bad("messages", 3, "user_id", "u9"), _bad("subscriptions", 2, "ended_at", "2025-01-01T00:00:00Z"),
], ids=["tier", "timestamp", "negative", "duplicate", "unknown-user", "ended-before-started"])
def test_bad_input_gives_the_same_one_line_error_as_duckdb(spark, cli, tmp_path, tables):
    events = write_tiny_csv(tmp_path / "ev", tables)
    out = tmp_path / "m.csv"
    on_duckdb = cli("derive", "--events", str(events), "--out", str(out))
    on_spark = cli("derive", "--events", str(events), "--engine", "spark", "--out", str(out))
    assert on_duckdb.returncode == on_spark.returncode == 2
    if ": ended_at (" in on_duckdb.stderr:  # timestamps print in each engine's own format
        assert on_spark.stderr.split(": ended_at")[0] == on_duckdb.stderr.split(": ended_at")[0]
    else:
        assert on_spark.stderr == on_duckdb.stderr
    assert len(on_spark.stderr.strip().splitlines()) == 1 and not out.exists()


def test_missing_column_and_table_on_spark(spark, cli, tmp_path):
    events = write_tiny_csv(tmp_path / "ev")
    text = (events / "messages.csv").read_text()
    (events / "messages.csv").write_text(text.replace(",batch", ",batch_flag"))
    r = cli("derive", "--events", str(events), "--engine", "spark")
    assert r.returncode == 2 and r.stderr.strip().endswith("messages.csv: column 'batch' missing")
    (events / "users.csv").unlink()
    r = cli("derive", "--events", str(events), "--engine", "spark")
    assert r.returncode == 2 and "table 'users' is missing" in r.stderr


def test_unreachable_spark_connect_is_one_line(cli):
    r = cli("derive", "--events", "sc://127.0.0.1:1")
    assert r.returncode == 2 and r.stderr.startswith("error: ")
    assert len(r.stderr.strip().splitlines()) == 1 and "at org.apache" not in r.stderr


def test_an_engine_error_is_one_line_and_nothing_else_reaches_stderr(spark, tmp_path, capfd):
    from voyager_analysis.errors import InputError
    from voyager_analysis.sources.spark import SparkEngine

    with SparkEngine(str(write_tiny_csv(tmp_path / "ev"))) as eng:
        capfd.readouterr()
        with pytest.raises(InputError) as err:
            eng.rows("SELECT no_such_column FROM raw_users", table="users")
    assert "users.csv: " in str(err.value) and "no_such_column" in str(err.value)
    assert "\n" not in str(err.value) and len(str(err.value)) < 400
    out, errout = capfd.readouterr()
    assert "at org.apache" not in out + errout and errout == ""


def test_retention_identical_on_spark_and_duckdb(spark, example_events_folder, cli):  # noqa: F811
    import json

    on_duckdb = cli("retention", "--events", str(example_events_folder), "--json")
    on_spark = cli("retention", "--events", str(example_events_folder), "--engine", "spark", "--json")
    assert on_duckdb.returncode == on_spark.returncode == 0, on_spark.stderr
    assert json.loads(on_spark.stdout) == json.loads(on_duckdb.stdout)


def test_churn_conversion_and_view_inputs_identical_on_spark_and_duckdb(spark, example_events_folder, cli):  # noqa: F811
    """Same rows in the same order (the queries fix it), so the fitted churn is identical too; view ages use the
    portable epoch (DuckDB's EPOCH, Spark's UNIX_TIMESTAMP)."""
    import json

    import pandas as pd

    from voyager_analysis.sources import cohort_queries as q
    from voyager_analysis.sources.engines import open_engine

    got = {}
    for name in ("duckdb", "spark"):
        with open_engine(example_events_folder, engine=name) as eng:
            as_of = q.latest_event_time(eng)
            got[name] = [as_of] + [f(eng, as_of) for f in (q.subscription_durations, q.conversion_durations,
                                                           q.view_bins)]
    assert got["spark"][0] == got["duckdb"][0]
    for a, b in zip(got["spark"][1:], got["duckdb"][1:]):
        assert len(a) > 5
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_dtype=False)
    on_duckdb = cli("churn", "--events", str(example_events_folder), "--json")
    on_spark = cli("churn", "--events", str(example_events_folder), "--engine", "spark", "--json")
    assert on_duckdb.returncode == on_spark.returncode == 0, on_spark.stderr
    assert json.loads(on_spark.stdout) == json.loads(on_duckdb.stdout)
