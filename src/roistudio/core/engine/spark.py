"""Apache Spark as the engine: the same per-score aggregation, run where the data lives.

The sweep is one aggregation per (model, breakdown key, distinct score, class): row counts and
two payoff sums (see :mod:`.sweep`). Here that aggregation, and the few counting queries of the
mapping validation, run as Spark SQL; only the aggregates come back (one row per distinct score
and class, never a data row). From them on, everything is the code the DuckDB engine uses:
:func:`.sweep.result_from_arrays` builds the curves, :func:`.analysis.assemble_analysis` reads
the policies, comparison, segments and periods, and the JSON and report writers take the
resulting :class:`~.analysis.Analysis` unchanged.

The pieces: :mod:`.spark_source` (session, reading a path or table, column types),
:mod:`.spark_validate` (mapping counts, segment and period keys), :mod:`.spark_jobs` (job group,
progress, Cancel); here the aggregation and :func:`analyse_spark`.

PySpark is an optional dependency (``pip install roistudio[spark]``): it is imported inside the
functions here, never when this module is imported. Spark SQL is written with backtick
identifiers and ``:name`` parameters bound by ``spark.sql(query, args=...)`` (Spark >= 3.4), so
no data value or user text is spliced into SQL. The session's time zone is pinned to UTC, as the
DuckDB connections are, so periods and date filters do not depend on the machine's zone.

What the Spark engine does not do (it says so in one line rather than guess): the mapping
proposal (``--score`` and ``--label`` must be given). The bootstrap's cells are aggregated by Spark
too (:mod:`.spark_bootstrap`), and so are the walk-forward, sensitivity, label-delay estimate and
the workbook's live formulas (:mod:`.spark_decision`, :mod:`.spark_live`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from roistudio.core.data.validation import ValidationReport
from roistudio.core.engine.analysis import Analysis, AnalysisRequest, assemble_analysis
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN, model_sources, segment_breakdown
from roistudio.core.engine.spark_jobs import _JobWatch
from roistudio.core.engine.spark_source import (
    DEFAULT_MASTER,
    PYSPARK_MISSING,
    VIEW,
    Spark,
    SparkSource,
    _rows,
    load_source,
    q,
    spark_columns,
    spark_session,
)
from roistudio.core.engine.spark_validate import (
    label_condition,
    period_key,
    segment_key,
    validate_on_spark,
)
from roistudio.core.engine.sweep import result_from_arrays
from roistudio.core.engine.sweep_sql import (
    PAYOFF_AGGREGATES,
    ModelSource,
    SweepQuery,
    aggregate_sql,
    bad_payoff_counts_sql,
    labelled_sums_finite,
    payoff_row_values,
)
from roistudio.core.errors import MappingError, PayoffError
from roistudio.core.payoff.compile import SPARK
from roistudio.core.payoff.language import OUTCOMES, Payoff
from roistudio.core.progress import Progress, check_cancelled

__all__ = [
    "DEFAULT_MASTER",
    "PYSPARK_MISSING",
    "VIEW",
    "SparkSource",
    "analyse_spark",
    "load_source",
    "spark_columns",
    "spark_date_range",
    "spark_row_count",
    "spark_session",
]

# -- the aggregation --------------------------------------------------------------------------------


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

    The SQL is the sweep's own (:func:`.sweep_sql.aggregate_sql`), written in the Spark dialect.

    Raises
    ------
    PayoffError
        When a payoff is NULL or not finite on some labelled rows (counted, as on DuckDB).
    """
    params = dict(params)
    query = SweepQuery(
        view, label_sql, {}, payoff, where_sql=where_sql, raw_scores=raw_scores, breakdowns=breakdowns,
        dialect=SPARK,
    )  # fmt: skip
    row_values = payoff_row_values(query, params)
    sql, selects = aggregate_sql(query, models, row_values, PAYOFF_AGGREGATES, params)
    if progress is not None:
        progress.progress(0.05, "Aggregating per score in Spark")
    watch = _JobWatch(spark, progress, "Aggregating per score in Spark")
    arrays = watch.run(lambda: _collect_arrays(spark.sql(sql, args=params)))
    check_cancelled(progress)
    if not labelled_sums_finite(arrays):
        _raise_for_bad_payoffs(spark, selects, params, payoff)
    return arrays


def _raise_for_bad_payoffs(
    spark: Spark, selects: list[str], params: Mapping[str, object], payoff: Payoff
) -> None:
    """Count the rows whose payoff is NULL or not finite, per outcome; raise for the first (as on DuckDB)."""
    row = _rows(spark, bad_payoff_counts_sql(selects, SPARK), params)[0]  # OUTCOMES order: tp, fp, tn, fn
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
    spark: Spark,
    view: str,
    request: AnalysisRequest,
    *,
    progress: Progress | None = None,
    validation: ValidationReport | None = None,
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
    validation
        The validation of the same mapping under the same filters on the same data (an earlier
        analysis's): the counting queries are skipped, so a payoff edit is one Spark job.

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
    if validation is None:
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
