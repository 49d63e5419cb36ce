"""The decision figures in the app: computed in the background after the main figures, then shown."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

import roistudio.gui.main_window as main_window
from roistudio.core.engine.decision import decide
from roistudio.gui.decision_views import options_for
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
    with qtbot.waitSignal(
        window.doc.analysisChanged, timeout=30_000, check_params_cb=lambda a: a is not None
    ):
        window.open_demo()
    return window


def test_views_show_the_background_figures(qtbot, demo_window):
    w = demo_window
    # The main figures are up first; the intervals say they are on their way.
    assert w.explorer.interval_label.text() == "Intervals: computing in the background…"
    w.tabs.setCurrentIndex(w.tabs.count() - 1)  # looking at the Sensitivity tab cancels nothing
    qtbot.waitUntil(lambda: "intervals (1,000 bootstrap" in w.explorer.interval_label.text(), timeout=120_000)
    analysis = w.doc.analysis
    # The same figures as the core computes with the app's options (same seed: identical).
    expected = decide(w.worker.connection, analysis, options_for(w.doc.project, analysis))
    u = expected.uncertainty
    assert f"P(challenger better) = {u.p_challenger_better:.2f}" in w.comparison_view.verdict.text()
    assert w.comparison_view.verdict.text().startswith("Verdict: PROMOTE")
    assert "Walk-forward" in w.trends_view.walk_forward.text()
    sens = expected.sensitivity
    table = w.sensitivity_view.table
    assert table.rowCount() == len(sens.parameters) == len(w.doc.project.ranges)
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == [b.name for b in sens.parameters]
    assert "Monte Carlo" in w.sensitivity_view.caption.text()
    assert w.doc.project.view == "sensitivity"


def test_a_threshold_move_marks_the_intervals_stale(qtbot, demo_window):
    w = demo_window
    qtbot.waitUntil(lambda: "intervals (" in w.explorer.interval_label.text(), timeout=120_000)
    w.doc.set_threshold(0.2)
    assert w.explorer.interval_label.text() == "Intervals: computing in the background…"
    qtbot.waitUntil(lambda: "intervals (" in w.explorer.interval_label.text(), timeout=120_000)
    assert w.doc.analysis.operating.threshold == 0.2


def test_the_sensitivity_reuses_the_sweeps_column_sums(qtbot, demo_window, monkeypatch):
    """The decision job is given the sweep's column-sums cache: the demo payoff (affine in
    ``amount``, linear in its parameters) is then split from the cached sums, without the
    per-parameter scan (``linear_aggregates``) it needs otherwise."""
    from roistudio.core.engine import sensitivity

    scans = []
    real = sensitivity.linear_aggregates
    monkeypatch.setattr(sensitivity, "linear_aggregates", lambda *a, **k: scans.append(a) or real(*a, **k))
    w = demo_window
    assert w.doc.sums_cache is not None  # the first sweep created it
    qtbot.waitUntil(lambda: "intervals (" in w.explorer.interval_label.text(), timeout=120_000)
    assert w.sensitivity_view.table.rowCount() == len(w.doc.project.ranges) > 0
    assert scans == []
