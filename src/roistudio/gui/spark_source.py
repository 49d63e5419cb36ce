"""The app on Apache Spark: open a Spark source, and run its analysis on the cluster in the background.

A Spark project has no DuckDB table: Spark reads the data where it lives (a Parquet/CSV path or a
table in its catalog) and only per-score aggregates come back
(:func:`roistudio.core.engine.spark.analyse_spark`). The jobs still go through the one
:class:`~roistudio.gui.workers.DatabaseWorker` thread, so they never run on the GUI thread, report
progress through the status bar and are cancelled by its Cancel button: the job's token is what
:class:`~roistudio.core.engine.spark_jobs._JobWatch` polls, and it cancels the Spark job group.
Jobs ignore the DuckDB connection they are given.

The Spark session is created on the worker thread by the first job (starting the JVM takes a
while; the status bar says so) and kept for the next ones; a project on another master stops it
and starts a new one. It is plain Python (py4j), never a Qt object.

The decision job's intervals (overall, per segment, per period, the challenger's verdict) are
computed on Spark too (:func:`decide_on_spark`). What is not computed on Spark (one line in the
app says so): walk-forward, sensitivity and the label-delay estimate, which are DuckDB queries. There is no column-sums fast
path either: a payoff edit re-aggregates on the cluster.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from roistudio.core.engine.spark_source import PYSPARK_MISSING, SparkSource, pyspark_available

if TYPE_CHECKING:
    from roistudio.core.data.filter_options import FilterOptions
    from roistudio.core.data.loading import ImportResult
    from roistudio.core.data.mapping import ColumnMapping
    from roistudio.core.engine.analysis import Analysis, AnalysisRequest
    from roistudio.core.engine.decision import Decision, DecisionOptions
    from roistudio.core.project.project import Project
    from roistudio.gui.document import ProjectDocument
    from roistudio.gui.workers import DatabaseWorker, Job

__all__ = [
    "INSTALL_LINE",
    "NOT_ON_SPARK",
    "decide_on_spark",
    "install_line",
    "is_spark",
    "open_spark",
    "read_filter_options",
    "submit_analysis",
]

INSTALL_LINE = "Open from Spark needs PySpark, which is not installed: pip install 'roistudio[spark]'"
NOT_ON_SPARK = (
    "Not computed on the Spark engine: walk-forward, sensitivity and the label-delay "
    "estimate are DuckDB queries (open the data as a file to get them)"
)
SPARK_FINGERPRINT = "not computed (read by Spark)"
assert PYSPARK_MISSING  # the core's line for the CLI; the app names its menu item instead


def install_line() -> str | None:
    """The one line the menu item shows when PySpark is missing; None when it is installed."""
    return None if pyspark_available() else INSTALL_LINE


def is_spark(doc: ProjectDocument) -> bool:
    """True when the open project runs on Spark."""
    return doc.project.spark is not None


class _Sessions:
    """The process's Spark session (Spark allows one), created and used on the worker thread only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spark: Any = None
        self._master: str | None = None

    def get(self, master: str, progress: Any) -> Any:
        from roistudio.core.engine.spark_source import spark_session

        with self._lock:
            if self._spark is not None and self._master != master:
                self._spark.stop()  # another cluster: Spark holds one session per process
                self._spark = None
            if self._spark is None:
                progress.progress(0.0, f"Starting Spark on {master}")
                self._spark = spark_session(master)
                with contextlib.suppress(Exception):  # Spark Connect sessions have no SparkContext
                    self._spark.sparkContext.setLogLevel("ERROR")
                self._master = master
            return self._spark


SESSIONS = _Sessions()
# [key, ValidationReport] of the last Spark analysis (GUI thread only); emptied when a source is opened.
_VALIDATION: list[Any] = []


