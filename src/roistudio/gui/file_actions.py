"""The main window's file actions: new, open (data, demo, project), save, report details, the import cache.

A mixin of :class:`~roistudio.gui.main_window.MainWindow` (the shell keeps tabs, menus and wiring):
each action asks what it must (unsaved changes, a file name), then hands the work to the document
(:class:`~roistudio.gui.document.ProjectDocument`) or to one worker job (:mod:`roistudio.gui.operations`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QTabWidget

from roistudio.core.errors import RoiError
from roistudio.core.project.project import PROJECT_SUFFIX, VIEWS
from roistudio.gui import dialogs, operations, project_loading
from roistudio.gui.lifetime import dispose
from roistudio.gui.operations import CacheCleared

if TYPE_CHECKING:
    from roistudio.gui.document import ProjectDocument
    from roistudio.gui.settings import Settings
    from roistudio.gui.workers import DatabaseWorker

APP_NAME = "Model ROI Studio"
PROJECT_FILTER = f"Model ROI Studio projects (*{PROJECT_SUFFIX})"


if TYPE_CHECKING:
    _Window = QMainWindow  # a mixin of MainWindow: typed as the window it is part of
else:
    _Window = object


class FileActions(_Window):
    """New, open, save and the import cache, for :class:`~roistudio.gui.main_window.MainWindow`."""

    if TYPE_CHECKING:  # provided by MainWindow
        doc: ProjectDocument
        settings: Settings
        worker: DatabaseWorker
        tabs: QTabWidget

        def _show_error(self, message: str) -> None: ...
        def remove_recovery(self) -> None: ...
        def finish_startup(self) -> None: ...

    def ask_save_changes(self) -> QMessageBox.StandardButton:
        """Save / Discard / Cancel for unsaved changes (tests replace this)."""
        return QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to {self.doc.display_name()}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current project (saved, discarded, or clean)."""
        if not self.doc.is_dirty():
            return True
        answer = self.ask_save_changes()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_project(self) -> None:
        if self.maybe_save():
            self.doc.new()
            self.remove_recovery()

    def open_data(self, path: str | None = None) -> None:
        """Run the import wizard (on ``path`` when given) and start a new project on the result."""
        self.finish_startup()
        if not self.maybe_save():
            return
        from roistudio.gui.import_wizard import ImportWizard

        table = f"import_{dt.datetime.now().strftime('%H%M%S%f')}"
        wizard = ImportWizard(
            self.worker, path or None, table=table, cache_dir=self.doc.import_cache_dir, parent=self
        )
        try:
            if wizard.exec() and wizard.import_result is not None:
                self.doc.adopt_import(wizard.import_result, wizard.mapping())
                self.settings.add_recent(wizard.path)
                self.remove_recovery()
                self.tabs.setCurrentIndex(VIEWS.index("threshold"))
            else:
                # Nothing adopted: drop what the wizard may have imported (the open project keeps its own).
                self.doc._drop_table(table)
        finally:
            dispose(wizard)

    def change_mapping(self) -> None:
        """Edit the column mapping of the loaded data (one undoable step)."""
        report = self.doc.import_report
        if report is None:
            return
        if self.doc.project.spark is not None:  # no DuckDB table to inspect: the Spark dialog
            from roistudio.gui.spark_dialog import change_spark_mapping

            return change_spark_mapping(self)  # type: ignore[arg-type]  # the mixin is part of MainWindow
        from roistudio.core.data.loading import ImportResult
        from roistudio.gui.import_wizard import ImportWizard

        result = ImportResult(report, {})
        wizard = ImportWizard(self.worker, existing=result, initial_mapping=self.doc.mapping, parent=self)
        try:
            if wizard.exec():
                self.doc.set_mapping(wizard.mapping())
        finally:
            dispose(wizard)

    def open_demo(self) -> None:
        self.finish_startup()
        if not self.maybe_save():
            return
        self.statusBar().showMessage("Loading the demo…")

        def done() -> None:
            self.statusBar().showMessage("Demo loaded: card-fraud predictions, champion vs challenger", 8000)
            self.tabs.setCurrentIndex(VIEWS.index("threshold"))

        project_loading.load_demo(self.doc, on_done=done)

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open project", self.settings.last_folder(), PROJECT_FILTER
        )
        if path:
            self.open_project(path)

    def open_project(self, path: str, on_done: Callable[[], None] | None = None) -> None:
        self.finish_startup()
        if not self.maybe_save():
            return
        try:
            relocated = self._locate_missing_source(path)
            project_loading.open_project(self.doc, str(path), on_done=on_done, relocated=relocated)
        except RoiError as exc:
            self._show_error(str(exc))
            return
        self.settings.add_recent(str(path))
        self.settings.set_last_folder(str(path))
        self.remove_recovery()

    def _locate_missing_source(self, path: str) -> str | None:
        """If the project's data file is gone, ask where it is now (None: it is where it was)."""
        return dialogs.locate_missing_source(self, path, dialogs.FILE_FILTER)

    def save(self) -> bool:
        if not self.doc.path:
            return self.save_as()
        return self._save_to(self.doc.path)

    def save_as(self) -> bool:
        start = self.doc.path or str(
            Path(self.settings.last_folder()) / f"{self.doc.project.title}{PROJECT_SUFFIX}"
        )
        path, _ = QFileDialog.getSaveFileName(self, "Save project", start, PROJECT_FILTER)
        if not path:
            return False
        if not path.endswith(PROJECT_SUFFIX):
            path += PROJECT_SUFFIX
        return self._save_to(path)

    def _save_to(self, path: str) -> bool:
        try:
            self.doc.save(path)
        except RoiError as exc:
            self._show_error(str(exc))
            return False
        self.settings.add_recent(path)
        self.settings.set_last_folder(path)
        self.remove_recovery()
        self.statusBar().showMessage(f"Saved {Path(path).name}", 5000)
        return True

    def edit_report_details(self) -> None:
        """Ask for the report title and currency (one undoable step)."""
        answer = dialogs.ask_report_details(self, self.doc.project.title, self.doc.project.currency)
        if answer is not None:
            title, currency = answer
            self.doc.set_report_details(
                title=title or self.doc.project.title, currency=currency or self.doc.project.currency
            )

    def clear_import_cache(self) -> None:
        """Delete the cached imports (after asking); the open project's copy stays until it closes."""
        folder = self.doc.import_cache_dir
        if folder is None:
            self.statusBar().showMessage("The import cache is off (ROISTUDIO_IMPORT_CACHE=0)", 8000)
            return
        files = list(Path(folder).glob("*.duckdb"))
        if not files:
            self.statusBar().showMessage("No cached imports", 8000)
            return
        megabytes = sum(f.stat().st_size for f in files) / 1e6
        answer = QMessageBox.question(
            self,
            APP_NAME,
            f"Delete {len(files):,} cached import{'s' if len(files) > 1 else ''} ({megabytes:,.0f} MB)? "
            "Those files are read again the next time they are opened.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return

        def done(result: CacheCleared) -> None:
            noun = "import" if result.count == 1 else "imports"
            self.statusBar().showMessage(
                f"Deleted {result.count:,} cached {noun}, {result.freed_bytes / 1e6:,.1f} MB freed", 8000
            )

        operations.clear_import_cache(self.worker, Path(folder), on_done=done, on_failure=self._show_error)
