"""Small building blocks shared by the analysis views: money text, KPI tiles, a confusion matrix.

Money is always written in the project's currency with thousands separators (``-$1,234``), the
same way the reports write it, so a number read in the app can be found in the workbook. Colours
come from the widget's palette (light or dark system theme); only "good"/"bad" tones are derived
from it, never hard-coded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from roistudio.core.engine.curve import CurvePoint
from roistudio.core.glossary import OUTCOME_MEANINGS, OUTCOME_NAMES
from roistudio.core.money import currency_symbol, format_money

__all__ = [
    "SORT_ROLE",
    "ConfusionMatrixWidget",
    "GroupColumn",
    "GroupTableModel",
    "KpiTile",
    "SortedTableView",
    "currency_symbol",
    "error_color",
    "format_count",
    "format_money",
    "format_percent",
    "format_threshold",
]


def format_count(value: int | None) -> str:
    """A count with thousands separators: ``12,345``."""
    return "n/a" if value is None else f"{int(value):,}"


def format_percent(value: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.1234`` -> ``12.3%``; ``n/a`` when undefined."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value * 100:.{decimals}f}%"


def format_threshold(threshold: float | None) -> str:
    """A threshold with four decimals, or ``flag nobody`` for the policy that flags no row."""
    return "flag nobody" if threshold is None else f"{threshold:.4f}"


def error_color(palette: QPalette) -> QColor:
    """A red readable on the palette's base colour (darker on light themes, lighter on dark ones)."""
    dark = palette.color(QPalette.ColorRole.Base).lightnessF() < 0.5
    return QColor("#ff8a80") if dark else QColor("#b3261e")


_NEGATIVE_AMOUNT = re.compile(r"-(?=[\d$€£¥])")


