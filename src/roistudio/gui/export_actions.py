"""Export the current analysis as an Excel workbook and/or a PDF report, off the GUI thread.

The report model is built once from the document's analysis and the source's fingerprint, then
rendered by :mod:`roistudio.reports.xlsx` and :mod:`roistudio.reports.pdf`. Both steps run on the
database worker: the workbook's live formulas need per-parameter aggregates from DuckDB, and the
worker is the connection's only user. Once written, the user is offered to open the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from roistudio.core.progress import ScaledProgress
from roistudio.gui import operations

if TYPE_CHECKING:
    import duckdb

    from roistudio.core.engine.analysis import Analysis
    from roistudio.core.engine.estimate import LabelDelay
    from roistudio.core.progress import Progress
    from roistudio.gui.document import ProjectDocument
    from roistudio.reports.model import ReportModel

    # () -> (the estimate shown, or None while it runs; calibration method; calibration periods)
    LabelDelaySource = Callable[[], tuple[LabelDelay | None, str, int | None]]

KINDS = {"xlsx": ("Excel workbook", "*.xlsx"), "pdf": ("PDF report", "*.pdf")}


def suggested_name(document: ProjectDocument, suffix: str) -> str:
    """A file name from the report title: ``Card fraud review.xlsx``."""
    stem = re.sub(r'[\\/:*?"<>|]+', " ", document.project.title).strip() or "Model value report"
    return f"{stem}{suffix}"


class Exporter(QObject):
    """Runs exports for a window; ``finished(list[str])`` with the files written, or ``failed(str)``."""

    finished = Signal(list)
    failed = Signal(str)

    def __init__(self, document: ProjectDocument, window: QWidget | None = None) -> None:
        super().__init__(window)
        self._doc = document
        self._window = window
        self.last_folder = str(Path.home())
        # Set by the main window (gui.label_delay): () -> (estimate ready or None, method, periods).
        self.label_delay_source: LabelDelaySource | None = None

    def ask_path(self, kind: str) -> str | None:
        label, pattern = KINDS[kind]
        folder = Path(self._doc.path).parent if self._doc.path else Path(self.last_folder)
        start = str(folder / suggested_name(self._doc, "." + kind))
        path, _ = QFileDialog.getSaveFileName(self._window, f"Export {label}", start, f"{label} ({pattern})")
        if not path:
            return None
        if not path.lower().endswith("." + kind):
            path += "." + kind
        self.last_folder = str(Path(path).parent)
        return path

    def export(self, kind: str, *, ask_open: bool = True) -> None:
        """Ask where to save, then write the ``"xlsx"`` or ``"pdf"`` report in the background."""
        if self._doc.analysis is None:
            self.failed.emit("Nothing to export yet: open data and let the analysis finish.")
            return
        path = self.ask_path(kind)
        if path:
            self.write({kind: path}, ask_open=ask_open)

    def write(self, targets: dict[str, str], *, ask_open: bool = False) -> None:
        """Write the reports named in ``targets`` (``{"xlsx": path, "pdf": path}``) on the worker."""
        doc = self._doc
        analysis = doc.analysis
        import_report = doc.import_report
        if import_report is None or analysis is None:
            self.failed.emit("no data is loaded" if import_report is None else "no analysis to export yet")
            return
        title, currency = doc.project.title, doc.project.currency
        suggested = doc.project.payoff_suggested  # stamped "example payoff, not confirmed"
        label_delay = self.label_delay_source() if self.label_delay_source is not None else None
        from roistudio.gui.decision_views import options_for

        # The app's intervals, verdict and sensitivity (same options and seed as on screen).
        options = options_for(doc.project, analysis)

        spark = doc.project.spark

        def job(con: duckdb.DuckDBPyConnection, progress: Progress) -> list[str]:
            from roistudio.core.engine.decision import decide

            if spark is not None:  # values, no live formulas; intervals by Spark (gui.spark_source)
                from roistudio.gui.spark_source import export_model

                model = export_model(analysis, import_report, spark, progress, title=title,
                                     currency=currency, payoff_suggested=suggested, options=options)  # fmt: skip
                return _write_reports(model, targets, progress)
            from roistudio.reports.model import build_project_report

            progress.progress(0.0, "Resampling for the intervals")
            decision = decide(con, analysis, options, progress=ScaledProgress(progress, 0.0, 0.05))
            progress.progress(0.05, "Building the report")
            ld = _label_delay_for_export(con, analysis, label_delay)
            # Aggregates for live formulas are the workbook's alone; a PDF-only export skips them.
            model = build_project_report(
                con,
                analysis,
                import_report,
                title=title,
                currency=currency,
                live="xlsx" in targets,
                payoff_suggested=suggested,
                label_delay=ld,
                decision=decision,
            )
            return _write_reports(model, targets, progress)

        def done(written: list[str]) -> None:
            self.finished.emit(written)
            if ask_open:
                self._offer_open(written)

        operations.run(
            doc.worker, job, description="Exporting", on_done=done, on_failure=self.failed.emit,
            failure_prefix="Export failed: ",
        )  # fmt: skip

    def _offer_open(self, written: list[str]) -> None:
        names = ", ".join(Path(p).name for p in written)
        answer = QMessageBox.question(
            self._window,
            "Export done",
            f"Saved {names}.\n\nOpen it now?",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Close,
            QMessageBox.StandardButton.Open,
        )
        if answer == QMessageBox.StandardButton.Open:
            for path in written:
                QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def _write_reports(model: ReportModel, targets: dict[str, str], progress: Progress) -> list[str]:
    """Write the workbook and/or PDF of ``model`` (worker thread); the paths written."""
    from roistudio.core.atomic import atomic_group

    written: list[str] = []
    # Both files as one unit: a failed PDF leaves the old pair, never a new workbook alone.
    with atomic_group() as group:
        if "xlsx" in targets:
            from roistudio.reports.xlsx import write_xlsx

            progress.progress(0.2, "Writing the workbook")
            write_xlsx(model, group.stage(targets["xlsx"]))
            written.append(targets["xlsx"])
        if "pdf" in targets:
            from roistudio.reports.pdf import write_pdf

            progress.progress(0.6, "Writing the PDF")
            write_pdf(model, group.stage(targets["pdf"]))
            written.append(targets["pdf"])
    progress.progress(1.0, "Export done")
    return written


def _label_delay_for_export(
    con: duckdb.DuckDBPyConnection,
    analysis: Analysis,
    source: tuple[LabelDelay | None, str, int | None] | None,
) -> LabelDelay | None:
    """The estimate the app shows, or (still running) computed now; None when it cannot be had.

    ``source`` is ``(estimate or None, method, periods)``; without one (no window), the CLI's
    default (isotonic on every labelled period), as ``roistudio report`` builds it. An estimate
    that cannot be made (say, payoffs missing on unlabelled rows) leaves it out of the report
    rather than failing the export.
    """
    from roistudio.core.engine.calibration import DEFAULT_METHOD
    from roistudio.core.engine.estimate import estimate_label_delay
    from roistudio.core.errors import RoiError

    ready, method, periods = source if source is not None else (None, DEFAULT_METHOD, None)
    if ready is not None:
        return ready

    try:
        return estimate_label_delay(con, analysis, method=method, calibration_periods=periods)
    except RoiError:
        return None
