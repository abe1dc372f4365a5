"""The formatting layer for notebook tables: units, missing values, booleans, headers, escaping, no
scientific notation, and a scroll box so a wide table never widens the page. Expected texts are written by
hand from the rules in voyager_analysis/tables.py's docstring."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from voyager_analysis import tables
from voyager_analysis.results import Missing


@pytest.mark.parametrize("x, text", [
    (92190.4, "92,190"), (1757000.0, "1,757,000"), (0.000004, "0.000004"), (1e-06, "0.000001"),
    (0.6384734313965987, "0.638"), (55.00000000000001, "55.0"), (1.5, "1.50"), (0.0, "0"), (-1234.5, "-1,234"),
    (63084.000000, "63,084"), (float("inf"), "∞"), (-float("inf"), "−∞"), (1e-20, "0")])
def test_numbers_are_fixed_notation_with_separators(x, text):
    assert tables.number(x) == text


@pytest.mark.parametrize("name, text", [
    ("monthly_cost_usd", "Monthly cost (USD)"), ("hot_usd_per_gb_month", "Hot (USD per GB-month)"),
    ("saving_vs_none_pct", "Saving vs none (%)"), ("users_at_min_roi", "Users at min ROI"),
    ("total_gb", "Total (GB)"), ("Already Human", "Already Human"), ("users", "Users")])
def test_headers_are_words_with_the_unit(name, text):
    assert tables.header(name) == text


def test_cells_by_unit_missing_booleans_and_escaping():
    df = pd.DataFrame({"option": ["<b>algolia</b>", "meili & co"], "monthly_cost_usd": [92190.4, np.nan],
                       "users_high": [175700.0, np.inf], "sonnet_share": [0.25, 0.031], "clears": [True, np.bool_(False)],
                       "margin_pct": [55.00000000000001, None], "note": [Missing("no data"), "ok"]})
    t = tables.table(df)
    assert t.headers == ["Option", "Monthly cost (USD)", "Users high", "Sonnet share (%)", "Clears", "Margin (%)", "Note"]
    assert t.rows[0] == ["<b>algolia</b>", "$92,190", "175,700", "25%", "yes", "55.0%", "—"]
    assert t.rows[1] == ["meili & co", "—", "∞", "3.1%", "no", "—", "ok"]
    assert t.footnotes == ("— not available.",)
    page = t._repr_html_()
    assert "<b>algolia" not in page and "&lt;b&gt;algolia&lt;/b&gt;" in page and "meili &amp; co" in page
    assert "overflow-x:auto" in page and 'class="va-table"' in page
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page)
    assert not [c for c in cells if re.search(r"^(nan|NaN|None|True|False|inf)$|\de[+-]?\d", c)]


def test_share_words_become_percentages_only_for_fractions():
    assert tables.table(pd.DataFrame({"margin": [0.55, -0.2]})).rows == [["55%"], ["-20%"]]
    assert tables.table(pd.DataFrame({"margin": [55.0, -20.0]})).rows == [["55"], ["-20"]]


def test_index_kept_only_when_it_means_something():
    plain = tables.table(pd.DataFrame({"amount": [1, 2]}))
    assert plain.headers == ["Amount"]
    named = tables.table(pd.DataFrame({"amount": [1, 2]}, index=pd.Index(["x", "y"], name="model")))
    assert named.headers == ["Model", "Amount"] and named.rows[0] == ["x", "1"]


def test_explicit_formats_and_long_layout():
    df = pd.DataFrame({"switch": ["a"], "roi": [2.345], "payback_months": [math.nan], "x_usd": [0.00123]})
    t = tables.table(df, {"roi": "{:.1f}x"})
    assert t.rows == [["a", "2.3x", "—", "$0.00123"]]
    long = tables.table(df, long=True)
    assert long.headers == ["Switch", "Field", "Value"] and len(long.rows) == 3
    assert long.rows[0] == ["a", "ROI", "2.35"]


def test_styler_and_results_objects_are_accepted():
    df = pd.DataFrame({"users": [30000, 100000]})
    assert tables.table(df.style.format("{:.2e}")).rows == [["30,000"], ["100,000"]]

    class R:
        def summary(self):
            return df

    assert tables.table(R()).rows == [["30,000"], ["100,000"]]


def test_given_headers_are_used_capitalised():
    t = tables.table(pd.DataFrame({"claim": ["x"], "users": [5]}), headers={"claim": "roadmap says"})
    assert t.headers == ["Roadmap says", "Users"]


def test_show_displays_once_and_returns_nothing(monkeypatch):
    """A cell ending with show(...) must not display the table a second time as the cell's value."""
    import IPython.display
    import pandas as pd

    from voyager_analysis import tables

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    assert tables.show(pd.DataFrame({"users": [1000]})) is None
    assert len(shown) == 1


def test_percentile_headers_keep_their_spelling():
    from voyager_analysis.tables import header

    assert [header(h) for h in ("p5", "p50", "p95")] == ["p5", "p50", "p95"]
