"""The main window on the demo: undo to clean, save/close prompts, autosave recovery, links, export."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

import roistudio.gui.main_window as main_window
from roistudio.core.engine.filters import Filters
from roistudio.core.project.demo import DEMO_PARAMETERS, demo_data_path
from roistudio.core.project.project import VIEWS
from roistudio.gui.app import NO_DISPLAY_MESSAGE
from roistudio.gui.settings import Settings
from tests.helpers import demo_payoff_value

pytestmark = pytest.mark.gui
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def make_window(qtbot, worker, tmp_path, monkeypatch):
    monkeypatch.setattr(main_window, "recovery_folder", lambda: tmp_path / "recovery")

    def make():
        settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
        window = main_window.MainWindow(worker, settings)
        # Closing at teardown must not wait for an answer nobody gives.
        window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
        qtbot.addWidget(window)
        window.show()
        return window

    return make


def _open_demo(qtbot, window):
    with qtbot.waitSignal(
        window.doc.analysisChanged, timeout=30_000, check_params_cb=lambda a: a is not None
    ):
        window.open_demo()
    return window


@pytest.fixture
def demo_window(qtbot, make_window):
    return _open_demo(qtbot, make_window())


def _demo_value_at(threshold: float) -> float:
    """The demo payoff summed with numpy over labelled rows, independently of the sweep."""
    import pandas as pd

    frame = pd.read_parquet(demo_data_path())
    return demo_payoff_value(frame, threshold, DEMO_PARAMETERS, score="champion_score")


def _demo_flagged_at(threshold: float) -> int:
    import pandas as pd

    frame = pd.read_parquet(demo_data_path(), columns=["champion_score", "is_fraud"])
    return int(((frame.champion_score >= threshold) & frame.is_fraud.notna()).sum())


def test_no_display_prints_one_line_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-m", "roistudio"], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr == NO_DISPLAY_MESSAGE + "\n"


def test_demo_opens_mapped_and_swept_in_the_real_views(demo_window):
    from roistudio.gui.explorer import ThresholdExplorer
    from roistudio.gui.payoff_editor import PayoffEditor
    from roistudio.gui.segments_view import SegmentsView
    from roistudio.gui.trends_view import TrendsView

    w = demo_window
    assert isinstance(w.explorer, ThresholdExplorer) and w.tabs.widget(2).isAncestorOf(w.explorer)
    assert isinstance(w.payoff_editor, PayoffEditor) and isinstance(w.segments_view, SegmentsView)
    assert isinstance(w.trends_view, TrendsView)
    assert [w.tabs.tabText(i) for i in range(w.tabs.count())] == [
        "Data", "Payoff", "Threshold explorer", "Comparison", "Segments", "Trends", "Calibration",
        "Sensitivity",
    ]  # fmt: skip
    analysis = w.doc.analysis
    assert analysis.challenger is not None and len(analysis.periods) == 12
    assert analysis.operating.value == pytest.approx(_demo_value_at(analysis.operating.threshold), abs=0.01)
    assert w.tabs.currentIndex() == VIEWS.index("threshold")
    assert not w.isWindowModified()


def test_threshold_moves_then_undo_is_clean_again(qtbot, demo_window, monkeypatch):
    from roistudio.gui import edit_command

    # Two slider moves merge into one undo step when they come within MERGE_SECONDS; on a busy
    # machine the first move's redraw can take longer than that, which is not what this tests.
    monkeypatch.setattr(edit_command, "MERGE_SECONDS", 3600.0)
    w = demo_window
    w.explorer.thresholdChanged.emit(0.3)
    w.explorer.thresholdChanged.emit(0.35)
    assert w.isWindowModified() and w.doc.analysis.operating.threshold == 0.35
    assert w.doc.analysis.operating.value == pytest.approx(_demo_value_at(0.35), abs=0.01)
    assert w.undo_action.text() == "&Undo Move threshold"
    w.undo_action.trigger()
    assert not w.isWindowModified()
    w.redo_action.trigger()
    assert w.doc.threshold == 0.35 and w.isWindowModified()


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_window(qtbot, demo_window, monkeypatch):
    w = demo_window
    w.doc.set_threshold(0.4)
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]
    monkeypatch.setattr(w, "ask_save_changes", lambda: answers.pop(0))
    w.autosave()
    assert w.recovery_path.exists()
    assert not w.close()
    assert w.isVisible() and w.recovery_path.exists()
    assert w.close()
    assert not w.recovery_path.exists()  # removed on close


def test_autosaved_work_is_offered_on_the_next_start(qtbot, demo_window, make_window, monkeypatch):
    crashed = demo_window
    crashed.doc.set_threshold(0.42)
    crashed.autosave()
    fresh = make_window()
    fresh.recovery_path = fresh.recovery_path.with_name("autosave-1.roiproj")
    assert fresh.leftover_recovery() is None  # its session still runs (holds the lock)
    crashed._recovery_lock.unlock()  # as if that process had died
    # The next session has another process id, hence another recovery file of its own.
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(fresh.doc.analysisChanged, timeout=30_000, check_params_cb=lambda a: a is not None):
        fresh.offer_recovery()
    assert fresh.doc.threshold == 0.42 and fresh.doc.project.threshold_user_set
    assert fresh.isWindowModified()
    assert fresh.doc.path is None
    assert not crashed.recovery_path.exists()  # consumed


def _crash_with_threshold(window, threshold: float) -> None:
    """Autosave ``threshold`` as unsaved work, then let go of the lock as a dead process would."""
    window.doc.set_threshold(threshold)
    assert window.autosave()
    window._recovery_lock.unlock()


def _recover(qtbot, window) -> None:
    with qtbot.waitSignal(
        window.doc.analysisChanged, timeout=30_000, check_params_cb=lambda a: a is not None
    ):
        window.offer_recovery()


def test_recovered_work_survives_a_second_crash_before_the_next_autosave(
    qtbot, demo_window, make_window, monkeypatch
):
    from roistudio.core.project.project import load_project

    crashed = demo_window
    _crash_with_threshold(crashed, 0.42)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    fresh = make_window()
    fresh.recovery_path = fresh.recovery_path.with_name("autosave-1.roiproj")
    _recover(qtbot, fresh)
    assert not crashed.recovery_path.exists()  # replaced by the new session's copy...
    assert fresh.recovery_path.exists()  # ...written at once, not a minute later
    # The second session dies too, before its autosave timer fires: a third still finds the work.
    fresh._recovery_lock.unlock()
    third = make_window()
    third.recovery_path = third.recovery_path.with_name("autosave-2.roiproj")
    assert third.leftover_recovery() == fresh.recovery_path
    recovered = load_project(fresh.recovery_path)
    assert recovered.threshold == 0.42 and recovered.threshold_user_set


def test_recovery_keeps_the_old_autosave_when_the_new_one_cannot_be_written(
    qtbot, demo_window, make_window, monkeypatch
):
    crashed = demo_window
    _crash_with_threshold(crashed, 0.42)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    fresh = make_window()
    fresh.recovery_path = fresh.recovery_path.with_name("autosave-1.roiproj")

    def disk_full(_path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fresh.doc, "write_recovery", disk_full)
    _recover(qtbot, fresh)
    assert fresh.doc.threshold == 0.42
    assert crashed.recovery_path.exists()  # still there, offered again next time
    assert fresh.statusBar().currentMessage() == "Autosave failed: [Errno 28] No space left on device"


def test_save_then_link_round_trip_opens_the_same_view(qtbot, demo_window, make_window, tmp_path):
    w = demo_window
    w.doc.set_threshold(0.25)
    with qtbot.waitSignal(w.doc.analysisChanged, timeout=30_000):
        w.doc.set_filters(Filters({"channel": ("online",)}))
    assert w._save_to(str(tmp_path / "fraud.roiproj"))
    assert not w.isWindowModified()
    w.tabs.setCurrentIndex(VIEWS.index("segments"))
    w.segments_view.column_box.setCurrentText("region")  # not the first segment column
    link = w.current_link()
    assert link.startswith(
        f"roistudio://open?project={tmp_path}/fraud.roiproj&view=segments&segment=region&threshold=0.25&filters="
    )

    other = make_window()
    with qtbot.waitSignal(other.doc.analysisChanged, timeout=30_000, check_params_cb=lambda a: a is not None):
        other.open_link(link)
    qtbot.waitUntil(lambda: other.tabs.currentIndex() == VIEWS.index("segments"), timeout=5000)
    assert other.doc.project.filters == Filters({"channel": ("online",)})
    assert other.doc.analysis.operating.threshold == 0.25
    assert other.explorer.threshold() == 0.25
    assert other.doc.analysis.operating.value == w.doc.analysis.operating.value
    assert other.segments_view.column() == "region"


def test_a_saved_project_keeps_the_segment_column_shown_and_the_parameter_order(
    qtbot, demo_window, make_window, tmp_path
):
    w = demo_window
    expressions, parameters, ranges = w.payoff_editor.payoff_state()
    reordered = dict(reversed(list(parameters.items())))  # not alphabetical, not the demo's order
    w.doc.set_payoff(expressions, reordered, ranges)  # same numbers: no sweep, but the order is kept
    assert list(w.doc.project.parameters) == list(reordered)
    w.tabs.setCurrentIndex(VIEWS.index("segments"))
    w.segments_view.column_box.setCurrentText("region")
    assert w._save_to(str(tmp_path / "kept.roiproj"))
    other = make_window()
    with qtbot.waitSignal(other.doc.analysisChanged, timeout=30_000, check_params_cb=lambda a: a is not None):
        other.open_path(str(tmp_path / "kept.roiproj"))
    qtbot.waitUntil(lambda: other.segments_view.column() == "region", timeout=5000)
    assert list(other.doc.project.parameters) == list(reordered)
    assert list(other.payoff_editor.payoff_state()[1]) == list(reordered)


def test_a_bad_link_says_what_is_wrong(qtbot, make_window, monkeypatch):
    w = make_window()
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    w.open_link("roistudio://open?project=x.roiproj&view=pie")
    assert shown == ["not a valid Model ROI Studio link: unknown view 'pie'; use one of data, payoff, "
                     "threshold, comparison, segments, trends, calibration, sensitivity"]  # fmt: skip


def test_export_writes_the_workbook_and_the_pdf(qtbot, demo_window, tmp_path):
    import openpyxl
    from pypdf import PdfReader

    w = demo_window
    targets = {"xlsx": str(tmp_path / "report.xlsx"), "pdf": str(tmp_path / "report.pdf")}
    with qtbot.waitSignal(w.exporter.finished, timeout=120_000) as done:
        w.exporter.write(targets)
    assert done.args == [[targets["xlsx"], targets["pdf"]]]
    threshold = w.doc.analysis.operating.threshold
    book = openpyxl.load_workbook(targets["xlsx"])
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows(min_col=1, max_col=2)}
    assert summary["Operating threshold"] == threshold
    assert summary["Flagged rows"] == _demo_flagged_at(threshold)
    first_page = PdfReader(targets["pdf"]).pages[0].extract_text()
    assert "Card fraud review" in first_page
    # The headline value, summed independently with pandas, as the PDF writes money: the demo's
    # payoff is costs only, so page 1 gives it as the cost left with the model.
    value = _demo_value_at(threshold)
    assert value < 0
    assert f"to ${abs(value):,.0f}." in " ".join(first_page.split())
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_dropping_a_project_file_opens_it(qtbot, make_window, monkeypatch, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    w = make_window()
    opened = []
    monkeypatch.setattr(w, "open_project", lambda path, on_done=None: opened.append(path))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.roiproj"))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)  # fmt: skip
    w.dropEvent(event)
    qtbot.waitUntil(lambda: bool(opened), timeout=2000)
    assert opened == [str(tmp_path / "a.roiproj")]


def test_clear_cached_imports_asks_then_deletes_the_unused_copies(qtbot, make_window, tmp_path, monkeypatch):
    import duckdb

    from roistudio.core.data.import_cache import ImportCache
    from roistudio.core.data.importer import import_file

    window = make_window()
    window.doc.import_cache_dir = tmp_path / "cache"
    csv = tmp_path / "old.csv"
    csv.write_text("score,label\n0.9,1\n0.2,0\n")
    con = duckdb.connect()
    stored = ImportCache(tmp_path / "cache").store(con, import_file(con, csv, table="data"))
    asked = []

    def answer(_parent, _title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    size = stored.stat().st_size
    window.clear_cache_action.trigger()
    qtbot.waitUntil(lambda: not stored.exists(), timeout=5000)
    assert asked and asked[0].startswith("Delete 1 cached import (")
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage() == f"Deleted 1 cached import, {size / 1e6:,.1f} MB freed",
        timeout=5000,
    )


def test_a_failed_cache_clear_tells_the_user_in_one_line(qtbot, make_window, tmp_path, monkeypatch):
    from roistudio.core.data.import_cache import ImportCache

    window = make_window()
    window.doc.import_cache_dir = tmp_path / "cache"
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "abc.duckdb").write_bytes(b"x" * 100)

    def denied(self, con):
        raise PermissionError(13, "Permission denied", str(tmp_path / "cache" / "abc.duckdb"))

    monkeypatch.setattr(ImportCache, "clear", denied)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    window.clear_cache_action.trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    # The error slot gets text, not the exception object (which showed the user nothing).
    assert shown == [
        f"Clearing cached imports failed: [Errno 13] Permission denied: '{tmp_path}/cache/abc.duckdb'"
    ]


def test_a_switch_to_the_dark_scheme_redraws_every_chart_dark(demo_window):
    from matplotlib.colors import to_rgba
    from PySide6.QtWidgets import QApplication

    from roistudio.charts.style import DARK, LIGHT
    from roistudio.gui import theme

    w = demo_window
    canvases = [w.explorer.canvas, w.comparison_view.canvas, w.segments_view.canvas, w.trends_view.canvas]
    assert all(c.chart_palette is LIGHT for c in canvases)
    app = QApplication.instance()
    original = app.palette()
    try:
        app.setPalette(theme.dark_palette())
        w._on_color_scheme()  # what Qt's colorSchemeChanged triggers
        assert all(c.chart_palette is DARK for c in canvases)
        assert all(c.figure.get_facecolor() == to_rgba(DARK.background) for c in canvases)
    finally:
        app.setPalette(original)


def test_the_window_module_loads_no_heavy_library_before_the_first_paint():
    # Cold start paints the window before pandas, matplotlib and DuckDB load (about 0.6 s of
    # imports on these machines); an eager import anywhere in the window's module graph undoes that.
    code = (
        "import sys, roistudio.gui.main_window, roistudio.gui.app; "
        "print(sorted(m for m in ('pandas', 'matplotlib', 'duckdb', 'openpyxl', 'reportlab') "
        "if m in sys.modules))"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_status_bar_is_idle_at_start_and_after_a_sweep(qtbot, make_window):
    w = make_window()
    busy = (w.busy_label, w.progress_bar, w.cancel_button)
    assert not any(widget.isVisible() for widget in busy) and w.busy_label.text() == ""
    _open_demo(qtbot, w)
    qtbot.waitUntil(lambda: not w.worker.busy, timeout=30_000)
    assert not any(widget.isVisible() for widget in busy)
    # Nothing left over from the last job ("Sweep done", a full bar) to show when the next starts.
    assert w.busy_label.text() == "" and w.progress_bar.value() == w.progress_bar.minimum() - 1
    w.doc.progress.emit(1.0, "Sweep done")  # a late progress report of a finished job
    assert w.busy_label.text() == "" and w.progress_bar.value() == w.progress_bar.minimum() - 1


def _import_into(qtbot, window, path):
    from roistudio.core.data.mapping import ColumnMapping
    from roistudio.gui.document import import_data

    box = {}
    window.worker.submit(
        lambda con, p: import_data(con, str(path), p), on_done=lambda r: box.setdefault("r", r)
    )
    qtbot.waitUntil(lambda: "r" in box, timeout=20_000)
    mapping = ColumnMapping("fraud_score", "is_fraud", positive="1", segments=("channel",), money=("amount",))
    with qtbot.waitSignal(
        window.doc.analysisChanged, timeout=30_000, check_params_cb=lambda a: a is not None
    ):
        window.doc.adopt_import(box["r"], mapping)


def test_a_suggested_payoff_shows_a_banner_until_confirmed_and_exports_say_so(qtbot, make_window, small_csv,
                                                                               tmp_path):  # fmt: skip
    import openpyxl
    from pypdf import PdfReader

    w = make_window()
    _import_into(qtbot, w, small_csv[0])
    banners = w.payoff_banners
    assert banners.is_suggested_shown()
    text = banners.suggested.label.text()
    assert "Example payoff, not confirmed." in text
    assert "TP = amount - review_cost, FP = -review_cost, FN = -amount; review_cost = 10" in text
    for view in range(w.tabs.count()):  # above the tabs: on every view
        w.tabs.setCurrentIndex(view)
        assert banners.isVisible() and banners.suggested.isVisible()
    targets = {"xlsx": str(tmp_path / "r.xlsx"), "pdf": str(tmp_path / "r.pdf")}
    with qtbot.waitSignal(w.exporter.finished, timeout=120_000):
        w.exporter.write(targets)
    assert "EXAMPLE PAYOFF, NOT CONFIRMED" in PdfReader(targets["pdf"]).pages[0].extract_text()
    assert openpyxl.load_workbook(targets["xlsx"])["Summary"]["A3"].value.startswith("EXAMPLE PAYOFF")
    banners.confirm_button.click()
    assert not w.doc.project.payoff_suggested and not banners.is_suggested_shown()
    with qtbot.waitSignal(w.exporter.finished, timeout=120_000):
        w.exporter.write(targets)
    assert "EXAMPLE PAYOFF" not in PdfReader(targets["pdf"]).pages[0].extract_text()
    assert openpyxl.load_workbook(targets["xlsx"])["Summary"]["A3"].value is None
    banners.edit_button.click()
    assert w.tabs.currentIndex() == VIEWS.index("payoff")


def test_figures_are_marked_stale_while_the_payoff_has_errors(qtbot, demo_window):
    w = demo_window
    assert not w.payoff_banners.is_suggested_shown()  # the demo's payoff is its own, confirmed
    editor = w.payoff_editor
    fp = editor.expression_edit("fp")
    original = fp.text()
    fp.setText("-review_cost -")  # half-typed: no analysis can run on it
    assert w.payoff_banners.is_stale_shown()
    assert "from the previous valid payoff" in w.payoff_banners.stale.label.text()
    assert not w.explorer.tiles["value"].isEnabled()  # dimmed
    fp.setText(original)
    assert not w.payoff_banners.is_stale_shown()
    assert w.explorer.tiles["value"].isEnabled()
