"""Calibration: can the scores be read as probabilities, and what the estimate for unlabelled rows uses.

Shows the reliability diagram (``charts.calibration.draw_reliability``), the Brier scores, the
expected calibration error and, in plain words, what a bad calibration means for the estimate.
The method and the periods to fit on are chosen here; the view only reports that intent
(``optionsChanged``): the estimate itself runs as a background job (``gui.label_delay``).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from roistudio.charts.calibration import calibration_caption, draw_reliability
from roistudio.core.engine.calibration import DEFAULT_METHOD, METHODS
from roistudio.core.engine.estimate import LabelDelay
from roistudio.gui.mpl_canvas import MplCanvas
from roistudio.gui.widgets import format_count, format_money, format_percent, with_empty_state

__all__ = ["CalibrationView"]


class CalibrationView(QWidget):
    """Reliability diagram, Brier score and the choice of calibration for the estimate."""

    optionsChanged = Signal(str, object)  # method, periods (int or None for all)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.method = QComboBox()
        self.method.addItems(METHODS)
        self.method.setCurrentText(DEFAULT_METHOD)
        self.method.setToolTip(
            "How scores become probabilities: isotonic (default; Platt with few positives), platt, "
            "or none (the scores taken as they are)"
        )
        self.periods = QSpinBox()
        self.periods.setRange(0, 999)
        self.periods.setSpecialValueText("all")
        self.periods.setToolTip("Fit on the last N labelled periods only (needs a period breakdown)")
        options = QHBoxLayout()
        options.addWidget(QLabel("Calibration:"))
        options.addWidget(self.method)
        options.addSpacing(12)
        options.addWidget(QLabel("Fit on the last labelled periods:"))
        options.addWidget(self.periods)
        options.addStretch(1)
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.estimate_label = QLabel("")
        self.estimate_label.setWordWrap(True)
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("QLabel { color: #a8322d; }")
        self.canvas = MplCanvas(self, width=6, height=4)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Mean score", "Observed rate", "Rows"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMinimumWidth(340)
        self.table.setMaximumWidth(400)
        body = QHBoxLayout()
        body.addWidget(self.canvas, 1)
        body.addWidget(self.table)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(options)
        for label in (self.caption, self.warning, self.estimate_label):
            layout.addWidget(label)
        layout.addLayout(body, 1)
        self._stack = with_empty_state(self, content, "Map a score and a label to check the calibration")
        self._label_delay: LabelDelay | None = None
        self.method.currentTextChanged.connect(lambda _t: self._emit())
        self.periods.valueChanged.connect(lambda _v: self._emit())

    def _emit(self) -> None:
        self.optionsChanged.emit(self.method.currentText(), self.periods.value() or None)

    def options(self) -> tuple[str, int | None]:
        return self.method.currentText(), self.periods.value() or None

    def set_message(self, text: str) -> None:
        """Show why there is no calibration check (an error, or the job running)."""
        self._stack.setCurrentIndex(1)
        self.canvas.clear()
        self.canvas.draw_idle()
        self.table.setRowCount(0)
        self.caption.setText(text)
        self.warning.hide()
        self.estimate_label.setText("")

    def set_label_delay(
        self, label_delay: LabelDelay | None, threshold: float | None, currency: str = "USD"
    ) -> None:
        """Show the check of ``label_delay`` (``None``: the empty state) at ``threshold``."""
        self._label_delay = label_delay
        if label_delay is None:
            self.canvas.clear()
            self._stack.setCurrentIndex(0)
            self.canvas.draw_idle()
            return
        self._stack.setCurrentIndex(1)
        check = label_delay.calibration
        fitted = f"{check.fitted_on_rows:,} labelled rows" + (
            f" of {', '.join(check.fitted_on_periods)}" if check.fitted_on_periods else ""
        )
        self.caption.setText(f"{calibration_caption(check)}. Fitted on {fitted}.")
        self.warning.setText(" ".join(t for t in (*check.notes, check.warning) if t))
        self.warning.setVisible(bool(self.warning.text()))
        self.set_threshold(threshold, currency)
        self.table.setHorizontalHeaderLabels(
            ["Mean score" if check.bins_of == "score" else "Mean probability", "Observed rate", "Rows"]
        )
        self.table.setRowCount(len(check.bins))
        for i, b in enumerate(check.bins):
            cells = (f"{b.mean_score:.4g}", format_percent(b.observed_rate, 2), format_count(b.rows))
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))

        def build() -> None:
            self.canvas.clear()
            ax = self.canvas.figure.add_subplot()
            draw_reliability(ax, check, palette=self.canvas.chart_palette, title=False)
            self.canvas.draw_idle()

        self.canvas.set_chart(build)  # built when the tab is shown

    def set_threshold(self, threshold: float | None, currency: str = "USD") -> None:
        """Re-read the estimate sentence at ``threshold`` (a slider move: no chart redraw)."""
        label_delay = self._label_delay
        if label_delay is None:
            return
        est = label_delay.unlabeled_at(threshold)
        if est.rows:
            pct = round(label_delay.confidence * 100)
            self.estimate_label.setText(
                f"Estimate for {est.rows:,} rows not yet labelled: {format_money(est.value, currency)} "
                f"({pct}% interval {format_money(est.low, currency)} to {format_money(est.high, currency)}). "
                "An estimate from calibrated scores, not realised value; the interval covers outcome "
                "randomness only."
            )
        else:
            self.estimate_label.setText("Every row has a label: nothing to estimate.")
