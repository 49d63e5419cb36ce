"""The import wizard's first pages: the file, a preview of its first rows, the import itself.

Every read runs on the database worker (:mod:`roistudio.gui.operations`): the preview sniffs the
file and types its head with DuckDB there, the import runs there with a progress bar and a Cancel
button. A cancelled import is rolled back by the core, so no partial table is left.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWizardPage,
)

from roistudio.core.errors import RoiError
from roistudio.gui import operations
from roistudio.gui.dialogs import FILE_FILTER
from roistudio.gui.frame_model import FrameModel
from roistudio.gui.widgets import error_color

if TYPE_CHECKING:
    import pandas as pd

    from roistudio.core.data.loading import ImportResult
    from roistudio.gui.import_wizard import ImportWizard
    from roistudio.gui.workers import Job

PREVIEW_ROWS = 50


class _Page(QWizardPage):
    """A wizard page that reaches its wizard through a weak reference.

    A strong one (page -> wizard -> page) would put the whole widget tree in a reference cycle
    that only Python's cyclic collector frees, and that collector runs on whichever thread
    happens to allocate, the database worker included: Qt widgets must never be finalised
    there. The wizard owns its pages (``addPage``); the pages only look it up.
    """

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard_ref = weakref.ref(wizard)

    @property
    def _wizard(self) -> ImportWizard:
        wizard = self._wizard_ref()
        assert wizard is not None, "the wizard is gone"
        return wizard


class FilePage(_Page):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Choose a prediction export")
        self.setSubTitle(
            "CSV, TSV, Parquet or Excel; one row per prediction, with the score and the actual outcome."
        )
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("/path/to/predictions.csv")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {error_color(self.palette()).name()}")
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.path_edit.textChanged.connect(self._changed)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open prediction export", self.path_edit.text(), FILE_FILTER
        )
        if path:
            self.path_edit.setText(path)

    def _changed(self) -> None:
        self.error.clear()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return bool(self.path_edit.text().strip())

    def validatePage(self) -> bool:
        from roistudio.core.data.importer import detect_format

        path = self.path_edit.text().strip()
        if not Path(path).is_file():
            self.error.setText(f"{path}: file not found")
            return False
        try:
            detect_format(path)
        except RoiError as exc:
            self.error.setText(str(exc))
            return False
        self._wizard.path = path
        return True


class PreviewPage(_Page):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Preview")
        self.model = FrameModel(parent=self)  # owned by the page: deleted with it, on the GUI thread
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.error = QLabel()
        self.error.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)

    def initializePage(self) -> None:
        path = self._wizard.path
        self.setSubTitle(f"The first rows of {Path(path).name}, typed as they will be imported.")
        self.error.setText("Reading the first rows…")
        self.model.set_frame(None)
        # On the worker: the preview sniffs the file and types its head with DuckDB.
        operations.read_preview(
            self._wizard.worker, path, PREVIEW_ROWS, on_done=self._show, on_failure=self._failed, owner=self
        )

    def _show(self, frame: pd.DataFrame) -> None:
        self.error.clear()
        self.model.set_frame(frame)
        self.table.resizeColumnsToContents()
        self._wizard.previewed.emit()

    def _failed(self, message: str) -> None:
        self.model.set_frame(None)
        self.error.setText(message)
        self._wizard.previewed.emit()


class ImportPage(_Page):
    """Runs the import on the worker; Next is enabled once it is done."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Import")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel import")
        self.cancel_button.clicked.connect(self.cancel)
        self.retry_button = QPushButton("Try again")
        self.retry_button.clicked.connect(self.initializePage)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.job: Job | None = None
        self.state = "idle"  # running, done, cancelled, failed

    def initializePage(self) -> None:
        path = self._wizard.path
        self._wizard.import_result = None
        self.setSubTitle(f"Reading {Path(path).name} into the analysis database.")
        self.bar.setValue(0)
        self.status.setText("Starting…")
        self.state = "running"
        self.cancel_button.setEnabled(True)
        self.retry_button.setVisible(False)
        self.completeChanged.emit()
        self.job = operations.load_data(
            self._wizard.worker, path, table=self._wizard.table, cache_dir=self._wizard.cache_dir,
            kind="import", description=f"Importing {Path(path).name}", on_done=self._done,
            on_failure=self._failed, on_cancel=self._cancelled, on_progress=self._progress, owner=self,
        )  # fmt: skip

    def cancel(self) -> None:
        if self.job is not None and self.state == "running":
            self.status.setText("Cancelling…")
            self._wizard.worker.cancel(self.job)

    def _progress(self, fraction: float, text: str) -> None:
        self.bar.setValue(int(fraction * 1000))
        if text:
            self.status.setText(text[:1].upper() + text[1:] + "…")

    def _finish(self, state: str, text: str) -> None:
        self.state = state
        self.status.setText(text)
        self.cancel_button.setEnabled(False)
        self.retry_button.setVisible(state != "done")
        self.completeChanged.emit()
        self._wizard.importFinished.emit(state)

    def _done(self, result: ImportResult) -> None:
        self._wizard.import_result = result
        self.bar.setValue(1000)
        self._finish("done", "\n".join(result.report.summary_lines(max_details=3, with_table=False)))

    def _failed(self, message: str) -> None:
        self.bar.setValue(0)
        self._finish("failed", message)

    def _cancelled(self) -> None:
        self.bar.setValue(0)
        self._finish("cancelled", "Import cancelled; nothing was imported.")

    def isComplete(self) -> bool:
        return self.state == "done"

    def cleanupPage(self) -> None:
        self.cancel()
