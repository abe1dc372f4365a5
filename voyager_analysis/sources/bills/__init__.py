"""Vendor bills in the vendors' own formats -> monthly cost columns (and revenue collected).

Formats, detected from each file's content (``format=`` forces one):

* ``claude-cost`` / ``claude-usage`` — Anthropic Admin API cost and usage report pages (:mod:`.claude`);
* ``focus`` — FOCUS 1.0-1.3 cost exports, CSV or JSON Lines (:mod:`.focus`), mapped to components by
  ``data/assumptions/vendors.yaml``;
* ``stripe`` — Stripe balance transaction list pages (:mod:`.stripe`).

:func:`read_bills` reads files and folders into a :class:`Bills` results object; :func:`monthly_bills` is its
monthly table: ``month``, the ``cost_<component>_usd`` columns found, ``gross_revenue_usd`` when Stripe is
given, the token columns when a usage report is given. A month no bill covers is absent (a column a source
does not cover in a month is empty), never zero. Two files that cover the same column on the same days
(double counting) are refused in one line naming both files. :func:`~.join.join_bills` puts the bills into a
metrics table.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from voyager_analysis.errors import InputError, display_path, located
from voyager_analysis.results import Results
from voyager_analysis.sources.bills.common import Parsed, Vendors, load_json, load_vendors

FORMATS = ("claude-cost", "claude-usage", "focus", "stripe")
#: Files read inside a folder (a file named on the command line is read whatever its name).
SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv")


class Bills(Results):
    """Bills read from files: ``monthly`` (the monthly table), ``claude_breakdown`` (Claude cost by month,
    model, token type, cost type, service tier and context window), ``files`` (what each file was read as)
    and ``partial`` (months a column's bills cover only in part)."""

    title = "Monthly costs from vendor bills"

    def __init__(self, monthly, claude_breakdown, files, partial):
        self.monthly, self.claude_breakdown, self.files, self.partial = monthly, claude_breakdown, files, partial

    def summary(self):
        return self.monthly

    def _payload(self):
        return {"months": len(self.monthly), "columns": [c for c in self.monthly.columns if c != "month"],
                "monthly": self.monthly.to_dict(orient="records"), "partial_months": self.partial,
                "files": self.files, "claude_breakdown": self.claude_breakdown.to_dict(orient="records")}


def bill_files(paths) -> list[Path]:
    """Files named, and the bill files inside folders named (recursively, sorted; hidden names skipped)."""
    out = []
    for p in map(Path, [paths] if isinstance(paths, (str, Path)) else paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in SUFFIXES and f.is_file()
                           and not any(part.startswith(".") for part in f.relative_to(p).parts))
            if not found:
                raise located(p, None, f"holds no bill files ({', '.join(SUFFIXES)})")
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise located(p, None, "not found")
    if not out:
        raise InputError("no bill files given")
    return out


def _text(path: Path) -> str:
    from voyager_analysis.files import read_input_bytes

    try:
        text = read_input_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise located(path, f"byte {exc.start}", "is not UTF-8 text") from None
    if "\x00" in text:
        raise located(path, None, "holds NUL bytes: not a bill")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def detect_format(text: str, path) -> str:
    """The bill format of a file's content (one of :data:`FORMATS`), or a one-line error."""
    from voyager_analysis.sources.bills import claude, focus, stripe

    if text.lstrip().startswith("{"):
        try:
            doc = load_json(text, path)
        except InputError:
            if focus.looks_like_focus(focus.columns_of(text)):
                return "focus"  # JSON Lines
            raise
        if stripe.is_stripe_page(doc):
            return "stripe"
        kind = claude.kind_of_page(doc)
        if kind:
            return kind
        if isinstance(doc, dict) and focus.looks_like_focus(doc):
            return "focus"
    elif focus.looks_like_focus(focus.columns_of(text)):
        return "focus"
    raise located(path, None, "is not a bill in a known format (Claude cost/usage report page, FOCUS CSV or "
                              "JSON Lines, Stripe balance transactions page); use --format to force one")


def read_bill(path, *, format: str | None = None, vendors: Vendors | None = None) -> Parsed:
    """Read one bill file (an empty file is an empty bill)."""
    from voyager_analysis.sources.bills import claude, focus, stripe

    path = Path(path)
    vendors = vendors or load_vendors()
    text = _text(path)
    if not text.strip():
        return Parsed(path, "empty")
    kind = format or detect_format(text, path)
    if kind not in FORMATS:
        raise InputError(f"unknown bill format '{kind}'; valid: {', '.join(FORMATS)}")
    if kind == "focus":
        return focus.read_focus(path, text, vendors)
    doc = load_json(text, path)
    reader = {"claude-cost": claude.read_cost_page, "claude-usage": claude.read_usage_page,
              "stripe": stripe.read_stripe_page}[kind]
    return reader(path, doc, vendors)


def check_double_counting(parsed: list[Parsed]) -> None:
    """Refuse two files that cover the same column on the same days, or hold the same Stripe transaction."""
    seen: dict[str, Parsed] = {}
    for p in parsed:
        for tx in p.ids:
            if tx in seen:
                raise InputError(f"double counting: {display_path(seen[tx].path)} and {display_path(p.path)} "
                                 f"both hold Stripe transaction {tx}")
            seen[tx] = p
    by_column = defaultdict(list)
    for p in parsed:
        for column, spans in _merged(p.coverage).items():
            by_column[column].extend((start, end, p) for start, end in spans)
    for column, spans in sorted(by_column.items()):
        spans.sort(key=lambda s: (s[0], s[1]))
        reach, owner = None, None
        for start, end, p in spans:
            if reach is not None and start < reach and owner is not p:
                raise InputError(f"double counting: {display_path(owner.path)} and {display_path(p.path)} both "
                                 f"cover {column} on {start.date().isoformat()}")
            if reach is None or end > reach:
                reach, owner = end, p


def _merged(coverage) -> dict[str, list]:
    """Each column's covered intervals, sorted and merged (overlaps inside one file are not double counting)."""
    spans = defaultdict(list)
    for column, start, end in sorted(coverage):
        s = spans[column]
        if s and start <= s[-1][1]:
            s[-1] = (s[-1][0], max(s[-1][1], end))
        else:
            s.append((start, end))
    return spans


def _partial_months(parsed: list[Parsed]) -> dict[str, list[str]]:
    """Per column, the months its bills cover only in part (from the covered intervals; Stripe has none)."""
    from datetime import datetime, timezone

    from voyager_analysis.months import add_months

    coverage = [c for p in parsed for c in p.coverage]
    out = {}
    for column, spans in _merged(coverage).items():
        months = sorted({m for p in parsed for m, c in p.totals if c == column})
        partial = []
        for m in months:
            lo = datetime(int(m[:4]), int(m[5:]), 1, tzinfo=timezone.utc)
            nxt = add_months(m, 1)
            hi = datetime(int(nxt[:4]), int(nxt[5:]), 1, tzinfo=timezone.utc)
            covered = sum(((min(e, hi) - max(s, lo)).total_seconds() for s, e in spans if s < hi and e > lo), 0.0)
            if covered < (hi - lo).total_seconds():
                partial.append(m)
        if partial:
            out[column] = partial
    return out


def read_bills(paths, *, format: str | None = None, vendors: Vendors | str | Path | None = None) -> Bills:
    """Read bill files and folders into a :class:`Bills` (errors name the file, the line and the problem)."""
    import pandas as pd

    from voyager_analysis.metrics import COST_COLUMNS
    from voyager_analysis.sources.bills.claude import TOKEN_COLUMNS

    if format is not None and format not in FORMATS:
        raise InputError(f"unknown bill format '{format}'; valid: {', '.join(FORMATS)}")
    named = [paths] if isinstance(paths, (str, Path)) else list(paths)
    vendors = vendors if isinstance(vendors, Vendors) else load_vendors(vendors)
    parsed = [read_bill(f, format=format, vendors=vendors) for f in bill_files(named)]
    check_double_counting(parsed)
    totals = defaultdict(dict)
    for p in parsed:
        for (month, column), value in p.totals.items():
            totals[column][month] = totals[column].get(month, 0) + value
    order = [*COST_COLUMNS, "gross_revenue_usd", *TOKEN_COLUMNS]
    columns = [c for c in order if c in totals]
    months = sorted({m for c in columns for m in totals[c]})
    monthly = pd.DataFrame({"month": months})
    for c in columns:
        monthly[c] = [float(totals[c][m]) if m in totals[c] else float("nan") for m in months]
    lines = [ln for p in parsed for ln in p.lines]
    keys = ["month", "model", "token_type", "cost_type", "service_tier", "context_window"]
    if lines:
        frame = pd.DataFrame(lines)
        frame[keys[1:]] = frame[keys[1:]].fillna("")
        breakdown = frame.groupby(keys, sort=True)["cost_usd"].sum().reset_index()
        breakdown["cost_usd"] = breakdown["cost_usd"].map(float)
    else:
        breakdown = pd.DataFrame(columns=[*keys, "cost_usd"])
    files = [{"path": display_path(p.path), "format": p.format,
              "months": sorted({m for m, _ in p.totals}), "ignored_lines": p.ignored} for p in parsed]
    out = Bills(monthly, breakdown, files, _partial_months(parsed))
    monthly.attrs["source"] = ", ".join(display_path(Path(p)) for p in named)
    return out


def monthly_bills(paths, *, format: str | None = None, vendors=None):
    """The monthly table of :func:`read_bills` (a DataFrame: ``month`` and the columns the bills give)."""
    return read_bills(paths, format=format, vendors=vendors).monthly


def claude_cost_breakdown(paths, *, vendors=None):
    """Claude cost by month, model, token type, cost type, service tier and context window (USD), from cost
    report pages grouped by ``description`` (for the routing notebook)."""
    return read_bills(paths, format=None, vendors=vendors).claude_breakdown


def join_bills(metrics_df, bills_df):
    """See :func:`voyager_analysis.sources.bills.join.join_bills`."""
    from voyager_analysis.sources.bills.join import join_bills as _join

    return _join(metrics_df, bills_df)


__all__ = ["FORMATS", "Bills", "bill_files", "detect_format", "read_bill", "read_bills", "monthly_bills",
           "claude_cost_breakdown", "join_bills", "check_double_counting", "load_vendors"]
