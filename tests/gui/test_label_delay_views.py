"""Trends and Calibration views on the demo: the estimate computed in the background, shown apart."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from roistudio.core.project.project import VIEWS
from roistudio.gui import main_window
from roistudio.gui.settings import Settings

pytestmark = pytest.mark.gui


@pytest.fixture
def demo_window(qtbot, worker, tmp_path, monkeypatch):
    monkeypatch.setattr(main_window, "recovery_folder", lambda: tmp_path / "recovery")
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = main_window.MainWindow(worker, settings)
    window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    window.show()
    window.open_demo()
    qtbot.waitUntil(lambda: window.label_delay.label_delay is not None, timeout=60_000)
    return window


def test_estimate_reaches_trends_and_calibration(qtbot, demo_window):
    w = demo_window
    ld = w.label_delay.label_delay
    analysis = w.doc.analysis
    # The same numbers as the core gives for this analysis, read at its threshold.
    est = ld.unlabeled_at(analysis.operating.threshold)
    assert est.rows == analysis.champion.curve.unlabeled > 0
    w.tabs.setCurrentIndex(VIEWS.index("trends"))
    trends = w.trends_view
    col = trends.model.column_index("Estimate")
    assert not trends.table.isColumnHidden(col)
    last = max(range(trends.model.rowCount()), key=lambda r: trends.model.row_object(r).key)
    assert trends.model.row_object(last).fully_unlabeled
    assert trends.model.data(trends.model.index(last, col)) == f"-${abs(est.value):,.0f}"
    assert "Estimate for Nov 2026: -$" in trends.caption.text()
    legend = [t.get_text() for t in trends.canvas.figure.axes[0].get_legend().get_texts()]
    assert "estimate (labels not yet known)" in legend
    w.tabs.setCurrentIndex(VIEWS.index("calibration"))
    cal = w.calibration_view
    assert cal.caption.text().startswith(f"Brier score {ld.calibration.brier:.4f} raw")
    assert cal.table.rowCount() == len(ld.calibration.bins)
    assert f"Estimate for {est.rows:,} rows not yet labelled" in cal.estimate_label.text()


def test_threshold_move_rereads_without_a_new_job_and_method_change_reruns(qtbot, demo_window):
    w = demo_window
    first = w.label_delay.label_delay
    w.doc.set_threshold(0.5)
    qtbot.waitUntil(
        lambda: w.doc.analysis.operating.threshold == pytest.approx(0.5, abs=0.01), timeout=10_000
    )
    assert w.label_delay.label_delay is first
    expected = first.periods_at(w.doc.analysis.operating.threshold)
    assert w.trends_view._estimates.keys() == expected.keys()
    assert w.trends_view._estimates["2026-11-01"].value == pytest.approx(expected["2026-11-01"].value)
    moved = first.unlabeled_at(w.doc.analysis.operating.threshold)
    assert f"rows not yet labelled: -${abs(moved.value):,.0f}" in w.calibration_view.estimate_label.text()
    w.calibration_view.method.setCurrentText("platt")
    qtbot.waitUntil(
        lambda: (
            w.label_delay.label_delay is not None and w.label_delay.label_delay.calibration.method == "platt"
        ),
        timeout=30_000,
    )


def test_payoff_edit_reruns_the_estimate_with_the_new_payoff(qtbot, demo_window):
    w = demo_window
    first = w.label_delay.label_delay
    project = w.doc.project
    parameters = dict(project.parameters) | {"review_cost": 50.0}
    w.doc.set_payoff(dict(project.payoff), parameters, dict(project.ranges))
    qtbot.waitUntil(
        lambda: w.label_delay.label_delay is not None and w.label_delay.label_delay is not first,
        timeout=60_000,
    )
    threshold = w.doc.analysis.operating.threshold
    # A higher review cost makes every flagged row cost more: the estimate falls.
    assert w.label_delay.label_delay.unlabeled_at(threshold).value < first.unlabeled_at(threshold).value


def test_export_carries_the_estimate_the_app_shows(qtbot, demo_window, tmp_path):
    import openpyxl

    w = demo_window
    target = str(tmp_path / "report.xlsx")
    with qtbot.waitSignal(w.exporter.finished, timeout=120_000):
        w.exporter.write({"xlsx": target})
    ws = openpyxl.load_workbook(target)["Estimate"]
    cells = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    est = w.label_delay.label_delay.unlabeled_at(w.doc.analysis.operating.threshold)
    assert cells["Estimated value"] == pytest.approx(est.value)
