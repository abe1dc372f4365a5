"""The roadmap's claims against one run's results: :func:`claims_table`.

One row per claim of the roadmap: what it says (numbers from ``roadmap.yaml``), what the analysis finds
(numbers from the notebooks' results, with the notebook they come from) and a verdict: ``holds``,
``contradicted``, ``mixed`` (the evidence points both ways) or ``not run`` (no notebook result to judge by).

``results`` maps a notebook stem to its typed payload (:mod:`voyager_analysis.contracts`; a plain dict for a
notebook without a contract yet). Notebooks are matched by their number prefix (``"03"`` matches
``03_costs_scaling``). :func:`get` reads a payload's fields: asking a typed payload for a field its contract
does not have is a :class:`~voyager_analysis.contracts.ContractError` (a renamed key fails the tests), while a
notebook that did not run reads as "not available".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from voyager_analysis import config
from voyager_analysis.constants import LINEAR_BAND

HOLDS, CONTRADICTED, MIXED, NOT_RUN = "holds", "contradicted", "mixed", "not run"
VERDICTS = (CONTRADICTED, MIXED, HOLDS, NOT_RUN)
#: Two amounts "agree" when they differ by at most this share (rounding in the roadmap's text).
REL_TOL = 0.02
CLAIM_COLUMNS = ["id", "claim", "roadmap", "finding", "verdict", "source"]


# --- small helpers -------------------------------------------------------------------------------------------------

def notebook(results: Mapping[str, Any], number: str) -> tuple[str | None, Any]:
    """``(stem, payload)`` of the notebook whose name starts with ``number + "_"`` (e.g. ``"03"``), or (None, None)."""
    for stem in sorted(results):
        if stem.startswith(f"{number}_") and results[stem] is not None:
            return stem, results[stem]
    return None, None


def get(obj: Any, *keys: Any) -> Any:
    """``obj[k1][k2]...``, or None if any level is missing or not a mapping/list.

    On a typed payload the first key is a field of its contract: an unknown field is a ContractError."""
    import dataclasses

    from voyager_analysis.contracts import ContractError, Payload

    if isinstance(obj, Payload) and keys:
        names = {f.name for f in dataclasses.fields(obj)}
        if keys[0] not in names:
            raise ContractError(f"{obj.notebook}: its results contract has no field {keys[0]!r}")
        obj, keys = getattr(obj, keys[0]), keys[1:]
    for key in keys:
        if isinstance(obj, Mapping) and key in obj:
            obj = obj[key]
        elif isinstance(obj, Mapping) and str(key) in obj:
            obj = obj[str(key)]
        elif isinstance(obj, (list, tuple)) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj = obj[key]
        else:
            return None
    return obj


def has_field(obj: Any, name: str) -> bool:
    """Whether a payload (typed or a plain dict) has ``name`` at its top level."""
    import dataclasses

    if dataclasses.is_dataclass(obj):
        return name in {f.name for f in dataclasses.fields(obj)}
    return isinstance(obj, Mapping) and name in obj


def _num(x: Any) -> float | None:
    """A finite float, or None (for None, text, NaN, inf)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def _float(x: Any) -> float | None:
    """A finite float from a number or numeric text (JSON object keys are text), or None."""
    try:
        return _num(float(x))
    except (TypeError, ValueError):
        return None


def _usd(x: float) -> str:
    return f"${x:,.0f}"


def _users(x: float) -> str:
    return f"{x / 1000:,.3g}K" if x >= 1000 else f"{x:,.0f}"


def _pct(fraction: float, digits: int = 0) -> str:
    return f"{100 * fraction:.{digits}f}%"


def _synthetic(data: Any) -> str:
    """A warning when a result was fitted to the shipped synthetic example metrics (``data`` = its path)."""
    if isinstance(data, str) and Path(data).name == config.EXAMPLE_METRICS_CSV.name:
        return " (fitted to the SYNTHETIC example metrics: replace with real data)"
    return ""


