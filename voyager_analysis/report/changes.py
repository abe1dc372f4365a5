"""What changed between two runs that are comparable (same kind, notebooks, parameters and scenario):
their inputs, notebooks, code, and their results key by key. ``run_dir`` (a run's own folder) is not a
result and is never compared."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from voyager_analysis.report.plan import RUN_DIR_PARAMETER

_MISSING = object()


def kind(m: Mapping[str, Any]) -> str:
    """'full' or 'exploration' (manifests written before the kinds existed: exploration when they had
    parameters or a scenario)."""
    k = m.get("kind")
    if k in ("full", "exploration"):
        return k
    return "exploration" if (m.get("parameters") or m.get("scenario")) else "full"


def comparable_key(m: Mapping[str, Any]) -> str:
    """Runs with the same key answer the same question: same kind, notebooks, parameters, scenario."""
    return json.dumps([kind(m), sorted((m.get("options") or {}).get("selected") or []), m.get("parameters") or {},
                       (m.get("scenario") or {}).get("sha256")], sort_keys=True, default=str)


def previous_comparable(runs: Sequence[Mapping[str, Any]], run: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The newest run older than ``run`` (``runs`` newest first) with the same :func:`comparable_key`."""
    key, seen = comparable_key(run), False
    for m in runs:
        if seen and comparable_key(m) == key:
            return m
        seen = seen or m["run_id"] == run["run_id"]
    return None


def flatten(results: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}`` (lists and empty dicts are leaves)."""
    if isinstance(results, dict) and results:
        out: dict[str, Any] = {}
        for k, v in results.items():
            if k == RUN_DIR_PARAMETER:
                continue
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): results}


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def compare_results(latest: Mapping[str, Any], previous: Mapping[str, Any]) -> list[dict]:
    """Results of two runs side by side, for the notebooks that produced results in both: one row per
    (notebook, key) present in either, with ``change`` (latest - previous) and ``change_pct`` for numbers;
    ``status`` is one of 'changed', 'unchanged', 'new', 'gone'."""
    def results(m):
        return {r["name"]: r["results"] for r in m.get("notebooks", []) if r.get("results") is not None}

    ra, rb = results(latest), results(previous)
    both = set(ra) & set(rb)
    a = {(n, k): v for n in both for k, v in flatten(ra[n]).items()}
    b = {(n, k): v for n in both for k, v in flatten(rb[n]).items()}
    rows = []
    for key in sorted(set(a) | set(b)):
        new, old = a.get(key, _MISSING), b.get(key, _MISSING)
        row = {"notebook": key[0], "key": key[1], "previous": None if old is _MISSING else old,
               "latest": None if new is _MISSING else new, "change": None, "change_pct": None}
        if old is _MISSING:
            row["status"] = "new"
        elif new is _MISSING:
            row["status"] = "gone"
        elif new == old:
            row["status"] = "unchanged"
        else:
            row["status"] = "changed"
            if _is_number(new) and _is_number(old):
                row["change"] = new - old
                row["change_pct"] = 100.0 * (new - old) / abs(old) if old != 0 else None
        rows.append(row)
    return rows


def input_changes(latest: Mapping[str, Any], previous: Mapping[str, Any]) -> list[str]:
    """Plain sentences: which input files, notebooks, parameters, scenario and code differ."""
    out = []
    a, b = latest.get("inputs") or {}, previous.get("inputs") or {}
    for path in sorted(set(a) | set(b)):
        if path not in b:
            out.append(f"input added: {path}")
        elif path not in a:
            out.append(f"input removed: {path}")
        elif a[path] != b[path]:
            out.append(f"input changed: {path}")
    nb_a = {r["name"]: r.get("sha256") for r in latest.get("notebooks", [])}
    nb_b = {r["name"]: r.get("sha256") for r in previous.get("notebooks", [])}
    out += [f"notebook changed: {n}" for n in sorted(set(nb_a) & set(nb_b)) if nb_a[n] != nb_b[n]]
    if (latest.get("parameters") or {}) != (previous.get("parameters") or {}):
        out.append(f"parameters: {params_text(previous)} → {params_text(latest)}")
    sa, sb = (latest.get("scenario") or {}).get("sha256"), (previous.get("scenario") or {}).get("sha256")
    if sa != sb:
        out.append(f"scenario: {scenario_text(previous)} → {scenario_text(latest)}")
    ga, gb = (latest.get("git") or {}).get("commit"), (previous.get("git") or {}).get("commit")
    if ga != gb:
        out.append(f"code: {str(gb or 'unknown')[:12]} → {str(ga or 'unknown')[:12]}")
    return out


def params_text(m: Mapping[str, Any]) -> str:
    from voyager_analysis.report.html import fmt_value

    p = m.get("parameters") or {}
    return ", ".join(f"{k}={fmt_value(v)}" for k, v in p.items()) or "defaults"


def scenario_text(m: Mapping[str, Any]) -> str:
    return str((m.get("scenario") or {}).get("name") or "none")
