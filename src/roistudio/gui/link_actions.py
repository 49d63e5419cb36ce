"""The main window's ``roistudio://`` links and drops: copy and paste a link, open what is dropped.

A mixin of :class:`~roistudio.gui.main_window.MainWindow`. A link names a saved project, a view,
the segment column, the threshold and the filters (:mod:`roistudio.core.project.links`); opening
one opens its project if it is not the open one, then shows what it names.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QMainWindow, QTabWidget

from roistudio.core.errors import RoiError
from roistudio.core.project.project import PROJECT_SUFFIX, VIEWS

if TYPE_CHECKING:
    from roistudio.gui.document import ProjectDocument
    from roistudio.gui.segments_view import SegmentsView


if TYPE_CHECKING:
    _Window = QMainWindow  # a mixin of MainWindow: typed as the window it is part of
else:
    _Window = object


class LinkActions(_Window):
    """Links and drag and drop, for :class:`~roistudio.gui.main_window.MainWindow`."""

    if TYPE_CHECKING:  # provided by MainWindow and FileActions
        doc: ProjectDocument
        tabs: QTabWidget
        segments_view: SegmentsView

        def _show_error(self, message: str) -> None: ...
        def save_as(self) -> bool: ...
        def open_data(self, path: str | None = None) -> None: ...
        def open_project(self, path: str, on_done: Callable[[], None] | None = None) -> None: ...

    def open_path(self, path: str) -> None:
        """Open a project, a data file or a ``roistudio://`` link."""
        from roistudio.core.project.links import is_link

        if is_link(path):
            self.open_link(path)
        elif str(path).lower().endswith(PROJECT_SUFFIX):
            self.open_project(path)
        else:
            self.open_data(path)

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

    # -- drag and drop ------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            # Open after the drop returns, so the drag source is not blocked by a wizard.
            path = urls[0].toLocalFile()
            QTimer.singleShot(0, lambda: self.open_path(path))