def _verdict(evidence: list[bool | None]) -> str:
    """All True -> holds; all False -> contradicted; anything else with some evidence -> mixed."""
    if not evidence:
        return NOT_RUN
    if all(e is True for e in evidence):
        return HOLDS
    if all(e is False for e in evidence):
        return CONTRADICTED
    return MIXED


def _source(*stems: str | None) -> str:
    return ", ".join(s for s in stems if s) or "-"


# --- the claims --------------------------------------------------------------------------------------------------

def _claim_margins(results, roadmap) -> dict:
    claim = roadmap.get("claims.margin_range")
    lo, hi = 100 * claim.low, 100 * claim.high
    said = f"{lo:.0f}-{hi:.0f}% 'throughout' the journey ({claim.section.split('>')[0].strip()})"
    found, evidence = [], []
    s3, r3 = notebook(results, "03")
    medians = {}
    for users, row in (get(r3, "roadmap_users") or {}).items():
        u, m = _float(users), _num(get(row, "margin_pct_p50"))
        if u is not None and m is not None:
            medians[u] = m
    if medians:
        below = [u for u, m in medians.items() if m < lo]
        evidence.append(True if not below else False if len(below) == len(medians) else None)
        text = (f"cost model median {min(medians.values()):.0f}-{max(medians.values()):.0f}% at the roadmap's "
                f"{len(medians)} user counts ({_users(min(medians))}-{_users(max(medians))})")
        worst = _num(get(r3, "share_margin_below_claimed_max"))
        if worst is not None:
            text += f"; up to {_pct(worst, 1)} of draws below {lo:.0f}%"
        found.append(text + f" [{s3}]")
    s5, r5 = notebook(results, "05")
    m5, a5, u5 = _num(get(r5, "margin_pct")), _num(get(r5, "margin_after_share_pct")), _num(get(r5, "users"))
    if m5 is not None and u5 is not None:
        if not medians:
            evidence.append(m5 >= lo)
        text = f"at {_users(u5)} users: median {m5:.0f}% before the revenue share"
        if a5 is not None:
            text += f", {a5:.0f}% after it and Stripe's fees"
        found.append(text + f" [{s5}]")
    return {"id": "margins", "claim": "Margins stay healthy throughout the journey", "roadmap": said,
            "finding": "; ".join(found), "verdict": _verdict(evidence), "source": _source(s3, s5)}


def _claim_consistent(results, roadmap) -> dict:
    rows = roadmap["cost_projection"]["rows"]
    said = (f"{len(roadmap['phases'])} phase budgets and a {len(rows)}-row cost projection table "
            f"(dated {roadmap.meta.get('dated', '?')})")
    s1, r1 = notebook(results, "01")
    counts = get(r1, "counts")
    major, minor = _num(get(counts, "major")), _num(get(counts, "minor"))
    if major is None:
        return {"id": "roadmap_consistent", "claim": "The roadmap's own numbers add up", "roadmap": said,
                "finding": "not available", "verdict": NOT_RUN, "source": _source(s1)}
    n = _num(get(r1, "n_checks"))
    ids = get(r1, "major") or []
    text = (f"{major:.0f} major and {minor or 0:.0f} minor inconsistencies in {n:.0f} checks" if n is not None else
            f"{major:.0f} major and {minor or 0:.0f} minor inconsistencies")
    if ids:
        text += f" (major: {', '.join(map(str, ids[:4]))}{', ...' if len(ids) > 4 else ''})"
    verdict = CONTRADICTED if major > 0 else MIXED if (minor or 0) > 0 else HOLDS
    return {"id": "roadmap_consistent", "claim": "The roadmap's own numbers add up", "roadmap": said,
            "finding": text + f" [{s1}]", "verdict": verdict, "source": _source(s1)}


