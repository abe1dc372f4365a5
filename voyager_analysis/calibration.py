"""The cost model against the roadmap: calibration per phase and component, margins at its user counts.

- :func:`calibration_table` (a :class:`Calibration`) puts the model's percentiles at each roadmap phase's user
  bounds next to the roadmap's component ranges, with the envelope any inputs in range can reach and a
  verdict (:func:`verdict`).
- :func:`roadmap_margin_check` (a :class:`MarginCheck`) simulates the roadmap's cost-projection user counts
  and compares the margin draws with the roadmap's stated margins and its claimed range.

Both take the model's inputs (``project.base_inputs()`` and a scenario, or the project) and the roadmap; they
read no file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from voyager_analysis import config, costs, montecarlo
from voyager_analysis.assumptions import Figure
from voyager_analysis.results import Results
from voyager_analysis.revenue import RevenueModel, gross_revenue_usd


def envelope(users: float, inputs: Mapping[str, Figure], *, include_ops_hire: bool = False
             ) -> dict[str, tuple[float, float]]:
    """The smallest and largest value each component (and ``total``, infrastructure without payment fees and
    the ops hire) can take at ``users`` with every input anywhere in its range.

    Every cost here is monotone in each input separately (the direction does not depend on the other inputs),
    so the extremes sit at corners of the input box. Each input's direction is read from one-at-a-time changes
    at the low, middle and high corners (a kink such as "usage beyond the included quota" can hide it at one of
    them); the corner so found is then polished by coordinate search until no single input improves it.
    """
    ranged = [k for k, f in inputs.items() if not f.is_point]
    base = {k: float(f.low) for k, f in inputs.items()}
    k = len(ranged)
    lows = {r: inputs[r].low for r in ranged}
    highs = {r: inputs[r].high for r in ranged}
    mids = {r: inputs[r].mid for r in ranged}

    def targets(values):
        out = costs.evaluate(users, values, include_ops_hire=include_ops_hire)
        comps = out["components"]
        total = sum(comps[c] for c in comps if c not in costs.NON_INFRA)
        return {**comps, "total": total}

    def one_at_a_time(point):
        """Each target at ``point`` with input i at its low (row 2i) and at its high (row 2i + 1)."""
        trial = dict(base)
        trial.update({r: np.full(2 * k, point[r]) for r in ranged})
        for i, r in enumerate(ranged):
            trial[r][2 * i] = lows[r]
            trial[r][2 * i + 1] = highs[r]
        return {n: np.broadcast_to(np.asarray(v, dtype=float), (2 * k,)) for n, v in targets(trial).items()}

    effects = [one_at_a_time(point) for point in (lows, mids, highs)]
    result = {}
    for name in effects[0]:
        signs = np.zeros(k)
        for eff in effects:
            diff = eff[name][1::2] - eff[name][0::2]
            signs = np.where(signs == 0, np.sign(diff), signs)
        ends = []
        for direction in (-1.0, 1.0):
            choice = {r: highs[r] if direction * signs[i] > 0 else lows[r] for i, r in enumerate(ranged)}
            for _ in range(k + 1):  # polish: move any single input that still improves the target
                y = one_at_a_time(choice)[name]
                new = {}
                for i, r in enumerate(ranged):
                    gain = direction * (y[2 * i + 1] - y[2 * i])
                    new[r] = highs[r] if gain > 0 else lows[r] if gain < 0 else choice[r]
                if new == choice:
                    break
                choice = new
            ends.append(float(targets({**base, **choice})[name]))
        result[name] = (ends[0], ends[1])
    return result


def _end_status(value: float, p5: float, p95: float, lo: float, hi: float) -> str:
    tol = 1e-9 * max(abs(value), 1.0)
    if value < lo - tol or value > hi + tol:
        return "unreachable"
    if p5 > value:
        return "above"
    if p95 < value:
        return "below"
    return "within"


def verdict(roadmap_low: float, roadmap_high: float, at_low: Sequence[float], at_high: Sequence[float],
            conflict: str | None = None) -> tuple[str, str, str, str]:
    """Compare one roadmap range with the model at the phase's two user bounds.

    ``at_low`` / ``at_high`` are ``(p5, p95, envelope_min, envelope_max)`` of the model at the phase's low /
    high user count. The roadmap's low figure is read as the cost at the low user count and its high figure
    as the cost at the high user count (phases 2 and 3 chain this way: each phase starts where the previous
    one ends). Each end is ``within`` the model's 5-95% band, ``above``/``below`` it (the model is above /
    below the roadmap), or ``unreachable`` (outside what any input values in their ranges can give).

    Verdict: ``not reproducible`` if an end is unreachable or ``conflict`` (text) says the roadmap contradicts
    itself; ``within`` if both ends are; otherwise ``model above`` / ``model below`` (when the ends disagree,
    the larger gap in log terms decides). Returns ``(verdict, status_at_low, status_at_high, note)``.
    """
    s_lo = _end_status(roadmap_low, at_low[0], at_low[1], at_low[2], at_low[3])
    s_hi = _end_status(roadmap_high, at_high[0], at_high[1], at_high[2], at_high[3])
    notes = []
    if conflict:
        notes.append(conflict)
    for label, s, value, (p5, p95, lo, hi) in (("low", s_lo, roadmap_low, at_low),
                                               ("high", s_hi, roadmap_high, at_high)):
        if s == "unreachable":
            side = "below the smallest" if value < lo else "above the largest"
            notes.append(f"roadmap {label} end ({value:,.0f}) is {side} value any inputs in range give "
                         f"({lo:,.0f}-{hi:,.0f})")
    if conflict or "unreachable" in (s_lo, s_hi):
        return "not reproducible", s_lo, s_hi, "; ".join(notes)
    if s_lo == s_hi == "within":
        return "within", s_lo, s_hi, ""

    def gap(s, value, p5, p95):
        if s == "above":
            return math.log(p5 / value) if value > 0 else math.inf
        if s == "below":
            return math.log(value / p95) if p95 > 0 else math.inf
        return 0.0

    g_lo = gap(s_lo, roadmap_low, at_low[0], at_low[1])
    g_hi = gap(s_hi, roadmap_high, at_high[0], at_high[1])
    side = s_lo if g_lo >= g_hi else s_hi
    if {s_lo, s_hi} == {"above", "below"}:
        notes.append(f"model {s_lo} the roadmap at the low end, {s_hi} at the high end")
    return f"model {side}", s_lo, s_hi, "; ".join(notes)


def _phase_users(phase) -> tuple[float, float]:
    users = phase.get("cost_at_users") or phase["users"]
    return float(users.low), float(users.high)


def boundary_conflicts(roadmap) -> dict[tuple[str, str], str]:
    """Where two consecutive phases share a user count but state non-overlapping ranges for one component
    (or the total): no model can give one cost inside both. Keys are ``(phase, component)``."""
    phases = roadmap["phases"]
    keys = list(phases)
    out = {}
    for a, b in zip(keys, keys[1:]):
        pa, pb = phases[a], phases[b]
        if "cost_at_users" in pa or pa["users"].high != pb["users"].low:
            continue
        ranges_a = {**pa["costs"], "total": pa["total"]}
        ranges_b = {**pb["costs"], "total": pb["total"]}
        for comp in ranges_a.keys() & ranges_b.keys():
            fa, fb = ranges_a[comp], ranges_b[comp]
            if fa.high < fb.low or fb.high < fa.low:
                text = (f"at {pa['users'].high:,.0f} users {a} says {fa.low:,.0f}-{fa.high:,.0f} and {b} says "
                        f"{fb.low:,.0f}-{fb.high:,.0f}: no single cost lies in both")
                out[(a, comp)] = out[(b, comp)] = text
    return out


def calibrated_components(inputs: Mapping[str, Figure]) -> set[str]:
    """Components with at least one input marked 'calibrated' in its note (matching them is by construction)."""
    flagged = {k for k, f in inputs.items() if f.note and "calibrated" in f.note.lower()}
    return {c for c, args in costs.COMPONENT_ARGS.items() if flagged & set(args)}


def calibration_table(inputs, roadmap, *, scenario=None, draws: int = 20_000, seed: int = config.DEFAULT_SEED
                      ) -> Calibration:
    """Model vs roadmap for every phase and component the roadmap prices (and each phase's total).

    ``inputs``/``scenario``: see :func:`voyager_analysis.montecarlo.model_setup`. The table (``.table``) has
    columns ``phase, component, users_low, users_high, roadmap_low, roadmap_high``, the model's ``p5/p50/p95``
    at the phase's low and high user counts (``*_at_low``, ``*_at_high``), the envelope of values any inputs in
    range can give (``min_at_low, max_at_low, min_at_high, max_at_high``), each end's status, ``verdict`` (see
    :func:`verdict`), ``calibrated`` (the component has inputs calibrated to the roadmap, so agreement is by
    construction) and ``note``. A phase whose costs are stated at one user count (``cost_at_users``) is
    compared at that count. ``total`` is infrastructure without payment fees and the ops hire, as in the
    roadmap's totals. The ops-hire line is never included here.
    """
    import pandas as pd

    phases = roadmap["phases"]
    counts = sorted({u for p in phases.values() for u in _phase_users(p)})
    runs = montecarlo.simulate_many(counts, inputs, scenario=scenario, draws=draws, seed=seed, include_ops_hire=False)
    first = next(iter(runs.values()))
    inputs = first.inputs
    bands, envs = {}, {}
    for u, res in runs.items():
        total = res.outputs["infra_cost_usd"]  # no ops hire here, so infrastructure = cost - payment fees
        cols = {**{c: res.column(c) for c in res.component_names}, "total": total}
        bands[u] = {c: montecarlo.stats_of(v)[[1, 2, 3]] for c, v in cols.items()}
        envs[u] = envelope(u, inputs, include_ops_hire=False)
    conflicts = boundary_conflicts(roadmap)
    calibrated = calibrated_components(inputs)
    rows = []
    for key, phase in phases.items():
        u_lo, u_hi = _phase_users(phase)
        for comp, fig in [*phase["costs"].items(), ("total", phase["total"])]:
            b_lo, b_hi = bands[u_lo][comp], bands[u_hi][comp]
            e_lo, e_hi = envs[u_lo][comp], envs[u_hi][comp]
            v, s_lo, s_hi, note = verdict(fig.low, fig.high, (b_lo[0], b_lo[2], *e_lo), (b_hi[0], b_hi[2], *e_hi),
                                          conflicts.get((key, comp)))
            is_cal = (bool(calibrated - set(costs.NON_INFRA)) if comp == "total" else comp in calibrated)
            rows.append({"phase": key, "component": comp, "users_low": u_lo, "users_high": u_hi,
                         "roadmap_low": fig.low, "roadmap_high": fig.high,
                         "p5_at_low": b_lo[0], "p50_at_low": b_lo[1], "p95_at_low": b_lo[2],
                         "p5_at_high": b_hi[0], "p50_at_high": b_hi[1], "p95_at_high": b_hi[2],
                         "min_at_low": e_lo[0], "max_at_low": e_lo[1], "min_at_high": e_hi[0],
                         "max_at_high": e_hi[1], "status_at_low": s_lo, "status_at_high": s_hi,
                         "verdict": v, "calibrated": is_cal, "note": note})
    return Calibration(table=pd.DataFrame(rows), note=first.source_note())


@dataclass(repr=False)
class Calibration(Results):
    """The model against the roadmap's cost ranges, phase by phase (:func:`calibration_table`)."""

    table: Any
    note: str
    title = "Model vs roadmap by phase and component"
    COLUMNS = ["phase", "component", "users_low", "users_high", "roadmap_low", "roadmap_high", "p50_at_low",
               "p50_at_high", "p5_at_low", "p95_at_high", "verdict", "calibrated"]

    def summary(self):
        return self.table[self.COLUMNS]

    def verdict_counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.table["verdict"].value_counts().items()}

    def not_reproducible(self) -> list[str]:
        bad = self.table[self.table["verdict"] == "not reproducible"]
        return [f"{r.phase}/{r.component}" for r in bad.itertuples()]

    def _payload(self) -> dict:
        return {"calibration_verdicts": self.verdict_counts(), "not_reproducible": self.not_reproducible()}

    def verdict_markdown(self) -> str:
        """Counts of each verdict, then every range that is not reproducible or where model and roadmap disagree."""
        t = self.table
        lines = [f"Of {len(t)} roadmap ranges (components and phase totals): "
                 + ", ".join(f"**{n} {v}**" for v, n in self.verdict_counts().items()) + "."]
        bad = t[t["verdict"] == "not reproducible"]
        if len(bad):
            lines.append("\n**Not reproducible:**\n")
            lines += [f"- {r.phase} / {r.component} (roadmap ${r.roadmap_low:,.0f}-${r.roadmap_high:,.0f}): {r.note}."
                      for r in bad.itertuples()]
        off = t[t["verdict"].isin(["model above", "model below"])]
        if len(off):
            lines.append("\n**Model and roadmap disagree** (a finding, not something tuned away):\n")
            for r in off.itertuples():
                where = (f"${r.p50_at_low:,.0f} at {r.users_low:,.0f} users" if r.users_low == r.users_high else
                         f"${r.p50_at_low:,.0f} at {r.users_low:,.0f} users and ${r.p50_at_high:,.0f} at "
                         f"{r.users_high:,.0f}")
                lines.append(f"- {r.phase} / {r.component}: roadmap ${r.roadmap_low:,.0f}-${r.roadmap_high:,.0f}, "
                             f"model median {where} ({r.verdict}{'; calibrated inputs' if r.calibrated else ''}).")
        return "\n".join(lines)

    def plot_chart(self):
        from voyager_analysis.plots.costs import calibration_chart

        return calibration_chart(self.table, note=self.note)


