"""Figures of the sensitivity analyses: tornado chart and Sobol' indices."""

from __future__ import annotations

import numpy as np

from voyager_analysis.plots import MODEL_COLOR, ROADMAP_COLOR, new_figure, source_note


def tornado_chart(table, output_label: str, note: str = "", value_format: str = "{:,.3g}"):
    """Horizontal bars from the base output to the output at each input's low and high end.

    ``table`` is :func:`voyager_analysis.sensitivity.tornado`'s DataFrame (largest swing on top).
    """
    rows = table.iloc[::-1]
    fig, ax = new_figure(7.5, 0.45 * len(rows) + 1.6)
    base = float(table["base_output"].iat[0])
    y = np.arange(len(rows))
    for label, col, color in (("input at low", "output_at_low", ROADMAP_COLOR),
                              ("input at high", "output_at_high", MODEL_COLOR)):
        ax.barh(y, rows[col] - base, left=base, color=color, alpha=0.85, label=label, height=0.6)
    ax.axvline(base, color="#333333", lw=1)
    ax.set_yticks(y, [f"{r.input}  ({_plain(value_format, r.low)} - {_plain(value_format, r.high)})"
                      for r in rows.itertuples()])
    ax.set_xlabel(output_label)
    ax.set_title(f"One-at-a-time sensitivity (base {_plain(value_format, base)})", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    if note:
        source_note(fig, note)
    return fig


def _plain(value_format: str, x: float) -> str:
    """``x`` in ``value_format``, or in fixed notation where that would be scientific (``2.03e+03``)."""
    text = value_format.format(x)
    if "e" not in text.lower():
        return text
    return f"{x:,.0f}" if abs(x) >= 1 else f"{x:.8f}".rstrip("0").rstrip(".")


def sobol_chart(table, note: str = ""):
    """First-order (S1) and total (ST) Sobol' indices with their confidence half-widths, per input."""
    fig, ax = new_figure(7.5, 0.45 * len(table) + 1.6)
    order = table.sort_values("ST")
    y = np.arange(len(order))
    ax.barh(y - 0.18, order["S1"], xerr=order["S1_conf"], height=0.35, color=ROADMAP_COLOR, label="S1 (alone)")
    ax.barh(y + 0.18, order["ST"], xerr=order["ST_conf"], height=0.35, color=MODEL_COLOR,
            label="ST (with interactions)")
    ax.set_yticks(y, order.index)
    ax.set_xlim(min(0.0, float((order["S1"] - order["S1_conf"]).min())), 1.05)
    ax.set_xlabel("share of output variance")
    ax.set_title("Variance-based (Sobol') sensitivity", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    source_note(fig, (note + "  " if note else "") + table.attrs.get("method", ""))
    return fig