def _loglog_slope(points: Mapping[Any, Any]) -> float | None:
    """Least-squares slope of log(cost) on log(users) over ``{users: cost}`` (positive values only)."""
    xy = [(math.log(_float(u)), math.log(c)) for u, c in points.items()
          if _num(c) is not None and c > 0 and _float(u) is not None and _float(u) > 0]
    if len(xy) < 2:
        return None
    mx = sum(x for x, _ in xy) / len(xy)
    my = sum(y for _, y in xy) / len(xy)
    sxx = sum((x - mx) ** 2 for x, _ in xy)
    return sum((x - mx) * (y - my) for x, y in xy) / sxx if sxx > 0 else None


def _claim_sublinear(results, roadmap) -> dict:
    bound = roadmap.get("claims.cost_elasticity_below").value
    rows = sorted(roadmap["cost_projection"]["rows"].values(), key=lambda r: r["users"].value)
    first, last = rows[0], rows[-1]
    said = (f"cost elasticity to users < {bound:g}; per-user cost falls "
            f"(its table: ${first['cost'].value / first['users'].value:.2f} at {_users(first['users'].value)} users, "
            f"${last['cost'].value / last['users'].value:.2f} at {_users(last['users'].value)})")
    found, evidence = [], []
    s3, r3 = notebook(results, "03")
    b = get(r3, "elasticity_total")
    est, verdict3 = _num(get(b, "estimate")), get(r3, "elasticity_verdict")
    if est is not None:
        ci = (_num(get(b, "low")), _num(get(b, "high")))
        found.append(f"observed bills: elasticity {est:.2f}"
                     + (f" ({ci[0]:.2f}-{ci[1]:.2f})" if None not in ci else "")
                     + (f", {verdict3}" if verdict3 else "") + _synthetic(get(r3, "data")) + f" [{s3}]")
        evidence.append(True if verdict3 == "sub-linear" else False if verdict3 in ("linear", "super-linear")
                        else None if verdict3 else est < bound - LINEAR_BAND)
    slope = _loglog_slope(get(r3, "cost_usd_p50") or {})
    if slope is not None:
        pu = get(r3, "cost_per_user_usd_p50") or {}
        ends = sorted((_float(u), _num(c)) for u, c in pu.items() if _num(c) is not None and _float(u) is not None)
        text = f"cost model: elasticity {slope:.2f}"
        if len(ends) >= 2:
            text += (f", per-user cost ${ends[0][1]:.3f} at {_users(ends[0][0])} users vs ${ends[-1][1]:.3f} at "
                     f"{_users(ends[-1][0])}")
        found.append(text + f" [{s3}]")
        evidence.append(slope < bound - LINEAR_BAND)
    s1, r1 = notebook(results, "01")
    rc = get(r1, "roadmap_cost_elasticity")
    rc_est = _num(get(rc, 0))
    table3 = get(r3, "roadmap_table_elasticity")
    if rc_est is None and _num(get(table3, "estimate")) is not None:  # the same fit, reported by notebook 03
        s1, rc_est, rc = s3, _num(get(table3, "estimate")), [None, [get(table3, "low"), get(table3, "high")]]
    if rc_est is not None:
        lo_hi = get(rc, 1) or [None, None]
        found.append(f"the roadmap's own table: elasticity {rc_est:.2f}"
                     + (f" ({lo_hi[0]:.2f}-{lo_hi[1]:.2f})" if None not in (_num(get(lo_hi, 0)), _num(get(lo_hi, 1)))
                        else "") + f" [{s1}]")
        evidence.append(rc_est < bound - LINEAR_BAND)
    return {"id": "costs_sublinear", "claim": "Costs scale sub-linearly (economies of scale)", "roadmap": said,
            "finding": "; ".join(found), "verdict": _verdict(evidence), "source": _source(s3, s1)}


