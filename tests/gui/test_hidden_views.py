"""Views on tabs not shown build no chart on a threshold move or a new analysis; shown, they are current."""

from __future__ import annotations

import pytest

from roistudio.core.project.project import VIEWS

pytestmark = pytest.mark.gui


@pytest.fixture
def demo_window(qtbot, demo_main_window):
    qtbot.wait(50)
    return demo_main_window


def _hidden_canvases(w):
    return {
        "comparison": w.comparison_view.canvas,
        "segments": w.segments_view.canvas,
        "trends": w.trends_view.canvas,
    }


def test_slider_moves_build_no_chart_on_hidden_tabs_and_a_shown_tab_is_current(qtbot, demo_window):
    w = demo_window
    canvases = _hidden_canvases(w)
    before = {name: (c.full_draws, list(c.figure.axes)) for name, c in canvases.items()}
    for position in range(100, 900, 80):
        w.explorer.slider.setValue(position)
    qtbot.wait(200)
    threshold = w.doc.analysis.operating.threshold
    assert threshold == w.explorer.threshold()
    for name, canvas in canvases.items():
        assert not canvas.isVisible()
        assert (canvas.full_draws, list(canvas.figure.axes)) == before[name], name
    # The tables and sentences are current all the same (cheap); the chart comes with the tab.
    assert w.comparison_view.detail.text().startswith(
        f"At the common threshold {threshold:.4f} (the champion's operating threshold)"
    )
    for name, canvas in canvases.items():
        w.tabs.setCurrentIndex(VIEWS.index(name))
        qtbot.waitUntil(lambda canvas=canvas, name=name: canvas.full_draws > before[name][0], timeout=5000)
        assert canvas.figure.axes and canvas.figure.axes != before[name][1], name
    # The comparison chart marks the common threshold where the slider left it.
    marker_x = [
        float(line.get_xdata()[0])
        for ax in w.comparison_view.canvas.figure.axes
        for line in ax.get_lines()
        if len(line.get_xdata()) == 1
    ]
    assert threshold in marker_x


def test_a_shown_view_builds_at_once(qtbot, demo_window):
    w = demo_window
    w.tabs.setCurrentIndex(VIEWS.index("segments"))
    canvas = w.segments_view.canvas
    axes = list(canvas.figure.axes)
    w.doc.set_threshold(0.5)
    assert canvas.figure.axes and list(canvas.figure.axes) != axes
