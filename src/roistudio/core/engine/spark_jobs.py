"""One Spark action in a job group: progress from Spark's status tracker, Cancel cancels the group."""

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

    Spark Connect sessions have no SparkContext; there the action simply runs (no progress).
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
            return action()
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
