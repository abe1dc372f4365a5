"""The monthly metrics, derived from events: the definitions, written once as portable SQL.

For a month ``m`` with first instant ``start(m)`` and ``end(m) = start(m + 1)`` (UTC):

* ``users`` — distinct ``user_id`` with at least one message in ``m``; ``new_users`` — users whose
  ``signed_up_at`` falls in ``m``;
* ``pro_subscribers`` / ``max_subscribers`` — subscriptions of the tier with ``started_at < end(m)`` and
  ``ended_at`` empty or ``>= end(m)``;
* ``messages`` — message rows in ``m``; ``input_tokens`` — the sum of ``input_tokens +
  cache_read_input_tokens + cache_creation_input_tokens``; ``cache_read_tokens`` / ``cache_write_tokens`` —
  the sums of the two cache columns; ``output_tokens`` — the sum; ``sonnet_share`` — the share of messages
  whose model id contains ``sonnet`` (case-insensitive); ``batch_share`` — the share with ``batch`` true;
* ``storage_gb`` — total ``size_bytes`` / 1e9 of conversations created before ``end(m)`` and not archived
  before it; ``archived_gb`` — those archived before it; ``searches`` — search rows in ``m``.

Rows run from the month of the earliest signup or message to the month of the latest message. The engine
returns only whole-number sums per month (so every engine gives identical results); point-in-time counts
are running sums of monthly starts minus ends (``ended_at >= started_at`` is checked), and shares are
ratios of those sums, computed on the monthly rows.
"""

from __future__ import annotations

from pathlib import Path

from voyager_analysis.errors import InputError
from voyager_analysis.months import month_str
from voyager_analysis.sources.checks import check_events
from voyager_analysis.sources.engines import DEFAULT_MEMORY_LIMIT, open_engine
from voyager_analysis.sources.schema import TABLES, TIERS
from voyager_analysis.sources.sql import month_key, staged

#: Columns written by ``derive``, in the metrics file's order.
DERIVED_COLUMNS = ("month", "users", "new_users", "pro_subscribers", "max_subscribers", "messages", "input_tokens",
                   "cache_read_tokens", "cache_write_tokens", "output_tokens", "sonnet_share", "batch_share",
                   "storage_gb", "archived_gb", "searches")


_NO_TIER = "CAST(NULL AS VARCHAR)"


def _monthly(kind: str, table: str, at: str, sums: list[str], tier: str = _NO_TIER, extra: str = "") -> str:
    """One part of the union: ``kind``, tier, month of ``at`` and up to 8 whole-number sums per month."""
    values = [f"CAST({v} AS BIGINT)" for v in sums] + ["CAST(NULL AS BIGINT)"] * (8 - len(sums))
    group = "month" if tier == _NO_TIER else f"{tier}, month"
    return (f"SELECT '{kind}' AS kind, {tier} AS tier, month, {', '.join(values)}\n"
            f"FROM (SELECT *, {month_key(at)} AS month FROM {table} WHERE {at} IS NOT NULL{extra}) AS t GROUP BY {group}")


def monthly_sql(engine, tables) -> str:
    """The metric definitions as one portable statement: per month (and tier), only whole-number sums.

    Rows are ``(kind, tier, month, v1..v8)``; ``kind`` is ``messages`` (v1..v8 = messages, distinct users,
    all input tokens, cache reads, cache writes, output tokens, Sonnet messages, batch messages),
    ``signups``, ``subscriptions_started`` / ``subscriptions_ended`` (per tier), ``bytes_created`` /
    ``bytes_archived`` (conversations' ``size_bytes``) or ``searches``.
    """
    parts = [
        _monthly("messages", "messages", "created_at", [
            "COUNT(*)", "COUNT(DISTINCT user_id)",
            "SUM(input_tokens + cache_read_input_tokens + cache_creation_input_tokens)",
            "SUM(cache_read_input_tokens)", "SUM(cache_creation_input_tokens)", "SUM(output_tokens)",
            "SUM(CASE WHEN LOWER(model) LIKE '%sonnet%' THEN 1 ELSE 0 END)", "SUM(CASE WHEN batch THEN 1 ELSE 0 END)"]),
        _monthly("signups", "users", "signed_up_at", ["COUNT(*)"]),
        _monthly("subscriptions_started", "subscriptions", "started_at", ["COUNT(*)"], tier="tier"),
        _monthly("subscriptions_ended", "subscriptions", "ended_at", ["COUNT(*)"], tier="tier"),
        _monthly("bytes_created", "conversations", "created_at", ["SUM(size_bytes)"]),
        _monthly("bytes_archived", "conversations", "archived_at", ["SUM(size_bytes)"]),
    ]
    used = ["messages", "users", "subscriptions", "conversations"]
    if "searches" in tables:
        parts.append(_monthly("searches", "searches", "created_at", ["COUNT(*)"]))
        used.append("searches")
    return staged(engine, used) + "\nUNION ALL\n".join(parts)


