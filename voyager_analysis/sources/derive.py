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
from voyager_analysis.sources.schema import TIERS
from voyager_analysis.sources.sql import month_key, staged

#: Columns written by ``derive``, in the metrics file's order.
DERIVED_COLUMNS = ("month", "users", "new_users", "pro_subscribers", "max_subscribers", "messages", "input_tokens",
                   "cache_read_tokens", "cache_write_tokens", "output_tokens", "sonnet_share", "batch_share",
                   "storage_gb", "archived_gb", "searches")


def _messages_sql(engine) -> str:
    return staged(engine, ["messages"]) + f"""
SELECT month, COUNT(*), COUNT(DISTINCT user_id),
       SUM(input_tokens + cache_read_input_tokens + cache_creation_input_tokens),
       SUM(cache_read_input_tokens), SUM(cache_creation_input_tokens), SUM(output_tokens),
       SUM(CASE WHEN LOWER(model) LIKE '%sonnet%' THEN 1 ELSE 0 END),
       SUM(CASE WHEN batch THEN 1 ELSE 0 END)
FROM (SELECT *, {month_key('created_at')} AS month FROM messages) AS m
GROUP BY month"""


def _monthly_sql(engine, table: str, at: str, value: str = "1", by: str | None = None) -> str:
    """Per month of ``at`` (and per ``by``), the sum of ``value`` over rows where ``at`` is set."""
    group = f"{by}, " if by else ""
    return staged(engine, [table]) + f"""
SELECT {group}month, SUM({value})
FROM (SELECT *, {month_key(at)} AS month FROM {table} WHERE {at} IS NOT NULL) AS t
GROUP BY {group}month"""


#: The portable queries, by name: (table, builder). ``queries(engine)`` renders them for one engine.
def queries(engine, tables) -> dict[str, str]:
    q = {
        "messages": _messages_sql(engine),
        "signups": _monthly_sql(engine, "users", "signed_up_at"),
        "subscriptions_started": _monthly_sql(engine, "subscriptions", "started_at", by="tier"),
        "subscriptions_ended": _monthly_sql(engine, "subscriptions", "ended_at", by="tier"),
        "bytes_created": _monthly_sql(engine, "conversations", "created_at", "size_bytes"),
        "bytes_archived": _monthly_sql(engine, "conversations", "archived_at", "size_bytes"),
    }
    if "searches" in tables:
        q["searches"] = _monthly_sql(engine, "searches", "created_at")
    return q


def derive_metrics(source, *, engine: str | None = None, schema: str = "public",
                   memory_limit: str = DEFAULT_MEMORY_LIMIT, check: bool = True):
    """Monthly metrics (a DataFrame in the metrics schema) from the events at ``source``.

    ``source`` is a folder of tables, a ``postgresql://`` URL, or (``engine="spark"``) a folder or ``sc://``
    URL; an already open :class:`~voyager_analysis.sources.engines.Engine` is used as is (and not closed).
    Events are validated first (``check=False`` skips that, for data checked upstream).
    """
    from voyager_analysis.sources.engines import Engine

    if isinstance(source, Engine):
        return _derive(source, check)
    with open_engine(source, engine=engine, schema=schema, memory_limit=memory_limit) as eng:
        return _derive(eng, check)


def _derive(engine, check: bool):
    import numpy as np
    import pandas as pd

    tables = check_events(engine) if check else tuple(t for t in
                                                      ("users", "subscriptions", "messages", "conversations", "searches")
                                                      if engine.columns(t) is not None)
    table_of = {"messages": "messages", "signups": "users", "subscriptions_started": "subscriptions",
                "subscriptions_ended": "subscriptions", "bytes_created": "conversations",
                "bytes_archived": "conversations", "searches": "searches"}
    res = {name: engine.rows(sql, table=table_of[name]) for name, sql in queries(engine, tables).items()}

    msg = pd.DataFrame([[int(x or 0) for x in r] for r in res["messages"]], columns=["month", "messages", "users", "input_tokens", "cache_read_tokens",
                                                 "cache_write_tokens", "output_tokens", "sonnet", "batch"])
    if msg.empty:
        raise InputError(f"{engine.label('messages')}: no messages, so there is no month to derive")
    signup_months = [r[0] for r in res["signups"]]
    first = min(msg["month"].min(), min(signup_months, default=msg["month"].max()))
    last = int(msg["month"].max())
    every = [r[-2] for name, rows in res.items() if name != "messages" for r in rows]
    lo = min(int(min(every, default=first)), int(first))
    months = np.arange(lo, last + 1)

    def series(rows, where=None):
        s = pd.Series(0, index=months, dtype="int64")
        for r in rows:
            if (where is None or r[0] == where) and lo <= r[-2] <= last:
                s[int(r[-2])] += int(r[-1])
        return s

    out = pd.DataFrame(index=months)
    msg = msg.set_index("month").reindex(months).fillna(0).astype("int64")
    out["users"] = msg["users"]
    out["new_users"] = series(res["signups"])
    for tier in TIERS:
        out[f"{tier}_subscribers"] = (series(res["subscriptions_started"], tier).cumsum()
                                      - series(res["subscriptions_ended"], tier).cumsum())
    for col in ("messages", "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens"):
        out[col] = msg[col]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["sonnet_share"] = np.where(msg["messages"] > 0, msg["sonnet"] / msg["messages"].where(msg["messages"] > 0), np.nan)
        out["batch_share"] = np.where(msg["messages"] > 0, msg["batch"] / msg["messages"].where(msg["messages"] > 0), np.nan)
    created, archived = series(res["bytes_created"]).cumsum(), series(res["bytes_archived"]).cumsum()
    out["storage_gb"] = (created - archived) / 1e9
    out["archived_gb"] = archived / 1e9
    if "searches" in res:
        out["searches"] = series(res["searches"])
    out = out.loc[int(first):last]
    out.insert(0, "month", [month_str(m) for m in out.index])
    out = out.reset_index(drop=True)
    out.attrs["source"] = engine.description
    out.attrs["engine"] = engine.name
    return out


def write_metrics_csv(df, path, *, note: str | None = None) -> Path:
    """Write derived metrics atomically (a temp file beside ``path``, then rename); ``note`` is a ``#`` line."""
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
            df.to_csv(fh, index=False, lineterminator="\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
