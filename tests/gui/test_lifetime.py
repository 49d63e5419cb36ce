"""Qt objects die on the GUI thread: nothing the app leaves behind waits for Python's cyclic collector.

The cyclic collector runs on whichever thread allocates, the database worker included (issue 7,
item 1: a closed import wizard, freed by the collector while an export ran on the worker,
crashed the app). These tests look at what the collector would free and at what a job keeps.
"""

from __future__ import annotations

import gc
import random
import weakref

import pytest
import shiboken6
from PySide6.QtCore import QAbstractItemModel, QObject, QSettings
from PySide6.QtWidgets import QLayout, QMessageBox, QWidget

import roistudio.gui.main_window as main_window
from roistudio.gui.settings import Settings
from tests.gui.test_soak import drive_wizard

pytestmark = pytest.mark.gui


def _live_qt_objects_only_the_collector_would_free() -> list[str]:
    """Live widgets, layouts and item models that only reference cycles kept: ``gc.collect()`` frees them.

    (Earlier tests' parentless workers and settings objects may show up late: not widgets.)
    """
    watched = [
        (weakref.ref(o), type(o).__name__)
        for o in gc.get_objects()
        if isinstance(o, QWidget | QAbstractItemModel | QLayout) and shiboken6.isValid(o)
    ]
    gc.collect()
    return [name for ref, name in watched if ref() is None or not shiboken6.isValid(ref())]


@pytest.fixture
def window(qtbot, worker, tmp_path, monkeypatch):
    monkeypatch.setattr(main_window, "recovery_folder", lambda: tmp_path / "recovery")
    monkeypatch.setenv("ROISTUDIO_IMPORT_CACHE", "0")
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    w = main_window.MainWindow(worker, settings)
    w.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.mark.parametrize("then", ["finish", "cancel"])
def test_import_wizard_and_change_mapping_leave_no_qt_object_to_the_collector(qtbot, window, small_csv, then):
    path, _frame = small_csv
    drive_wizard(finish=True, rng=random.Random(1))
    window.open_data(str(path))
    qtbot.waitUntil(lambda: window.doc.analysis is not None, timeout=30_000)
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=30_000)
    qtbot.wait(10)  # the wizard's deferred delete runs in the event loop
    assert _live_qt_objects_only_the_collector_would_free() == []

    drive_wizard(finish=then == "finish", rng=random.Random(0))  # cancel: at the first page
    window.change_mapping()
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=30_000)
    qtbot.wait(10)
    assert _live_qt_objects_only_the_collector_would_free() == []


def test_a_delivered_job_keeps_no_callback_and_its_progress_is_no_qt_object(qtbot, worker):
    seen = []
    owner = QWidget()
    qtbot.addWidget(owner)

    def fn(_con, progress):
        seen.append(isinstance(progress, QObject))
        progress.progress(0.5, "half")
        return 42

    with qtbot.waitSignal(worker.busyChanged, timeout=10_000, check_params_cb=lambda busy, _t: not busy):
        job = worker.submit(fn, on_done=seen.append, owner=owner)
    qtbot.waitUntil(lambda: 42 in seen, timeout=10_000)
    assert seen == [False, 42]
    # Released on the GUI thread at delivery: the worker never holds the last reference to a
    # closure over widgets.
    assert job.on_done is None and job.owner is None
    with pytest.raises(RuntimeError, match="already delivered"):
        job.fn(None, None)


def test_callbacks_of_a_deleted_owner_are_skipped(qtbot, worker):
    import threading

    release = threading.Event()
    calls = []
    owner = QWidget()
    job = worker.submit(lambda _c, _p: release.wait(10), on_done=calls.append, owner=owner)
    shiboken6.delete(owner)  # the dialog closed and was deleted while its job ran
    release.set()
    qtbot.waitUntil(lambda: job.finished, timeout=10_000)
    assert calls == []


def test_cyclic_garbage_made_while_a_worker_runs_dies_on_the_gui_thread(worker, qtbot):
    """A cycle dropped on the GUI thread is not collected by the worker's allocations (CI's segfault)."""
    import gc
    import threading

    died_on: list[str] = []

    class Cycle:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            died_on.append(threading.current_thread().name)

    assert not gc.isenabled()  # the worker holds the GUI-thread collector
    Cycle()  # garbage only the cyclic collector can free
    done: list[int] = []
    # The worker keeps far more new containers than generation 0's threshold: the automatic
    # collector would run there, on the worker thread.
    worker.submit(lambda con, progress: [[i] for i in range(200_000)], on_done=done.append)
    qtbot.waitUntil(lambda: bool(done) and bool(died_on), timeout=10_000)
    assert died_on == [threading.main_thread().name]


def test_stopping_the_last_worker_gives_collection_back(qtbot):
    import gc

    from roistudio.gui.workers import DatabaseWorker

    assert gc.isenabled()
    first, second = DatabaseWorker(), DatabaseWorker()
    first.start()
    second.start()
    first.stop()
    assert not gc.isenabled()  # the second still runs
    second.stop()
    assert gc.isenabled()
