"""The biggest risks of one run (:func:`risks`) and the inputs that matter most (:func:`top_inputs`).

``results`` as in :mod:`voyager_analysis.summary.claims` (stem -> typed payload).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from voyager_analysis.summary.claims import _num, _pct, _source, _usd, _users, get, has_field, notebook

#: Readable names of the notebooks' ``sensitivity_output`` keys.
OUTPUT_LABELS = {
    "claude_monthly_cost_usd": "Claude bill (USD/month)",
    "margin_after_share_pct": "margin after the revenue share (%)",
    "margin_pct": "margin before the revenue share (%)",
    "monthly_savings_usd": "archival net savings (USD/month)",
}


SEVERITIES = ("high", "medium", "low")
#: When a risk is high / medium (else low). Each rule is (high if value >= first, medium if value >= second),
#: on the number the risk rests on. Our judgement, stated here so the ranking can be argued with:
SEVERITY_RULES: dict[str, tuple[float, float]] = {
    "loss": (0.10, 0.01),  # share of draws losing money: 1 month in 10 is high, 1 in 100 is medium
    "below_claim": (0.25, 0.05),  # share of draws below the claimed margin
    "claude": (0.75, 0.50),  # Claude's share of the infrastructure bill: three quarters / half of it
    "timing": (6.0, 3.0),  # months between the forecast and the roadmap's month for the user target
}


def _severity(rule: str, value: float) -> str:
    high, medium = SEVERITY_RULES[rule]
    return "high" if value >= high else "medium" if value >= medium else "low"


def _risk_loss(results, roadmap):
    s3, r3 = notebook(results, "03")
    s5, r5 = notebook(results, "05")
    zero3, after5 = _num(get(r3, "share_margin_below_zero_max")), _num(get(r5, "share_after_share_below_zero"))
    if zero3 is None and after5 is None:
        return None
    parts = []
    if zero3 is not None:
        parts.append(f"{_pct(zero3, 2)} of cost-model draws lose money before the revenue share (worst roadmap "
                     "user count)")
    if after5 is not None:
        parts.append(f"{_pct(after5, 1)} lose money after the share and fees at "
                     f"{_users(_num(get(r5, 'users')) or 0)} users")
    worst = max(x for x in (zero3, after5) if x is not None)
    return "Loss-making months: " + "; ".join(parts), worst, _severity("loss", worst), _source(s3, s5)


def _risk_below_claim(results, roadmap):
    claim = roadmap.get("claims.margin_range")
    s3, r3 = notebook(results, "03")
    s5, r5 = notebook(results, "05")
    share, source = _num(get(r3, "share_margin_below_claimed_max")), s3
    if share is None:
        share, source = _num(get(r5, "share_margin_below_claimed")), s5
    if share is None:
        return None
    return (f"Margin below the claimed {_pct(claim.low)}: in up to {_pct(share, 1)} of Monte Carlo draws",
            share, _severity("below_claim", share), _source(source))


def _risk_claude(results, roadmap):
    s5, r5 = notebook(results, "05")
    share = _num(get(r5, "claude_share_of_infra_cost"))
    if share is None:
        return None
    return (f"Concentration on one supplier: Claude is {_pct(share)} of the infrastructure bill, so AI usage per "
            "user and Anthropic's prices set the margin", share, _severity("claude", share), _source(s5))


def _risk_breakeven(results, roadmap):
    """High if the planned conversion does not cover the median cost, medium if not the 95th-percentile cost."""
    s5, r5 = notebook(results, "05")
    be, users = _num(get(r5, "breakeven_pro_conversion")), _num(get(r5, "users"))
    plan = _num(get(r5, "inputs", "pro_conversion"))
    if be is None or users is None:
        return None
    hi = _num(get(r5, "breakeven_pro_conversion_range", 1))
    text = f"Conversion headroom: break-even after the share needs {_pct(be, 2)} Pro conversion at {_users(users)} users"
    if hi is not None:
        text += f" (up to {_pct(hi, 2)} if costs run at the 95th percentile)"
    severity = "low"
    if plan is not None:
        text += f", against {_pct(plan, 1)} planned"
        severity = "high" if plan < be else "medium" if hi is not None and plan < hi else "low"
    return text, be, severity, _source(s5)


def _risk_churn(results, roadmap):
    """Medium: the roadmap has no churn at all, so its conversion has no acquisition plan behind it."""
    s5, r5 = notebook(results, "05")
    churn, inflow = _num(get(r5, "monthly_churn")), _num(get(r5, "new_pro_subscribers_per_month"))
    if churn is None or inflow is None:
        return None
    months = _num(get(r5, "months_to_90pct_of_steady_state"))
    text = (f"Churn (not in the roadmap): at {_pct(churn, 1)}/month holding the planned Pro base takes "
            f"{inflow:,.0f} new subscribers every month")
    if months is not None:
        text += f", and {months:.0f} months from a standing start to reach 90% of it"
    return text, churn, "medium", _source(s5)


def _risk_growth(results, roadmap):
    s2, r2 = notebook(results, "02")
    diff = _num(get(r2, "difference_months_target"))
    if diff is None:
        est, target = _num(get(r2, "month_reaching_target", "month")), _num(get(r2, "roadmap_month_target"))
        diff = est - target if est is not None and target is not None else None
    if diff is None or abs(diff) < 1:
        return None
    return (f"Timing: the user target arrives {abs(diff):.1f} months {'earlier' if diff < 0 else 'later'} than the "
            f"roadmap plans, so its infrastructure milestones {'come sooner' if diff < 0 else 'come later'}",
            abs(diff), _severity("timing", abs(diff)), _source(s2))


def _risk_fired(results, roadmap):
    """Medium: a threshold already crossed is a decision due now."""
    s7, r7 = notebook(results, "07")
    fired = get(r7, "fired") or []
    if not fired:
        return None
    return (f"Already past a threshold: {', '.join(map(str, fired))}", float(len(fired)), "medium", _source(s7))


def _risk_blind_spots(results, roadmap):
    """Medium: a threshold without data cannot fire."""
    s7, r7 = notebook(results, "07")
    missing = get(r7, "no_data") or []
    if not missing:
        return None
    return (f"Blind spots: no data for {len(missing)} of the roadmap's alert/migration thresholds "
            f"({', '.join(map(str, missing))})", float(len(missing)), "medium", _source(s7))


def _risk_archival(results, roadmap):
    """Low: money spent on a build that does not pay back (small next to the bill)."""
    s6, r6 = notebook(results, "06")
    if r6 is None or not has_field(r6, "payback_months") or _num(get(r6, "payback_months")) is not None:
        return None
    saving = _num(get(r6, "monthly_savings_usd"))
    return ("Archival never pays back its build cost within the horizon"
            + (f" (net saving {_usd(saving)}/month)" if saving is not None else ""), saving or 0.0, "low",
            _source(s6))


#: Every risk the summary looks for, in the order used within one severity: money at stake, then what decides
#: it, then timing and operations. A risk is listed only when its notebook ran and it applies.
RISK_ORDER: tuple[Callable[[Mapping, Any], tuple | None], ...] = (
    _risk_loss, _risk_below_claim, _risk_breakeven, _risk_claude, _risk_churn, _risk_growth, _risk_fired,
    _risk_blind_spots, _risk_archival,
)


def risks(results: Mapping[str, Any], roadmap):
    """The biggest risks, ranked: ``rank``, ``risk`` (text with its numbers), ``severity`` (high/medium/low by
    :data:`SEVERITY_RULES` and the functions' docstrings), ``value`` (the number it rests on) and ``source``
    (notebooks). Sorted by severity, then by :data:`RISK_ORDER`. Empty when nothing ran."""
    import pandas as pd

    rows = [r for fn in RISK_ORDER if (r := fn(results, roadmap)) is not None]
    table = pd.DataFrame(rows, columns=["risk", "value", "severity", "source"])
    table["_order"] = table["severity"].map(SEVERITIES.index)
    table = table.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    return table[["rank", "risk", "severity", "value", "source"]]


# --- the inputs that matter most ----------------------------------------------------------------------------------

def sensitivity_rows(results: Mapping[str, Mapping]):
    """Every Sobol' index in the results: ``input, ST, ST_conf, S1, S1_conf, output, notebook, basis, source``
    (one row per notebook and input; entries without a numeric ST are skipped). ``basis`` is "measured" (with the
    ``source``) or "assumed"; results written before inputs were marked count as assumed, as they were."""
    import pandas as pd

    rows = []
    for stem in sorted(results):
        res = results[stem]
        if not has_field(res, "sensitivity"):
            continue
        table = get(res, "sensitivity")
        if not isinstance(table, Mapping):
            continue
        output = get(res, "sensitivity_output") or "headline output"
        for name, idx in table.items():
            st = _num(get(idx, "ST"))
            if st is None:
                continue
            rows.append({"input": str(name), "ST": st, "ST_conf": _num(get(idx, "ST_conf")),
                         "S1": _num(get(idx, "S1")), "S1_conf": _num(get(idx, "S1_conf")),
                         "output": OUTPUT_LABELS.get(output, output), "notebook": stem,
                         "basis": "measured" if get(idx, "basis") == "measured" else "assumed",
                         "source": str(get(idx, "source") or "")})
    return pd.DataFrame(rows, columns=["input", "ST", "ST_conf", "S1", "S1_conf", "output", "notebook", "basis",
                                       "source"])


def top_inputs(results: Mapping[str, Mapping], n: int = 3):
    """The ``n`` inputs with the largest total-order Sobol' index ST across notebooks (an input found in several
    notebooks counts once, with its largest ST). Ties keep notebook then input order. Columns as
    :func:`sensitivity_rows`, plus ``rank``.

    Each ST is a share of the variance of *its own notebook's* output (the ``output`` column), so the ranking says
    which inputs dominate some headline result, not which move the same number most.
    """
    rows = sensitivity_rows(results)
    rows = rows.sort_values("ST", ascending=False, kind="stable").drop_duplicates("input").head(int(n))
    rows = rows.reset_index(drop=True)
    rows.insert(0, "rank", range(1, len(rows) + 1))
    return rows


__all__ = ["SEVERITIES", "SEVERITY_RULES", "RISK_ORDER", "OUTPUT_LABELS", "risks", "sensitivity_rows", "top_inputs"]
