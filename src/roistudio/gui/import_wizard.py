"""The import wizard: file -> preview -> import -> column mapping -> validation summary.

Every read of the file or the database runs on the database worker (:mod:`roistudio.gui.operations`):
the preview of the first rows, the import (with a progress bar and a Cancel button), the label
values, the time-column candidates and the data check; the wizard runs no query on the GUI
thread. The pages: :mod:`~roistudio.gui.wizard_pages` (file, preview, import),
:mod:`~roistudio.gui.mapping_page` (column roles), :mod:`~roistudio.gui.validation_page` (what
the core counted: rejected rows with their line numbers, label values, unlabelled rows and
unusable scores).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard

from roistudio.core.data.loading import TABLE, ImportResult
from roistudio.gui.mapping_page import NONE, MappingPage
from roistudio.gui.validation_page import ValidationPage
from roistudio.gui.wizard_pages import FilePage, ImportPage, PreviewPage

if TYPE_CHECKING:
    from roistudio.core.data.mapping import ColumnMapping
    from roistudio.gui.workers import DatabaseWorker

__all__ = ["NONE", "ImportWizard"]


class ImportWizard(QWizard):
    """Import a prediction export and map its columns.

    Parameters
    ----------
    worker
        The database worker; the import replaces table ``table`` in its database.
    path
        Start with this file chosen (the wizard opens on the preview).
    initial_mapping
        Start the mapping page from this mapping instead of the proposal.
    existing
        Data already imported: show only the mapping and validation pages.
    cache_dir
        Folder of imports kept between sessions (:mod:`roistudio.core.data.import_cache`): a file
        imported before and unchanged since is attached from there instead of read again.

    After ``accepted``, :attr:`import_result` and :meth:`mapping` hold the outcome.
    """

    importFinished = Signal(str)  # "done", "failed" or "cancelled"
    previewed = Signal()  # the preview page shows the first rows (or why it cannot)
    validated = Signal()

    def __init__(
        self,
        worker: DatabaseWorker,
        path: str | None = None,
        *,
        initial_mapping: ColumnMapping | None = None,
        existing: ImportResult | None = None,
        table: str = TABLE,
        cache_dir: str | Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache_dir = cache_dir  # imports kept between sessions (see core.import_cache)
        self.setWindowTitle("Open prediction data")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.resize(820, 600)
        self.worker = worker
        self.table = table
        self.path = path or ""
        self.initial_mapping = initial_mapping
        self.import_result: ImportResult | None = existing
        # Every page is added, hence owned by the wizard: a page built and never added would be a
        # parentless widget left for Python's collector (see _Page). Mapping only: the data is
        # already imported into ``table``, so there are no file, preview and import pages.
        self.file_page: FilePage | None = None
        self.preview_page: PreviewPage | None = None
        self.import_page: ImportPage | None = None
        if existing is None:
            self.file_page = FilePage(self)
            self.preview_page = PreviewPage(self)
            self.import_page = ImportPage(self)
            for page in (self.file_page, self.preview_page, self.import_page):
                self.addPage(page)
        else:
            self.setWindowTitle("Change column mapping")
            self.table = existing.report.table
        self.mapping_page = MappingPage(self)
        self.validation_page = ValidationPage(self)
        self.addPage(self.mapping_page)
        self.addPage(self.validation_page)
        if path and self.file_page is not None:
            self.file_page.path_edit.setText(path)
            self.setStartId(self.pageIds()[1])

    def mapping(self) -> ColumnMapping:
        return self.mapping_page.mapping()

    def has_import(self) -> bool:
        """True while this wizard's import is being read or is read (and not yet adopted)."""
        return self.import_page is not None and self.import_page.state in ("running", "done")

    def confirm_discard(self) -> bool:
        """Ask before Escape or Cancel throws an import away (tests replace this)."""
        name = Path(self.path).name or "the file"
        if self.import_page is not None and self.import_page.state == "running":
            text = f"{name} is being read. Stop reading it and close the wizard?"
        else:
            text = f"{name} is imported but not opened yet. Close the wizard and discard it?"
        answer = QMessageBox.question(
            self,
            "Discard the import?",
            text,
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def reject(self) -> None:
        # Escape, Cancel and the close button all land here: an import is not thrown away
        # without asking. Closing stops a running import; the core rolls it back.
        if self.has_import() and not self.confirm_discard():
            return
        if self.import_page is not None:
            self.import_page.cancel()
        super().reject()
