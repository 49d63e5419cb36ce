"""Start the desktop app: ``roistudio [FILE | PROJECT.roiproj | roistudio://LINK] [--demo]``.

Heavy libraries load lazily: Qt and the window first so it paints quickly, DuckDB when the
database thread starts, pandas and matplotlib when a view or the importer first needs them.
Set ``ROISTUDIO_STARTUP_TIMING=1`` to print the time to the first painted window on stderr and
quit (used to measure cold starts).
"""

from __future__ import annotations

import os
import sys
import time

NO_DISPLAY_MESSAGE = (
    "roistudio: no display found; set QT_QPA_PLATFORM=offscreen to run without a screen, "
    "or use `roistudio report` for files"
)


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

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "roistudio"])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    apply_theme(app)

    from roistudio.gui.main_window import MainWindow

    window = MainWindow(lazy=True)
    window.show()
    app.processEvents()  # the first paint, before anything heavy loads
    if os.environ.get("ROISTUDIO_STARTUP_TIMING"):
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
    return int(app.exec())
