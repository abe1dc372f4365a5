"""Figures of the decision analysis: trigger timeline, break-even and ROI curves, sharding balance."""

from __future__ import annotations

import numpy as np

from voyager_analysis.plots import MODEL_COLOR, OK_COLOR, ROADMAP_COLOR, WARN_COLOR, new_figure, source_note, style_axes

_PALETTE = [MODEL_COLOR, WARN_COLOR, OK_COLOR, ROADMAP_COLOR, "#d4a017", "#555555", "#8c564b"]


def _month_label(first_month: str, m: float) -> str:
    from voyager_analysis.months import month_number, month_str

    return month_str(int(month_number([first_month])[0] + int(round(m))))


def trigger_timeline(report, first_month: str, note: str = ""):
    """Each trigger's firing month (fired: the month it first crossed; else the forecast with its interval)
    against the roadmap's own months for that step (shaded). ``first_month`` is the data's month 0."""
    t = report.table
    fig, ax = new_figure(8.5, 0.42 * len(t) + 1.6)
    y = np.arange(len(t))[::-1]
    finite = np.concatenate([t[c].to_numpy(float) for c in ("low_index", "high_index", "forecast_month_index")])
    finite = finite[np.isfinite(finite)]
    from voyager_analysis.months import month_number

    last = float(month_number([report.last_month])[0] - month_number([first_month])[0])
    hi_edge = max([last + 6.0] + list(finite + 2)) if finite.size else last + 6.0
    for yi, r in zip(y, t.to_dict("records")):
        if isinstance(r["roadmap_month_low"], str):
            lo = month_number([r["roadmap_month_low"]])[0] - month_number([first_month])[0]
            hi = month_number([r["roadmap_month_high"]])[0] - month_number([first_month])[0]
            hi_edge = max(hi_edge, hi + 2)
            ax.barh(yi, hi - lo + 1, left=lo - 0.5, height=0.6, color=ROADMAP_COLOR, alpha=0.3, lw=0)
    for yi, r in zip(y, t.to_dict("records")):
        m, lo, hi = r["forecast_month_index"], r["low_index"], r["high_index"]
        if r["status"] == "no data":
            ax.text(last + 0.5, yi, "no data", va="center", fontsize=8, color="#777777")
            continue
        if r["status"] == "fired":
            ax.plot(m, yi, "X", color=WARN_COLOR, ms=8)
            continue
        if not np.isfinite(lo):
            ax.text(last + 0.5, yi, f"not reached by {report.horizon_end}", va="center", fontsize=8, color="#777777")
            continue
        right = hi if np.isfinite(hi) else hi_edge
        ax.plot([lo, right], [yi, yi], color=MODEL_COLOR, lw=2.5, alpha=0.6)
        if not np.isfinite(hi):
            ax.annotate("", xy=(hi_edge, yi), xytext=(hi_edge - 1.5, yi),
                        arrowprops=dict(arrowstyle="->", color=MODEL_COLOR))
        if np.isfinite(m):
            ax.plot(m, yi, "o", color=MODEL_COLOR, ms=6)
    ax.axvline(last, color="#333333", ls=":", lw=1)
    ax.set_yticks(y, [str(n) for n in t["name"]], fontsize=8)
    ticks = np.arange(0, hi_edge + 1, 3)
    ax.set_xticks(ticks, [_month_label(first_month, m) for m in ticks], rotation=45, ha="right", fontsize=8)
    ax.set_xlim(-0.5, hi_edge + 0.5)
    ax.plot([], [], "X", color=WARN_COLOR, label="fired (first month over)")
    ax.plot([], [], "o-", color=MODEL_COLOR, label=f"forecast, {report.level:.0%} interval")
    ax.barh([], [], color=ROADMAP_COLOR, alpha=0.3, label="roadmap's months for this step")
    ax.plot([], [], ":", color="#333333", label=f"last data ({report.last_month})")
    ax.legend(frameon=False, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("When each roadmap trigger fires", loc="left", fontsize=11)
    if note:
        source_note(fig, note)
    return fig


def breakeven_charts(bvb, users_max: float = 200_000, note: str = ""):
    """One panel per decision: monthly cost of each option (operations time included, build spread over the
    horizon) against users, break-even user counts marked; the driver per user is the analysis's point value."""
    import matplotlib.pyplot as plt

    names = list(bvb.decisions)
    ncols = 2
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 3.6 * nrows), layout="constrained", squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax, decision in zip(axes.flat, names):
        style_axes(ax)
        _breakeven_panel(ax, bvb, decision, users_max)
    fig.suptitle("Monthly cost by option against users; break-evens marked (* = running)", x=0.01, ha="left",
                 fontsize=11)
    if note:
        source_note(fig, note)
    return fig


