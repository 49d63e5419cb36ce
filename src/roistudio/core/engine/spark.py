"""Apache Spark as the engine: the same per-score aggregation, run where the data lives.

The sweep is one aggregation per (model, breakdown key, distinct score, class): row counts and
two payoff sums (see :mod:`.sweep`). Here that aggregation, and the few counting queries of the
mapping validation, run as Spark SQL; only the aggregates come back (one row per distinct score
and class, never a data row). From them on, everything is the code the DuckDB engine uses:
:func:`.sweep.result_from_arrays` builds the curves, :func:`.analysis.assemble_analysis` reads
the policies, comparison, segments and periods, and the JSON and report writers take the
resulting :class:`~.analysis.Analysis` unchanged.

PySpark is an optional dependency (``pip install roistudio[spark]``): it is imported inside the
functions here, never when this module is imported. Spark SQL is written with backtick
identifiers and ``:name`` parameters bound by ``spark.sql(query, args=...)`` (Spark >= 3.4), so
no data value or user text is spliced into SQL. The session's time zone is pinned to UTC, as the
DuckDB connections are, so periods and date filters do not depend on the machine's zone.

What the Spark engine does not do (it says so in one line rather than guess): text period labels
as the time column (``may``, ``2026-Q1``; a DATE or TIMESTAMP column is needed), and the
mapping proposal (``--score`` and ``--label`` must be given).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from roistudio.core.column_types import is_numeric_type, is_temporal_type
from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.data.periods import DATE_FORM, TIMESTAMP_TZ_FORM, TimeColumn, check_year
from roistudio.core.data.profile import MISSING_KEY
from roistudio.core.data.validation import (
    _NO_POSITIVE,
    LabelSummary,
    ScoreSummary,
    ValidationReport,
    check_columns,
    check_label_values,
    judge_counts,
)
from roistudio.core.engine.analysis import Analysis, AnalysisRequest, assemble_analysis
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN, model_sources, segment_breakdown
from roistudio.core.engine.sweep import ModelSource, result_from_arrays
from roistudio.core.errors import Cancelled, DataError, MappingError, PayoffError
from roistudio.core.payoff.compile import SPARK
from roistudio.core.payoff.language import OUTCOMES, Payoff
from roistudio.core.progress import Progress, check_cancelled

__all__ = [
    "DEFAULT_MASTER",
    "PYSPARK_MISSING",
    "SparkSource",
    "analyse_spark",
    "spark_columns",
    "spark_date_range",
    "spark_session",
]

# A pyspark.sql.SparkSession; typed loosely so the core type-checks without PySpark installed.
Spark = Any
T = TypeVar("T")

DEFAULT_MASTER = "local[*]"
PYSPARK_MISSING = "the spark engine needs PySpark, which is not installed: pip install 'roistudio[spark]'"
VIEW = "roistudio_data"
_INF = "CAST('Infinity' AS DOUBLE)"


def q(name: str) -> str:
    """A Spark SQL identifier: ``a`b`` -> ```a``b```."""
    return SPARK.quote_identifier(name)


def _finite(x: str) -> str:
    # Spark has no isfinite(); NaN compares above +inf there, so it is tested on its own.
    return f"({x} IS NOT NULL AND NOT isnan({x}) AND abs({x}) < {_INF})"


@dataclass(frozen=True)
class SparkSource:
    """Where Spark reads the prediction rows: a path (Parquet or CSV) or a table in its catalog."""

    master: str = DEFAULT_MASTER
    path: str | None = None
    table: str | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.table is None):
            raise DataError(
                "pass either a data path or --table NAME for the spark engine, not both or neither"
            )

    @property
    def name(self) -> str:
        return self.table if self.table is not None else str(self.path).rstrip("/").rsplit("/", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        """The source as a project file and the JSON result record it."""
        return {"engine": "spark", "master": self.master, "path": self.path, "table": self.table}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> SparkSource:
        return SparkSource(str(data.get("master") or DEFAULT_MASTER), data.get("path"), data.get("table"))


def _pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError:
        raise DataError(PYSPARK_MISSING) from None
    import pyspark

    return pyspark


def spark_session(master: str = DEFAULT_MASTER, *, config: Mapping[str, str] | None = None) -> Spark:
    """A Spark session on ``master`` (``local[*]``, ``spark://host:7077``, ``yarn``, ``k8s://...``).

    The master URL is passed to Spark as given. An existing session in this process is reused
    (Spark allows one per process); its time zone is pinned to UTC either way.

    Raises
    ------
    DataError
        When PySpark is not installed (one line naming the extra to install).
    """
    _pyspark()
    from pyspark.sql import SparkSession

    # A Spark Connect URL (sc://host:15002) is a remote session, not a master; anything else
    # (local[*], spark://, yarn, k8s://...) is passed to Spark as the master, as given.
    if master.startswith("sc://"):
        builder = SparkSession.builder.remote(master).appName("Model ROI Studio")
    else:
        builder = SparkSession.builder.master(master).appName("Model ROI Studio")
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        **(config or {}),
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # Java missing, master unreachable: one line, not a JVM trace
        raise DataError(f"could not start Spark on '{master}': {_first_line(exc)}") from None
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return spark


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "desc", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_source(spark: Spark, source: SparkSource, view: str = VIEW) -> str:
    """Register ``source`` as the temporary view ``view`` (nothing is read yet); return its name."""
    try:
        if source.table is not None:
            frame = spark.table(source.table)
        else:
            path = str(source.path)
            lower = path.lower().rstrip("/")
            if lower.endswith((".csv", ".tsv", ".txt")):
                sep = "\t" if lower.endswith(".tsv") else ","
                frame = spark.read.csv(path, header=True, inferSchema=True, sep=sep)
            else:
                frame = spark.read.parquet(path)
    except Exception as exc:
        what = f"table '{source.table}'" if source.table is not None else f"'{source.path}'"
        raise DataError(f"Spark cannot read {what}: {_first_line(exc)}") from None
    frame.createOrReplaceTempView(view)
    return view


_TYPE_NAMES = {
    "double": "DOUBLE", "float": "FLOAT", "bigint": "BIGINT", "int": "INTEGER", "smallint": "SMALLINT",
    "tinyint": "TINYINT", "string": "VARCHAR", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE", "timestamp_ntz": "TIMESTAMP",
}  # fmt: skip


def spark_columns(spark: Spark, view: str) -> dict[str, str]:
    """Column name -> type, named as DuckDB names them, so the core's type rules apply unchanged.

    Spark's ``timestamp`` is an instant (DuckDB's ``TIMESTAMP WITH TIME ZONE``), ``timestamp_ntz``
    a wall-clock time (DuckDB's ``TIMESTAMP``); decimals keep their precision and scale.
    """
    out = {}
    for field in spark.table(view).schema.fields:
        simple = field.dataType.simpleString()
        out[field.name] = _TYPE_NAMES.get(simple) or simple.upper()  # decimal(p,s) -> DECIMAL(P,S)
    return out


def _rows(spark: Spark, sql: str, params: Mapping[str, object] | None = None) -> list[Any]:
    return list(spark.sql(sql, args=dict(params or {})).collect())


# -- validation --------------------------------------------------------------------------------------


def _missing_label(col: str) -> str:
    return f"({col} IS NULL OR trim(CAST({col} AS STRING)) = '')"


def label_condition(label: LabelSummary) -> tuple[str, dict[str, object]]:
    """Spark SQL for the row's class: TRUE, FALSE or NULL (not yet known).

    As DuckDB's :func:`~roistudio.core.data.validation.label_condition_sql`.
    """
    col = q(label.column)
    text = not (is_numeric_type(label.duck_type) or label.duck_type.upper() == "BOOLEAN")
    missing = _missing_label(col) if text else f"{col} IS NULL"
    if label.positive_value is _NO_POSITIVE:
        return f"CASE WHEN {missing} THEN NULL ELSE FALSE END", {}
    return f"CASE WHEN {missing} THEN NULL ELSE ({col} = :label_positive) END", {
        "label_positive": label.positive_value
    }


def _score_summary(
    spark: Spark, src: str, column: str, raw_scores: bool, params: Mapping[str, object]
) -> ScoreSummary:
    c = f"CAST({q(column)} AS DOUBLE)"
    fin = _finite(c)
    row = _rows(
        spark,
        f"""SELECT count(*), count_if({c} IS NULL), count_if(isnan({c})),
                   count_if({c} = {_INF} OR {c} = -{_INF}),
                   count_if({fin} AND {c} < 0), count_if({fin} AND {c} > 1),
                   min(CASE WHEN {fin} THEN {c} END), max(CASE WHEN {fin} THEN {c} END)
            FROM {src}""",
        params,
    )[0]
    n, missing, nan, infinite, below, above = (int(v) for v in row[:6])
    return ScoreSummary(column, n, missing, nan, infinite, below, above, row[6], row[7], raw_scores)


def _time_column(mapping: ColumnMapping, columns: Mapping[str, str]) -> TimeColumn | None:
    if not mapping.timestamp:
        return None
    kind = columns[mapping.timestamp]
    if not is_temporal_type(kind):
        raise MappingError(
            f"on the spark engine the time column must hold dates or timestamps; '{mapping.timestamp}' "
            f"is {kind} (period labels such as 'may' or '2026-Q1' are read by the duckdb engine)"
        )
    if kind == "TIMESTAMP WITH TIME ZONE":
        zone = mapping.time_zone or "UTC"
        import duckdb

        from roistudio.core.data.time_zones import check_time_zone

        # The one rule for zone names (DuckDB's list of IANA zones, which Spark shares).
        return TimeColumn(mapping.timestamp, TIMESTAMP_TZ_FORM, zone=check_time_zone(duckdb.connect(), zone))
    return TimeColumn(mapping.timestamp, DATE_FORM)


def validate_on_spark(
    spark: Spark,
    view: str,
    mapping: ColumnMapping,
    *,
    where_sql: str = "TRUE",
    where_params: Mapping[str, object] | None = None,
) -> ValidationReport:
    """The mapping validation of :func:`~roistudio.core.data.validation.validate_mapping`, counted by Spark.

    Spark makes the same counts; :func:`~roistudio.core.data.validation.judge_counts` (shared with
    DuckDB) turns them into the report, so the checks and messages are the same.
    """
    columns = spark_columns(spark, view)
    check_columns(mapping, columns)
    check_year(mapping.time_year)
    if mapping.time_year is not None:
        raise MappingError(
            "a year for month names applies to text period labels, which the spark engine does not read"
        )
    if mapping.time_zone is not None and not mapping.timestamp:
        raise MappingError("a time zone needs a time column (--time COL)")
    time = _time_column(mapping, columns)
    params = dict(where_params or {})
    src = f"(SELECT * FROM {q(view)} WHERE {where_sql}) AS src"
    label_col = q(mapping.label)
    values = [
        (r[0], int(r[1]))
        for r in _rows(
            spark,
            f"SELECT {label_col} AS v, count(*) AS n FROM {src} WHERE NOT {_missing_label(label_col)} "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 11",
            params,
        )
    ]
    check_label_values(mapping, values)
    rows = int(_rows(spark, f"SELECT count(*) FROM {src}", params)[0][0])
    summaries = [
        _score_summary(spark, src, col, mapping.raw_scores, params)
        for col in (mapping.score, mapping.challenger_score)
        if col is not None
    ]
    models: tuple[str, ...] = ()
    if mapping.model:
        found = _rows(
            spark, f"SELECT DISTINCT CAST({q(mapping.model)} AS STRING) AS v FROM {src} ORDER BY 1", params
        )
        models = tuple(str(r[0]) for r in found if r[0] is not None)
    return judge_counts(mapping, columns, values, rows, summaries, models, time)


# -- breakdown keys ----------------------------------------------------------------------------------


def segment_key(column: str) -> str:
    """Spark SQL of a segment's breakdown key: the value as text, ``(missing)`` for NULL/blank."""
    return f"coalesce(nullif(trim(CAST({q(column)} AS STRING)), ''), '{MISSING_KEY}')"


def period_key(time: TimeColumn, period: str) -> tuple[str, dict[str, object]]:
    """Spark SQL of a period key: the period's first day as ISO text, as on DuckDB."""
    time.check_period(period)  # ``period`` is then one of the module's constants
    col = q(time.column)
    params: dict[str, object] = {}
    if time.form.name == "timestamp_tz":
        # from_utc_timestamp gives the wall-clock time in the zone (the session is in UTC).
        start = f"from_utc_timestamp({col}, :period_zone)"
        params["period_zone"] = time.zone
    else:
        start = col
    return f"coalesce(CAST(CAST(date_trunc('{period}', {start}) AS DATE) AS STRING), '{MISSING_KEY}')", params


# -- the aggregation --------------------------------------------------------------------------------


def _valid_score(column: str, raw_scores: bool) -> str:
    score = f"CAST({q(column)} AS DOUBLE)"
    return f"({_finite(score)})" if raw_scores else f"({_finite(score)} AND {score} BETWEEN 0 AND 1)"


def _aggregate_sql(
    view: str,
    label_sql: str,
    where_sql: str,
    raw_scores: bool,
    breakdowns: Mapping[str, str],
    models: Sequence[ModelSource],
    row_values: Mapping[str, str],
    params: dict[str, object],
) -> tuple[str, list[str]]:
    """The per-(model, breakdown key, score, class) aggregation of :mod:`.sweep`, in Spark SQL."""
    y = f"({label_sql})"
    shared = {m.score_column for m in models if m.model_column is None}
    selects = []
    for i, model in enumerate(models):
        score = f"CAST({q(model.score_column)} AS DOUBLE)"
        columns = sorted(shared) if model.model_column is None else [model.score_column]
        conds = [f"({where_sql})", *(_valid_score(c, raw_scores) for c in columns)]
        if model.model_column is not None:
            params[f"model_{i}"] = model.model_value
            conds.append(f"CAST({q(model.model_column)} AS STRING) = :model_{i}")
        dims = "".join(f", {expr} AS {q('d_' + name)}" for name, expr in breakdowns.items())
        values = "".join(f", {sql} AS {name}" for name, sql in row_values.items())
        selects.append(
            f"SELECT {int(i)} AS m, {score} AS s, CASE WHEN {y} THEN 1 WHEN NOT {y} THEN 0 ELSE 2 END AS c"
            f"{values}{dims} FROM {q(view)} WHERE {' AND '.join(conds)}"
        )
    dim_cols = [q("d_" + name) for name in breakdowns]
    sets = ", ".join(["(m, s, c)", *(f"(m, {d}, s, c)" for d in dim_cols)])
    set_id = " + ".join(f"(1 - GROUPING({d})) * {j + 1}" for j, d in enumerate(dim_cols)) or "0"
    key = "coalesce(" + ", ".join([*dim_cols, "''"]) + ") AS k, " if dim_cols else ""
    group_by = f"GROUPING SETS ({sets})" if dim_cols else "m, s, c"
    sql = f"""
        WITH valued AS ({" UNION ALL ".join(selects)})
        SELECT m, ({set_id}) AS set_id, {key}s, c, count(*) AS n,
               coalesce(sum(v_flag), 0) AS v_flag, coalesce(sum(v_keep), 0) AS v_keep,
               count(v_flag) AS n_flag, count(v_keep) AS n_keep
        FROM valued GROUP BY {group_by}
        ORDER BY set_id, m, {"k, " if dim_cols else ""}s DESC, c
    """
    return sql, selects


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


def _collect_arrays(frame: Any) -> dict[str, np.ndarray]:
    pdf = frame.toPandas()
    return {str(c): pdf[c].to_numpy() for c in pdf.columns}


def payoff_arrays(
    spark: Spark,
    view: str,
    payoff: Payoff,
    label_sql: str,
    params: dict[str, object],
    *,
    where_sql: str,
    raw_scores: bool,
    breakdowns: Mapping[str, str],
    models: Sequence[ModelSource],
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """The aggregates :func:`.sweep.result_from_arrays` takes, computed by Spark.

    Raises
    ------
    PayoffError
        When a payoff is NULL or not finite on some labelled rows (counted, as on DuckDB).
    """
    params = dict(params)
    compiled = {}
    for outcome in OUTCOMES:
        c = payoff.compile(outcome, prefix=f"po_{outcome}_", dialect=SPARK)
        compiled[outcome] = c.sql
        params.update(c.params)
    y = f"({label_sql})"
    row_values = {
        "v_flag": f"CASE WHEN {y} THEN ({compiled['tp']}) WHEN NOT {y} THEN ({compiled['fp']}) END",
        "v_keep": f"CASE WHEN {y} THEN ({compiled['fn']}) WHEN NOT {y} THEN ({compiled['tn']}) END",
    }
    sql, selects = _aggregate_sql(
        view, label_sql, where_sql, raw_scores, breakdowns, models, row_values, params
    )
    if progress is not None:
        progress.progress(0.05, "Aggregating per score in Spark")
    watch = _JobWatch(spark, progress, "Aggregating per score in Spark")
    arrays = watch.run(lambda: _collect_arrays(spark.sql(sql, args=params)))
    check_cancelled(progress)
    labelled = (np.asarray(arrays["set_id"]) == 0) & (np.asarray(arrays["c"]) < 2)
    n = np.asarray(arrays["n"])[labelled]
    missing = (n - np.asarray(arrays["n_flag"])[labelled]).sum() + (
        n - np.asarray(arrays["n_keep"])[labelled]
    ).sum()
    finite = all(
        np.isfinite(np.asarray(arrays[k], dtype=np.float64)[labelled]).all() for k in ("v_flag", "v_keep")
    )
    if missing or not finite:
        _raise_for_bad_payoffs(spark, selects, params, payoff)
    return arrays


def _raise_for_bad_payoffs(
    spark: Spark, selects: list[str], params: Mapping[str, object], payoff: Payoff
) -> None:
    """Count the rows whose payoff is NULL or not finite, per outcome; raise for the first (as on DuckDB)."""
    bad = [
        f"count_if(c = {cls} AND NOT coalesce({_finite(v)}, FALSE))"
        for cls, v in ((1, "v_flag"), (0, "v_flag"), (0, "v_keep"), (1, "v_keep"))
    ]  # OUTCOMES order: tp, fp, tn, fn
    row = _rows(
        spark, f"WITH valued AS ({' UNION ALL '.join(selects)}) SELECT {', '.join(bad)} FROM valued", params
    )[0]
    for outcome, count in zip(OUTCOMES, row, strict=True):
        if count:
            who = "positive" if outcome in ("tp", "fn") else "negative"
            raise PayoffError(
                f"{outcome} = {payoff.expressions[outcome]} is missing or not a finite number on {int(count):,} "
                f"{who} rows; use coalesce(column, 0) for missing values or guard divisions",
                outcome=outcome,
            )
    raise PayoffError("the payoff sums are not finite numbers (values too large?)")


# -- one analysis ------------------------------------------------------------------------------------


def analyse_spark(
    spark: Spark, view: str, request: AnalysisRequest, *, progress: Progress | None = None
) -> Analysis:
    """:func:`~roistudio.core.engine.analysis.analyse`, with the counting and aggregation done by Spark.

    Parameters
    ----------
    spark
        A ``pyspark.sql.SparkSession`` (see :func:`spark_session`).
    view
        A table or view in that session's catalog (see :func:`load_source`).
    request
        As for ``analyse``: mapping, payoff, constraints, threshold, breakdowns and filters.
    progress
        Optional progress/cancel object; Cancel cancels the Spark job group.

    Raises
    ------
    MappingError, PayoffError, DataError
        One line naming the problem, as on DuckDB.
    """
    mapping = request.mapping
    if request.period and not mapping.timestamp:
        raise MappingError(f"a breakdown by {request.period} needs a time column (--time COL)")
    if progress is not None:
        progress.progress(0.0, "Checking the data in Spark")
    where_sql, where_params = request.filters.to_sql(
        mapping.timestamp, key_sql=segment_key, quote=q, placeholder=SPARK.placeholder
    )
    validation = validate_on_spark(spark, view, mapping, where_sql=where_sql, where_params=where_params)
    validation.raise_for_problems()
    check_cancelled(progress)
    label_sql, label_params = label_condition(validation.label)
    params: dict[str, Any] = {**label_params, **where_params}
    breakdowns = {segment_breakdown(s): segment_key(s) for s in mapping.segments}
    if request.period:
        assert validation.time is not None
        breakdowns[PERIOD_BREAKDOWN], period_params = period_key(validation.time, request.period)
        params.update(period_params)
    sources = model_sources(mapping, validation)
    arrays = payoff_arrays(
        spark, view, request.payoff, label_sql, params, where_sql=where_sql, raw_scores=mapping.raw_scores,
        breakdowns=breakdowns, models=sources, progress=progress,
    )  # fmt: skip
    if progress is not None:
        progress.progress(0.8, "Building curves")
    result = result_from_arrays(arrays, sources, list(breakdowns))
    if progress is not None:
        progress.progress(1.0, "Sweep done")
    return assemble_analysis(request, view, validation, sources, result)


def spark_date_range(spark: Spark, view: str, column: str) -> tuple[str | None, str | None]:
    """First and last day of a date/time column as ISO text, as :func:`~roistudio.core.data.profile.date_range`."""
    low, high = _rows(
        spark, f"SELECT CAST(min({q(column)}) AS STRING), CAST(max({q(column)}) AS STRING) FROM {q(view)}"
    )[0]
    return (None if low is None else str(low)[:10], None if high is None else str(high)[:10])


def spark_row_count(spark: Spark, view: str) -> int:
    """Rows in the source (for the provenance line)."""
    return int(_rows(spark, f"SELECT count(*) FROM {q(view)}")[0][0])
