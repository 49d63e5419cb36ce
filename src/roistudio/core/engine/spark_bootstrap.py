"""The bootstrap on Spark: the cells aggregated by Spark SQL, the draws by the DuckDB engine's code.

The bootstrap reads rows only once, to aggregate them into cells (per score bucket of each model
and class: the row count and the payoff's sums, squares and cross products; see
:mod:`.bootstrap_cells`). Here that aggregation is one Spark SQL query per cell set, written
from the sweep's own pieces in the Spark dialect (:func:`.sweep_sql.aggregate_sql`,
:func:`.sweep_sql.payoff_row_values`, :meth:`.analysis_query.AnalysisQuery.for_models`):
identifiers quoted, every value a bound ``:name`` parameter. For one model's cells Spark groups
by distinct score, as the sweep itself does, and numpy maps the scores to buckets. For the joint
cells of two models (two score columns, or a model column paired by the id column) Spark computes
each row's bucket itself from the edges' thresholds (:func:`bucket_sql`), so only the joint
cells come back (a few thousand rows at most), never one row per distinct score pair. Cells are
merged and sorted by key as :mod:`.bootstrap_cells` does, so the replicates
(:func:`.bootstrap.bootstrap` with ``cells=SparkCells(...)``) draw the same numbers for the same
seed. The counts are exact; the moments are float sums, equal to DuckDB's up to summation order.
Per-segment and per-period intervals: :mod:`.spark_group_bootstrap`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import AnalysisQuery, model_sources
from roistudio.core.engine.bootstrap_cells import (
    MOMENTS,
    Cells,
    cells_by_score,
    id_pairing_holds,
    merge_cells,
)
from roistudio.core.engine.results import ModelResult
from roistudio.core.engine.spark_jobs import _JobWatch
from roistudio.core.engine.spark_source import Spark, q
from roistudio.core.engine.spark_validate import label_condition, segment_key
from roistudio.core.engine.sweep_sql import SweepQuery, aggregate_sql, payoff_row_values
from roistudio.core.payoff.compile import SPARK
from roistudio.core.progress import Progress, check_cancelled


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
        """Joint (champion bucket, challenger bucket, class) cells, bucketed by Spark.

        Each row's bucket is computed in Spark from the bucket edges' thresholds (bound
        parameters, a binary search of CASEs), so what comes back is one row per joint cell (at
        most about ``edges**2 * 2``, a few thousand), however many distinct score pairs the data
        holds. A model column is paired by the id column as on DuckDB
        (:func:`.bootstrap_cells.id_paired_cells`), or draws the pooled rows.
        """
        if self.analysis.request.mapping.model:
            return self._id_paired(models, edges)
        built = spark_analysis_query(self.view, self.analysis)
        query = built.query
        rows = built.model_rows(models[0].name)  # separate score columns share their rows
        params = rows.params
        values = payoff_row_values(query, params)
        y = f"({query.label_sql})"
        scores = ", ".join(f"CAST({q(m.score_column)} AS DOUBLE) AS s{i}" for i, m in enumerate(models))
        buckets = ", ".join(
            f"{bucket_sql(f's{i}', m, e, f'bk{i}', params)} AS b{i}"
            for i, (m, e) in enumerate(zip(models, edges, strict=True))
        )
        keys = ", ".join(f"b{i}" for i in range(len(models)))
        sql = f"""
            WITH r AS (
                SELECT {scores}, CASE WHEN {y} THEN 1 ELSE 0 END AS c,
                       {values["v_flag"]} AS v_flag, {values["v_keep"]} AS v_keep
                FROM {q(query.table)}
                WHERE {rows.where_sql} AND ({y}) IS NOT NULL
            ),
            k AS (SELECT {buckets}, c, v_flag, v_keep FROM r)
            SELECT {keys}, c, {MOMENTS} FROM k GROUP BY {keys}, c
        """
        raw = self._fetch(sql, params)
        # Sorted by (buckets, class) as DuckDB's ORDER BY: each cell draws from the generator in turn.
        return merge_cells(raw, [np.asarray(raw[f"b{i}"], dtype=np.int64) for i in range(len(models))])

    def _id_paired(self, models: list[ModelResult], edges: list[np.ndarray]) -> Cells | None:
        """A model column paired by the id column: DuckDB's per-event query in Spark SQL."""
        mapping = self.analysis.request.mapping
        if not mapping.id or len(models) != 2:
            return None  # no row belongs to two models: the pooled rows are drawn (as on DuckDB)
        built = spark_analysis_query(self.view, self.analysis)
        query = built.query
        params = built.params
        values = payoff_row_values(query, params)
        y = f"({query.label_sql})"
        selects = []
        for i, (model, e) in enumerate(zip(models, edges, strict=True)):
            rows = built.model_rows(model.name)
            params.update(rows.params)
            selects.append(
                f"SELECT {i} AS m, CAST({q(mapping.id)} AS STRING) AS id, "
                f"{bucket_sql(rows.score_sql, model, e, f'bk{i}', params)} AS b, "
                f"CASE WHEN {y} THEN 1 ELSE 0 END AS c, {values['v_flag']} AS v_flag, "
                f"{values['v_keep']} AS v_keep FROM {q(query.table)} "
                f"WHERE {rows.where_sql} AND ({y}) IS NOT NULL"
            )
        # Per event: each model's bucket and row count, and whether its rows agree on the label
        # and the payoff (an event is one unit of the draw only if they do); as on DuckDB.
        sql = f"""
            WITH r AS ({" UNION ALL ".join(selects)}),
            e AS (
                SELECT id, max(b) FILTER (WHERE m = 0) AS b0, max(b) FILTER (WHERE m = 1) AS b1,
                       count(*) FILTER (WHERE m = 0) AS n0, count(*) FILTER (WHERE m = 1) AS n1,
                       min(c) AS c, max(c) AS c_hi, min(v_flag) AS v_flag, max(v_flag) AS f_hi,
                       min(v_keep) AS v_keep, max(v_keep) AS k_hi
                FROM r GROUP BY id
            ),
            p AS (SELECT coalesce(b0, -1) AS pb0, coalesce(b1, -1) AS pb1, * FROM e)
            SELECT pb0 AS b0, pb1 AS b1, c, {MOMENTS},
                   max(greatest(n0, n1)) AS rows_per_model, bool_or(id IS NULL OR c <> c_hi) AS mixed,
                   max(abs(f_hi - v_flag) + abs(k_hi - v_keep)) AS payoff_gap,
                   max(abs(v_flag) + abs(v_keep)) AS payoff_size
            FROM p GROUP BY pb0, pb1, c
        """
        raw = self._fetch(sql, params)
        if not id_pairing_holds(raw):
            return None
        return merge_cells(raw, [np.asarray(raw[f"b{i}"], dtype=np.int64) for i in range(2)])


def bucket_sql(
    score_sql: str, model: ModelResult, edges: np.ndarray, prefix: str, params: dict[str, object]
) -> str:
    """Spark SQL of a score's bucket (as :func:`.bootstrap_cells.score_bucket`), thresholds bound in ``params``.

    Bucket ``j`` holds the scores below the thresholds of edges ``0..j-1`` and at or above edge
    ``j``'s (the curve's thresholds descend), so the bucket is the first edge whose threshold
    is at or below the score: a binary search written as nested CASEs (depth log2 of the edges).
    """
    thresholds = model.curve.thresholds[edges]
    for j, t in enumerate(thresholds):
        params[f"{prefix}_{j}"] = float(t)

    def search(lo: int, hi: int) -> str:
        if lo == hi:
            return str(lo)
        mid = (lo + hi) // 2
        return (
            f"CASE WHEN {score_sql} >= :{prefix}_{mid} THEN {search(lo, mid)} ELSE {search(mid + 1, hi)} END"
        )

    return search(0, len(thresholds))
