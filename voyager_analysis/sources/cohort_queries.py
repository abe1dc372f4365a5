"""Cohort, survival and view aggregations, written once as portable SQL (the approach of :mod:`.derive`).

Each function runs one query on an open :class:`~voyager_analysis.sources.engines.Engine` (DuckDB over a
folder, PostgreSQL in place) and returns a small pandas frame in the shape the models take — only
aggregated rows leave the engine:

* :func:`cohort_cells` — per signup cohort and age (months since the signup month): active users (a message
  in the month), messages, tokens (input incl. cache + output) and new conversation bytes; with
  :func:`cohort_sizes` and the month of the latest message, what :func:`voyager_analysis.cohorts.retention.retention`
  and :func:`voyager_analysis.cohorts.tenure.usage_by_tenure` take;
* :func:`subscription_durations` — per tier, whole billing periods and churn status at ``as_of`` with a count,
  for :func:`voyager_analysis.churn.churn_by_tier` (same rules as :func:`voyager_analysis.churn.subscription_periods`);
* :func:`conversion_durations` — per tier, months from signup to the first subscription (or censored);
* :func:`view_bins` — conversations by whole month of age at ``as_of``: count, views, squared views;
* :func:`latest_event_time` — the default ``as_of``.

Whole calendar months between two instants are computed from their fields (year, month, then day and time
of the month), so DuckDB, PostgreSQL and Spark agree with each other and with pandas; every frame comes back in
a fixed row order (``ORDER BY`` or a sort), whatever the engine; ages in seconds use DuckDB's ``EPOCH(ts)``,
which SQLGlot writes as PostgreSQL's ``DATE_PART('epoch', ts)`` and Spark's ``UNIX_TIMESTAMP(ts)``.
"""

from __future__ import annotations

from voyager_analysis.constants import SECONDS_PER_MONTH
from voyager_analysis.errors import InputError
from voyager_analysis.sources.schema import TIERS
from voyager_analysis.sources.sql import month_key, staged


def _rest(ts: str) -> str:
    """Seconds into the month of ``ts`` counted from day 0 (the day-of-month and time, comparable)."""
    return (f"(EXTRACT(DAY FROM {ts}) * 86400 + EXTRACT(HOUR FROM {ts}) * 3600 + EXTRACT(MINUTE FROM {ts}) * 60"
            f" + FLOOR(EXTRACT(SECOND FROM {ts})))")


def _whole_months(start: str, end: str) -> str:
    return f"({month_key(end)} - {month_key(start)} - CASE WHEN {_rest(end)} < {_rest(start)} THEN 1 ELSE 0 END)"


def _periods_paid(start: str, end: str) -> str:
    """Billing periods paid by a subscription that ended at ``end``: ending inside period k means k paid."""
    return f"GREATEST(1, {_whole_months(start, end)} + CASE WHEN {_rest(end)} = {_rest(start)} THEN 0 ELSE 1 END)"


def _ts(value) -> str:
    """A timezone-aware pandas Timestamp as a portable SQL literal (UTC)."""
    return f"CAST('{value.tz_convert('UTC').strftime('%Y-%m-%d %H:%M:%S')}+00' AS TIMESTAMPTZ)"


def _require(engine, *tables) -> None:
    """One line naming the first table (or column) the analysis needs and the events lack."""
    from voyager_analysis.sources.schema import TABLES

    for name in tables:
        cols = engine.columns(name)
        if cols is None:
            raise engine.missing_table(name)
        missing = [f.name for f in TABLES[name].fields if f.name not in cols]
        if missing:
            raise InputError(f"{engine.label(name)}: column{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(repr(m) for m in missing)} missing")


def _frame(rows, columns):
    import pandas as pd

    return pd.DataFrame([list(r) for r in rows], columns=columns)


