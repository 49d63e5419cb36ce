"""Small building blocks shared by the analysis views: money text, KPI tiles, a confusion matrix.

Money is always written in the project's currency with thousands separators (``-$1,234``), the
same way the reports write it, so a number read in the app can be found in the workbook. Colours
come from the widget's palette (light or dark system theme); only "good"/"bad" tones are derived
from it, never hard-coded.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from roistudio.core.curve import CurvePoint
from roistudio.reports.model import CURRENCY_SYMBOLS

__all__ = [
    "ConfusionMatrixWidget",
    "KpiTile",
    "currency_symbol",
    "error_color",
    "format_count",
    "format_money",
    "format_percent",
    "format_threshold",
]


def currency_symbol(currency: str) -> str:
    """Symbol written before amounts: ``"USD"`` -> ``"$"``; unknown codes are written as ``"XYZ "``."""
    return CURRENCY_SYMBOLS.get(currency, f"{currency} ")


def format_money(value: float | None, currency: str = "USD", *, signed: bool = False, decimals: int = 0) -> str:
    """Money as the user reads it: ``-$1,234``, ``+€56`` (``signed``), ``n/a`` for None or NaN.

    Parameters
    ----------
    value
        Amount in currency units.
    currency
        ISO code of the project's currency (see ``roistudio.reports.model.CURRENCY_SYMBOLS``).
    signed
        Write ``+`` before gains (for differences).
    decimals
        Digits after the decimal point.
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    text = f"{abs(value):,.{decimals}f}"
    # A value that rounds to zero has no sign: "-$0" reads like a loss that is not there.
    is_zero = float(text.replace(",", "")) == 0.0
    sign = "" if is_zero else "-" if value < 0 else ("+" if signed else "")
    return f"{sign}{currency_symbol(currency)}{text}"


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
            self._caption.setText(caption)
        palette = self._value.palette()
        color = error_color(self.palette()) if tone == "bad" else self.palette().color(QPalette.ColorRole.Text)
        palette.setColor(QPalette.ColorRole.WindowText, color)
        self._value.setPalette(palette)

    def title(self) -> str:
        return self._title.text()

    def value_text(self) -> str:
        return self._value.text()

    def caption_text(self) -> str:
        return self._caption.text()


# (row, column) in the 2x2 grid: rows are the actual class, columns what the model did.
_CELLS = {"tp": (0, 0), "fn": (0, 1), "fp": (1, 0), "tn": (1, 1)}
_CELL_NAMES = {
    "tp": "True positives",
    "fn": "False negatives (missed)",
    "fp": "False positives (false alarms)",
    "tn": "True negatives",
}


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
            cell.setText(
                f"<b>{outcome.upper()}</b> {format_count(count)}<br>{format_money(money, currency)}"
            )

    def cell_text(self, outcome: str) -> str:
        """Plain text of one cell (``tp``, ``fp``, ``tn``, ``fn``), for tests and accessibility."""
        return self._cells[outcome].text().replace("<b>", "").replace("</b>", "").replace("<br>", "\n")