def derive_metrics(source, *, engine: str | None = None, schema: str = "public",
                   memory_limit: str = DEFAULT_MEMORY_LIMIT, check: bool = True):
    """Monthly metrics (a DataFrame in the metrics schema) from the events at ``source``.

    ``source`` is a folder of tables, a ``postgresql://`` URL, or (``engine="spark"``) a folder or ``sc://``
    URL; an already open :class:`~voyager_analysis.sources.engines.Engine` is used as is (and not closed).
    Events are validated first (``check=False`` skips that, for data checked upstream).
    """
    from voyager_analysis.sources.base import Engine

    if isinstance(source, Engine):
        return _derive(source, check)
    with open_engine(source, engine=engine, schema=schema, memory_limit=memory_limit) as eng:
        return _derive(eng, check)


def _derive(engine, check: bool):
    import numpy as np
    import pandas as pd

    tables = check_events(engine) if check else tuple(t for t in TABLES if engine.columns(t) is not None)
    res: dict[str, list[tuple]] = {}
    for kind, tier, month, *values in engine.rows(monthly_sql(engine, tables), table="messages"):
        res.setdefault(kind, []).append((tier, int(month), *[None if v is None else int(v) for v in values]))
    if not res.get("messages"):
        raise InputError(f"{engine.label('messages')}: no messages, so there is no month to derive")
    msg = pd.DataFrame([r[1:] for r in res["messages"]],
                       columns=["month", "messages", "users", "input_tokens", "cache_read_tokens",
                                "cache_write_tokens", "output_tokens", "sonnet", "batch"])
    first = min([int(msg["month"].min())] + [r[1] for r in res.get("signups", [])])
    last = int(msg["month"].max())
    lo = min([first] + [r[1] for kind, rows in res.items() for r in rows])
    months = np.arange(lo, last + 1)

    def series(kind, tier=None):
        s = pd.Series(0, index=months, dtype="int64")
        for r in res.get(kind, []):
            if (tier is None or r[0] == tier) and r[1] <= last:
                s[r[1]] += r[2]
        return s

    out = pd.DataFrame(index=months)
    msg = msg.set_index("month").reindex(months).fillna(0).astype("int64")
    out["users"] = msg["users"]
    out["new_users"] = series("signups")
    for tier in TIERS:
        out[f"{tier}_subscribers"] = series("subscriptions_started", tier).cumsum() - series("subscriptions_ended", tier).cumsum()
    for col in ("messages", "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens"):
        out[col] = msg[col]
    some = msg["messages"].where(msg["messages"] > 0)  # NaN share in a month without messages
    out["sonnet_share"] = msg["sonnet"] / some
    out["batch_share"] = msg["batch"] / some
    created, archived = series("bytes_created").cumsum(), series("bytes_archived").cumsum()
    out["storage_gb"] = (created - archived) / 1e9
    out["archived_gb"] = archived / 1e9
    if "searches" in tables:
        out["searches"] = series("searches")
    out = out.loc[first:last]
    out.insert(0, "month", [month_str(m) for m in out.index])
    out = out.reset_index(drop=True)
    out.attrs["source"] = engine.description
    out.attrs["engine"] = engine.name
    return out


def write_metrics_csv(df, path, *, note: str | None = None) -> Path:
    """Write derived metrics atomically (a temp file beside ``path``, then rename); ``note`` is a ``#`` line, and
    the columns taken from bills (``df.attrs["billed"]``) are recorded in a ``# billed:`` line."""
    from voyager_analysis.metrics import billed_line

    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name for the metrics CSV")
    if not path.parent.exists():
        raise InputError(f"{path.parent}: folder not found")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            if note:
                fh.write("# " + " ".join(note.split()) + "\n")
            if df.attrs.get("billed"):
                fh.write(billed_line(df.attrs["billed"]) + "\n")
            df.to_csv(fh, index=False, lineterminator="\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
