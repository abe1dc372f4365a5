"""Figures of the cost and revenue model (notebook 03). One function per figure, each returns the Figure."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from voyager_analysis.plots import MODEL_COLOR, OK_COLOR, ROADMAP_COLOR, WARN_COLOR, new_figure, source_note, style_axes

COMPONENT_COLORS = {
    "claude": "#1f6f8b", "neon": "#e07a5f", "vercel": "#3d405b", "upstash": "#81b29a", "inngest": "#f2cc8f",
    "s3": "#9c6644", "search": "#6d597a", "monitoring": "#b5838d", "stripe": "#8d99ae", "ops_hire": "#c0392b",
}
VERDICT_COLORS = {"within": OK_COLOR, "model above": WARN_COLOR, "model below": "#d68910",
                  "not reproducible": "#555555"}


def _thousands(ax, axis: str = "x") -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{v / 1000:,.0f}K" if abs(v) >= 1000 else f"{v:,.0f}")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def component_breakdown(curve, *, note: str = ""):
    """Stacked mean monthly cost of each component over users (``simulate_curve`` output)."""
    comp = curve[curve["kind"] == "component"].pivot(index="users", columns="output", values="mean")
    comp = comp[[c for c in COMPONENT_COLORS if c in comp.columns and comp[c].max() > 0]]
    fig, ax = new_figure(8, 4.6)
    ax.stackplot(comp.index, comp.T.to_numpy(), labels=comp.columns,
                 colors=[COMPONENT_COLORS[c] for c in comp.columns], alpha=0.9)
    ax.set_xlabel("monthly active users")
    ax.set_ylabel("mean monthly cost (USD)")
    ax.set_title("Where the money goes: mean cost per component")
    _thousands(ax, "x")
    _thousands(ax, "y")
    ax.legend(loc="upper left", fontsize=8, ncol=2, frameon=False)
    source_note(fig, note or curve.attrs.get("source_note", ""))
    return fig


def percentile_bands(curve, *, roadmap_points=None, note: str = ""):
    """Four panels over users: cost, cost per user, revenue (gross and net) and margin (before and after the
    share), each with its 5-95% band and median; the roadmap's cost projection rows as points.

    ``roadmap_points``: a DataFrame with ``users``, ``cost_usd``, ``revenue_usd``, ``margin_pct`` (optional).
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7), layout="constrained")
    panels = [
        (axes[0, 0], [("cost_usd", "cost (incl. payment fees)")], "cost_usd", "monthly cost (USD)"),
        (axes[0, 1], [("cost_per_user_usd", "cost per user")], None, "monthly cost per user (USD)"),
        (axes[1, 0], [("gross_revenue_usd", "gross revenue"), ("net_revenue_usd", "net revenue")], "revenue_usd",
         "monthly revenue (USD)"),
        (axes[1, 1], [("margin_pct", "margin before share"), ("margin_after_share_pct", "margin after share")],
         "margin_pct", "margin (%)"),
    ]
    colors = [MODEL_COLOR, "#e07a5f"]
    for ax, series, roadmap_col, ylabel in panels:
        style_axes(ax)
        for (name, label), color in zip(series, colors):
            d = curve[curve["output"] == name].sort_values("users")
            if d.empty:
                continue
            ax.fill_between(d["users"], d["p5"], d["p95"], color=color, alpha=0.18, lw=0)
            ax.plot(d["users"], d["p50"], color=color, lw=2, label=f"model {label}: median, 5-95%")
        if roadmap_points is not None and roadmap_col is not None and roadmap_col in roadmap_points:
            ax.scatter(roadmap_points["users"], roadmap_points[roadmap_col], color=ROADMAP_COLOR, marker="D", s=30,
                       zorder=5, label="roadmap's projection table")
        if roadmap_points is not None and ax is axes[0, 1] and "cost_usd" in roadmap_points:
            ax.scatter(roadmap_points["users"], roadmap_points["cost_usd"] / roadmap_points["users"],
                       color=ROADMAP_COLOR, marker="D", s=30, zorder=5, label="roadmap's projection table")
        ax.set_xlabel("monthly active users")
        ax.set_ylabel(ylabel)
        _thousands(ax, "x")
        if ax is not axes[0, 1] and ax is not axes[1, 1]:
            _thousands(ax, "y")
        ax.legend(fontsize=7.5, frameon=False)
    axes[1, 1].axhline(0, color="black", lw=0.8)
    fig.suptitle("Cost, revenue and margin over users (Monte Carlo percentile bands)")
    source_note(fig, note or curve.attrs.get("source_note", ""))
    return fig


