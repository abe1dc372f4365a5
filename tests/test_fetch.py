"""``fetch`` against a local HTTP server on 127.0.0.1 that replays pages in the vendors' documented shapes:
pagination over several pages, a 429 with retry-after, a 500, a 401, resuming, and a planted key that must
appear nowhere we write. No network."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from voyager_analysis.sources.bills import monthly_bills
from voyager_analysis.sources.fetch import FetchError, fetch, parse_day

KEY = "sk-PLANTED-fake-key-0123456789-do-not-leak"
D = parse_day


class Server:
    """A replaying server: ``handle(path, query, headers) -> (status, headers, body)``; every request is logged."""

    def __init__(self, handle):
        self.handle, self.log = handle, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                url = urlsplit(self.path)
                query = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(url.query).items()}
                outer.log.append((url.path, query, self.headers))
                status, headers, body = outer.handle(url.path, query, self.headers)
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def day(d):
    return f"{d}T00:00:00Z"


def cost_bucket(d, cents):
    from datetime import date, timedelta

    return {"starting_at": day(d), "ending_at": day((date.fromisoformat(d) + timedelta(days=1)).isoformat()),
            "results": [{"amount": cents, "currency": "USD", "cost_type": "tokens", "model": "claude-sonnet-4-5",
                         "token_type": "output_tokens", "description": "x", "service_tier": "standard",
                         "context_window": "0-200k", "workspace_id": None}]}


#: The cost report in three pages (cursor -> page); January 30 and 31 on page 1, February on pages 2 and 3.
COST_PAGES = {
    None: {"data": [cost_bucket("2026-01-30", "100.5"), cost_bucket("2026-01-31", "99.5")], "has_more": True,
           "next_page": "page_MjAyNi0wMi0wMQ=="},
    "page_MjAyNi0wMi0wMQ==": {"data": [cost_bucket("2026-02-01", "1000")], "has_more": True, "next_page": "page_3"},
    "page_3": {"data": [cost_bucket("2026-02-02", "250")], "has_more": False, "next_page": None},
}
USAGE_PAGE = {"data": [{"starting_at": day("2026-01-30"), "ending_at": day("2026-01-31"), "results": [
    {"uncached_input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 3, "model": "claude-sonnet-4-5",
     "cache_creation": {"ephemeral_5m_input_tokens": 1, "ephemeral_1h_input_tokens": 0}}]}],
    "has_more": False, "next_page": None}


def anthropic_handler(fail=None):
    """Cost pages with a 429 (retry-after 1) before page 1 and a 500 before page 2; ``fail(query)`` may override."""
    seen = {"429": False, "500": False}

    def handle(path, query, headers):
        if headers.get("x-api-key") != KEY:
            return 401, {}, {"type": "error", "error": {"type": "authentication_error", "message": f"bad key {KEY}"}}
        if fail and (answer := fail(path, query)):
            return answer
        if path == "/v1/organizations/usage_report/messages":
            return 200, {}, USAGE_PAGE
        assert path == "/v1/organizations/cost_report", path
        cursor = query.get("page")
        if cursor is None and not seen["429"]:
            seen["429"] = True
            return 429, {"retry-after": "1"}, {"type": "error", "error": {"type": "rate_limit_error"}}
        if cursor == "page_MjAyNi0wMi0wMQ==" and not seen["500"]:
            seen["500"] = True
            return 500, {}, {"type": "error", "error": {"type": "api_error"}}
        return 200, {}, COST_PAGES[cursor]

    return handle


def test_anthropic_pages_follow_pagination_and_retry_429_and_500(tmp_path):
    sleeps = []
    with Server(anthropic_handler()) as srv:
        rep = fetch("anthropic", D("2026-01-30", "--from"), D("2026-02-03", "--to"), tmp_path, base_url=srv.url,
                    environ={"ANTHROPIC_ADMIN_API_KEY": KEY}, backoff_s=0.25, sleep=sleeps.append)
    assert sleeps == [1.0, 0.25]  # retry-after honoured for the 429; backoff base for the 500
    assert (len(rep.saved), rep.requests, rep.retries) == (4, 6, 2)
    names = sorted(p.name for p in (tmp_path / "anthropic").iterdir())
    assert names == [f"cost_report_2026-01-30_2026-02-03_p000{i}.json" for i in (1, 2, 3)] + [
        "usage_report_2026-01-30_2026-02-03_p0001.json"]
    first = srv.log[0]
    assert first[0] == "/v1/organizations/cost_report"
    assert first[1]["starting_at"] == "2026-01-30T00:00:00Z" and first[1]["ending_at"] == "2026-02-03T00:00:00Z"
    assert first[1]["group_by[]"] == ["workspace_id", "description"] and first[2]["anthropic-version"]
    df = monthly_bills(tmp_path)
    # January: 100.5 + 99.5 cents = $2.00; February: 1000 + 250 cents = $12.50 (the page boundary in between)
    assert df.set_index("month")["cost_claude_usd"].to_dict() == pytest.approx({"2026-01": 2.00, "2026-02": 12.50})
    assert df.set_index("month")["input_tokens"]["2026-01"] == 16


def test_resume_after_a_failure_fetches_only_the_missing_pages(tmp_path):
    down = {"on": True}

    def fail(path, query):
        if down["on"] and query.get("page") == "page_3":
            return 503, {}, {"error": "unavailable"}
        return None

    env = {"ANTHROPIC_ADMIN_API_KEY": KEY}
    with Server(anthropic_handler(fail)) as srv:
        with pytest.raises(FetchError, match=r"anthropic: cost_report page 3: HTTP 503 after 2 retries"):
            fetch("anthropic", D("2026-01-30", ""), D("2026-02-03", ""), tmp_path, base_url=srv.url, environ=env,
                  max_retries=2, backoff_s=0, sleep=lambda s: None)
        assert len(list((tmp_path / "anthropic").iterdir())) == 2  # pages 1 and 2 kept
        down["on"] = False
        before = len(srv.log)
        rep = fetch("anthropic", D("2026-01-30", ""), D("2026-02-03", ""), tmp_path, base_url=srv.url, environ=env,
                    backoff_s=0, sleep=lambda s: None)
        again = srv.log[before:]
    assert [q.get("page") for p, q, h in again if p.endswith("cost_report")] == ["page_3"]  # pages 1-2 not re-asked
    assert len(rep.skipped) == 2 and len(rep.saved) == 2
    df = monthly_bills(tmp_path)  # no page twice: the hand sums hold
    assert df.set_index("month")["cost_claude_usd"].to_dict() == pytest.approx({"2026-01": 2.00, "2026-02": 12.50})
    rep = fetch("anthropic", D("2026-01-30", ""), D("2026-02-03", ""), tmp_path, base_url=srv.url, environ=env)
    assert rep.requests == 0 and rep.saved == []  # everything already there: nothing asked


def test_retries_are_bounded_and_a_pagination_loop_stops(tmp_path):
    with Server(lambda p, q, h: (500, {}, {})) as srv:
        with pytest.raises(FetchError, match="HTTP 500 after 3 retries"):
            fetch("anthropic", D("2026-01-01", ""), D("2026-01-02", ""), tmp_path, base_url=srv.url,
                  environ={"ANTHROPIC_ADMIN_API_KEY": KEY}, max_retries=3, backoff_s=0, sleep=lambda s: None)
    assert len(srv.log) == 4
    loop = {"data": [], "has_more": True, "next_page": "same"}
    with Server(lambda p, q, h: (200, {}, loop)) as srv:
        with pytest.raises(FetchError, match="pagination loop"):
            fetch("anthropic", D("2026-01-01", ""), D("2026-01-02", ""), tmp_path / "b", base_url=srv.url,
                  environ={"ANTHROPIC_ADMIN_API_KEY": KEY})
    assert len(srv.log) == 2


def test_a_redirect_is_not_followed(tmp_path):
    with Server(lambda p, q, h: (302, {"Location": "http://127.0.0.1:9/elsewhere"}, {})) as srv:
        with pytest.raises(FetchError, match="HTTP 302"):
            fetch("vercel", D("2026-01-01", ""), D("2026-01-02", ""), tmp_path, base_url=srv.url,
                  environ={"VERCEL_TOKEN": KEY})


def stripe_handler():
    txs = [{"id": f"txn_{i}", "object": "balance_transaction", "amount": 1000, "fee": 59, "net": 941,
            "currency": "usd", "created": 1768435200 + i, "type": "charge", "reporting_category": "charge",
            "fee_details": []} for i in range(5)]
    txs.append({"id": "txn_r", "object": "balance_transaction", "amount": -1000, "fee": 0, "net": -1000,
                "currency": "usd", "created": 1768435300, "type": "refund", "reporting_category": "refund",
                "fee_details": []})
    seen = {"429": False}

    def handle(path, query, headers):
        if headers.get("Authorization") != f"Bearer {KEY}":
            return 401, {}, {"error": {"type": "invalid_request_error", "message": f"Invalid API Key provided: {KEY}"}}
        assert path == "/v1/balance_transactions"
        assert query["created[gte]"] == "1767225600" and query["created[lt]"] == "1769904000"  # Jan 2026, UTC
        if not seen["429"]:
            seen["429"] = True
            return 429, {"Retry-After": "2"}, {"error": {"type": "rate_limit_error"}}
        start = 0 if "starting_after" not in query else [t["id"] for t in txs].index(query["starting_after"]) + 1
        page = txs[start:start + 2]  # two per page: three pages
        return 200, {}, {"object": "list", "url": "/v1/balance_transactions", "has_more": start + 2 < len(txs),
                         "data": page}

    return handle


def test_stripe_through_the_sdk_paginates_with_starting_after(tmp_path):
    pytest.importorskip("stripe")
    sleeps = []
    with Server(stripe_handler()) as srv:
        rep = fetch("stripe", D("2026-01-01", ""), D("2026-02-01", ""), tmp_path, base_url=srv.url,
                    environ={"STRIPE_API_KEY": KEY}, sleep=sleeps.append)
    assert sleeps == [2.0] and len(rep.saved) == 3
    df = monthly_bills(tmp_path)
    # five $10.00 charges minus one $10.00 refund = $40.00; fees 5 x $0.59 = $2.95
    assert df.set_index("month").loc["2026-01", ["gross_revenue_usd", "cost_stripe_usd"]].tolist() == pytest.approx(
        [40.00, 2.95])


def test_vercel_focus_charges_by_month_and_resume(tmp_path):
    def handle(path, query, headers):
        if headers.get("Authorization") != f"Bearer {KEY}":
            return 401, {}, {}
        assert path == "/v1/billing/charges"
        row = {"ChargePeriodStart": query["from"], "ChargePeriodEnd": query["to"], "EffectiveCost": "1.25",
               "BilledCost": "1.25", "BillingCurrency": "USD", "ServiceProviderName": "Vercel",
               "ServiceName": "Functions"}
        return 200, {"Content-Type": "application/jsonl"}, json.dumps(row) + "\n"

    with Server(handle) as srv:
        rep = fetch("vercel", D("2026-01-15", ""), D("2026-03-01", ""), tmp_path, base_url=srv.url,
                    environ={"VERCEL_TOKEN": KEY})
        assert [(q["from"], q["to"]) for _, q, _ in srv.log] == [
            ("2026-01-15T00:00:00Z", "2026-02-01T00:00:00Z"), ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")]
        rep2 = fetch("vercel", D("2026-01-15", ""), D("2026-03-01", ""), tmp_path, base_url=srv.url,
                     environ={"VERCEL_TOKEN": KEY})
    assert len(rep.saved) == 2 and rep2.requests == 0 and len(rep2.skipped) == 2
    df = monthly_bills(tmp_path)
    assert df["cost_vercel_usd"].tolist() == [1.25, 1.25]


@pytest.mark.parametrize("vendor,env", [("anthropic", "ANTHROPIC_ADMIN_API_KEY"), ("vercel", "VERCEL_TOKEN"),
                                        ("stripe", "STRIPE_API_KEY")])
def test_a_refused_key_is_one_line_naming_vendor_and_variable_and_the_key_is_never_written(
        tmp_path, monkeypatch, cli, vendor, env):
    if vendor == "stripe":
        pytest.importorskip("stripe")
    echo = {"echo": f"the key was {KEY}", "data": [], "has_more": False, "next_page": None, "object": "x"}
    with Server(lambda p, q, h: (401, {}, echo)) as srv:
        monkeypatch.setenv(env, KEY)
        res = cli("fetch", vendor, "--from", "2026-01-01", "--to", "2026-01-03", "--out", str(tmp_path / "out"),
                  "--base-url", srv.url)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and vendor in res.stderr and env in res.stderr and "401" in res.stderr
    assert KEY not in res.stdout + res.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.json*"))


def test_the_planted_key_appears_in_nothing_written_on_success(tmp_path, monkeypatch, cli):
    def handle(path, query, headers):  # a page that echoes the key (it must be saved without it)
        return 200, {}, {"data": [], "has_more": False, "next_page": None, "note": f"hello {KEY}"}

    with Server(lambda p, q, h: (401, {}, {}) if h.get("x-api-key") != KEY else handle(p, q, h)) as srv:
        monkeypatch.setenv("ANTHROPIC_ADMIN_API_KEY", KEY)
        res = cli("fetch", "anthropic", "--from", "2026-01-01", "--to", "2026-01-03", "--out", str(tmp_path / "o"),
                  "--base-url", srv.url, "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["pages_saved"] == 2 and report["requests"] == 2
    written = [p.read_text(encoding="utf-8") for p in (tmp_path / "o").rglob("*") if p.is_file()]
    assert len(written) == 2 and all("***" in w for w in written)
    for text in [res.stdout, res.stderr, *written]:
        assert KEY not in text


def test_missing_key_bad_dates_and_plain_http_to_another_host_are_one_line(tmp_path, monkeypatch, cli):
    monkeypatch.delenv("VERCEL_TOKEN", raising=False)
    res = cli("fetch", "vercel", "--from", "2026-01-01", "--to", "2026-02-01", "--out", str(tmp_path))
    assert res.returncode == 2 and "VERCEL_TOKEN" in res.stderr
    monkeypatch.setenv("VERCEL_TOKEN", KEY)
    res = cli("fetch", "vercel", "--from", "2026-02-01", "--to", "2026-01-01", "--out", str(tmp_path))
    assert res.returncode == 2 and "--to" in res.stderr
    res = cli("fetch", "vercel", "--from", "2026-13-01", "--to", "2026-01-01", "--out", str(tmp_path))
    assert res.returncode == 2 and "YYYY-MM-DD" in res.stderr
    res = cli("fetch", "vercel", "--from", "2026-01-01", "--to", "2026-01-02", "--out", str(tmp_path),
              "--base-url", "http://example.com")
    assert res.returncode == 2 and "loopback" in res.stderr
    for r in (res,):
        assert KEY not in r.stdout + r.stderr
    assert not any(Path(tmp_path).iterdir())
