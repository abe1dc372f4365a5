"""Download vendor bills for a scheduled run: Anthropic cost and usage reports, Vercel FOCUS charges, Stripe
balance transactions — saved as the vendors' own pages, which :mod:`voyager_analysis.sources.bills` reads.

* **Keys** come from the environment only (:data:`VENDORS`: ``ANTHROPIC_ADMIN_API_KEY``, ``VERCEL_TOKEN``,
  ``STRIPE_API_KEY``) and never appear in output, errors or saved pages (a page that echoes the key is saved
  with ``***`` in its place). Plain ``http://`` is refused except to the loopback address (tests, a local
  proxy), so a key never crosses a network unencrypted; redirects are not followed (they would carry it).
* **Pagination** is followed (Anthropic ``next_page``, Stripe ``starting_after``); Vercel's endpoint has
  none, so it is asked one calendar month at a time.
* **Retries**: 429 waits what ``retry-after`` says (at most :data:`MAX_WAIT_S`); 5xx and a dropped connection
  back off exponentially from ``backoff_s``; at most ``max_retries`` retries per page, then one error line.
  401/403 is one line naming the vendor and the environment variable.
* **Resume**: pages are saved under deterministic names (``<vendor>/<endpoint>_<from>_<to>_p0001.json``)
  through a temporary file and a rename; a page already saved is read back instead of asked for again, so
  a run that stopped half-way continues where it stopped and never duplicates a page.

HTTP: Stripe through its maintained SDK (``stripe.StripeClient``, whose ``base_addresses`` points it at any
base URL); Anthropic and Vercel, which have no SDK covering these endpoints, through ``urllib.request`` from
the standard library (no extra dependency; one client for both). Retries are ours for all three (the SDK's
own are turned off) so that one policy, tested once, applies everywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from voyager_analysis.errors import InputError, display_path, located, preview

#: vendor -> (environment variable holding the key, default base URL)
VENDORS = {
    "anthropic": ("ANTHROPIC_ADMIN_API_KEY", "https://api.anthropic.com"),
    "vercel": ("VERCEL_TOKEN", "https://api.vercel.com"),
    "stripe": ("STRIPE_API_KEY", "https://api.stripe.com"),
}
ANTHROPIC_VERSION = "2023-06-01"
#: The Anthropic reports asked for: name -> (path, query). Cost grouped by description gives the model,
#: token type, cost type, service tier and context window of each line; usage grouped by model.
ANTHROPIC_REPORTS = {
    "cost_report": ("/v1/organizations/cost_report",
                    [("group_by[]", "workspace_id"), ("group_by[]", "description"), ("bucket_width", "1d"),
                     ("limit", "31")]),
    "usage_report": ("/v1/organizations/usage_report/messages",
                     [("group_by[]", "model"), ("bucket_width", "1d"), ("limit", "31")]),
}
STRIPE_PAGE_SIZE = 100
MAX_WAIT_S = 300.0
MAX_PAGES = 10_000
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class FetchError(InputError):
    """A download that cannot go on (refused key, retries exhausted, a malformed page): one line, exit 2."""


@dataclass
class FetchReport:
    """What one fetch did: pages saved, pages already present (skipped), requests and retries made."""

    vendor: str
    out: str
    start: str
    end: str
    saved: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    requests: int = 0
    retries: int = 0

    def to_dict(self) -> dict:
        return {"vendor": self.vendor, "out": self.out, "from": self.start, "to": self.end,
                "pages_saved": len(self.saved), "pages_already_present": len(self.skipped),
                "requests": self.requests, "retries": self.retries, "saved": self.saved, "skipped": self.skipped}


@dataclass
class _Policy:
    backoff_s: float
    max_retries: int
    timeout_s: float
    sleep: object


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise InputError(f"{option} must be a date YYYY-MM-DD, got '{preview(str(text))}'") from None


def fetch(vendor: str, start: date, end: date, out, *, base_url: str | None = None, environ=None,
          backoff_s: float = 1.0, max_retries: int = 5, timeout_s: float = 60.0, sleep=None,
          team_id: str | None = None) -> FetchReport:
    """Download ``vendor``'s bills for the UTC days ``start`` (inclusive) to ``end`` (exclusive) into ``out``."""
    import os
    import time

    if vendor not in VENDORS:
        raise InputError(f"unknown vendor '{preview(vendor)}'; valid: {', '.join(VENDORS)}")
    if not end > start:
        raise InputError(f"--to ({end}) must be after --from ({start}); --to is exclusive")
    if not (backoff_s >= 0 and 0 <= max_retries <= 20):
        raise InputError("--backoff-base must be >= 0 and --max-retries between 0 and 20")
    env, default_base = VENDORS[vendor]
    key = (os.environ if environ is None else environ).get(env, "").strip()
    if not key:
        raise FetchError(f"{vendor}: set the environment variable {env} to an API key (it is read from there only)")
    base = _check_base(base_url or default_base)
    out = Path(out)
    report = FetchReport(vendor, display_path(out), start.isoformat(), end.isoformat())
    policy = _Policy(float(backoff_s), int(max_retries), float(timeout_s), sleep or time.sleep)
    if vendor == "anthropic":
        send = _urllib_sender({"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}, policy.timeout_s)
        for name, (path, query) in ANTHROPIC_REPORTS.items():
            params = [("starting_at", _rfc3339(start)), ("ending_at", _rfc3339(end)), *query]

            def page(cursor, path=path, params=params):
                return send(base + path + "?" + _query(params + ([("page", cursor)] if cursor else [])))

            _paginate(out / vendor, f"{name}_{start}_{end}", name, page, _anthropic_next, key, env, policy, report)
    elif vendor == "vercel":
        send = _urllib_sender({"Authorization": f"Bearer {key}"}, policy.timeout_s)
        for lo, hi in _month_chunks(start, end):
            params = [("from", _rfc3339(lo)), ("to", _rfc3339(hi))] + ([("teamId", team_id)] if team_id else [])
            target = out / vendor / f"charges_{lo}_{hi}.jsonl"
            if target.exists():
                report.skipped.append(display_path(target))
                continue
            body = _with_retries(lambda: send(base + "/v1/billing/charges?" + _query(params)), key, env,
                                 f"charges {lo}", policy, report)
            _check_jsonl(body, vendor, f"charges {lo}")
            _save(target, body, key, report)
    else:
        send = _stripe_sender(key, base)
        created = {"gte": _unix(start), "lt": _unix(end)}

        def page(cursor):
            params = {"limit": STRIPE_PAGE_SIZE, "created": created, **({"starting_after": cursor} if cursor else {})}
            return send(params)

        _paginate(out / vendor, f"balance_transactions_{start}_{end}", "balance_transactions", page, _stripe_next,
                  key, env, policy, report)
    return report


# --- pagination, retries, saving ----------------------------------------------------------------------------

def _paginate(folder: Path, stem: str, endpoint: str, page, next_cursor, key, env, policy, report) -> None:
    """Ask for pages until ``has_more`` is false; a page saved before is read back, not asked for."""
    vendor = report.vendor
    cursor, seen = None, set()
    for n in range(1, MAX_PAGES + 1):
        target = folder / f"{stem}_p{n:04d}.json"
        what = f"{endpoint} page {n}"
        if target.exists():
            doc = _page_doc(target.read_text(encoding="utf-8"), vendor, what, saved=target)
            report.skipped.append(display_path(target))
        else:
            body = _with_retries(lambda: page(cursor), key, env, what, policy, report)
            doc = _page_doc(body, vendor, what)
            _save(target, body, key, report)
        cursor = next_cursor(doc, vendor, what)
        if cursor is None:
            return
        if cursor in seen:
            raise FetchError(f"{vendor}: {what}: the API returned a cursor it had returned before (pagination loop)")
        seen.add(cursor)
    raise FetchError(f"{report.vendor}: more than {MAX_PAGES} pages; fetch a shorter --from/--to range")


def _page_doc(text: str, vendor: str, what: str, saved: Path | None = None) -> dict:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list) or not isinstance(doc.get("has_more"), bool):
        if saved is not None:
            raise located(saved, None, "a saved page is malformed; delete it and fetch again")
        raise FetchError(f"{vendor}: {what}: the API returned a malformed page (no data list / has_more)")
    return doc


def _anthropic_next(doc, vendor, what):
    if not doc["has_more"]:
        return None
    cursor = doc.get("next_page")
    if not isinstance(cursor, str) or not cursor:
        raise FetchError(f"{vendor}: {what}: has_more is true but next_page is missing")
    return cursor


def _stripe_next(doc, vendor, what):
    if not doc["has_more"]:
        return None
    last = doc["data"][-1] if doc["data"] else None
    if not isinstance(last, dict) or not isinstance(last.get("id"), str):
        raise FetchError(f"{vendor}: {what}: has_more is true but the page has no last transaction id")
    return last["id"]


def _check_jsonl(body: str, vendor: str, what: str) -> None:
    for n, line in enumerate(body.splitlines(), start=1):
        if line.strip():
            try:
                ok = isinstance(json.loads(line), dict)
            except (ValueError, RecursionError):
                ok = False
            if not ok:
                raise FetchError(f"{vendor}: {what}: line {n} of the response is not a JSON object")


def _save(target: Path, body: str, key: str, report) -> None:
    from voyager_analysis.files import write_text_atomic

    write_text_atomic(target, body.replace(key, "***") if key in body else body)
    report.saved.append(display_path(target))


def _with_retries(send, key, env, what, policy, report) -> str:
    vendor = report.vendor
    for attempt in range(policy.max_retries + 1):
        report.requests += 1
        status, headers, body = send()
        if 200 <= status < 300:
            return body
        if status in (401, 403):
            raise FetchError(f"{vendor}: the API refused the key (HTTP {status}); check the environment variable {env}")
        if not (status == 0 or status == 429 or status >= 500):
            raise FetchError(f"{vendor}: {what}: HTTP {status} from the API (not retried)")
        if attempt == policy.max_retries:
            got = "no response" if status == 0 else f"HTTP {status}"
            raise FetchError(f"{vendor}: {what}: {got} after {policy.max_retries} retries; run the same command "
                             "again later to resume (saved pages are kept)")
        wait = _retry_after(headers)
        if wait is None:
            wait = policy.backoff_s * 2 ** attempt
        report.retries += 1
        policy.sleep(min(wait, MAX_WAIT_S))
    raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(headers) -> float | None:
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


# --- the two HTTP clients -----------------------------------------------------------------------------------

def _urllib_sender(headers: dict, timeout_s: float):
    """``send(url) -> (status, headers, text)``; status 0 for no response. Redirects are refused."""
    import http.client
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def send(url: str):
        request = urllib.request.Request(url, headers={**headers, "Accept": "application/json",
                                                       "User-Agent": "voyager-analysis-fetch"})
        try:
            with opener.open(request, timeout=timeout_s) as resp:
                return resp.status, dict(resp.headers), resp.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers or {}), ""
        except (urllib.error.URLError, OSError, http.client.HTTPException, UnicodeDecodeError):
            return 0, {}, ""

    return send