def calibration_chart(table, *, note: str = ""):
    """Every phase and component: the roadmap's range (bar) against the model's median at the phase's low and
    high user counts (dots joined by a thick line) and its 5-95% band (thin line from p5 at the low count to p95
    at the high count); log scale, each row labelled with its verdict. One axes, phases separated by rules."""
    fig, ax = new_figure(9, 0.8 + 0.3 * len(table))
    d = table.reset_index(drop=True)
    y = np.arange(len(d))[::-1].astype(float)
    low = lambda v: np.maximum(np.asarray(v, dtype=float), 1e-2)  # noqa: E731  (log axis: zero at 1 cent)
    ax.barh(y, d["roadmap_high"] - d["roadmap_low"], left=d["roadmap_low"], height=0.5, color=ROADMAP_COLOR,
            alpha=0.45, label="roadmap range")
    ax.hlines(y, low(d["p5_at_low"]), low(d["p95_at_high"]), color=MODEL_COLOR, lw=1, alpha=0.7,
              label="model: 5% at low users to 95% at high users")
    ax.hlines(y, low(d["p50_at_low"]), low(d["p50_at_high"]), color=MODEL_COLOR, lw=2.5)
    ax.scatter(np.concatenate([low(d["p50_at_low"]), low(d["p50_at_high"])]), np.concatenate([y, y]),
               color=MODEL_COLOR, s=14, zorder=4, label="model median at low / high users")
    for yi, verdict in zip(y, d["verdict"]):
        ax.text(1.01, yi, verdict, transform=ax.get_yaxis_transform(), va="center", fontsize=7.5,
                color=VERDICT_COLORS.get(verdict, "black"))
    labels = []
    for (_, r), yi in zip(d.iterrows(), y):
        labels.append(r.component)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xscale("log")
    ax.grid(False, axis="y")
    starts = d.index[d["phase"] != d["phase"].shift()].tolist()
    for i in starts:
        r = d.loc[i]
        span = (f"{r.users_low:,.0f}" if r.users_low == r.users_high else f"{r.users_low:,.0f}-{r.users_high:,.0f}")
        ax.axhline(y[i] + 0.5, color="#999999", lw=0.6)
        ax.text(0.005, y[i] + 0.42, f"{r.phase}: {span} users", transform=ax.get_yaxis_transform(), va="top",
                fontsize=8, style="italic", color="#444444")
    ax.set_ylim(-0.7, len(d) - 0.3)
    ax.set_xlabel("monthly cost (USD, log scale)")
    ax.set_title("Model vs roadmap by phase and component", loc="left")
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0.0, -0.07), ncol=3)
    source_note(fig, note or table.attrs.get("source_note", ""))
    return fig


def margin_distribution(margins: Mapping[float, np.ndarray], check, claimed_range_pct=(np.nan, np.nan), *,
                        note: str = ""):
    """Box plots (whiskers at 5% and 95%) of the margin draws before the share (``margins``: user count ->
    draws, percent) at the roadmap's user counts, with the roadmap's stated margins (``check`` column
    ``roadmap_margin_pct``, diamonds) and its claimed range (band)."""
    fig, ax = new_figure(9, 4.6)
    users = list(margins)
    data = [np.asarray(margins[u])[~np.isnan(margins[u])] for u in users]
    pos = np.arange(len(users))
    ax.boxplot(data, positions=pos, whis=(5, 95), showfliers=False, widths=0.5,
               patch_artist=True, boxprops={"facecolor": MODEL_COLOR, "alpha": 0.35},
               medianprops={"color": MODEL_COLOR, "lw": 2})
    lo, hi = claimed_range_pct
    if np.isfinite(lo):
        ax.axhspan(lo, hi, color=ROADMAP_COLOR, alpha=0.15, label=f"roadmap's claim: margins {lo:.0f}-{hi:.0f}%")
    ax.scatter(pos, check["roadmap_margin_pct"], marker="D", color=ROADMAP_COLOR, zorder=5,
               label="roadmap's stated margin")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(pos, [f"{u / 1000:,.0f}K" for u in users])
    ax.set_xlabel("monthly active users (the roadmap's cost projection rows)")
    ax.set_ylabel("margin before revenue share (%)")
    ax.set_title("Margin distribution at the roadmap's user counts (box 25-75%, whiskers 5-95%)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    if note:
        source_note(fig, note)
    return fig


__all__ = ["component_breakdown", "percentile_bands", "calibration_chart", "margin_distribution"]
