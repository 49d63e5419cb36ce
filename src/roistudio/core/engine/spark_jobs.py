"""One Spark action in a job group: progress from Spark's status tracker, Cancel cancels the group.

A Spark Connect session (``sc://...``) has no SparkContext, hence no job group and no status
tracker: there the action is tagged (``addTag``), Cancel interrupts the tag (``interruptTag``)
and progress comes from the Connect client's progress handler (the server's stage and task
counts). A Connect client too old for those runs the action untagged, without progress.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from roistudio.core.engine.spark_source import Spark, _first_line
from roistudio.core.errors import Cancelled, DataError
from roistudio.core.progress import Progress

T = TypeVar("T")


class _JobWatch:
    """Runs one Spark action in a job group: progress from the status tracker, Cancel cancels the group.

    On Spark Connect (no SparkContext) the action is tagged instead (see the module docstring).
    """

    def __init__(self, spark: Spark, progress: Progress | None, text: str) -> None:
        self.spark, self.progress, self.text = spark, progress, text
        self.cancelled = False
        self.group = f"roistudio-{id(self)}"

    def run(self, action: Callable[[], T]) -> T:
        try:
            sc = self.spark.sparkContext
        except Exception:
            sc = None
        if sc is None:
            return self._run_connect(action)
        sc.setJobGroup(self.group, self.text, interruptOnCancel=True)
        done = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(sc, done), daemon=True)
        watcher.start()
        try:
            return action()
        except Exception as exc:
            if self.cancelled:
                raise Cancelled() from None
            raise DataError(f"Spark could not run the aggregation: {_first_line(exc)}") from None
        finally:
            done.set()
            watcher.join()
            sc.setLocalProperty("spark.jobGroup.id", None)

    def _run_connect(self, action: Callable[[], T]) -> T:
        """The action on Spark Connect: tagged, Cancel interrupts the tag, progress from the handler."""
        spark: Any = self.spark
        if not hasattr(spark, "addTag"):
            return action()  # a Connect client without tags: no cancel, no progress
        spark.addTag(self.group)  # thread-local in the client: only this thread's operations
        handler = _ConnectProgress(self) if self.progress is not None else None
        if handler is not None and hasattr(spark, "registerProgressHandler"):
            spark.registerProgressHandler(handler)
        done = threading.Event()
        watcher = threading.Thread(target=self._watch_connect, args=(done,), daemon=True)
        watcher.start()
        try:
            return action()
        except Exception as exc:
            if self.cancelled:
                raise Cancelled() from None
            raise DataError(f"Spark could not run the aggregation: {_first_line(exc)}") from None
        finally:
            done.set()
            watcher.join()
            spark.removeTag(self.group)
            if handler is not None and hasattr(spark, "removeProgressHandler"):
                spark.removeProgressHandler(handler)

    def _watch_connect(self, done: threading.Event) -> None:
        while not done.wait(0.25):
            if self.progress is not None and self.progress.cancelled():
                self.cancelled = True
                self.spark.interruptTag(self.group)
                return

    def _watch(self, sc: Any, done: threading.Event) -> None:
        tracker = sc.statusTracker()
        while not done.wait(0.25):
            if self.progress is not None and self.progress.cancelled():
                self.cancelled = True
                sc.cancelJobGroup(self.group)
                return
            if self.progress is None:
                continue
            total = finished = 0
            for job_id in tracker.getJobIdsForGroup(self.group) or []:
                job = tracker.getJobInfo(job_id)
                for stage_id in job.stageIds if job is not None else []:
                    stage = tracker.getStageInfo(stage_id)
                    if stage is not None:
                        total += stage.numTasks
                        finished += stage.numCompletedTasks
            if total:
                self.progress.progress(
                    0.05 + 0.7 * finished / total, f"{self.text} ({finished}/{total} tasks)"
                )


class _ConnectProgress:
    """A Spark Connect progress handler: the server's task counts, as the status tracker's on classic Spark."""

    def __init__(self, watch: _JobWatch) -> None:
        self.watch = watch

    def __call__(self, stages: Any, inflight_tasks: int, operation_id: str | None, done: bool) -> None:
        progress = self.watch.progress
        if progress is None or not stages:
            return
        total = sum(int(stage.num_tasks) for stage in stages)
        finished = sum(int(stage.num_completed_tasks) for stage in stages)
        if total:
            progress.progress(0.05 + 0.7 * finished / total, f"{self.watch.text} ({finished}/{total} tasks)")
