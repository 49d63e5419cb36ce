"""Persistent preferences: window geometry, recent files, last folder (QSettings).

Settings live under the organisation ``ModelROIStudio``; tests point QSettings at a temporary
folder so they never touch the user's own.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANISATION = "ModelROIStudio"
APPLICATION = "Model ROI Studio"
MAX_RECENT = 10


class Settings:
    """Typed access to the app's QSettings."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store or QSettings(ORGANISATION, APPLICATION)

    # -- recent files ----------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        """Recently opened projects and data files, newest first, only those that still exist."""
        value = self._store.value("recent_files", [])
        items = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple) else []
        return [str(p) for p in items if Path(str(p)).exists()]

    def add_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        items = [p for p in self.recent_files() if p != path]
        self._store.setValue("recent_files", [path, *items][:MAX_RECENT])

    def clear_recent(self) -> None:
        self._store.setValue("recent_files", [])

    # -- window ------------------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self._store.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, geometry: QByteArray) -> None:
        self._store.setValue("window/geometry", geometry)

    # -- folders -------------------------------------------------------------------------------------
    def last_folder(self) -> str:
        return str(self._store.value("last_folder", str(Path.home())))

    def set_last_folder(self, path: str) -> None:
        folder = Path(path)
        self._store.setValue("last_folder", str(folder if folder.is_dir() else folder.parent))

    def sync(self) -> None:
        self._store.sync()
