"""Figures for the roadmap audit."""

from __future__ import annotations

from voyager_analysis.plots import MODEL_COLOR, ROADMAP_COLOR, WARN_COLOR, new_figure, source_note


def margin_stated_vs_recomputed(table, claimed_low: float, claimed_high: float, source: str):
    """Stated margin column vs margins recomputed from the same table, by users (log x axis).

    ``table`` is :func:`voyager_analysis.audit.cost_projection_table`.
    """
    fig, ax = new_figure()
    ax.axhspan(claimed_low * 100, claimed_high * 100, color=ROADMAP_COLOR, alpha=0.15,
               label=f"claimed {claimed_low:.0%}-{claimed_high:.0%}")
    ax.plot(table.users, table.stated_margin * 100, "o-", color=ROADMAP_COLOR, label="stated margin column")
    ax.plot(table.users, table.margin_recomputed * 100, "s--", color=MODEL_COLOR,
            label="(revenue - cost) / revenue, same row")
    ax.plot(table.users, table.margin_after_share * 100, "^-", color=WARN_COLOR,
            label="after the revenue share")
    ax.plot(table.users, table.margin_with_max_after_share_and_fees * 100, "v:", color="#555555",
            label="with Max tier, after share and card fees")
    ax.set_xscale("log")
    ax.set_xlabel("monthly active users")
    ax.set_ylabel("margin (%)")
    ax.set_title("The roadmap's margins, stated vs recomputed from its own table")
    ax.legend(fontsize=8, loc="lower right")
    source_note(fig, source)
    return fig


def cost_per_user(table, phases, source: str):
    """Cost per user vs users on log axes: the summary table's points and each phase's stated range."""
    fig, ax = new_figure()
    for _, r in phases.iterrows():
        if r.users_low <= 0:
            continue
        lo = r.stated_total_low / r.users_high  # cheapest: low cost spread over most users
        hi = r.stated_total_high / r.users_low
        ax.fill_between([r.users_low, r.users_high], [lo, lo], [hi, hi], color=ROADMAP_COLOR, alpha=0.15)
        ax.text((r.users_low * r.users_high) ** 0.5, hi, r.phase.replace("_", " "), ha="center", va="bottom",
                fontsize=8, color=ROADMAP_COLOR)
    ax.plot(table.users, table.cost_per_user_usd, "o-", color=MODEL_COLOR, label="summary table: cost / users")
    from matplotlib.ticker import FuncFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.ticker import FixedLocator, NullFormatter

    ax.yaxis.set_major_locator(FixedLocator([0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v:.2f}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("monthly active users")
    ax.set_ylabel("infrastructure cost per user (USD / month)")
    ax.set_title("Does cost per user fall as users grow?")
    ax.legend(fontsize=8, loc="lower right")
    source_note(fig, source + " Shaded: each phase's stated total / its user range (widest possible spread).")
    return fig