def latest_event_time(engine):
    """The latest message, signup or subscription start (a UTC Timestamp): the default ``as_of``."""
    import pandas as pd

    _require(engine, "users")
    tables = ["users"] + [t for t in ("messages", "subscriptions") if engine.columns(t) is not None]
    times = {"users": "signed_up_at", "messages": "created_at", "subscriptions": "started_at"}
    union = " UNION ALL ".join(f"SELECT MAX({times[t]}) AS t FROM {t}" for t in tables)
    sql = staged(engine, tables) + f"SELECT MAX(t) FROM ({union}) AS x"
    value = engine.rows(sql, table="messages")[0][0]
    if value is None:
        raise InputError(f"{engine.description}: no events")
    t = pd.Timestamp(value)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def cohort_sizes(engine):
    """Series signup month (``YYYY-MM``) -> users who signed up in it."""
    from voyager_analysis.months import month_str

    _require(engine, "users")
    sql = staged(engine, ["users"]) + f"SELECT {month_key('signed_up_at')} AS cohort, COUNT(*) FROM users GROUP BY cohort"
    rows = engine.rows(sql, table="users")
    if not rows:
        raise InputError(f"{engine.label('users')}: no users")
    import pandas as pd

    return pd.Series({month_str(int(c)): int(n) for c, n in sorted(rows)}, name="size").rename_axis("cohort")


def cohort_cells(engine):
    """(frame, last_month): per cohort and age, ``active_users``, ``messages``, ``tokens`` and (when the
    events have a conversations table) ``new_storage_gb``."""
    from voyager_analysis.months import month_str

    _require(engine, "users", "messages")
    tokens = "input_tokens + cache_read_input_tokens + cache_creation_input_tokens + output_tokens"
    sql = staged(engine, ["users", "messages"]) + f"""
SELECT u.cohort, m.month - u.cohort AS age, COUNT(DISTINCT m.user_id), COUNT(*), SUM(m.tokens)
FROM (SELECT user_id, {month_key('created_at')} AS month, {tokens} AS tokens FROM messages) AS m
JOIN (SELECT user_id, {month_key('signed_up_at')} AS cohort FROM users) AS u ON m.user_id = u.user_id
WHERE m.month >= u.cohort
GROUP BY u.cohort, m.month - u.cohort"""
    storage = f"""
SELECT u.cohort, c.month - u.cohort AS age, SUM(c.size_bytes)
FROM (SELECT user_id, {month_key('created_at')} AS month, size_bytes FROM conversations) AS c
JOIN (SELECT user_id, {month_key('signed_up_at')} AS cohort FROM users) AS u ON c.user_id = u.user_id
WHERE c.month >= u.cohort
GROUP BY u.cohort, c.month - u.cohort"""
    cells = _frame(engine.rows(sql, table="messages"), ["cohort", "age_months", "active_users", "messages", "tokens"])
    if cells.empty:
        raise InputError(f"{engine.label('messages')}: no messages from known users")
    last = int(engine.rows(staged(engine, ["messages"]) + f"SELECT MAX({month_key('created_at')}) FROM messages",
                           table="messages")[0][0])
    if engine.columns("conversations") is not None:
        _require(engine, "conversations")
        gb = _frame(engine.rows(staged(engine, ["users", "conversations"]) + storage, table="conversations"),
                    ["cohort", "age_months", "bytes"])
        cells = cells.merge(gb, on=["cohort", "age_months"], how="left").fillna({"bytes": 0})
        cells["new_storage_gb"] = cells.pop("bytes").astype(float) / 1e9
    for col in ("age_months", "active_users", "messages", "tokens"):
        cells[col] = cells[col].astype("int64")
    cells["cohort"] = [month_str(int(c)) for c in cells["cohort"]]
    return cells.sort_values(["cohort", "age_months"]).reset_index(drop=True), month_str(last)


