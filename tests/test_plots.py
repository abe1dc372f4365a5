"""The figure path shared by every notebook: the source note sits inside the figure, and a figure is
drawn once, at its own size, with nothing cut off."""

from __future__ import annotations

import io

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from voyager_analysis.plots import NOTE_FONT_PT, _wrap, figure_png, new_figure, show, source_note  # noqa: E402

LONG_NOTE = ("Inputs: data/metrics/example_monthly.csv (17 months); prices as_of 2026-11-01; " * 4).strip()


def _crowded_figure():
    fig, ax = new_figure(6, 3)
    ax.barh(["a very long category label on the y axis", "short"], [3, 1])
    ax.set_xlabel("USD per month (x label)")
    ax.set_title("A title that is fairly long for a six inch figure")
    ax.legend(["series"], loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig, ax


def _renderer_and_draw(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def test_note_grows_the_figure_and_sits_below_everything_else_inside_it():
    fig, ax = _crowded_figure()
    source_note(fig, LONG_NOTE)
    note = fig.texts[-1]
    assert "\n" in note.get_text(), "a long note is wrapped to the figure's width"
    assert fig.get_figheight() > 3, "the figure grew by the note's height"
    renderer = _renderer_and_draw(fig)
    figure_box = fig.bbox
    note_box = note.get_window_extent(renderer)
    axes_box = ax.get_tightbbox(renderer)  # axes, tick labels, axis labels, title and legend
    for box in (note_box, axes_box):  # nothing outside the figure: one draw at its own size shows it all
        assert box.x0 >= figure_box.x0 - 0.5 and box.x1 <= figure_box.x1 + 0.5
        assert box.y0 >= figure_box.y0 - 0.5 and box.y1 <= figure_box.y1 + 0.5
    assert note_box.y1 <= axes_box.y0, "the note is under the plot, not on it"
    plt.close(fig)


def test_note_escapes_dollar_signs():
    fig, _ = new_figure()
    source_note(fig, "cost $5 to $10")
    assert fig.texts[-1].get_text() == r"cost \$5 to \$10"
    plt.close(fig)


def test_note_needs_constrained_layout():
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="constrained"):
        source_note(fig, "x")
    plt.close(fig)


def test_figure_png_is_the_figure_at_its_own_size_and_dpi():
    fig, _ = _crowded_figure()
    source_note(fig, LONG_NOTE)
    width_in, height_in = fig.get_size_inches()
    image = Image.open(io.BytesIO(figure_png(fig)))
    assert image.format == "PNG"
    # matplotlib < 3.9 truncates the pixel size where newer versions round it: one pixel either way
    assert all(abs(px - inch * fig.dpi) <= 1 for px, inch in zip(image.size, (width_in, height_in)))
    darkest, lightest = image.convert("L").getextrema()
    assert darkest < 100 < lightest, "something was drawn on a light background"
    plt.close(fig)


def test_show_displays_one_png_and_closes_the_figure(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    fig, _ = new_figure()
    assert plt.fignum_exists(fig.number)
    show(fig)
    assert not plt.fignum_exists(fig.number)
    assert len(shown) == 1 and shown[0].format == "png" and shown[0].data[:8] == b"\x89PNG\r\n\x1a\n"


def test_wrap_breaks_at_spaces_within_the_width():
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    prop = FontProperties(size=NOTE_FONT_PT)
    width = text_to_path.get_text_width_height_descent("aaaa aaaa", prop, ismath=False)[0]
    # two words fit on a line exactly as wide as themselves; a third goes to the next line
    assert _wrap("aaaa aaaa aaaa", prop, width + 0.01) == "aaaa aaaa\naaaa"
    assert _wrap("aaaa aaaa aaaa", prop, 1.0) == "aaaa\naaaa\naaaa"  # a word wider than the line stays whole
    assert _wrap("one\ntwo", prop, 1000.0) == "one\ntwo"  # explicit line breaks are kept
