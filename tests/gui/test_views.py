"""Segments, trends, comparison views and the filter bar, checked against row-by-row counts."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from roistudio.core.engine.filters import Filters
from roistudio.gui.comparison_view import EMPTY_TEXT, ComparisonView
from roistudio.gui.filter_bar import FilterBar
from roistudio.gui.segments_view import SegmentsView
from roistudio.gui.trends_view import TrendsView
from roistudio.gui.widgets import format_count, format_money
from tests.helpers import brute_force_value, run_analysis

pytestmark = pytest.mark.gui

PAYOFF = {"tp": "amount - 10", "fp": "-10", "tn": "0", "fn": "-amount"}
SEGMENT_SIZES = {
    "north": 9,
    "south": 12,
    "east": 30,
    "west": 101,
}  # 9 < 12 < 30 < 101, but "101" < "12" < "9"


def _frame(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = np.concatenate([[k] * n for k, n in SEGMENT_SIZES.items()])
    rows = len(region)
    label = rng.random(rows) < 0.3
    score = np.clip(np.where(label, 0.6, 0.35) + rng.normal(0, 0.2, rows), 0, 1).round(3)
    challenger = np.clip(np.where(label, 0.7, 0.3) + rng.normal(0, 0.15, rows), 0, 1).round(3)
    # Three months; the last has no labels yet.
    event_time = pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, rows), unit="D")
    labels = pd.array(label.astype(int), dtype="Int64")
    labels[event_time >= pd.Timestamp("2026-03-01")] = pd.NA
    return pd.DataFrame(
        {
            "score": score,
            "chal": challenger,
            "label": labels,
            "amount": rng.gamma(2, 50, rows).round(2),
            "region": region,
            "event_time": event_time,
        }
    )


def _value(frame: pd.DataFrame, column: str, threshold: float | None) -> float:
    known = frame[frame["label"].notna()]
    s, y, amount = known[column].to_numpy(), known["label"].to_numpy(dtype=bool), known["amount"].to_numpy()
    n = len(s)
    return brute_force_value(s, y, threshold, amount - 10, np.full(n, -10.0), np.zeros(n), -amount)


def _perfect(frame: pd.DataFrame) -> float:
    known = frame[frame["label"].notna()]
    positives = known["label"].to_numpy(dtype=bool)
    return float((known["amount"][positives] - 10).sum())


@pytest.fixture(scope="module")
def data():
    frame = _frame()
    analysis, _con = run_analysis(
        frame, PAYOFF, positive="1", challenger_score="chal", segments=("region",), timestamp="event_time",
        period="month",
    )  # fmt: skip
    return frame, analysis


def test_segments_table_is_sorted_by_money_lost(qtbot, data):
    frame, analysis = data
    view = SegmentsView()
    qtbot.addWidget(view)
    view.set_analysis(analysis, "EUR")
    threshold = analysis.operating.threshold
    lost = {key: _perfect(part) - _value(part, "score", threshold) for key, part in frame.groupby("region")}
    expected_order = sorted(lost, key=lambda k: -lost[k])
    table, model = view.table, view.model
    money_col = model.column_index("Money lost")
    shown = [table.displayed(r, 0) for r in range(model.rowCount())]
    assert shown == expected_order
    assert [table.displayed(r, money_col) for r in range(len(shown))] == [
        format_money(lost[k], "EUR") for k in expected_order
    ]
    assert table.displayed(0, money_col).startswith("€")

    # Clicking "Rows" sorts numerically (9 < 12 < 30 < 101), not as text.
    rows_col = model.column_index("Rows")
    table.sortByColumn(rows_col, Qt.SortOrder.AscendingOrder)
    labelled = frame[frame["label"].notna()].groupby("region").size().sort_values()
    assert [table.displayed(r, rows_col) for r in range(len(shown))] == [format_count(n) for n in labelled]
    assert [table.displayed(r, 0) for r in range(len(shown))] == list(labelled.index)


def test_trends_mark_periods_whose_labels_are_not_known(qtbot, data):
    frame, analysis = data
    view = TrendsView()
    qtbot.addWidget(view)
    view.set_analysis(analysis, "USD")
    model = view.model
    assert model.rowCount() == 3
    texts = [[view.table.displayed(r, c) for c in range(model.columnCount())] for r in range(3)]
    assert [t[0] for t in texts] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    value_col = model.column_index("Value")
    threshold = analysis.operating.threshold
    jan = frame[(frame["event_time"] < "2026-02-01")]
    assert texts[0][value_col] == format_money(_value(jan, "score", threshold), "USD")
    # March: no label yet -> said in words (italic, placeholder colour), never a $0 value.
    march = frame[frame["event_time"] >= "2026-03-01"]
    assert texts[2][value_col] == "labels not yet known"
    assert texts[2][model.column_index("Money lost")] == ""
    flagged_in_march = int((march["score"] >= threshold).sum())
    assert texts[2][model.column_index("Flagged")] == format_count(flagged_in_march)
    index = view.table.proxy.index(2, value_col)
    assert index.data(Qt.ItemDataRole.FontRole).italic()
    assert index.data(Qt.ItemDataRole.ForegroundRole) is not None
    assert f"{flagged_in_march:,} rows flagged there" in view.caption.text()


def test_comparison_sentence_and_table(qtbot, data):
    frame, analysis = data
    view = ComparisonView()
    qtbot.addWidget(view)
    view.set_analysis(analysis, "USD")
    assert not view.is_empty()
    known = frame[frame["label"].notna()]

    def best(column: str) -> float:
        return max(_value(frame, column, t) for t in [None, *known[column].unique(), *frame[column].unique()])

    difference = best("chal") - best("score")
    per_month = difference / 2  # two months with labels
    word = "more" if per_month > 0 else "less"
    assert view.sentence.text() == (
        f"The challenger (chal) earns {format_money(abs(per_month), 'USD')} {word} per month at its best threshold."
    )
    assert view.cell_text("Value at best threshold", 2) == format_money(difference, "USD", signed=True)
    common = analysis.operating.threshold
    assert view.cell_text("Value at common threshold", 1) == format_money(
        _value(frame, "chal", common), "USD"
    )


def test_comparison_empty_state_without_challenger(qtbot, data):
    frame, _ = data
    analysis, _con = run_analysis(frame.drop(columns=["chal"]), PAYOFF, positive="1")
    view = ComparisonView()
    qtbot.addWidget(view)
    view.set_analysis(analysis, "USD")
    assert view.is_empty()
    assert view.empty_text() == EMPTY_TEXT == "Map a challenger score column or a model column to compare"


def test_filter_bar_emits_filters_and_does_not_echo(qtbot):
    bar = FilterBar()
    qtbot.addWidget(bar)
    bar.set_options(
        {"region": ["east", "north", "south"], "channel": ["web", "store"]},
        "2026-01-01 08:00:00",
        "2026-03-31",
    )
    assert bar.filters() == Filters()
    with qtbot.waitSignal(bar.filtersChanged, timeout=2000) as blocker:
        bar.segment_button("region").set_checked("north", False)
        use_dates, _start, end = bar.date_edits()
        use_dates.setChecked(True)
        end.setDate(end.date().addDays(-1))  # to 2026-03-30, inclusive
    filters = blocker.args[0]
    assert filters.segments == {"region": ("east", "south")}
    assert (filters.start, filters.end) == ("2026-01-01", "2026-03-31")  # the core's end is exclusive
    assert bar.segment_button("region").text() == "region: east, south"
    with qtbot.assertNotEmitted(bar.filtersChanged, wait=400):
        bar.set_filters(Filters({"channel": ("web",)}, None, None))
    assert bar.filters() == Filters({"channel": ("web",)})


def test_money_is_written_in_the_project_currency_with_separators():
    assert format_money(-1234567.891, "USD", decimals=2) == "-$1,234,567.89"
    assert format_money(1234.4, "EUR") == "€1,234"
    assert format_money(1234.4, "CHF", signed=True) == "+CHF 1,234"
    assert format_money(-0.4, "USD") == "$0"  # no "-$0" for an amount that rounds to nothing
    assert format_money(None, "USD") == "n/a"
    assert format_money(5, "XYZ") == "XYZ 5"


def test_charts_follow_the_light_or_dark_scheme(qtbot, data):
    from matplotlib.colors import to_rgba
    from PySide6.QtWidgets import QApplication

    from roistudio.charts.style import DARK, LIGHT
    from roistudio.gui import theme

    _, analysis = data
    app = QApplication.instance()
    original = app.palette()
    views = [SegmentsView(), TrendsView(), ComparisonView()]
    for view in views:
        qtbot.addWidget(view)
        view.show()  # a hidden view builds its chart when shown (MplCanvas.set_chart)
    try:
        for palette, chart_palette in ((theme.dark_palette(), DARK), (theme.light_palette(), LIGHT)):
            app.setPalette(palette)
            for view in views:
                view.set_analysis(analysis, "USD")  # what the window does when the scheme changes
                figure = view.canvas.figure
                assert view.canvas.chart_palette is chart_palette
                assert figure.get_facecolor() == to_rgba(chart_palette.background)
                # Every panel (segments and the comparison have two) on the scheme's background.
                assert figure.axes
                assert {ax.get_facecolor() for ax in figure.axes} == {to_rgba(chart_palette.background)}
    finally:
        app.setPalette(original)