# --- margins at the roadmap's user counts --------------------------------------------------------------------------

def roadmap_user_counts(roadmap) -> list[float]:
    """The user counts of the roadmap's cost projection table (``cost_projection.rows``)."""
    return [float(r["users"].value) for r in roadmap.get("cost_projection.rows").values()]


def roadmap_margin_check(inputs, roadmap, *, scenario=None, draws: int = 20_000, seed: int = config.DEFAULT_SEED
                         ) -> MarginCheck:
    """Margin draws at the roadmap's cost-projection user counts against what the roadmap states.

    One row per user count (``.table``): the roadmap's cost, revenue and margin (percent), the model's cost
    p50, margin p5/p50/p95 (before the share, the roadmap's definition), the share of draws with margin < 0,
    below the low end of the roadmap's claimed range (``claims.margin_range``) and inside it, and the margin
    after the share (p50, share < 0).
    """
    import pandas as pd

    results = montecarlo.simulate_many(roadmap_user_counts(roadmap), inputs, scenario=scenario, draws=draws,
                                       seed=seed)
    claim = roadmap.get("claims.margin_range")
    lo_pct, hi_pct = 100 * claim.low, 100 * claim.high
    stated = {float(r["users"].value): r for r in roadmap.get("cost_projection.rows").values()}
    rows = []
    for u, res in results.items():
        m = res.outputs["margin_pct"]
        after = res.outputs["margin_after_share_pct"]
        r = stated.get(float(u))
        s = res.summary()
        rows.append({
            "users": u,
            "roadmap_cost_usd": r["cost"].value if r else np.nan,
            "roadmap_revenue_usd": r["revenue"].value if r else np.nan,
            "roadmap_margin_pct": 100 * r["margin"].value if r else np.nan,
            "cost_usd_p50": s.at["cost_usd", "p50"],
            "gross_revenue_usd_p50": s.at["gross_revenue_usd", "p50"],
            "margin_pct_p5": s.at["margin_pct", "p5"], "margin_pct_p50": s.at["margin_pct", "p50"],
            "margin_pct_p95": s.at["margin_pct", "p95"],
            "share_below_zero": float(np.mean(m < 0)),
            "share_below_claimed": float(np.mean(m < lo_pct)),
            "share_within_claimed": float(np.mean((m >= lo_pct) & (m <= hi_pct))),
            "margin_after_share_pct_p50": s.at["margin_after_share_pct", "p50"],
            "share_after_share_below_zero": float(np.mean(after < 0)),
        })
    rev = RevenueModel.from_inputs(next(iter(results.values())).inputs)
    return MarginCheck(table=pd.DataFrame(rows), claimed_range_pct=(lo_pct, hi_pct),
                       margins={u: res.outputs["margin_pct"] for u, res in results.items()},
                       note=next(iter(results.values())).source_note(), revenue=rev)