def _stripe_sender(key: str, base: str):
    """``send(params) -> (status, headers, raw page text)`` through the Stripe SDK (its own retries off)."""
    try:
        import stripe
    except ImportError:
        raise InputError("fetch stripe needs the stripe package (pip install stripe)") from None
    stripe.enable_telemetry = False
    client = stripe.StripeClient(key, base_addresses={"api": base}, max_network_retries=0)

    def send(params: dict):
        try:
            page = client.v1.balance_transactions.list(params=params)
        except stripe.APIConnectionError:
            return 0, {}, ""
        except stripe.StripeError as exc:
            return int(exc.http_status or 0), dict(exc.headers or {}), ""
        return 200, {}, page.last_response.body

    return send


# --- small helpers ------------------------------------------------------------------------------------------

def _check_base(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        raise InputError("--base-url must be an http(s)://HOST[:PORT] URL without credentials")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise InputError("--base-url: plain http is allowed only to the loopback address; use https")
    return url.rstrip("/")


def _rfc3339(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _unix(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())


def _query(params) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def _month_chunks(start: date, end: date):
    lo = start
    while lo < end:
        nxt = (lo.replace(day=1) + timedelta(days=32)).replace(day=1)
        hi = min(nxt, end)
        yield lo, hi
        lo = hi
