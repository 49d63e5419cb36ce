"""Where the money is lost: value and money lost per segment value, at the operating threshold.

"Money lost" is what errors cost in a segment: its perfect-knowledge value (every positive
flagged, no negative flagged) minus the value achieved at the overall operating threshold (see
:class:`roistudio.core.engine.analysis.GroupResult`). The table sorts by it, largest first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from roistudio.charts import breakdown as chart_breakdown
from roistudio.core.data.period_order import label_sort_text
from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.results import GroupResult
from roistudio.gui.mpl_canvas import MplCanvas
from roistudio.gui.widgets import (
    GroupColumn,
    GroupTableModel,
    SortedTableView,
    chart_over_table,
    currency_symbol,
    format_threshold,
    with_empty_state,
)

if TYPE_CHECKING:
    from roistudio.core.engine.decision import Decision
    from roistudio.core.engine.intervals import Interval

__all__ = ["SEGMENT_COLUMNS", "SegmentsView"]

SEGMENT_COLUMNS = (
    # Period-like values (may, jun; 2026-Q1) sort in calendar order on a header click.
    GroupColumn("Segment", lambda g: label_sort_text(g.key), "text", display=lambda g: g.key),
    GroupColumn("Rows", lambda g: g.rows, "count", "Labelled rows in the segment"),
    GroupColumn("Positives", lambda g: g.positives, "count", "Labelled positives in the segment"),
    GroupColumn(
        "Flagged", lambda g: g.operating.flagged, "count", "Labelled rows flagged at the operating threshold"
    ),
    GroupColumn("Precision", lambda g: g.operating.precision, "percent", "TP / flagged", known_only=True),
    GroupColumn("Recall", lambda g: g.operating.recall, "percent", "TP / positives", known_only=True),
    GroupColumn(
        "Value",
        lambda g: g.operating.value,
        "money",
        "Value at the overall operating threshold",
        known_only=True,
    ),
    # Filled in by the view from the bootstrap (hidden until the background job delivers).
    GroupColumn(
        "Value low", lambda g: None, "money", "Low end of the value's bootstrap interval", known_only=True
    ),
    GroupColumn(
        "Value high", lambda g: None, "money", "High end of the value's bootstrap interval", known_only=True
    ),
    GroupColumn(
        "Money lost",
        lambda g: g.money_lost,
        "money",
        "Perfect-knowledge value minus the value achieved: what missed positives and false alarms cost",
        known_only=True,
    ),
    GroupColumn(
        "Best threshold", lambda g: g.optimum.threshold, "threshold", "This segment's own best threshold"
    ),
    GroupColumn(
        "Value at best",
        lambda g: g.optimum.value,
        "money",
        "Value if this segment had its own best threshold",
        known_only=True,
    ),
    GroupColumn(
        "Challenger value",
        lambda g: None if g.challenger_operating is None else g.challenger_operating.value,
        "money",
        "The challenger's value here, at the challenger's operating threshold",
        known_only=True,
    ),
)
MONEY_LOST_COLUMN = 9


class SegmentsView(QWidget):
    """A segment-column selector, a bar chart of the biggest losses and a sortable table.

    Signals
    -------
    columnChanged(str)
        The user chose another segment column (saved with the project and in links).
    """

    columnChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._analysis: Analysis | None = None
        self._preferred: str | None = None
        self._currency = "USD"
        # Per breakdown ("segment:COLUMN"): group key -> bootstrap interval of its value, and
        # the analysis they were computed for (a new analysis makes them stale).
        self._intervals: dict[str, dict[str, Interval]] = {}
        self._interval_analysis: Analysis | None = None
        self._confidence: float | None = None
        self._replicates = 0
        self.column_box = QComboBox()
        self.column_box.setMinimumWidth(160)
        self.column_box.currentTextChanged.connect(self._on_column_chosen)
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Segment column"))
        top.addWidget(self.column_box)
        top.addSpacing(12)
        top.addWidget(self.caption, 1)

        self.canvas = MplCanvas(self, width=7, height=3.5)
        columns = [
            replace(c, value=self._interval_end(c.title == "Value low"))
            if c.title in ("Value low", "Value high")
            else c
            for c in SEGMENT_COLUMNS
        ]
        self.model = GroupTableModel(columns, unknown=lambda g: g.fully_unlabeled, parent=self)
        self.table = SortedTableView()
        self.table.set_source(self.model)
        content = chart_over_table(top, self.canvas, self.table, stretch=(3, 2))
        self._stack = with_empty_state(
            self, content, "Map one or more segment columns (channel, region...) to see where money is lost"
        )

    def _interval_end(self, low: bool) -> Callable[[GroupResult], float | None]:
        def read(g: GroupResult) -> float | None:
            interval = self._intervals.get(f"segment:{self.column_box.currentText()}", {}).get(g.key)
            return None if interval is None else (interval.low if low else interval.high)

        return read

    def set_decision(self, decision: Decision | None, currency: str = "USD") -> None:
        """Show each segment's bootstrap interval (``decision.uncertainty.groups``; None: none)."""
        u = None if decision is None else decision.uncertainty
        self._intervals = {} if u is None else {name: dict(rows) for name, rows in u.groups.items()}
        self._confidence = None if u is None else u.confidence
        self._replicates = 0 if u is None else u.replicates
        self._interval_analysis = self._analysis
        self._currency = currency
        if self._analysis is not None:
            # The chart does not show intervals: only the table and the caption change (a redraw
            # of every chart when the background job lands would slow the app down).
            self._show_column(self.column_box.currentText(), redraw=False)

    def set_analysis(self, analysis: Analysis | None, currency: str = "USD") -> None:
        """Show the segments of ``analysis``, keeping the chosen segment column when it still exists."""
        if analysis is not self._interval_analysis:  # intervals of another analysis: not these figures
            self._intervals, self._confidence = {}, None
        self._analysis = analysis
        self._currency = currency
        columns = list(analysis.segments) if analysis is not None else []
        if not columns:
            self._stack.setCurrentIndex(0)
            self.model.set_rows([], currency)
            return
        self._stack.setCurrentIndex(1)
        current = self._preferred if self._preferred in columns else self.column_box.currentText()
        self.column_box.blockSignals(True)
        self.column_box.clear()
        self.column_box.addItems(columns)
        self.column_box.setCurrentText(current if current in columns else columns[0])
        self.column_box.blockSignals(False)
        self._show_column(self.column_box.currentText())

    def set_column(self, column: str | None) -> None:
        """Show ``column`` (e.g. from a project or a link) once it is in the analysis; emits nothing."""
        self._preferred = column
        if not column or column == self.column_box.currentText():
            return
        if self.column_box.findText(column) >= 0:
            self.column_box.blockSignals(True)
            self.column_box.setCurrentText(column)
            self.column_box.blockSignals(False)
            self._show_column(column)

    def column(self) -> str:
        return self.column_box.currentText()

    def _on_column_chosen(self, column: str) -> None:
        self._preferred = column
        self._show_column(column)
        if column:
            self.columnChanged.emit(column)

    def groups(self) -> tuple[GroupResult, ...]:
        """The segment groups shown (of the selected column)."""
        if self._analysis is None:
            return ()
        return self._analysis.segments.get(self.column_box.currentText(), ())

    def _show_column(self, _column: str, *, redraw: bool = True) -> None:
        if self._analysis is None:
            return
        groups = self.groups()
        self.model.set_rows(groups, self._currency)
        no_challenger = all(g.challenger_operating is None for g in groups)
        self.table.setColumnHidden(self.model.column_index("Challenger value"), no_challenger)
        shown = f"segment:{self.column_box.currentText()}" in self._intervals
        for title in ("Value low", "Value high"):
            self.table.setColumnHidden(self.model.column_index(title), not shown)
        self.table.sortByColumn(MONEY_LOST_COLUMN, Qt.SortOrder.DescendingOrder)
        threshold = self._analysis.champion.operating.threshold
        text = (
            f"At the operating threshold {format_threshold(threshold)}. Money lost = value with perfect "
            "knowledge minus the value achieved (missed positives and false alarms)."
        )
        if shown and self._confidence is not None:
            text += (
                f" Value low / high: the {self._confidence:.0%} bootstrap interval of each segment's value "
                f"({self._replicates:,} resamples)."
            )
        self.caption.setText(text)
        if not redraw:
            return
        symbol = currency_symbol(self._currency)

        def build() -> None:
            self.canvas.clear()
            ax = self.canvas.figure.add_subplot()
            chart_breakdown.draw_value_by_segment(
                ax, groups, symbol=symbol, top=12, palette=self.canvas.chart_palette
            )
            self.canvas.draw_idle()

        self.canvas.set_chart(build)  # built when the tab is shown
