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
NOTE_FONT_PT = 9.0
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
    text = repo_relative(text).replace("$", r"\$")  # a literal dollar sign, not matplotlib mathtext
    # Wrapped here, to the figure's width, rather than with ``wrap=True``: matplotlib re-measures every
    # growing prefix of the text on every draw (quadratic in its words). Same greedy rule, each word
    # measured once.
    note = fig.text(0.01, 0.0, "", fontsize=NOTE_FONT_PT, color="#555555", ha="left", va="bottom")
    note.set_text(_wrap(text, note.get_fontproperties(), 0.94 * fig.get_figwidth() * 72))  # Agg hinting: margin
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
    canvas = FigureCanvasAgg(fig)
    house_style(fig, canvas.get_renderer())
    canvas.print_png(buf)
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


# --- one style for every figure: number formats, legends, paths -------------------------------------------

def repo_relative(text: str) -> str:
    """``text`` with every path into the repository written relative to its root (``data/metrics/x.csv``),
    never ``../data/...`` (a notebook's working directory) or an absolute path of this checkout."""
    import re

    from voyager_analysis.config import ROOT

    text = text.replace(str(ROOT) + "/", "")
    return re.sub(r"(?<![\w./])(?:\.\./)+(?=(?:data|notebooks|reports|roadmap)/)", "", text)


def compact(x: float) -> str:
    """A tick number for people: ``1,500`` → ``1.5K``, ``2,000,000`` → ``2M``, ``250`` → ``250``,
    ``0.25`` → ``0.25`` (never ``1e6`` or ``10³``)."""
    ax_ = abs(x)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if ax_ >= size:
            return f"{x / size:,.1f}".rstrip("0").rstrip(".") + suffix
    if ax_ >= 10 or x == int(x):
        return f"{x:,.0f}"
    return f"{x:.2f}".rstrip("0").rstrip(".") if ax_ >= 0.01 else f"{x:.2g}"


def _decimals(step: float) -> int:
    """Decimals needed to tell ticks ``step`` apart (0.25 → 2, 0.5 → 1, 20 → 0)."""
    for d in range(0, 9):
        if abs(step * 10 ** d - round(step * 10 ** d)) < 1e-6 * max(1.0, step * 10 ** d):
            return d
    return 8


def tick_text(kind: str | None, x: float, step: float | None = None) -> str:
    """A tick label: ``kind`` ``"usd"`` (``$1.5K``), ``"users"`` (``40K``), ``"share"`` (a fraction as
    ``25%``), ``"percent"`` (``55%``) or ``None`` (a plain number); ``step`` is the distance between the
    axis' ticks, so neighbouring labels never read the same. Never scientific notation."""
    suffix = "%" if kind in ("share", "percent") else ""
    if kind == "share":
        x, step = 100 * x, None if step is None else 100 * step
    magnitude = abs(x)
    if step is None:
        text = compact(magnitude)
    elif magnitude >= 1000 and step >= 100 and kind != "percent" and kind != "share":
        size, letter = (1e6, "M") if magnitude >= 1e6 and step >= 1e5 else (1e3, "K")
        text = f"{magnitude / size:,.{_decimals(step / size)}f}{letter}"
    else:
        text = f"{magnitude:,.{_decimals(step)}f}"
    if kind == "usd" and 0 < magnitude < 10 and "." in text and len(text.split(".")[1]) < 2:
        text = f"{magnitude:.2f}"
    sign = "−" if x < 0 and text.strip("0.,KM") else ""
    return f"{sign}{'$' if kind == 'usd' else ''}{text}{suffix}"


def format_usd(x: float, _pos=None) -> str:
    """Money ticks: ``$1.5K``, ``$200``, ``$0.45``."""
    return tick_text("usd", x)


def format_users(x: float, _pos=None) -> str:
    """User-count ticks: ``500``, ``40K``, ``1.2M``."""
    return tick_text("users", x)


def format_share(x: float, _pos=None) -> str:
    """A fraction as a percentage tick: ``0.25`` → ``25%``."""
    return tick_text("share", x)


def format_percent(x: float, _pos=None) -> str:
    """A value already in percent: ``55`` → ``55%``."""
    return tick_text("percent", x)


def _tick_formatter(kind: str | None):
    """A matplotlib formatter writing :func:`tick_text` with the spacing of the axis' own ticks."""
    import numpy as np
    from matplotlib.ticker import Formatter

    class TickFormatter(Formatter):
        step: float | None = None

        def set_locs(self, locs):
            values = np.unique(np.asarray([v for v in locs if np.isfinite(v)], dtype=float))
            steps = np.diff(values)
            self.step = float(steps[steps > 0].min()) if (steps > 0).any() else None

        def __call__(self, x, pos=None):
            if self.axis is not None and self.axis.get_scale() != "linear":
                return tick_text(kind, x)  # log ticks: each label on its own (1K, 10K, 100K)
            return tick_text(kind, x, self.step)

    return TickFormatter()