@dataclass(repr=False)
class MarginCheck(Results):
    """Margins at the roadmap's user counts against its stated margins and claimed range."""

    table: Any
    claimed_range_pct: tuple[float, float]
    margins: dict  #: user count -> margin draws (percent, before the share)
    note: str
    revenue: RevenueModel
    title = "Margin at the roadmap's user counts (model percentiles vs the roadmap's table)"

    def summary(self):
        return self.table

    def _payload(self) -> dict:
        t = self.table
        keys = ("roadmap_margin_pct", "margin_pct_p5", "margin_pct_p50", "margin_pct_p95", "share_below_zero",
                "share_below_claimed", "margin_after_share_pct_p50")
        return {"claimed_margin_range_pct": list(self.claimed_range_pct),
                "roadmap_users": {int(r["users"]): {k: r[k] for k in keys} for _, r in t.iterrows()},
                "share_margin_below_zero_max": t["share_below_zero"].max(),
                "share_margin_below_claimed_max": t["share_below_claimed"].max()}

    def roadmap_points(self):
        """The roadmap's cost, revenue and margin by user count, named as the curve's outputs."""
        return self.table.rename(columns={"roadmap_cost_usd": "cost_usd", "roadmap_revenue_usd": "revenue_usd",
                                          "roadmap_margin_pct": "margin_pct"})

    def verdict_markdown(self) -> str:
        c = self.table
        lo_claim, hi_claim = self.claimed_range_pct
        worst = c.loc[c["share_below_claimed"].idxmax()]
        top = c.iloc[-1]
        pro_only = gross_revenue_usd(c["users"], self.revenue.pro_conversion, self.revenue.pro_price_usd, 0.0, 0.0)
        pro_gap = (c["roadmap_revenue_usd"] / pro_only - 1).abs().max()
        return (
            f"Across the roadmap's user counts the model's median margin (before the share) is "
            f"{c['margin_pct_p50'].min():.0f}-{c['margin_pct_p50'].max():.0f}% against the roadmap's stated "
            f"{c['roadmap_margin_pct'].min():.0f}-{c['roadmap_margin_pct'].max():.0f}%. "
            f"The share of draws with a **loss** (margin < 0) is at most {c['share_below_zero'].max():.2%}; the share "
            f"**below the claimed {lo_claim:.0f}%** is up to {worst.share_below_claimed:.1%} (at {worst.users:,.0f} "
            f"users), and {c['share_within_claimed'].min():.0%}-{c['share_within_claimed'].max():.0%} of draws fall "
            f"inside the claimed {lo_claim:.0f}-{hi_claim:.0f}%. After the revenue share and payment fees the median "
            f"margin is {c['margin_after_share_pct_p50'].min():.0f}-{c['margin_after_share_pct_p50'].max():.0f}% "
            f"(loss in up to {c['share_after_share_below_zero'].max():.2%} of draws). At {top.users:,.0f} users the "
            f"model's median cost is ${top.cost_usd_p50:,.0f} vs the roadmap's ${top.roadmap_cost_usd:,.0f}, and "
            f"gross revenue ${top.gross_revenue_usd_p50:,.0f} vs the roadmap's ${top.roadmap_revenue_usd:,.0f}. The "
            f"roadmap's revenue column equals Pro revenue alone to within {pro_gap:.1%} at every row: its table "
            "leaves out the Max tier that its own notes assume.")

    def plot_distribution(self):
        from voyager_analysis.plots.costs import margin_distribution

        return margin_distribution(self.margins, self.table, self.claimed_range_pct, note=self.note)



