"""Validate events inside the engine, in two statements when the data are clean.

The first statement counts every kind of bad cell in every table (``TRY_CAST`` only, so nothing can fail);
the second counts duplicated ids, timestamps out of order and rows whose user is unknown (over the typed
tables). Only when a count is not zero does a further query fetch the first offending row. Each problem is
one :class:`~voyager_analysis.errors.InputError` line naming the table, the row's id and the column. On
PostgreSQL (no ``TRY_CAST``) a text cell that does not parse is reported by the database's own one-line
message when the value is cast.
"""

from __future__ import annotations

from voyager_analysis.errors import InputError
from voyager_analysis.sources.schema import ORDERED_TIMESTAMPS, TABLES, TIERS, USER_REFERENCES
from voyager_analysis.sources.sql import number, raw_value, staged, typed_value


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
    cells = [(name, *problem) for name in present for problem in _cell_problems(engine, name)]
    selects = [f"(SELECT {', '.join(f'COUNT(CASE WHEN {p} THEN 1 END)' for t, _, p, _ in cells if t == name)} "
               f"FROM {engine.relation(name)}) AS c_{name}" for name in present]
    (row,) = engine.rows(f"SELECT * FROM {' CROSS JOIN '.join(selects)}")
    for (name, column, pred, problem), n in zip(cells, row):
        if n:
            _report_cell(engine, name, column, pred, problem, n)
    if not engine.try_cast:
        for name in present:
            _check_text_casts(engine, name)
    structural = _structural_checks(engine, present)
    tables = sorted({t for _, tables_, _, _ in structural for t in tables_})
    subqueries = ", ".join(f"({count}) AS s{i}" for i, (_, _, count, _) in enumerate(structural))
    (row,) = engine.rows(f"{staged(engine, tables)}SELECT {subqueries}")
    for (_, _, _, report), n in zip(structural, row):
        if n:
            report()
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


def _check_text_casts(engine, name: str) -> None:
    """Without ``TRY_CAST`` (PostgreSQL), cast every text column that holds timestamps, numbers or flags: one
    statement per table, and on failure one per column, so the database's message names table and column."""
    cols = [f.name for f in TABLES[name].fields
            if f.kind in ("timestamp", "count", "amount", "flag") and engine.columns(name)[f.name]]
    if not cols:
        return

    def probe(columns):
        casts = ", ".join(f"COUNT({typed_value(engine, name, c)})" for c in columns)
        return f"SELECT {casts} FROM {engine.relation(name)}"

    try:
        engine.rows(probe(cols), table=name)
    except InputError:
        for c in cols:
            engine.rows(probe([c]), table=name, column=c)
        raise


def _locator(name: str) -> str:
    table = TABLES[name]
    return table.key or table.fields[0].name


def _report_cell(engine, name, column, pred, problem, n) -> None:
    key = _locator(name)
    hit = engine.rows(f"SELECT CAST({key} AS VARCHAR), CAST({column} AS VARCHAR) "
                      f"FROM {engine.relation(name)} WHERE {pred} LIMIT 1", table=name)
    key_value, value = hit[0] if hit else (None, None)
    shown = "" if value is None or problem == "is empty" else f" ('{value}')"
    more = f"; {n - 1} more row{'s' if n > 2 else ''} like it" if n > 1 else ""
    raise InputError(f"{engine.label(name)}: {key} '{key_value}': {column} {problem}{shown}{more}")


def _structural_checks(engine, present):
    """(kind, tables needed, portable COUNT query over the staged tables, reporter) for each structural rule."""
    out = []
    for name in present:
        key = TABLES[name].key
        if key is not None:
            v = raw_value(engine, name, key)  # the stored id (not cast to text): cheaper on 50M integer ids
            dup = f"SELECT {v} AS k, COUNT(*) AS n FROM {engine.relation(name)} GROUP BY {v}"

            def report(name=name, key=key, dup=dup):
                k, n = engine.rows(f"SELECT CAST(k AS VARCHAR), n FROM ({dup}) AS g WHERE n > 1 LIMIT 1", table=name)[0]
                raise InputError(f"{engine.label(name)}: {key} '{k}' appears {n} times (ids must be unique)")

            out.append(("unique", [], f"SELECT COUNT(*) FROM ({dup}) AS g WHERE n > 1", report))
    for name, earlier, later in ORDERED_TIMESTAMPS:
        if name in present:
            def report(name=name, earlier=earlier, later=later):
                key = TABLES[name].key
                k, a, b = engine.rows(f"{staged(engine, [name])}SELECT {key}, CAST({earlier} AS VARCHAR), "
                                      f"CAST({later} AS VARCHAR) FROM {name} WHERE {later} < {earlier} LIMIT 1",
                                      table=name)[0]
                raise InputError(f"{engine.label(name)}: {key} '{k}': {later} ({b}) is before {earlier} ({a})")

            out.append(("order", [name], f"SELECT COUNT(*) FROM {name} WHERE {later} < {earlier}", report))
    for name in USER_REFERENCES:
        if name in present:
            unknown = (f"FROM {name} t LEFT JOIN users u ON t.user_id = u.user_id WHERE u.user_id IS NULL")

            def report(name=name, unknown=unknown):
                key = _locator(name)
                k, user = engine.rows(f"{staged(engine, [name, 'users'])}SELECT t.{key}, t.user_id {unknown} LIMIT 1",
                                      table=name)[0]
                raise InputError(f"{engine.label(name)}: {key} '{k}': user_id '{user}' is not in users")

            out.append(("user", [name, "users"], f"SELECT COUNT(*) {unknown}", report))
    return out
