"""The index's headline cards, read from a run's ``results`` (each notebook's results JSON): value with
unit, a verdict, the notebook that explains it, and a number for the trend across runs.

Every reader is defensive: a result that is absent or of another shape gives a card saying so, never an
error (the notebooks evolve independently of the index).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_TONES = ("good", "warn", "bad", "neutral")


@dataclass(frozen=True)
class Card:
    """One headline: ``value`` text (with unit), ``detail``, ``verdict`` text and its ``tone``
    ('good', 'warn', 'bad', 'neutral'), ``number`` for the trend (None: not a number), ``items`` (a list
    card, e.g. the risks: (tone, text) pairs)."""

    key: str
    label: str
    notebook: str
    value: str
    detail: str = ""
    verdict: str = ""
    tone: str = "neutral"
    number: float | None = None
    unit: str = ""
    items: tuple[tuple[str, str], ...] = ()


def _num(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError("not a finite number")
    return float(x)


def usd(x: float) -> str:
    return f"${x:,.2f}" if abs(x) < 10 else f"${x:,.0f}"


def users_text(x: float) -> str:
    return f"{x:,.0f}"


def _margin(r: Mapping[str, Any]) -> Card:
    c = r["05_conversion"]
    after, before, users = _num(c["margin_after_share_pct"]), _num(c["margin_pct"]), _num(c["users"])
    lo, hi = (_num(v) for v in c["claimed_margin_range_pct"])
    tone, verdict = (("good", f"within the roadmap's claimed {lo:.0f}–{hi:.0f}%") if lo <= after <= hi else
                     ("bad", f"below the roadmap's claimed {lo:.0f}–{hi:.0f}%") if after < lo else
                     ("good", f"above the roadmap's claimed {lo:.0f}–{hi:.0f}%"))
    return Card("margin", "Margin after the revenue share", "05_conversion", f"{after:.1f}%",
                f"at {users_text(users)} users; {before:.1f}% before the share", verdict, tone, after, "%")


def _cost_per_user(r: Mapping[str, Any]) -> Card:
    grid = r["03_costs_scaling"]["cost_per_user_usd_p50"]
    users = {float(k): k for k in grid}
    at = 100000.0 if 100000.0 in users else max(users)
    value = _num(grid[users[at]])
    verdict, tone = "", "neutral"
    shape = r["03_costs_scaling"].get("elasticity_verdict")
    if isinstance(shape, str):
        verdict = (f"observed total cost grows {shape} with users" if shape in ("sub-linear", "linear", "super-linear")
                   else f"sub-linearity of the observed cost: {shape}")
        tone = "good" if shape == "sub-linear" else "warn"
    return Card("cost_per_user", "Infrastructure cost per user", "03_costs_scaling", f"{usd(value)} / user-month",
                f"median of the cost model at {users_text(at)} users", verdict, tone, value, "USD per user-month")


def _claude_bill(r: Mapping[str, Any]) -> Card:
    c = r["04_claude_routing"]
    bill, users = _num(c["claude_monthly_cost_usd"]), _num(c["users"])
    lo, hi = (_num(v) for v in c["roadmap_claude_range_usd"])
    tone, verdict = (("good", f"below the roadmap's {usd(lo)}–{usd(hi)}") if bill < lo else
                     ("good", f"within the roadmap's {usd(lo)}–{usd(hi)}") if bill <= hi else
                     ("bad", f"above the roadmap's {usd(lo)}–{usd(hi)}"))
    return Card("claude_bill", "Claude bill", "04_claude_routing", f"{usd(bill)} / month",
                f"at {users_text(users)} users", verdict, tone, bill, "USD per month")


def _breakeven(r: Mapping[str, Any]) -> Card:
    c = r["05_conversion"]
    be = _num(c["breakeven_pro_conversion"])
    detail = ""
    rng = c.get("breakeven_pro_conversion_range")
    if isinstance(rng, list) and len(rng) == 2:
        detail = f"{_num(rng[0]) * 100:.2f}–{_num(rng[1]) * 100:.2f}% across the cost model's 5th–95th percentiles"
    planned = _num(c["inputs"]["pro_conversion"])
    ratio = planned / be if be > 0 else math.inf
    tone = "good" if ratio >= 1.5 else "warn" if ratio >= 1 else "bad"
    verdict = f"planned {planned * 100:.1f}% is {ratio:.1f}× break-even" if math.isfinite(ratio) else ""
    return Card("breakeven_conversion", "Break-even Pro conversion", "05_conversion", f"{be * 100:.2f}%",
                detail, verdict, tone, be * 100, "% of monthly actives")


def _month_100k(r: Mapping[str, Any]) -> Card:
    c = r["02_growth_usage"]
    m = c["month_reaching_target"]
    month, target = m["calendar_month"], _num(c["target_users"])
    if not isinstance(month, str):
        raise ValueError("no month")
    diff = _num(c["difference_months_target"])
    detail = ""
    if isinstance(m.get("low"), (int, float)) and isinstance(m.get("high"), (int, float)):
        detail = f"month {_num(m['month']):.1f} of the plan (interval {_num(m['low']):.1f}–{_num(m['high']):.1f})"
    verdict = (f"{abs(diff):.1f} months earlier than the roadmap" if diff < -0.5 else
               f"{diff:.1f} months later than the roadmap" if diff > 0.5 else "on the roadmap's schedule")
    tone = "warn" if abs(diff) > 0.5 else "good"
    return Card("month_target", f"Month {users_text(target)} users are reached", "02_growth_usage", month,
                detail, verdict, tone, _num(m["month"]), "months from the plan's start")


def _next_trigger(r: Mapping[str, Any]) -> Card:
    c = r["07_decisions"]
    triggers = c["triggers"]
    waiting = [(t["forecast_month"], name, t) for name, t in triggers.items()
               if isinstance(t, dict) and t.get("status") == "ok" and isinstance(t.get("forecast_month"), str)]
    fired = [str(f) for f in c.get("fired") or []]
    verdict = f"already fired: {', '.join(fired)}" if fired else "none fired yet"
    tone = "warn" if fired else "good"
    if not waiting:
        return Card("next_trigger", "Next trigger to fire", "07_decisions", "none forecast",
                    "no threshold is forecast to be crossed within the horizon", verdict, tone)
    month, name, t = min(waiting)
    detail = f"forecast {month}"
    if isinstance(t.get("users_at_threshold"), (int, float)):
        detail += f", at about {users_text(_num(t['users_at_threshold']))} users"
    return Card("next_trigger", "Next trigger to fire", "07_decisions", name.replace("_", " "), detail, verdict, tone)


_SEVERITY = {"high": ("bad", 0), "medium": ("warn", 1), "low": ("neutral", 2)}


def _risks(r: Mapping[str, Any]) -> Card:
    risks = [x for x in r["00_summary"]["risks"] if isinstance(x, dict) and isinstance(x.get("risk"), str)]
    ranked = sorted(risks, key=lambda x: _SEVERITY.get(str(x.get("severity")), ("neutral", 3))[1])
    items = tuple((_SEVERITY.get(str(x.get("severity")), ("neutral", 3))[0], f"{x.get('severity', '?')}: {x['risk']}")
                  for x in ranked[:3])
    serious = sum(1 for x in risks if x.get("severity") in ("high", "medium"))
    return Card("risks", "Top risks", "00_summary", f"{serious} high or medium",
                f"{len(risks)} risks in all", "", "bad" if any(x.get("severity") == "high" for x in risks) else "warn",
                float(serious), "risks", items)


#: The headline cards in display order: (key, label, notebook, reader).
HEADLINES: tuple[tuple[str, str, str, Callable[[Mapping[str, Any]], Card]], ...] = (
    ("margin", "Margin after the revenue share", "05_conversion", _margin),
    ("cost_per_user", "Infrastructure cost per user", "03_costs_scaling", _cost_per_user),
    ("claude_bill", "Claude bill", "04_claude_routing", _claude_bill),
    ("breakeven_conversion", "Break-even Pro conversion", "05_conversion", _breakeven),
    ("month_target", "Month 100,000 users are reached", "02_growth_usage", _month_100k),
    ("next_trigger", "Next trigger to fire", "07_decisions", _next_trigger),
    ("risks", "Top risks", "00_summary", _risks),
)


def results_by_notebook(manifest: Mapping[str, Any]) -> dict[str, Any]:
    return {r["name"]: r.get("results") for r in manifest.get("notebooks", [])
            if r.get("status") == "ok" and isinstance(r.get("results"), dict)}


def headline_cards(manifest: Mapping[str, Any]) -> list[Card]:
    """The headline cards of a run (a card whose results are missing or malformed says so)."""
    results = results_by_notebook(manifest)
    cards = []
    for key, label, notebook, read in HEADLINES:
        try:
            cards.append(read(results))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError):
            why = "notebook not in this run" if notebook not in results else "not in this run's results"
            cards.append(Card(key, label, notebook, "—", why))
    return cards
