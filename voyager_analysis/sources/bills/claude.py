"""Claude (Anthropic Admin API) cost and usage report pages, as the API returns them.

Cost report (``GET /v1/organizations/cost_report``): ``{"data": [bucket...], "has_more": bool, "next_page":
str|null}``; a bucket has ``starting_at``, ``ending_at`` (RFC 3339) and ``results``; a result has ``amount`` — a
decimal STRING in the currency's lowest unit (cents: ``"123.45"`` is $1.2345) — ``currency`` (``USD``),
``cost_type``, ``description``, ``model``, ``token_type``, ``service_tier``, ``context_window``,
``workspace_id`` (the descriptive fields are null unless the report was grouped by ``description``).
→ ``cost_claude_usd`` by UTC month of ``starting_at``, and the result lines for a per-model breakdown.

Usage report (``GET /v1/organizations/usage_report/messages``): the same envelope; a result has
``uncached_input_tokens``, ``cache_read_input_tokens``, ``cache_creation`` (``ephemeral_5m_input_tokens``,
``ephemeral_1h_input_tokens``), ``output_tokens`` and, grouped by model, ``model``.
→ ``input_tokens`` (uncached + cache reads + cache writes, the metrics table's definition),
``cache_read_tokens``, ``cache_write_tokens``, ``output_tokens``.
"""

from __future__ import annotations

from decimal import Decimal

from voyager_analysis.errors import located, preview
from voyager_analysis.sources.bills.common import (
    Parsed, Vendors, decimal_amount, month_of, parse_time, token_count,
)

COST_COLUMN = "cost_claude_usd"
TOKEN_COLUMNS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")
#: The descriptive fields of a cost result kept in the per-model breakdown.
BREAKDOWN_FIELDS = ("model", "token_type", "cost_type", "service_tier", "context_window", "description",
                    "workspace_id")
CENTS_PER_USD = Decimal(100)
MAX_LINE_CENTS = Decimal("1e12")


def _buckets(path, doc):
    """The page's buckets as ``(where, start, end, results)``, after checking the documented envelope."""
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list) or not isinstance(doc.get("has_more"), bool) \
            or doc.get("object") == "list":  # a Stripe page
        raise located(path, None, "is not a Claude report page (expected an object with a data list and has_more)")
    starts = set()
    for i, bucket in enumerate(doc["data"], start=1):
        where = f"bucket {i}"
        if not isinstance(bucket, dict):
            raise located(path, where, "is not an object")
        start = parse_time(bucket.get("starting_at"), path=path, where=where, field_name="starting_at")
        where = f"bucket {i} ({bucket['starting_at']})"
        if start in starts:
            raise located(path, where, "a bucket with this starting_at appears earlier in the page (double counting)")
        starts.add(start)
        end = parse_time(bucket.get("ending_at"), path=path, where=where, field_name="ending_at")
        if end <= start:
            raise located(path, where, "ending_at is not after starting_at")
        results = bucket.get("results")
        if not isinstance(results, list):
            raise located(path, where, "results must be a list")
        yield where, start, end, results


def read_cost_page(path, doc, vendors: Vendors) -> Parsed:
    out = Parsed(path, "claude-cost")
    for where, start, end, results in _buckets(path, doc):
        month = month_of(start)
        out.coverage.append((COST_COLUMN, start, end))
        out.add(month, COST_COLUMN, Decimal(0))  # a bucket with no results is a day billed at zero
        for j, r in enumerate(results, start=1):
            at = f"{where}: result {j}"
            if not isinstance(r, dict) or "amount" not in r:
                raise located(path, at, "has no amount")
            if not isinstance(r["amount"], str):  # documented as a decimal string; a bare number is a changed API
                raise located(path, at, f"amount must be a decimal string in cents, got {preview(repr(r['amount']))}")
            cents = decimal_amount(r["amount"], path=path, where=at, field_name="amount", limit=MAX_LINE_CENTS)
            usd = vendors.to_usd(cents / CENTS_PER_USD, r.get("currency"), path=path, where=at)
            out.add(month, COST_COLUMN, usd)
            out.lines.append({"month": month, "cost_usd": usd,
                              **{k: None if r.get(k) is None else str(r.get(k)) for k in BREAKDOWN_FIELDS}})
    return out


def read_usage_page(path, doc, vendors: Vendors) -> Parsed:
    out = Parsed(path, "claude-usage")
    for where, start, end, results in _buckets(path, doc):
        month = month_of(start)
        for c in TOKEN_COLUMNS:
            out.coverage.append((c, start, end))
            out.add(month, c, 0)
        for j, r in enumerate(results, start=1):
            at = f"{where}: result {j}"
            if not isinstance(r, dict):
                raise located(path, at, "is not an object")
            creation = r.get("cache_creation") or {}
            if not isinstance(creation, dict):
                raise located(path, at, "cache_creation must be an object")
            n = {k: token_count(r.get(k), path=path, where=at, field_name=k)
                 for k in ("uncached_input_tokens", "cache_read_input_tokens", "output_tokens")}
            write = sum(token_count(creation.get(k), path=path, where=at, field_name=f"cache_creation.{k}")
                        for k in ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"))
            out.add(month, "input_tokens", n["uncached_input_tokens"] + n["cache_read_input_tokens"] + write)
            out.add(month, "cache_read_tokens", n["cache_read_input_tokens"])
            out.add(month, "cache_write_tokens", write)
            out.add(month, "output_tokens", n["output_tokens"])
    return out


def kind_of_page(doc) -> str | None:
    """``claude-cost`` / ``claude-usage`` from a page's content, or None when it is not a Claude page (an
    empty page is a cost page: it adds nothing either way)."""
    if not (isinstance(doc, dict) and isinstance(doc.get("data"), list) and "has_more" in doc
            and doc.get("object") != "list"):
        return None
    for bucket in doc["data"]:
        for r in (bucket.get("results") or []) if isinstance(bucket, dict) else []:
            if isinstance(r, dict) and "amount" in r:
                return "claude-cost"
            if isinstance(r, dict) and ({"uncached_input_tokens", "output_tokens", "cache_creation"} & set(r)):
                return "claude-usage"
    return "claude-cost"
