"""Figures of the conversion and revenue analysis (notebook 05): one function per figure, each returning the
Figure, drawn from plain frames and arrays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from voyager_analysis.plots import MODEL_COLOR, OK_COLOR, ROADMAP_COLOR, WARN_COLOR, new_figure, source_note


# --- figures ---------------------------------------------------------------------------------------------------

def revenue_waterfall(table, *, note: str = ""):
    """From gross revenue to profit: bars for gross, each deduction, net revenue, infrastructure and profit.

    ``table`` is :meth:`voyager_analysis.revenue.RevenueModel.statement` (items in USD per month; deductions negative).
    """
    usd = table[table["unit"] == "usd_per_month"].set_index("item")["value"]
    fig, ax = new_figure(8, 4.2)
    level = 0.0
    for i, (item, value) in enumerate(usd.items()):
        total = item in ("Gross revenue", "Net revenue", "Profit after share")
        if total:
            bottom, height, color = 0.0, value, MODEL_COLOR if value >= 0 else WARN_COLOR
            level = value
        else:
            bottom, height, color = level, value, ROADMAP_COLOR if value < 0 else OK_COLOR
            level += value
        ax.bar(i, height, bottom=bottom, color=color, width=0.65)
        text = f"${value:,.0f}" if value >= 0 else f"-${-value:,.0f}"
        top = max(bottom, bottom + height)
        ax.annotate(text, (i, top), ha="center", va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
    ax.axhline(0, color="#333333", lw=0.8)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.08 * (high - low))  # room for the labels above the tallest bar
    ax.set_xticks(range(len(usd)), [s.replace(" (Stripe)", "\n(Stripe)").replace(" to ", "\nto ") for s in usd.index],
                  fontsize=8)
    ax.set_ylabel("USD per month")
    ax.set_title("From what subscribers pay to what the company keeps", loc="left", fontsize=11)
    if note:
        source_note(fig, note)
    return fig


def margin_histogram(margin_pct, margin_after_share_pct, claimed_range_pct: Sequence[float] = (), *,
                     note: str = ""):
    """Monte Carlo draws of the margin before and after the revenue share, with the roadmap's claimed range.

    ``margin_pct`` and ``margin_after_share_pct`` are arrays of draws (percent); ``claimed_range_pct`` is the
    roadmap's (low, high) in percent (empty: no band).
    """
    fig, ax = new_figure(8, 4.2)
    a = np.asarray(margin_pct, dtype=float)
    b = np.asarray(margin_after_share_pct, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    both = np.concatenate([a, b])
    lo_x, hi_x = np.percentile(both, [0.5, 99.5]) if both.size else (0.0, 1.0)
    bins = np.linspace(min(lo_x, 0.0), max([hi_x, *claimed_range_pct[1:]]) + 1.0, 60)
    if claimed_range_pct:
        ax.axvspan(*claimed_range_pct, color=ROADMAP_COLOR, alpha=0.15,
                   label=f"roadmap's claim {claimed_range_pct[0]:.0f}-{claimed_range_pct[1]:.0f}%")
    for draws, label, color in ((a, "before the share (roadmap's definition)", MODEL_COLOR),
                                (b, "after the share and fees", "#e07a5f")):
        if not draws.size:
            continue
        p5, p50, p95 = np.percentile(draws, [5, 50, 95])
        ax.hist(np.clip(draws, bins[0], bins[-1]), bins=bins, color=color, alpha=0.5,
                label=f"{label}: median {p50:.0f}% (5-95%: {p5:.0f} to {p95:.0f}%)")
        ax.axvline(p50, color=color, lw=1.5)
    ax.axvline(0, color=WARN_COLOR, lw=1, ls="--")
    ax.set_xlabel("margin (%)")
    ax.set_ylabel("Monte Carlo draws")
    ax.set_title("Margin at this user count: how often is it in the claimed range?", loc="left", fontsize=11)
    if ax.get_legend_handles_labels()[0]:  # no revenue and no claimed range: nothing to label
        ax.legend(frameon=False, fontsize=8, loc="upper left")
    if note:
        source_note(fig, note)
    return fig


def margin_heatmap(grid, *, breakeven=None, point: tuple[float, float] | None = None,
                   claimed_range_pct: Sequence[float] | None = None, note: str = ""):
    """Margin over Pro conversion (y) x Pro price (x), from :meth:`voyager_analysis.revenue.RevenueModel.margin_grid`.

    ``breakeven``: a Series (index = Pro price, values = the break-even Pro conversion after the share), drawn
    as a dashed line; ``point``: the (conversion, price) used, marked; ``claimed_range_pct``: contour lines at
    the roadmap's claimed margins.
    """
    conv = grid.index.to_numpy(dtype=float)
    price = grid.columns.to_numpy(dtype=float)
    z = grid.to_numpy(dtype=float)
    fig, ax = new_figure(8, 5)
    ax.grid(False)
    finite = z[np.isfinite(z)]
    vmax = float(np.nanmax(np.abs(finite))) if finite.size else 1.0
    vmax = min(vmax, 100.0)
    mesh = ax.pcolormesh(price, 100 * conv, z, cmap="RdYlGn", vmin=-vmax, vmax=vmax, shading="nearest")
    fig.colorbar(mesh, ax=ax, label="margin (%)")
    handles = []
    if claimed_range_pct is not None:
        cs = ax.contour(price, 100 * conv, z, levels=sorted(claimed_range_pct), colors="#222222",
                        linewidths=1, linestyles="-")
        ax.clabel(cs, fmt=lambda v: f"{v:.0f}%", fontsize=8)
    if breakeven is not None:
        be = breakeven[np.isfinite(breakeven.to_numpy(dtype=float))]
        (line,) = ax.plot(be.index, 100 * be.to_numpy(dtype=float), color="#111111", ls="--", lw=1.5,
                          label="break-even after the share (profit = 0)")
        handles.append(line)
    if point is not None:
        handles.append(ax.scatter([point[1]], [100 * point[0]], marker="D", s=60, color=ROADMAP_COLOR,
                                  edgecolor="white", zorder=5, label="inputs used"))
    ax.set_ylim(100 * conv.min(), 100 * conv.max())
    ax.set_xlim(price.min(), price.max())
    ax.set_xlabel("Pro price (USD per subscriber-month)")
    ax.set_ylabel("Pro conversion (% of monthly actives)")
    ax.set_title("Margin before the share over Pro conversion x price (solid lines: the claimed range)",
                 loc="left", fontsize=10)
    if handles:
        ax.legend(handles=handles, frameon=True, fontsize=8, loc="upper right")
    if note:
        source_note(fig, note)
    return fig


def subscriber_stock_chart(stocks: Mapping[str, np.ndarray], steady: Mapping[str, float], target: float, *,
                           note: str = ""):
    """Paying subscribers month by month from a standing start, one line per churn (``stocks``: label ->
    array), each with its steady state (``steady``: label -> subscribers, dotted) and the ``target`` stock."""
    fig, ax = new_figure(8, 4.2)
    colors = [MODEL_COLOR, "#e07a5f", "#3d405b", "#81b29a", "#9c6644"]
    for (label, stock), color in zip(stocks.items(), colors):
        months = np.arange(1, len(stock) + 1)
        ax.plot(months, stock, color=color, lw=2, label=label)
        if label in steady:
            ax.axhline(steady[label], color=color, lw=1, ls=":")
    ax.axhline(target, color=ROADMAP_COLOR, lw=1.5, ls="--", label=f"paying share planned: {target:,.0f}")
    ax.set_xlabel("months since the paid tier opened")
    ax.set_ylabel("Pro subscribers")
    ax.set_ylim(bottom=0)
    ax.set_title("Subscriber stock with churn (dotted: each line's steady state)", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    if note:
        source_note(fig, note)
    return fig


__all__ = ["revenue_waterfall", "margin_histogram", "margin_heatmap",
           "subscriber_stock_chart"]
