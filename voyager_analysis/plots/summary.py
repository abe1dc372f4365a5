"""Figures of the executive summary (notebook 00). One function per figure, each returns the Figure."""

from __future__ import annotations

import numpy as np

from voyager_analysis.plots import MODEL_COLOR, ROADMAP_COLOR, new_figure, source_note

NOTEBOOK_COLORS = [MODEL_COLOR, "#e07a5f", ROADMAP_COLOR, "#81b29a", "#3d405b", "#9c6644"]


def sensitivity_ranking_chart(rows, *, top_n: int = 10, note: str = ""):
    """Total-order Sobol' indices (ST, with their confidence half-widths) of the ``top_n`` largest rows of
    :func:`voyager_analysis.summary.sensitivity_rows`, one colour per notebook, each bar labelled with the
    output its index is a share of and whether the input is measured or assumed (assumed bars hatched)."""
    order = rows.sort_values("ST", ascending=False, kind="stable").head(top_n).iloc[::-1]
    fig, ax = new_figure(8.5, 0.42 * max(len(order), 1) + 1.6)
    notebooks = list(dict.fromkeys(rows.sort_values("notebook")["notebook"]))
    colors = {nb: NOTEBOOK_COLORS[i % len(NOTEBOOK_COLORS)] for i, nb in enumerate(notebooks)}
    y = np.arange(len(order))
    conf = order["ST_conf"].fillna(0.0).to_numpy(dtype=float)
    measured = (order["basis"] == "measured").to_numpy() if "basis" in order else np.zeros(len(order), bool)
    ax.barh(y, order["ST"], xerr=conf, color=[colors[nb] for nb in order["notebook"]], height=0.6,
            hatch=["" if m else "//" for m in measured], edgecolor="white")
    ax.set_yticks(y, [f"{r.input}  ({r.output}; {'measured' if m else 'assumed'})"
                      for r, m in zip(order.itertuples(), measured)], fontsize=8)
    for nb in notebooks:
        ax.barh([np.nan], [np.nan], color=colors[nb], label=nb)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("total-order Sobol' index ST (share of its output's variance)")
    ax.set_title("Which inputs matter most, across the notebooks", loc="left", fontsize=11)
    if notebooks:
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    else:
        ax.text(0.5, 0.5, "no sensitivity results in this run", ha="center", va="center", transform=ax.transAxes)
    if note:
        source_note(fig, note)
    return fig


__all__ = ["sensitivity_ranking_chart"]
