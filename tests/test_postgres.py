"""PostgreSQL: the same metrics, computed inside a REAL server (the session's throw-away cluster, ``pg`` in conftest).

The cluster is created with ``initdb`` in a temporary folder, listens only on a Unix socket there, runs as
the ``postgres`` user when the tests run as root, and is stopped at the end. Events are loaded with
``COPY``. When ``CI`` is set, a server that cannot start fails the tests instead of skipping them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pg_cluster
from sources_tiny import TINY, assert_matches_expected, example_events_folder  # noqa: F401 (fixture)

PASSWORD = pg_cluster.PLANTED_PASSWORD  # planted: no output may ever contain it (the `pg` fixture: conftest.py)


def test_tiny_events_give_the_hand_counted_metrics_in_postgres(pg):
    from voyager_analysis.sources.derive import derive_metrics

    url, admin = pg
    pg_cluster.load_events(admin, "tiny", TINY)
    df = derive_metrics(url("tiny"))
    assert_matches_expected(df)
    assert df.attrs["engine"] == "postgres"
    assert PASSWORD not in df.attrs["source"]


def test_example_events_give_identical_metrics_on_duckdb_and_postgres(pg, example_events_folder):
    import pandas as pd

    from voyager_analysis.sources.derive import derive_metrics

    url, admin = pg
    pg_cluster.load_events(admin, "example", pg_cluster.tables_from_folder(example_events_folder))
    on_pg = derive_metrics(url("example"))
    on_duckdb = derive_metrics(example_events_folder)
    assert len(on_pg) >= 6 and on_pg["messages"].sum() > 1000
    pd.testing.assert_frame_equal(on_pg, on_duckdb, check_exact=True)


def test_connection_is_read_only(pg):
    from voyager_analysis.errors import InputError
    from voyager_analysis.sources.engines import PostgresEngine

    url, admin = pg
    pg_cluster.load_events(admin, "ro", TINY)
    with PostgresEngine(url("ro")) as eng:
        with pytest.raises(InputError, match="read-only"):
            eng.rows("CREATE TABLE planted (a INTEGER)")
        with pytest.raises(InputError, match="read-only"):
            eng.rows("DELETE FROM users")
    with admin("ro") as con:
        assert con.execute("SELECT COUNT(*) FROM users").fetchone()[0] == len(TINY["users"][1])


def test_wrong_password_is_one_line_without_the_password(pg, cli, tmp_path):
    url, admin = pg
    pg_cluster.load_events(admin, "pw", TINY)
    wrong = "Wr0ng-" + PASSWORD
    out = tmp_path / "m.csv"
    r = cli("derive", "--events", url("pw", password=wrong), "--out", str(out))
    assert r.returncode == 2
    assert r.stderr.startswith("error: cannot connect to postgresql://voyager:***@")
    assert "password authentication failed" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert wrong not in r.stderr + r.stdout and PASSWORD not in r.stderr + r.stdout
    assert not out.exists()
    # and the right password, through the CLI, never echoes it either
    r = cli("derive", "--events", url("pw"), "--json")
    assert r.returncode == 0, r.stderr
    assert PASSWORD not in r.stdout + r.stderr and "***" in r.stdout


def test_unreachable_server_is_one_line(cli):
    r = cli("derive", "--events", "postgresql://nobody:pw-planted@/x?host=/nonexistent-dir&port=1")
    assert r.returncode == 2 and r.stderr.startswith("error: cannot connect to")
    assert "pw-planted" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_bad_rows_in_postgres_name_table_id_and_column(pg):
    import copy

    from voyager_analysis.errors import InputError
    from voyager_analysis.sources.derive import derive_metrics

    url, admin = pg
    bad = copy.deepcopy(TINY)
    bad["messages"][1][2][8] = "-5"  # m3 output_tokens
    pg_cluster.load_events(admin, "bad", bad)
    with pytest.raises(InputError) as err:
        derive_metrics(url("bad"))
    assert str(err.value) == "postgresql table public.messages: message_id 'm3': output_tokens is negative ('-5')"
    # a missing column and a missing table
    with admin("bad") as con:
        con.execute("ALTER TABLE messages DROP COLUMN batch")
    with pytest.raises(InputError, match=r"public\.messages: column 'batch' missing"):
        derive_metrics(url("bad"))
    with admin("bad") as con:
        con.execute("ALTER TABLE messages ADD COLUMN batch boolean")
        con.execute("DROP TABLE conversations")
    with pytest.raises(InputError, match="table 'conversations' is missing"):
        derive_metrics(url("bad"))


def test_app_schema_mapped_with_views_as_in_the_docs(pg):
    """docs/events.md's worked example: a chat app's own tables, mapped to the event schema by SQL views."""
    import re

    from voyager_analysis.sources.derive import derive_metrics

    url, admin = pg
    pg_cluster.load_events(admin, "app", {})
    docs = (Path(__file__).resolve().parents[1] / "docs" / "events.md").read_text()
    app_sql = re.search(r"```sql app-tables\n(.*?)```", docs, re.S).group(1)
    views_sql = re.search(r"```sql views\n(.*?)```", docs, re.S).group(1)
    with admin("app") as con:
        con.execute(app_sql)
        con.execute(views_sql)
    df = derive_metrics(url("app"), schema="analytics")
    # hand count from the rows in the docs' example (see the comment there)
    assert df["month"].tolist() == ["2025-01", "2025-02"]
    assert df["users"].tolist() == [2, 1]
    assert df["messages"].tolist() == [3, 1]
    assert df["input_tokens"].tolist() == [1600, 300]
    assert df["pro_subscribers"].tolist() == [1, 0]
    assert df["sonnet_share"].tolist() == [pytest.approx(1 / 3), 1.0]


def test_text_columns_in_postgres_are_parsed_and_a_bad_date_is_one_line(pg):
    """Views often expose text; valid ISO text parses (offsets honoured), '2025-02-30' is one line naming it."""
    import copy

    from voyager_analysis.errors import InputError
    from voyager_analysis.sources.derive import derive_metrics

    url, admin = pg
    pg_cluster.load_events(admin, "text", TINY)
    with admin("text") as con:
        con.execute("CREATE SCHEMA v")
        for name, (header, _) in TINY.items():
            cols = ", ".join(f"CAST({c} AS text) AS {c}" for c in header)
            con.execute(f"CREATE VIEW v.{name} AS SELECT {cols} FROM public.{name}")
    assert_matches_expected(derive_metrics(url("text"), schema="v"))
    bad = copy.deepcopy(TINY)
    bad["users"][1][1][1] = "2025-02-30T00:00:00Z"
    pg_cluster.load_events(admin, "textbad", {k: v for k, v in bad.items() if k != "users"})
    with admin("textbad") as con:
        con.execute("CREATE TABLE users (user_id text, signed_up_at text)")
        with con.cursor().copy("COPY users (user_id, signed_up_at) FROM STDIN") as cp:
            for row in bad["users"][1]:
                cp.write_row(row[:2])
    with pytest.raises(InputError) as err:
        derive_metrics(url("textbad"))
    assert str(err.value).startswith("postgresql table public.users: signed_up_at: ") and "2025-02-30" in str(err.value)
    assert "\n" not in str(err.value)
