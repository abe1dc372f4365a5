"""The synthetic company's bills: seeded vendor records in the vendors' own formats, made from its events.

Written by :func:`write_example_bills` into one folder (read back by :mod:`voyager_analysis.sources.bills`):

* ``claude/cost_report_NNN.json`` — Anthropic cost report pages (daily buckets, 31 per page, grouped by
  description): the events' token sums per UTC day, model, token type and service tier (batch or standard)
  times the list prices of ``data/prices`` (the model's current row of its role; cache reads and writes at
  the price table's multipliers; batch at its discount). Exact: no noise (a usage-priced bill is usage x price).
* ``focus/focus_1_3.csv`` — a FOCUS 1.3 export with one line per month and vendor (Vercel, Neon, Upstash,
  Inngest, AWS S3, Algolia, Sentry): the modelled cost the caller gives (``voyager-analysis example-data``
  evaluates the cost equations of :mod:`voyager_analysis.costs` at the month's derived usage) times seeded
  log-normal noise (``FOCUS_NOISE_SD``). A month before a service is used is billed at zero.
* ``stripe/balance_transactions_NNN.json`` — Stripe balance transaction pages (100 per page): one ``charge``
  per subscription and month of its life (on the start's day of month), fee = the list card percentage +
  fixed fee of ``data/prices``, and a seeded ``REFUND_SHARE`` of charges refunded a few days later.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from voyager_analysis import config
from voyager_analysis.errors import InputError

FOCUS_NOISE_SD = 0.03
REFUND_SHARE = 0.01
DAY_S = 86_400
#: FOCUS provider / service of each component billed through FOCUS (data/assumptions/vendors.yaml maps them back).
FOCUS_VENDORS = {"vercel": ("Vercel", "Vercel Functions"), "neon": ("Neon", "Neon Postgres"),
                 "upstash": ("Upstash", "Upstash Redis"), "inngest": ("Inngest", "Inngest"),
                 "s3": ("Amazon Web Services", "Amazon Simple Storage Service"), "search": ("Algolia", "Algolia Search"),
                 "monitoring": ("Sentry", "Sentry")}
TOKEN_TYPES = (("input_tokens", "uncached_input_tokens"), ("cache_read_input_tokens", "cache_read_input_tokens"),
               ("cache_creation_input_tokens", "cache_creation.ephemeral_5m_input_tokens"),
               ("output_tokens", "output_tokens"))


def _price_row(prices, model: str):
    """The price row of an event's model id: its role's current model (``claude-haiku-4-5`` -> haiku)."""
    role = next((r for r in ("haiku", "sonnet", "opus") if r in model.lower()), None)
    if role is None:
        raise InputError(f"example bills: no price role for model '{model}'")
    return prices.model(prices.default_model(role))


def _usd_per_token(row, token_type: str, batch: bool) -> float:
    base = float(row.output_usd_per_mtok if token_type == "output_tokens" else row.input_usd_per_mtok) / 1e6
    multiplier = {"cache_read_input_tokens": float(row.cache_read_multiplier),
                  "cache_creation_input_tokens": float(row.cache_write_5m_multiplier)}.get(token_type, 1.0)
    return base * multiplier * ((1 - float(row.batch_discount)) if batch else 1.0)


def _query(events, sql: str):
    """A DuckDB query over the example folder's Parquet tables (``{name}`` in ``sql`` is a table), as a frame."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        names = {t: "read_parquet('" + str(Path(events) / f"{t}.parquet").replace("'", "''") + "')"
                 for t in ("messages", "subscriptions")}
        return con.execute(sql.format(**names)).df()
    finally:
        con.close()


def claude_daily_usage(events):
    """Token sums per UTC day, model and batch flag (a DataFrame), aggregated by DuckDB from ``messages``."""
    sums = ", ".join(f"SUM({c}) AS {c}" for c, _ in TOKEN_TYPES)
    return _query(events, f"""SELECT strftime(created_at, '%Y-%m-%d') AS day, model, batch, {sums}
        FROM {{messages}} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""")


