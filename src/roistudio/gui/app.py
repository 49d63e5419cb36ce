"""Start the desktop app: ``roistudio [FILE | PROJECT.roiproj | roistudio://LINK] [--demo]``.

Heavy libraries load lazily: Qt and the window first so it paints quickly, DuckDB when the
database thread starts, pandas and matplotlib when a view or the importer first needs them.
Set ``ROISTUDIO_STARTUP_TIMING=1`` to print the time to the first painted window on stderr and
quit (used to measure cold starts).

Set ``ROISTUDIO_SMOKE=PATH.png`` to open the window, wait until the views are built (and, with
``--demo``, until the demo is analysed), save a picture of the window to ``PATH.png``, print the
start-up time and quit: exit code 0, or 1 if the demo could not be loaded or analysed. The
installers' smoke test runs the bundled app this way (``installers/smoke_test.py``).
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from roistudio.gui.main_window import MainWindow

NO_DISPLAY_MESSAGE = (
    "roistudio: no display found; set QT_QPA_PLATFORM=offscreen to run without a screen, "
    "or use `roistudio report` for files"
)
SMOKE_ENV = "ROISTUDIO_SMOKE"
SMOKE_TIMEOUT_MS = 180_000


def has_display(environ: dict[str, str] | None = None, platform: str | None = None) -> bool:
    """False on Linux/BSD without X11 or Wayland, unless a Qt platform plugin is chosen explicitly."""
    env = os.environ if environ is None else environ
    platform = platform or sys.platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return True
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def run_app(target: str | None = None, *, demo: bool = False) -> int:
    """Run the GUI until its window closes; return the exit code.

    Parameters
    ----------
    target
        A data file to import, a ``.roiproj`` project or a ``roistudio://`` link to open.
    demo
        Open the bundled demo data set, mapped and swept.

    Returns
    -------
    int
        0 after a normal exit; 2 when there is no display (one line is printed on stderr).
    """
    started = time.perf_counter()
    if not has_display():
        print(NO_DISPLAY_MESSAGE, file=sys.stderr)
        return 2

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from roistudio.gui.settings import APPLICATION, ORGANISATION
    from roistudio.gui.theme import apply_theme

    existing = QApplication.instance()
    app = (
        existing
        if isinstance(existing, QApplication)
        else QApplication([sys.argv[0] if sys.argv else "roistudio"])
    )
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    apply_theme(app)
    _set_window_icon(app)

    from roistudio.gui.main_window import MainWindow

    window = MainWindow(lazy=True)
    window.show()
    app.processEvents()  # the first paint, before anything heavy loads
    if os.environ.get("ROISTUDIO_STARTUP_TIMING") or os.environ.get(SMOKE_ENV):
        print(f"roistudio: window painted after {time.perf_counter() - started:.2f} s", file=sys.stderr)

    def after_first_paint() -> None:
        window.finish_startup()
        if os.environ.get("ROISTUDIO_STARTUP_TIMING"):
            print(f"roistudio: views ready after {time.perf_counter() - started:.2f} s", file=sys.stderr)
            window.close()
            return
        window.offer_recovery()
        if demo:
            window.open_demo()
        elif target:
            window.open_path(target)

    QTimer.singleShot(0, after_first_paint)
    smoke = os.environ.get(SMOKE_ENV)
    if smoke:
        _arm_smoke_test(app, window, smoke, demo=demo, started=started)
    return int(app.exec())


def _set_window_icon(app: QApplication) -> None:
    """The app icon (resources/icons, drawn in roistudio.svg) on every window, where it is installed."""
    from PySide6.QtGui import QIcon

    from roistudio.core.errors import DataError
    from roistudio.core.project.demo import resources_dir

    try:
        folder = resources_dir() / "icons"
    except DataError:
        return
    icon = QIcon()
    for png in sorted(folder.glob("roistudio-*.png")):
        icon.addFile(str(png))
    if not icon.isNull():
        app.setWindowIcon(icon)


def _arm_smoke_test(
    app: QApplication, window: MainWindow, picture: str, *, demo: bool, started: float
) -> None:
    """Quit once the window is ready (see the module docstring), saving a picture of it first."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    done: list[int] = []

    def finish(code: int, message: str) -> None:
        if done:
            return
        done.append(code)
        if code == 0 and not window.grab().save(picture):
            code, message = 1, f"could not save {picture}"
        print(f"roistudio: {message} after {time.perf_counter() - started:.2f} s", file=sys.stderr)
        window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]  # nobody is there to answer
        window.close()  # stops the database thread
        app.exit(code)

    def unhandled(kind: type[BaseException], value: BaseException, traceback: TracebackType | None) -> None:
        sys.__excepthook__(kind, value, traceback)
        finish(1, f"unhandled {kind.__name__}: {value}")

    sys.excepthook = unhandled  # an error in a slot would otherwise leave the app running

    if demo:

        def when_idle() -> None:
            # The views redraw from queued events; grab once the database thread is idle too.
            if window.worker.busy:
                QTimer.singleShot(100, when_idle)
            else:
                QTimer.singleShot(500, lambda: finish(0, "demo analysed"))

        def analysed(analysis: object) -> None:
            if analysis is not None:
                when_idle()

        window.doc.analysisChanged.connect(analysed)
        window.doc.analysisFailed.connect(lambda text: finish(1, f"analysis failed: {text}"))
        window.doc.dataFailed.connect(lambda text: finish(1, f"demo not loaded: {text}"))
    else:  # queued after after_first_paint, which builds the views
        QTimer.singleShot(0, lambda: finish(0, "views ready"))
    QTimer.singleShot(SMOKE_TIMEOUT_MS, lambda: finish(1, "smoke test timed out"))
