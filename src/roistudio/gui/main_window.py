"""The main window: menus, the six pages, the filter bar, status bar, files, autosave and recovery.

The window composes the views (payoff editor, threshold explorer, comparison, segments, trends,
filter bar) and wires them to one :class:`~roistudio.gui.document.ProjectDocument`. Views never
change the project themselves: they emit signals, the window turns them into undoable document
edits, and the document's signals update every view.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from pathlib import Path

from PySide6.QtCore import QLockFile, QStandardPaths, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from roistudio import __version__
from roistudio.core.errors import RoiError
from roistudio.core.glossary import METRICS as GLOSSARY_METRICS
from roistudio.core.glossary import PERIODS
from roistudio.core.project.project import PROJECT_SUFFIX, VIEWS
from roistudio.gui.document import ProjectDocument
from roistudio.gui.export_actions import Exporter
from roistudio.gui.payoff_banner import PayoffBanners, payoff_summary
from roistudio.gui.settings import Settings
from roistudio.gui.widgets import error_color
from roistudio.gui.workers import DatabaseWorker

FILE_FILTER = "Prediction exports (*.csv *.tsv *.txt *.csv.gz *.parquet *.pq *.xlsx *.xlsm);;All files (*)"

APP_NAME = "Model ROI Studio"
AUTOSAVE_MS = 60_000
PROJECT_FILTER = f"Model ROI Studio projects (*{PROJECT_SUFFIX})"
TAB_TITLES = {
    "data": "Data",
    "payoff": "Payoff",
    "threshold": "Threshold explorer",
    "comparison": "Comparison",
    "segments": "Segments",
    "trends": "Trends",
}
METRICS = dict(GLOSSARY_METRICS)  # Help > Definitions


def _owner_gone(autosave: Path) -> bool:
    """True when the session that wrote ``autosave`` no longer runs (its lock file is free or stale)."""
    lock = QLockFile(str(autosave.with_suffix(".lock")))
    lock.setStaleLockTime(0)  # judge by the owner process only, however old the lock
    if not lock.tryLock(0):
        return False
    lock.unlock()  # removes the lock file
    return True


def recovery_folder() -> Path:
    """Where autosaved copies of unsaved work live (the platform's app data folder)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".roistudio") / "recovery"


def import_cache_folder() -> Path:
    """Where imported tables are kept between sessions (the platform's cache folder)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
    return Path(base or Path.home() / ".cache" / "roistudio") / "imports"


class DataPage(QWidget):
    """Import summary and data-quality counts, or a welcome text before any data is open."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(lambda url: window.handle_welcome_link(url.toString()))
        self.open_button = QPushButton("Open data…")
        self.open_button.clicked.connect(window.open_data)
        self.mapping_button = QPushButton("Change column mapping…")
        self.mapping_button.clicked.connect(window.change_mapping)
        self.demo_button = QPushButton("Open the demo")
        self.demo_button.clicked.connect(window.open_demo)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.mapping_button, self.demo_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.text, 1)
        self.show_welcome()

    def show_welcome(self) -> None:
        self.mapping_button.setEnabled(False)
        self.text.setHtml(
            "<h2>Model ROI Studio</h2>"
            "<p>What is your classifier worth in money? Open a prediction export (CSV, Parquet or Excel) "
            "with a score and the actual outcome, say what each outcome is worth, and pick the threshold "
            "that earns the most.</p>"
            "<ul><li><a href='action:open-data'>Open data…</a> (Ctrl+O) or drop a file on this window</li>"
            "<li><a href='action:open-project'>Open a project…</a></li>"
            "<li><a href='action:demo'>Try the demo</a>: card-fraud predictions, champion vs challenger</li></ul>"
        )

    def show_data(self, document: ProjectDocument) -> None:
        from roistudio.gui.import_wizard import validation_html

        self.mapping_button.setEnabled(document.has_data)
        analysis = document.analysis
        red = error_color(self.palette()).name()
        parts = [
            validation_html(analysis.validation if analysis else None, document.import_report, error=red)
        ]
        mapping = document.mapping
        if mapping is not None:
            roles = [(k, v) for k, v in mapping.to_dict().items() if v not in (None, [], False)]
            rows = "".join(
                f"<tr><td>{k.replace('_', ' ')}</td><td><b>{_html(v)}</b></td></tr>" for k, v in roles
            )
            parts.append(f"<h3>Column mapping</h3><table cellpadding='3'>{rows}</table>")
        if analysis is not None:
            a = analysis
            parts.append(
                "<h3>Rows analysed</h3>"
                f"<p title='Rows after filters, labelled or not'>{a.rows:,} rows after filters "
                f"({document.project.filters.describe()}); {a.excluded_rows:,} left out for unusable scores.</p>"
            )
        if document.analysis_error:
            parts.append(f"<p style='color:{red}'><b>{_html(document.analysis_error)}</b></p>")
        self.text.setHtml("\n".join(parts))


