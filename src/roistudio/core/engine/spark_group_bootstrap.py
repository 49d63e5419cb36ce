"""Per-segment and per-period intervals on Spark: the cells by Spark SQL, the draws by the shared code.

The per-group intervals (:mod:`.group_bootstrap`) read rows once, into four cells per group
(flagged at the operating threshold or not, class): row count, payoff sum and sum of squares.
Here that aggregation is :func:`.group_bootstrap.group_cells_sql` written in the Spark dialect
over the analysis's own breakdown keys (:func:`.spark_validate.segment_key`,
:func:`.spark_validate.period_key`), sorted by Spark as DuckDB sorts it; the replicates are
:func:`.group_bootstrap.draw_group_intervals`, so the same seed gives the same intervals on both
engines (counts exact, sums equal up to float summation order).
"""

from __future__ import annotations

from dataclasses import replace

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN, segment_breakdown
from roistudio.core.engine.group_bootstrap import GroupIntervals, draw_group_intervals, group_cells_sql
from roistudio.core.engine.spark_bootstrap import spark_analysis_query
from roistudio.core.engine.spark_jobs import _JobWatch
from roistudio.core.engine.spark_source import Spark
from roistudio.core.engine.spark_validate import period_key, segment_key
from roistudio.core.progress import Progress, check_cancelled


def spark_group_intervals(
    spark: Spark,
    view: str,
    analysis: Analysis,
    *,
    replicates: int,
    confidence: float,
    seed: int,
    progress: Progress | None = None,
) -> GroupIntervals:
    """:func:`.group_bootstrap.group_intervals` with the cells aggregated by Spark.

    Parameters
    ----------
    spark, view
        The session and the view :func:`.spark.analyse_spark` read.
    analysis
        The analysis it returned.
    replicates, confidence, seed
        As for :func:`.bootstrap.bootstrap` (the same seed gives DuckDB's intervals).
    progress
        Optional progress/cancel object; Cancel cancels the Spark job group.

    Returns
    -------
    GroupIntervals
        Empty when the analysis has no segment or period breakdown.
    """
    request, validation = analysis.request, analysis.validation
    # The same breakdown keys, in the same order, as analyse_spark's sweep.
    breakdowns = {segment_breakdown(s): segment_key(s) for s in request.mapping.segments}
    period_params: dict[str, object] = {}
    if request.period and validation.time is not None:
        breakdowns[PERIOD_BREAKDOWN], period_params = period_key(validation.time, request.period)
    if not breakdowns:
        return {}
    built = spark_analysis_query(view, analysis)
    built = replace(built, query=replace(built.query, breakdowns=breakdowns))
    sql, params = group_cells_sql(built, analysis)
    params.update(period_params)
    # Spark sorts as DuckDB's ORDER BY ALL does (UTF-8 byte order of the keys, NULLs last):
    # each cell takes its draws from the generator in turn.
    sql = f"{sql} ORDER BY b, k ASC NULLS LAST, f, c"
    watch = _JobWatch(spark, progress, "Aggregating per-group cells for the bootstrap in Spark")
    pdf = watch.run(lambda: spark.sql(sql, args=params).toPandas())
    check_cancelled(progress)
    raw = {str(c): pdf[c].to_numpy() for c in pdf.columns}
    return draw_group_intervals(
        raw, analysis, list(breakdowns), replicates=replicates, confidence=confidence, seed=seed,
        progress=progress,
    )  # fmt: skip