def _claim_routing(results, roadmap) -> dict:
    s4, r4 = notebook(results, "04")
    phases = roadmap["phases"]
    rng = get(r4, "roadmap_claude_range_usd")
    key = get(r4, "roadmap_phase")
    if key in phases and "claude" in phases[key]["costs"]:
        f, u = phases[key]["costs"]["claude"], phases[key]["users"]
        said = f"Claude {_usd(f.low)}-{_usd(f.high)}/month at {_users(u.low)}-{_users(u.high)} users, 'with intelligent routing'"
    else:
        parts = [f"{_usd(p['costs']['claude'].low)}-{_usd(p['costs']['claude'].high)} at "
                 f"{_users(p['users'].low)}-{_users(p['users'].high)}" for p in phases.values() if "claude" in p["costs"]]
        said = "Claude " + "; ".join(parts) + " users/month, 'with intelligent routing'"
    cost, users = _num(get(r4, "claude_monthly_cost_usd")), _num(get(r4, "users"))
    hi = _num(get(rng, 1))
    if cost is None or users is None:
        return {"id": "routing", "claim": "Intelligent routing keeps the Claude bill in check", "roadmap": said,
                "finding": "not available", "verdict": NOT_RUN, "source": _source(s4)}
    text = f"{_usd(cost)}/month at {_users(users)} users (${cost / users:.3f} per user)"
    save = _num(get(r4, "savings_vs_all_sonnet_pct"))
    if save is not None:
        text += f"; routing saves {save:.0f}% against all-Sonnet"
    as_of = get(r4, "models", "as_of")
    if as_of:
        text += f" (list prices as_of {as_of})"
    evidence = [cost <= hi] if hi is not None else []
    if hi is not None:
        text += f"; {'within' if cost <= hi else 'above'} the roadmap's {_usd(hi)} ceiling"
    return {"id": "routing", "claim": "Intelligent routing keeps the Claude bill in check", "roadmap": said,
            "finding": text + f" [{s4}]", "verdict": _verdict(evidence), "source": _source(s4)}


def _claim_archival(results, roadmap) -> dict:
    ratio = roadmap.get("archival.claimed_price_ratio").value
    hot, cold = roadmap.get("archival.hot_storage_price").value, roadmap.get("archival.archive_storage_price").value
    said = f"archived data {ratio:g}x cheaper (${hot:.2f} vs ${cold:.2f} per GB-month)"
    s6, r6 = notebook(results, "06")
    found, evidence = [], []
    listed = _num(get(r6, "price_ratio_list"))
    if listed is not None:
        as_of = get(r6, "prices_as_of")
        found.append(f"list prices{f' as_of {as_of}' if as_of else ''}: {listed:.1f}x cheaper per GB-month")
        evidence.append(listed >= ratio * (1 - REL_TOL))
    saving = _num(get(r6, "monthly_savings_usd"))
    if saving is not None:
        text = f"net saving {_usd(saving)}/month"
        payback, roi, min_roi = _num(get(r6, "payback_months")), _num(get(r6, "roi_over_horizon")), _num(get(r6, "roadmap_min_roi"))
        text += f", payback {payback:.0f} months" if payback is not None else ", never pays back its build cost"
        if roi is not None and min_roi is not None:
            text += f"; ROI {roi:.2f}x against the roadmap's own {min_roi:g}x rule"
            evidence.append(roi >= min_roi)
        found.append(text)
    return {"id": "archival", "claim": "Archiving old conversations to S3 pays", "roadmap": said,
            "finding": "; ".join(found) + (f" [{s6}]" if found else ""), "verdict": _verdict(evidence),
            "source": _source(s6)}


def _claim_growth(results, roadmap) -> dict:
    users, month = roadmap.get("phases.phase_3.users").high, roadmap.get("phases.phase_3.months").high
    said = f"{_users(users)} users by month {month:g}"
    s2, r2 = notebook(results, "02")
    m = get(r2, "month_reaching_target")
    est, lo, hi = _num(get(m, "month")), _num(get(m, "low")), _num(get(m, "high"))
    target = _num(get(r2, "roadmap_month_target"))
    target = target if target is not None else month
    if est is None:
        return {"id": "growth", "claim": "Growth reaches the target on the roadmap's timeline", "roadmap": said,
                "finding": "not available", "verdict": NOT_RUN, "source": _source(s2)}
    t_users = _num(get(r2, "target_users")) or users
    text = f"{_users(t_users)} users in month {est:.1f}"
    if lo is not None and hi is not None:
        text += f" ({lo:.1f}-{hi:.1f})"
    diff = est - target
    text += f", {abs(diff):.1f} months {'earlier' if diff < 0 else 'later'} than month {target:g}"
    text += _synthetic(get(r2, "data"))
    ok = True if est <= target else (False if lo is not None and lo > target else None)
    return {"id": "growth", "claim": "Growth reaches the target on the roadmap's timeline", "roadmap": said,
            "finding": text + f" [{s2}]", "verdict": _verdict([ok]), "source": _source(s2)}


