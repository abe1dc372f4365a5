"""The audit's checks: each compares a number the roadmap states with what its own figures give.

Each check produces a :class:`Finding` with the stated number, the recomputed one, the unit, a severity
and an explanation. Checks that pass are listed too (severity ``ok``), so a reader can see what was
checked. Severity rules (relative difference d = |recomputed - stated| / |stated|):

* ``ok``     - agrees within rounding (d <= 1%, or |diff| <= 1 for dollars and counts, <= 0.5 point for
  fractions), or within 10% where the roadmap marks the figure approximate ("~");
* ``minor``  - d <= 15%, or an omission that changes a figure by less than that;
* ``major``  - d > 15%, or a claim contradicted by the roadmap's own numbers;
* ``info``   - not a contradiction, but a number a reader should know (e.g. an implied growth pace).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from voyager_analysis.assumptions import PriceBook, Roadmap
from voyager_analysis.audit.tables import cost_projection_table, growth_pace_table, phase_cost_table, stripe_fee_usd

SEVERITIES = ("major", "minor", "info", "ok")


@dataclass(frozen=True)
class Finding:
    id: str
    section: str
    claim: str
    stated: Any
    recomputed: Any
    unit: str
    severity: str
    explanation: str

    def to_dict(self) -> dict:
        return asdict(self)


def severity_of(stated: float, recomputed: float, *, abs_tol: float = 1.0, minor_within: float = 0.15,
                approx: bool = False) -> str:
    """Classify a numeric disagreement by its size (see module docstring); use abs_tol=0.005 for fractions."""
    diff = abs(recomputed - stated)
    if diff <= abs_tol or diff <= (0.10 if approx else 0.01) * abs(stated):
        return "ok"
    return "minor" if diff <= minor_within * abs(stated) else "major"


def _range(lo: float, hi: float) -> list[float] | float:
    return lo if lo == hi else [lo, hi]


def _r(x: float, nd: int = 4) -> float:
    return float(round(x, nd))


# --- the checks ------------------------------------------------------------------------------------------------

def _check_phase_totals(roadmap: Roadmap, out: list[Finding]) -> None:
    for _, r in phase_cost_table(roadmap).iterrows():
        phase = roadmap["phases"][r.phase]
        section = phase["total"].section
        for end in ("low", "high"):
            stated, summed = r[f"stated_total_{end}"], r[f"sum_components_{end}"]
            sev = severity_of(stated, summed, approx=phase["total"].qualifier == "approx")
            note = " The roadmap marks the total approximate (~), so within 10% counts as agreeing." if sev == "ok" and abs(summed - stated) > 1 else ""
            if "stripe_fee_share" in phase:
                note += (f" Stripe ({phase['stripe_fee_share'].value:.1%} of revenue) is listed without a dollar "
                         "amount and is not in the sum.")
            out.append(Finding(
                id=f"{r.phase}.total_{end}", section=section,
                claim=f"{r.label}: total ~${stated:,.0f}/month at the {end} end",
                stated=stated, recomputed=summed, unit="usd_per_month", severity=sev,
                explanation=(f"Sum of the listed components ({r.components}) at the {end} end is "
                             f"${summed:,.0f} vs the stated ${stated:,.0f} ({(summed - stated) / stated:+.1%})." + note),
            ))


def _check_phase_revenue(roadmap: Roadmap, prices: PriceBook, out: list[Finding]) -> None:
    notes = roadmap["cost_projection"]["notes"]
    for name, phase in roadmap["phases"].items():
        rev = phase.get("revenue")
        if not rev:
            continue
        users, conv = rev["users"].value, rev["pro_conversion"].value
        price, share = rev["pro_price"].value, rev["revenue_share_to_company"].value
        sec = rev["gross"].section
        subs = users * conv
        out.append(Finding(f"{name}.pro_subscribers", sec, f"{rev['pro_subscribers'].value:,.0f} Pro users",
                           rev["pro_subscribers"].value, subs, "subscribers",
                           severity_of(rev["pro_subscribers"].value, subs),
                           f"{users:,.0f} users x {conv:.1%} conversion = {subs:,.0f}."))
        pro_gross = rev["pro_subscribers"].value * price
        if "max_subscribers" in rev:
            max_gross = rev["max_subscribers"].value * rev["max_price"].value
            out.append(Finding(f"{name}.max_gross", sec, f"Max revenue ${rev['max_gross'].value:,.0f}/month",
                               rev["max_gross"].value, max_gross, "usd_per_month",
                               severity_of(rev["max_gross"].value, max_gross),
                               f"{rev['max_subscribers'].value:,.0f} x ${rev['max_price'].value:,.2f} = ${max_gross:,.2f}."))
            out.append(Finding(f"{name}.pro_gross", sec, f"Pro revenue ${rev['pro_gross'].value:,.0f}/month",
                               rev["pro_gross"].value, pro_gross, "usd_per_month",
                               severity_of(rev["pro_gross"].value, pro_gross),
                               f"{rev['pro_subscribers'].value:,.0f} x ${price:,.2f} = ${pro_gross:,.2f}."))
            implied_max_conv = rev["max_subscribers"].value / users
            out.append(Finding(f"{name}.max_conversion", sec, "Max conversion implied by the Max users",
                               notes["max_conversion"].value, implied_max_conv, "fraction",
                               severity_of(notes["max_conversion"].value, implied_max_conv, abs_tol=0.0005),
                               f"{rev['max_subscribers'].value:,.0f} Max users of {users:,.0f} = {implied_max_conv:.2%} "
                               f"vs the {notes['max_conversion'].value:.1%} in the summary notes."))
            gross = pro_gross + max_gross
        else:
            gross = pro_gross
            missing = users * notes["max_conversion"].value * notes["max_price"].value
            out.append(Finding(
                f"{name}.max_tier_omitted", sec, f"Revenue at {users:,.0f} users counts Pro only",
                rev["gross"].value, rev["gross"].value + missing, "usd_per_month",
                "minor",
                f"The summary notes assume {notes['max_conversion'].value:.1%} Max at ${notes['max_price'].value:,.0f}; "
                f"that adds ${missing:,.0f}/month ({missing / rev['gross'].value:.1%}) which this phase leaves out.",
            ))
        out.append(Finding(f"{name}.gross", sec, f"Gross revenue ${rev['gross'].value:,.0f}/month",
                           rev["gross"].value, gross, "usd_per_month", severity_of(rev["gross"].value, gross),
                           f"Recomputed from the stated subscribers and prices: ${gross:,.2f}."))
        after = rev["gross"].value * share
        out.append(Finding(f"{name}.after_share", sec,
                           f"After revenue share ${rev['after_share'].value:,.0f}/month",
                           rev["after_share"].value, after, "usd_per_month",
                           severity_of(rev["after_share"].value, after),
                           f"${rev['gross'].value:,.0f} x {share:.0%} = ${after:,.2f}."))
        # margin: the phase's cost range against revenue after the share, with and without card fees
        total = phase["total"]
        charges = rev["pro_subscribers"].value + (rev["max_subscribers"].value if "max_subscribers" in rev else 0)
        fees = stripe_fee_usd(rev["gross"].value, charges, prices)
        m_lo = (after - total.high) / after
        m_hi = (after - total.low) / after
        mf_lo = (after - fees - total.high) / (after - fees)
        stated = rev["margin"]
        stated_txt = (f"{stated.low:.0%}+" if stated.qualifier == "at_least" else
                      f"{stated.low:.0%}-{stated.high:.0%}")
        if m_lo >= stated.low - 0.005:
            sev = "ok"
        elif m_lo >= stated.low - 0.15 * stated.low:
            sev = "minor"
        else:
            sev = "major"
        out.append(Finding(
            f"{name}.margin", stated.section, f"Margin {stated_txt} at {users:,.0f} users",
            _range(stated.low, stated.high), [_r(m_lo), _r(m_hi)], "fraction", sev,
            f"With the phase's own cost range ${total.low:,.0f}-${total.high:,.0f} against revenue after the share "
            f"(${after:,.0f}) the margin is {m_lo:.0%} to {m_hi:.0%}; at the high-cost end it falls to {mf_lo:.0%} "
            f"once list-price card fees (${fees:,.0f}/month, {fees / rev['gross'].value:.1%} of gross) are paid.",
        ))


def _check_cost_projection(roadmap: Roadmap, prices: PriceBook, out: list[Finding]) -> None:
    t = cost_projection_table(roadmap, prices)
    notes = roadmap["cost_projection"]["notes"]
    sec = roadmap["cost_projection"]["rows"]["u1k"]["revenue"].section
    for _, r in t.iterrows():
        label = f"{r.users / 1000:,.0f}K users"
        sev_rev = severity_of(r.stated_revenue_usd, r.revenue_with_max_usd)
        out.append(Finding(
            f"cost_projection.{r.row}.revenue", sec, f"Revenue ${r.stated_revenue_usd:,.0f}/month at {label}",
            r.stated_revenue_usd, _r(r.revenue_with_max_usd, 2), "usd_per_month", sev_rev,
            f"The notes say revenue assumes {notes['pro_conversion'].value:.0%} Pro @ ${notes['pro_price'].value} "
            f"+ {notes['max_conversion'].value:.1%} Max @ ${notes['max_price'].value:,.0f}: that is "
            f"${r.revenue_with_max_usd:,.0f}; the column matches Pro only (${r.revenue_pro_only_usd:,.0f}, "
            f"rounded to ${r.stated_revenue_usd:,.0f}), so the Max tier is left out.",
        ))
        sev_m = severity_of(r.stated_margin, r.margin_recomputed, abs_tol=0.005, minor_within=0.05)
        out.append(Finding(
            f"cost_projection.{r.row}.margin", sec, f"Margin {r.stated_margin:.0%} at {label}",
            r.stated_margin, _r(r.margin_recomputed), "fraction", sev_m,
            f"(revenue - cost) / revenue from the same row = (${r.stated_revenue_usd:,.0f} - "
            f"${r.stated_cost_usd:,.0f}) / ${r.stated_revenue_usd:,.0f} = {r.margin_recomputed:.1%}; "
            f"after the {notes['revenue_share_to_company'].value:.0%} revenue share it is {r.margin_after_share:.1%}.",
        ))
    claim = roadmap["claims"]["margin_range"]
    after = t.margin_after_share.to_numpy()
    in_range = int(np.sum((after >= claim.low) & (after <= claim.high)))
    out.append(Finding(
        "claims.margins_throughout", claim.section,
        f"Margins stay healthy ({claim.low:.0%}-{claim.high:.0%}) throughout",
        [claim.low, claim.high], [_r(float(after.min())), _r(float(after.max()))], "fraction",
        "major" if in_range < len(after) else "ok",
        f"Revenue in the table is before the revenue share (notes). After the share, margins range "
        f"{after.min():.0%}-{after.max():.0%} and only {in_range} of {len(after)} rows lie in "
        f"{claim.low:.0%}-{claim.high:.0%}; the stated margin column itself is not (revenue-cost)/revenue "
        f"for {int(np.sum(np.abs(t.margin_recomputed - t.stated_margin) > 0.01))} of {len(t)} rows.",
    ))
    per_user = t.cost_per_user_usd.to_numpy()
    rises = [(int(a), int(b)) for a, b, pa, pb in zip(t.users, t.users[1:], per_user, per_user[1:]) if pb > pa]
    out.append(Finding(
        "claims.per_user_cost_decreases", roadmap["claims"]["cost_elasticity_below"].section,
        "Per-user costs decrease as we grow",
        "decreasing", [_r(x) for x in per_user], "usd_per_user_month", "major" if rises else "ok",
        "Cost per user from the table: " + ", ".join(f"{u / 1000:,.0f}K ${c:.2f}" for u, c in zip(t.users, per_user))
        + (". It rises between " + "; ".join(f"{a / 1000:,.0f}K and {b / 1000:,.0f}K" for a, b in rises) + "." if rises else "."),
    ))


def _check_elasticity(roadmap: Roadmap, out: list[Finding]) -> None:
    from voyager_analysis.scaling import roadmap_elasticity

    claim = roadmap["claims"]["cost_elasticity_below"]
    res = roadmap_elasticity(roadmap)
    lo, hi = res.ci
    sev = "ok" if res.verdict == "sub-linear" else "major"
    out.append(Finding(
        "claims.costs_scale_sublinearly", claim.section, "Costs scale sub-linearly (elasticity of cost to users < 1)",
        f"< {claim.value:g}", [_r(res.elasticity), [_r(lo), _r(hi)]], "elasticity", sev,
        f"log(cost) on log(users) over the {res.n} rows of the cost projection table: elasticity "
        f"{res.elasticity:.2f} (CI {lo:.2f}-{hi:.2f}, one-sided p = {res.p_value:.3f} for < 1; {res.method}). "
        f"Verdict: {res.verdict}.",
    ))


def _check_milestones(roadmap: Roadmap, out: list[Finding]) -> None:
    ms = roadmap["milestones"]
    by_high = {m["users"].high: m for m in ms.values()}
    for key, row in roadmap["cost_projection"]["rows"].items():
        m = by_high.get(row["users"].value)
        if m is None:
            continue
        stated, band = row["cost"].value, m["cost"]
        out.append(Finding(
            f"cost_projection.{key}.vs_milestone", m["cost"].section,
            f"Summary-table cost at {row['users'].value:,.0f} users vs the milestone band",
            stated, [band.low, band.high], "usd_per_month", "ok" if band.low <= stated <= band.high else "minor",
            f"The table's ${stated:,.0f} is {'inside' if band.low <= stated <= band.high else 'outside'} the "
            f"milestone band ${band.low:,.0f}-${band.high:,.0f}.",
        ))
    for name, phase in roadmap["phases"].items():
        if "months" not in phase:
            continue
        u_lo, u_hi = phase["users"].low, phase["users"].high
        inside = [m for m in ms.values() if m["users"].low >= u_lo and m["users"].high <= u_hi]
        if not inside:
            continue
        lo, hi = min(m["cost"].low for m in inside), max(m["cost"].high for m in inside)
        m_lo, m_hi = min(m["months"].low for m in inside), max(m["months"].high for m in inside)
        total = phase["total"]
        sev = "ok" if severity_of(total.low, lo) == "ok" and severity_of(total.high, hi) == "ok" else "minor"
        out.append(Finding(
            f"{name}.total_vs_milestones", total.section,
            f"{phase['label']}: total ${total.low:,.0f}-${total.high:,.0f} vs the milestone bands it spans",
            [total.low, total.high], [lo, hi], "usd_per_month", sev,
            f"The milestone bands for {u_lo:,.0f}-{u_hi:,.0f} users give ${lo:,.0f}-${hi:,.0f}/month.",
        ))
        months = phase["months"]
        out.append(Finding(
            f"{name}.months_vs_milestones", months.section, f"{phase['label']}: months {months.low:g}-{months.high:g}",
            [months.low, months.high], [m_lo, m_hi], "month",
            "ok" if (months.low, months.high) == (m_lo, m_hi) else "minor",
            f"The milestone bands for the same users span months {m_lo:g}-{m_hi:g}.",
        ))


def _check_growth_pace(roadmap: Roadmap, out: list[Finding]) -> None:
    t = growth_pace_table(roadmap)
    fastest = t.loc[t.monthly_growth.idxmax()]
    slowest = t.loc[t.monthly_growth.idxmin()]
    out.append(Finding(
        "milestones.growth_pace", "Infrastructure milestones by user count",
        "Growth pace implied by the milestone months",
        "not stated", [_r(float(x)) for x in t.monthly_growth], "fraction_per_month", "info",
        "Monthly growth between milestones: " + ", ".join(
            f"{r.from_users / 1000:,.0f}K->{r.to_users / 1000:,.0f}K {r.monthly_growth:.0%}" for _, r in t.iterrows())
        + f". The pace falls from {fastest.monthly_growth:.0%}/month to {slowest.monthly_growth:.0%}/month: the "
        "plan assumes growth saturates well before 100K, a logistic-like curve (see the growth notebook).",
    ))


def _check_archival(roadmap: Roadmap, prices: PriceBook, out: list[Finding]) -> None:
    a = roadmap["archival"]
    ratio = a["hot_storage_price"].value / a["archive_storage_price"].value
    out.append(Finding("archival.price_ratio", a["claimed_price_ratio"].section, "Archive storage is 6x cheaper",
                       a["claimed_price_ratio"].value, _r(ratio, 2), "ratio",
                       severity_of(a["claimed_price_ratio"].value, ratio),
                       f"${a['hot_storage_price'].value}/GB-month / ${a['archive_storage_price'].value}/GB-month = {ratio:.1f}x."))
    hot, cold = prices.service("neon_storage"), prices.service("s3_standard_storage")
    now = hot.price_usd / cold.price_usd
    out.append(Finding("archival.price_ratio_list_prices", a["claimed_price_ratio"].section,
                       "Archive storage is 6x cheaper (at current list prices)",
                       a["claimed_price_ratio"].value, _r(now, 2), "ratio", "info",
                       f"At list prices (Neon ${hot.price_usd}/GB-month, S3 Standard ${cold.price_usd}/GB-month, "
                       f"as of {hot.as_of}) the ratio is {now:.1f}x: the roadmap's "
                       f"${a['hot_storage_price'].value} Postgres price is out of date, "
                       "so archiving saves more per GB than it says (the archival notebook sizes the GB)."))


def _check_payment_fees(roadmap: Roadmap, prices: PriceBook, out: list[Finding]) -> None:
    stated = roadmap["revenue_assumptions"]["stripe_fee_share"]
    price = roadmap["revenue_assumptions"]["pro_price"].value
    pct, fixed = prices.service("stripe_card_percent"), prices.service("stripe_card_fixed")
    effective = pct.price_usd + fixed.price_usd / price
    out.append(Finding("revenue.stripe_fee", stated.section, f"Stripe: {stated.value:.1%} of revenue",
                       stated.value, _r(effective), "fraction", severity_of(stated.value, effective, abs_tol=0.0005),
                       f"List price is {pct.price_usd:.1%} + ${fixed.price_usd:.2f} per charge (as of {pct.as_of}); on a "
                       f"${price} subscription that is {effective:.2%} of revenue, and phases 2-3 and the summary table "
                       "leave payment fees out entirely."))


def _check_team_timing(roadmap: Roadmap, out: list[Finding]) -> None:
    team, ms = roadmap["team"], roadmap["milestones"]
    hire = team["first_ops_hire_month"]
    band = next(m for m in ms.values() if m["months"].low <= hire.low < m["months"].high)
    milestone_users = team["ops_hire_milestone_users"]
    approaching = roadmap["timeline"]["approaching_100k"]
    consistent = band["users"].low >= milestone_users.low
    out.append(Finding(
        "team.ops_hire_timing", hire.section, f"First ops hire in months {hire.low:g}-{hire.high:g}",
        [hire.low, hire.high], [band["users"].low, band["users"].high], "users", "ok" if consistent else "minor",
        f"Months {hire.low:g}-{hire.high:g} fall in the {band['users'].low / 1000:,.0f}K-{band['users'].high / 1000:,.0f}K "
        f"milestone band, but the milestone list puts the hire at {milestone_users.low / 1000:,.0f}K-"
        f"{milestone_users.high / 1000:,.0f}K users (months {ms['m_75k_100k']['months'].low:g}-"
        f"{ms['m_75k_100k']['months'].high:g}); the 'Next actions' section calls months "
        f"{approaching.low:g}-{approaching.high:g} 'approaching 100K'.",
    ))
    load = ms["m_10k_30k"]["load_test_concurrent_users"]
    users = ms["m_10k_30k"]["users"]
    out.append(Finding(
        "milestones.load_test_concurrency", load.section, f"Load test with {load.value:,.0f} concurrent users",
        load.value, users.high, "users", "info",
        f"{load.value:,.0f} concurrent users is {load.value / users.high:.0%} of the band's {users.high:,.0f} monthly "
        "users; concurrency is normally a small fraction of monthly actives, so this test is far above real peak load.",
    ))


def _check_sharding(roadmap: Roadmap, out: list[Finding]) -> None:
    s, th = roadmap["sharding"], roadmap["thresholds"]
    total = s["community_a_users"].value + s["community_b_users"].value + s["communities_c_to_j_users"].value
    out.append(Finding("sharding.example_total", s["community_a_users"].section,
                       "Shard example covers 100K users", roadmap["phases"]["phase_3"]["users"].high, total,
                       "users", severity_of(roadmap["phases"]["phase_3"]["users"].high, total),
                       f"50K + 30K + 20K = {total:,.0f} users."))
    neon = roadmap["phases"]["phase_3"]["costs"]["neon"]
    signal = th["sharding_database_cost"]
    out.append(Finding("sharding.cost_signal", signal.section, f"Sharding signal: database cost > ${signal.value:,.0f}/month",
                       signal.value, [neon.low, neon.high], "usd_per_month", "info",
                       f"Phase 3 budgets Neon at ${neon.low:,.0f}-${neon.high:,.0f}/month: the top of the planned range "
                       f"already reaches the ${signal.value:,.0f} sharding signal."))


CHECKS = (_check_phase_totals, _check_phase_revenue, _check_cost_projection, _check_elasticity,
          _check_milestones, _check_growth_pace, _check_archival, _check_payment_fees, _check_team_timing,
          _check_sharding)


def format_value(value: Any, unit: str) -> str:
    """A stated or recomputed value as a person reads it: 12% for fractions, $1,200 for money, lists as ranges."""
    if isinstance(value, (list, tuple)):
        parts = [format_value(v, unit) for v in value]
        flat = all(not isinstance(v, (list, tuple)) for v in value)
        return " to ".join(parts) if flat and len(parts) == 2 else "[" + ", ".join(parts) + "]"
    if isinstance(value, str):
        return value
    x = float(value)
    if unit.startswith("fraction"):
        return f"{x:.1%}"
    if unit.startswith("usd"):
        return f"${x:,.2f}" if abs(x) < 10 else f"${x:,.0f}"
    if unit in ("elasticity", "ratio"):
        return f"{x:.2f}"
    return f"{x:,.0f}" if x == int(x) else f"{x:,.2f}"


__all__ = ["SEVERITIES", "Finding", "severity_of", "CHECKS", "format_value"]
