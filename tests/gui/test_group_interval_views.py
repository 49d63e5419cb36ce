"""Per-segment and per-period intervals in the app's tables: the same ends as the JSON's."""

from __future__ import annotations

import json
import os
from dataclasses import replace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from roistudio.core.engine.decision import DecisionOptions, decide
from roistudio.gui.segments_view import SegmentsView
from roistudio.gui.trends_view import TrendsView
from roistudio.gui.widgets import format_money
from tests.gui.test_views import PAYOFF, _frame
from tests.helpers import run_analysis

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def decided():
    analysis, con = run_analysis(
        _frame(), PAYOFF, positive="1", segments=("region",), timestamp="event_time", period="month"
    )
    decision = decide(con, analysis, DecisionOptions(replicates=200, seed=7))
    # The JSON contract's block, through a real round trip (what `roistudio sweep --json` prints).
    block = json.loads(json.dumps(decision.to_json_blocks()))["uncertainty"]
    return analysis, decision, block


def _column(view, title: str) -> list[str]:
    col = view.model.column_index(title)
    return [view.table.displayed(r, col) for r in range(view.model.rowCount())]


def test_segments_table_shows_each_segments_interval_from_the_json(qtbot, decided):
    analysis, decision, block = decided
    view = SegmentsView()
    qtbot.addWidget(view)
    view.set_analysis(analysis, "EUR")
    low_col = view.model.column_index("Value low")
    assert view.table.isColumnHidden(low_col)  # nothing to show before the background job
    view.set_decision(decision, "EUR")
    assert not view.table.isColumnHidden(low_col)
    rows = {r["key"]: r for r in block["segments"]["region"]}
    keys = [view.table.displayed(r, 0) for r in range(view.model.rowCount())]
    assert sorted(keys) == sorted(rows) and len(keys) == 4
    assert _column(view, "Value low") == [format_money(rows[k]["low"], "EUR") for k in keys]
    assert _column(view, "Value high") == [format_money(rows[k]["high"], "EUR") for k in keys]
    assert "Value low / high: the 90% bootstrap interval of each segment's value (200 resamples)." in (
        view.caption.text()
    )
    # A new analysis (a threshold move) makes them stale: hidden until the next job delivers.
    view.set_analysis(replace(analysis), "EUR")
    assert view.table.isColumnHidden(low_col)


def test_trends_table_shows_each_periods_interval_from_the_json(qtbot, decided):
    analysis, decision, block = decided
    view = TrendsView()
    qtbot.addWidget(view)
    view.set_analysis(analysis, "USD")
    view.set_decision(decision, "USD")
    rows = {r["key"]: r for r in block["periods"]}
    keys = [view.model.row_object(r).key for r in range(view.model.rowCount())]
    shown = {view.table.proxy.mapToSource(view.table.proxy.index(r, 0)).row(): r for r in range(len(keys))}
    low = _column(view, "Value low")
    high = _column(view, "Value high")
    for source_row, key in enumerate(keys):
        r = shown[source_row]
        if key in rows:  # labelled months
            assert (low[r], high[r]) == (
                format_money(rows[key]["low"], "USD"),
                format_money(rows[key]["high"], "USD"),
            )
        else:  # March has no label yet: no interval, never a $0 one
            assert (low[r], high[r]) == ("", "")
    assert len(rows) == 2
    assert "Value low / high: the 90% bootstrap interval of each period's value (200 resamples)." in (
        view.caption.text()
    )
