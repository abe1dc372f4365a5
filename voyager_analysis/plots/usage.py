"""Figures of the usage curves (``voyager_analysis.usage``)."""

from __future__ import annotations

import numpy as np

from voyager_analysis.plots import MODEL_COLOR, ROADMAP_COLOR, new_figure, source_note, style_axes


def activity_per_user(df, fits: dict, *, note: str = ""):
    """Per-user monthly activity (one panel per fitted metric) against users, with the fitted curve.

    ``fits``: {metric: ActivityFit}. The fitted curve follows the observed (users, month) path.
    """
    import matplotlib.pyplot as plt

    from voyager_analysis.months import months_since_start

    names = list(fits)
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.4), layout="constrained", squeeze=False)
    users = df["users"].to_numpy(dtype=float)
    t = months_since_start(df)
    for ax, name in zip(axes[0], names):
        fit = fits[name]
        style_axes(ax)
        ax.plot(users, df[name].to_numpy(dtype=float) / users, "o", color="black", ms=3.5, label="observed")
        ax.plot(users, fit.predict_per_user(users, t), color=MODEL_COLOR, lw=1.8, label="fit")
        lo, hi = fit.elasticity_ci
        ax.set_xscale("log")
        ax.set_title(f"{name} per user\nelasticity {fit.elasticity:+.2f} [{lo:+.2f}, {hi:+.2f}]",
                     fontsize=9, loc="left")
        ax.set_xlabel("monthly active users")
    axes[0][0].set_ylabel("per user per month")
    axes[0][0].legend(frameon=False, fontsize=8)
    if note:
        source_note(fig, note)
    return fig


def storage_accumulation(df, fit, projection=None, *, note: str = ""):
    """Hot and archived storage over months (stacked), with an optional projection of the total.

    ``projection``: the DataFrame of :meth:`StorageFit.project_storage_gb` (months after the last row).
    """
    fig, ax = new_figure()
    t = np.arange(len(df))
    hot = df["storage_gb"].to_numpy(dtype=float)
    arch = df["archived_gb"].fillna(0).to_numpy(dtype=float) if "archived_gb" in df else np.zeros_like(hot)
    ax.stackplot(t, hot, arch, colors=[MODEL_COLOR, ROADMAP_COLOR], alpha=0.7,
                 labels=["hot (Postgres)", "archived (S3)"])
    if projection is not None:
        now = hot[-1] + arch[-1]  # start the projection at the last observed total
        tp = np.concatenate([[t[-1]], t[-1] + projection["month_ahead"].to_numpy()])
        ax.plot(tp, np.concatenate([[now], projection["total_gb"]]), color="black", lw=1.5, label="projected total")
        ax.fill_between(tp, np.concatenate([[now], projection["total_gb_low"]]),
                        np.concatenate([[now], projection["total_gb_high"]]), color="black", alpha=0.15, lw=0)
    ax.set_xlabel("months since the first data row")
    ax.set_ylabel("stored conversation data, GB")
    ax.set_title(f"Storage: {fit.gb_per_message * 1e6:.2f} KB per message, archived share {fit.archived_share:.0%} now",
                 loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    if note:
        source_note(fig, note)
    return fig


def sonnet_share_trend(df, fit, horizon_months: float = 6.0, *, note: str = ""):
    """Observed Sonnet share by month with the fitted trend (extended ``horizon_months``)."""
    from voyager_analysis.months import months_since_start

    fig, ax = new_figure()
    t = months_since_start(df)
    grid = np.linspace(t.min(), t.max() + horizon_months, 100)
    ax.plot(t, df["sonnet_share"], "o", color="black", ms=4, label="observed")
    ax.plot(grid, fit.predict(grid), color=MODEL_COLOR, lw=2,
            label=f"{fit.link} trend: {fit.slope_per_month:+.4f} per month")
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(lambda y, _: f"{y:.0%}")
    ax.set_xlabel("months since the first data row")
    ax.set_ylabel("share of Claude requests sent to Sonnet")
    ax.set_title("Sonnet share over time", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    if note:
        source_note(fig, note)
    return fig
