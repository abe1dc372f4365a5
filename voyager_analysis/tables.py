"""Tables for people: the one formatting layer between a results object's ``summary()`` (a DataFrame, for
machines) and the page a person reads.

:func:`table` turns a DataFrame into a :class:`Table` (HTML with ``_repr_html_``); :func:`show` displays it in
a notebook. Every cell is formatted by the unit its column name carries (``_usd`` → ``$1,234``, ``users`` →
``12,345``, shares → ``12%``, ``_pct`` → ``12.0%``, months), never in scientific notation; a missing value is
"—" with a footnote, a boolean is "yes"/"no", headers are words with the unit in brackets, the pandas row
index is dropped unless it is named, every string is HTML-escaped, and the table scrolls inside its own box
(``overflow-x: auto``) so the page never does.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

#: Shown for a missing value (None, NaN, NaT, pandas NA, :class:`voyager_analysis.results.Missing`).
MISSING = "—"

#: Column-name endings and the unit they mean (header suffix, format kind); longest ending first.
_UNITS: tuple[tuple[str, str, str], ...] = (
    ("_usd_per_gb_month", "USD per GB-month", "usd_precise"),
    ("_usd_per_month", "USD per month", "usd"),
    ("_usd_per_mtok", "USD per M tokens", "usd_precise"),
    ("_usd_per_1000", "USD per 1,000", "usd_precise"),
    ("_usd_per_hour", "USD per hour", "usd_precise"),
    ("_usd_per_unit", "USD per unit", "usd_precise"),
    ("_per_user_usd", "USD per user", "usd_precise"),
    ("_usd", "USD", "usd"),
    ("_pct", "%", "pct_points"),
    ("_gb", "GB", "number"),
    ("_mtok", "M tokens", "number"),
    ("_months", "months", "number"),
    ("_hours", "hours", "number"),
)
_SHARE_WORDS = ("share", "margin", "conversion", "churn", "rate", "retention", "probability", "coverage")
_ABBREVIATIONS = {"usd": "USD", "roi": "ROI", "gb": "GB", "aicc": "AICc", "aic": "AIC", "bic": "BIC", "ci": "CI",
                  "id": "ID", "s3": "S3", "mtok": "M tokens", "sobol": "Sobol", "st": "ST", "s1": "S1",
                  "rmse": "RMSE", "mape": "MAPE", "hac": "HAC", "se": "SE"}

Formatter = Callable[[Any], str]


def header(name: Any) -> str:
    """A column name for people: ``monthly_cost_usd`` → ``Monthly cost (USD)``; other names unchanged but
    for underscores (``users_at_min_roi`` → ``Users at min ROI``)."""
    text = str(name)
    if re.fullmatch(r"p\d{1,2}(\.\d+)?", text):  # percentiles keep their usual spelling: p5, p50, p95
        return text
    if not re.fullmatch(r"[A-Za-z0-9_]+", text) or "_" not in text and text.lower() == text and len(text) < 3:
        return text
    unit = ""
    for ending, label, _ in _UNITS:
        if text.lower().endswith(ending) and len(text) > len(ending):
            text, unit = text[: -len(ending)], label
            break
    words = [_ABBREVIATIONS.get(w.lower(), w) for w in text.split("_") if w]
    if words and words[0] == words[0].lower():
        words[0] = words[0][:1].upper() + words[0][1:]
    out = " ".join(words)
    return f"{out} ({unit})" if unit else out


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT, pandas NA and :class:`voyager_analysis.results.Missing`."""
    if value is None or type(value).__name__ in ("Missing", "NAType", "NaTType"):
        return True
    try:
        return isinstance(value, float) and math.isnan(value) or (hasattr(value, "dtype") and bool(value != value))
    except (TypeError, ValueError):
        return False


def number(x: float, *, digits: int = 3) -> str:
    """A number in fixed notation with thousands separators and about ``digits`` significant digits below
    1,000 (``92190.4`` → ``92,190``, ``0.000004`` → ``0.000004``, ``1.5`` → ``1.50``); never ``1e-06``."""
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    magnitude = abs(x)
    if magnitude >= 1000:
        return f"{x:,.0f}"
    if float(x).is_integer():
        return f"{x:,.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(magnitude)))
    if decimals > 10:
        return "0" if magnitude < 5e-11 else f"{x:.10f}".rstrip("0")
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0") if magnitude < 0.01 else text