def _breakeven_panel(ax, bvb, decision: str, users_max: float) -> None:
    users = np.linspace(0, users_max, 401)
    curves = bvb.cost_curves(decision, users)
    d = bvb.decisions[decision]
    k = bvb.per_user[decision][0]
    for i, (name, opt) in enumerate(d.options.items()):
        ls = "-" if opt.variant_of is None else "--"
        ax.plot(users, curves[name], color=_PALETTE[i % len(_PALETTE)], lw=2, ls=ls,
                label=opt.label + (" *" if name == d.current else ""))
    for r in bvb.breakeven[bvb.breakeven.decision == decision].to_dict("records"):
        u = r["breakeven_users"]
        if np.isfinite(u) and 0 < u <= users_max:
            c = float(d.options[r["option_a"]].monthly_cost_usd(u * k, bvb.hourly_rate_usd, bvb.horizon_months))
            ax.plot(u, c, "o", color="#333333", ms=5)
            ax.annotate(f"{u / 1000:,.0f}K", (u, c), textcoords="offset points", xytext=(4, 6), fontsize=7.5)
    ax.axvline(bvb.users, color="#333333", ls=":", lw=1, label=f"users now ({bvb.users:,.0f})")
    ax.set_xlabel(f"users (x {k:,.4g} = {d.driver})", fontsize=8)
    ax.set_ylabel("USD per month", fontsize=8)
    ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:,.0f}K")
    ax.set_ylim(bottom=0)
    ax.set_title(decision, loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=7)


def roi_chart(bvb, users_max: float = 300_000, note: str = ""):
    """ROI of each switch from the running option against users, with the roadmap's bar."""
    fig, ax = new_figure()
    users = np.linspace(users_max / 200, users_max, 400)
    i = 0
    for decision, d in bvb.decisions.items():
        curves = bvb.roi_curves(decision, users)
        for alt in d.alternatives():
            ax.plot(users, curves[alt], lw=2, color=_PALETTE[i % len(_PALETTE)], label=f"{d.current} -> {alt}")
            i += 1
    ax.axhline(bvb.min_roi, color=WARN_COLOR, ls="--", lw=1.2, label=f"roadmap bar: ROI {bvb.min_roi:g}x")
    ax.axvline(bvb.users, color="#333333", ls=":", lw=1, label=f"users now ({bvb.users:,.0f})")
    ax.set_xlabel("monthly active users")
    ax.set_ylabel(f"ROI over {bvb.horizon_months:g} months (benefit / cost)")
    ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:,.0f}K")
    ax.set_ylim(0, max(3.0, bvb.min_roi * 1.5))
    ax.set_title("ROI of switching, by scale", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=7.5, ncol=2)
    if note:
        source_note(fig, note)
    return fig


def sharding_chart(balance, note: str = ""):
    """Users per shard under shard-by-community (greedy packing) and the expected user-hash load."""
    fig, ax = new_figure()
    comm = balance.set_index("strategy").loc["community"]
    hashed = balance.set_index("strategy").loc["user_hash"]
    loads = np.asarray(comm["loads"], dtype=float)
    x = np.arange(loads.size)
    ax.bar(x - 0.2, loads, width=0.4, color=ROADMAP_COLOR, label=f"by community: max/mean {comm['max_over_mean']:.2f}")
    ax.bar(x + 0.2, np.full(loads.size, hashed["mean_shard_users"]), width=0.4, color=MODEL_COLOR,
           yerr=[np.zeros(loads.size), np.full(loads.size, hashed["max_shard_users"] - hashed["mean_shard_users"])],
           label=f"by user hash: max/mean {hashed['max_over_mean']:.3f}")
    ax.axhline(comm["mean_shard_users"], color="#333333", ls=":", lw=1, label="mean load")
    ax.set_xticks(x, [f"shard {i + 1}" for i in x])
    ax.set_ylabel("users on the shard")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v / 1000:,.0f}K")
    ax.set_title("Load balance of the two sharding schemes", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    if note:
        source_note(fig, note)
    return fig
