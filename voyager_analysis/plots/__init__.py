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


#: Font size of the source note under every figure, and the space around it (points).
NOTE_FONT_PT = 7.5
NOTE_PAD_PT = 4.0


def source_note(fig, text: str) -> None:
    """Write the inputs and price date that produced a figure under it (DESIGN.md convention).

    The figure grows by the note's height and its constrained layout is kept above the note, so the note
    sits inside the figure: :func:`figure_png` needs no tight bounding box (no second draw) to show it.
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    engine = fig.get_layout_engine()
    if not isinstance(engine, ConstrainedLayoutEngine):
        raise ValueError("source_note needs a figure with layout='constrained' (see new_figure)")
    text = text.replace("$", r"\$")  # a literal dollar sign, not matplotlib mathtext
    # Wrapped here, to the figure's width, rather than with ``wrap=True``: matplotlib re-measures every
    # growing prefix of the text on every draw (quadratic in its words). Same greedy rule, each word
    # measured once.
    note = fig.text(0.01, 0.0, "", fontsize=NOTE_FONT_PT, color="#555555", ha="left", va="bottom")
    note.set_text(_wrap(text, note.get_fontproperties(), 0.98 * fig.get_figwidth() * 72))
    note_in = (note.get_window_extent(fig.canvas.get_renderer()).height / fig.dpi
               + 2 * NOTE_PAD_PT / 72)
    width_in, height_in = fig.get_size_inches()
    total_in = height_in + note_in
    fig.set_size_inches(width_in, total_in)
    engine.set(rect=(0.0, note_in / total_in, 1.0, height_in / total_in))
    note.set_y(NOTE_PAD_PT / 72 / total_in)


def figure_png(fig) -> bytes:
    """``fig`` as PNG bytes at its own size and dpi, drawn once.

    ``display(fig)`` in a notebook saves with ``bbox_inches='tight'``, which draws every figure twice (a dry
    run to measure the tight bounding box, then the real draw); figures are most of a report's run time. Constrained layout
    already keeps every axes decoration, legend and title inside the figure, and :func:`source_note`
    reserves room for the note, so one draw at the figure's own size loses nothing.
    """
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)
    return buf.getvalue()


def show(fig) -> None:
    """Display ``fig`` in the notebook (one PNG, see :func:`figure_png`) and close it."""
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    plt.close(fig)
    display(Image(data=figure_png(fig), format="png"))


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
