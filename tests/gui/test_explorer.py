"""The threshold explorer shows exactly what a row-by-row count gives at the threshold it lands on."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pandas as pd
import pytest

from roistudio.core.engine.constraints import Constraints, constrained_optimum
from roistudio.gui.explorer import ThresholdExplorer
from roistudio.gui.widgets import format_count, format_money, format_percent
from tests.helpers import brute_force_value, run_analysis

pytestmark = pytest.mark.gui

PAYOFF = {"tp": "amount * 0.9 - review", "fp": "-review", "tn": "0", "fn": "-amount"}
PARAMS = {"review": 5.0}


def _frame(rows: int = 80, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.random(rows) < 0.3
    # Two decimals: several rows share a score, so thresholds must be distinct scores, not rows.
    score = np.clip(np.where(label, 0.6, 0.35) + rng.normal(0, 0.2, rows), 0, 1).round(2)
    return pd.DataFrame(
        {"score": score, "label": label.astype(int), "amount": rng.gamma(2, 50, rows).round(2)}
    )


def _oracle(frame: pd.DataFrame, threshold: float | None) -> dict:
    """Counts and value of 'flag iff score >= threshold', row by row."""
    s, y, amount = (
        frame["score"].to_numpy(),
        frame["label"].to_numpy().astype(bool),
        frame["amount"].to_numpy(),
    )
    flagged = np.zeros(len(s), bool) if threshold is None else s >= threshold
    tp, fp = int((flagged & y).sum()), int((flagged & ~y).sum())
    value = brute_force_value(
        s, y, threshold, amount * 0.9 - 5, np.full(len(s), -5.0), np.zeros(len(s)), -amount
    )
    return {"tp": tp, "fp": fp, "flagged": tp + fp, "positives": int(y.sum()), "value": value}


@pytest.fixture(scope="module")
def frame_and_analysis():
    frame = _frame()
    analysis, _con = run_analysis(frame, PAYOFF, PARAMS)
    return frame, analysis


@pytest.fixture
def explorer_and_frame(qtbot, frame_and_analysis):
    frame, analysis = frame_and_analysis
    widget = ThresholdExplorer()
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.set_analysis(analysis, "USD")
    return widget, frame, analysis


def test_slider_positions_show_the_row_by_row_numbers(explorer_and_frame, qtbot):
    explorer, frame, analysis = explorer_and_frame
    distinct = np.sort(frame["score"].unique())
    nobody = _oracle(frame, None)
    previous = -np.inf
    low, high = distinct[0], distinct[-1]
    for position in (0, 250, 500, 750, explorer.slider.maximum() - 1):
        with qtbot.waitSignal(explorer.thresholdChanged, timeout=1000) as blocker:
            explorer.slider.setValue(position)
        threshold = explorer.threshold()
        assert blocker.args == [threshold]
        # The slider moves evenly through score values (like the chart's x axis) and lands on the
        # lowest distinct score at or above the value of its position.
        value = low + (high - low) * position / (explorer.slider.maximum() - 1)
        assert threshold == distinct[distinct >= value - 1e-12][0]
        assert threshold > previous  # left to right is increasing threshold, like the chart
        previous = threshold
        expected = _oracle(frame, threshold)
        tiles = explorer.tiles
        assert tiles["value"].value_text() == format_money(expected["value"], "USD")
        gain = expected["value"] - max(nobody["value"], _oracle(frame, 0.0)["value"])
        assert tiles["gain"].value_text() == format_money(gain, "USD", signed=True)
        assert tiles["flagged"].value_text() == format_count(expected["flagged"])
        precision = expected["tp"] / expected["flagged"] if expected["flagged"] else None
        assert tiles["precision"].value_text() == format_percent(precision)
        assert tiles["recall"].value_text() == format_percent(expected["tp"] / expected["positives"])
        assert explorer.matrix.cell_text("fp").split("\n")[0] == f"FP {expected['fp']:,}"
        # The same numbers as the core reads off its curve at that threshold.
        assert explorer.operating_point().value == pytest.approx(analysis.champion.curve.at(threshold).value)


def test_far_right_flags_nobody(explorer_and_frame, qtbot):
    explorer, frame, _ = explorer_and_frame
    with qtbot.waitSignal(explorer.thresholdChanged, timeout=1000) as blocker:
        explorer.slider.setValue(explorer.slider.maximum())
    assert blocker.args == [None]
    assert explorer.tiles["flagged"].value_text() == "0"
    assert explorer.tiles["value"].value_text() == format_money(_oracle(frame, None)["value"], "USD")


def test_slider_moves_blit_the_marker_without_full_redraws(explorer_and_frame):
    explorer, _, _ = explorer_and_frame
    explorer.canvas.draw()
    full = explorer.canvas.full_draws
    for position in range(0, explorer.slider.maximum(), 7):
        explorer.slider.setValue(position)
    assert explorer.canvas.full_draws == full
    x = explorer._artists.operating_line.get_xdata()[0]
    assert x == explorer.threshold()


def test_spin_box_threshold_counts_rows_at_or_above_it(explorer_and_frame, qtbot):
    explorer, frame, _ = explorer_and_frame
    with qtbot.waitSignal(explorer.thresholdChanged, timeout=1000) as blocker:
        explorer.spin.setValue(0.5)
    assert blocker.args == [0.5]
    expected = _oracle(frame, 0.5)
    assert explorer.tiles["flagged"].value_text() == format_count(expected["flagged"])
    assert explorer.tiles["value"].value_text() == format_money(expected["value"], "USD")


def test_set_threshold_does_not_echo(explorer_and_frame, qtbot):
    explorer, frame, _ = explorer_and_frame
    with qtbot.assertNotEmitted(explorer.thresholdChanged):
        explorer.set_threshold(0.41)
    assert explorer.threshold() == 0.41
    assert explorer.tiles["flagged"].value_text() == format_count(_oracle(frame, 0.41)["flagged"])


def test_capacity_constraint_shows_the_constrained_optimum(explorer_and_frame, qtbot):
    explorer, frame, analysis = explorer_and_frame
    capacity = 12
    with qtbot.waitSignal(explorer.constraintsChanged, timeout=2000) as blocker:
        explorer.constraints_panel.capacity.setValue(capacity)  # typing a value switches the constraint on
    assert blocker.args == [Constraints(max_flagged=capacity)]
    point = explorer.constrained_point()
    assert point is not None
    core = constrained_optimum(analysis.champion.curve, Constraints(max_flagged=capacity))
    assert (point.index, point.value) == (core.index, core.value)
    # Brute force: the best value over every distinct score (and flag nobody) with <= 12 flagged.
    candidates = [None, *frame["score"].unique()]
    feasible = [
        (_oracle(frame, t)["value"], t) for t in candidates if _oracle(frame, t)["flagged"] <= capacity
    ]
    best_value = max(v for v, _ in feasible)
    assert point.value == pytest.approx(best_value)
    assert format_money(best_value, "USD") in explorer.constrained_label.text()
    assert point.flagged <= capacity

    with qtbot.waitSignal(explorer.thresholdChanged, timeout=1000) as moved:
        explorer.use_best.click()
    assert moved.args == [point.threshold]
    assert explorer.tiles["value"].value_text() == format_money(best_value, "USD")


def test_precision_and_recall_constraints(explorer_and_frame, qtbot):
    explorer, _, analysis = explorer_and_frame
    with qtbot.waitSignal(explorer.constraintsChanged, timeout=2000) as blocker:
        explorer.constraints_panel.precision.setValue(80.0)
        explorer.constraints_panel.recall_on.setChecked(True)
        explorer.constraints_panel.recall.setValue(20.0)
    constraints = blocker.args[0]
    assert constraints == Constraints(min_precision=0.8, min_recall=0.2)
    core = constrained_optimum(analysis.champion.curve, constraints)
    point = explorer.constrained_point()
    assert (point.index, point.value) == (core.index, core.value)
    assert point.precision >= 0.8 and point.recall >= 0.2
    assert point.threshold > analysis.champion.optimum.threshold  # the free optimum is not precise enough

    with qtbot.waitSignal(explorer.constraintsChanged, timeout=2000):
        explorer.constraints_panel.precision.setValue(100.0)
        explorer.constraints_panel.recall.setValue(90.0)
    assert explorer.constrained_point() is None
    assert "no threshold meets the constraints" in explorer.constrained_label.text()


def test_at_900_pixels_no_tile_caption_is_cut_and_the_legend_leaves_the_curve_alone(
    explorer_and_frame, qtbot
):
    explorer, _, _ = explorer_and_frame
    explorer.resize(900, 700)
    explorer.show()
    qtbot.waitExposed(explorer)
    explorer.set_constraints(Constraints(max_flagged=12))  # the longest gain caption
    qtbot.wait(50)
    widths = {tile.width() for tile in explorer.tiles.values()}
    assert max(widths) - min(widths) <= 2  # the tiles share the row evenly
    for name, tile in explorer.tiles.items():
        caption = tile._caption
        assert caption.heightForWidth(caption.width()) <= caption.height(), name
        title = tile._title
        assert title.fontMetrics().horizontalAdvance(title.text()) <= title.width(), name
    explorer.canvas.draw()
    ax = explorer.canvas.figure.axes[0]
    renderer = explorer.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    plot = ax.get_window_extent(renderer)
    assert legend.y1 <= plot.y0  # under the axes, not over the curve
