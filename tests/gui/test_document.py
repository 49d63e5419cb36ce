"""The document and the database worker: undo, dirty state, save/reopen, stale sweeps, responsiveness."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QTimer

from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.engine.filters import Filters
from roistudio.gui import project_loading
from roistudio.gui.document import ImportResult, ProjectDocument, import_data

pytestmark = pytest.mark.gui

MAPPING = ColumnMapping(
    "fraud_score", "is_fraud", positive="1", id="transaction_id", timestamp="event_time",
    segments=("channel",), money=("amount",),
)  # fmt: skip


def _run(qtbot, worker, fn):
    """Run ``fn(con, progress)`` on the worker and return its result."""
    box = {}
    worker.submit(fn, on_done=lambda r: box.setdefault("r", r), on_error=lambda e: box.setdefault("e", e))
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    assert "e" not in box, box.get("e")
    return box["r"]


@pytest.fixture
def doc(qtbot, worker, small_csv):
    path, _ = small_csv
    result: ImportResult = _run(qtbot, worker, lambda con, p: import_data(con, str(path), p))
    document = ProjectDocument(worker)
    with qtbot.waitSignal(document.analysisChanged, timeout=10_000, check_params_cb=lambda a: a is not None):
        document.adopt_import(result, MAPPING)
    return document


def _value_at(frame, threshold, review_cost=10.0):
    """Payoff ``tp = amount - review_cost, fp = -review_cost, fn = -amount`` summed with pandas."""
    flagged = frame.fraud_score >= threshold
    fraud = frame.is_fraud == 1
    return float(
        (frame.amount - review_cost)[flagged & fraud].sum()
        - review_cost * (flagged & ~fraud).sum()
        - frame.amount[~flagged & fraud].sum()
    )


def test_threshold_moves_read_the_curve_without_a_query_and_merge_into_one_undo_step(qtbot, doc, small_csv):
    _, frame = small_csv
    submitted = []
    original = doc.worker.submit
    doc.worker.submit = lambda *a, **k: submitted.append(k.get("kind")) or original(*a, **k)
    for t in (0.5, 0.55, 0.6):
        doc.set_threshold(t)
    assert submitted == []  # no sweep for a threshold move
    assert doc.undo_stack.count() == 1
    assert doc.analysis.operating.threshold == 0.6
    assert doc.analysis.operating.value == pytest.approx(_value_at(frame, 0.6), abs=1e-6)
    assert doc.is_dirty()
    doc.undo_stack.undo()
    assert not doc.is_dirty()
    assert not doc.project.threshold_user_set
    # Back to the optimum: no threshold on the frame beats it.
    best = max(_value_at(frame, t) for t in frame.fraud_score.unique())
    assert doc.analysis.operating.value == pytest.approx(max(best, _value_at(frame, 2.0)), abs=1e-6)


def test_parameter_edit_sweeps_again_and_undo_restores_the_numbers(qtbot, doc, small_csv):
    _, frame = small_csv
    doc.set_threshold(0.5)
    with qtbot.waitSignal(doc.analysisChanged, timeout=10_000):
        doc.set_payoff(dict(doc.project.payoff), {"review_cost": 25.0}, dict(doc.project.ranges))
    assert doc.undo_stack.undoText() == "Change parameter review_cost"
    assert doc.analysis.operating.value == pytest.approx(_value_at(frame, 0.5, 25.0), abs=1e-6)
    with qtbot.waitSignal(doc.analysisChanged, timeout=10_000):
        doc.undo_stack.undo()
    assert doc.analysis.operating.value == pytest.approx(_value_at(frame, 0.5, 10.0), abs=1e-6)
    doc.undo_stack.undo()
    assert not doc.is_dirty()


def test_filter_edit_restricts_the_rows(qtbot, doc, small_csv):
    _, frame = small_csv
    with qtbot.waitSignal(doc.analysisChanged, timeout=10_000):
        doc.set_filters(Filters({"channel": ("web",)}))
    assert doc.analysis.rows == int((frame.channel == "web").sum())


def test_save_and_reopen_give_the_same_state(qtbot, doc, worker, tmp_path):
    doc.set_threshold(0.55)
    with qtbot.waitSignal(doc.analysisChanged, timeout=10_000):
        doc.set_filters(Filters({"channel": ("web", "phone")}))
    doc.set_view("segments")
    target = tmp_path / "fraud.roiproj"
    doc.save(str(target))
    assert not doc.is_dirty()
    before = doc.analysis.operating

    other = ProjectDocument(worker)
    with qtbot.waitSignal(other.analysisChanged, timeout=10_000, check_params_cb=lambda a: a is not None):
        project_loading.open_project(other, str(target))
    assert other.project == doc.project
    assert other.path == str(target)
    assert not other.is_dirty()
    assert other.analysis.operating == before


def test_reopening_reads_an_unchanged_file_from_the_import_cache(qtbot, doc, worker, tmp_path):
    target = tmp_path / "fraud.roiproj"
    doc.save(str(target))
    cache = tmp_path / "cache"
    analyses = []
    for _ in range(2):  # the first open imports and keeps a copy; the second attaches it
        other = ProjectDocument(worker)
        other.import_cache_dir = cache
        with qtbot.waitSignal(other.analysisChanged, timeout=10_000, check_params_cb=lambda a: a is not None):
            project_loading.open_project(other, str(target))
        analyses.append(other.analysis)
        table = other.import_report.table
        kind = worker.connection.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = $t "
            "AND table_catalog = current_database()",
            {"t": table},
        ).fetchone()[0]
        assert other.import_report.rows == 400
    assert kind == "VIEW"  # the second open: a view over the cached copy, no CSV read
    assert len(list(cache.glob("*.duckdb"))) == 1
    assert analyses[1].champion.optimum == analyses[0].champion.optimum
    assert analyses[1].operating == doc.analysis.operating


def test_changed_source_is_reported_before_use(qtbot, doc, worker, tmp_path, small_csv):
    path, frame = small_csv
    doc.save(str(tmp_path / "p.roiproj"))
    frame.head(300).to_csv(path, index=False)
    other = ProjectDocument(worker)
    with qtbot.waitSignal(other.sourceChanged, timeout=10_000) as blocker:
        project_loading.open_project(other, str(tmp_path / "p.roiproj"))
    assert blocker.args == [["predictions.csv"]]
    assert other.analysis is None
    with qtbot.waitSignal(other.analysisChanged, timeout=10_000, check_params_cb=lambda a: a is not None):
        project_loading.accept_changed_source(other)
    assert other.analysis.rows == 300
    assert other.is_dirty()


def test_superseded_requests_drop_stale_results(qtbot, worker):
    release = threading.Event()
    seen = []

    def old_job(con, progress):
        release.wait(10)  # ignores its cancel token on purpose: the result must still be dropped
        return "old"

    worker.submit(old_job, kind="analysis", on_done=seen.append)
    worker.submit(lambda con, p: "newer", kind="analysis", on_done=seen.append)
    newest = worker.submit(lambda con, p: "newest", kind="analysis", on_done=seen.append)
    release.set()
    qtbot.waitUntil(lambda: newest.finished, timeout=10_000)
    assert seen == ["newest"]
    assert worker.dropped == 2


def test_gui_thread_keeps_running_during_a_sweep(qtbot, doc):
    ticks = []
    resumed = threading.Event()
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(1) or (len(ticks) >= 5 and resumed.set()))
    done = []

    def sweep_then_wait_for_ticks(con, progress):
        from roistudio.core.engine.analysis import analyse

        result = analyse(con, "data", doc.build_request(), progress=progress)
        # Returns only if the GUI thread's timer keeps firing while this thread works.
        assert resumed.wait(10), "the GUI thread did not tick during the sweep"
        return result

    timer.start()
    doc.worker.submit(sweep_then_wait_for_ticks, on_done=done.append, on_error=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=15_000)
    timer.stop()
    assert done[0].rows == 400


def test_cancel_interrupts_a_running_query(qtbot, worker):
    outcome = []
    job = worker.submit(
        lambda con, p: con.execute("SELECT count(*) FROM range(10000000000) a WHERE a % 7 = 3").fetchone(),
        on_done=lambda r: outcome.append("done"),
        on_cancel=lambda: outcome.append("cancelled"),
        on_error=outcome.append,
    )
    qtbot.waitUntil(lambda: worker._current is job, timeout=5000)
    worker.cancel(job)
    qtbot.waitUntil(lambda: bool(outcome), timeout=2000)
    assert outcome == ["cancelled"]


def test_cancel_between_statements_stops_the_next_statement(qtbot, worker):
    # A cancel that lands while no statement runs (DuckDB ignores that interrupt) must still
    # stop the job's next statement, not let it run to the end.
    started, outcome = threading.Event(), []

    def pause_then_query(con, progress):
        started.set()
        time.sleep(0.3)
        return con.execute("SELECT count(*) FROM range(10000000000) a WHERE a % 7 = 3").fetchone()

    worker.submit(
        pause_then_query,
        on_done=lambda r: outcome.append("done"),
        on_cancel=lambda: outcome.append("cancelled"),
        on_error=outcome.append,
    )
    assert started.wait(5)
    worker.cancel_current()
    qtbot.waitUntil(lambda: bool(outcome), timeout=3000)
    assert outcome == ["cancelled"]


def test_period_change_regroups_the_trend_and_undoes(qtbot, doc, small_csv):
    _, frame = small_csv
    assert len(doc.analysis.periods) == frame.event_time.dt.to_period("M").nunique()
    with qtbot.waitSignal(doc.analysisChanged, timeout=10_000):
        doc.set_period("quarter")
    assert len(doc.analysis.periods) == frame.event_time.dt.to_period("Q").nunique()
    assert doc.undo_stack.undoText() == "Change period"


def test_currency_change_is_one_undo_step_without_a_sweep(qtbot, doc):
    submitted = []
    original = doc.worker.submit
    doc.worker.submit = lambda *a, **k: submitted.append(k.get("kind")) or original(*a, **k)
    with qtbot.waitSignal(doc.analysisChanged, timeout=2000):
        doc.set_report_details(currency="EUR")
    assert submitted == [] and doc.project.currency == "EUR"
    doc.undo_stack.undo()
    assert doc.project.currency == "USD" and not doc.is_dirty()


def test_parameter_ranges_are_edited_undone_and_saved(qtbot, doc, worker, tmp_path):
    # Nothing reads Project.ranges yet (the uncertainty work will); it must survive every path.
    expressions, parameters = dict(doc.project.payoff), dict(doc.project.parameters)
    before = dict(doc.project.ranges)
    edited = {**before, "review_cost": (4.0, 25.0)}
    doc.set_payoff(expressions, parameters, edited)
    assert doc.project.ranges == edited
    doc.undo_stack.undo()
    assert doc.project.ranges == before
    doc.undo_stack.redo()
    assert doc.project.ranges == edited
    target = tmp_path / "ranges.roiproj"
    doc.save(str(target))
    other = ProjectDocument(worker)
    with qtbot.waitSignal(other.analysisChanged, timeout=10_000, check_params_cb=lambda a: a is not None):
        project_loading.open_project(other, str(target))
    assert other.project.ranges == edited


# -- issue 7: a suggested payoff is marked until confirmed; a user-set threshold is kept ---------------


def test_an_imported_payoff_is_suggested_until_confirmed_or_edited_and_undo_brings_the_mark_back(qtbot, doc):
    assert doc.project.payoff_suggested
    doc.confirm_payoff()
    assert not doc.project.payoff_suggested
    assert doc.undo_stack.undoText() == "Confirm payoff"
    doc.undo_stack.undo()
    assert doc.project.payoff_suggested
    with qtbot.waitSignal(doc.analysisChanged, timeout=10_000):
        doc.set_payoff(dict(doc.project.payoff), {"review_cost": 12.0}, dict(doc.project.ranges))
    assert not doc.project.payoff_suggested
    with qtbot.waitSignal(doc.analysisChanged, timeout=10_000):
        doc.undo_stack.undo()
    assert doc.project.payoff_suggested and doc.project.parameters == {"review_cost": 10.0}


def test_a_constraint_keeps_the_threshold_the_analyst_typed(qtbot, doc, small_csv):
    from roistudio.core.engine.constraints import Constraints

    _, frame = small_csv
    doc.set_threshold(0.2)
    doc.set_constraints(Constraints(max_flagged=30))
    assert doc.project.threshold_user_set
    assert doc.analysis.operating.threshold == 0.2
    assert doc.analysis.operating.value == pytest.approx(_value_at(frame, 0.2), abs=1e-6)
    # The best under the constraint is computed beside it, not applied.
    best = doc.analysis.champion.constrained
    assert best is not None and best.flagged <= 30 and best.threshold != 0.2
    labelled = frame[frame.fraud_score >= best.threshold]
    assert best.flagged == len(labelled)


def test_an_automatic_threshold_that_moves_is_announced_and_undo_restores_it(qtbot, doc):
    from roistudio.core.engine.constraints import Constraints

    before = doc.analysis.operating.threshold
    with qtbot.waitSignal(doc.thresholdMoved, timeout=10_000) as moved:
        doc.set_constraints(Constraints(max_flagged=5))
    after = doc.analysis.operating.threshold
    assert after != before
    assert moved.args == [
        f"Threshold moved from {before:.4g} to {after:.4g} (best threshold under the constraints "
        '(at most 5 rows flagged)) after "Change constraints"; Undo (Ctrl+Z) restores it'
    ]
    doc.undo_stack.undo()
    assert doc.analysis.operating.threshold == before


def test_a_filter_keeps_the_threshold_the_analyst_typed(qtbot, doc, small_csv):
    _, frame = small_csv
    doc.set_threshold(0.2)
    with qtbot.waitSignal(doc.analysisChanged, timeout=10_000):
        doc.set_filters(Filters({"channel": ("web",)}))
    assert doc.project.threshold_user_set and doc.analysis.operating.threshold == 0.2
    web = frame[frame.channel == "web"]
    assert doc.analysis.operating.value == pytest.approx(_value_at(web, 0.2), abs=1e-6)