def _read_source(source: SparkSource, progress: Any) -> ImportResult:
    """Register the source as a view, read its column types and row count (worker thread)."""
    import datetime as dt
    import time

    from roistudio.core.data.import_report import ImportReport
    from roistudio.core.data.loading import ImportResult
    from roistudio.core.data.provenance import SourceInfo
    from roistudio.core.engine.spark import load_source, spark_columns, spark_row_count
    from roistudio.core.engine.spark_jobs import _JobWatch
    from roistudio.core.engine.spark_source import local_size

    started = time.monotonic()
    spark = SESSIONS.get(source.master, progress)
    progress.progress(0.02, f"Reading {source.name} in Spark")
    view = load_source(spark, source)
    columns = spark_columns(spark, view)
    rows = _JobWatch(spark, progress, "Counting rows in Spark").run(lambda: spark_row_count(spark, view))
    info = SourceInfo(
        path=source.path if source.path is not None else f"table {source.table}",
        name=source.name,
        size=local_size(source.path) if source.path is not None else 0,
        sha256=SPARK_FINGERPRINT,
        modified="",
        fingerprint="Fingerprint",
    )
    report = ImportReport(
        source=info, table=view, format="spark", rows=rows, rejected_count=0, rejected=(),
        columns=tuple(columns.items()), encoding=None, delimiter=None, decimal=None,
        imported_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        seconds=time.monotonic() - started,
    )  # fmt: skip
    return ImportResult(report, {})


def new_spark_project(result: ImportResult, source: SparkSource, mapping: ColumnMapping) -> Project:
    """A new project on a Spark source: the app's suggested payoff, as for an imported file."""
    from roistudio.core.project.defaults import project_for_import

    return project_for_import(result, mapping, period="month").with_changes(sources=(), spark=source)


def open_spark(
    doc: ProjectDocument,
    source: SparkSource,
    *,
    mapping: ColumnMapping | None = None,
    project: Project | None = None,
    path: str | None = None,
    on_done: Callable[[], None] | None = None,
) -> Job:
    """Connect to ``source`` on the worker, then make it the open project (a new one, or ``project`` reopened).

    The first analysis starts as soon as the source is read; a bad mapping shows in the error
    banner as for a file.
    """
    from roistudio.gui import operations

    def done(result: ImportResult) -> None:
        _VALIDATION.clear()  # the source was read again: count again
        if project is not None:
            opened = project
        else:
            assert mapping is not None
            opened = new_spark_project(result, source, mapping)
        doc.reset(opened, path, result)
        if on_done is not None:
            on_done()

    return operations.run(
        doc.worker, lambda _con, progress: _read_source(source, progress), kind="load",
        description=f"Connecting to Spark ({source.master})", on_done=done, on_failure=doc.dataFailed.emit,
    )  # fmt: skip


def submit_analysis(
    worker: DatabaseWorker,
    source: SparkSource,
    request: AnalysisRequest,
    *,
    on_done: Callable[[Analysis], None],
    on_failure: Callable[[str], None],
) -> Job:
    """The document's analysis on Spark: ``analyse_spark`` on the source's view, as a worker job.

    Of kind ``analysis``, as on DuckDB: a newer edit supersedes it (and cancels its job group).
    """
    from roistudio.gui import operations

    # The validation of this mapping under these filters, if the last analysis had it: a payoff,
    # parameter or period edit then skips the counting queries (as AnalysisRunner does on DuckDB).
    key = (source, repr(request.mapping), repr(request.filters.to_dict()))
    cached = _VALIDATION[1] if _VALIDATION and _VALIDATION[0] == key else None

    def job(_con: Any, progress: Any) -> Analysis:
        from roistudio.core.engine.spark import analyse_spark
        from roistudio.core.engine.spark_source import VIEW

        spark = SESSIONS.get(source.master, progress)
        return analyse_spark(spark, VIEW, request, progress=progress, validation=cached)

    def done(analysis: Analysis) -> None:
        _VALIDATION[:] = [key, analysis.validation]
        on_done(analysis)

    return operations.run(
        worker, job, kind="analysis", description="Sweeping thresholds in Spark", on_done=done,
        on_failure=on_failure,
    )  # fmt: skip


