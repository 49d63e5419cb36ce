"""Background work: one database thread that owns the DuckDB connection and runs every job.

Every query runs on :class:`DatabaseWorker`'s thread, one job at a time, so the connection has a
single owner (as DuckDB wants) and the GUI thread never blocks on it. A job is a plain core
function ``fn(con, progress)``; its result, error or cancellation comes back to the GUI thread
through queued signals and is handed to the callbacks given at submission.

Cancelling a job sets its token (checked by core code between steps) and, if the job is the one
running, calls ``con.interrupt()`` so a long DuckDB statement stops within moments.

Jobs submitted with a ``kind`` supersede older jobs of the same kind: a slider drag or a payoff
edit can fire requests faster than sweeps finish, and only the newest answer matters. Older
jobs of that kind are cancelled and, should one still finish, its result is dropped.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, QThread, Signal, Slot

from roistudio.core.errors import Cancelled
from roistudio.core.progress import CancelToken
from roistudio.core.sql import rollback
from roistudio.gui.lifetime import GuiThreadCollector

if TYPE_CHECKING:
    import duckdb

JobFn = Callable[[Any, "WorkerProgress"], Any]


class WorkerProgress:
    """The :class:`~roistudio.core.progress.Progress` a job gets: plain Python, not a QObject.

    It is created and used on the worker thread, so it must not be a Qt object (no Qt object is
    ever created, touched or finalised off the GUI thread). Progress reaches the GUI thread
    through ``forward``, which emits a queued signal of the worker (a QObject living in the
    GUI thread; emitting from another thread is what queued connections are for).
    """

    def __init__(self, token: CancelToken, forward: Callable[[float, str], None]) -> None:
        self.token = token
        self._forward = forward

    def progress(self, fraction: float, text: str = "") -> None:
        self.token.progress(fraction, text)
        self._forward(float(fraction), text)

    def cancelled(self) -> bool:
        return self.token.cancelled()


@dataclass(eq=False)
class Job:
    """A submitted unit of work and what to do with its outcome (in the GUI thread)."""

    id: int
    fn: JobFn
    kind: str | None
    generation: int
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException], None] | None = None
    on_cancel: Callable[[], None] | None = None
    on_progress: Callable[[float, str], None] | None = None
    description: str = ""
    owner: QObject | None = None
    token: CancelToken = field(default_factory=CancelToken)
    finished: bool = False

    def cancelled(self) -> bool:
        return self.token.cancelled()

    def release(self) -> None:
        """Drop the job's function and callbacks (GUI thread, once delivered).

        They are closures over widgets and documents. Dropped here, on the GUI thread, their
        last reference can never be the worker thread's, so no Qt object they keep alive is
        ever finalised there.
        """
        self.fn = _released
        self.on_done = self.on_error = self.on_cancel = self.on_progress = None
        self.owner = None

    def owner_gone(self) -> bool:
        """True when the widget whose callbacks these are was deleted (a closed dialog)."""
        return self.owner is not None and not shiboken6.isValid(self.owner)


def _released(_con: Any, _progress: Any) -> None:
    raise RuntimeError("this job was already delivered")


class DatabaseWorker(QThread):
    """The one thread that owns the DuckDB connection; runs jobs in submission order.

    Parameters
    ----------
    database
        DuckDB database path (``":memory:"`` by default: the database is a cache rebuilt from the
        source files, so nothing is lost with it).

    Signals
    -------
    busyChanged(bool, str)
        True with a description when a job starts, False when the queue is drained.
    jobProgress(float, str)
        Progress of the running job (GUI thread).
    """

    busyChanged = Signal(bool, str)
    jobProgress = Signal(float, str)
    # Internal: emitted on the worker thread, received by this object (which lives in the GUI thread).
    _delivered = Signal(object, str, object)
    _progressed = Signal(object, float, str)

    def __init__(self, database: str = ":memory:", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DatabaseWorker")
        self._database = database
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._generations: dict[str, int] = {}
        self._lock = threading.Lock()
        self._current: Job | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._ready = threading.Event()
        self._pending = 0
        self.dropped = 0  # stale results dropped (superseded jobs that finished anyway)
        self._delivered.connect(self._deliver)
        self._progressed.connect(self._on_progress)
        self._collector = GuiThreadCollector(self)

    def start(self, priority: QThread.Priority = QThread.Priority.InheritPriority) -> None:
        """Start the thread; while it runs, cyclic garbage is collected on the GUI thread only."""
        self._collector.hold()
        super().start(priority)

    # -- GUI thread API --------------------------------------------------------------------------
    def submit(
        self,
        fn: JobFn,
        *,
        kind: str | None = None,
        description: str = "",
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
        owner: QObject | None = None,
    ) -> Job:
        """Queue ``fn(con, progress)``; callbacks run in the GUI thread.

        With a ``kind``, every older job of that kind is cancelled and its result will be dropped.
        With an ``owner`` (the widget the callbacks update), the callbacks are skipped once that
        widget is deleted: a dialog closed while its job runs.
        """
        with self._lock:
            generation, current = 0, None
            if kind is not None:
                generation = self._generations.get(kind, 0) + 1
                self._generations[kind] = generation
                current = self._current
            job = Job(
                next(self._ids), fn, kind, generation, on_done, on_error, on_cancel, on_progress,
                description, owner,
            )  # fmt: skip
            self._pending += 1
        if kind is not None and current is not None and current.kind == kind and current is not job:
            self._interrupt(current)
        self._queue.put(job)
        return job

    def cancel(self, job: Job) -> None:
        """Ask ``job`` to stop: its token is set and a running DuckDB statement is interrupted."""
        self._interrupt(job)

    def cancel_current(self) -> None:
        """Cancel the job that is running now, if any (the status bar's Cancel button)."""
        with self._lock:
            current = self._current
        if current is not None:
            self._interrupt(current)

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def is_current(self, job: Job) -> bool:
        """False once a newer job of the same kind was submitted."""
        return job.kind is None or self._generations.get(job.kind) == job.generation

    def stop(self, timeout_ms: int = 5000) -> None:
        """Cancel what runs, finish the thread and close the connection."""
        with self._lock:
            current = self._current
        if current is not None:
            self._interrupt(current)
        self._queue.put(None)
        self.wait(timeout_ms)
        self._collector.release()

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (use it only from jobs, or in tests once the worker is idle)."""
        self._ready.wait(10)
        assert self._con is not None, "the worker thread has not started"
        return self._con

    def _interrupt(self, job: Job) -> None:
        job.token.cancel()
        if self._interrupt_if_running(job):
            # DuckDB ignores an interrupt that arrives while no statement runs, and the job may
            # be between statements (or about to start its first one) right now. Keep
            # interrupting until the job has ended, so its next statement stops too.
            threading.Thread(
                target=self._keep_interrupting, args=(job,), name="interrupt", daemon=True
            ).start()

    def _interrupt_if_running(self, job: Job) -> bool:
        # Under the lock, so the interrupt cannot hit the next job's query: the worker clears
        # ``_current`` under the same lock before it starts another job.
        with self._lock:
            if self._current is job and self._con is not None:
                self._con.interrupt()
                return True
            return False

    def _keep_interrupting(self, job: Job, every_s: float = 0.05) -> None:
        while not job.finished and self._interrupt_if_running(job):
            time.sleep(every_s)

    # -- worker thread -----------------------------------------------------------------------------
    def run(self) -> None:
        import duckdb  # here, not at module import: the window paints before DuckDB loads

        from roistudio.core.sql import pin_session_time_zone

        con = self._con = duckdb.connect(self._database)
        pin_session_time_zone(con)  # periods must not depend on the machine's TZ
        self._ready.set()
        try:
            while True:
                job = self._queue.get()
                if job is None:
                    break
                self._run_job(job)
        finally:
            con.close()

    def _run_job(self, job: Job) -> None:
        if job.cancelled() or not self.is_current(job):
            self._delivered.emit(job, "cancelled", None)
            return
        with self._lock:
            self._current = job
        self.busyChanged.emit(True, job.description)
        progress = WorkerProgress(job.token, lambda f, t: self._progressed.emit(job, f, t))
        try:
            result = job.fn(self._con, progress)
            status = "cancelled" if job.cancelled() else "done"
        except Cancelled:
            result, status = None, "cancelled"
        except BaseException as exc:  # delivered to the GUI, which shows one line
            import duckdb

            if isinstance(exc, duckdb.InterruptException) or job.cancelled():
                result, status = None, "cancelled"
            else:
                exc.__dict__.setdefault("worker_traceback", traceback.format_exc())
                result, status = exc, "error"
        finally:
            with self._lock:
                self._current = None
        if status != "done":
            # No interrupt can land any more (``_current`` is cleared): end whatever transaction
            # the job left open, so the next job starts on a usable connection.
            assert self._con is not None
            rollback(self._con)
        self._delivered.emit(job, status, result)

    # -- back in the GUI thread -----------------------------------------------------------------------
    @Slot(object, float, str)
    def _on_progress(self, job: Job, fraction: float, text: str) -> None:
        if job.finished or not self.is_current(job) or job.owner_gone():
            return
        self.jobProgress.emit(fraction, text)
        if job.on_progress is not None:
            job.on_progress(fraction, text)

    @Slot(object, str, object)
    def _deliver(self, job: Job, status: str, result: object) -> None:
        job.finished = True
        with self._lock:
            self._pending -= 1
            idle = self._pending == 0
        if idle:
            self.busyChanged.emit(False, "")
        try:
            if not self.is_current(job):
                # Superseded: a newer request of the same kind is queued or running.
                self.dropped += 1
            elif job.owner_gone():
                pass  # the dialog it was for is closed and deleted
            elif status == "done" and job.on_done is not None:
                job.on_done(result)
            elif status == "error" and job.on_error is not None:
                job.on_error(result)  # type: ignore[arg-type]
            elif status == "cancelled" and job.on_cancel is not None:
                job.on_cancel()
        finally:
            job.release()
