"""PostgreSQL: the cohort analyses (retention, churn, conversion, view decay) computed in a REAL server equal
DuckDB's on the same events (the session's throw-away cluster, ``pg`` in conftest), and no output holds the
password.

The aggregation queries (:mod:`voyager_analysis.sources.cohort_queries`) return their rows in a fixed order
on every engine, so the models fitted on them give identical numbers, not merely close ones.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import pg_cluster
from sources_tiny import example_events_folder  # noqa: F401 (fixture)

PASSWORD = pg_cluster.PLANTED_PASSWORD


@pytest.fixture(scope="module")
def example_db(pg, example_events_folder):  # noqa: F811 (fixture)
    url, admin = pg
    pg_cluster.load_events(admin, "cohorts", pg_cluster.tables_from_folder(example_events_folder))
    return url("cohorts")


def test_aggregations_are_identical_on_duckdb_and_postgres(example_db, example_events_folder):  # noqa: F811
    from voyager_analysis.sources import cohort_queries as q
    from voyager_analysis.sources.engines import open_engine

    out = {}
    for name, source in (("postgres", example_db), ("duckdb", example_events_folder)):
        with open_engine(source) as eng:
            as_of = q.latest_event_time(eng)
            cells, last = q.cohort_cells(eng)
            early = pd.Timestamp("2025-12-15 10:00", tz="UTC")  # cuts subscriptions mid-way: churned and censored
            out[name] = {"as_of": as_of, "last": last, "cells": cells, "sizes": q.cohort_sizes(eng),
                         "durations": q.subscription_durations(eng, as_of),
                         "durations_early": q.subscription_durations(eng, early),
                         "conversion": q.conversion_durations(eng, as_of), "views": q.view_bins(eng, as_of)}
            assert PASSWORD not in eng.description
    pg_, duck = out["postgres"], out["duckdb"]
    assert pg_["as_of"] == duck["as_of"] and pg_["last"] == duck["last"]
    pd.testing.assert_series_equal(pg_["sizes"], duck["sizes"])
    for key in ("cells", "durations", "durations_early", "conversion", "views"):
        assert len(duck[key]) > 0, key
        # same rows in the same order (no re-sorting here: the queries fix the order)
        pd.testing.assert_frame_equal(pg_[key], duck[key], check_dtype=False, obj=key)
    assert duck["durations"]["churned"].any() and (~duck["durations"]["churned"]).any()


def test_retention_churn_and_conversion_are_identical_and_hold_no_password(example_db, example_events_folder, cli):  # noqa: F811
    from voyager_analysis.cohorts.analysis import analyse_events

    on_pg = analyse_events(example_db)
    on_duck = analyse_events(example_events_folder)
    for part in ("retention", "churn", "conversion"):
        a, b = getattr(on_pg, part).to_dict(), getattr(on_duck, part).to_dict()
        json.dumps(a, allow_nan=False)
        assert a == b, part
    assert on_pg.events != on_duck.events and PASSWORD not in on_pg.events
    for command in ("retention", "churn"):
        r_pg = cli(command, "--events", example_db, "--json")
        r_duck = cli(command, "--events", str(example_events_folder), "--json")
        assert r_pg.returncode == r_duck.returncode == 0, r_pg.stderr + r_duck.stderr
        assert PASSWORD not in r_pg.stdout + r_pg.stderr
        a, b = json.loads(r_pg.stdout), json.loads(r_duck.stdout)
        for d in (a, b):  # where the events came from differs by design; everything else must not
            d.pop("events", None)
            d.pop("source", None)
        assert a == b, command
