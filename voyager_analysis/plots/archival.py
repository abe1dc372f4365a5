"""Figures of the archival analysis."""

from __future__ import annotations

import numpy as np

from voyager_analysis.plots import MODEL_COLOR, OK_COLOR, ROADMAP_COLOR, WARN_COLOR, new_figure, source_note, style_axes


def eligible_by_age_chart(ages, shares: dict, note: str = ""):
    """Share of conversations the rule archives, by conversation age; one line per label in ``shares``."""
    fig, ax = new_figure()
    colors = [MODEL_COLOR, ROADMAP_COLOR, OK_COLOR, WARN_COLOR]
    for i, (label, values) in enumerate(shares.items()):
        ax.plot(ages, values, lw=2, color=colors[i % len(colors)], label=label)
    ax.set_xlabel("conversation age, months")
    ax.set_ylabel("share archived")
    ax.yaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    ax.set_ylim(0, 1)
    ax.set_title("Which conversations the rule archives, by age", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    if note:
        source_note(fig, note)
    return fig


def storage_chart(table, start_month: int, note: str = ""):
    """Hot and archived GB per month (``ArchivalPolicy.simulate`` table), the policy start marked."""
    fig, ax = new_figure()
    x = np.arange(len(table))
    ax.stackplot(x, table["hot_gb"], table["archived_gb"], colors=[ROADMAP_COLOR, MODEL_COLOR], alpha=0.85,
                 labels=["hot (Postgres)", "archived (S3)"])
    ax.axvline(start_month, color="#333333", ls=":", lw=1, label="policy starts")
    _month_ticks(ax, table)
    ax.set_ylabel("GB at month end")
    ax.set_title("Where conversation data sits", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    if note:
        source_note(fig, note)
    return fig


def savings_chart(table, engineering_cost_usd: float, note: str = ""):
    """Monthly storage saved, request cost and net saving (left) and the cumulative net against the build cost."""
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    style_axes(ax, ax2)
    x = np.arange(len(table))
    ax.plot(x, table["storage_saved_usd"], color=OK_COLOR, lw=2, label="storage saved")
    ax.plot(x, -table["request_usd"], color=WARN_COLOR, lw=1.5, label="- request cost (PUT + GET)")
    ax.plot(x, table["net_savings_usd"], color=MODEL_COLOR, lw=2, ls="--", label="net saving")
    ax.set_ylabel("USD per month")
    ax.set_title("Monthly saving", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    _month_ticks(ax, table)
    ax2.plot(x, table["cumulative_net_usd"], color=MODEL_COLOR, lw=2, label="cumulative net saving - build cost")
    ax2.axhline(0, color="#333333", lw=1)
    ax2.set_ylabel("USD")
    ax2.set_title(f"Payback of a \\${engineering_cost_usd:,.0f} build", loc="left", fontsize=11)
    ax2.legend(frameon=False, fontsize=8)
    _month_ticks(ax2, table)
    if note:
        source_note(fig, note)
    return fig


def _month_ticks(ax, table, every: int = 6) -> None:
    x = np.arange(len(table))
    ax.set_xticks(x[::every], [str(m) for m in table["month"].iloc[::every]], rotation=45, ha="right", fontsize=8)