def _usd(x: float) -> str:
    return ("−" if x < 0 else "") + "$" + number(abs(x)) if abs(x) < 1000 else f"{'−' if x < 0 else ''}${abs(x):,.0f}"


def _usd_precise(x: float) -> str:
    return ("−" if x < 0 else "") + "$" + number(abs(x), digits=3)


def _integer(x: float) -> str:
    return f"{x:,.0f}"


def _share(x: float) -> str:
    if 0 < abs(x) < 0.0005:
        return "<0.1%" if x > 0 else "−<0.1%"
    return f"{100 * x:.1f}%" if abs(x) < 0.1 else f"{100 * x:.0f}%"


def _points(x: float) -> str:
    return f"{x:,.1f}%"


FORMATS: dict[str, Formatter] = {"usd": _usd, "usd_precise": _usd_precise, "users": _integer, "integer": _integer,
                                 "share": _share, "pct_points": _points, "number": number,
                                 "ratio": lambda x: f"{number(x)}×", "months": lambda x: number(x, digits=3)}


def column_kind(name: str, values) -> str:
    """The format kind a column gets when none is given: from its unit ending, else its words, else
    ``number``. Share-like names (``share``, ``margin``, ``rate``...) are percentages only when every
    value lies within ±1.5 (a fraction), so a margin already in percent keeps its number."""
    lower = str(name).lower()
    for ending, _, kind in _UNITS:
        if lower.endswith(ending):
            return kind
    words = set(re.split(r"[_\s]+", lower))
    if words & {"users", "user", "requests", "puts", "gets", "draws"}:
        return "users"
    if words & {"month", "months"}:
        return "months"
    if "roi" in words or "ratio" in words:
        return "ratio"
    finite = [float(v) for v in values if _is_number(v) and not is_missing(v) and math.isfinite(float(v))]
    if any(w in lower for w in _SHARE_WORDS) and finite and all(abs(v) <= 1.5 for v in finite):
        return "share"
    return "number"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) or (
        hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iuf" and getattr(value, "ndim", 1) == 0)


def cell(value: Any, formatter: Formatter | str = number) -> str:
    """One cell's text (not yet escaped): missing → "—", booleans → yes/no, numbers through ``formatter``
    (a kind from :data:`FORMATS`, a ``str.format`` pattern or a callable), anything else as ``str``."""
    if is_missing(value):
        return MISSING
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if _is_number(value):
        x = float(value)
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        if isinstance(formatter, str):
            return FORMATS[formatter](x) if formatter in FORMATS else formatter.format(x)
        return formatter(x)
    if hasattr(value, "isoformat") and hasattr(value, "year"):
        return value.isoformat()[:10] if getattr(value, "hour", 0) == 0 == getattr(value, "minute", 0) \
            else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v, formatter) for v in value)
    return str(value)


#: The table style; the class is doubled to outrank JupyterLab's ``:not(...).jp-RenderedHTMLCommon td`` rules.
_CSS = ("<style>div.va-table{overflow-x:auto;max-width:100%;margin:.6em 0}div.va-table.va-table table{border-collapse:collapse;"
        "font-size:.92em;margin:0}div.va-table.va-table table th,div.va-table.va-table table td{padding:.25em .6em;text-align:left;"
        "border-bottom:1px solid #e3e6ea;vertical-align:top;overflow-wrap:normal;word-break:normal}"
        "div.va-table.va-table table th{background:#f4f6f8;min-width:4em}div.va-table.va-table table .num{text-align:right}"
        "div.va-table.va-table table td.num{white-space:nowrap;font-variant-numeric:tabular-nums}"
        "div.va-table.va-table table td.word{white-space:nowrap}div.va-table.va-table table td.text{min-width:16em;max-width:40em}"
        "div.va-table caption{caption-side:bottom;text-align:left;font-size:.85em;color:#555;padding-top:.3em}</style>")