def axis_kind(label: str, limits: tuple[float, float]) -> str | None:
    """Which number format an axis gets from its label: ``usd``, ``users``, ``percent`` (values already in
    %), ``share`` (fractions), or ``None`` (plain numbers)."""
    text = label.lower()
    if "usd" in text or "$" in text:
        return "usd"
    if "%" in text or "percent" in text:
        return "percent"
    if any(w in text for w in ("share", "fraction", "probability", "margin", "retention", "rate")) \
            and max(abs(limits[0]), abs(limits[1])) <= 1.5:
        return "share"
    if "users" in text:
        return "users"
    return None


def format_axes(ax) -> None:
    """The one number style on ``ax``: each numeric axis gets the formatter its label names (money, users,
    percentages), plain numbers otherwise; explicit tick labels (categories, dates) are left alone."""
    from matplotlib.ticker import FuncFormatter, LogFormatter, NullFormatter, ScalarFormatter

    for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        current = axis.get_major_formatter()
        if not isinstance(current, (ScalarFormatter, LogFormatter, FuncFormatter)):
            continue
        kind = axis_kind(axis.get_label_text(), limits)
        if kind is None and isinstance(current, FuncFormatter):
            continue  # a figure's own formatter for something that is not money, users or a share
        axis.set_major_formatter(_tick_formatter(kind))
        if isinstance(current, LogFormatter):
            axis.set_minor_formatter(NullFormatter())


def legend_overlap(ax, legend, renderer) -> int:
    """How many data points of ``ax`` (line samples, scatter points, bar corners and centres) lie under
    ``legend``."""
    import numpy as np
    from matplotlib.patches import Rectangle

    box = legend.get_window_extent(renderer)
    points = []
    for line in ax.get_lines():
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) > 1:  # sample each segment, so a line crossing the box between its vertices counts
            t = np.linspace(0, 1, 8)[:, None, None]
            xy = (xy[:-1] * (1 - t) + xy[1:] * t).reshape(-1, 2)
        points.append(xy)
    for coll in ax.collections:
        offsets = np.asarray(coll.get_offsets(), dtype=float)
        if len(offsets) and type(coll).__name__ == "PathCollection":
            points.append(coll.get_offset_transform().transform(offsets))
    for patch in ax.patches:
        if isinstance(patch, Rectangle) and patch.get_visible():
            b = patch.get_window_extent(renderer)
            points.append(np.array([[b.x0, b.y0], [b.x1, b.y1], [b.x0, b.y1], [b.x1, b.y0],
                                    [(b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2]]))
    corners = np.array([[box.x0, box.y0], [box.x1, box.y1], [box.x0, box.y1], [box.x1, box.y0],
                        [(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2]])
    covered = 0
    for coll in ax.collections:  # filled areas (bands, stacks): the legend sits on one
        if type(coll).__name__ in ("PolyCollection", "FillBetweenPolyCollection"):
            transform = coll.get_transform()
            covered += sum(int(transform.transform_path(path).contains_points(corners).sum())
                           for path in coll.get_paths())
    if not points:
        return covered
    xy = np.concatenate(points)
    inside = (xy[:, 0] > box.x0) & (xy[:, 0] < box.x1) & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1)
    return covered + int(inside.sum())


def place_legend(ax, renderer) -> None:
    """Keep ``ax``'s legend off the data: where it was asked for if nothing is under it, else the best spot
    inside the axes if that is free, else outside the axes on the right."""
    legend = ax.get_legend()
    if legend is None or legend.get_bbox_to_anchor() is not ax.bbox and _outside(legend, ax, renderer):
        return
    if not legend_overlap(ax, legend, renderer):
        return
    legend.set_bbox_to_anchor(None)
    _set_loc(legend, "best")
    if legend_overlap(ax, legend, renderer):
        _set_loc(legend, "upper left")
        legend.set_bbox_to_anchor((1.01, 1.0), transform=ax.transAxes)
        title = ax.get_title()
        if title:  # a centred title over the narrower axes could run off the figure's left edge
            ax.set_title("")
            ax.set_title(title, loc="left")


def _outside(legend, ax, renderer) -> bool:
    box, axes_box = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
    return box.x0 >= axes_box.x1 - 1 or box.x1 <= axes_box.x0 + 1 or box.y1 <= axes_box.y0 + 1 \
        or box.y0 >= axes_box.y1 - 1


def _set_loc(legend, loc: str) -> None:
    if hasattr(legend, "set_loc"):
        legend.set_loc(loc)
    else:  # pragma: no cover - matplotlib < 3.8
        legend._loc = {"best": 0, "upper left": 2}[loc]


def house_style(fig, renderer) -> None:
    """Apply :func:`format_axes` and :func:`place_legend` to every axes of ``fig`` (called by
    :func:`figure_png`, so every figure of every notebook gets them)."""
    for ax in fig.axes:
        format_axes(ax)
        place_legend(ax, renderer)
