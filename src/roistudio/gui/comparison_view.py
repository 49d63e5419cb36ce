"""Champion vs challenger: both value curves, the numbers side by side, and the verdict in words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from roistudio.charts import comparison as chart_comparison
from roistudio.charts import style as chart_style
from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.decision import Decision
from roistudio.core.engine.verdict import comparison_verdict
from roistudio.gui.mpl_canvas import MplCanvas
from roistudio.gui.widgets import currency_symbol, format_count, format_money, format_threshold

__all__ = ["EMPTY_TEXT", "ComparisonView"]

EMPTY_TEXT = "Map a challenger score column or a model column to compare"


class ComparisonView(QWidget):
    """Both curves (``charts.curves.draw_comparison``), a table of the numbers and the sentence."""

    ROWS = (
        "Best threshold",
        "Value at best threshold",
        "Flagged at best threshold",
        "Threshold used (common)",
        "Value at common threshold",
        "Flagged at common threshold",
    )

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._stack = QStackedWidget(self)
        self._empty = QLabel(EMPTY_TEXT)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        font = QFont(self._empty.font())
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self._empty.setFont(font)
        self._empty.setEnabled(False)

        content = QWidget()
        self.sentence = QLabel("")
        self.sentence.setWordWrap(True)
        bold = QFont(self.sentence.font())
        bold.setPointSizeF(bold.pointSizeF() * 1.25)
        bold.setBold(True)
        self.sentence.setFont(bold)
        self.sentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.canvas = MplCanvas(content, width=7, height=4)
        self.table = QTableWidget(len(self.ROWS), 3)
        self.table.setHorizontalHeaderLabels(["Champion", "Challenger", "Challenger \u2212 champion"])
        self.table.setVerticalHeaderLabels(list(self.ROWS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        # The verdict leads, filled in by the background bootstrap (decision_views).
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.verdict.setFont(bold)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.verdict)
        layout.addWidget(self.sentence)
        layout.addWidget(self.detail)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.table)
        self._stack.addWidget(self._empty)
        self._stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.addWidget(self._stack)

    def is_empty(self) -> bool:
        """True while the empty state (no challenger) is shown."""
        return self._stack.currentWidget() is self._empty

    def empty_text(self) -> str:
        return self._empty.text()

    def cell_text(self, row: str, column: int) -> str:
        """Text of the table cell in row ``row`` (one of :attr:`ROWS`) and column 0..2."""
        item = self.table.item(self.ROWS.index(row), column)
        return "" if item is None else item.text()

    def set_decision(self, decision: Decision | None, currency: str = "USD") -> None:
        """Lead with the verdict, P(challenger better) and the difference's interval (or say it is pending)."""
        u = None if decision is None else decision.uncertainty
        if (
            decision is None
            or u is None
            or u.p_challenger_better is None
            or u.difference_at_best is None
            or u.difference_at_common is None
        ):
            self.verdict.setText("Verdict: resampling in the background…" if decision is None else "")
            return
        verdict = decision.recommendation["challenger_verdict"]
        d, c = u.difference_at_best, u.difference_at_common
        self.verdict.setText(
            f"Verdict: {verdict.upper()} — P(challenger better) = {u.p_challenger_better:.2f}. "
            f"Difference at each model's best threshold: {format_money(d.low, currency, signed=True)} to "
            f"{format_money(d.high, currency, signed=True)} ({u.confidence:.0%} interval; at the common threshold "
            f"{format_money(c.low, currency, signed=True)} to {format_money(c.high, currency, signed=True)})."
        )
        self.verdict.setToolTip(decision.recommendation["text"])

    def set_analysis(self, analysis: Analysis | None, currency: str = "USD") -> None:
        """Show the comparison of ``analysis``, or the empty state when it has no challenger."""
        comparison = None if analysis is None else analysis.comparison
        if analysis is None or comparison is None:
            self.canvas.clear()
            self._stack.setCurrentWidget(self._empty)
            self._empty.setText(EMPTY_TEXT if analysis is not None else "No analysis yet.")
            self.canvas.draw_idle()
            return
        self._stack.setCurrentIndex(1)
        champion, challenger = comparison.champion, comparison.challenger
        self.sentence.setText(comparison_verdict(comparison, currency, analysis.request.period))
        diff = comparison.difference_at_common
        common = comparison.common_threshold
        where = (
            "With no row flagged (the champion's operating policy)"
            if common is None
            else f"At the common threshold {format_threshold(common)} (the champion's operating threshold)"
        )
        self.detail.setText(
            f"{where} the challenger earns {format_money(abs(diff), currency)} "
            f"{'more' if diff >= 0 else 'less'} than the champion. Both models are scored on the same "
            f"{format_count(analysis.rows)} rows."
        )
        at_common = comparison.challenger_at_common
        rows = {
            "Best threshold": (
                format_threshold(champion.optimum.threshold),
                format_threshold(challenger.optimum.threshold),
                "",
            ),
            "Value at best threshold": (
                format_money(champion.optimum.value, currency),
                format_money(challenger.optimum.value, currency),
                format_money(comparison.difference_at_best, currency, signed=True),
            ),
            "Flagged at best threshold": (
                format_count(champion.optimum.flagged),
                format_count(challenger.optimum.flagged),
                f"{challenger.optimum.flagged - champion.optimum.flagged:+,}",
            ),
            "Threshold used (common)": (format_threshold(comparison.common_threshold),) * 2 + ("",),
            "Value at common threshold": (
                format_money(champion.operating.value, currency),
                format_money(at_common.value, currency),
                format_money(comparison.difference_at_common, currency, signed=True),
            ),
            "Flagged at common threshold": (
                format_count(champion.operating.flagged),
                format_count(at_common.flagged),
                f"{at_common.flagged - champion.operating.flagged:+,}",
            ),
        }
        self.table.setHorizontalHeaderLabels(
            [f"Champion ({champion.name})", f"Challenger ({challenger.name})", "Challenger \u2212 champion"]
        )
        for r, name in enumerate(self.ROWS):
            for c, text in enumerate(rows[name]):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        # Exactly as tall as its rows: the chart gets the rest.
        self.table.setFixedHeight(
            self.table.horizontalHeader().height()
            + self.table.verticalHeader().length()
            + 2 * self.table.frameWidth()
        )

        def build() -> None:
            self.canvas.clear()
            ax = self.canvas.figure.add_subplot()
            palette = self.canvas.chart_palette
            chart_comparison.draw_comparison(
                ax, champion, challenger, symbol=currency_symbol(currency), palette=palette
            )
            chart_style.style_legend(ax, palette, loc="best")
            self.canvas.draw_idle()

        self.canvas.set_chart(build)  # built when the tab is shown
