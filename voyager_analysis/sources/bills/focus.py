"""FOCUS cost and usage exports (FinOps Open Cost and Usage Specification 1.0-1.3), CSV or JSON Lines.

The columns read: ``EffectiveCost`` (the amortised cost after discounts, in ``BillingCurrency``),
``ChargePeriodStart`` (inclusive, UTC; it decides the month) and ``ChargePeriodEnd`` (exclusive; it decides
which days a file covers), ``BillingCurrency``, the provider — ``ServiceProviderName`` in 1.3,
``ProviderName`` in 1.0-1.2 (1.3 files may carry both; ``ServiceProviderName`` wins) — and ``ServiceName``.
Each line goes to the component that ``data/assumptions/vendors.yaml`` maps its provider/service to; a line
that maps to nothing is an error, a line mapped to ``ignore`` is left out and counted. This is how Vercel's
billing API (``GET /v1/billing/charges``, FOCUS 1.3 JSON Lines), AWS, Azure and Google Cloud export costs.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from voyager_analysis.errors import located, preview
from voyager_analysis.sources.bills.common import IGNORE, Parsed, Vendors, decimal_amount, month_of, parse_time

REQUIRED = ("ChargePeriodStart", "EffectiveCost", "BillingCurrency")
PROVIDER_COLUMNS = ("ServiceProviderName", "ProviderName")  # 1.3, then 1.0-1.2
#: Columns whose presence marks a file as FOCUS (two of them are enough to recognise a broken one).
MARKERS = frozenset({"ChargePeriodStart", "ChargePeriodEnd", "EffectiveCost", "BilledCost", "BillingCurrency",
                     "ProviderName", "ServiceProviderName", "ServiceName", "ChargeCategory", "BillingPeriodStart",
                     "BillingAccountId", "ListCost", "ContractedCost", "PublisherName", "InvoiceIssuerName"})


def looks_like_focus(columns) -> bool:
    return len(MARKERS & set(columns)) >= 2


def _rows(path, text: str):
    """``(where, row dict)`` from CSV or JSON Lines (told apart by the first non-blank character)."""
    body = text.lstrip()
    if body.startswith("{"):
        for n, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                yield f"line {n}", _json_line(line, path, n)
        return
    import csv
    import io

    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
        for i, cells in enumerate(reader, start=1):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise located(path, f"row {i}",
                              f"has {len(cells)} fields but the header has {len(header)} (malformed CSV)")
            yield f"row {i}", dict(zip(header, cells))
    except csv.Error as exc:
        raise located(path, None, f"malformed CSV ({preview(str(exc), 80)})") from None


def _json_line(line: str, path, n: int) -> dict:
    import json

    try:
        row = json.loads(line, parse_float=Decimal, parse_constant=_refuse)
    except (ValueError, RecursionError) as exc:
        raise located(path, f"line {n}", f"malformed JSON ({preview(str(exc).split(':')[0], 60)})") from None
    if not isinstance(row, dict):
        raise located(path, f"line {n}", "is not a JSON object")
    return row


def _refuse(name):
    raise ValueError(f"{name} is not a number")


def columns_of(text: str) -> list[str]:
    """The column names of a CSV header or of the first JSON Lines object ([] when neither)."""
    import csv
    import io
    import json

    first = next((ln for ln in text.split("\n") if ln.strip()), "")
    if first.lstrip().startswith("{"):
        try:
            row = json.loads(first, parse_float=Decimal, parse_constant=_refuse)
        except (ValueError, RecursionError):
            return []
        return list(row) if isinstance(row, dict) else []
    try:
        return [h.strip() for h in next(csv.reader(io.StringIO(first)), [])]
    except csv.Error:
        return []


def read_focus(path, text: str, vendors: Vendors) -> Parsed:
    out = Parsed(path, "focus")
    coverage = set()
    columns = columns_of(text)
    for name in REQUIRED:
        if name not in columns:
            raise located(path, "header", f"FOCUS column {name} is missing")
    if not any(p in columns for p in PROVIDER_COLUMNS):
        raise located(path, "header", "FOCUS column ServiceProviderName (1.3) or ProviderName (1.0-1.2) is missing")
    for where, row in _rows(path, text):
        provider = next((row[p] for p in PROVIDER_COLUMNS if row.get(p) not in (None, "")), None)
        if provider is None:
            raise located(path, where, "ServiceProviderName/ProviderName is empty")
        service = row.get("ServiceName") or None
        component = vendors.component(str(provider), None if service is None else str(service), path=path, where=where)
        cost = decimal_amount(row.get("EffectiveCost"), path=path, where=where, field_name="EffectiveCost")
        start = parse_time(row.get("ChargePeriodStart"), path=path, where=where, field_name="ChargePeriodStart")
        if component == IGNORE:
            out.ignored += 1
            continue
        usd = vendors.to_usd(cost, row.get("BillingCurrency"), path=path, where=where)
        end = row.get("ChargePeriodEnd")
        end = (parse_time(end, path=path, where=where, field_name="ChargePeriodEnd") if end
               else start + timedelta(days=1))
        if end <= start:
            raise located(path, where, "ChargePeriodEnd is not after ChargePeriodStart")
        column = f"cost_{component}_usd"
        out.add(month_of(start), column, usd)
        coverage.add((column, start, end))
    out.coverage = sorted(coverage)
    return out