@dataclass(frozen=True)
class Table:
    """A formatted table: ``headers`` and ``rows`` of display text, which columns are numeric, a caption and
    footnotes. ``_repr_html_`` is what a notebook shows; ``str()`` is plain text."""

    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    caption: str = ""
    footnotes: tuple[str, ...] = ()

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th class=\"num\">{esc(h)}</th>" if num else f"<th>{esc(h)}</th>"
                       for h, num in zip(self.headers, self.numeric))
        kinds = [["num" if num else "text" if len(v) > 24 else "word" for v, num in zip(row, self.numeric)]
                 for row in self.rows]
        body = "".join("<tr>" + "".join(f"<td class=\"{k}\">{esc(v)}</td>" for v, k in zip(row, ks)) + "</tr>"
                       for row, ks in zip(self.rows, kinds))
        notes = " ".join([self.caption, *self.footnotes]).strip()
        caption = f"<caption>{esc(notes)}</caption>" if notes else ""
        return (f"{_CSS}<div class=\"va-table\"><table>{caption}<thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table></div>")

    def __str__(self) -> str:
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h)
                  for i, h in enumerate(self.headers)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(self.headers, widths))]
        lines += ["  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(r, widths, self.numeric))
                  for r in self.rows]
        return "\n".join(lines + [n for n in (self.caption, *self.footnotes) if n])

    __repr__ = __str__


def table(df, formats: dict[str, Formatter | str] | None = None, *, index: bool | None = None,
          headers: dict[str, str] | None = None, caption: str = "", missing_note: str = "not available",
          long: bool = False) -> Table:
    """``df`` formatted for people (see the module docstring).

    ``formats`` maps a column to a kind of :data:`FORMATS` (``"usd"``, ``"users"``, ``"share"``,
    ``"pct_points"``, ``"ratio"``, ``"months"``, ``"number"``), a ``str.format`` pattern or a callable; other
    columns get :func:`column_kind`. ``index``: keep the row index as the first column (default: only when
    it is named or not a plain 0..n-1 range). ``headers`` overrides :func:`header` for some columns;
    ``long=True`` turns a one-row-per-item wide table into "item / field / value" rows. A pandas ``Styler``
    or a results object with ``summary()`` is accepted (its data is used).
    """
    import pandas as pd

    if hasattr(df, "summary") and not isinstance(df, pd.DataFrame):
        df = df.summary()
    if hasattr(df, "data") and type(df).__name__ == "Styler":
        df = df.data
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if index is None:
        index = not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names)
    if index:
        df = df.reset_index()
    if isinstance(df.columns, pd.MultiIndex):
        df = df.set_axis([" ".join(str(p) for p in c if str(p)) for c in df.columns], axis=1)
    if long:
        key = df.columns[0]
        df = df.melt(id_vars=[key], var_name="field", value_name="value")
        df["field"] = [header(f) for f in df["field"]]
        formats = {"value": lambda x: number(x), **(formats or {})}
    formats, headers = dict(formats or {}), dict(headers or {})
    out_headers, columns, numeric = [], [], []
    for name in df.columns:
        values = df[name].tolist()
        kind = formats.get(name) or column_kind(name, values)
        texts = [cell(v, kind) for v in values]
        columns.append(texts)
        numeric.append(all(_is_number(v) or is_missing(v) for v in values) and any(_is_number(v) for v in values))
        label = headers[name][:1].upper() + headers[name][1:] if name in headers else header(name)
        if kind == "share" and "%" not in label:
            label += " (%)"
        out_headers.append(label)
    rows = [list(r) for r in zip(*columns)] if columns else []
    notes = (f"{MISSING} {missing_note}.",) if any(MISSING in r for r in rows) else ()
    return Table(out_headers, rows, numeric, caption=caption, footnotes=notes)


def table_html(df, formats: dict[str, Formatter | str] | None = None, **kwargs) -> str:
    """The HTML of :func:`table` (for a results object's ``_repr_html_``)."""
    return table(df, formats, **kwargs)._repr_html_()


def show(df, formats: dict[str, Formatter | str] | None = None, **kwargs) -> None:
    """Display :func:`table` of ``df`` in the notebook. Returns nothing, so a cell ending with ``show(...)``
    does not display the table a second time (use :func:`table` to keep the object)."""
    from IPython.display import display

    display(table(df, formats, **kwargs))


__all__ = ["FORMATS", "MISSING", "Table", "cell", "column_kind", "header", "is_missing", "number", "show", "table", "table_html"]
