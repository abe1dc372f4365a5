"""The metric SQL is written once: it renders for DuckDB, PostgreSQL and compiles for distributed engines."""

from __future__ import annotations

import json

import pytest


class _FakeEngine:
    """Enough of an engine to render the queries: every table present, columns text or typed."""

    name, description = "fake", "fake"

    def __init__(self, text_columns: bool, try_cast: bool):
        from voyager_analysis.sources.schema import TABLES

        self.try_cast = try_cast
        self._cols = {t: {f.name: text_columns for f in table.fields} for t, table in TABLES.items()}

    def columns(self, table):
        return self._cols[table]

    def relation(self, table):
        return f"raw_{table}"


def _all_queries(engine):
    from voyager_analysis.sources import derive
    from voyager_analysis.sources.schema import TABLES

    return [derive.monthly_sql(engine, tuple(TABLES))]


@pytest.mark.parametrize("dialect", ["spark", "trino", "bigquery", "postgres"])
@pytest.mark.parametrize("text_columns", [True, False], ids=["text-columns", "typed-columns"])
def test_every_metric_query_compiles_for_other_engines(dialect, text_columns):
    import sqlglot

    from voyager_analysis.sources.engines import transpile

    for sql in _all_queries(_FakeEngine(text_columns, try_cast=dialect != "postgres")):
        out = transpile(sql, dialect)
        tree = sqlglot.parse_one(out, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
        assert tree.find(sqlglot.exp.Group) is not None and "raw_" in out


def test_queries_run_unchanged_on_duckdb_and_postgres_text():
    """The PostgreSQL rendering differs from the portable text only where the dialects differ (types)."""
    from voyager_analysis.sources.engines import transpile

    sql = _all_queries(_FakeEngine(text_columns=True, try_cast=False))[0]
    pg = transpile(sql, "postgres")
    assert "TRY_CAST" not in pg and "COUNT(DISTINCT user_id)" in pg and "EXTRACT(YEAR FROM created_at)" in pg


def test_schema_is_machine_readable_and_documented():
    from pathlib import Path

    from voyager_analysis.sources.schema import TABLES, as_json

    data = json.loads(as_json())
    assert list(data) == ["users", "subscriptions", "messages", "conversations", "searches"]
    assert data["searches"]["optional"] and data["messages"]["key"] == "message_id"
    docs = (Path(__file__).resolve().parents[1] / "docs" / "events.md").read_text()
    for table in TABLES.values():
        for f in table.fields:
            assert f"`{f.name}`" in docs, f"docs/events.md does not document {table.name}.{f.name}"


def test_password_is_redacted():
    from voyager_analysis.sources.engines import redact_url

    assert redact_url("postgresql://app:p%40ss@db.example.com:5432/prod?sslmode=require") == \
        "postgresql://app:***@db.example.com:5432/prod?sslmode=require"
    assert redact_url("postgresql://app@db/prod") == "postgresql://app@db/prod"
