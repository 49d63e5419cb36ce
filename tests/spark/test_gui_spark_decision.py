"""The app's Spark views: walk-forward, sensitivity and the label-delay estimate, aggregated by Spark.

A project opened from Spark (File > Open from Spark...) in the real main window: the background
jobs compute the walk-forward (Trends), the sensitivity (Sensitivity view) and the calibration
check and estimate (Calibration view) with Spark's aggregates, and the figures equal the DuckDB
engine's on the same file and request.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import duckdb
import pytest

from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.engine.analysis import analyse
from roistudio.core.engine.decision import decide
from roistudio.core.engine.estimate import estimate_label_delay
from roistudio.core.engine.spark_source import SparkSource

from .test_engines_agree import assert_same
from .test_gui_spark import parquet  # noqa: F401  # the module's 600-row Parquet file (a fixture)

MAPPING = ColumnMapping(
    "fraud_score", "is_fraud", segments=("channel",), timestamp="event_time", money=("amount",)
)


@pytest.fixture
def worker(qtbot):
    from roistudio.gui.workers import DatabaseWorker

    db = DatabaseWorker()
    db.start()
    yield db
    db.stop()


@pytest.fixture
def window(qtbot, worker, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    from roistudio.gui import main_window
    from roistudio.gui.settings import Settings

    monkeypatch.setattr(main_window, "recovery_folder", lambda: tmp_path / "recovery")
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    w = main_window.MainWindow(worker, settings)
    w.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(w)
    w.show()
    return w


def test_spark_views_show_walk_forward_sensitivity_and_the_estimate(qtbot, window, spark, parquet):  # noqa: F811
    from roistudio.gui.decision_views import options_for
    from roistudio.gui.spark_source import open_spark

    w = window
    with qtbot.waitSignal(w.doc.analysisChanged, timeout=240_000, check_params_cb=lambda a: a is not None):
        open_spark(w.doc, SparkSource("local[2]", path=parquet), mapping=MAPPING)
    project = w.doc.project
    # A parameter edit with ranges for every parameter: one more Spark sweep, then the background jobs.
    params = {name: value * 2 + 1 for name, value in project.parameters.items()}
    ranges = {name: (value * 0.5, value * 2) for name, value in params.items()}
    assert ranges
    with qtbot.waitSignal(w.doc.analysisChanged, timeout=240_000, check_params_cb=lambda a: a is not None):
        w.doc.set_payoff(dict(project.payoff), params, ranges)
    qtbot.waitUntil(lambda: w.sensitivity_view.table.rowCount() == len(ranges), timeout=600_000)
    qtbot.waitUntil(lambda: w.label_delay.label_delay is not None, timeout=600_000)
    analysis = w.doc.analysis

    # The same figures from DuckDB on the same file and request.
    con = duckdb.connect()
    con.execute(f"CREATE VIEW data AS SELECT * FROM read_parquet('{parquet}')")
    duck = analyse(con, "data", analysis.request)
    expected = decide(con, duck, options_for(w.doc.project, duck), only=("backtest", "sensitivity"))
    table = w.sensitivity_view.table
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == [
        b.name for b in expected.sensitivity.parameters
    ]
    assert "Monte Carlo" in w.sensitivity_view.caption.text()
    assert "Walk-forward" in w.trends_view.walk_forward.text()
    shown = w.trends_view.walk_forward.text()
    from roistudio.gui.widgets import format_money

    assert f"earns {format_money(expected.backtest.value, w.doc.project.currency)} over" in shown
    estimate = estimate_label_delay(con, duck)
    got = w.label_delay.label_delay
    assert_same(estimate.calibration.to_dict(), got.calibration.to_dict())
    threshold = analysis.operating.threshold
    assert_same(
        estimate.unlabeled_at(threshold).to_dict("isotonic"), got.unlabeled_at(threshold).to_dict("isotonic")
    )
    assert w.calibration_view.caption.text().startswith(f"Brier score {estimate.calibration.brier:.4f} raw")
