"""Validate events inside the engine: one scan per table counts every kind of bad cell; only when one is
found does a second query fetch the first offending row, so a clean 50M-row table costs a few scans.

Each problem is one :class:`~voyager_analysis.errors.InputError` line naming the table, the row's id and
the column. On PostgreSQL (no ``TRY_CAST``) a text cell that does not parse is reported by the database's
own one-line message when the value is cast.
"""

from __future__ import annotations

from voyager_analysis.errors import InputError
from voyager_analysis.sources.schema import ORDERED_TIMESTAMPS, TABLES, TIERS, USER_REFERENCES
from voyager_analysis.sources.sql import number, raw_value, staged


def check_events(engine) -> tuple[str, ...]:
    """Raise :class:`InputError` on the first problem; return the tables present (optional ones may be absent)."""
    present = []
    for name, table in TABLES.items():
        cols = engine.columns(name)
        if cols is None:
            if table.optional:
                continue
            raise engine.missing_table(name)
        missing = [f.name for f in table.fields if f.name not in cols]
        if missing:
            raise InputError(f"{engine.label(name)}: column{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(repr(m) for m in missing)} missing")
        present.append(name)
    for name in present:
        _check_cells(engine, name)
    for name in present:
        _check_unique_key(engine, name)
    for name, earlier, later in ORDERED_TIMESTAMPS:
        _check_order(engine, name, earlier, later)
    for name in USER_REFERENCES:
        if name in present:
            _check_user_known(engine, name)
    return tuple(present)


def _cell_problems(engine, name: str) -> list[tuple[str, str, str]]:
    """(column, SQL predicate true for a bad raw cell, problem) for every column of ``name``."""
    out = []
    for f in TABLES[name].fields:
        v = raw_value(engine, name, f.name)
        is_text = engine.columns(name)[f.name]
        if not (f.nullable or f.zero_if_empty):
            out.append((f.name, f"{v} IS NULL", "is empty"))
        if f.kind in ("count", "amount"):
            x = number(engine, v)
            if is_text and engine.try_cast:
                out.append((f.name, f"{v} IS NOT NULL AND {x} IS NULL", "is not a number"))
            out.append((f.name, f"{x} < 0", "is negative"))
            if f.kind == "count":
                out.append((f.name, f"{x} <> FLOOR({x})", "is not a whole number"))
        elif f.kind == "timestamp" and is_text and engine.try_cast:
            out.append((f.name, f"{v} IS NOT NULL AND TRY_CAST({v} AS TIMESTAMPTZ) IS NULL",
                        "is not a valid ISO 8601 timestamp"))
        elif f.kind == "flag" and is_text and engine.try_cast:
            out.append((f.name, f"{v} IS NOT NULL AND TRY_CAST(LOWER({v}) AS BOOLEAN) IS NULL",
                        "is not true/false"))
        elif f.kind == "tier":
            tiers = ", ".join(f"'{t}'" for t in TIERS)
            out.append((f.name, f"CAST({v} AS VARCHAR) NOT IN ({tiers})",
                        f"is not a known tier ({' or '.join(TIERS)})"))
    return out


def _locator(name: str) -> str:
    table = TABLES[name]
    return table.key or table.fields[0].name


def _check_cells(engine, name: str) -> None:
    problems = _cell_problems(engine, name)
    counts = ", ".join(f"COUNT(CASE WHEN {pred} THEN 1 END)" for _, pred, _ in problems)
    (row,) = engine.rows(f"SELECT {counts} FROM {engine.relation(name)}", table=name)
    for (column, pred, problem), n in zip(problems, row):
        if n:
            key = _locator(name)
            hit = engine.rows(f"SELECT CAST({key} AS VARCHAR), CAST({column} AS VARCHAR) "
                              f"FROM {engine.relation(name)} WHERE {pred} LIMIT 1", table=name)
            key_value, value = hit[0] if hit else (None, None)
            shown = "" if value is None or problem == "is empty" else f" ('{value}')"
            more = f"; {n - 1} more row{'s' if n > 2 else ''} like it" if n > 1 else ""
            raise InputError(f"{engine.label(name)}: {key} '{key_value}': {column} {problem}{shown}{more}")


def _check_unique_key(engine, name: str) -> None:
    key = TABLES[name].key
    if key is None:
        return
    hit = engine.rows(f"{staged(engine, [name])}SELECT {key}, COUNT(*) FROM {name} GROUP BY {key} "
                      f"HAVING COUNT(*) > 1 LIMIT 1", table=name)
    if hit:
        raise InputError(f"{engine.label(name)}: {key} '{hit[0][0]}' appears {hit[0][1]} times (ids must be unique)")


def _check_order(engine, name: str, earlier: str, later: str) -> None:
    key = TABLES[name].key
    hit = engine.rows(f"{staged(engine, [name])}SELECT {key}, CAST({earlier} AS VARCHAR), CAST({later} AS VARCHAR) "
                      f"FROM {name} WHERE {later} < {earlier} LIMIT 1", table=name)
    if hit:
        k, a, b = hit[0]
        raise InputError(f"{engine.label(name)}: {key} '{k}': {later} ({b}) is before {earlier} ({a})")


def _check_user_known(engine, name: str) -> None:
    key = _locator(name)
    hit = engine.rows(f"{staged(engine, [name, 'users'])}SELECT t.{key}, t.user_id FROM {name} t "
                      f"LEFT JOIN users u ON t.user_id = u.user_id WHERE u.user_id IS NULL LIMIT 1", table=name)
    if hit:
        raise InputError(f"{engine.label(name)}: {key} '{hit[0][0]}': user_id '{hit[0][1]}' is not in users")
