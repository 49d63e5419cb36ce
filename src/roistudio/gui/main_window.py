"""The main window: menus, the six pages, the filter bar, status bar, files, autosave and recovery.

The window composes the views (payoff editor, threshold explorer, comparison, segments, trends,
filter bar) and wires them to one :class:`~roistudio.gui.document.ProjectDocument`. Views never
change the project themselves: they emit signals, the window turns them into undoable document
edits, and the document's signals update every view.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QStandardPaths, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from roistudio import __version__
from roistudio.core.glossary import METRICS as GLOSSARY_METRICS
from roistudio.core.project.project import PROJECT_SUFFIX, VIEWS
from roistudio.gui import project_loading
from roistudio.gui.data_page import DataPage
from roistudio.gui.document import ProjectDocument
from roistudio.gui.editor_sync import EditorSync
from roistudio.gui.export_actions import Exporter
from roistudio.gui.file_actions import APP_NAME, FileActions
from roistudio.gui.link_actions import LinkActions
from roistudio.gui.menus import build_actions, build_menus
from roistudio.gui.payoff_banner import PayoffBanners, payoff_summary
from roistudio.gui.recovery import Recovery, recovery_folder
from roistudio.gui.settings import Settings
from roistudio.gui.workers import DatabaseWorker

if TYPE_CHECKING:
    from roistudio.core.data.filter_options import FilterOptions
    from roistudio.core.engine.analysis import Analysis

AUTOSAVE_MS = 60_000
TAB_TITLES = {
    "data": "Data",
    "payoff": "Payoff",
    "threshold": "Threshold explorer",
    "comparison": "Comparison",
    "segments": "Segments",
    "trends": "Trends",
    "calibration": "Calibration",
    "sensitivity": "Sensitivity",
}
METRICS = dict(GLOSSARY_METRICS)  # Help > Definitions


def import_cache_folder() -> Path:
    """Where imported tables are kept between sessions (the platform's cache folder)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
    return Path(base or Path.home() / ".cache" / "roistudio") / "imports"


class MainWindow(FileActions, LinkActions, QMainWindow):
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

    # Set by gui.menus.build_actions / build_menus.
    about_action: QAction
    clear_cache_action: QAction
    copy_link_action: QAction
    demo_action: QAction
    export_pdf_action: QAction
    export_xlsx_action: QAction
    mapping_action: QAction
    metrics_action: QAction
    new_action: QAction
    open_data_action: QAction
    open_spark_action: QAction  # gui.spark_dialog
    open_project_action: QAction
    optimum_action: QAction
    paste_link_action: QAction
    quit_action: QAction
    redo_action: QAction
    report_details_action: QAction
    save_action: QAction
    save_as_action: QAction
    undo_action: QAction
    view_actions: list[QAction]
    period_actions: dict[str, QAction]
    period_group: QActionGroup
    period_menu: QMenu
    recent_menu: QMenu

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
        self._busy = False
        self._closing = False
        self._started = False
        self.recovery = Recovery(
            self.doc,
            recovery_folder() / f"autosave-{os.getpid()}{PROJECT_SUFFIX}",
            parent=self,
            # An autosave that failed stays said until the status line says something else: the
            # work is unprotected, and a message gone after a few seconds is easily missed.
            show_status=lambda text: self.statusBar().showMessage(text),
            show_error=lambda text: self._show_error(text),
        )
        self._build_pages()
        self._build_status_bar()
        build_actions(self)
        build_menus(self)
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
        from roistudio.gui.calibration_view import CalibrationView
        from roistudio.gui.comparison_view import ComparisonView
        from roistudio.gui.explorer import ThresholdExplorer
        from roistudio.gui.filter_bar import FilterBar
        from roistudio.gui.label_delay import LabelDelayController
        from roistudio.gui.payoff_editor import PayoffEditor
        from roistudio.gui.segments_view import SegmentsView
        from roistudio.gui.trends_view import TrendsView

        self.payoff_editor = PayoffEditor()
        self.explorer = ThresholdExplorer()
        self.comparison_view = ComparisonView()
        self.segments_view = SegmentsView()
        self.trends_view = TrendsView()
        self.calibration_view = CalibrationView()
        from roistudio.gui.decision_views import DecisionJobs, SensitivityView

        self.sensitivity_view = SensitivityView()
        for view, widget in (
            ("payoff", self.payoff_editor),
            ("threshold", self.explorer),
            ("comparison", self.comparison_view),
            ("segments", self.segments_view),
            ("trends", self.trends_view),
            ("calibration", self.calibration_view),
            ("sensitivity", self.sensitivity_view),
        ):
            holder = self._holders[view]
            item = holder.takeAt(0)  # the "Loading…" label
            loading = item.widget() if item is not None else None
            if loading is not None:
                loading.hide()  # deleteLater alone leaves it painted until the event loop runs
                loading.deleteLater()
            holder.addWidget(widget)
        self.filter_bar = FilterBar()
        self.filter_bar.setToolTip("Which rows every analysis looks at (segments and dates)")
        self.filter_bar.setEnabled(False)
        self.top_layout.replaceWidget(self.filter_placeholder, self.filter_bar)
        self.filter_placeholder.deleteLater()
        self._connect_views()
        # After _connect_views: on each analysis the views are set first, then the estimate.
        self.label_delay = LabelDelayController(
            self.doc, self.worker, self.trends_view, self.calibration_view, self
        )
        self.exporter.label_delay_source = self.label_delay.for_export
        self.decision_jobs = DecisionJobs(self)  # intervals, verdict, walk-forward, sensitivity

    # -- construction ---------------------------------------------------------------------------------
    def _build_pages(self) -> None:
        self.data_page = DataPage(self)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self._holders: dict[str, QVBoxLayout] = {}
        for view in VIEWS:
            page: QWidget
            if view == "data":
                page = self.data_page
            else:
                # A holder the real view is put into by finish_startup().
                page = QWidget()
                holder = QVBoxLayout(page)
                holder.setContentsMargins(0, 0, 0, 0)
                self._holders[view] = holder
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
        self.tabs.setTabToolTip(
            VIEWS.index("calibration"),
            "Can the scores be read as probabilities? The estimate for rows not yet labelled",
        )
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
        # Two-way: the payoff editor, the filter bar and the constraints <-> the document.
        self.editor_sync = EditorSync(doc, self.payoff_editor, self.filter_bar, self.explorer)
        doc.mappingChanged.connect(self._on_mapping)
        doc.dataLoaded.connect(lambda _report: self._on_mapping())
        doc.optionsChanged.connect(self._on_options)
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

    def _on_color_scheme(self, _scheme: object = None) -> None:
        """Redraw the charts in the palette of the new system scheme (they pick it when cleared)."""
        if self.doc.analysis is not None:
            self._on_analysis(self.doc.analysis)
            self.explorer.redraw_chart()  # same curve: set_analysis alone would only move the marker

    # -- document -> views -----------------------------------------------------------------------------
    def _on_analysis(self, analysis: Analysis | None) -> None:
        currency = self.doc.project.currency
        for view in (self.explorer, self.comparison_view, self.segments_view, self.trends_view):
            view.set_analysis(analysis, currency)
        self.explorer.set_threshold(self.doc.threshold)
        if analysis is not None:
            self.error_banner.hide()
        if self.doc.has_data:
            self.data_page.show_data(self.doc)
        self._update_actions()

    def _update_payoff_banners(self, *_args: object) -> None:
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

    def _on_mapping(self) -> None:
        self.payoff_editor.set_columns(self.doc.columns)
        self.editor_sync.show_payoff()
        if self.doc.has_data:
            self.data_page.show_data(self.doc)
        else:
            self.data_page.show_welcome()
        self.filter_bar.setEnabled(self.doc.has_data)

    def _on_options(self, options: FilterOptions) -> None:
        self.filter_bar.set_options(options.segments, options.date_min, options.date_max)
        self.filter_bar.set_filters(self.doc.project.filters)
        if self.doc.has_data:
            self.data_page.show_data(self.doc)

    def _on_view(self, view: str) -> None:
        if view in VIEWS:
            self.tabs.setCurrentIndex(VIEWS.index(view))

    def _on_busy(self, busy: bool, text: str) -> None:
        self._busy = busy
        if busy:
            self.busy_label.setText(text or "Working…")
            self.progress_bar.setValue(0)
        else:
            # Idle shows nothing: no "Sweep done" and full bar left over from the last job.
            self.busy_label.clear()
            self.progress_bar.reset()
        for widget in (self.busy_label, self.progress_bar, self.cancel_button):
            widget.setVisible(busy)

    def _on_progress(self, fraction: float, text: str) -> None:
        if not self._busy:
            return  # progress of a job already over
        self.progress_bar.setValue(int(fraction * 1000))
        if text:
            self.busy_label.setText(text[:1].upper() + text[1:])

    def _on_source_changed(self, names: list[str]) -> None:
        answer = QMessageBox.question(
            self,
            "Data changed",
            f"{', '.join(names)} changed since the project was saved (different size or content).\n\n"
            "Re-import it and recompute the analysis with the data as it is now?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer == QMessageBox.StandardButton.Yes:
            project_loading.accept_changed_source(self.doc)
            self.statusBar().showMessage(
                "Data re-imported; save the project to record the new fingerprint", 10000
            )
        else:
            self.doc.new()

    def _on_data_failed(self, message: str) -> None:
        self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)
        QMessageBox.warning(self, APP_NAME, message)

    def _update_title(self, *_args: object) -> None:
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

    # -- autosave and recovery (gui.recovery) -------------------------------------------------------------
    @property
    def recovery_path(self) -> Path:
        return self.recovery.path

    @recovery_path.setter
    def recovery_path(self, path: Path) -> None:
        self.recovery.path = path

    @property
    def _recovery_lock(self) -> QLockFile | None:
        return self.recovery.lock

    def autosave(self) -> bool:
        """Write unsaved work to the recovery file; True when it now holds the current work."""
        return self.recovery.autosave()

    def remove_recovery(self) -> None:
        self.recovery.remove()

    def leftover_recovery(self) -> Path | None:
        return self.recovery.leftover()

    def offer_recovery(self) -> None:
        """Ask whether to restore unsaved work from a previous session (see gui.recovery)."""
        self.recovery.offer()

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
    def closeEvent(self, event: QCloseEvent) -> None:
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
