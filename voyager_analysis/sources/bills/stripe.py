"""Stripe balance transactions, as list pages of ``GET /v1/balance_transactions``.

A page is ``{"object": "list", "data": [transaction...], "has_more": bool}``; a transaction has ``id``,
``amount``, ``fee``, ``net`` (integers in the currency's smallest unit: cents for USD), ``currency``
(lower case), ``created`` (Unix seconds), ``type``, ``reporting_category`` and ``fee_details``.

By UTC month of ``created``:

* ``cost_stripe_usd`` — what Stripe kept: the ``fee`` of every transaction (negative when a fee is
  returned), plus the transactions that are themselves fees (``reporting_category`` ``fee``, e.g. Billing or
  Radar fees charged separately, whose ``amount`` is negative).
* ``gross_revenue_usd`` — charges minus refunds: the ``amount`` of ``charge``, ``refund`` (negative) and
  ``partial_capture_reversal`` (negative) transactions. Disputes, payouts, transfers and fees are not revenue.

A transaction id seen twice (in one file or two) is double counting and an error.
"""

from __future__ import annotations

from decimal import Decimal

from voyager_analysis.errors import located, preview
from voyager_analysis.sources.bills.common import Parsed, Vendors, from_unix, month_of

FEE_COLUMN = "cost_stripe_usd"
REVENUE_COLUMN = "gross_revenue_usd"
REVENUE_CATEGORIES = frozenset({"charge", "refund", "partial_capture_reversal"})
#: Stripe's zero-decimal currencies: amounts are whole units, not hundredths.
ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
                          "xaf", "xof", "xpf"})
MAX_AMOUNT_MINOR = 10**13


def is_stripe_page(doc) -> bool:
    return isinstance(doc, dict) and doc.get("object") == "list" and isinstance(doc.get("data"), list)


def _minor(tx: dict, key: str, *, path, where: str) -> int:
    value = tx.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_AMOUNT_MINOR:
        raise located(path, where, f"{key} must be a whole number of the currency's smallest unit, "
                                   f"got {preview(repr(value))}")
    return value


def read_stripe_page(path, doc, vendors: Vendors) -> Parsed:
    if not is_stripe_page(doc) or not isinstance(doc.get("has_more"), bool):
        raise located(path, None, "is not a Stripe list page (expected object 'list' with data and has_more)")
    out = Parsed(path, "stripe")
    for i, tx in enumerate(doc["data"], start=1):
        if not isinstance(tx, dict) or not isinstance(tx.get("id"), str) or not tx["id"]:
            raise located(path, f"transaction {i}", "has no id")
        where = f"transaction {i} ({preview(tx['id'])})"
        if tx.get("object", "balance_transaction") != "balance_transaction":
            raise located(path, where, f"is a {preview(str(tx.get('object')))}, not a balance_transaction")
        if tx["id"] in out.ids:
            raise located(path, where, "appears twice in this page (double counting)")
        out.ids[tx["id"]] = where
        month = month_of(from_unix(tx.get("created"), path=path, where=where, field_name="created"))
        currency = str(tx.get("currency") or "").lower()
        if not currency:
            raise located(path, where, "currency is missing")
        unit = Decimal(1) if currency in ZERO_DECIMAL else Decimal(100)
        fee = Decimal(_minor(tx, "fee", path=path, where=where)) / unit
        amount = Decimal(_minor(tx, "amount", path=path, where=where)) / unit
        category = tx.get("reporting_category")
        if category == "fee":
            fee -= amount
        out.add(month, FEE_COLUMN, vendors.to_usd(fee, currency, path=path, where=where))
        out.add(month, REVENUE_COLUMN, Decimal(0))  # a month with transactions but no charge had no revenue
        if category in REVENUE_CATEGORIES:
            out.add(month, REVENUE_COLUMN, vendors.to_usd(amount, currency, path=path, where=where))
    return out
