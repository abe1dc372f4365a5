"""`voyager-analysis triggers`: JSON keys, statuses, readable table, bad input exits 2 in one line."""

from __future__ import annotations

import json

import pytest

from voyager_analysis.decisions import STATUSES, TRIGGERS

REQUIRED = {"name", "metric", "threshold", "current", "status", "forecast_month", "low", "high"}


@pytest.fixture(scope="module")
def payload():
    from conftest import run_cli  # the session fixture `cli` is function-scoped; one run serves this module

    res = run_cli("triggers", "--metrics", "data/metrics/example_monthly.csv", "--json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_json_has_every_trigger_with_the_documented_keys(payload, roadmap):
    rows = payload["triggers"]
    assert [r["name"] for r in rows] == [t.name for t in TRIGGERS]
    for r in rows:
        assert REQUIRED <= set(r)
        assert r["status"] in STATUSES
        assert r["threshold"] == roadmap.get(f"thresholds.{r['name']}").low  # read from roadmap.yaml
        for key in ("forecast_month", "low", "high"):
            assert r[key] is None or (len(r[key]) == 7 and r[key][4] == "-")  # YYYY-MM
    assert payload["last_month"] == "2026-11"


def test_json_statuses_match_current_values(payload, roadmap, example_metrics):
    rows = {r["name"]: r for r in payload["triggers"]}
    users = example_metrics.users.iat[-1]
    up = rows["search_upgrade_users"]
    assert up["current"] == users
    assert up["status"] == ("fired" if users >= roadmap.get("thresholds.search_upgrade_users").value else "ok")
    db = rows["db_connections_alert"]
    assert db["current"] == pytest.approx(example_metrics.db_connections_pct.iat[-1] / 100)  # percent -> fraction
    assert db["status"] == ("fired" if db["current"] > db["threshold"] else "ok")
    assert rows["sharding_primary_cpu"]["status"] == "no data"  # no such column in the metrics schema
    for r in rows.values():
        if r["status"] == "ok" and r["forecast_month"] is not None:
            assert r["forecast_month"] > payload["last_month"]
            assert r["low"] <= r["forecast_month"]


def test_missing_columns_give_no_data(cli, tmp_path, example_metrics):
    path = tmp_path / "few.csv"
    example_metrics[["month", "users", "p95_latency_ms"]].to_csv(path, index=False)
    res = cli("triggers", "--metrics", str(path), "--json")
    assert res.returncode == 0, res.stderr
    rows = {r["name"]: r for r in json.loads(res.stdout)["triggers"]}
    assert rows["api_error_rate_alert"]["status"] == "no data"
    assert rows["monthly_cost_spike_alert"]["status"] == "no data"  # no cost columns at all
    assert rows["migrate_p95_latency"]["status"] in ("ok", "fired")


def test_readable_table(cli):
    res = cli("triggers", "--metrics", "data/metrics/example_monthly.csv")
    assert res.returncode == 0, res.stderr
    for t in TRIGGERS:
        assert t.name in res.stdout
    assert "no data" in res.stdout and "growth model" in res.stdout


@pytest.mark.parametrize("content", ["month,users\n2026-01,abc\n", "month,userz\n2026-01,5\n", ""])
def test_bad_metrics_file_exits_2_in_one_line(cli, tmp_path, content):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    res = cli("triggers", "--metrics", str(path))
    assert res.returncode == 2
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
    assert "Traceback" not in res.stderr
    assert "bad.csv" in res.stderr


def test_missing_file_and_bad_level_exit_2(cli, tmp_path):
    res = cli("triggers", "--metrics", str(tmp_path / "nope.csv"))
    assert res.returncode == 2 and "file not found" in res.stderr
    res = cli("triggers", "--level", "1.5")
    assert res.returncode == 2 and res.stderr.startswith("error: ") and "level" in res.stderr


def test_a_metric_linear_in_time_is_forecast_by_the_time_relation(roadmap):
    """Issue 16's held series: the metric rises linearly in *time* while users grow 15%/month (exponential, so
    the metric is linear in log users, not in users). Regressing on users alone puts the crossing months early;
    the out-of-sample comparison picks a relation that fits and the interval covers the true month."""
    import math

    import numpy as np
    import pandas as pd

    from voyager_analysis import growth, triggers
    from voyager_analysis.decisions import TRIGGERS
    from voyager_analysis.months import month_number, month_str

    spec = next(s for s in TRIGGERS if s.name == "db_connections_alert")
    th = roadmap.get("thresholds.db_connections_alert").value  # a fraction of the pool
    rng = np.random.default_rng(5)
    n, a, b = 20, 20.0, 2.0  # percent of the pool = 20 + 2 t (+ noise of 0.5 point)
    t = np.arange(n, dtype=float)
    start = int(month_number(["2025-01"])[0])
    df = pd.DataFrame({"month": [month_str(start + i) for i in range(n)],
                       "users": np.round(1000 * 1.15**t * np.exp(rng.normal(0, 0.01, n))),
                       "db_connections_pct": a + b * t + rng.normal(0, 0.5, n)})
    df.attrs["source"] = "held series"
    m_true = math.floor((100 * th - a) / b + 0.5)
    assert m_true > n - 1  # not crossed yet
    g = growth.fit_growth(df, "exponential", roadmap=roadmap, n_origins=0)
    row = triggers.trigger_report(df, roadmap, g, triggers=[spec], n_sim=1000).table.iloc[0]
    assert row.relation in ("time", "log_users")  # both describe this series; metric-on-users does not
    assert row.relations["linear"]["oos_abs_error"] > row.relations[row.relation]["oos_abs_error"]
    assert abs(row.forecast_month_index - m_true) <= 1
    assert row.low_index <= m_true <= row.high_index
