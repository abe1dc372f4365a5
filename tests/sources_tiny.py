"""A tiny hand-made event set and its hand-counted monthly metrics (shared by the DuckDB, PostgreSQL and
Spark tests). Every expected number below was counted by hand from the rows, not produced by the code.

Edge cases: month boundaries (23:59:59 vs 00:00:00 UTC), offset timestamps (+02:00, +01:00) that fall in
the previous UTC month, a user who never sends a message (u5), a subscription ending exactly at a month's
first instant (s1), one starting before the first month (s5), a month with no messages (2025-04), an empty
cache cell (counts as 0), batch given as true/1/false, a conversation archived exactly at a month's start.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

TINY = {
    "users": (["user_id", "signed_up_at", "email"], [  # an extra column is ignored
        ["u1", "2025-01-10T12:00:00Z", "a@x"],
        ["u2", "2025-01-31T23:59:59Z", "b@x"],
        ["u3", "2025-02-01T00:00:00Z", "c@x"],
        ["u4", "2025-02-01T01:00:00+02:00", "d@x"],  # = 2025-01-31 23:00 UTC: January
        ["u5", "2025-03-15T08:00:00", "e@x"],  # no offset = UTC; never sends a message
    ]),
    "subscriptions": (["subscription_id", "user_id", "tier", "started_at", "ended_at", "monthly_price_usd"], [
        ["s1", "u1", "pro", "2025-01-15T00:00:00Z", "2025-02-01T00:00:00Z", "20"],  # counted in Jan only
        ["s2", "u2", "max", "2025-01-31T23:59:59Z", "", "100"],
        ["s3", "u3", "pro", "2025-02-01T00:00:00Z", "2025-03-31T23:59:59Z", "20"],  # Feb only
        ["s4", "u4", "pro", "2025-03-01T00:30:00+02:00", "", "20"],  # = Feb 28 22:30 UTC: from Feb
        ["s5", "u5", "max", "2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z", "100"],  # before the range
    ]),
    "messages": (["message_id", "user_id", "conversation_id", "created_at", "model", "input_tokens",
                  "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens", "batch"], [
        ["m1", "u1", "c1", "2025-01-10T13:00:00Z", "claude-haiku-4-5", "100", "10", "5", "50", "false"],
        ["m2", "u1", "c1", "2025-01-31T23:59:59Z", "claude-sonnet-4-5", "200", "0", "0", "20", "true"],
        ["m3", "u2", "c2", "2025-02-01T00:00:00Z", "claude-sonnet-4-5", "300", "30", "3", "30", "false"],
        ["m4", "u4", "c3", "2025-02-01T01:30:00+02:00", "claude-haiku-4-5", "50", "", "0", "5", "1"],
        ["m5", "u3", "", "2025-03-02T10:00:00Z", "claude-Sonnet-4-5", "10", "0", "0", "1", "false"],
        ["m6", "u3", "", "2025-03-05T10:00:00Z", "claude-haiku-4-5", "20", "0", "0", "2", "false"],
        ["m7", "u1", "c1", "2025-05-01T00:00:00Z", "claude-haiku-4-5", "1", "0", "0", "1", "false"],
    ]),
    "conversations": (["conversation_id", "user_id", "created_at", "size_bytes", "view_count", "last_viewed_at",
                       "archived_at"], [
        ["c1", "u1", "2025-01-10T13:00:00Z", "1000000000", "3", "2025-01-20T00:00:00Z", "2025-03-01T00:00:00Z"],
        ["c2", "u2", "2025-02-01T00:00:00Z", "500000000", "0", "", ""],
        ["c3", "u4", "2025-01-31T23:59:59Z", "250000000", "1", "2025-02-01T00:00:00Z", "2025-02-15T00:00:00Z"],
    ]),
    "searches": (["user_id", "created_at"], [
        ["u1", "2025-01-31T23:59:59Z"],
        ["u1", "2025-02-01T00:00:00Z"],
        ["u3", "2025-02-01T00:30:00+01:00"],  # = Jan 31 23:30 UTC
    ]),
}

NAN = math.nan
EXPECTED_COLUMNS = ["month", "users", "new_users", "pro_subscribers", "max_subscribers", "messages", "input_tokens",
                    "cache_read_tokens", "cache_write_tokens", "output_tokens", "sonnet_share", "batch_share",
                    "storage_gb", "archived_gb", "searches"]
# Counted by hand (see the comments on the rows above).
EXPECTED = [
    ["2025-01", 2, 3, 1, 1, 3, 365, 10, 5, 75, 1 / 3, 2 / 3, 1.25, 0.0, 2],
    ["2025-02", 1, 1, 2, 1, 1, 333, 30, 3, 30, 1.0, 0.0, 1.5, 0.25, 1],
    ["2025-03", 1, 1, 1, 1, 2, 30, 0, 0, 3, 0.5, 0.0, 0.5, 1.25, 0],
    ["2025-04", 0, 0, 1, 1, 0, 0, 0, 0, 0, NAN, NAN, 0.5, 1.25, 0],
    ["2025-05", 1, 0, 1, 1, 1, 1, 0, 0, 1, 0.0, 0.0, 0.5, 1.25, 0],
]


def write_tiny_csv(folder: Path, tables=TINY) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in tables.items():
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
    return folder


def expected_frame():
    import pandas as pd

    return pd.DataFrame(EXPECTED, columns=EXPECTED_COLUMNS)


def assert_matches_expected(df) -> None:
    import pandas as pd

    exp = expected_frame()
    assert list(df.columns) == EXPECTED_COLUMNS
    pd.testing.assert_frame_equal(df.reset_index(drop=True), exp, check_dtype=False, rtol=1e-12, atol=0)


@pytest.fixture(scope="session")
def example_events_folder(tmp_path_factory):
    """A small synthetic event set (Parquet), generated once per session."""
    from dataclasses import replace

    from voyager_analysis.sources.example_events import EventTruth, write_example_events

    out = tmp_path_factory.mktemp("events") / "example"
    write_example_events(out, replace(EventTruth(), n_users=300, n_months=8), seed=11)
    return out
