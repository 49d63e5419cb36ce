"""The value bridge in the app: from the policy without the model to the threshold being explored.

The same bridge as the PDF's "What moves the value" page (:func:`roistudio.core.engine.bridge.value_bridge`
drawn by :func:`roistudio.charts.bridge.draw_value_bridge`): the no-model baseline's value, the
positives whose outcome changes, the negatives whose outcome changes, and the value with the
model, which add up exactly as printed (:meth:`~roistudio.core.engine.bridge.Bridge.rounded`).

The view sits beside the value curve in the threshold explorer and follows its threshold: every
figure is read off the curve already computed (a bridge is four differences of two curve points,
never a query), and the chart is redrawn at most once per :data:`REDRAW_MS` while the slider
moves, and only while the view is shown. With a challenger the analyst picks the model; the
challenger is read at the same threshold as the champion.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from roistudio.charts.bridge import draw_value_bridge, end_text
from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.bridge import STEP_MEANINGS, Bridge, value_bridge
from roistudio.core.engine.curve import CurvePoint
from roistudio.core.engine.results import ModelResult
from roistudio.gui.explorer_state import point_at
from roistudio.gui.mpl_canvas import MplCanvas
from roistudio.gui.widgets import currency_symbol, format_count, format_money, format_threshold

__all__ = ["EMPTY_TEXT", "REDRAW_MS", "UNLABELLED_TEXT", "BridgeView", "bridge_table_rows"]

EMPTY_TEXT = "Open data and map a score and a label column to see where the value comes from."
UNLABELLED_TEXT = (
    "No row has a known label yet, so there is nothing to bridge: rows whose label is not yet "
    "known are never counted as caught or missed."
)
REDRAW_MS = 60  # while the slider moves, the chart is redrawn at most this often
HEADERS = ("", "Rows", "Outcomes", "Value")


def bridge_table_rows(bridge: Bridge, currency: str) -> list[tuple[str, str, str, str]]:
    """The table under the chart: policy or step, rows whose outcome changes, the change, money.

    Money is printed from :meth:`~roistudio.core.engine.bridge.Bridge.rounded` at whole units
    (as the PDF's table), so the column adds up exactly as shown.
    """
    start, (a, b), end = bridge.rounded(0)
    s1, s2 = bridge.steps
    return [
        (f"Without the model: {bridge.start_label}", "", "", format_money(start, currency)),
        (s1.label, format_count(s1.rows), s1.change, format_money(a, currency, signed=True)),
        (s2.label, format_count(s2.rows), s2.change, format_money(b, currency, signed=True)),
        (end_text(bridge), "", "", format_money(end, currency)),
    ]


def bridge_sentence(bridge: Bridge, model_name: str, currency: str) -> str:
    """One line above the chart saying what the bridge shows, in the table's figures."""
    start, (a, b), end = bridge.rounded(0)
    s1, s2 = bridge.steps
    if s1.rows == 0 and s2.rows == 0:
        return (
            f"{model_name}: at this threshold the policy is the same as {bridge.start_label}: "
            f"no labelled row changes outcome ({format_money(end, currency)})."
        )
    return (
        f"{model_name}: from {bridge.start_label} ({format_money(start, currency)}) to "
        f"{format_money(end, currency)} at threshold {format_threshold(bridge.threshold)}: "
        f"{format_count(s1.rows)} {s1.label} ({format_money(a, currency, signed=True)}) and "
        f"{format_count(s2.rows)} {s2.label} ({format_money(b, currency, signed=True)}). "
        "No other row changes outcome."
    )


class BridgeView(QWidget):
    """The bridge chart, its table and its sentence for the threshold the explorer shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models: list[ModelResult] = []
        self._threshold: float | None = None
        self._point: CurvePoint | None = None  # the champion's point, as the explorer shows it
        self._currency = "USD"
        self._bridge: Bridge | None = None
        self._dirty = False  # the chart is behind the figures (drawn when shown)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._draw)

        self.model_box = QComboBox()
        self.model_box.setToolTip("Whose bridge: the challenger is read at the same threshold")
        self.model_box.currentIndexChanged.connect(lambda _i: self._refresh())
        self._model_row = QWidget()
        row = QHBoxLayout(self._model_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Model"))
        row.addWidget(self.model_box)
        row.addStretch(1)
        self.sentence = QLabel("")
        self.sentence.setWordWrap(True)
        self.sentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.canvas = MplCanvas(self, width=7, height=3.6)
        self.table = QTableWidget(4, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.meanings = QLabel("")
        self.meanings.setWordWrap(True)
        small = self.meanings.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.meanings.setFont(small)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._model_row)
        layout.addWidget(self.sentence)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.table)
        layout.addWidget(self.meanings)
        self._empty = QLabel(EMPTY_TEXT)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._empty.setEnabled(False)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._empty)
        self._stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)

    # -- public API ------------------------------------------------------------------------------------
    def set_analysis(self, analysis: Analysis | None, currency: str = "USD") -> None:
        """Show the models of ``analysis`` (the empty state without one); keeps the model picked."""
        self._currency = currency
        picked = self.model_box.currentIndex()
        self._models = [] if analysis is None else [analysis.champion]
        if analysis is not None and analysis.comparison is not None:
            self._models.append(analysis.comparison.challenger)
        self.model_box.blockSignals(True)
        self.model_box.clear()
        for role, model in zip(("Champion", "Challenger"), self._models, strict=False):
            self.model_box.addItem(f"{role} ({model.name})")
        self.model_box.setCurrentIndex(picked if 0 <= picked < len(self._models) else 0)
        self.model_box.blockSignals(False)
        self._model_row.setVisible(len(self._models) > 1)
        self._point = None if analysis is None else analysis.champion.operating
        self._threshold = None if self._point is None else self._point.threshold
        self._refresh(now=True)

    def follow(self, point: CurvePoint) -> None:
        """The explorer shows ``point`` of the champion's curve: bridge to it (cheap; the chart
        follows at most every :data:`REDRAW_MS`)."""
        self._point, self._threshold = point, point.threshold
        self._refresh()

    def redraw(self) -> None:
        """Draw again from scratch (e.g. in the palette of a new light/dark scheme)."""
        self._refresh(now=True)

    def bridge(self) -> Bridge | None:
        """The bridge shown (None in the empty states)."""
        return self._bridge

    def is_empty(self) -> bool:
        return self._stack.currentWidget() is self._empty

    def empty_text(self) -> str:
        return self._empty.text()

    def cell_text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return "" if item is None else item.text()

    # -- internals -------------------------------------------------------------------------------------
    def _model(self) -> ModelResult | None:
        i = self.model_box.currentIndex()
        return self._models[i] if 0 <= i < len(self._models) else None

    def _refresh(self, *, now: bool = False) -> None:
        """Figures now (cheap); the chart now, or coalesced while the slider moves."""
        model = self._model()
        if model is None:
            self._show_empty(EMPTY_TEXT)
            return
        if model.curve.rows == 0:
            self._show_empty(UNLABELLED_TEXT)
            return
        champion = model is self._models[0]
        point = (
            self._point if champion and self._point is not None else point_at(model.curve, self._threshold)
        )
        self._bridge = value_bridge(model, point)
        self._stack.setCurrentIndex(1)
        role = "Champion" if champion else "Challenger"
        self.sentence.setText(bridge_sentence(self._bridge, f"{role} ({model.name})", self._currency))
        self._fill_table(self._bridge)
        self.meanings.setText(
            "<br>".join(
                f"<b>{step.label.capitalize()}</b>: {STEP_MEANINGS[step.label]}."
                for step in self._bridge.steps
            )
        )
        self._dirty = True
        if now:
            self._timer.stop()
            self._draw()
        elif not self._timer.isActive():
            self._timer.start()

    def _show_empty(self, text: str) -> None:
        self._bridge = None
        self._timer.stop()
        self._empty.setText(text)
        self._stack.setCurrentWidget(self._empty)
        self.canvas.clear()
        self.canvas.draw_idle()

    def _fill_table(self, bridge: Bridge) -> None:
        for r, cells in enumerate(bridge_table_rows(bridge, self._currency)):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c > 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if r == 3:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        self.table.setFixedHeight(
            self.table.horizontalHeader().height()
            + self.table.verticalHeader().length()
            + 2 * self.table.frameWidth()
        )

    def _draw(self) -> None:
        if not self._dirty or self._bridge is None:
            return
        if not self.isVisible():
            return  # drawn by showEvent: a hidden chart costs nothing while the slider moves
        self._dirty = False
        self.canvas.clear()
        ax = self.canvas.figure.add_subplot()
        draw_value_bridge(
            ax, self._bridge, symbol=currency_symbol(self._currency), palette=self.canvas.chart_palette
        )
        self.canvas.draw_idle()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._draw()