# --- the roadmap's sub-linearity claim, in words (results of voyager_analysis.scaling) ----------------------------

def scaling_note(df, roadmap) -> str:
    """The source line under the sub-linearity figures: the metrics file and months, the roadmap table's date."""
    from voyager_analysis.errors import display_path

    return (f"Inputs: monthly costs in {df.attrs['source']} ({len(df)} months, {df.month.iat[0]}..{df.month.iat[-1]}; "
            f"{billed_sentence(df)}); the roadmap's cost projection table from {display_path(roadmap.path)} "
            f"(dated {roadmap.meta['dated']}). No list prices are used here.")


def billed_sentence(df) -> str:
    """Which cost columns came from vendor bills (``derive --bills``) and which were typed or modelled."""
    billed = df.attrs.get("billed") or {}
    costs = [c for c in df.columns if c.startswith("cost_") and df[c].notna().any()]
    from_bills = [c for c in costs if c in billed]
    other = [c for c in costs if c not in billed]
    short = lambda cols: ", ".join(c.removeprefix("cost_").removesuffix("_usd") for c in cols)  # noqa: E731
    if not from_bills:
        return "no cost column comes from vendor bills (typed or modelled)"
    return f"billed: {short(from_bills)}" + (f"; typed or modelled: {short(other)}" if other else "")


