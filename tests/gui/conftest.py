"""GUI test setup: offscreen Qt, settings and app data in temporary folders, a database worker.

``QT_QPA_PLATFORM`` must be set before Qt is imported anywhere, so it is set at the top of this
file, which pytest imports before the GUI test modules.
"""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_qt_storage(tmp_path_factory):
    """Keep QSettings and QStandardPaths away from the user's real files."""
    from PySide6.QtCore import QSettings, QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield


@pytest.fixture
def worker(qtbot):
    """A running database worker on an in-memory DuckDB; stopped after the test."""
    from roistudio.gui.workers import DatabaseWorker

    db = DatabaseWorker()
    db.start()
    yield db
    db.stop()


def small_frame(rows: int = 400, seed: int = 7) -> pd.DataFrame:
    """Predictions with a clear score/label relation, money, a segment and a month column."""
    rng = np.random.default_rng(seed)
    label = rng.random(rows) < 0.2
    score = np.clip(np.where(label, 0.65, 0.3) + rng.normal(0, 0.18, rows), 0, 1).round(3)
    return pd.DataFrame(
        {
            "transaction_id": np.arange(1, rows + 1),
            "fraud_score": score,
            "is_fraud": label.astype(int),
            "amount": rng.gamma(2.0, 40.0, rows).round(2),
            "channel": rng.choice(["web", "store", "phone"], rows),
            "event_time": pd.date_range("2026-01-01", periods=rows, freq="17h"),
        }
    )


@pytest.fixture
def small_csv(tmp_path):
    """A small CSV export (400 rows) and its frame."""
    frame = small_frame()
    path = tmp_path / "predictions.csv"
    frame.to_csv(path, index=False)
    return path, frame


@pytest.fixture
def demo_main_window(qtbot, worker, tmp_path, monkeypatch):
    """The main window (shown, offscreen) with the demo open and analysed, on the explorer's tab."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    import roistudio.gui.main_window as main_window
    from roistudio.gui.settings import Settings

    monkeypatch.setattr(main_window, "recovery_folder", lambda: tmp_path / "recovery")
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = main_window.MainWindow(worker, settings)
    window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard  # no prompt at teardown
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(
        window.doc.analysisChanged, timeout=30_000, check_params_cb=lambda a: a is not None
    ):
        window.open_demo()
    window.tabs.setCurrentIndex(main_window.VIEWS.index("threshold"))
    return window