def read_filter_options(
    worker: DatabaseWorker,
    source: SparkSource,
    mapping: ColumnMapping,
    *,
    on_done: Callable[[FilterOptions], None],
) -> Job:
    """Segment values and the date range for the filter bar, read by Spark; a failure leaves the bar as it is."""
    from roistudio.gui import operations

    return operations.run(
        worker, lambda _con, progress: _filter_options(source, mapping, progress), kind="options",
        on_done=on_done, on_failure=lambda _text: None,
    )  # fmt: skip


def _filter_options(source: SparkSource, mapping: ColumnMapping, progress: Any) -> FilterOptions:
    from roistudio.core.column_types import is_temporal_type
    from roistudio.core.data.filter_options import SEGMENT_VALUE_LIMIT, FilterOptions
    from roistudio.core.engine.spark import spark_columns, spark_date_range
    from roistudio.core.engine.spark_source import VIEW
    from roistudio.core.engine.spark_validate import segment_values

    spark = SESSIONS.get(source.master, progress)
    segments = {c: segment_values(spark, VIEW, c, SEGMENT_VALUE_LIMIT) for c in mapping.segments}
    time = mapping.timestamp
    dated = time is not None and is_temporal_type(spark_columns(spark, VIEW).get(time, ""))
    low, high = spark_date_range(spark, VIEW, time) if dated and time else (None, None)
    return FilterOptions(segments, low, high)


def decide_on_spark(
    source: SparkSource, analysis: Analysis, options: DecisionOptions, progress: Any
) -> Decision:
    """The decision job of a Spark project (worker thread): intervals and verdict aggregated by Spark.

    The same bootstrap and per-group intervals as on DuckDB, for the same seed
    (:func:`roistudio.core.engine.spark_uncertainty.spark_decision`); progress is Spark's task
    count and Cancel cancels the job group. Sensitivity ranges are left out: DuckDB only.
    """
    from dataclasses import replace

    from roistudio.core.engine.spark_source import VIEW
    from roistudio.core.engine.spark_uncertainty import spark_decision

    spark = SESSIONS.get(source.master, progress)
    return spark_decision(spark, VIEW, analysis, replace(options, ranges=()), progress)


def export_model(
    analysis: Analysis,
    import_report: Any,
    source: SparkSource,
    progress: Any,
    *,
    title: str,
    currency: str,
    payoff_suggested: bool,
    options: DecisionOptions | None = None,
) -> Any:
    """The report model of a Spark project (worker thread): values, no live formulas.

    As ``roistudio report --engine spark``: the workbook's live formulas need DuckDB aggregates,
    so the model holds values; with ``options`` (the app's, as on screen) it holds the intervals
    and verdict computed on Spark (:func:`decide_on_spark`), else the recommendation only.
    """
    from roistudio.core.engine.decision import DecisionOptions, decide
    from roistudio.core.engine.spark import spark_date_range
    from roistudio.core.engine.spark_source import VIEW
    from roistudio.core.progress import ScaledProgress
    from roistudio.reports.model import SourceFacts, build_report_model

    spark = SESSIONS.get(source.master, progress)
    time = analysis.validation.time
    ts = analysis.request.mapping.timestamp
    dated = ts and time is not None and not time.form.is_text
    dates = spark_date_range(spark, VIEW, ts) if dated and ts else (None, None)
    if options is None:
        decision = decide(None, analysis, DecisionOptions(), only=())  # type: ignore[arg-type]
    else:
        decision = decide_on_spark(source, analysis, options, ScaledProgress(progress, 0.0, 0.05))
    return build_report_model(
        analysis,
        SourceFacts.from_import(import_report, *dates),
        title=title,
        currency=currency,
        con=None,
        table=VIEW,
        decision=decision,
        payoff_suggested=payoff_suggested,
    )
