"""The bridge beside the value curve: it follows the slider, equals the core's bridge and the rows."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from roistudio.core.engine.bridge import value_bridge
from roistudio.core.engine.curve import Curve
from roistudio.core.project.demo import DEMO_PARAMETERS, demo_data_path
from roistudio.gui.bridge_view import EMPTY_TEXT, UNLABELLED_TEXT, BridgeView
from tests.helpers import demo_row_payoffs

pytestmark = pytest.mark.gui


@pytest.fixture
def demo_window(qtbot, demo_main_window):
    return demo_main_window


def _rows_bridge(score: str, threshold: float) -> tuple[float, float, int, int]:
    """From flag nobody to ``score >= threshold``, straight from the demo's rows: the money the
    positives and the negatives that get flagged add, and how many there are."""
    frame = pd.read_parquet(demo_data_path())
    known = frame[frame["is_fraud"].notna()]
    positive = known["is_fraud"].to_numpy(dtype=float) == 1
    flagged = known[score].to_numpy(dtype=float) >= threshold
    pay = demo_row_payoffs(known["amount"].to_numpy(dtype=float), DEMO_PARAMETERS)
    caught = positive & flagged
    alarms = ~positive & flagged
    return (
        float((pay["tp"] - pay["fn"])[caught].sum()),
        float((pay["fp"] - pay["tn"])[alarms].sum()),
        int(caught.sum()),
        int(alarms.sum()),
    )


def test_the_bridge_follows_the_slider_and_adds_up_to_the_rows(qtbot, demo_window):
    explorer = demo_window.explorer
    view = explorer.bridge
    explorer.chart_tabs.setCurrentWidget(view)
    champion = demo_window.doc.analysis.champion
    for position in (explorer.slider.maximum() // 40, explorer.slider.maximum() // 6):
        explorer.slider.setValue(position)
        point = explorer.operating_point()
        assert point is not None and point.threshold is not None
        expected = value_bridge(champion, champion.curve.point(point.index))
        bridge = view.bridge()
        assert bridge is not None
        assert bridge.start == expected.start and bridge.end == expected.end
        assert [s.value for s in bridge.steps] == [s.value for s in expected.steps]
        assert [s.rows for s in bridge.steps] == [s.rows for s in expected.steps]
        # The same steps from the rows themselves (flag nobody is the demo's better baseline).
        positives, negatives, caught, alarms = _rows_bridge("champion_score", point.threshold)
        assert bridge.steps[0].value == pytest.approx(positives, abs=1e-6)
        assert bridge.steps[1].value == pytest.approx(negatives, abs=1e-6)
        assert (bridge.steps[0].rows, bridge.steps[1].rows) == (caught, alarms)
        # The table prints the rounded figures, which add up exactly as printed.
        start, (a, b), end = expected.rounded(0)
        assert start + a + b == end
        values = [view.cell_text(r, 3) for r in range(4)]
        assert values == [f"-${-start:,.0f}", f"+${a:,.0f}", f"-${-b:,.0f}", f"-${-end:,.0f}"]
    # The chart follows too, coalesced: one drawn bridge per settled threshold.
    qtbot.waitUntil(lambda: not view._dirty, timeout=5000)
    ax = view.canvas.figure.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == (
        f"with the model\n(threshold {view.bridge().threshold:.4f})"
    )


def test_the_labels_say_what_changes_in_words(qtbot, demo_window):
    view = demo_window.explorer.bridge
    demo_window.explorer.chart_tabs.setCurrentWidget(view)
    assert view.sentence.text() == (
        "Champion (champion_score): from flag nobody (-$349,008) to -$192,575 at threshold 0.0552: "
        "1,586 missed positives caught (+$190,824) and 5,291 false alarms added (-$34,391). "
        "No other row changes outcome."
    )
    assert [[view.cell_text(r, c) for c in range(4)] for r in range(4)] == [
        ["Without the model: flag nobody", "", "", "-$349,008"],
        ["missed positives caught", "1,586", "FN \u2192 TP", "+$190,824"],
        ["false alarms added", "5,291", "TN \u2192 FP", "-$34,391"],
        ["with the model (threshold 0.0552)", "", "", "-$192,575"],
    ]
    assert view.meanings.text() == (
        "<b>Missed positives caught</b>: False negatives that become true positives.<br>"
        "<b>False alarms added</b>: True negatives that become false positives (false alarms)."
    )
    qtbot.waitUntil(lambda: not view._dirty, timeout=5000)
    labels = [t.get_text() for t in view.canvas.figure.axes[0].get_xticklabels()]
    assert labels == [
        "flag nobody",
        "missed positives caught\n1,586 rows, FN \u2192 TP",
        "false alarms added\n5,291 rows, TN \u2192 FP",
        "with the model\n(threshold 0.0552)",
    ]


def test_the_challenger_is_bridged_at_the_same_threshold(qtbot, demo_window):
    view = demo_window.explorer.bridge
    analysis = demo_window.doc.analysis
    assert view.model_box.count() == 2 and not view._model_row.isHidden()
    view.model_box.setCurrentIndex(1)
    threshold = analysis.champion.operating.threshold
    challenger = analysis.comparison.challenger
    expected = value_bridge(challenger, challenger.curve.at(threshold))
    assert [s.value for s in view.bridge().steps] == [s.value for s in expected.steps]
    positives, negatives, caught, alarms = _rows_bridge("challenger_score", threshold)
    assert view.bridge().steps[0].value == pytest.approx(positives, abs=1e-6)
    assert view.bridge().steps[1].value == pytest.approx(negatives, abs=1e-6)
    assert [s.rows for s in view.bridge().steps] == [caught, alarms]
    assert view.sentence.text().startswith("Challenger (challenger_score): from flag nobody")


def test_a_hidden_bridge_costs_no_drawing_while_the_slider_moves(qtbot, demo_window):
    explorer = demo_window.explorer
    view = explorer.bridge
    explorer.chart_tabs.setCurrentIndex(0)  # the value curve is shown, the bridge is not
    draws = view.canvas.full_draws
    for position in range(0, explorer.slider.maximum(), 97):
        explorer.slider.setValue(position)
    qtbot.wait(200)
    assert view.canvas.full_draws == draws
    last = explorer.operating_point()
    assert view.bridge().end == last.value  # the figures are current all the same
    explorer.chart_tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.canvas.full_draws > draws, timeout=5000)


def test_empty_and_unlabelled_states_say_why(qtbot):
    view = BridgeView()
    qtbot.addWidget(view)
    view.set_analysis(None)
    assert view.is_empty() and view.empty_text() == EMPTY_TEXT
    assert view.bridge() is None

    from tests.helpers import run_analysis

    frame = pd.DataFrame({"score": np.linspace(0, 1, 20), "label": np.arange(20) % 2, "amount": 10.0})
    analysis, _con = run_analysis(frame, {"tp": "amount", "fp": "-1", "tn": "0", "fn": "-amount"})
    unlabelled = replace(analysis.champion, curve=Curve.empty())
    view.set_analysis(replace(analysis, champion=unlabelled))
    assert view.is_empty() and view.empty_text() == UNLABELLED_TEXT
    view.set_analysis(analysis)
    assert not view.is_empty()
    assert view._model_row.isHidden()  # one model: nothing to pick
