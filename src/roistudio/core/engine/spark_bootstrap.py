"""The bootstrap on Spark: the cells aggregated by Spark SQL, the draws by the DuckDB engine's code.

The bootstrap reads rows only once, to aggregate them into cells (per score bucket of each model
and class: the row count and the payoff's sums, squares and cross products; see
:mod:`.bootstrap_cells`). Here that aggregation is one Spark SQL query per cell set, written
from the sweep's own pieces in the Spark dialect (:func:`.sweep_sql.aggregate_sql`,
:func:`.sweep_sql.payoff_row_values`, :meth:`.analysis_query.AnalysisQuery.for_models`):
identifiers quoted, every value a bound ``:name`` parameter. Spark groups by distinct score
(pairs of scores for two score columns); numpy maps the scores to buckets and merges them into
cells sorted by key, exactly as :func:`.bootstrap_cells.per_model_cells` does, so the replicates
(:func:`.bootstrap.bootstrap` with ``cells=SparkCells(...)``) draw the same numbers for the same
seed. The counts are exact; the moments are float sums, equal to DuckDB's up to summation order.

Not on Spark (refused in one line): pairing a model column's rows by an id column, and the
per-segment/per-period intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import AnalysisQuery, model_sources
from roistudio.core.engine.bootstrap_cells import MOMENTS, Cells, cells_by_score, merge_cells, score_bucket
from roistudio.core.engine.results import ModelResult
from roistudio.core.engine.spark_jobs import _JobWatch
from roistudio.core.engine.spark_source import Spark, q
from roistudio.core.engine.spark_validate import label_condition, segment_key
from roistudio.core.engine.sweep_sql import SweepQuery, aggregate_sql, payoff_row_values
from roistudio.core.errors import RoiError
from roistudio.core.payoff.compile import SPARK
from roistudio.core.progress import Progress, check_cancelled

ID_PAIRING_NOT_ON_SPARK = (
    "the bootstrap pairs a model column's rows by the id column on the duckdb engine only; "
    "run with --engine duckdb, or map the two models as two score columns"
)


def spark_analysis_query(view: str, analysis: Analysis) -> AnalysisQuery:
    """The rows ``analysis`` swept on Spark, as Spark SQL pieces (no breakdowns: cells need none)."""
    request, validation = analysis.request, analysis.validation
    mapping = request.mapping
    where_sql, where_params = request.filters.to_sql(
        mapping.timestamp, key_sql=segment_key, quote=q, placeholder=SPARK.placeholder
    )
    label_sql, label_params = label_condition(validation.label)
    query = SweepQuery(
        view, label_sql, label_params, request.payoff, where_sql=where_sql, where_params=where_params,
        raw_scores=mapping.raw_scores, breakdowns={}, dialect=SPARK,
    )  # fmt: skip
    return AnalysisQuery(query, tuple(model_sources(mapping, validation)))


@dataclass(frozen=True)
class SparkCells:
    """:class:`.bootstrap_cells.CellSource` whose aggregations run on Spark.

    Parameters
    ----------
    spark
        The session the analysis ran on.
    view
        The view of the source in that session (see :func:`.spark_source.load_source`).
    analysis
        The analysis :func:`.spark.analyse_spark` returned for that view.
    progress
        Optional progress/cancel object; Cancel cancels the Spark job group.
    """

    spark: Spark
    view: str
    analysis: Analysis
    progress: Progress | None = None

    def _fetch(self, sql: str, params: dict[str, object]) -> dict[str, np.ndarray]:
        watch = _JobWatch(self.spark, self.progress, "Aggregating cells for the bootstrap in Spark")
        pdf = watch.run(lambda: self.spark.sql(sql, args=params).toPandas())
        check_cancelled(self.progress)
        return {str(c): pdf[c].to_numpy() for c in pdf.columns}

    def per_model(self, models: list[ModelResult], edges: list[np.ndarray]) -> Cells:
        """Per (model bucket, class) cells: the sweep's per-score aggregation with the moments."""
        built = spark_analysis_query(self.view, self.analysis)
        query, sources = built.for_models([m.name for m in models], breakdowns=())
        params = built.params
        values = payoff_row_values(query, params)
        sql, _ = aggregate_sql(query, sources, values, MOMENTS.split(", ")[1:], params)
        return cells_by_score(self._fetch(sql, params), models, edges)

    def paired(self, models: list[ModelResult], edges: list[np.ndarray]) -> Cells | None:
        """Two score columns on the same rows: per (champion score, challenger score, class), then buckets."""
        if self.analysis.request.mapping.model:
            if self.analysis.request.mapping.id:
                raise RoiError(ID_PAIRING_NOT_ON_SPARK)
            return None  # no row belongs to two models: the pooled rows are drawn (as on DuckDB)
        built = spark_analysis_query(self.view, self.analysis)
        query = built.query
        rows = built.model_rows(models[0].name)  # separate score columns share their rows
        params = rows.params
        values = payoff_row_values(query, params)
        y = f"({query.label_sql})"
        scores = ", ".join(f"CAST({q(m.score_column)} AS DOUBLE) AS s{i}" for i, m in enumerate(models))
        sql = f"""
            WITH r AS (
                SELECT {scores}, CASE WHEN {y} THEN 1 ELSE 0 END AS c,
                       {values["v_flag"]} AS v_flag, {values["v_keep"]} AS v_keep
                FROM {q(query.table)}
                WHERE {rows.where_sql} AND ({y}) IS NOT NULL
            )
            SELECT {", ".join(f"s{i}" for i in range(len(models)))}, c, {MOMENTS}
            FROM r GROUP BY {", ".join(f"s{i}" for i in range(len(models)))}, c
        """
        raw: dict[str, Any] = self._fetch(sql, params)
        buckets = [
            score_bucket(m, e, np.asarray(raw[f"s{i}"], dtype=np.float64))
            for i, (m, e) in enumerate(zip(models, edges, strict=True))
        ]
        # Sorted by (buckets, class) as DuckDB's ORDER BY: each cell draws from the generator in turn.
        return merge_cells(raw, buckets)