def subscription_durations(engine, as_of):
    """Per tier: ``periods``, ``churned``, ``count`` of subscriptions started at or before ``as_of`` (a
    cancellation inside the unfinished current period is censored at the completed periods)."""
    _require(engine, "subscriptions")
    at = _ts(as_of)
    # churned only once the period it ended in is over at as_of; otherwise censored at the completed periods
    paid, done = _periods_paid('started_at', 'ended_at'), _whole_months('started_at', at)
    churned = f"(ended_at IS NOT NULL AND ended_at <= {at} AND {paid} <= {done})"
    sql = staged(engine, ["subscriptions"]) + f"""
SELECT tier, periods, churned, COUNT(*) FROM (
  SELECT tier, {churned} AS churned, CASE WHEN {churned} THEN {paid} ELSE {done} END AS periods
  FROM subscriptions WHERE started_at <= {at}) AS s
GROUP BY tier, periods, churned
ORDER BY tier, periods, churned"""
    out = _frame(engine.rows(sql, table="subscriptions"), ["tier", "periods", "churned", "count"])
    if out.empty:
        first = engine.rows(staged(engine, ["subscriptions"]) + "SELECT MIN(started_at) FROM subscriptions",
                            table="subscriptions")[0][0]
        if first is None:
            raise InputError(f"{engine.label('subscriptions')}: no subscriptions")
        raise InputError(f"--as-of {as_of.date()} is before the first subscription ({str(first)[:10]})")
    return out.astype({"periods": "int64", "churned": bool, "count": "int64"})


def conversion_durations(engine, as_of):
    """Per tier: months from signup to the first subscription of the tier (``converted``) or months observed
    (censored), with a ``count``; users who signed up before ``as_of``."""
    _require(engine, "users", "subscriptions")
    at = _ts(as_of)
    tiers = " UNION ALL ".join(f"SELECT '{t}' AS tier" for t in TIERS)
    sql = staged(engine, ["users", "subscriptions"]) + f"""
SELECT tier, periods, converted, COUNT(*) FROM (
  SELECT t.tier, (f.first_at IS NOT NULL AND f.first_at <= {at}) AS converted,
         CASE WHEN f.first_at IS NOT NULL AND f.first_at <= {at}
              THEN GREATEST(1, {_whole_months('u.signed_up_at', 'f.first_at')} + 1)
              ELSE {_whole_months('u.signed_up_at', at)} END AS periods
  FROM users AS u CROSS JOIN ({tiers}) AS t
  LEFT JOIN (SELECT user_id, tier, MIN(started_at) AS first_at FROM subscriptions GROUP BY user_id, tier) AS f
    ON f.user_id = u.user_id AND f.tier = t.tier
  WHERE u.signed_up_at < {at}) AS x
GROUP BY tier, periods, converted
ORDER BY tier, periods, converted"""
    out = _frame(engine.rows(sql, table="users"), ["tier", "periods", "converted", "count"])
    return out.astype({"periods": "int64", "converted": bool, "count": "int64"})


def view_bins(engine, as_of):
    """Conversations created before ``as_of`` by whole month of age: ``age_months`` (bin middle),
    ``conversations``, ``views``, ``views_sq``."""
    _require(engine, "conversations")
    at = _ts(as_of)
    age = f"(EPOCH({at}) - EPOCH(created_at)) / {SECONDS_PER_MONTH}"  # -> DATE_PART('epoch', ..), UNIX_TIMESTAMP(..)
    sql = staged(engine, ["conversations"]) + f"""
SELECT FLOOR({age}) + 0.5 AS age, COUNT(*), SUM(view_count), SUM(CAST(view_count AS DOUBLE) * view_count)
FROM conversations WHERE created_at < {at}
GROUP BY FLOOR({age}) + 0.5"""
    out = _frame(engine.rows(sql, table="conversations"), ["age_months", "conversations", "views", "views_sq"])
    return out.astype(float).sort_values("age_months").reset_index(drop=True)


__all__ = ["cohort_cells", "cohort_sizes", "conversion_durations", "latest_event_time", "subscription_durations",
           "view_bins"]