def _claim_revenue(results, roadmap) -> dict:
    examples = [p["revenue"] for p in roadmap["phases"].values() if "revenue" in p]
    ex = max(examples, key=lambda r: r["users"].value)
    ra = "revenue_assumptions"
    said = (f"{_usd(ex['after_share'].value)}/month to the company at {_users(ex['users'].value)} users "
            f"({_pct(roadmap.get(f'{ra}.pro_conversion').value)} Pro at ${roadmap.get(f'{ra}.pro_price').value:.2f}, "
            f"{_pct(roadmap.get(f'{ra}.max_conversion').value, 1)} Max at ${roadmap.get(f'{ra}.max_price').value:.0f}, "
            f"~{_pct(roadmap.get(f'{ra}.revenue_share_to_company').value)} kept)")
    s5, r5 = notebook(results, "05")
    net, method, users = (_num(get(r5, k)) for k in ("net_revenue_usd", "net_revenue_roadmap_method_usd", "users"))
    if net is None or method is None or users is None or method <= 0:
        return {"id": "revenue", "claim": "Revenue after the revenue share", "roadmap": said,
                "finding": "not available", "verdict": NOT_RUN, "source": _source(s5)}
    text = (f"{_usd(net)}/month at {_users(users)} users after Stripe's list fees and the share, against "
            f"{_usd(method)} by the roadmap's arithmetic ({net / method - 1:+.1%})")
    return {"id": "revenue", "claim": "Revenue after the revenue share", "roadmap": said,
            "finding": text + f" [{s5}]", "verdict": _verdict([abs(net / method - 1) <= REL_TOL]),
            "source": _source(s5)}


def _claim_cost_ranges(results, roadmap) -> dict:
    parts = [f"{_usd(p['total'].low)}-{_usd(p['total'].high)} at {_users(p['users'].low)}-{_users(p['users'].high)}"
             for p in roadmap["phases"].values()]
    said = "monthly totals " + "; ".join(parts) + " users"
    s3, r3 = notebook(results, "03")
    counts = get(r3, "calibration_verdicts")
    if not isinstance(counts, Mapping) or not counts:
        return {"id": "cost_ranges", "claim": "The phase budgets follow from realistic usage", "roadmap": said,
                "finding": "not available", "verdict": NOT_RUN, "source": _source(s3)}
    total = sum(v for v in counts.values() if _num(v) is not None)
    within = _num(counts.get("within")) or 0
    text = f"of {total:.0f} roadmap ranges: " + ", ".join(f"{v:.0f} {k}" for k, v in counts.items() if _num(v))
    bad = get(r3, "not_reproducible") or []
    if bad:
        text += f" ({', '.join(map(str, bad[:4]))}{', ...' if len(bad) > 4 else ''})"
    ok = True if within == total else False if within == 0 else None
    return {"id": "cost_ranges", "claim": "The phase budgets follow from realistic usage", "roadmap": said,
            "finding": text + f" [{s3}]", "verdict": _verdict([ok]), "source": _source(s3)}