def elasticity_markdown(total, alpha: float) -> str:
    """The observed bills' elasticity (a :class:`voyager_analysis.scaling.ElasticityTest`), in words."""
    lo, hi = total.ci
    b = total.elasticity
    return (f"**Observed bills: elasticity {b:.2f}** ({1 - alpha:.0%} interval {lo:.2f}–{hi:.2f}; block bootstrap "
            f"{total.ci_bootstrap[0]:.2f}–{total.ci_bootstrap[1]:.2f}), one-sided p = {total.p_value:.3g}: "
            f"**{total.verdict}**. Doubling users multiplies the monthly bill by {2 ** b:.2f} (cost per user changes "
            f"by {2 ** (b - 1) - 1:+.1%})." + (f" Caution: {total.warning}." if total.warning else ""))


def roadmap_table_markdown(fit, table, alpha: float) -> str:
    """The same test on the roadmap's projection table (``scaling.roadmap_cost_table``), in words."""
    lo, hi = fit.ci
    per_user = table["cost_usd"] / table["users"]
    return (f"**Roadmap table: elasticity {fit.elasticity:.2f}** ({1 - alpha:.0%} interval {lo:.2f}–{hi:.2f}), "
            f"one-sided p = {fit.p_value:.3g}: **{fit.verdict}**. Cost per user goes from ${per_user.iat[0]:.2f} at "
            f"{table['users'].iat[0]:,.0f} users to ${per_user.min():.2f} at its lowest and ${per_user.iat[-1]:.2f} at "
            f"{table['users'].iat[-1]:,.0f} users"
            + (" — the roadmap's own table does **not** show costs growing more slowly than users; the claim rests "
               "on the wording, not on its numbers." if fit.verdict != "sub-linear" else
               " — the table is consistent with the claim."))


