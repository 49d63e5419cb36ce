"""Autosave and crash recovery: unsaved work copied to the app data folder, offered after a crash.

Every minute while the project has unsaved changes, the window writes it to
``<app data>/recovery/autosave-<pid>.roiproj`` (with a ``.json`` beside it naming the project it
belongs to) and holds ``autosave-<pid>.lock`` while the session runs. At start-up, an autosave
whose lock is free belongs to a session that did not close normally: the user is offered to
recover it. The old autosave is removed only once the recovered work is autosaved again by this
session, so a second crash right after a recovery loses nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QStandardPaths
from PySide6.QtWidgets import QMessageBox, QWidget

from roistudio.core.errors import RoiError
from roistudio.core.project.project import PROJECT_SUFFIX
from roistudio.gui import project_loading

if TYPE_CHECKING:
    from roistudio.gui.document import ProjectDocument


def recovery_folder() -> Path:
    """Where autosaved copies of unsaved work live (the platform's app data folder)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".roistudio") / "recovery"


def _owner_gone(autosave: Path) -> bool:
    """True when the session that wrote ``autosave`` no longer runs (its lock file is free or stale)."""
    lock = QLockFile(str(autosave.with_suffix(".lock")))
    lock.setStaleLockTime(0)  # judge by the owner process only, however old the lock
    if not lock.tryLock(0):
        return False
    lock.unlock()  # removes the lock file
    return True


class Recovery:
    """The autosave file of one session, and recovery of another session's.

    Parameters
    ----------
    document
        The open project.
    path
        This session's autosave file.
    parent
        The window the recovery question is asked over.
    show_status, show_error
        Where a failed autosave and a recovery that cannot be opened are reported (one line).
    """

    def __init__(
        self,
        document: ProjectDocument,
        path: Path,
        *,
        parent: QWidget,
        show_status: Callable[[str], None],
        show_error: Callable[[str], None],
    ) -> None:
        self.doc = document
        self.path = path
        self.lock: QLockFile | None = None
        self._parent = parent
        self._show_status = show_status
        self._show_error = show_error

    def autosave(self) -> bool:
        """Write unsaved work to the recovery file (every minute while there are unsaved changes).

        Returns True when the recovery file now holds the current work (False: nothing to save,
        or the write failed, which the status line says).
        """
        if not self.doc.is_dirty() or not self.doc.has_data:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.lock is None:
                # Held while this session runs, so another running instance never offers our file.
                self.lock = QLockFile(str(self.path.with_suffix(".lock")))
                self.lock.tryLock(0)
            self.doc.write_recovery(str(self.path))
            meta = {"project_path": self.doc.path, "saved": dt.datetime.now().isoformat(timespec="seconds")}
            self.path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
        except (OSError, RoiError) as exc:
            self._show_status(f"Autosave failed: {exc}")
            return False
        return True

    def remove(self) -> None:
        """Remove this session's autosave (the work is saved, discarded, or the app closes)."""
        for path in (self.path, self.path.with_suffix(".json")):
            with contextlib.suppress(OSError):
                path.unlink()
        if self.lock is not None:
            self.lock.unlock()
            self.lock = None

    def leftover(self) -> Path | None:
        """The newest autosave left by an earlier session that did not close cleanly."""
        folder = self.path.parent
        if not folder.is_dir():
            return None
        files = [p for p in folder.glob(f"autosave-*{PROJECT_SUFFIX}") if p != self.path and _owner_gone(p)]
        return max(files, key=lambda p: p.stat().st_mtime) if files else None

    def offer(self) -> None:
        """Ask whether to restore unsaved work from a previous session.

        Declined, the old autosave is removed; accepted, it is removed once this session has
        autosaved the recovered work (kept if that fails, so it is offered again).
        """
        leftover = self.leftover()
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
            self._parent,
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
            # The recovered work is still unsaved: write it to this session's autosave at once,
            # and only then remove the old one. Were the old one removed first, a second crash
            # before the next timed autosave (up to a minute) would lose everything; should this
            # write fail, the old file stays and is offered again.
            if self.autosave():
                discard()

        try:
            project_loading.open_project(self.doc, str(leftover), on_done=recovered)
        except RoiError as exc:
            self._show_error(str(exc))
            discard()