def _html(value: object) -> str:
    import html

    if isinstance(value, list):
        value = ", ".join(map(str, value))
    return html.escape(str(value))


class MainWindow(QMainWindow):
    """The application window.

    Parameters
    ----------
    worker
        Database worker to use (a new one is started when omitted).
    settings
        Preferences store (the user's QSettings when omitted).
    lazy
        Build only the shell (menus, Data page, empty tabs) now and the analysis views, which
        load pandas and matplotlib, in :meth:`finish_startup`, once the window has painted.
    """

    def __init__(
        self, worker: DatabaseWorker | None = None, settings: Settings | None = None, *, lazy: bool = False
    ) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.settings = settings or Settings()
        self._own_worker = worker is None
        self.worker = worker or DatabaseWorker(parent=self)
        self.doc = ProjectDocument(self.worker, self)
        if os.environ.get("ROISTUDIO_IMPORT_CACHE", "1") != "0":
            self.doc.import_cache_dir = import_cache_folder()
        self.exporter = Exporter(self.doc, self)
        self._syncing = False
        self._closing = False
        self._started = False
        self.recovery_path = recovery_folder() / f"autosave-{os.getpid()}{PROJECT_SUFFIX}"
        self._recovery_lock: QLockFile | None = None
        self._build_pages()
        self._build_status_bar()
        self._build_actions()
        self._build_menus()
        self._connect_document()
        self.setAcceptDrops(True)
        self.resize(1280, 820)
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self._update_title()
        self._update_actions()
        if not lazy:
            self.finish_startup()

    def finish_startup(self) -> None:
        """Start the database thread and build the analysis views (idempotent)."""
        if self._started:
            return
        self._started = True
        if self._own_worker:
            self.worker.start()
        from roistudio.gui.comparison_view import ComparisonView
        from roistudio.gui.explorer import ThresholdExplorer
        from roistudio.gui.filter_bar import FilterBar
        from roistudio.gui.payoff_editor import PayoffEditor
        from roistudio.gui.segments_view import SegmentsView
        from roistudio.gui.trends_view import TrendsView

        self.payoff_editor = PayoffEditor()
        self.explorer = ThresholdExplorer()
        self.comparison_view = ComparisonView()
        self.segments_view = SegmentsView()
        self.trends_view = TrendsView()
        for view, widget in (
            ("payoff", self.payoff_editor),
            ("threshold", self.explorer),
            ("comparison", self.comparison_view),
            ("segments", self.segments_view),
            ("trends", self.trends_view),
        ):
            holder = self.tabs.widget(VIEWS.index(view))
            loading = holder.layout().takeAt(0).widget()  # the "Loading…" label
            loading.hide()  # deleteLater alone leaves it painted until the event loop runs
            loading.deleteLater()
            holder.layout().addWidget(widget)
        self.filter_bar = FilterBar()
        self.filter_bar.setToolTip("Which rows every analysis looks at (segments and dates)")
        self.filter_bar.setEnabled(False)
        self.top_layout.replaceWidget(self.filter_placeholder, self.filter_bar)
        self.filter_placeholder.deleteLater()
        self._connect_views()

    # -- construction ---------------------------------------------------------------------------------
    def _build_pages(self) -> None:
        self.data_page = DataPage(self)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for view in VIEWS:
            if view == "data":
                page = self.data_page
            else:
                # A holder the real view is put into by finish_startup().
                page = QWidget()
                holder = QVBoxLayout(page)
                holder.setContentsMargins(0, 0, 0, 0)
                loading = QLabel("Loading…")
                loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
                holder.addWidget(loading)
            self.tabs.addTab(page, TAB_TITLES[view])
        self.tabs.setTabToolTip(
            VIEWS.index("threshold"), "Value in money at every threshold; pick the operating one"
        )
        self.tabs.setTabToolTip(VIEWS.index("comparison"), "Champion vs challenger on the same rows")
        self.tabs.setTabToolTip(VIEWS.index("segments"), "Where the money is lost, per segment value")
        self.tabs.setTabToolTip(VIEWS.index("trends"), "Value per period at the operating threshold")
        self.error_banner = QLabel()
        self.error_banner.setWordWrap(True)
        self.error_banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_banner.setStyleSheet(
            "QLabel { background: #fdecea; color: #8e1c14; border: 1px solid #f5c2bd; padding: 6px; border-radius: 3px; }"
        )
        self.error_banner.hide()
        self.payoff_banners = PayoffBanners()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 6, 8, 4)
        layout.setSpacing(6)
        self.filter_placeholder = QWidget()
        layout.addWidget(self.filter_placeholder)
        layout.addWidget(self.error_banner)
        layout.addWidget(self.payoff_banners)
        layout.addWidget(self.tabs, 1)
        self.top_layout = layout
        self.setCentralWidget(central)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.busy_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop the running import or sweep")
        self.cancel_button.clicked.connect(self.worker.cancel_current)
        for widget in (self.busy_label, self.progress_bar, self.cancel_button):
            bar.addPermanentWidget(widget)
            widget.hide()

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, list):
                action.setShortcuts(shortcut)
            else:
                action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        A = self._action
        self.new_action = A("&New project", self.new_project, QKeySequence.StandardKey.New)
        self.open_data_action = A(
            "&Open data…", self.open_data, "Ctrl+O", "Import a CSV, Parquet or Excel export"
        )
        self.open_project_action = A("Open &project…", self.open_project_dialog, "Ctrl+Shift+O")
        self.demo_action = A("Open the &demo", self.open_demo, tip="Card-fraud predictions, mapped and swept")
        self.save_action = A("&Save", self.save, "Ctrl+S")
        self.save_as_action = A("Save &as…", self.save_as, "Ctrl+Shift+S")
        self.export_xlsx_action = A("Export &Excel…", lambda: self.exporter.export("xlsx"), "Ctrl+E")
        self.export_pdf_action = A("Export P&DF…", lambda: self.exporter.export("pdf"), "Ctrl+Shift+E")
        self.copy_link_action = A("Copy &link to this view", self.copy_link, "Ctrl+Shift+C")
        self.quit_action = A("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.undo_action = self.doc.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts([QKeySequence("Ctrl+Z")])
        self.redo_action = self.doc.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.paste_link_action = A("&Paste link", self.paste_link, "Ctrl+Shift+V", "Open a roistudio:// link")
        self.clear_cache_action = A("&Clear cached imports…", self.clear_import_cache,
                                    tip="Delete the copies of imported files kept to reopen them fast")  # fmt: skip
        self.optimum_action = A("Use the &best threshold", self.doc.use_optimum, "Ctrl+B",
                                "Let the analysis pick the threshold (optimum, or best under the constraints)")  # fmt: skip
        self.mapping_action = A("Change column &mapping…", self.change_mapping, "Ctrl+M")
        self.report_details_action = A("Report &title and currency…", self.edit_report_details,
                                       tip="Title and currency of the exported workbook and PDF")  # fmt: skip
        self.about_action = A("&About Model ROI Studio", self.about)
        self.metrics_action = A(
            "What the &numbers mean", self.show_metrics, QKeySequence.StandardKey.HelpContents
        )
        self.view_actions = []
        for i, view in enumerate(VIEWS):
            action = A(TAB_TITLES[view], lambda _=False, i=i: self.tabs.setCurrentIndex(i), f"Ctrl+{i + 1}")
            self.view_actions.append(action)

    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        menu.addActions([self.new_action, self.open_data_action, self.open_project_action, self.demo_action])
        self.recent_menu = menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        menu.addSeparator()
        menu.addActions([self.save_action, self.save_as_action])
        menu.addSeparator()
        menu.addAction(self.report_details_action)
        menu.addActions([self.export_xlsx_action, self.export_pdf_action, self.copy_link_action])
        menu.addSeparator()
        menu.addAction(self.quit_action)
        edit = self.menuBar().addMenu("&Edit")
        edit.addActions([self.undo_action, self.redo_action])
        edit.addSeparator()
        edit.addActions([self.optimum_action, self.mapping_action])
        edit.addSeparator()
        edit.addAction(self.paste_link_action)
        edit.addSeparator()
        edit.addAction(self.clear_cache_action)
        view = self.menuBar().addMenu("&View")
        view.addActions(self.view_actions)
        view.addSeparator()
        self.period_menu = view.addMenu("Trend &period")
        self.period_menu.setToolTipsVisible(True)
        self.period_group = QActionGroup(self)
        self.period_actions: dict[str, QAction] = {}
        for period in PERIODS:
            action = self.period_menu.addAction(period.capitalize())
            action.setCheckable(True)
            action.setToolTip(f"Break the Trends view down by {period}")
            action.triggered.connect(lambda _=False, p=period: self.doc.set_period(p))
            self.period_group.addAction(action)
            self.period_actions[period] = action
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addActions([self.metrics_action, self.about_action])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files()
        for path in recent:
            self.recent_menu.addAction(Path(path).name, lambda p=path: self.open_path(p)).setStatusTip(path)
        if not recent:
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", self.settings.clear_recent)

    def _connect_document(self) -> None:
        doc = self.doc
        doc.analysisFailed.connect(self._on_analysis_failed)
        doc.viewChanged.connect(self._on_view)
        doc.dirtyChanged.connect(self._update_title)
        doc.pathChanged.connect(lambda _p: self._update_title())
        doc.projectChanged.connect(self._update_actions)
        doc.busyChanged.connect(self._on_busy)
        doc.progress.connect(self._on_progress)
        doc.sourceChanged.connect(self._on_source_changed)
        doc.dataFailed.connect(self._on_data_failed)
        self.tabs.currentChanged.connect(lambda i: doc.set_view(VIEWS[i]))
        self.exporter.finished.connect(
            lambda paths: self.statusBar().showMessage(
                f"Exported {', '.join(Path(p).name for p in paths)}", 8000
            )
        )
        self.exporter.failed.connect(self._show_error)

    def _connect_views(self) -> None:
        doc = self.doc
        doc.analysisChanged.connect(self._on_analysis)
        doc.thresholdChanged.connect(self.explorer.set_threshold)
        doc.constraintsChanged.connect(self._on_constraints)
        doc.payoffChanged.connect(self._on_payoff)
        doc.mappingChanged.connect(self._on_mapping)
        doc.dataLoaded.connect(lambda _report: self._on_mapping())
        doc.filtersChanged.connect(self._on_filters)
        doc.optionsChanged.connect(self._on_options)
        self.explorer.thresholdChanged.connect(doc.set_threshold)
        self.explorer.constraintsChanged.connect(doc.set_constraints)
        self.payoff_editor.payoffEdited.connect(self._on_payoff_edited)
        self.filter_bar.filtersChanged.connect(self._on_filters_edited)
        # Figures from a payoff the analyst has not given (suggested, or stale while it has errors).
        for signal in (doc.projectChanged, doc.analysisChanged, self.payoff_editor.validityChanged):
            signal.connect(self._update_payoff_banners)
        self.payoff_banners.confirmRequested.connect(doc.confirm_payoff)
        self.payoff_banners.editRequested.connect(self.edit_payoff)
        doc.thresholdMoved.connect(lambda message: self.statusBar().showMessage(message, 15000))
        # The segment column shown is part of the project and of links.
        self.segments_view.columnChanged.connect(doc.set_segment)
        doc.projectChanged.connect(lambda: self.segments_view.set_column(doc.project.segment))
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):  # Qt 6.5+
            hints.colorSchemeChanged.connect(self._on_color_scheme)

    def _on_color_scheme(self, _scheme=None) -> None:
        """Redraw the charts in the palette of the new system scheme (they pick it when cleared)."""
        if self.doc.analysis is not None:
            self._on_analysis(self.doc.analysis)
            self.explorer.redraw_chart()  # same curve: set_analysis alone would only move the marker

    # -- document -> views -----------------------------------------------------------------------------
    def _on_analysis(self, analysis) -> None:
        currency = self.doc.project.currency
        for view in (self.explorer, self.comparison_view, self.segments_view, self.trends_view):
            view.set_analysis(analysis, currency)
        self.explorer.set_threshold(self.doc.threshold)
        if analysis is not None:
            self.error_banner.hide()
        if self.doc.has_data:
            self.data_page.show_data(self.doc)
        self._update_actions()

    def _update_payoff_banners(self, *_args) -> None:
        p = self.doc.project
        self.payoff_banners.show_suggested(
            p.payoff_suggested and self.doc.has_data, payoff_summary(p.payoff, p.parameters)
        )
        stale = self.doc.analysis is not None and not self.payoff_editor.is_valid()
        self.payoff_banners.show_stale(stale)
        self.explorer.set_stale(stale)

    def edit_payoff(self) -> None:
        """Open the payoff editor on its first field (the banners' Edit action)."""
        self.tabs.setCurrentIndex(VIEWS.index("payoff"))
        self.payoff_editor.focus_first_problem()

    def _on_analysis_failed(self, message: str) -> None:
        self.error_banner.setText(f"The analysis cannot run: {message}")
        self.error_banner.show()
        self.statusBar().showMessage(message, 10000)
        if self.doc.has_data:
            self.data_page.show_data(self.doc)

    def _on_constraints(self, constraints) -> None:
        if self.explorer.constraints() != constraints:
            self.explorer.set_constraints(constraints)

    def _on_payoff(self) -> None:
        if self._syncing:
            return  # the editor itself made this change; do not reset its text under the cursor
        p = self.doc.project
        self.payoff_editor.set_payoff(dict(p.payoff), dict(p.parameters), dict(p.ranges))

    def _on_payoff_edited(self, expressions: dict, parameters: dict, ranges: dict) -> None:
        self._syncing = True
        try:
            self.doc.set_payoff(expressions, parameters, ranges)
        finally:
            self._syncing = False

    def _on_mapping(self) -> None:
        self.payoff_editor.set_columns(self.doc.columns)
        self._on_payoff()
        if self.doc.has_data:
            self.data_page.show_data(self.doc)
        else:
            self.data_page.show_welcome()
        self.filter_bar.setEnabled(self.doc.has_data)

    def _on_filters(self, filters) -> None:
        if not self._syncing and self.filter_bar.filters() != filters:
            self.filter_bar.set_filters(filters)

    def _on_filters_edited(self, filters) -> None:
        self._syncing = True
        try:
            self.doc.set_filters(filters)
        finally:
            self._syncing = False

    def _on_options(self, options) -> None:
        self.filter_bar.set_options(options.segments, options.date_min, options.date_max)
        self.filter_bar.set_filters(self.doc.project.filters)
        if self.doc.has_data:
            self.data_page.show_data(self.doc)

    def _on_view(self, view: str) -> None:
        if view in VIEWS:
            self.tabs.setCurrentIndex(VIEWS.index(view))

    def _on_busy(self, busy: bool, text: str) -> None:
        if busy:
            self.busy_label.setText(text or "Working…")
            self.progress_bar.setValue(0)
        for widget in (self.busy_label, self.progress_bar, self.cancel_button):
            widget.setVisible(busy)

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress_bar.setValue(int(fraction * 1000))
        if text:
            self.busy_label.setText(text[:1].upper() + text[1:])

    def _on_source_changed(self, names: list) -> None:
        answer = QMessageBox.question(
            self,
            "Data changed",
            f"{', '.join(names)} changed since the project was saved (different size or content).\n\n"
            "Re-import it and recompute the analysis with the data as it is now?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.doc.accept_changed_source()
            self.statusBar().showMessage(
                "Data re-imported; save the project to record the new fingerprint", 10000
            )
        else:
            self.doc.new()

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

        def clear(con, _progress):
            from roistudio.core.data.import_cache import ImportCache

            return ImportCache(Path(folder)).clear(con)

        def done(result: tuple[int, int]) -> None:
            count, freed = result
            noun = "import" if count == 1 else "imports"
            self.statusBar().showMessage(
                f"Deleted {count:,} cached {noun}, {freed / 1e6:,.1f} MB freed", 8000
            )

        self.worker.submit(
            clear, description="Clearing cached imports", on_done=done, on_error=self._show_error
        )

    def _on_data_failed(self, message: str) -> None:
        self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)
        QMessageBox.warning(self, APP_NAME, message)

    def _update_title(self, *_args) -> None:
        self.setWindowTitle(f"{self.doc.display_name()}[*] — {APP_NAME}")
        self.setWindowModified(self.doc.is_dirty())

    def _update_actions(self) -> None:
        has_analysis = self.doc.analysis is not None
        for action in (self.export_xlsx_action, self.export_pdf_action, self.copy_link_action):
            action.setEnabled(has_analysis)
        has_time = bool(self.doc.mapping and self.doc.mapping.timestamp)
        self.period_menu.setEnabled(has_time)
        analysis = self.doc.analysis
        time = analysis.validation.time if analysis is not None else None
        if time is not None and (self.doc.mapping is None or time.column != self.doc.mapping.timestamp):
            time = None  # the analysis shown is of another time column: offer every period
        for period, action in self.period_actions.items():
            action.setChecked(period == self.doc.project.period)
            # Period labels allow only some periods (month names: month or quarter).
            action.setEnabled(time is None or period in time.periods)
        self.report_details_action.setEnabled(self.doc.has_data)
        self.save_action.setEnabled(self.doc.has_data)
        self.save_as_action.setEnabled(self.doc.has_data)
        self.mapping_action.setEnabled(self.doc.has_data)

    # -- files ---------------------------------------------------------------------------------------
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

    def open_path(self, path: str) -> None:
        """Open a project, a data file or a ``roistudio://`` link."""
        from roistudio.core.project.links import is_link

        if is_link(path):
            self.open_link(path)
        elif str(path).lower().endswith(PROJECT_SUFFIX):
            self.open_project(path)
        else:
            self.open_data(path)

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
        if wizard.exec() and wizard.import_result is not None:
            self.doc.adopt_import(wizard.import_result, wizard.mapping())
            self.settings.add_recent(wizard.path)
            self.remove_recovery()
            self.tabs.setCurrentIndex(VIEWS.index("threshold"))
        else:
            # Nothing adopted: drop what the wizard may have imported (the open project keeps its own).
            self.doc._drop_table(table)

    def change_mapping(self) -> None:
        """Edit the column mapping of the loaded data (one undoable step)."""
        if not self.doc.has_data:
            return
        from roistudio.gui.document import ImportResult
        from roistudio.gui.import_wizard import ImportWizard

        result = ImportResult(self.doc.import_report, {})
        wizard = ImportWizard(self.worker, existing=result, initial_mapping=self.doc.mapping, parent=self)
        if wizard.exec():
            self.doc.set_mapping(wizard.mapping())

    def open_demo(self) -> None:
        self.finish_startup()
        if not self.maybe_save():
            return
        self.statusBar().showMessage("Loading the demo…")

        def done() -> None:
            self.statusBar().showMessage("Demo loaded: card-fraud predictions, champion vs challenger", 8000)
            self.tabs.setCurrentIndex(VIEWS.index("threshold"))

        self.doc.load_demo(on_done=done)

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open project", self.settings.last_folder(), PROJECT_FILTER
        )
        if path:
            self.open_project(path)

    def open_project(self, path: str, on_done=None) -> None:
        self.finish_startup()
        if not self.maybe_save():
            return
        try:
            relocated = self._locate_missing_source(path)
            self.doc.open_project(str(path), on_done=on_done, relocated=relocated)
        except RoiError as exc:
            self._show_error(str(exc))
            return
        self.settings.add_recent(str(path))
        self.settings.set_last_folder(str(path))
        self.remove_recovery()

    def _locate_missing_source(self, path: str) -> str | None:
        """If the project's data file is gone, ask where it is now (None: it is where it was)."""
        from roistudio.core.project.project import load_project

        project = load_project(path)
        if not project.sources or Path(project.sources[0].path).exists():
            return None
        name = project.sources[0].name
        answer = QMessageBox.question(
            self,
            "Data file not found",
            f"{project.sources[0].path}: the project's data file is not there any more.\n\nLocate {name}?",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Open,
        )
        if answer != QMessageBox.StandardButton.Open:
            return None
        found, _ = QFileDialog.getOpenFileName(self, f"Locate {name}", str(Path(path).parent), FILE_FILTER)
        return found or None

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
        from roistudio.core.money import CURRENCY_SYMBOLS

        dialog = QDialog(self)
        dialog.setWindowTitle("Report title and currency")
        title = QLineEdit(self.doc.project.title)
        title.setMinimumWidth(380)
        currency = QComboBox()
        currency.setEditable(True)
        currency.addItems(sorted(CURRENCY_SYMBOLS))
        currency.setCurrentText(self.doc.project.currency)
        currency.setToolTip("ISO code of the currency the payoff is in; used to format every amount")
        form = QFormLayout(dialog)
        form.addRow("Title", title)
        form.addRow("Currency", currency)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if dialog.exec():
            code = currency.currentText().strip().upper() or self.doc.project.currency
            self.doc.set_report_details(title=title.text().strip() or self.doc.project.title, currency=code)

    # -- links -----------------------------------------------------------------------------------------
    def current_link(self) -> str | None:
        """The ``roistudio://`` link of what is shown (needs a saved project)."""
        from roistudio.core.project.links import ViewLink, encode_link

        if not self.doc.path:
            return None
        p = self.doc.project
        link = ViewLink(
            project=str(Path(self.doc.path).resolve()),
            view=VIEWS[self.tabs.currentIndex()],
            threshold=self.doc.threshold,
            has_threshold=p.threshold_user_set,
            filters=p.filters,
            segment=self.segments_view.column() or p.segment,
        )
        return encode_link(link)

    def copy_link(self) -> None:
        if not self.doc.path and not self.save_as():
            return
        link = self.current_link()
        if link:
            QGuiApplication.clipboard().setText(link)
            self.statusBar().showMessage("Link to this view copied", 5000)

    def paste_link(self) -> None:
        text = QGuiApplication.clipboard().text().strip()
        if not text:
            self._show_error("The clipboard holds no link")
            return
        self.open_link(text)

    def open_link(self, text: str) -> None:
        from roistudio.core.project.links import decode_link

        try:
            link = decode_link(text)
        except RoiError as exc:
            self._show_error(str(exc))
            return

        def apply() -> None:
            self.doc.apply_link(link.view, link.threshold, link.has_threshold, link.filters, link.segment)

        same = self.doc.path and Path(self.doc.path).resolve() == Path(link.project).resolve()
        if same:
            apply()
        else:
            self.open_project(link.project, on_done=apply)

    # -- autosave and recovery ---------------------------------------------------------------------------
    def autosave(self) -> None:
        """Write unsaved work to the recovery file (every minute while there are unsaved changes)."""
        if not self.doc.is_dirty() or not self.doc.has_data:
            return
        try:
            self.recovery_path.parent.mkdir(parents=True, exist_ok=True)
            if self._recovery_lock is None:
                # Held while this session runs, so another running instance never offers our file.
                self._recovery_lock = QLockFile(str(self.recovery_path.with_suffix(".lock")))
                self._recovery_lock.tryLock(0)
            self.doc.write_recovery(str(self.recovery_path))
            meta = {"project_path": self.doc.path, "saved": dt.datetime.now().isoformat(timespec="seconds")}
            self.recovery_path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
        except (OSError, RoiError) as exc:
            self.statusBar().showMessage(f"Autosave failed: {exc}", 8000)

    def remove_recovery(self) -> None:
        for path in (self.recovery_path, self.recovery_path.with_suffix(".json")):
            with contextlib.suppress(OSError):
                path.unlink()
        if self._recovery_lock is not None:
            self._recovery_lock.unlock()
            self._recovery_lock = None

    def leftover_recovery(self) -> Path | None:
        """The newest autosave left by an earlier session that did not close cleanly."""
        folder = self.recovery_path.parent
        if not folder.is_dir():
            return None
        files = [
            p
            for p in folder.glob(f"autosave-*{PROJECT_SUFFIX}")
            if p != self.recovery_path and _owner_gone(p)
        ]
        return max(files, key=lambda p: p.stat().st_mtime) if files else None

    def offer_recovery(self) -> None:
        """Ask whether to restore unsaved work from a previous session; remove it either way."""
        leftover = self.leftover_recovery()
        if leftover is None:
            return
        meta_path = leftover.with_suffix(".json")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        original = meta.get("project_path")
        when = meta.get("saved", "an earlier session")
        answer = QMessageBox.question(
            self,
            "Recover unsaved work",
            f"Model ROI Studio did not close normally. Recover the unsaved work autosaved at {when}"
            + (f" (project {Path(original).name})" if original else "")
            + "?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )

        def discard() -> None:
            for path in (leftover, meta_path):
                with contextlib.suppress(OSError):
                    path.unlink()

        if answer != QMessageBox.StandardButton.Yes:
            discard()
            return

        def recovered() -> None:
            self.doc.mark_recovered(original)
            discard()

        try:
            self.doc.open_project(str(leftover), on_done=recovered)
        except RoiError as exc:
            self._show_error(str(exc))
            discard()

    # -- drag and drop ------------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            # Open after the drop returns, so the drag source is not blocked by a wizard.
            path = urls[0].toLocalFile()
            QTimer.singleShot(0, lambda: self.open_path(path))

    # -- help ------------------------------------------------------------------------------------------------
    def handle_welcome_link(self, target: str) -> None:
        actions = {"action:open-data": self.open_data, "action:open-project": self.open_project_dialog,
                   "action:demo": self.open_demo}  # fmt: skip
        if target in actions:
            actions[target]()
        else:
            QDesktopServices.openUrl(QUrl(target))

    def show_metrics(self) -> None:
        rows = "".join(f"<dt><b>{name}</b></dt><dd>{text}</dd>" for name, text in METRICS.items())
        QMessageBox.information(self, "What the numbers mean", f"<dl>{rows}</dl>")

    def about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<h3>{APP_NAME} {__version__}</h3><p>What a classifier is worth in money: threshold sweeps in "
            "money, champion vs challenger, Excel and PDF reports.</p>",
        )

    # -- closing -------------------------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if not self._closing and not self.maybe_save():
            event.ignore()
            return
        self._closing = True
        self.autosave_timer.stop()
        self.settings.set_geometry(self.saveGeometry())
        self.settings.sync()
        self.remove_recovery()
        if self._own_worker:
            self.worker.stop()
        event.accept()