class KpiTile(QFrame):
    """One headline number with a title above and a short caption below.

    The tooltip defines the metric; the tile only displays text, formatting is the caller's.
    """

    def __init__(self, title: str, tooltip: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("KpiTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._title = QLabel(title)
        self._title.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._value = QLabel("–")
        font = QFont(self._value.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self._value.setFont(font)
        self._value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._caption = QLabel("")
        self._caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        small = QFont(self._caption.font())
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self._caption.setFont(small)
        self._title.setFont(small)
        # Tiles share the row evenly whatever their text: a long caption wraps onto a second
        # line (the whole of it is in the tooltip) instead of widening its tile and cutting the
        # others' captions in a narrow window.
        for label in (self._title, self._caption):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._caption.setWordWrap(True)
        self._caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._caption.setFixedHeight(QFontMetrics(small).lineSpacing() * 2 + 2)
        self._value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(1)
        layout.addWidget(self._title)
        layout.addWidget(self._value)
        layout.addWidget(self._caption)
        self.setToolTip(tooltip)

    def set_value(self, text: str, caption: str | None = None, *, tone: str | None = None) -> None:
        """Show ``text`` (and ``caption`` when given); ``tone`` ``"bad"`` writes it in red."""
        self._value.setText(text)
        if caption is not None:
            # A non-breaking hyphen before an amount: a wrapped caption never splits "-$349,008".
            caption = _NEGATIVE_AMOUNT.sub("\u2011", caption)
            self._caption.setText(caption)
            self._caption.setToolTip(caption)
        palette = self._value.palette()
        color = (
            error_color(self.palette()) if tone == "bad" else self.palette().color(QPalette.ColorRole.Text)
        )
        palette.setColor(QPalette.ColorRole.WindowText, color)
        self._value.setPalette(palette)

    def set_title(self, title: str) -> None:
        self._title.setText(title)

    def title(self) -> str:
        return self._title.text()

    def value_text(self) -> str:
        return self._value.text()


# (row, column) in the 2x2 grid: rows are the actual class, columns what the model did.
_CELLS = {"tp": (0, 0), "fn": (0, 1), "fp": (1, 0), "tn": (1, 1)}
_CELL_NAMES = {o: f"{OUTCOME_NAMES[o]}s: {OUTCOME_MEANINGS[o]}" for o in OUTCOME_NAMES}


class ConfusionMatrixWidget(QWidget):
    """The four outcomes at one threshold, each in rows and in money.

    Rows are the actual class, columns what the model did (flagged / not flagged). Correct
    decisions sit on the diagonal with the palette's alternate background.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(3)
        for col, text in enumerate(("Flagged", "Not flagged"), start=1):
            header = QLabel(f"<b>{text}</b>")
            header.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(header, 0, col)
        for row, text in enumerate(("Actual\npositive", "Actual\nnegative"), start=1):
            header = QLabel(f"<b>{text}</b>".replace("\n", "<br>"))
            header.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(header, row, 0)
        self._cells: dict[str, QLabel] = {}
        for outcome, (row, col) in _CELLS.items():
            cell = QLabel("–")
            cell.setAlignment(Qt.AlignmentFlag.AlignCenter)
            cell.setAutoFillBackground(True)
            cell.setFrameShape(QFrame.Shape.StyledPanel)
            cell.setMinimumHeight(48)
            cell.setToolTip(_CELL_NAMES[outcome])
            correct = outcome in ("tp", "tn")
            cell.setBackgroundRole(QPalette.ColorRole.AlternateBase if correct else QPalette.ColorRole.Base)
            grid.addWidget(cell, row + 1, col + 1)
            self._cells[outcome] = cell
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)

    def set_point(self, point: CurvePoint | None, currency: str = "USD") -> None:
        """Show the counts and money of ``point`` (``None`` clears the cells)."""
        for outcome, cell in self._cells.items():
            if point is None:
                cell.setText("–")
                continue
            count = getattr(point, outcome)
            money = getattr(point, f"{outcome}_value")
            cell.setText(f"<b>{outcome.upper()}</b> {format_count(count)}<br>{format_money(money, currency)}")

    def cell_text(self, outcome: str) -> str:
        """Plain text of one cell (``tp``, ``fp``, ``tn``, ``fn``), for tests and accessibility."""
        return self._cells[outcome].text().replace("<b>", "").replace("</b>", "").replace("<br>", "\n")


# -- tables of groups (segments, periods) ------------------------------------------------------------

SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # raw number (or text) a column sorts by


@dataclass(frozen=True)
class GroupColumn:
    """One column of a :class:`GroupTableModel`.

    ``value`` reads the raw value from a row object; ``kind`` (``text``, ``count``, ``money``,
    ``percent``, ``threshold``) says how to write it. ``known_only`` columns are blank in rows
    whose labels are not yet known (their money would read as a real zero).
    """

    title: str
    value: Callable[[Any], Any]
    kind: str = "text"
    tooltip: str = ""
    known_only: bool = False
    display: Callable[[Any], str] | None = None  # text to show instead of the formatted value


class GroupTableModel(QAbstractTableModel):
    """Rows of segment or period results; numbers sort as numbers (``SORT_ROLE``), money is formatted.

    Rows for which ``unknown(row)`` is true are shown in italic, in the palette's placeholder
    colour, with ``unknown_text`` in the first ``known_only`` column.
    """

    def __init__(
        self,
        columns: Sequence[GroupColumn],
        *,
        unknown: Callable[[Any], bool] | None = None,
        unknown_text: str = "labels not yet known",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[Any] = []
        self._currency = "USD"
        self._unknown = unknown or (lambda _row: False)
        self._unknown_text = unknown_text
        self._first_known_only = next((i for i, c in enumerate(self._columns) if c.known_only), None)

    def set_rows(self, rows: Sequence[Any], currency: str = "USD") -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._currency = currency
        self.endResetModel()

    def row_object(self, row: int) -> Any:
        return self._rows[row]

    def column_index(self, title: str) -> int:
        return next(i for i, c in enumerate(self._columns) if c.title == title)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        column = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.kind != "text":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _format(self, column: GroupColumn, value: Any) -> str:
        if column.kind == "money":
            return format_money(value, self._currency)
        if column.kind == "count":
            return format_count(value)
        if column.kind == "percent":
            return format_percent(value)
        if column.kind == "threshold":
            return format_threshold(value)
        return "" if value is None else str(value)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row, column = self._rows[index.row()], self._columns[index.column()]
        unknown = self._unknown(row)
        if role == Qt.ItemDataRole.DisplayRole:
            if unknown and column.known_only:
                return self._unknown_text if index.column() == self._first_known_only else ""
            if column.display is not None:
                return column.display(row)
            return self._format(column, column.value(row))
        if role == SORT_ROLE:
            value = None if unknown and column.known_only else column.value(row)
            if column.kind == "text":
                return "" if value is None else str(value)
            # Undefined numbers sort below every number (last when sorting by "largest first").
            return -math.inf if value is None or not math.isfinite(float(value)) else float(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.kind != "text":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and unknown:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and unknown:
            return QApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.ToolTipRole and unknown:
            return "No row of this group has a label yet: its value is not known, only what was flagged"
        return None


class SortedTableView(QTableView):
    """A read-only table over a :class:`GroupTableModel` that sorts numerically on header clicks."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSortRole(SORT_ROLE)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        # Numbers share the width; the first (name) column fits its longest name.
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)

    def set_source(self, model: GroupTableModel) -> None:
        self.proxy.setSourceModel(model)

    def displayed(self, row: int, column: int) -> str:
        """Text shown in view row ``row`` (after sorting) and column ``column``."""
        return cast(str, self.proxy.index(row, column).data(Qt.ItemDataRole.DisplayRole))


def chart_over_table(
    header: QWidget | QHBoxLayout, canvas: QWidget, table: QWidget, stretch: tuple[int, int]
) -> QWidget:
    """A header line, then a chart over a table in a vertical splitter (the breakdown views' layout)."""
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.addWidget(canvas)
    splitter.addWidget(table)
    splitter.setStretchFactor(0, stretch[0])
    splitter.setStretchFactor(1, stretch[1])
    content = QWidget()
    layout = QVBoxLayout(content)
    layout.setContentsMargins(0, 0, 0, 0)
    if isinstance(header, QWidget):
        layout.addWidget(header)
    else:
        layout.addLayout(header)
    layout.addWidget(splitter, 1)
    return content


def with_empty_state(owner: QWidget, content: QWidget, empty_text: str) -> QStackedWidget:
    """Put ``content`` in ``owner`` behind a centred grey message shown while there is nothing to show.

    The returned stack shows the message at index 0 and ``content`` at index 1.
    """
    empty = QLabel(empty_text)
    empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
    empty.setEnabled(False)
    stack = QStackedWidget()
    stack.addWidget(empty)
    stack.addWidget(content)
    QVBoxLayout(owner).addWidget(stack)
    return stack
