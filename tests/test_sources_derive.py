"""derive on DuckDB: each metric against a hand count (tests/sources_tiny.py), every storage layout, the CLI,
and bad input (one line, exit 2, nothing written)."""

from __future__ import annotations

import copy
import json

import pytest

from sources_tiny import TINY, assert_matches_expected, write_tiny_csv


def _to_parquet(csv_folder, out, parts=False):
    import duckdb

    out.mkdir()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for path in csv_folder.glob("*.csv"):
        rel = f"read_csv('{path}', header=true, all_varchar=true)"
        if path.stem == "messages":  # typed columns, as an app export would have them
            rel = f"""(SELECT message_id, user_id, conversation_id, CAST(created_at AS TIMESTAMPTZ) AS created_at, model,
                       CAST(input_tokens AS BIGINT) AS input_tokens,
                       CAST(cache_read_input_tokens AS BIGINT) AS cache_read_input_tokens,
                       CAST(cache_creation_input_tokens AS BIGINT) AS cache_creation_input_tokens,
                       CAST(output_tokens AS BIGINT) AS output_tokens, CAST(batch AS BOOLEAN) AS batch FROM {rel})"""
        if parts and path.stem == "messages":
            (out / "messages").mkdir()
            for i, (lo, hi) in enumerate([("m1", "m3"), ("m4", "m9")]):
                con.execute(f"COPY (SELECT * FROM {rel} WHERE message_id BETWEEN '{lo}' AND '{hi}') "
                            f"TO '{out / 'messages' / f'part-{i}.parquet'}' (FORMAT parquet)")
        else:
            con.execute(f"COPY (SELECT * FROM {rel}) TO '{out / (path.stem + '.parquet')}' (FORMAT parquet)")
    return out


def test_each_metric_matches_the_hand_count_csv(tmp_path):
    from voyager_analysis.sources.derive import derive_metrics

    df = derive_metrics(write_tiny_csv(tmp_path / "ev"))
    assert_matches_expected(df)


@pytest.mark.parametrize("parts", [False, True], ids=["parquet", "parquet-parts"])
def test_parquet_and_part_folders_give_the_same_hand_count(tmp_path, parts):
    from voyager_analysis.sources.derive import derive_metrics

    folder = _to_parquet(write_tiny_csv(tmp_path / "csv"), tmp_path / "pq", parts=parts)
    assert_matches_expected(derive_metrics(folder))


def test_without_searches_table_the_column_is_absent(tmp_path):
    from voyager_analysis.sources.derive import derive_metrics

    tables = {k: v for k, v in TINY.items() if k != "searches"}
    df = derive_metrics(write_tiny_csv(tmp_path / "ev", tables))
    assert "searches" not in df.columns and df["messages"].tolist() == [3, 1, 2, 0, 1]


def test_cli_writes_a_file_the_metrics_loader_accepts(cli, tmp_path):
    from voyager_analysis.metrics import load_metrics

    events = write_tiny_csv(tmp_path / "ev")
    out = tmp_path / "m.csv"
    r = cli("derive", "--events", str(events), "--out", str(out))
    assert r.returncode == 0, r.stderr
    m = load_metrics(out)
    assert m["month"].tolist() == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]
    assert m["batch_share"].iloc[0] == pytest.approx(2 / 3) and m["cache_write_tokens"].tolist()[:2] == [5, 3]
    assert set(tmp_path.iterdir()) == {events, out}  # no temporary file left beside the output
    r = cli("derive", "--events", str(events), "--json")
    payload = json.loads(r.stdout)
    assert payload["engine"] == "duckdb" and payload["metrics"][3]["sonnet_share"] is None


def _bad(table, row, column, value):
    tables = copy.deepcopy(TINY)
    header, rows = tables[table]
    rows[row][header.index(column)] = value
    return tables


BAD = [
    (_bad("subscriptions", 0, "tier", "gold"), "subscriptions.csv: subscription_id 's1': tier is not a known tier"),
    (_bad("users", 1, "signed_up_at", "2025-02-30"), "users.csv: user_id 'u2': signed_up_at is not a valid ISO 8601 timestamp ('2025-02-30')"),
    (_bad("messages", 2, "output_tokens", "-5"), "messages.csv: message_id 'm3': output_tokens is negative ('-5')"),
    (_bad("conversations", 1, "size_bytes", "-1"), "conversations.csv: conversation_id 'c2': size_bytes is negative"),
    (_bad("conversations", 1, "size_bytes", "big"), "conversations.csv: conversation_id 'c2': size_bytes is not a number ('big')"),
    (_bad("messages", 2, "input_tokens", "1.5"), "messages.csv: message_id 'm3': input_tokens is not a whole number"),
    (_bad("messages", 2, "message_id", "m1"), "messages.csv: message_id 'm1' appears 2 times"),
    (_bad("subscriptions", 2, "ended_at", "2025-01-01T00:00:00Z"), "subscriptions.csv: subscription_id 's3': ended_at (2025-01-01"),
    (_bad("messages", 3, "user_id", "u9"), "messages.csv: message_id 'm4': user_id 'u9' is not in users"),
    (_bad("messages", 3, "batch", "maybe"), "messages.csv: message_id 'm4': batch is not true/false"),
    (_bad("messages", 3, "created_at", ""), "messages.csv: message_id 'm4': created_at is empty"),
]


@pytest.mark.parametrize("tables,expected", BAD, ids=[b[1].split(": ", 2)[-1][:30] for b in BAD])
def test_bad_input_is_one_line_exit_2_and_nothing_written(cli, tmp_path, tables, expected):
    events = write_tiny_csv(tmp_path / "ev", tables)
    out = tmp_path / "m.csv"
    r = cli("derive", "--events", str(events), "--out", str(out))
    assert r.returncode == 2
    assert r.stderr.startswith("error: ") and expected in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""
    assert not out.exists() and not list(tmp_path.glob(".m.csv*"))


def test_missing_table_and_column(cli, tmp_path):
    events = write_tiny_csv(tmp_path / "ev")
    text = (events / "messages.csv").read_text()
    (events / "messages.csv").write_text(text.replace(",batch", ",batch_flag"))
    r = cli("derive", "--events", str(events))
    assert r.returncode == 2 and "messages.csv: column 'batch' missing" in r.stderr
    (events / "messages.csv").unlink()
    r = cli("derive", "--events", str(events))
    assert r.returncode == 2 and "table 'messages' is missing" in r.stderr
    r = cli("derive", "--events", str(tmp_path / "nope"))
    assert r.returncode == 2 and "events folder not found" in r.stderr


def test_an_existing_output_survives_a_failed_run(cli, tmp_path):
    events = write_tiny_csv(tmp_path / "ev", _bad("messages", 0, "output_tokens", "-1"))
    out = tmp_path / "m.csv"
    out.write_text("previous\n")
    r = cli("derive", "--events", str(events), "--out", str(out))
    assert r.returncode == 2 and out.read_text() == "previous\n"


def test_memory_limit_is_set_and_spill_folder_removed(tmp_path):
    from voyager_analysis.sources.engines import DuckDBEngine

    events = write_tiny_csv(tmp_path / "ev")
    with DuckDBEngine(events, memory_limit="300MB") as eng:
        limit = eng.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        spill = eng._tmp
        assert spill.is_dir()
        assert eng.con.execute("SELECT current_setting('temp_directory')").fetchone()[0] == str(spill)
    assert limit.replace(" ", "") in ("286.1MiB", "300.0MB") and not spill.exists()
