"""The figure path shared by every notebook: the source note sits inside the figure, and a figure is
drawn once, at its own size, with nothing cut off."""

from __future__ import annotations

import io
import re

import matplotlib
import numpy as np
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


# --- one style: number formats, legends off the data, readable repository-relative source notes ----------

from voyager_analysis import plots  # noqa: E402
from voyager_analysis.config import ROOT  # noqa: E402


@pytest.mark.parametrize("fn, x, text", [
    (plots.format_usd, 92190.0, "$92.2K"), (plots.format_usd, 100000.0, "$100K"), (plots.format_usd, 0.45, "$0.45"),
    (plots.format_usd, 2_500_000.0, "$2.5M"), (plots.format_usd, 0.0, "$0"), (plots.format_users, 40000.0, "40K"),
    (plots.format_users, 1000.0, "1K"), (plots.format_users, 250.0, "250"), (plots.format_share, 0.25, "25%"),
    (plots.format_share, 0.005, "0.5%"), (plots.format_percent, 55.0, "55%")])
def test_tick_formats_hand_checked(fn, x, text):
    assert fn(x) == text


def _tick_texts(fig, axis):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure_png(fig)  # applies the house style
    FigureCanvasAgg(fig).draw()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_every_axis_gets_the_format_its_label_names():
    fig, ax = new_figure()
    ax.plot([1000, 30000, 100000], [500, 9000, 45000])
    ax.set_xscale("log")
    ax.set_xlabel("monthly active users")
    ax.set_ylabel("monthly cost (USD)")
    xs, ys = _tick_texts(fig, ax.xaxis), _tick_texts(fig, ax.yaxis)
    assert xs and all(re.fullmatch(r"[\d.]+[KM]?", t) for t in xs), xs  # not 10³
    assert ys and all(t.lstrip("−").startswith("$") for t in ys), ys
    fig, ax = new_figure()
    ax.plot([0, 1], [0.1, 0.6])
    ax.set_ylabel("Sonnet share of requests")
    assert all(t.endswith("%") for t in _tick_texts(fig, ax.yaxis))
    fig, ax = new_figure()
    ax.plot([0, 1], [1e-6, 3e6])
    ax.set_ylabel("something plain")
    ys = _tick_texts(fig, ax.yaxis)
    assert not any("e" in t.lower() for t in ys) and not ax.yaxis.get_offset_text().get_text(), ys
    plt.close("all")


def test_explicit_category_labels_are_left_alone():
    fig, ax = new_figure()
    ax.barh(["alpha", "beta"], [3, 1])
    ax.set_ylabel("users")
    assert _tick_texts(fig, ax.yaxis) == ["alpha", "beta"]
    plt.close(fig)


def _legend_box(fig, ax):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure_png(fig)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    return ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer), renderer


def test_a_legend_asked_on_top_of_data_moves_to_a_free_spot():
    fig, ax = new_figure()
    x = np.linspace(0, 1, 50)
    ax.plot(x, 1 - x, label="falling line through the upper left")
    ax.legend(loc="upper left")
    _, _, renderer = _legend_box(fig, ax)
    assert plots.legend_overlap(ax, ax.get_legend(), renderer) == 0
    plt.close(fig)


def test_a_legend_with_no_free_spot_goes_outside_the_axes():
    fig, ax = new_figure()
    rng = np.random.default_rng(1)
    ax.scatter(rng.uniform(0, 1, 4000), rng.uniform(0, 1, 4000), s=2, label="points everywhere")
    ax.legend(loc="lower right")
    legend, axes_box, renderer = _legend_box(fig, ax)
    assert legend.x0 >= axes_box.x1 - 1, (legend, axes_box)
    assert plots.legend_overlap(ax, ax.get_legend(), renderer) == 0
    assert fig.bbox.x1 + 0.5 >= legend.x1, "still inside the figure (constrained layout made room)"
    plt.close(fig)


def test_overlap_counts_what_is_under_the_legend():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig, ax = new_figure()
    ax.bar([0, 1, 2], [1, 1, 1], width=1.0)
    ax.set_xlim(-0.5, 2.5)
    ax.set_ylim(0, 1)
    legend = ax.legend(["bars"], loc="center")
    renderer = FigureCanvasAgg(fig).get_renderer()
    assert plots.legend_overlap(ax, legend, renderer) > 0  # the bars fill the axes
    plt.close(fig)


def test_source_note_is_readable_and_paths_are_relative_to_the_repository():
    assert NOTE_FONT_PT >= 9
    fig, _ = new_figure()
    source_note(fig, f"Inputs: ../data/metrics/x.csv and ../../data/prices; {ROOT}/data/assumptions/roadmap.yaml; "
                     "https://example.com/../data/keep")
    text = fig.texts[-1].get_text().replace("\n", " ")
    assert "Inputs: data/metrics/x.csv and data/prices; data/assumptions/roadmap.yaml;" in text
    assert "../data" not in text.replace("example.com/../data", "") and str(ROOT) not in text
    assert fig.texts[-1].get_fontsize() >= 9
    plt.close(fig)


def test_neighbouring_ticks_never_read_the_same():
    for low, high in ((19.0, 22.3), (0.00012, 0.000131), (47000.0, 54200.0), (100000.0, 100900.0)):
        fig, ax = new_figure()
        ax.plot([0, 1], [low, high])
        ax.set_ylabel("per active user")
        texts = _tick_texts(fig, ax.yaxis)
        assert len(texts) == len(set(texts)) > 2, texts
        assert not any("e" in t for t in texts), texts
        plt.close(fig)


def test_forecast_fan_axis_follows_the_data_not_a_band_that_reaches_zero_users(example_metrics, roadmap):
    """With additive errors the fan's lower end reaches 'no users' (1e-300) in the first months; the log axis must
    still show the data (a regression drew it from 1e-151 to 1e13, the data a flat line)."""
    from voyager_analysis import growth

    comp = growth.fit_growth(example_metrics, roadmap=roadmap, calibrate=False)
    assert comp.band(comp.t[:1]).low.iat[0] < 1  # the precondition: the band does reach zero users
    fig = comp.plot_forecast(12)
    bottom, top = fig.axes[0].get_ylim()
    users = example_metrics.users.to_numpy()
    assert bottom <= users.min() and top >= users.max()
    assert np.log10(top / bottom) < 6  # 188 to ~100K users: a few decades, not hundreds
    plt.close(fig)
