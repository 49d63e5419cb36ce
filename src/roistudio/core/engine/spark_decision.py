"""Walk-forward, sensitivity and the label-delay estimate on Spark: the aggregates by Spark SQL.

These figures read the analysis's rows again only as aggregates (per-period curves, per-score
sums, sums at held policies, sweeps under other parameter values). :class:`SparkAggregator` runs
those aggregations as Spark SQL, written by the same dialect-aware builders as on DuckDB
(:mod:`.sweep_sql`, :mod:`.analysis_query`, the payoff compiled with the SPARK dialect,
identifiers quoted, every value a bound ``:name`` parameter), and hands back numpy arrays;
:func:`.decision.decide`, :func:`.sensitivity.sensitivity` and
:func:`.estimate.estimate_label_delay` then run their own numpy code unchanged, so the JSON
blocks are the DuckDB engine's.

- Walk-forward and coverage: without a period breakdown, one more Spark sweep by month (the
  validation reused), as on DuckDB.
- Sensitivity: a payoff linear in its parameters from ``1 + parameters`` Spark sweeps at unit
  parameter values (exact up to float summation order); other payoffs from the held-policy
  sums (100 parameter settings per Spark job) and one sweep per range end.
- The label-delay estimate: one Spark aggregation per (period, score, class).

Every Spark action runs in a job group (:class:`.spark_jobs._JobWatch`): progress, Cancel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from roistudio.core.data.validation import ValidationReport
from roistudio.core.engine.analysis import Analysis, AnalysisRequest
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN, AnalysisQuery, segment_breakdown
from roistudio.core.engine.calibration import DEFAULT_METHOD
from roistudio.core.engine.decision import Decision, DecisionOptions, decide
from roistudio.core.engine.estimate import DEFAULT_CONFIDENCE, LabelDelay, estimate_label_delay
from roistudio.core.engine.spark import analyse_spark, payoff_arrays
from roistudio.core.engine.spark_bootstrap import spark_analysis_query
from roistudio.core.engine.spark_jobs import _JobWatch
from roistudio.core.engine.spark_source import Spark
from roistudio.core.engine.spark_validate import period_key, segment_key
from roistudio.core.engine.sweep import SweepResult, result_from_arrays
from roistudio.core.payoff.language import Payoff
from roistudio.core.progress import Progress, check_cancelled


def spark_full_query(view: str, analysis: Analysis) -> AnalysisQuery:
    """The query ``analysis`` was swept with on Spark: its rows and every breakdown, in Spark SQL."""
    base = spark_analysis_query(view, analysis)
    request = analysis.request
    breakdowns = {segment_breakdown(s): segment_key(s) for s in request.mapping.segments}
    period_params: dict[str, object] = {}
    if request.period:
        assert analysis.validation.time is not None  # a period breakdown needs a validated time column
        breakdowns[PERIOD_BREAKDOWN], period_params = period_key(analysis.validation.time, request.period)
    # The period key's bound patterns travel with the label's values (AnalysisQuery.params has both).
    query = replace(
        base.query, breakdowns=breakdowns, label_params={**base.query.label_params, **period_params}
    )
    return AnalysisQuery(query, base.sources)


@dataclass
class SparkAggregator:
    """:class:`~.aggregator.RowAggregator` whose aggregations run on Spark.

    Made from what :class:`.spark_bootstrap.SparkCells` is made of: the session and view the
    analysis ran on, the analysis, and an optional progress/cancel object (Cancel cancels the
    Spark job group).
    """

    spark: Spark
    view: str
    analysis: Analysis
    progress: Progress | None = None
    _built: AnalysisQuery | None = field(default=None, repr=False)
    # Parameter settings per held-policy scan (sensitivity of payoffs not linear in their
    # parameters): a Spark job costs a fixed start-up, so more than DuckDB's 48; 500 (1,500
    # aggregates of the payoff in one plan) ran a 512 MB driver out of memory.
    settings_per_scan: int = 100

    @property
    def built(self) -> AnalysisQuery:
        """The analysis's own query in Spark SQL."""
        if self._built is None:
            self._built = spark_full_query(self.view, self.analysis)
        return self._built

    def fetch(self, sql: str, params: Mapping[str, object]) -> dict[str, np.ndarray]:
        """Run ``sql`` on Spark in a job group; its columns as numpy arrays."""
        bound = dict(params)
        watch = _JobWatch(self.spark, self.progress, "Aggregating in Spark")
        pdf = watch.run(lambda: self.spark.sql(sql, args=bound).toPandas())
        check_cancelled(self.progress)
        return {str(c): pdf[c].to_numpy() for c in pdf.columns}

    def sweep(self, payoff: Payoff) -> SweepResult:
        """Every model's overall curve under ``payoff``: the sweep's aggregation on Spark."""
        built = self.built
        query, sources = built.for_models(list(self.analysis.models), breakdowns=())
        arrays = payoff_arrays(
            self.spark, self.view, payoff, query.label_sql, built.params, where_sql=query.where_sql,
            raw_scores=query.raw_scores, breakdowns={}, models=sources, progress=self.progress,
        )  # fmt: skip
        return result_from_arrays(arrays, sources, [])

    def reanalyse(
        self, request: AnalysisRequest, validation: ValidationReport, progress: Progress | None
    ) -> Analysis:
        """:func:`.spark.analyse_spark` of ``request`` on the same view, validation reused."""
        return analyse_spark(self.spark, self.view, request, validation=validation, progress=progress)


def spark_decide(
    spark: Spark,
    view: str,
    analysis: Analysis,
    options: DecisionOptions,
    *,
    progress: Progress | None = None,
) -> Decision:
    """The walk-forward, coverage and sensitivity of a Spark analysis (no bootstrap: see :mod:`.spark_bootstrap`).

    The same :func:`.decision.decide` as on DuckDB, its aggregations run by :class:`SparkAggregator`.
    """
    rows = SparkAggregator(spark, view, analysis, progress)
    return decide(None, analysis, options, progress=progress, only=("backtest", "sensitivity"), rows=rows)  # type: ignore[arg-type]  # no DuckDB connection is read


def spark_label_delay(
    spark: Spark,
    view: str,
    analysis: Analysis,
    *,
    method: str = DEFAULT_METHOD,
    calibration_periods: int | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    progress: Progress | None = None,
) -> LabelDelay:
    """:func:`.estimate.estimate_label_delay` of a Spark analysis, its per-score sums aggregated by Spark."""
    return estimate_label_delay(
        None,  # type: ignore[arg-type]  # the rows are read by Spark
        analysis,
        method=method,
        calibration_periods=calibration_periods,
        confidence=confidence,
        progress=progress,
        rows=SparkAggregator(spark, view, analysis, progress),
    )
