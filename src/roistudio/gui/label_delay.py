"""Runs the label-delay estimate in the background and hands it to the Trends and Calibration views.

The estimate depends on the rows, payoff, filters and periods of an analysis, and on the chosen
calibration; not on the threshold. So a new job (one DuckDB aggregation on the database worker,
with progress and Cancel in the status bar) runs only when one of those changes; a threshold move
reads the same estimate at the new threshold (numpy over the per-score sums, no query).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.estimate import LabelDelay
from roistudio.gui import operations

if TYPE_CHECKING:
    from roistudio.gui.calibration_view import CalibrationView
    from roistudio.gui.document import ProjectDocument
    from roistudio.gui.trends_view import TrendsView
    from roistudio.gui.workers import DatabaseWorker, Job


class LabelDelayController(QObject):
    """Keeps the estimate of the document's current analysis, computed off the GUI thread."""

    def __init__(
        self,
        doc: ProjectDocument,
        worker: DatabaseWorker,
        trends_view: TrendsView,
        calibration_view: CalibrationView,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc, self.worker = doc, worker
        self.trends_view, self.calibration_view = trends_view, calibration_view
        self.label_delay: LabelDelay | None = None
        self._key: tuple[object, ...] | None = None
        self._job: Job | None = None
        doc.analysisChanged.connect(self._on_analysis)
        calibration_view.optionsChanged.connect(lambda *_: self._on_analysis(doc.analysis))
        # An edit queues a new sweep on the same (single) database thread: a running estimate
        # for the old analysis would only hold it up, so it stops at once.
        for signal in (doc.mappingChanged, doc.payoffChanged, doc.filtersChanged):
            signal.connect(self._cancel)

    def for_export(self) -> tuple[LabelDelay | None, str, int | None]:
        """(the current estimate or None while it runs, method, periods), for the report export."""
        return (self.label_delay, *self.calibration_view.options())

    def _cancel(self, *_args: object) -> None:
        if self._job is not None and not self._job.finished:
            self.worker.cancel(self._job)

    def _key_of(self, analysis: Analysis) -> tuple[object, ...]:
        req = analysis.request
        return (
            analysis.table,
            repr(req.mapping),
            repr(req.payoff.to_dict()),
            req.period,
            repr(req.filters.to_dict()),
            self.calibration_view.options(),
        )

    def _show(self, analysis: Analysis | None) -> None:
        self.trends_view.set_label_delay(self.label_delay)
        threshold = None if analysis is None else analysis.operating.threshold
        self.calibration_view.set_label_delay(self.label_delay, threshold, self.doc.project.currency)

    def _on_analysis(self, analysis: Analysis | None) -> None:
        if analysis is None:
            self._key, self.label_delay = None, None
            self._show(None)
            return
        key = self._key_of(analysis)
        if key == self._key:
            # Same estimate (a threshold move): Trends re-reads it in its own set_analysis; only
            # the Calibration view's sentence changes. No chart is redrawn here.
            if self.label_delay is not None:
                self.calibration_view.set_threshold(analysis.operating.threshold, self.doc.project.currency)
            return  # else its job is still running
        self._key, self.label_delay = key, None
        self._show(analysis)
        self.calibration_view.set_message("Checking the calibration and estimating rows not yet labelled…")
        method, periods = self.calibration_view.options()
        spark = self.doc.project.spark  # the per-score sums aggregated by Spark

        def job(con: Any, progress: Any) -> LabelDelay:
            from roistudio.core.engine.estimate import estimate_label_delay

            if spark is not None:
                from roistudio.gui.spark_source import spark_label_delay_job

                result: LabelDelay = spark_label_delay_job(analysis, spark, method, periods, progress)
                return result

            return estimate_label_delay(
                con, analysis, method=method, calibration_periods=periods, progress=progress
            )

        def done(result: LabelDelay) -> None:
            if key == self._key:
                self.label_delay = result
                self._show(self.doc.analysis)

        def failed(message: str) -> None:
            if key == self._key:
                self.label_delay = None
                self._show(None)
                self.calibration_view.set_message(f"No estimate for rows not yet labelled: {message}")

        def cancelled() -> None:
            if key == self._key:
                self._key = None  # the next analysis change tries again

        self._job = operations.run(
            self.worker,
            job,
            kind="label_delay",
            description="Estimating rows not yet labelled",
            on_done=done,
            on_failure=failed,
            on_cancel=cancelled,
        )
