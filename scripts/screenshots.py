"""Screenshots of every view on the demo data, for the user guide (docs/screenshots/*.png).

Runs the app offscreen (no display needed), shows the start page, opens the bundled demo, visits
each page and the import wizard, and saves ``widget.grab()`` images. The user guide
(``docs/guide/``) shows them; ``tests/test_guide.py`` checks that every image it links exists and
is made here::

    python scripts/screenshots.py [--out docs/screenshots] [--dark]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

SIZE = (1280, 820)


def wait(app, condition, timeout: float = 60.0) -> None:
    """Process events until ``condition()`` is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float = 0.3) -> None:
    """Let debounced redraws and layouts finish."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "screenshots"))
    parser.add_argument("--dark", action="store_true", help="use the dark palette")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QSettings, QStandardPaths
    from PySide6.QtWidgets import QApplication

    QStandardPaths.setTestModeEnabled(True)  # never touch the user's recovery folder
    app = QApplication([sys.argv[0]])
    from roistudio.gui import theme

    app.setStyle("Fusion")
    app.setPalette(theme.dark_palette() if args.dark else theme.light_palette())

    from roistudio.core.project.demo import demo_data_path
    from roistudio.core.project.project import VIEWS
    from roistudio.gui.main_window import MainWindow
    from roistudio.gui.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings=settings)
        window.resize(*SIZE)
        window.show()
        suffix = "-dark" if args.dark else ""
        settle(app, 0.6)
        window.grab().save(str(out / f"welcome{suffix}.png"))
        print(out / f"welcome{suffix}.png")
        window.open_demo()
        wait(app, lambda: window.doc.analysis is not None)
        wait(app, lambda: not window.worker.busy)
        for i, view in enumerate(VIEWS):
            window.tabs.setCurrentIndex(i)
            settle(app, 0.6)
            path = out / f"{view}{suffix}.png"
            window.grab().save(str(path))
            print(path)
        # The explorer's bridge tab (docs/guide/threshold-explorer.md).
        window.tabs.setCurrentIndex(VIEWS.index("threshold"))
        window.explorer.chart_tabs.setCurrentWidget(window.explorer.bridge)
        settle(app, 0.6)
        window.grab().save(str(out / f"bridge{suffix}.png"))
        print(out / f"bridge{suffix}.png")
        window.explorer.chart_tabs.setCurrentIndex(0)

        from roistudio.gui.import_wizard import ImportWizard

        wizard = ImportWizard(window.worker, str(demo_data_path()), table="screenshot_import", parent=window)
        wizard.resize(900, 640)
        wizard.show()
        wait(app, lambda: wizard.preview_page.model.rowCount() > 0)  # read on the worker
        settle(app)
        wizard.grab().save(str(out / f"wizard-preview{suffix}.png"))
        wizard.next()
        wait(app, lambda: wizard.import_page.state != "running")
        wizard.next()
        wait(app, lambda: wizard.mapping_page.positive.count() > 1)
        settle(app)
        wizard.grab().save(str(out / f"wizard-mapping{suffix}.png"))
        wizard.next()
        wait(
            app, lambda: wizard.validation_page.report is not None or wizard.validation_page.error is not None
        )
        settle(app)
        wizard.grab().save(str(out / f"wizard-check{suffix}.png"))
        for name in ("wizard-preview", "wizard-mapping", "wizard-check"):
            print(out / f"{name}{suffix}.png")
        wizard.reject()
        window.doc.undo_stack.clear()
        window.close()
        window.worker.wait(5000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
