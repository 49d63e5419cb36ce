"""The main window's actions and menus: what each menu item does and its shortcut.

The actions are attributes of the window (``window.undo_action``...), so the window enables
them and tests trigger them; their slots are the window's methods and the document's edits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from roistudio.core.glossary import PERIODS
from roistudio.core.project.project import VIEWS

if TYPE_CHECKING:
    from roistudio.gui.main_window import MainWindow

T = TypeVar("T")


def _action(
    window: MainWindow,
    text: str,
    slot: Callable[[], object],
    shortcut: str | QKeySequence | QKeySequence.StandardKey | None = None,
    tip: str = "",
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(slot)
    return action


def _call(fn: Callable[[T], object], value: T) -> Callable[..., None]:
    """A slot calling ``fn(value)`` whatever the signal passes (``triggered`` passes ``checked``)."""

    def slot(*_args: object) -> None:
        fn(value)

    return slot


def build_actions(window: MainWindow) -> None:
    """The window's actions (menu items and shortcuts), set as attributes of ``window``."""

    def A(
        text: str,
        slot: Callable[[], object],
        shortcut: str | QKeySequence | QKeySequence.StandardKey | None = None,
        tip: str = "",
    ) -> QAction:
        return _action(window, text, slot, shortcut, tip)

    window.new_action = A("&New project", window.new_project, QKeySequence.StandardKey.New)
    window.open_data_action = A(
        "&Open data…", window.open_data, "Ctrl+O", "Import a CSV, Parquet or Excel export"
    )
    from roistudio.gui.spark_dialog import open_from_spark

    window.open_spark_action = A("Open from &Spark…", lambda: open_from_spark(window),
                                 tip="Analyse a table or Parquet/CSV path where Spark reads it")  # fmt: skip
    window.open_project_action = A("Open &project…", window.open_project_dialog, "Ctrl+Shift+O")
    window.demo_action = A("Open the &demo", window.open_demo, tip="Card-fraud predictions, mapped and swept")
    window.save_action = A("&Save", window.save, "Ctrl+S")
    window.save_as_action = A("Save &as…", window.save_as, "Ctrl+Shift+S")
    window.export_xlsx_action = A("Export &Excel…", lambda: window.exporter.export("xlsx"), "Ctrl+E")
    window.export_pdf_action = A("Export P&DF…", lambda: window.exporter.export("pdf"), "Ctrl+Shift+E")
    window.copy_link_action = A("Copy &link to this view", window.copy_link, "Ctrl+Shift+C")
    window.quit_action = A("&Quit", window.close, QKeySequence.StandardKey.Quit)
    window.undo_action = window.doc.undo_stack.createUndoAction(window, "&Undo")
    window.undo_action.setShortcuts([QKeySequence("Ctrl+Z")])
    window.redo_action = window.doc.undo_stack.createRedoAction(window, "&Redo")
    window.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    window.paste_link_action = A("&Paste link", window.paste_link, "Ctrl+Shift+V", "Open a roistudio:// link")
    window.clear_cache_action = A("&Clear cached imports…", window.clear_import_cache,
                                tip="Delete the copies of imported files kept to reopen them fast")  # fmt: skip
    window.optimum_action = A("Use the &best threshold", window.doc.use_optimum, "Ctrl+B",
                            "Let the analysis pick the threshold (optimum, or best under the constraints)")  # fmt: skip
    window.mapping_action = A("Change column &mapping…", window.change_mapping, "Ctrl+M")
    window.report_details_action = A("Report &title and currency…", window.edit_report_details,
                                   tip="Title and currency of the exported workbook and PDF")  # fmt: skip
    window.about_action = A("&About Model ROI Studio", window.about)
    window.metrics_action = A(
        "What the &numbers mean", window.show_metrics, QKeySequence.StandardKey.HelpContents
    )
    window.view_actions = []
    for i in range(len(VIEWS)):
        title = window.tabs.tabText(i)  # the tabs are built first, from VIEWS
        action = A(title, _call(window.tabs.setCurrentIndex, i), f"Ctrl+{i + 1}")
        window.view_actions.append(action)


def build_menus(window: MainWindow) -> None:
    """The menu bar: File, Edit, View (with the trend period), Help."""
    menu = window.menuBar().addMenu("&File")
    menu.addActions(
        [window.new_action, window.open_data_action, window.open_project_action, window.demo_action]
    )
    menu.insertAction(window.open_project_action, window.open_spark_action)  # gui.spark_dialog
    window.recent_menu = menu.addMenu("Open &recent")
    window.recent_menu.aboutToShow.connect(lambda: _fill_recent(window))
    menu.addSeparator()
    menu.addActions([window.save_action, window.save_as_action])
    menu.addSeparator()
    menu.addAction(window.report_details_action)
    menu.addActions([window.export_xlsx_action, window.export_pdf_action, window.copy_link_action])
    menu.addSeparator()
    menu.addAction(window.quit_action)
    edit = window.menuBar().addMenu("&Edit")
    edit.addActions([window.undo_action, window.redo_action])
    edit.addSeparator()
    edit.addActions([window.optimum_action, window.mapping_action])
    edit.addSeparator()
    edit.addAction(window.paste_link_action)
    edit.addSeparator()
    edit.addAction(window.clear_cache_action)
    view = window.menuBar().addMenu("&View")
    view.addActions(window.view_actions)
    view.addSeparator()
    window.period_menu = view.addMenu("Trend &period")
    window.period_menu.setToolTipsVisible(True)
    window.period_group = QActionGroup(window)
    window.period_actions = {}
    for period in PERIODS:
        action = window.period_menu.addAction(period.capitalize())
        action.setCheckable(True)
        action.setToolTip(f"Break the Trends view down by {period}")
        action.triggered.connect(lambda _=False, p=period: window.doc.set_period(p))
        window.period_group.addAction(action)
        window.period_actions[period] = action
    help_menu = window.menuBar().addMenu("&Help")
    help_menu.addActions([window.metrics_action, window.about_action])


def _fill_recent(window: MainWindow) -> None:
    window.recent_menu.clear()
    recent = window.settings.recent_files()
    for path in recent:
        window.recent_menu.addAction(Path(path).name, _call(window.open_path, path)).setStatusTip(path)
    if not recent:
        window.recent_menu.addAction("(none)").setEnabled(False)
    else:
        window.recent_menu.addSeparator()
        window.recent_menu.addAction("Clear list", window.settings.clear_recent)
