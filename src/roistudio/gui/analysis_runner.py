"""Sweeps of the open project on the database worker, with the caches that make re-runs cheap.

:class:`AnalysisRunner` submits :func:`roistudio.core.engine.analysis.analyse` as one worker job
of kind ``analysis`` (a newer one supersedes an older one still running) and keeps, keyed by
what they depend on:

- the validation of a mapping under a filter, so a payoff, parameter or period edit only
  re-aggregates (:data:`roistudio.core.project.edits.Rerun.REAGGREGATE`);
- the score column the table is clustered by (:func:`roistudio.core.engine.sweep.cluster_by_score`,
  done once per score column on tables of :data:`CLUSTER_MIN_ROWS` rows or more);
- the per-score column sums (:class:`roistudio.core.engine.sweep.ColumnSumsCache`), which answer
  payoffs affine in the row's columns without a scan. It is used on the worker thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from roistudio.gui import operations

if TYPE_CHECKING:
    from roistudio.core.data.validation import ValidationReport
    from roistudio.core.engine.analysis import Analysis, AnalysisRequest
    from roistudio.core.engine.sweep import ColumnSumsCache
    from roistudio.core.progress import Progress
    from roistudio.gui.workers import DatabaseWorker, Job

CLUSTER_MIN_ROWS = 1_000_000  # below this a sweep is fast enough without reordering the table


class AnalysisRunner:
    """Runs analyses on ``worker`` and keeps what later ones reuse (see the module docstring)."""

    def __init__(self, worker: DatabaseWorker) -> None:
        self.worker = worker
        self.job: Job | None = None
        self._validation: tuple[tuple[str, str, str], ValidationReport] | None = None
        self._clustered: tuple[str, str] | None = None
        self._sums: ColumnSumsCache | None = None  # made with the first sweep: DuckDB loads then

    @property
    def sums_cache(self) -> ColumnSumsCache | None:
        """The column sums the sweeps fill (None before the first): later work on the same
        analysis (the decision job's sensitivity) passes it to skip a scan; worker thread only."""
        return self._sums

    def forget_data(self) -> None:
        """New data: nothing cached applies (jobs in flight keep the old sums object)."""
        self._validation = None
        self._clustered = None
        self._sums = None

    def forget_validation(self) -> None:
        """Other rows (a mapping, filter or data change): validate the mapping again."""
        self._validation = None

    def submit(
        self,
        table: str,
        rows: int,
        request: AnalysisRequest,
        *,
        on_done: Callable[[Analysis], None],
        on_failure: operations.Failure,
    ) -> Job:
        """Analyse ``table`` (``rows`` rows) under ``request`` on the worker.

        ``on_done`` gets the :class:`~roistudio.core.engine.analysis.Analysis`; ``on_failure``
        the user's one line. Both run in the GUI thread.
        """
        from roistudio.core.engine.sweep import ColumnSumsCache

        key = (table, repr(request.mapping), repr(request.filters.to_dict()))
        cached = self._validation[1] if self._validation and self._validation[0] == key else None
        cluster = (
            None
            if self._clustered == (table, request.mapping.score) or rows < CLUSTER_MIN_ROWS
            else request.mapping.score
        )
        if self._sums is None:
            self._sums = ColumnSumsCache()
        sums = self._sums

        def job(con: Any, progress: Progress) -> Analysis:
            from roistudio.core.engine.analysis import analyse
            from roistudio.core.engine.sweep import cluster_by_score

            if cluster is not None:
                progress.progress(0.0, "Ordering rows by score for fast re-sweeps")
                cluster_by_score(con, table, cluster)
            return analyse(con, table, request, progress=progress, validation=cached, cache=sums)

        def done(analysis: Analysis) -> None:
            self._validation = (key, analysis.validation)
            if cluster is not None:
                self._clustered = (table, cluster)
            on_done(analysis)

        self.job = operations.run(
            self.worker, job, kind="analysis", description="Sweeping thresholds",
            on_done=done, on_failure=on_failure,
        )  # fmt: skip
        return self.job
