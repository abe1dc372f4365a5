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
    style_axes(ax)
    return fig, ax


def style_axes(*axes) -> None:
    """The house style on existing axes: no top/right spines, a light grid."""
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(True, alpha=0.25)


def source_note(fig, text: str) -> None:
    """Write the inputs and price date that produced a figure under it (DESIGN.md convention)."""
    text = text.replace("$", r"\$")  # a literal dollar sign, not matplotlib mathtext
    # Wrapped here, to the figure's width, rather than with ``wrap=True``: matplotlib re-measures every
    # growing prefix of the text on every draw (quadratic in its words, twice per displayed figure), which
    # cost about a second per notebook. Same greedy rule, each word measured once.
    note = fig.text(0.01, -0.02, "", fontsize=7.5, color="#555555", ha="left", va="top")
    note.set_text(_wrap(text, note.get_fontproperties(), 0.99 * fig.get_figwidth() * 72))


def _wrap(text: str, prop, width_pt: float) -> str:
    """``text`` with line breaks so that no line is wider than ``width_pt`` points in font ``prop``
    (greedy, breaking only at spaces; a single word wider than the limit stays whole)."""
    from matplotlib.textpath import text_to_path

    def width(s: str) -> float:
        return text_to_path.get_text_width_height_descent(s, prop, ismath=False)[0]

    space = width("x x") - width("xx")
    lines = []
    for paragraph in text.split("\n"):
        line, line_width = [], 0.0
        for word in paragraph.split(" "):
            w = width(word) if word else 0.0
            if line and line_width + space + w > width_pt:
                lines.append(" ".join(line))
                line, line_width = [], 0.0
            line_width += (space if line else 0.0) + w
            line.append(word)
        lines.append(" ".join(line))
    return "\n".join(lines)