def breakpoint_markdown(brk, total) -> str:
    """The breakpoint search (a :class:`voyager_analysis.scaling.BreakpointResult`), in words ('' if untested)."""
    if not brk.tested:
        return f"Breakpoint search not run: {brk.reason}."
    change = "changes" if brk.significant else "does not change significantly"
    return (f"The elasticity **{change}** with scale (p = {brk.p_value:.3f}): best break at {brk.users_at_break:,.0f} "
            f"users, slope {brk.slope_below:.2f} below and {brk.slope_above:.2f} above. If the slope above the break "
            f"is the one that holds from here on, it — not the whole-period {total.elasticity:.2f} — is the one to "
            "plan with.")


def sub_linearity_payload(report, table_fit) -> dict:
    """Notebook 03's sub-linearity keys from a :class:`voyager_analysis.scaling.ScalingReport` and the roadmap
    table's fit."""
    t, brk = report.total, report.breakpoint
    return {"elasticity_total": {"estimate": t.elasticity, "low": t.ci[0], "high": t.ci[1]},
            "elasticity_p_value": t.p_value, "elasticity_verdict": t.verdict,
            "roadmap_table_elasticity": {"estimate": table_fit.elasticity, "low": table_fit.ci[0],
                                         "high": table_fit.ci[1]},
            "roadmap_table_verdict": table_fit.verdict,
            "component_verdicts": {k: v["verdict"] for k, v in report.components.items()},
            "breakpoint_users": brk.users_at_break, "breakpoint_p_value": brk.p_value, "data": report.source}


__all__ = ["envelope", "verdict", "boundary_conflicts", "calibrated_components", "calibration_table", "Calibration",
           "roadmap_user_counts", "roadmap_margin_check", "MarginCheck",
           "scaling_note", "elasticity_markdown", "roadmap_table_markdown", "breakpoint_markdown",
           "sub_linearity_payload"]
