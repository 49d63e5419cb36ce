"""The redesigned report charts: the zoomed value curve, the comparison's difference, the bridge."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from roistudio.charts.bridge import bridge_bars, draw_value_bridge
from roistudio.charts.comparison import difference_curve, draw_comparison
from roistudio.charts.curves import draw_value_curve, zoom_range
from roistudio.core.engine.bridge import value_bridge
from tests.helpers import brute_force_value, run_analysis

PAYOFF = {"tp": "100", "fp": "-5", "tn": "0", "fn": "-100"}


@pytest.fixture(scope="module")
def skewed():
    """Scores crowded near zero as a 1% fraud rate gives them: everything happens below ~0.1."""
    rng = np.random.default_rng(5)
    n = 20_000
    label = rng.random(n) < 0.02
    score = np.where(label, rng.beta(2, 20, n), rng.beta(1, 60, n)).round(5)
    challenger = np.clip(score + np.where(label, 0.01, 0.0) + rng.normal(0, 0.002, n), 0, 1).round(5)
    score[0], label[0] = 0.999, False  # one stray high score stretches the axis to 1
    frame = pd.DataFrame({"score": score, "label": label.astype(int), "challenger": challenger})
    analysis, _ = run_analysis(frame, PAYOFF, challenger_score="challenger")
    return frame, analysis


def test_value_curve_zooms_to_where_the_value_changes_and_keeps_the_whole_curve_in_an_inset(skewed):
    _, analysis = skewed
    model = analysis.champion
    fig = Figure()
    ax = fig.add_subplot()
    artists = draw_value_curve(ax, model, symbol="€")
    _low, high = ax.get_xlim()
    assert model.optimum.threshold < high < 0.5  # the optimum is in view, the empty tail is not
    assert artists.inset is not None and artists.inset.get_xlim()[1] > 0.99  # the whole range
    assert ax.get_ylabel() == "Value (€)"
    # The app's explorer keeps every score in view (its slider spans them).
    full = Figure().add_subplot()
    assert draw_value_curve(full, model, zoom=False).inset is None
    assert full.get_xlim()[1] > 0.99 and full.get_ylabel() == "Value ($)"


def test_no_zoom_when_the_value_changes_over_the_whole_range():
    rng = np.random.default_rng(1)
    n = 2000
    label = rng.random(n) < 0.4
    frame = pd.DataFrame({"score": np.clip(np.where(label, 0.7, 0.3) + rng.normal(0, 0.2, n), 0, 1).round(3),
                          "label": label.astype(int)})  # fmt: skip
    analysis, _ = run_analysis(frame, PAYOFF)
    m = analysis.champion
    assert zoom_range([m.curve], [m.optimum, m.operating]) is None


def test_difference_panel_reads_both_curves_at_the_same_thresholds(skewed):
    frame, analysis = skewed
    champion, challenger = analysis.champion, analysis.challenger
    x, diff = difference_curve(champion, challenger)
    y = frame.label.to_numpy(dtype=bool)
    tp, fp, tn, fn = (np.full(len(frame), float(v)) for v in (100, -5, 0, -100))
    # Row by row at a few of the drawn thresholds: challenger minus champion, same threshold.
    for t, d in list(zip(x, diff, strict=True))[:: max(1, len(x) // 7)]:
        expected = brute_force_value(frame.challenger, y, t, tp, fp, tn, fn) - brute_force_value(
            frame.score, y, t, tp, fp, tn, fn
        )
        assert d == pytest.approx(expected, abs=1e-6)
    fig = Figure(layout="constrained")
    ax = fig.add_subplot()
    draw_comparison(ax, champion, challenger, symbol="$")
    assert len(fig.axes) == 2
    panel = fig.axes[1]
    labels = [t.get_text() for t in panel.get_legend().get_texts()]
    gap = challenger.optimum.value - champion.optimum.value
    assert any(label.startswith("each at its best threshold: $") for label in labels)
    (best_line,) = [ln for ln in panel.get_lines() if ln.get_label().startswith("each at its best")]
    assert best_line.get_ydata()[0] == pytest.approx(gap)
    # The panel's scale is the gap's, not the values': the $1M-wide value axis is not reused.
    bottom, top = panel.get_ylim()
    assert top - bottom < 0.5 * (ax.get_ylim()[1] - ax.get_ylim()[0])
    fig.canvas.draw()


def test_bridge_bars_sum_to_the_with_model_value(skewed):
    frame, analysis = skewed
    model = analysis.champion
    bars = bridge_bars(value_bridge(model))
    (_, b0, start), (_, b1, step1), (_, b2, step2), (_, b3, end) = bars
    assert b0 == b3 == 0.0 and b1 == start and b2 == start + step1  # each step floats from the last
    assert start + step1 + step2 == end  # exactly, as printed
    y = frame.label.to_numpy(dtype=bool)
    tp, fp, tn, fn = (np.full(len(frame), float(v)) for v in (100, -5, 0, -100))
    assert end == round(brute_force_value(frame.score, y, model.operating.threshold, tp, fp, tn, fn))
    fig = Figure()
    ax = fig.add_subplot()
    draw_value_bridge(ax, value_bridge(model), symbol="$")
    drawn = [v for p in ax.patches for v in (p.get_y(), p.get_height())]
    assert drawn == pytest.approx([v for _, b, h in bars for v in (b, h)])
    fig.canvas.draw()
