"""Decision-grade figures in the app: the Sensitivity view and the background job that feeds views.

:class:`DecisionJobs` waits until the analysis has settled (slider drags and edits fire many
analyses), then runs :func:`roistudio.core.engine.decision.decide` as one job on the database
worker (kind ``"decision"``: a newer one supersedes it; progress and Cancel go through the status
bar like every job). The main figures are shown first and never wait for it; when it finishes,
the explorer gets its intervals and band, the comparison its verdict, Trends its walk-forward and
the Sensitivity view its tornado, Monte Carlo histogram and break-even table. Any edit that
re-runs the analysis cancels a job still running, so it never delays a sweep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from roistudio.charts import uncertainty as chart_uncertainty
from roistudio.core.engine.decision import Decision, DecisionOptions, decide
from roistudio.core.engine.parameter_ranges import ParameterRange
from roistudio.gui import operations
from roistudio.gui.mpl_canvas import MplCanvas
from roistudio.gui.widgets import currency_symbol, format_money

if TYPE_CHECKING:
    import duckdb

    from roistudio.core.engine.analysis import Analysis
    from roistudio.core.progress import Progress
    from roistudio.core.project.project import Project
    from roistudio.gui.workers import Job

APP_REPLICATES = 1000
SETTLE_MS = 600
EMPTY_TEXT = "Give parameters a low and high value in the Payoff editor to see how the value depends on them"


class SensitivityView(QWidget):
    """Tornado chart, Monte Carlo histogram and break-even table of the champion."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = QLabel(EMPTY_TEXT)
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.canvas = MplCanvas(self, width=8, height=4.2)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            ["Parameter", "Range", "Break-even values", "Value at low / high"]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setMaximumHeight(150)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.table)
        self._decision: Decision | None = None

    def set_pending(self, text: str) -> None:
        self.caption.setText(text)

    def set_decision(self, decision: Decision | None, currency: str = "USD") -> None:
        """Draw the sensitivity of ``decision`` (the empty state when it has none)."""
        self._decision = decision
        sens = None if decision is None else decision.sensitivity
        self.canvas.clear()
        self.table.setRowCount(0)
        if sens is None or not sens.parameters:
            self.caption.setText(EMPTY_TEXT)
            self.canvas.draw_idle()
            return
        symbol = currency_symbol(currency)
        palette = self.canvas.chart_palette
        left = self.canvas.figure.add_subplot(1, 2, 1)
        right = self.canvas.figure.add_subplot(1, 2, 2)
        chart_uncertainty.draw_tornado(left, sens, symbol=symbol, palette=palette)
        chart_uncertainty.draw_monte_carlo(right, sens, symbol=symbol, palette=palette)
        self.canvas.draw_idle()
        how = "exact: the payoff is linear in its parameters" if sens.exact else "evaluated per setting"
        self.caption.setText(
            f"At the operating threshold, with each parameter over its range and the others at their values "
            f"({how}). Base value {format_money(sens.base_value, currency)}; the model pays off (beats the "
            f"better baseline) in {sens.p_positive:.0%} of {sens.draws:,} Monte Carlo draws."
        )
        self.table.setRowCount(len(sens.parameters))
        for row, bar in enumerate(sens.parameters):
            roots = sens.break_even.get(bar.name, ())
            cells = (
                bar.name,
                f"{bar.low:g} to {bar.high:g}",
                ", ".join(f"{v:.6g}" for v in roots) if roots else "none in range",
                f"{format_money(bar.value_at_low, currency)} / {format_money(bar.value_at_high, currency)}",
            )
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))


def options_for(project: Project, analysis: Analysis) -> DecisionOptions:
    """The app's options: 1,000 replicates, the project's parameter ranges that fit the payoff."""
    params = analysis.request.payoff.parameters
    ranges = tuple(
        ParameterRange(name, float(lo), float(hi))
        for name, (lo, hi) in sorted(dict(project.ranges).items())
        if name in params and float(lo) < float(hi)
    )
    return DecisionOptions(replicates=APP_REPLICATES, ranges=ranges)


class DecisionJobs(QObject):
    """Runs the decision figures in the background after each settled analysis (see module doc)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.worker, self.doc = window.worker, window.doc
        self._job: Job | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._submit)
        self.doc.analysisChanged.connect(self._on_analysis)
        # Edits that queue a sweep (payoff, mapping, filters, constraints, another data file) must
        # not wait behind a running decision job. A view switch or a slider move queues none.
        doc = self.doc
        for signal in (doc.payoffChanged, doc.mappingChanged, doc.filtersChanged, doc.constraintsChanged,
                       doc.dataLoaded, doc.sourceChanged):  # fmt: skip
            signal.connect(self.cancel)

    def cancel(self, *_args: object) -> None:
        """Stop a running job (a new analysis is coming: it must not wait behind us)."""
        self._timer.stop()
        if self._job is not None and not self._job.finished:
            self.worker.cancel(self._job)

    def _on_analysis(self, analysis: Analysis | None) -> None:
        self._timer.stop()
        if not shiboken6.isValid(self.window.explorer.interval_label):
            return
        w = self.window
        w.explorer.set_uncertainty(None, pending=analysis is not None)
        if analysis is None:
            for view in (w.comparison_view, w.trends_view, w.segments_view):
                view.set_decision(None)
            w.sensitivity_view.set_decision(None)
            return
        self._timer.start()

    def _submit(self) -> None:
        analysis = self.doc.analysis
        if analysis is None:
            return
        options = options_for(self.doc.project, analysis)
        sums_cache = self.doc.sums_cache  # the sums the sweep cached: the sensitivity needs no rescan
        self.window.sensitivity_view.set_pending("Computing the sensitivity in the background…")

        spark = self.doc.project.spark  # aggregated by Spark: the intervals, not the DuckDB-only figures

        def run(con: duckdb.DuckDBPyConnection, progress: Progress) -> Decision:
            if spark is not None:
                from roistudio.gui.spark_source import decide_on_spark

                return decide_on_spark(spark, analysis, options, progress)
            return decide(con, analysis, options, progress=progress, cache=sums_cache)

        self._job = operations.run(
            self.worker,
            run,
            kind="decision",
            description="Intervals, walk-forward and sensitivity",
            on_done=lambda decision: self._show(analysis, decision),
            on_failure=lambda message: self.window.statusBar().showMessage(
                f"Uncertainty not computed: {message}", 8000
            ),
        )

    def _show(self, analysis: Analysis, decision: Decision) -> None:
        if not shiboken6.isValid(self) or not shiboken6.isValid(self.window.explorer.interval_label):
            return  # the window closed while the job ran (a shared worker delivers anyway)
        if self.doc.analysis is not analysis:
            return  # an older analysis: a newer job is on its way
        currency = self.doc.project.currency
        w = self.window
        w.explorer.set_uncertainty(decision.uncertainty, currency=currency)
        w.comparison_view.set_decision(decision, currency)
        w.trends_view.set_decision(decision, currency)
        w.segments_view.set_decision(decision, currency)
        w.sensitivity_view.set_decision(decision, currency)
        if self.doc.project.spark is not None:
            from roistudio.gui.spark_source import NOT_ON_SPARK

            w.sensitivity_view.set_pending(NOT_ON_SPARK)
