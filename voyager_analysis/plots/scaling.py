"""Figures of the sub-linearity analysis (``voyager_analysis.scaling``)."""

from __future__ import annotations

import math

import numpy as np

from voyager_analysis.plots import MODEL_COLOR, OK_COLOR, ROADMAP_COLOR, WARN_COLOR, new_figure, source_note


def loglog_cost(result, roadmap_result=None, *, label: str = "observed months", note: str = ""):
    """Monthly cost vs users on log-log axes: points, the fitted power law and its confidence band,
    a slope-1 reference through the fit's centre, and optionally the roadmap's own table and fit.

    ``result``/``roadmap_result``: :class:`~voyager_analysis.scaling.ElasticityTest`.
    """
    fig, ax = new_figure()
    for res, color, name, marker in ((result, MODEL_COLOR, label, "o"),
                                     (roadmap_result, ROADMAP_COLOR, "roadmap's projection table", "D")):
        if res is None:
            continue
        band = res.fitted_band()
        lo, hi = res.ci
        ax.fill_between(band.users, band.lower, band.upper, color=color, alpha=0.18, lw=0)
        ax.plot(band.users, band.cost_usd, color=color, lw=2,
                label=f"{name}: elasticity {res.elasticity:.2f} [{lo:.2f}, {hi:.2f}], {res.verdict}")
        ax.plot(res.users, res.cost_usd, marker, color=color, ms=4.5, ls="none")
    # slope-1 reference through the geometric centre of the main fit
    u = result.users
    centre_u = math.exp(np.log(u).mean())
    centre_c = math.exp(result.intercept + result.elasticity * math.log(centre_u))
    grid = np.geomspace(u.min(), u.max(), 20)
    ax.plot(grid, centre_c * grid / centre_u, color="#888888", ls="--", lw=1, label="elasticity 1 (cost ∝ users)")
    _cost_vs_users_axes(ax)
    ax.set_title("Does cost grow more slowly than users?", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    if note:
        source_note(fig, note)
    return fig


def component_elasticities(components: dict, total: dict | None = None, *, note: str = ""):
    """Forest plot of per-component elasticities with intervals (``scaling_report(...)["components"]``);
    components that were not tested are listed with their reason."""
    tested = {k: v for k, v in components.items() if v.get("elasticity") is not None}
    skipped = {k: v for k, v in components.items() if v.get("elasticity") is None}
    rows = list(tested.items()) + ([("TOTAL", total)] if total else [])
    fig, ax = new_figure(7.5, 0.42 * max(len(rows), 1) + 1.8)
    colors = {"sub-linear": OK_COLOR, "super-linear": WARN_COLOR, "linear": MODEL_COLOR, "inconclusive": "#888888"}
    for i, (name, v) in enumerate(rows[::-1]):
        lo, hi = v["ci"]
        c = colors.get(v["verdict"], "#888888")
        ax.hlines(i, lo, hi, color=c, lw=4, alpha=0.5)
        ax.plot(v["elasticity"], i, "o", color=c)
        ax.text(max(hi, v["elasticity"]) + 0.03, i, f"{v['verdict']} (n={v['n']})", va="center", fontsize=7.5, color=c)
    ax.axvline(1.0, color="#555555", ls="--", lw=1)
    ax.set_yticks(range(len(rows)), [name for name, _ in rows[::-1]])
    ax.set_xlabel("elasticity of monthly cost to users (1 = proportional)")
    ax.set_title("Cost elasticity by component", loc="left", fontsize=11)
    if skipped:
        text = "; ".join(f"{k}: {v.get('reason', 'not tested')}" for k, v in skipped.items())
        note = (note + "\n" if note else "") + "Not tested: " + text
    if note:
        source_note(fig, note)
    return fig


def breakpoint_chart(users, cost_usd, result, *, note: str = ""):
    """Log-log cost vs users with the one-slope fit and the best two-slope (hinge) fit."""
    fig, ax = new_figure()
    u = np.asarray(users, dtype=float)
    c = np.asarray(cost_usd, dtype=float)
    ax.plot(u, c, "o", color="black", ms=4, label="data")
    x, y = np.log(u), np.log(c)
    b, a = np.polyfit(x, y, 1)
    grid = np.geomspace(u.min(), u.max(), 100)
    ax.plot(grid, np.exp(a + b * np.log(grid)), color="#888888", lw=1.2, label=f"one slope: {b:.2f}")
    if result.tested:
        ax.plot(grid, result.predict(grid), color=MODEL_COLOR, lw=2,
                label=f"two slopes: {result.slope_below:.2f} below, {result.slope_above:.2f} above "
                      f"(p = {result.p_value:.3f})")
        ax.axvline(result.users_at_break, color=MODEL_COLOR, ls=":", lw=1)
        title = f"Best break at {result.users_at_break:,.0f} users"
    else:
        title = f"No break tested: {result.reason}"
    _cost_vs_users_axes(ax)
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    if note:
        source_note(fig, note)
    return fig


def _cost_vs_users_axes(ax) -> None:
    """Log-log axes of monthly cost (USD) against monthly active users, with readable tick labels."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.yaxis.set_major_formatter(lambda v, _: f"${v:,.0f}")
    ax.set_xlabel("monthly active users (log scale)")
    ax.set_ylabel("monthly cost, USD (log scale)")
