"""Figures of the growth-curve analysis (``voyager_analysis.growth``)."""

from __future__ import annotations

import math

import numpy as np

from voyager_analysis.plots import MODEL_COLOR, ROADMAP_COLOR, WARN_COLOR, new_figure, source_note

_MODEL_STYLES = {"exponential": ":", "logistic": "-", "gompertz": "--", "richards": "-.", "bass": (0, (1, 1))}


def forecast_fan(comparison, horizon_months: float = 12.0, level: float = 0.95, *, log_scale: bool = True,
                 note: str = ""):
    """Observed users, the model-averaged forecast (median and prediction-interval fan over every converged curve
    and error model), the selected curve's own fit, and the roadmap's milestones (users level at the roadmap's
    month) for comparison."""
    model = comparison.best
    t_obs, users = comparison.t, comparison.users
    grid = np.linspace(t_obs.min(), t_obs.max() + horizon_months, 200)
    fan = comparison.band(grid, level)
    half = comparison.band(grid, 0.5)
    fig, ax = new_figure()
    ax.fill_between(grid, fan.low, fan.high, color=MODEL_COLOR, alpha=0.15, lw=0,
                    label=f"{level:.0%} prediction interval (model-averaged)")
    ax.fill_between(grid, half.low, half.high, color=MODEL_COLOR, alpha=0.25, lw=0, label="50% prediction interval")
    ax.plot(grid, fan["users"], color=MODEL_COLOR, lw=2, label="model-averaged median")
    ax.plot(grid, model.predict(grid), color="#555555", lw=1, ls="--",
            label=f"{model.name} fit ({model.error_model} errors)")
    ax.plot(t_obs, users, "o", color="black", ms=4, label="observed")
    ms = comparison.milestones()
    ok = ms.roadmap_month.notna()
    ax.plot(ms.roadmap_month[ok], ms.users[ok], "D", color=ROADMAP_COLOR, ms=6,
            label="roadmap milestone (month, users)")
    ax.axvline(t_obs.max(), color="#888888", lw=0.8, ls=":")
    if log_scale:
        # an additive-error band can reach "no users" (drawn as 1e-300) in the first months: the axis follows
        # the data and the median, and the band runs off its bottom instead of stretching it over 300 decades
        ax.set_yscale("log")
        seen = np.concatenate([users, fan["users"].to_numpy(), fan["high"].to_numpy()])
        seen = seen[np.isfinite(seen) & (seen > 0)]
        ax.set_ylim(float(np.nanmin(np.concatenate([users, fan["users"].to_numpy()]))) / 5, float(seen.max()) * 1.5)
    ax.set_xlabel("months since the first data row")
    ax.set_ylabel("monthly active users")
    ax.yaxis.set_major_formatter(lambda y, _: f"{y:,.0f}")
    ax.set_title("User growth: model-averaged forecast vs the roadmap's milestones", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    if note:
        source_note(fig, note)
    return fig


def model_curves(comparison, horizon_months: float = 12.0, *, note: str = ""):
    """Every converged model's fitted curve over the data and the horizon (log users)."""
    grid = np.linspace(comparison.t.min(), comparison.t.max() + horizon_months, 200)
    fig, ax = new_figure()
    weights = comparison.table.set_index("model")["weight"]
    for name, m in comparison.models.items():
        if not m.converged_:
            continue
        w = weights.get(name, math.nan)
        ax.plot(grid, m.predict(grid), ls=_MODEL_STYLES.get(name, "-"), lw=2 if name == comparison.selected else 1.2,
                color=MODEL_COLOR if name == comparison.selected else "#777777",
                label=f"{name} (Akaike weight {w:.2f})")
    ax.plot(comparison.t, comparison.users, "o", color="black", ms=4, label="observed")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(lambda y, _: f"{y:,.0f}")
    ax.set_xlabel("months since the first data row")
    ax.set_ylabel("monthly active users")
    ax.set_title("Growth models fitted to the same data", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    if note:
        source_note(fig, note)
    return fig


def milestone_chart(milestones, *, note: str = ""):
    """Month each users level is reached: model estimate with interval vs the roadmap's month.

    ``milestones``: the DataFrame of :meth:`GrowthComparison.milestones`.
    """
    fig, ax = new_figure(7.5, 0.45 * len(milestones) + 1.8)
    y = np.arange(len(milestones))
    finite = np.isfinite(milestones["month"].to_numpy(dtype=float))
    lo = milestones["low"].to_numpy(dtype=float)
    hi = milestones["high"].to_numpy(dtype=float)
    right = np.nanmax(np.concatenate([milestones["month"][finite], milestones["roadmap_month"].dropna(),
                                      lo[np.isfinite(lo)]]))
    hi_plot = np.where(np.isfinite(hi), hi, right + 6)
    ax.hlines(y[finite], lo[finite], hi_plot[finite], color=MODEL_COLOR, lw=5, alpha=0.35, label="model interval")
    ax.plot(milestones["month"][finite], y[finite], "o", color=MODEL_COLOR, label="model estimate")
    open_ended = finite & ~np.isfinite(hi)
    ax.plot(hi_plot[open_ended], y[open_ended], ">", color=WARN_COLOR, label="not bounded within the search horizon")
    ax.plot(milestones["roadmap_month"], y, "D", color=ROADMAP_COLOR, label="roadmap month")
    ax.set_yticks(y, [f"{u:,.0f} users" for u in milestones["users"]])
    ax.set_xlabel("months since the first data row")
    ax.set_title("When each milestone is reached: model vs roadmap", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    if note:
        source_note(fig, note)
    return fig
