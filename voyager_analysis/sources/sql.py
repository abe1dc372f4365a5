"""Portable SQL building blocks (DuckDB dialect, transpiled by SQLGlot): cleaned and typed columns, month keys.

Every query reads the event tables through *staged* common table expressions — one per table, named like
the table, with the schema's columns cast to their types — so the metric definitions never see the raw
storage (CSV text, Parquet types, PostgreSQL views) and run unchanged on every engine.
"""

from __future__ import annotations

from voyager_analysis.sources.schema import TABLES

SQL_TYPES = {"id": "VARCHAR", "text": "VARCHAR", "tier": "VARCHAR", "timestamp": "TIMESTAMPTZ",
             "count": "BIGINT", "amount": "DOUBLE", "flag": "BOOLEAN"}


def raw_value(engine, table: str, column: str) -> str:
    """The raw cell, with empty or blank text as NULL."""
    if engine.columns(table).get(column):
        return f"NULLIF(TRIM({column}), '')"
    return column


def number(engine, value: str) -> str:
    """``value`` as a double (NULL when it is not a number, where the engine can say so)."""
    cast = "TRY_CAST" if engine.try_cast else "CAST"
    return f"{cast}({value} AS DOUBLE)"


def typed_value(engine, table: str, column: str) -> str:
    field = TABLES[table].field(column)
    raw = raw_value(engine, table, column)
    is_text = engine.columns(table).get(column)
    if field.kind == "count" and is_text:
        expr = f"CAST(CAST({raw} AS DOUBLE) AS BIGINT)"  # '12.0' is a whole number too
    elif field.kind == "flag" and is_text:
        expr = f"CAST(LOWER({raw}) AS BOOLEAN)"
    else:
        expr = f"CAST({raw} AS {SQL_TYPES[field.kind]})"
    if field.zero_if_empty:
        expr = f"COALESCE({expr}, {'FALSE' if field.kind == 'flag' else '0'})"
    return expr


def staged(engine, tables) -> str:
    """``WITH`` clause defining each of ``tables`` as its typed, cleaned columns."""
    ctes = []
    for table in tables:
        cols = ", ".join(f"{typed_value(engine, table, f.name)} AS {f.name}" for f in TABLES[table].fields)
        ctes.append(f"{table} AS (SELECT {cols} FROM {engine.relation(table)})")
    return "WITH " + ",\n     ".join(ctes) + "\n"


def month_key(ts: str) -> str:
    """Months since year 0 of a UTC timestamp (the session time zone is UTC on every engine)."""
    return f"CAST(EXTRACT(YEAR FROM {ts}) * 12 + EXTRACT(MONTH FROM {ts}) - 1 AS INTEGER)"
