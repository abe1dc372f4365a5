"""Figures of cohorts, retention, usage by tenure, conversion, churn and conversation views (notebook 08).

One function per figure, each returning the Figure, drawn from plain frames, arrays and callables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from voyager_analysis.plots import MODEL_COLOR, ROADMAP_COLOR, WARN_COLOR, new_figure, source_note

_TIER_COLORS = {"pro": MODEL_COLOR, "max": ROADMAP_COLOR}


def _band(ax, x, low, high, color, label=None):
    ax.fill_between(x, low, high, color=color, alpha=0.18, lw=0, step=None, label=label)


def survival_by_tier(curves: Mapping[str, tuple], *, note: str = ""):
    """Kaplan–Meier steps with pointwise bands (frames ``period, survival, low, high``) and, when given, the
    fitted sBG survival ``S(t)`` as a dashed line; one colour per tier."""
    fig, ax = new_figure(7.5, 4.2)
    for i, (tier, (km, sbg)) in enumerate(curves.items()):
        color = _TIER_COLORS.get(tier, f"C{i}")
        x = np.concatenate([[0], km["period"].to_numpy()])
        s = np.concatenate([[1.0], km["survival"].to_numpy()])
        ax.step(x, s, where="post", color=color, lw=1.8, label=f"{tier}: Kaplan–Meier")
        ax.fill_between(x, np.concatenate([[1.0], km["low"]]), np.concatenate([[1.0], km["high"]]), step="post",
                        color=color, alpha=0.18, lw=0)
        if sbg is not None:
            t = np.arange(0, x.max() + 1)
            ax.plot(t, sbg(t), ls="--", color=color, lw=1.2, label=f"{tier}: shifted-beta-geometric fit")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("monthly billing periods since the subscription started")
    ax.set_ylabel("share still subscribed")
    ax.set_title("How long paid subscriptions last (bands: pointwise 95%)", loc="left", fontsize=11)
    ax.legend(fontsize=8, frameon=False)
    if note:
        source_note(fig, note)
    return fig


def retention_heatmap(triangle, *, note: str = ""):
    """The retention triangle: cohorts (rows) by months since signup (columns), share active; empty cells are
    months not observed yet (censored), not zeros."""
    fig, ax = new_figure(8, max(3.0, 0.28 * len(triangle) + 1.5))
    values = np.ma.masked_invalid(triangle.to_numpy(dtype=float))
    im = ax.imshow(values, aspect="auto", cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks(range(len(triangle)), [str(c) for c in triangle.index], fontsize=7)
    step = max(1, triangle.shape[1] // 12)
    ax.set_xticks(range(0, triangle.shape[1], step), [str(c) for c in triangle.columns[::step]], fontsize=8)
    ax.set_xlabel("months since the signup month (0 = signup month)")
    ax.set_ylabel("signup cohort")
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="share of the cohort active", shrink=0.8)
    ax.set_title("Retention triangle (blank = not observed yet)", loc="left", fontsize=11)
    if note:
        source_note(fig, note)
    return fig


def retention_curves(triangle, fitted, *, note: str = ""):
    """One thin line per cohort and the fitted curve with its band (``fitted``: age, share, low, high)."""
    fig, ax = new_figure(7.5, 4.2)
    ages = np.asarray(triangle.columns, dtype=float)
    for _, row in triangle.iterrows():
        ax.plot(ages, row.to_numpy(dtype=float), color="#999999", lw=0.7, alpha=0.6)
    ax.plot(fitted["age"], fitted["share"], color=MODEL_COLOR, lw=2, label="fitted: decay to a plateau")
    _band(ax, fitted["age"], fitted["low"], fitted["high"], MODEL_COLOR, "95% interval of the curve")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("months since the signup month")
    ax.set_ylabel("share of the cohort active")
    ax.set_title("Retention by cohort (grey) and the fitted curve", loc="left", fontsize=11)
    ax.legend(fontsize=8, frameon=False)
    if note:
        source_note(fig, note)
    return fig


def usage_by_tenure(cells, fitted, *, quantity: str, note: str = ""):
    """Per-active-user usage by months since signup: one dot per cohort and month (size ~ active users) and
    the fitted curve with its band (``fitted``: age, value, low, high)."""
    fig, ax = new_figure(7.5, 4.2)
    size = 8 + 60 * cells["active_users"] / max(float(cells["active_users"].max()), 1.0)
    ax.scatter(cells["age_months"], cells["per_user"], s=size, color="#999999", alpha=0.5, lw=0,
               label="a cohort in a month")
    ax.plot(fitted["age"], fitted["value"], color=MODEL_COLOR, lw=2, label="fitted curve")
    _band(ax, fitted["age"], fitted["low"], fitted["high"], MODEL_COLOR, "95% interval (cluster-robust by cohort)")
    ax.set_xlabel("months since the signup month")
    ax.set_ylabel(f"{quantity} per active user per month")
    ax.set_title(f"{quantity.capitalize()} per active user by tenure", loc="left", fontsize=11)
    ax.legend(fontsize=8, frameon=False)
    if note:
        source_note(fig, note)
    return fig


def tenure_mix(table, *, quantity: str, note: str = ""):
    """Observed per-user usage by calendar month and what the tenure mix alone predicts."""
    fig, ax = new_figure(7.5, 4.0)
    x = np.arange(len(table))
    ax.plot(x, table["observed"], color=MODEL_COLOR, lw=2, marker="o", ms=3, label="observed")
    ax.plot(x, table["tenure_mix_only"], color=ROADMAP_COLOR, lw=1.6, ls="--",
            label="tenure mix alone (fitted tenure curve)")
    step = max(1, -(-len(table) // 8))
    ax.set_xticks(x[::step], [str(m) for m in table.index[::step]], fontsize=8)
    ax.set_ylabel(f"{quantity} per active user")
    ax.set_title("How much of the change is who the users are (tenure), not what they do", loc="left", fontsize=11)
    ax.legend(fontsize=8, frameon=False)
    if note:
        source_note(fig, note)
    return fig


def conversion_curves(curves: Mapping[str, object], *, note: str = ""):
    """Cumulative share converted by months since signup with pointwise bands, one line per tier."""
    fig, ax = new_figure(7.5, 4.0)
    for i, (tier, t) in enumerate(curves.items()):
        color = _TIER_COLORS.get(tier, f"C{i}")
        x = np.concatenate([[0], t["period"].to_numpy()])
        ax.step(x, np.concatenate([[0.0], t["converted"]]), where="post", color=color, lw=1.8,
                label=f"first {tier} subscription")
        ax.fill_between(x, np.concatenate([[0.0], t["low"]]), np.concatenate([[0.0], t["high"]]), step="post",
                        color=color, alpha=0.18, lw=0)
    ax.set_xlabel("months since signup")
    ax.set_ylabel("cumulative share of users converted")
    ax.set_title("Time to the first paid subscription (not-yet-converted users censored)", loc="left", fontsize=11)
    ax.legend(fontsize=8, frameon=False)
    if note:
        source_note(fig, note)
    return fig


def view_decay(bins, curve: Callable, *, note: str = ""):
    """Mean views per conversation by age (dots, ``bins``: age_months, mean_views, conversations) and the
    fitted expected views ``curve(age)`` of a visit rate halving every half-life."""
    fig, ax = new_figure(7.5, 4.0)
    ax.scatter(bins["age_months"], bins["mean_views"], s=10 + 40 * bins["conversations"] / bins["conversations"].max(),
               color="#999999", lw=0, alpha=0.7, label="observed mean views")
    age = np.linspace(0, float(bins["age_months"].max()), 200)
    ax.plot(age, curve(age), color=WARN_COLOR, lw=2, label="fitted: visit rate halves every half-life")
    ax.set_xlabel("conversation age (months)")
    ax.set_ylabel("views so far per conversation")
    ax.set_title("Views of a conversation by its age", loc="left", fontsize=11)
    ax.legend(fontsize=8, frameon=False)
    if note:
        source_note(fig, note)
    return fig


__all__ = ["conversion_curves", "retention_curves", "retention_heatmap", "survival_by_tier", "tenure_mix",
           "usage_by_tenure", "view_decay"]
