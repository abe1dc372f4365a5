"""All matplotlib figures. One module per analysis area, one function per figure, each returning the
``matplotlib.figure.Figure`` (never calling ``plt.show``). Import matplotlib only inside these modules."""

from __future__ import annotations

#: Colours used consistently across reports: the roadmap's stated figures vs our recomputation/model.
ROADMAP_COLOR = "#9a6fb0"
MODEL_COLOR = "#1f6f8b"
WARN_COLOR = "#c0392b"
OK_COLOR = "#2e8b57"


def new_figure(width: float = 7.5, height: float = 4.2):
    """A figure and axes with the house style (no top/right spines, light grid)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, alpha=0.25)
    return fig, ax


def source_note(fig, text: str) -> None:
    """Write the inputs and price date that produced a figure under it (DESIGN.md convention)."""
    text = text.replace("$", r"\$")  # a literal dollar sign, not matplotlib mathtext
    fig.text(0.01, -0.02, text, fontsize=7.5, color="#555555", ha="left", va="top", wrap=True)
