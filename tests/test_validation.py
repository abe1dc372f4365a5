"""Every kind of bad input gets one clear line naming the file, the place and the problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voyager_analysis.assumptions import load_figures, load_prices, load_roadmap
from voyager_analysis.errors import InputError
from voyager_analysis.metrics import load_metrics

GOOD = "month,users,sonnet_share,cost_claude_usd\n2026-01,100,0.4,12.5\n2026-02,150,0.35,20\n2026-03,220,0.3,31\n"


def write(tmp_path: Path, text: str | bytes, name: str = "m.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def error_of(fn, *args) -> str:
    with pytest.raises(InputError) as exc:
        fn(*args)
    msg = str(exc.value)
    assert "\n" not in msg, "an error is one line"
    return msg


# --- metrics CSV ------------------------------------------------------------------------------------------

def test_good_metrics_load(tmp_path):
    df = load_metrics(write(tmp_path, GOOD))
    assert df.month.tolist() == ["2026-01", "2026-02", "2026-03"]
    assert df.users.tolist() == [100, 150, 220]


def test_missing_file(tmp_path):
    assert "nope.csv: file not found" in error_of(load_metrics, tmp_path / "nope.csv")


def test_folder_instead_of_file(tmp_path):
    assert "is a folder" in error_of(load_metrics, tmp_path)


def test_empty_file(tmp_path):
    assert "m.csv: file is empty" in error_of(load_metrics, write(tmp_path, ""))


def test_header_only(tmp_path):
    assert "no data rows" in error_of(load_metrics, write(tmp_path, "month,users\n"))


def test_non_utf8(tmp_path):
    msg = error_of(load_metrics, write(tmp_path, "month,users\n2026-01,1\xe9\n".encode("latin-1")))
    assert "not UTF-8" in msg and "m.csv" in msg


def test_bom_and_crlf_are_accepted(tmp_path):
    df = load_metrics(write(tmp_path, b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode()))
    assert list(df.columns[:2]) == ["month", "users"] and len(df) == 3


def test_malformed_csv_ragged_row(tmp_path):
    msg = error_of(load_metrics, write(tmp_path, "month,users\n2026-01,1\n2026-02,2,3\n"))
    assert "row 2" in msg and "malformed CSV" in msg


def test_unknown_column_suggests_nearest(tmp_path):
    msg = error_of(load_metrics, write(tmp_path, "month,users,mesages\n2026-01,1,2\n"))
    assert "unknown column 'mesages'" in msg and "did you mean 'messages'" in msg


def test_unknown_cost_component_suggests_nearest(tmp_path):
    msg = error_of(load_metrics, write(tmp_path, "month,users,cost_claud_usd\n2026-01,1,2\n"))
    assert "cost_claude_usd" in msg


def test_missing_required_column(tmp_path):
    msg = error_of(load_metrics, write(tmp_path, "month,messages\n2026-01,1\n"))
    assert "required column 'users' is missing" in msg


def test_wrong_type(tmp_path):
    msg = error_of(load_metrics, write(tmp_path, "month,users\n2026-01,lots\n"))
    assert "row 1 (2026-01)" in msg and "users must be a number, got 'lots'" in msg


@pytest.mark.parametrize("cell, word", [("nan", "NaN"), ("inf", "infinite"), ("-inf", "infinite")])
def test_nan_and_inf(tmp_path, cell, word):
    msg = error_of(load_metrics, write(tmp_path, f"month,users,messages\n2026-01,10,{cell}\n"))
    assert word in msg and "messages" in msg


def test_negative_user_count_names_row_and_month(tmp_path):
    text = GOOD.replace("2026-03,220", "2026-03,-40")
    msg = error_of(load_metrics, write(tmp_path, text))
    assert msg == "m.csv: row 3 (2026-03): users is negative (-40)" or msg.endswith(
        "m.csv: row 3 (2026-03): users is negative (-40)")


def test_impossible_value(tmp_path):
    msg = error_of(load_metrics, write(tmp_path, "month,users,p95_latency_ms\n2026-01,10,99999999\n"))
    assert "p95_latency_ms is out of range" in msg


def test_share_outside_unit_interval(tmp_path):
    msg = error_of(load_metrics, write(tmp_path, GOOD.replace("0.35", "1.35")))
    assert "sonnet_share is out of range (1.35)" in msg and "0-1" in msg


def test_fractional_count(tmp_path):
    msg = error_of(load_metrics, write(tmp_path, "month,users\n2026-01,10.5\n"))
    assert "whole number" in msg


def test_bad_month_format(tmp_path):
    msg = error_of(load_metrics, write(tmp_path, "month,users\n2026-13,10\n"))
    assert "YYYY-MM" in msg and "2026-13" in msg


def test_duplicate_month(tmp_path):
    msg = error_of(load_metrics, write(tmp_path, "month,users\n2026-01,10\n2026-01,11\n"))
    assert "2026-01 appears more than once" in msg and "row 2" in msg


def test_missing_month_is_accepted_and_listed(tmp_path):
    """Real exports have gaps (issue 16): a missing month is listed in a note, not an error."""
    df = load_metrics(write(tmp_path, "month,users\n2026-01,10\n2026-02,11\n2026-04,13\n"))
    assert df.month.tolist() == ["2026-01", "2026-02", "2026-04"]
    assert df.attrs["missing_months"] == ["2026-03"]


def test_unsorted_months_are_sorted_without_error(tmp_path):
    df = load_metrics(write(tmp_path, "month,users\n2026-03,30\n2026-01,10\n2026-02,20\n"))
    assert df.month.tolist() == ["2026-01", "2026-02", "2026-03"] and df.users.tolist() == [10, 20, 30]


def test_empty_optional_cell_is_missing_data_but_required_is_error(tmp_path):
    df = load_metrics(write(tmp_path, "month,users,messages\n2026-01,10,\n"))
    assert df.messages.isna().all()
    assert "users is empty" in error_of(load_metrics, write(tmp_path, "month,users\n2026-01,\n", "n.csv"))


def test_comment_lines_are_skipped(tmp_path):
    df = load_metrics(write(tmp_path, "# synthetic\n" + GOOD))
    assert len(df) == 3


# --- YAML figures -----------------------------------------------------------------------------------------

FIG = "x:\n  a: {low: 1, high: 2, unit: users, source: test}\n"


def test_good_figures(tmp_path):
    tree = load_figures(write(tmp_path, FIG, "f.yaml"))
    assert (tree["x"]["a"].low, tree["x"]["a"].high) == (1, 2)


def test_malformed_yaml_names_line(tmp_path):
    msg = error_of(load_figures, write(tmp_path, "x:\n  a: {low: 1, high: 2\n  b: [\n", "f.yaml"))
    assert "f.yaml" in msg and "malformed YAML" in msg and "line" in msg


def test_low_greater_than_high(tmp_path):
    msg = error_of(load_figures, write(tmp_path, FIG.replace("low: 1, high: 2", "low: 3, high: 2"), "f.yaml"))
    assert "x.a" in msg and "low (3) is greater than high (2)" in msg


def test_unknown_field_suggests(tmp_path):
    msg = error_of(load_figures, write(tmp_path, FIG.replace("high:", "hgih:"), "f.yaml"))
    assert "unknown field 'hgih'" in msg and "did you mean 'high'" in msg


def test_unknown_unit_suggests(tmp_path):
    msg = error_of(load_figures, write(tmp_path, FIG.replace("unit: users", "unit: user"), "f.yaml"))
    assert "unknown unit 'user'" in msg and "'users'" in msg


def test_fraction_above_one(tmp_path):
    text = "x:\n  a: {low: 0.5, high: 1.5, unit: fraction, source: t}\n"
    assert "0-1" in error_of(load_figures, write(tmp_path, text, "f.yaml"))


def test_negative_figure(tmp_path):
    assert "negative" in error_of(load_figures, write(tmp_path, FIG.replace("low: 1", "low: -1"), "f.yaml"))


def test_wrong_type_in_yaml(tmp_path):
    msg = error_of(load_figures, write(tmp_path, FIG.replace("high: 2", "high: two"), "f.yaml"))
    assert "high must be a number, got 'two'" in msg


def test_nan_in_yaml(tmp_path):
    assert "NaN" in error_of(load_figures, write(tmp_path, FIG.replace("high: 2", "high: .nan"), "f.yaml"))


def test_figure_needs_a_source(tmp_path):
    msg = error_of(load_figures, write(tmp_path, "x:\n  a: {low: 1, high: 2, unit: users}\n", "f.yaml"))
    assert "section" in msg and "source" in msg


def test_yaml_that_is_not_a_mapping(tmp_path):
    assert "expected a mapping" in error_of(load_figures, write(tmp_path, "- 1\n- 2\n", "f.yaml"))


def test_yaml_safe_load_only(tmp_path):
    msg = error_of(load_figures, write(tmp_path, "x: !!python/object/apply:os.system ['true']\n", "f.yaml"))
    assert "malformed YAML" in msg


def test_roadmap_unknown_group(tmp_path):
    src = Path(load_roadmap().path).read_text() + "\nphasess: {}\n"
    msg = error_of(load_roadmap, write(tmp_path, src, "r.yaml"))
    assert "unknown group 'phasess'" in msg and "did you mean 'phases'" in msg


def test_roadmap_lookup_typo(roadmap):
    msg = error_of(roadmap.get, "phases.phase_1.costs.claud")
    assert "did you mean 'claude'" in msg


# --- prices -----------------------------------------------------------------------------------------------

@pytest.fixture
def price_dir(tmp_path):
    src = Path(load_prices().paths[0]).parent
    dst = tmp_path / "prices"
    shutil.copytree(src, dst)
    return dst


def test_price_without_source(price_dir):
    p = price_dir / "services.csv"
    p.write_text(p.read_text().replace(",Neon pricing page,paid plans", ",,paid plans", 1))
    msg = error_of(load_prices, price_dir)
    assert "services.csv: row 1 (neon_storage)" in msg and "source is empty" in msg


def test_price_bad_date(price_dir):
    p = price_dir / "claude_models.csv"
    p.write_text(p.read_text().replace("2026-11-01", "Nov 2026", 1))
    assert "as_of must be a date" in error_of(load_prices, price_dir)


def test_negative_price(price_dir):
    p = price_dir / "services.csv"
    p.write_text(p.read_text().replace(",0.35,", ",-0.35,", 1))
    assert "price_usd is negative" in error_of(load_prices, price_dir)


def test_unknown_model_suggests(prices):
    assert "did you mean 'claude-sonnet-4.5'" in error_of(prices.model, "claude-sonet-4.5")


def test_newest_price_row_wins_and_history_is_kept(price_dir):
    p = price_dir / "services.csv"
    p.write_text(p.read_text() + "neon_storage,neon,usd_per_gb_month,0.30,2027-01-01,Neon pricing page,newer\n")
    book = load_prices(price_dir)
    assert book.service("neon_storage").price_usd == 0.30
    assert (book.history["services"]["item"] == "neon_storage").sum() == 2


def test_default_models_are_current(prices):
    assert prices.default_model("haiku") == "claude-haiku-4.5"
    assert prices.default_model("sonnet") == "claude-sonnet-4.5"


# --- the CLI reports all of this the same way -----------------------------------------------------------

def test_validate_ok(cli):
    r = cli("validate")
    assert r.returncode == 0 and "ok:" in r.stdout


def test_validate_bad_metrics_one_line_exit_2(cli, tmp_path):
    bad = write(tmp_path, GOOD.replace("2026-03,220", "2026-03,-40"))
    r = cli("validate", "--metrics", str(bad))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")
    assert "users is negative (-40)" in r.stderr and "Traceback" not in r.stderr


def test_validate_bad_assumptions_exit_2(cli, tmp_path):
    bad = write(tmp_path, "phases: [\n", "r.yaml")
    r = cli("validate", "--assumptions", str(bad))
    assert r.returncode == 2 and "malformed YAML" in r.stderr and "Traceback" not in r.stderr


def test_unknown_option_is_one_line_exit_2(cli):
    r = cli("validate", "--metric", "x.csv")  # a typo, not an abbreviation
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--metric" in r.stderr


def test_validate_checks_every_assumption_file_and_scenario(cli):
    r = cli("validate")
    assert r.returncode == 0, r.stderr
    for name in ("drivers.yaml", "decisions.yaml", "scenario pessimistic", "scenario optimistic"):
        assert name in r.stdout


def test_validate_bad_scenario_exit_2_with_suggestion(cli, tmp_path):
    r = cli("validate", "--scenario", "pessimstic")
    assert r.returncode == 2 and "did you mean 'pessimistic'" in r.stderr and "Traceback" not in r.stderr
    bad = write(tmp_path, "overrides:\n  cache_hit_rat: 0.5\n", "s.yaml")
    r = cli("validate", "--scenario", str(bad))
    assert r.returncode == 2 and "s.yaml: overrides.cache_hit_rat" in r.stderr and "cache_hit_rate" in r.stderr


# --- the YAML parse cache -----------------------------------------------------------------------------------

def test_read_yaml_sees_every_edit_and_returns_independent_copies(tmp_path):
    from voyager_analysis.files import read_yaml

    p = write(tmp_path, "a: 1\nb: [1, 2]\n", "c.yaml")
    first = read_yaml(p)
    first["b"].append(3)  # a caller changing its copy must not change what the next caller gets
    assert read_yaml(p) == {"a": 1, "b": [1, 2]}
    p.write_text("a: 2\nb: [1, 2]\n")
    assert read_yaml(p)["a"] == 2


def test_malformed_yaml_is_never_cached(tmp_path):
    from voyager_analysis.files import read_yaml

    p = write(tmp_path, "a: [1, 2\n", "bad.yaml")
    for _ in range(2):  # the second read fails the same way: no half-parsed document was kept
        assert "malformed YAML" in error_of(read_yaml, p)