def claude_cost_pages(usage, prices, first_day: str, end_day: str, per_page: int = 31) -> list[dict]:
    """Cost report pages (the API's envelope; ``amount`` a decimal string in cents) from daily token sums: one
    bucket per UTC day from ``first_day`` to before ``end_day`` (a day without messages has no results)."""
    import pandas as pd

    by_day = {day: rows for day, rows in usage.groupby("day", sort=True)}
    buckets = []
    for start in pd.date_range(first_day, end_day, freq="D", tz="UTC", inclusive="left"):
        rows = by_day.get(start.strftime("%Y-%m-%d"), usage.iloc[:0])
        results = []
        for r in rows.itertuples(index=False):
            price = _price_row(prices, r.model)
            for column, token_type in TOKEN_TYPES:
                cents = float(getattr(r, column)) * _usd_per_token(price, column, bool(r.batch)) * 100
                results.append({"amount": f"{cents:.4f}", "currency": "USD", "cost_type": "tokens",
                                "description": f"{r.model} {token_type}", "model": r.model, "token_type": token_type,
                                "service_tier": "batch" if r.batch else "standard", "context_window": "0-200k",
                                "workspace_id": None})
        buckets.append({"starting_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "ending_at": (start + pd.Timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "results": results})
    pages = [buckets[i:i + per_page] for i in range(0, len(buckets), per_page)] or [[]]
    return [{"data": page, "has_more": i < len(pages) - 1, "next_page": f"page_{i + 2}" if i < len(pages) - 1 else None}
            for i, page in enumerate(pages)]


def focus_rows(modelled, rng) -> list[dict]:
    """FOCUS 1.3 lines, one per month and vendor: ``modelled`` (``month`` and one column per component of
    :data:`FOCUS_VENDORS`, USD) times seeded log-normal noise, to the cent."""
    from voyager_analysis.months import add_months

    rows = []
    for m in modelled.itertuples(index=False):
        end = add_months(m.month, 1)
        for component, (provider, service) in FOCUS_VENDORS.items():
            cost = float(getattr(m, component)) * float(np.exp(rng.normal(0.0, FOCUS_NOISE_SD)))
            rows.append({"BillingAccountId": "acct-voyager-example", "BillingCurrency": "USD",
                         "ChargeCategory": "Usage", "ChargePeriodStart": f"{m.month}-01T00:00:00Z",
                         "ChargePeriodEnd": f"{end}-01T00:00:00Z", "ServiceProviderName": provider,
                         "ProviderName": provider, "ServiceName": service, "BilledCost": f"{cost:.2f}",
                         "EffectiveCost": f"{cost:.2f}"})
    return rows


def stripe_transactions(subscriptions, end_s: int, prices, rng) -> list[dict]:
    """Balance transactions: a charge per subscription month (until it ends), its fee, a few refunds."""
    percent = prices.service("stripe_card_percent").price_usd
    fixed_cents = round(prices.service("stripe_card_fixed").price_usd * 100)
    txs = []
    from datetime import datetime, timezone

    import pandas as pd

    for s in subscriptions.itertuples(index=False):
        start = datetime.fromtimestamp(int(s.started_s), tz=timezone.utc)
        stop = end_s if pd.isna(s.ended_s) else min(int(s.ended_s), end_s)
        amount = round(float(s.monthly_price_usd) * 100)
        k = 0
        while True:
            y, mo = divmod(start.month - 1 + k, 12)
            day = min(start.day, 28)  # a charge on the 29th-31st moves to the 28th in short months
            t = int(start.replace(year=start.year + y, month=mo + 1, day=day if k else start.day).timestamp())
            if t >= stop:
                break
            fee = round(amount * percent) + fixed_cents
            tx_id = f"txn_{s.subscription_id}_{k + 1}"
            txs.append({"id": tx_id, "object": "balance_transaction", "amount": amount, "fee": fee,
                        "net": amount - fee, "currency": "usd", "created": t, "type": "charge",
                        "reporting_category": "charge",
                        "fee_details": [{"amount": fee, "currency": "usd", "type": "stripe_fee"}]})
            if rng.random() < REFUND_SHARE:
                r = t + int(rng.integers(1, 8)) * DAY_S
                if r < end_s:
                    txs.append({"id": f"{tx_id}_refund", "object": "balance_transaction", "amount": -amount, "fee": 0,
                                "net": -amount, "currency": "usd", "created": r, "type": "refund",
                                "reporting_category": "refund", "fee_details": []})
            k += 1
    txs.sort(key=lambda tx: (-tx["created"], tx["id"]))  # the API lists newest first
    return txs


def check_bills_folder(out) -> Path:
    """``out`` as a Path, if it may receive example bills: absent, empty, or an earlier example bills folder."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "claude").is_dir())):
        raise InputError(f"{out}: exists and is not an example bills folder; choose another folder")
    return out


def write_example_bills(events, out, modelled, *, prices, seed: int = config.DEFAULT_SEED) -> dict:
    """Write the company's Claude, FOCUS and Stripe bills into folder ``out`` (replaced whole, atomically).

    ``events`` is the example event folder (Parquet); ``modelled`` the monthly costs of the FOCUS vendors at
    the usage derived from it (``month`` and a column per component of :data:`FOCUS_VENDORS`: the cost
    equations, evaluated by the caller — this layer does not import the models); ``prices`` a PriceBook.
    The months billed are those of ``modelled``. Returns counts of what was written.
    """
    import csv

    import pandas as pd

    rng = np.random.default_rng(seed)
    out = check_bills_folder(out)
    subs = _query(events, "SELECT subscription_id, epoch(started_at)::BIGINT AS started_s, "
                          "epoch(ended_at)::BIGINT AS ended_s, monthly_price_usd FROM {subscriptions} ORDER BY started_s, subscription_id")
    last = pd.Timestamp(f"{modelled['month'].iat[-1]}-01", tz="UTC") + pd.DateOffset(months=1)
    pages = claude_cost_pages(claude_daily_usage(events), prices, f"{modelled['month'].iat[0]}-01",
                              last.strftime("%Y-%m-%d"))
    focus = focus_rows(modelled, rng)
    txs = stripe_transactions(subs, int(last.timestamp()), prices, rng)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(0o755)
    try:
        for sub in ("claude", "focus", "stripe"):
            (tmp / sub).mkdir()
        for i, page in enumerate(pages, start=1):
            (tmp / "claude" / f"cost_report_{i:03d}.json").write_text(json.dumps(page) + "\n")
        with open(tmp / "focus" / "focus_1_3.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(focus[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(focus)
        stripe_pages = [txs[i:i + 100] for i in range(0, len(txs), 100)] or [[]]
        for i, page in enumerate(stripe_pages, start=1):
            doc = {"object": "list", "url": "/v1/balance_transactions", "has_more": i < len(stripe_pages), "data": page}
            (tmp / "stripe" / f"balance_transactions_{i:04d}.json").write_text(json.dumps(doc) + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"claude_pages": len(pages), "focus_lines": len(focus), "stripe_transactions": len(txs)}
