"""The decision's uncertainty on Spark: the bootstrap and the per-group intervals, for the CLI and the app.

The one call both front ends make for a Spark source: :func:`.bootstrap.bootstrap` with its cells
aggregated by Spark (:class:`.spark_bootstrap.SparkCells`), then the per-segment and per-period
intervals (:func:`.spark_group_bootstrap.spark_group_intervals`), the same steps, seeds and
progress split as :func:`.decision.decide` takes on DuckDB, so the result is DuckDB's for the same
seed. Every Spark action runs in a job group: progress from Spark's task counts, Cancel cancels it.
"""

from __future__ import annotations

from dataclasses import replace

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.bootstrap import BootstrapResult, bootstrap
from roistudio.core.engine.decision import Decision, DecisionOptions, recommendation
from roistudio.core.engine.spark_bootstrap import SparkCells
from roistudio.core.engine.spark_group_bootstrap import spark_group_intervals
from roistudio.core.engine.spark_source import Spark
from roistudio.core.progress import Progress, ScaledProgress


def spark_uncertainty(
    spark: Spark,
    view: str,
    analysis: Analysis,
    *,
    replicates: int,
    confidence: float,
    seed: int,
    progress: Progress | None = None,
) -> BootstrapResult:
    """The bootstrap's intervals with the per-group ones (``groups``), aggregated by Spark.

    Parameters
    ----------
    spark, view
        The session and view :func:`.spark.analyse_spark` read.
    analysis
        The analysis it returned.
    replicates, confidence, seed
        As for :func:`.bootstrap.bootstrap`.
    progress
        Optional progress/cancel object.
    """
    result = bootstrap(
        None,  # type: ignore[arg-type]  # the cells come from Spark: no DuckDB connection is read
        analysis,
        replicates=replicates,
        confidence=confidence,
        seed=seed,
        progress=None if progress is None else ScaledProgress(progress, 0.0, 0.8),
        cells=SparkCells(spark, view, analysis, progress),
    )
    groups = spark_group_intervals(
        spark,
        view,
        analysis,
        replicates=replicates,
        confidence=confidence,
        seed=seed,
        progress=None if progress is None else ScaledProgress(progress, 0.8, 1.0),
    )
    return replace(result, groups=groups)


def spark_decision(
    spark: Spark, view: str, analysis: Analysis, options: DecisionOptions, progress: Progress | None = None
) -> Decision:
    """The :class:`.decision.Decision` a Spark source gets: intervals (when asked) and the recommendation.

    Walk-forward, coverage and sensitivity are left ``None`` here (the Spark engine's callers say
    which of them they run elsewhere).
    """
    check = replace(options, ranges=())
    check.check(analysis)
    result = None
    if options.replicates > 0:
        result = spark_uncertainty(
            spark, view, analysis, replicates=options.replicates, confidence=options.confidence,
            seed=options.seed, progress=progress,
        )  # fmt: skip
    return Decision(
        options=options,
        uncertainty=result,
        backtest=None,
        coverage=None,
        sensitivity=None,
        recommendation=recommendation(analysis, result, options.promote_at),
    )