def _claim_roi(results, roadmap) -> dict:
    min_roi = roadmap.get("thresholds.migrate_min_roi").value
    said = f"migrate only when ROI >= {min_roi:g}x; the recommended upgrades are worth it"
    s7, r7 = notebook(results, "07")
    roi = get(r7, "roi")
    if not isinstance(roi, Mapping) or not roi:
        return {"id": "upgrades_roi", "claim": "The planned upgrades clear the roadmap's own ROI rule",
                "roadmap": said, "finding": "not available", "verdict": NOT_RUN, "source": _source(s7)}
    values = {k: _num(get(v, "roi")) for k, v in roi.items()}
    clears = [k for k, v in roi.items() if get(v, "clears") is True]
    best = max(((v, k) for k, v in values.items() if v is not None), default=None)
    users = _num(get(r7, "roi_users"))
    text = f"{len(clears)} of {len(roi)} switches clear {min_roi:g}x" + (f" at {_users(users)} users" if users else "")
    if best is not None:
        text += f"; best: {best[1]} at {best[0]:.2f}x"
    ok = True if len(clears) == len(roi) else False if not clears else None
    return {"id": "upgrades_roi", "claim": "The planned upgrades clear the roadmap's own ROI rule", "roadmap": said,
            "finding": text + f" [{s7}]", "verdict": _verdict([ok]), "source": _source(s7)}


def _claim_milestones(results, roadmap) -> dict:
    rep = roadmap.get("thresholds.read_replica_likely_users")
    shard = roadmap.get("thresholds.sharding_decision_users")
    said = (f"read replicas 'likely at {_users(rep.low)}-{_users(rep.high)} users', sharding decided at "
            f"{_users(shard.low)}-{_users(shard.high)}, each when its metric crosses a threshold")
    s7, r7 = notebook(results, "07")
    triggers = get(r7, "triggers")
    if not isinstance(triggers, Mapping):
        return {"id": "milestones", "claim": "Metric thresholds are crossed at the roadmap's user counts",
                "roadmap": said, "finding": "not available", "verdict": NOT_RUN, "source": _source(s7)}
    judged = {k: get(v, "users_vs_roadmap") for k, v in triggers.items()
              if get(v, "users_vs_roadmap") in ("consistent", "earlier", "later")}
    if not judged:
        return {"id": "milestones", "claim": "Metric thresholds are crossed at the roadmap's user counts",
                "roadmap": said, "finding": f"no trigger comparable with a roadmap user count [{s7}]",
                "verdict": NOT_RUN, "source": _source(s7)}
    off = [f"{k} {v} (at {_users(u)} users)" if (u := _num(get(triggers, k, "users_at_threshold"))) else f"{k} {v}"
           for k, v in judged.items() if v != "consistent"]
    text = f"{len(judged) - len(off)} of {len(judged)} comparable triggers consistent"
    if off:
        text += "; " + "; ".join(off)
    return {"id": "milestones", "claim": "Metric thresholds are crossed at the roadmap's user counts",
            "roadmap": said, "finding": text + f" [{s7}]",
            "verdict": _verdict([v == "consistent" for v in judged.values()]), "source": _source(s7)}


#: The claims, in the order of the table.
CLAIMS: tuple[Callable[[Mapping, Any], dict], ...] = (
    _claim_margins, _claim_revenue, _claim_sublinear, _claim_routing, _claim_cost_ranges, _claim_archival,
    _claim_growth, _claim_roi, _claim_milestones, _claim_consistent,
)


def claims_table(results: Mapping[str, Any], roadmap):
    """One row per roadmap claim: ``id``, ``claim``, ``roadmap`` (what it says, from ``roadmap.yaml``), ``finding``
    (numbers from the results, each tagged with its notebook), ``verdict`` and ``source`` (notebooks used).

    A claim whose notebooks did not run (or lack the keys) reads ``finding = "not available"``, ``verdict = "not run"``.
    """
    import pandas as pd

    rows = []
    for fn in CLAIMS:
        row = fn(results, roadmap)
        if not row["finding"]:
            row["finding"], row["verdict"] = "not available", NOT_RUN
        rows.append(row)
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


__all__ = ["HOLDS", "CONTRADICTED", "MIXED", "NOT_RUN", "VERDICTS", "REL_TOL", "CLAIM_COLUMNS", "CLAIMS", "notebook",
           "get", "has_field", "claims_table"]
