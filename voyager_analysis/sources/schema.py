"""The event schema: a contract between the company's systems and ``derive`` (machine-readable).

Tables live in a folder (``NAME.parquet``, ``NAME.csv`` or a folder ``NAME/`` of Parquet part files) or in
a PostgreSQL schema (tables or views). Timestamps are ISO 8601; one without an offset is UTC, an offset
such as ``+02:00`` is honoured; months are UTC calendar months. Extra columns are ignored.

Column kinds: ``id`` (text or integer; compared as text), ``timestamp``, ``count`` (a whole number >= 0),
``amount`` (a number >= 0), ``flag`` (true/false, 1/0), ``tier`` (``pro`` or ``max``), ``text``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

TIERS = ("pro", "max")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # id | timestamp | count | amount | flag | tier | text
    meaning: str
    nullable: bool = False  # an empty cell is allowed (meaning given in ``meaning``)
    zero_if_empty: bool = False  # an empty cell counts as 0 / false


@dataclass(frozen=True)
class Table:
    name: str
    meaning: str
    fields: tuple[Field, ...]
    key: str | None = None  # unique id column, named in error messages
    optional: bool = False  # the table may be absent

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


TABLES: dict[str, Table] = {t.name: t for t in [
    Table("users", "one row per account", key="user_id", fields=(
        Field("user_id", "id", "account id"),
        Field("signed_up_at", "timestamp", "when the account was created"),
    )),
    Table("subscriptions", "one row per paid subscription (a renewal is the same row)", key="subscription_id", fields=(
        Field("subscription_id", "id", "subscription id"),
        Field("user_id", "id", "the subscriber (must be in users)"),
        Field("tier", "tier", "`pro` or `max`"),
        Field("started_at", "timestamp", "first paid instant"),
        Field("ended_at", "timestamp", "end of the paid period; empty = still active", nullable=True),
        Field("monthly_price_usd", "amount", "list price per month, USD"),
    )),
    Table("messages", "one row per Claude request", key="message_id", fields=(
        Field("message_id", "id", "request id (unique)"),
        Field("user_id", "id", "the sender (must be in users)"),
        Field("conversation_id", "id", "the conversation", nullable=True),
        Field("created_at", "timestamp", "when the request was sent"),
        Field("model", "text", "model id, e.g. claude-haiku-4-5"),
        Field("input_tokens", "count", "uncached input tokens, as the Messages API reports them", zero_if_empty=True),
        Field("cache_read_input_tokens", "count", "input tokens read from the prompt cache", zero_if_empty=True),
        Field("cache_creation_input_tokens", "count", "input tokens written to the prompt cache", zero_if_empty=True),
        Field("output_tokens", "count", "output tokens", zero_if_empty=True),
        Field("batch", "flag", "sent through the Message Batches API", zero_if_empty=True),
    )),
    Table("conversations", "one row per conversation", key="conversation_id", fields=(
        Field("conversation_id", "id", "conversation id"),
        Field("user_id", "id", "the owner (must be in users)"),
        Field("created_at", "timestamp", "when it was created"),
        Field("size_bytes", "count", "stored size, bytes"),
        Field("view_count", "count", "times it was opened", zero_if_empty=True),
        Field("last_viewed_at", "timestamp", "last time it was opened; empty = never", nullable=True),
        Field("archived_at", "timestamp", "when it moved to archive storage; empty = still hot", nullable=True),
    )),
    Table("searches", "one row per search request (optional table)", optional=True, fields=(
        Field("user_id", "id", "who searched (must be in users)"),
        Field("created_at", "timestamp", "when"),
    )),
]}

#: Rows that must refer to a known user (table -> column).
USER_REFERENCES = ("subscriptions", "messages", "conversations", "searches")

#: (table, earlier, later): ``later`` may not precede ``earlier`` on the same row.
ORDERED_TIMESTAMPS = (("subscriptions", "started_at", "ended_at"), ("conversations", "created_at", "archived_at"))


def as_dict() -> dict:
    """The schema as plain data (what ``docs/events.md`` documents), for tools that check a warehouse."""
    return {name: {**{k: v for k, v in asdict(t).items() if k != "fields"},
                   "fields": [asdict(f) for f in t.fields]} for name, t in TABLES.items()}


def as_json() -> str:
    return json.dumps(as_dict(), indent=2)
