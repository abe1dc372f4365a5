"""``OUT/index.html``: a dashboard of the latest complete run (headline cards with verdicts and trends),
what changed since the previous comparable run, then every run (explorations marked), and the runs whose
manifest cannot be read. Self-contained: no script, no network, inline SVG only."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from voyager_analysis.report import changes, headlines, runs
from voyager_analysis.report.html import error_text, fmt_value

#: How many comparable complete runs the trend lines show.
TREND_RUNS = 12
#: How many changed results the "what changed" table lists (all of them are in each run's results.json).
CHANGED_ROWS = 25
_SAFE_FILE = re.compile(r"^[\w.-]+\.(html|ipynb|json)$")

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2733;
 max-width:1150px;margin:1.2em auto;padding:0 1em;line-height:1.4;overflow-wrap:anywhere}
h1{font-size:1.6em;margin-bottom:.1em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #d8dde3}
.muted{color:#5b6470;font-size:.9em}.banner{padding:.5em .8em;border-radius:6px;background:#fff4e0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,250px),1fr));gap:.8em}
.card{border:1px solid #d8dde3;border-radius:8px;padding:.7em .9em;background:#fbfcfd;display:flex;flex-direction:column}
.card h3{font-size:.95em;margin:0;color:#3a4552}.card .value{font-size:1.5em;font-weight:650;margin:.15em 0}
.card .detail{font-size:.85em;color:#5b6470}.card .verdict{font-size:.9em;margin:.35em 0 .2em 0;font-weight:600}
.card ul{margin:.3em 0;padding-left:1.1em;font-size:.85em}.card .more{margin-top:auto;font-size:.85em}
.good{color:#1e7a46}.warn{color:#a35d00}.bad{color:#b3261e}.neutral{color:#3a4552}
.trend{display:block;margin:.3em 0}.scroll{overflow-x:auto;max-width:100%}
.scroll table{overflow-wrap:normal}.scroll td{min-width:5em}.scroll code{white-space:nowrap}
table{border-collapse:collapse;margin:.4em 0 1em 0;font-size:.9em}
th,td{border-bottom:1px solid #e3e7ec;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.tag{display:inline-block;font-size:.78em;padding:0 .4em;border-radius:4px;background:#e8edf3;margin-left:.3em}
.err{color:#5b1a14;background:#fdecea;padding:.1em .4em;border-radius:3px;display:inline-block;margin-top:.2em}
details summary{cursor:pointer}code{font-size:.95em}
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _link(run_id: str, name: Any, text: str) -> str:
    """A link to a file of a run folder; names that are not plain file names are shown without a link."""
    if isinstance(name, str) and _SAFE_FILE.match(name) and runs.RUN_ID_RE.match(run_id):
        return f"<a href='{_e(run_id)}/{_e(name)}'>{text}</a>"
    return text


def sparkline(values: Sequence[float], width: int = 160, height: int = 30) -> str:
    """An inline SVG line of ``values`` (oldest first) with the last point marked; '' for fewer than two."""
    if len(values) < 2:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    step = (width - 8) / (len(values) - 1)
    pts = [(4 + i * step, height - 4 - (v - lo) / span * (height - 8)) for i, v in enumerate(values)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    x, y = pts[-1]
    return (f"<svg class='trend' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' "
            f"aria-label='trend over the last {len(values)} runs'><polyline fill='none' stroke='#1f6f8b' "
            f"stroke-width='1.5' points='{line}'/><circle cx='{x:.1f}' cy='{y:.1f}' r='2.5' fill='#1f6f8b'/></svg>")


def _card_html(card: headlines.Card, run_id: str, trend: Sequence[float]) -> str:
    parts = [f"<div class='card' id='{_e(card.key)}'><h3>{_e(card.label)}</h3>",
             f"<div class='value {_e(card.tone)}'>{_e(card.value)}</div>"]
    if card.detail:
        parts.append(f"<div class='detail'>{_e(card.detail)}</div>")
    if card.verdict:
        parts.append(f"<div class='verdict {_e(card.tone)}'>{_e(card.verdict)}</div>")
    if card.items:
        parts.append("<ul>" + "".join(f"<li class='{_e(t)}'>{_e(text)}</li>" for t, text in card.items) + "</ul>")
    if len(trend) >= 2:
        parts.append(sparkline(trend) + f"<div class='detail'>last {len(trend)} runs: {_e(fmt_value(min(trend)))}"
                     f" to {_e(fmt_value(max(trend)))} {_e(card.unit)}</div>")
    parts.append(f"<div class='more'>{_link(run_id, card.notebook + '.html', 'explained in ' + _e(card.notebook) + ' →')}"
                 "</div></div>")
    return "".join(parts)


def _dashboard(runs_: Sequence[Mapping[str, Any]], shown: Mapping[str, Any]) -> list[str]:
    rid = shown["run_id"]
    key = changes.comparable_key(shown)
    history = [m for m in runs_ if changes.comparable_key(m) == key and m["status"] == "ok"][:TREND_RUNS][::-1]
    trends: dict[str, list[float]] = {}
    for m in history:
        for c in headlines.headline_cards(m):
            if c.number is not None:
                trends.setdefault(c.key, []).append(c.number)
    cards = headlines.headline_cards(shown)
    return [f"<h2>Headlines of run <code>{_e(rid)}</code></h2>",
            f"<p class='muted'>Started {_e(shown['started_at'])}; scenario {_e(changes.scenario_text(shown))}; "
            f"full results: {_link(rid, runs.RESULTS_NAME, 'results.json')}.</p>",
            "<div class='cards'>" + "".join(_card_html(c, rid, trends.get(c.key, [])) for c in cards) + "</div>"]


def _what_changed(runs_: Sequence[Mapping[str, Any]], shown: Mapping[str, Any]) -> list[str]:
    prev = changes.previous_comparable(runs_, shown)
    if prev is None:
        return ["<h2>What changed</h2><p class='muted'>No earlier comparable run (same notebooks, parameters "
                "and scenario) to compare with.</p>"]
    out = [f"<h2>What changed since run <code>{_e(prev['run_id'])}</code></h2>"]
    why = changes.input_changes(shown, prev)
    out.append("<ul>" + "".join(f"<li>{_e(c)}</li>" for c in why) + "</ul>" if why else
               "<p class='muted'>Same inputs, notebooks, parameters, scenario and code.</p>")
    rows = changes.compare_results(shown, prev)
    moved = [r for r in rows if r["status"] != "unchanged"]
    if not moved:
        out.append(f"<p><strong>No result changed</strong> ({len(rows)} compared).</p>")
        return out
    body = []
    for r in moved[:CHANGED_ROWS]:
        pct = f"{r['change_pct']:+.1f}%" if r["change_pct"] is not None else ""
        body.append(f"<tr><td>{_e(r['notebook'])}</td><td><code>{_e(r['key'])}</code></td>"
                    f"<td class='num'>{_e(fmt_value(r['previous'])) if r['status'] != 'new' else 'new'}</td>"
                    f"<td class='num'>{_e(fmt_value(r['latest'])) if r['status'] != 'gone' else 'gone'}</td>"
                    f"<td class='num'>{_e(pct)}</td></tr>")
    more = len(moved) - CHANGED_ROWS
    out.append(f"<p>{len(moved)} of {len(rows)} results changed"
               + (f"; the first {CHANGED_ROWS} are listed (all in each run's results.json)" if more > 0 else "")
               + ".</p><div class='scroll'><table><tr><th>notebook</th><th>result</th><th>before</th><th>now</th>"
               "<th>change</th></tr>" + "".join(body) + "</table></div>")
    return out


def _notebooks_cell(m: Mapping[str, Any]) -> str:
    rid = m["run_id"]
    recs = m.get("notebooks", [])
    ok = sum(1 for r in recs if r.get("status") == "ok")
    reused = sum(1 for r in recs if r.get("reused_from"))
    items = []
    for r in recs:
        mark = "✓" if r.get("status") == "ok" else "✗"
        how = "reused" if r.get("reused_from") else f"{float(r.get('duration_s') or 0):.1f} s"
        item = f"{mark} {_link(rid, r.get('html'), _e(r.get('name')))} <span class='muted'>{how}</span>"
        if r.get("status") != "ok" and isinstance(r.get("error"), dict):
            item += f"<br><span class='err'>{_e(error_text(r['error']))}</span>"
        items.append(item)
    summary = f"{ok}/{len(recs)} ok" + (f", {reused} reused" if reused else "")
    return f"<details><summary>{summary}</summary>{'<br>'.join(items)}</details>"


def _runs_table(runs_: Sequence[Mapping[str, Any]], latest_good: str | None) -> list[str]:
    rows = []
    for m in runs_:
        rid = m["run_id"]
        tags = (" <span class='tag'>latest</span>" if rid == latest_good else "") + (
            " <span class='tag'>exploration</span>" if changes.kind(m) == "exploration" else "")
        status = m["status"]
        rows.append(f"<tr><td><code>{_e(rid)}</code>{tags}<br>{_link(rid, runs.MANIFEST_NAME, 'manifest')} · "
                    f"{_link(rid, runs.RESULTS_NAME, 'results')}</td>"
                    f"<td>{_e(m['started_at'].replace('T', ' ').rstrip('Z'))}</td>"
                    f"<td class='{'good' if status == 'ok' else 'bad'}'>{_e(status)}</td>"
                    f"<td class='num'>{float(m['duration_s']):.1f} s</td><td>{_e(changes.scenario_text(m))}</td>"
                    f"<td>{_e(changes.params_text(m))}</td><td>{_notebooks_cell(m)}</td></tr>")
    return ["<h2>All runs</h2><div class='scroll'><table><tr><th>run</th><th>started (UTC)</th><th>status</th>"
            "<th>duration</th><th>scenario</th><th>parameters</th><th>notebooks</th></tr>", *rows, "</table></div>"]


def render_index(runs_: Sequence[Mapping[str, Any]], latest_good: str | None,
                 unreadable: Sequence[Mapping[str, str]] = ()) -> str:
    """The HTML of ``OUT/index.html`` for ``runs_`` (newest first, readable manifests) and the
    ``unreadable`` run folders (``{run_id, problem}``)."""
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             "<title>Voyager Analysis reports</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>Voyager Analysis reports</h1>"]
    shown = next((m for m in runs_ if m["run_id"] == latest_good), None) or next(
        (m for m in runs_ if m["status"] == "ok" and changes.kind(m) == "full"), None)
    if runs_:
        newest = runs_[0]
        if newest is not shown:
            what = "an exploration" if changes.kind(newest) == "exploration" else f"{_e(newest['status'])}"
            parts.append(f"<p class='banner'>The newest run <code>{_e(newest['run_id'])}</code> is {what}; the "
                         "headlines below are from the latest complete run.</p>")
    if shown is None:
        parts.append("<p>No complete run yet (a run of every notebook in which every notebook succeeded).</p>")
    else:
        parts += _dashboard(runs_, shown) + _what_changed(runs_, shown)
    if runs_:
        parts += _runs_table(runs_, latest_good)
    if unreadable:
        parts.append("<h2>Unreadable runs</h2><ul>" + "".join(
            f"<li><code>{_e(b['run_id'])}</code>: {_e(b['problem'])}</li>" for b in unreadable) + "</ul>")
    if not runs_ and not unreadable:
        parts.append("<p>No runs yet.</p>")
    parts.append("</body></html>")
    return "".join(parts)


def write_index(out_dir: str | Path) -> Path:
    """(Re)write ``OUT/index.html`` from the runs' manifests, atomically."""
    out = Path(out_dir)
    found, unreadable = runs.scan_runs(out)
    runs.write_atomic(out / "index.html", render_index(found, runs.latest_run(out), unreadable))
    return out / "index.html"
