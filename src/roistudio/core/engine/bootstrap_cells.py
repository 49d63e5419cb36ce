"""The bootstrap's machinery: rows aggregated once into cells, and replicates drawn from the cells.

The rows are aggregated once into cells: per (score bucket of every model, class) the row
count and the sums, sums of squares and cross products of the payoff if flagged and if not
flagged. Score buckets are runs of adjacent distinct scores (at most ``max_buckets`` per model)
whose edges always include the thresholds the analysis holds, so a held threshold splits no
bucket. A replicate then draws the cell counts from the exact multinomial of the row-level
bootstrap and, for each cell, the payoff sums of that many rows drawn from the cell: mean times
count plus a normal term with the cell's within-cell (co)variance times the count. Counts are
exact; the sums are exact whenever the payoff is constant within a cell and otherwise agree in
distribution to the second moment (the error vanishes as cells add up). Point figures are never
taken from here: they stay the analysis's exact figures. With two score columns the cell key is
(champion bucket, challenger bucket, class), which is what keeps the draw paired; with a model
column the same key per event when an id column names the events (:func:`id_paired_cells`),
otherwise the draw is the row-level bootstrap of the pooled rows (``docs/uncertainty.md`` says
when that is right).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import duckdb
import numpy as np
import pandas as pd

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import analysis_query
from roistudio.core.engine.curve import Curve
from roistudio.core.engine.results import ModelResult
from roistudio.core.engine.sweep import _aggregate_sql, _fetch, payoff_row_values
from roistudio.core.sql import quote_ident

CHUNK = 100
"""Replicates drawn at once (memory: cells x CHUNK floats per array)."""
WORKERS = 2
"""Threads drawing chunks at once (numpy's draws and array arithmetic release the GIL)."""
_EXACT_BELOW = 100
T = TypeVar("T")


# -- buckets ------------------------------------------------------------------------------------------


def bucket_edges(curve: Curve, forced: Sequence[int], max_buckets: int) -> np.ndarray:
    """Curve indices ending each bucket (ascending; the last is "flag everyone").

    Bucket ``j`` holds the distinct scores at curve indices ``(edges[j-1], edges[j]]``. Edges
    spread the labelled rows evenly and always include ``forced`` (held thresholds), so a
    held threshold flags whole buckets. With at most ``max_buckets`` distinct scores every
    score is its own bucket and everything is exact up to the within-cell draw.
    """
    last = len(curve) - 1
    if last <= 0:
        return np.zeros(0, dtype=np.int64)
    if last <= max_buckets:
        edges = np.arange(1, last + 1)
    else:
        # Half the edges spread the rows evenly, half the distinct scores (where many rows
        # share a few scores, row quantiles alone would leave most buckets unused).
        counts = curve.tp + curve.fp + curve.flagged_unlabeled
        half = max(max_buckets // 2, 1)
        by_rows = np.searchsorted(counts, np.linspace(0, counts[-1], half + 1)[1:], side="left")
        by_scores = np.linspace(1, last, half).round().astype(np.int64)
        edges = np.r_[by_rows, by_scores]
    forced_arr = np.asarray([i for i in forced if 0 < i <= last], dtype=np.int64)
    return np.unique(np.clip(np.r_[edges, forced_arr, last], 1, last)).astype(np.int64)


def _score_buckets(curve: Curve, edges: np.ndarray) -> pd.DataFrame:
    """Distinct score -> bucket number, for a join in DuckDB."""
    positions = np.arange(1, len(curve))
    return pd.DataFrame(
        {"s": curve.thresholds[1:], "b": np.searchsorted(edges, positions, side="left").astype(np.int32)}
    )


# -- aggregation --------------------------------------------------------------------------------------

MOMENTS = (
    "count(*) AS n, sum(v_flag) AS sf, sum(v_keep) AS sk, sum(v_flag * v_flag) AS qff, "
    "sum(v_keep * v_keep) AS qkk, sum(v_flag * v_keep) AS qfk"
)


@dataclass(frozen=True, eq=False)
class Cells:
    """Per-cell row counts and payoff moments; ``buckets[i]`` is model i's bucket (-1: not its row)."""

    n: np.ndarray
    sf: np.ndarray
    sk: np.ndarray
    qff: np.ndarray
    qkk: np.ndarray
    qfk: np.ndarray
    buckets: list[np.ndarray]


def paired_cells(
    con: duckdb.DuckDBPyConnection, analysis: Analysis, models: list[ModelResult], edges: list[np.ndarray]
) -> Cells:
    """Two score columns on the same rows: one cell per (champion bucket, challenger bucket, class)."""
    built = analysis_query(analysis)
    query = built.query
    # Separate score columns share their rows: the champion's rows are the challenger's too.
    rows = built.model_rows(models[0].name)
    params = rows.params
    values = payoff_row_values(query, params)
    y = f"({query.label_sql})"
    names = [f"roistudio_boot_map_{i}_{id(analysis)}" for i in range(len(models))]
    for name, model, e in zip(names, models, edges, strict=True):
        con.register(name, _score_buckets(model.curve, e))
    try:
        scores = ", ".join(
            f"CAST({quote_ident(m.score_column)} AS DOUBLE) AS s{i}" for i, m in enumerate(models)
        )
        joins = " ".join(f"JOIN {quote_ident(n)} m{i} ON r.s{i} = m{i}.s" for i, n in enumerate(names))
        sql = f"""
            WITH r AS (
                SELECT {scores}, CASE WHEN {y} THEN 1 ELSE 0 END AS c,
                       {values["v_flag"]} AS v_flag, {values["v_keep"]} AS v_keep
                FROM {quote_ident(query.table)}
                WHERE {rows.where_sql} AND ({y}) IS NOT NULL
            )
            SELECT {", ".join(f"m{i}.b AS b{i}" for i in range(len(models)))}, r.c, {MOMENTS}
            FROM r {joins} GROUP BY ALL ORDER BY ALL
        """
        # ORDER BY: a parallel GROUP BY returns cells in any order, and each cell takes its draws
        # from the generator in turn, so without it the same seed gave different intervals.
        raw = _fetch(con, sql, params)
    finally:
        for name in names:
            con.unregister(name)
    return _cells_from(raw, [np.asarray(raw[f"b{i}"], dtype=np.int64) for i in range(len(models))])


def id_paired_cells(
    con: duckdb.DuckDBPyConnection, analysis: Analysis, models: list[ModelResult], edges: list[np.ndarray]
) -> Cells | None:
    """A model column whose models scored the same events, paired by the id column.

    Each event (id) is one unit of the draw: one cell per (champion bucket, challenger bucket,
    class), bucket -1 for a model that did not score the event. This is the two-score-column
    draw for data exported long. ``None`` when the rows cannot be paired that way (no id
    column mapped, a missing id, an id with two rows of one model, or the rows of one event
    differing in label or payoff): the caller then draws the pooled rows.
    """
    mapping = analysis.request.mapping
    if not mapping.id or not mapping.model or len(models) != 2:
        return None
    built = analysis_query(analysis)
    query = built.query
    params = built.params
    values = payoff_row_values(query, params)
    y = f"({query.label_sql})"
    selects = []
    for i, model in enumerate(models):
        rows = built.model_rows(model.name)
        params.update(rows.params)
        selects.append(
            f"SELECT {i} AS m, CAST({quote_ident(mapping.id)} AS VARCHAR) AS id, {rows.score_sql} AS s, "
            f"CASE WHEN {y} THEN 1 ELSE 0 END AS c, {values['v_flag']} AS v_flag, "
            f"{values['v_keep']} AS v_keep FROM {quote_ident(query.table)} "
            f"WHERE {rows.where_sql} AND ({y}) IS NOT NULL"
        )
    maps = pd.concat(
        [_score_buckets(m.curve, e).assign(m=i) for i, (m, e) in enumerate(zip(models, edges, strict=True))]
    )
    name = f"roistudio_boot_idmap_{id(analysis)}"
    con.register(name, maps)
    try:
        # Per event: each model's bucket and row count, and whether its rows agree on the label
        # and the payoff (an event is one unit of the draw only if they do).
        sql = f"""
            WITH r AS ({" UNION ALL ".join(selects)}),
            e AS (
                SELECT r.id, max(mb.b) FILTER (WHERE r.m = 0) AS b0, max(mb.b) FILTER (WHERE r.m = 1) AS b1,
                       count(*) FILTER (WHERE r.m = 0) AS n0, count(*) FILTER (WHERE r.m = 1) AS n1,
                       min(r.c) AS c, max(r.c) AS c_hi, min(r.v_flag) AS v_flag, max(r.v_flag) AS f_hi,
                       min(r.v_keep) AS v_keep, max(r.v_keep) AS k_hi
                FROM r JOIN {quote_ident(name)} mb ON r.m = mb.m AND r.s = mb.s
                GROUP BY r.id
            )
            SELECT coalesce(b0, -1) AS b0, coalesce(b1, -1) AS b1, c, {MOMENTS},
                   max(greatest(n0, n1)) AS rows_per_model, bool_or(id IS NULL OR c <> c_hi) AS mixed,
                   max(abs(f_hi - v_flag) + abs(k_hi - v_keep)) AS payoff_gap,
                   max(abs(v_flag) + abs(v_keep)) AS payoff_size
            FROM e GROUP BY ALL ORDER BY ALL
        """
        raw = _fetch(con, sql, params)
    finally:
        con.unregister(name)
    if not id_pairing_holds(raw):
        return None
    return _cells_from(raw, [np.asarray(raw[f"b{i}"], dtype=np.int64) for i in range(2)])


def id_pairing_holds(raw: dict[str, Any]) -> bool:
    """Whether per-event cells (:func:`id_paired_cells`'s columns) pair the rows: else draw pooled rows.

    Each event needs at most one row per model, a known id, and one label and one payoff
    across its rows. Any engine's aggregation feeds this (Spark in :mod:`.spark_bootstrap`).
    """
    gap = np.nan_to_num(np.asarray(raw["payoff_gap"], dtype=np.float64), nan=np.inf)
    size = np.nan_to_num(np.asarray(raw["payoff_size"], dtype=np.float64))
    return not (
        len(gap) == 0
        or np.any(np.asarray(raw["rows_per_model"]) > 1)
        or np.any(np.asarray(raw["mixed"], dtype=bool))
        or np.any(gap > 1e-9 * np.maximum(size, 1.0))
    )


def per_model_cells(
    con: duckdb.DuckDBPyConnection, analysis: Analysis, models: list[ModelResult], edges: list[np.ndarray]
) -> Cells:
    """One score column (or a model column): the sweep's per-(model, score, class) aggregation."""
    built = analysis_query(analysis)
    query, sources = built.for_models([m.name for m in models], breakdowns=())
    params = built.params
    values = payoff_row_values(query, params)
    sql, _ = _aggregate_sql(query, sources, values, MOMENTS.split(", ")[1:], params)
    return cells_by_score(_fetch(con, sql, params), models, edges)


def score_bucket(model: ModelResult, edges: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The bucket of each of ``scores`` (which must be distinct scores of ``model``'s curve)."""
    # The curve's thresholds are these very scores, strictly descending: a binary search
    # gives each score's curve index, then its bucket.
    asc = model.curve.thresholds[1:][::-1]
    pos = len(asc) - np.searchsorted(asc, scores, side="left")
    return np.searchsorted(edges, pos, side="left")


def cells_by_score(raw: dict[str, Any], models: list[ModelResult], edges: list[np.ndarray]) -> Cells:
    """Cells from per-(model, score, class) moments (columns ``m, s, c`` and ``MOMENTS``'s).

    Any engine's aggregation feeds this (DuckDB here, Spark in :mod:`.spark_bootstrap`).
    """
    labelled = np.asarray(raw["c"]) < 2
    raw = {k: np.asarray(v)[labelled] for k, v in raw.items()}
    which = np.asarray(raw["m"], dtype=np.int64)
    scores = np.asarray(raw["s"], dtype=np.float64)
    buckets = [
        np.where(which == i, score_bucket(model, e, scores), -1)
        for i, (model, e) in enumerate(zip(models, edges, strict=True))
    ]
    return merge_cells(raw, buckets)


def merge_cells(raw: dict[str, Any], buckets: list[np.ndarray]) -> Cells:
    """One cell per (buckets, class), sorted by them: the moments of finer groups add up."""
    keys = np.stack([*buckets, np.asarray(raw["c"], dtype=np.int64)], axis=1)
    unique, cell = np.unique(keys, axis=0, return_inverse=True)
    cell = cell.ravel()
    merged = {k: np.bincount(cell, weights=np.nan_to_num(np.asarray(raw[k], dtype=np.float64)), minlength=len(unique))
              for k in ("n", "sf", "sk", "qff", "qkk", "qfk")}  # fmt: skip
    return _cells_from(merged, [unique[:, i] for i in range(len(buckets))])


class CellSource(Protocol):
    """Where the cells come from: the one part of the bootstrap that reads rows."""

    def per_model(self, models: list[ModelResult], edges: list[np.ndarray]) -> Cells:
        """Cells per (each model's bucket, class), a row in one model's cells only."""

    def paired(self, models: list[ModelResult], edges: list[np.ndarray]) -> Cells | None:
        """Joint (champion bucket, challenger bucket, class) cells, or ``None`` (draw pooled rows)."""


@dataclass(frozen=True)
class DuckDBCells:
    """The cells aggregated by DuckDB on the connection the analysis ran on."""

    con: duckdb.DuckDBPyConnection
    analysis: Analysis

    def per_model(self, models: list[ModelResult], edges: list[np.ndarray]) -> Cells:
        return per_model_cells(self.con, self.analysis, models, edges)

    def paired(self, models: list[ModelResult], edges: list[np.ndarray]) -> Cells | None:
        # A model column: paired by event when an id column says which rows are one event;
        # otherwise no row belongs to two models and the draw is the row-level bootstrap of the
        # pooled rows (docs/uncertainty.md says when that is right).
        if self.analysis.request.mapping.model:
            return id_paired_cells(self.con, self.analysis, models, edges)
        return paired_cells(self.con, self.analysis, models, edges)


def nonempty(cells: Cells) -> Cells:
    """The cells that hold rows (empty ones draw nothing and only cost time)."""
    keep = cells.n > 0
    c = cells
    return Cells(
        c.n[keep], c.sf[keep], c.sk[keep], c.qff[keep], c.qkk[keep], c.qfk[keep], [b[keep] for b in c.buckets]
    )


def _cells_from(raw: dict[str, Any], buckets: list[np.ndarray]) -> Cells:
    def col(name: str) -> np.ndarray:
        return np.nan_to_num(np.asarray(raw[name], dtype=np.float64))

    return Cells(col("n"), col("sf"), col("sk"), col("qff"), col("qkk"), col("qfk"), buckets)


# -- replicates -----------------------------------------------------------------------------------


def chunk_generators(seed: int | Sequence[int], replicates: int) -> list[tuple[np.random.Generator, int]]:
    """One generator and size per chunk of ``replicates``: chunk ``i`` draws from child ``i``.

    The children are spawned from the seed (``SeedSequence.spawn``), so a chunk's draws depend
    on the seed and its position only: the intervals are the same whatever thread draws which
    chunk, and in whatever order.
    """
    sizes = [min(CHUNK, replicates - start) for start in range(0, replicates, CHUNK)]
    children = np.random.SeedSequence(seed).spawn(len(sizes))
    return [(np.random.default_rng(child), size) for child, size in zip(children, sizes, strict=True)]


def map_chunks(draw: Callable[[int], T], chunks: int, tick: Callable[[int], None]) -> list[T]:
    """``draw(i)`` for every chunk ``i`` on up to :data:`WORKERS` threads, results in chunk order.

    ``tick(i)`` runs on the calling thread before chunk ``i``'s result is taken (progress,
    cancellation: an exception from it cancels the chunks not started). The threads end before
    this returns or raises: nothing outlives the call.
    """
    workers = min(WORKERS, os.cpu_count() or 1, chunks)
    if workers <= 1:
        out = []
        for i in range(chunks):
            tick(i)
            out.append(draw(i))
        return out
    with ThreadPoolExecutor(workers, thread_name_prefix="roistudio-bootstrap") as pool:
        futures: list[Future[T]] = [pool.submit(draw, i) for i in range(chunks)]
        try:
            results = []
            for i, future in enumerate(futures):
                tick(i)
                results.append(future.result())
            return results
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def replicate_sums(cells: Cells, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Resampled payoff sums if flagged / not flagged per cell, ``size`` replicates."""
    n = cells.n
    # Poisson(1) weight per row makes a cell's count Poisson(n); for large cells its normal
    # approximation (skewness below 0.1) is used because it is ten times cheaper to draw.
    small = n < _EXACT_BELOW
    weights = np.empty((size, len(n)))
    weights[:, small] = rng.poisson(n[small], size=(size, int(small.sum())))
    big = ~small
    if big.any():
        weights[:, big] = np.maximum(
            n[big] + np.sqrt(n[big]) * rng.standard_normal((size, int(big.sum()))), 0.0
        )
    mean_f, mean_k = cells.sf / n, cells.sk / n
    var_f = np.maximum(cells.qff / n - mean_f**2, 0.0)
    var_k = np.maximum(cells.qkk / n - mean_k**2, 0.0)
    cov = cells.qfk / n - mean_f * mean_k
    # Relative round-off of the moment formula: a cell of equal payoffs has variance ~0, not noise.
    var_f[var_f <= 1e-12 * np.maximum(mean_f**2, 1.0)] = 0.0
    var_k[var_k <= 1e-12 * np.maximum(mean_k**2, 1.0)] = 0.0
    l11 = np.sqrt(var_f)
    l21 = np.divide(cov, l11, out=np.zeros_like(cov), where=l11 > 0)
    l22 = np.sqrt(np.maximum(var_k - l21**2, 0.0))
    flag, keep = weights * mean_f, weights * mean_k
    if np.any(l11 > 0) or np.any(l22 > 0):
        root = np.sqrt(weights)
        z1 = rng.standard_normal(weights.shape)
        flag += root * l11 * z1
        keep += root * (l21 * z1 + l22 * rng.standard_normal(weights.shape))
    # Rescaled to the sample's row count: the Poisson bootstrap's total varies, the plain
    # (multinomial) bootstrap's does not; the ratio removes that extra variance (a value is a
    # total, so n * mean of the resample). One factor per replicate keeps every argmax.
    scale = n.sum() / np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
    return flag * scale, keep * scale


def curve_values(flag: np.ndarray, keep: np.ndarray, bucket: np.ndarray, n_buckets: int) -> np.ndarray:
    """Replicate values at every bucket edge: column 0 flags nobody, column j+1 buckets 0..j."""
    mine = bucket >= 0
    b = bucket[mine]
    size = flag.shape[0]
    # Per-bucket sums for all replicates at once: one bincount over (replicate, bucket) codes.
    codes = (np.arange(size)[:, None] * n_buckets + b[None, :]).ravel()
    per_flag = np.bincount(codes, weights=flag[:, mine].ravel(), minlength=size * n_buckets)
    per_keep = np.bincount(codes, weights=keep[:, mine].ravel(), minlength=size * n_buckets)
    per_flag = per_flag.reshape(size, n_buckets)
    per_keep = per_keep.reshape(size, n_buckets)
    out = np.empty((size, n_buckets + 1))
    keep_total = per_keep.sum(axis=1)
    out[:, 0] = keep_total
    out[:, 1:] = np.cumsum(per_flag, axis=1) + keep_total[:, None] - np.cumsum(per_keep, axis=1)
    return out


def edge_column(edges: np.ndarray, index: int) -> int:
    """Column of ``curve_values`` for curve index ``index`` (which must be an edge or 0)."""
    if index == 0:
        return 0
    pos = int(np.searchsorted(edges, index))
    if pos >= len(edges) or edges[pos] != index:
        raise AssertionError(f"curve index {index} is not a bucket edge")
    return pos + 1
