"""Figures of the Claude routing analysis."""

from __future__ import annotations

import numpy as np

from voyager_analysis.plots import MODEL_COLOR, ROADMAP_COLOR, WARN_COLOR, new_figure, source_note


def cost_curve_chart(curve, sonnet_share: float, monthly_cost_usd: float, budget_usd: float | None = None,
                     note: str = ""):
    """Monthly Claude bill vs the share of requests routed to Sonnet (``routing.cost_curve``), current point marked."""
    fig, ax = new_figure()
    ax.plot(curve["sonnet_share"], curve["monthly_cost_usd"], color=MODEL_COLOR, lw=2)
    ax.scatter([sonnet_share], [monthly_cost_usd], color=MODEL_COLOR, zorder=3,
               label=f"this mix: {sonnet_share:.0%} Sonnet, \\${monthly_cost_usd:,.0f}/month")
    if budget_usd is not None and np.isfinite(budget_usd):
        ax.axhline(budget_usd, color=WARN_COLOR, ls="--", lw=1, label=f"budget \\${budget_usd:,.0f}/month")
    ax.set_xlabel("share of requests sent to Sonnet")
    ax.set_ylabel("Claude bill, USD per month")
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    ax.set_ylim(bottom=0)
    ax.set_title("Claude bill vs model mix", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    if note:
        source_note(fig, note)
    return fig


def phase_ranges_chart(table, note: str = ""):
    """The roadmap's Claude cost range per phase against the model's range at the phase's user counts.

    ``table``: index = phase label; columns ``roadmap_low``, ``roadmap_high``, ``model_low``, ``model_high`` (USD/month).
    """
    fig, ax = new_figure(7.5, 0.8 * len(table) + 1.6)
    y = np.arange(len(table))[::-1]
    for dy, lo, hi, color, label in ((0.15, "roadmap_low", "roadmap_high", ROADMAP_COLOR, "roadmap's stated range"),
                                     (-0.15, "model_low", "model_high", MODEL_COLOR, "model at the phase's user range")):
        ax.hlines(y + dy, table[lo], table[hi], color=color, lw=9, label=label)
        ax.plot(table[lo], y + dy, "|", table[hi], y + dy, "|", color=color, ms=14, mew=2)
    ax.set_yticks(y, table.index)
    ax.set_ylim(-0.6, len(table) - 0.4)
    ax.set_xscale("log")
    ax.set_xlabel("Claude bill, USD per month (log scale)")
    ax.set_title("Claude cost per phase: roadmap vs model", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    if note:
        source_note(fig, note)
    return fig
