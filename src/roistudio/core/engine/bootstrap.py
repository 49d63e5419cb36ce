"""Sampling uncertainty: a paired bootstrap over aggregated rows, without re-scanning them.

Semantics (``docs/uncertainty.md``; fixed, tests pin them):

- Labelled rows are resampled with replacement (multinomial weights, the plain bootstrap). One
  resample serves every model, so champion and challenger are compared on the same draw.
- Thresholds are held at the analysis's values (operating, each model's best, the common one),
  except for the interval on the best threshold itself, which is re-optimised in each replicate
  (same tie rule as the curve; flag nobody allowed and reported as ``None``).
- Value of the model = value at the operating threshold minus the better baseline *of that
  replicate*. P(challenger better) = share of replicates in which the challenger at its best
  threshold is worth more than the champion at its best threshold.
- Percentile intervals at the stated confidence; a fixed default seed.

Method. The rows are aggregated once into cells: per (score bucket of every model, class) the row
count and the sums, sums of squares and cross products of the payoff if flagged and if not
flagged. Score buckets are runs of adjacent distinct scores (at most ``max_buckets`` per model)
whose edges always include the thresholds the analysis holds, so a held threshold splits no
bucket. A replicate then draws the cell counts from the exact multinomial of the row-level
bootstrap and, for each cell, the payoff sums of that many rows drawn from the cell: mean times
count plus a normal term with the cell's within-cell (co)variance times the count. Counts are
exact; the sums are exact whenever the payoff is constant within a cell and otherwise agree in
distribution to the second moment (the error vanishes as cells add up). Point figures are never
taken from here: they stay the analysis's exact figures. With two score columns the cell key is
(champion bucket, challenger bucket, class), which is what keeps the draw paired.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import analysis_query
from roistudio.core.engine.baselines import baseline_fractions, better_baseline_values
from roistudio.core.engine.curve import TIE_TOLERANCE, Curve
from roistudio.core.engine.intervals import (
    Interval,
    check_options,
    percentile_interval,
    threshold_interval,
)
from roistudio.core.engine.results import ModelResult
from roistudio.core.engine.sweep import _aggregate_sql, _fetch, payoff_row_values
from roistudio.core.errors import RoiError
from roistudio.core.progress import Progress, check_cancelled
from roistudio.core.sql import quote_ident

DEFAULT_SEED = 20260101
DEFAULT_REPLICATES = 1000
DEFAULT_CONFIDENCE = 0.9
PROMOTE_AT = 0.95
MAX_BUCKETS = 2000
METHOD = "paired Poisson bootstrap over score-bucket aggregates, rescaled to the row count"
_CHUNK = 100
_EXACT_BELOW = 100


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Intervals of an analysis's figures, with the replicates they came from.

    ``samples`` holds one array per figure (``operating_value``, ``value_of_model``,
    ``optimal_threshold`` with NaN for flag nobody, and with a challenger ``difference_at_best``,
    ``difference_at_common``). ``band`` is the champion's value curve at the bucket edges:
    ``(thresholds, low, high)`` (NaN threshold = flag nobody), for a band on the value chart.
    """

    replicates: int
    confidence: float
    seed: int
    operating_value: Interval
    value_of_model: Interval
    optimal_threshold: Interval
    difference_at_best: Interval | None = None
    difference_at_common: Interval | None = None
    p_challenger_better: float | None = None
    samples: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    band: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    method: str = METHOD
    groups: dict[str, tuple[tuple[str, Interval], ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The ``uncertainty`` block of the JSON contract."""
        out: dict[str, Any] = {
            "method": self.method,
            "replicates": self.replicates,
            "confidence": self.confidence,
            "seed": self.seed,
            "operating_value": self.operating_value.to_dict(),
            "value_of_model": self.value_of_model.to_dict(),
            "optimal_threshold": self.optimal_threshold.to_dict(),
        }
        for name, groups in self.groups.items():
            rows = [{"key": k, **i.to_dict()} for k, i in groups]
            if name.startswith("segment:"):
                out.setdefault("segments", {})
                out["segments"][name.removeprefix("segment:")] = rows
            else:
                out["periods"] = rows
        if self.p_challenger_better is not None:
            out["comparison"] = {
                "difference_at_best": self.difference_at_best.to_dict(),  # type: ignore[union-attr]
                "difference_at_common": self.difference_at_common.to_dict(),  # type: ignore[union-attr]
                "p_challenger_better": self.p_challenger_better,
            }
        return out


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

_MOMENTS = (
    "count(*) AS n, sum(v_flag) AS sf, sum(v_keep) AS sk, sum(v_flag * v_flag) AS qff, "
    "sum(v_keep * v_keep) AS qkk, sum(v_flag * v_keep) AS qfk"
)


@dataclass(frozen=True, eq=False)
class _Cells:
    """Per-cell row counts and payoff moments; ``buckets[i]`` is model i's bucket (-1: not its row)."""

    n: np.ndarray
    sf: np.ndarray
    sk: np.ndarray
    qff: np.ndarray
    qkk: np.ndarray
    qfk: np.ndarray
    buckets: list[np.ndarray]


def _paired_cells(
    con: duckdb.DuckDBPyConnection, analysis: Analysis, models: list[ModelResult], edges: list[np.ndarray]
) -> _Cells:
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
            SELECT {", ".join(f"m{i}.b AS b{i}" for i in range(len(models)))}, r.c, {_MOMENTS}
            FROM r {joins} GROUP BY ALL ORDER BY ALL
        """
        # ORDER BY: a parallel GROUP BY returns cells in any order, and each cell takes its draws
        # from the generator in turn, so without it the same seed gave different intervals.
        raw = _fetch(con, sql, params)
    finally:
        for name in names:
            con.unregister(name)
    return _cells_from(raw, [np.asarray(raw[f"b{i}"], dtype=np.int64) for i in range(len(models))])


def _per_model_cells(
    con: duckdb.DuckDBPyConnection, analysis: Analysis, models: list[ModelResult], edges: list[np.ndarray]
) -> _Cells:
    """One score column (or a model column): the sweep's per-(model, score, class) aggregation."""
    built = analysis_query(analysis)
    query, sources = built.for_models([m.name for m in models], breakdowns=())
    params = built.params
    values = payoff_row_values(query, params)
    sql, _ = _aggregate_sql(query, sources, values, _MOMENTS.split(", ")[1:], params)
    raw = _fetch(con, sql, params)
    labelled = np.asarray(raw["c"]) < 2
    raw = {k: np.asarray(v)[labelled] for k, v in raw.items()}
    which = np.asarray(raw["m"], dtype=np.int64)
    scores = np.asarray(raw["s"], dtype=np.float64)
    buckets = []
    for i, (model, e) in enumerate(zip(models, edges, strict=True)):
        # The curve's thresholds are these very scores, strictly descending: a binary search
        # gives each score's curve index, then its bucket.
        asc = model.curve.thresholds[1:][::-1]
        pos = len(asc) - np.searchsorted(asc, scores, side="left")
        b = np.searchsorted(e, pos, side="left")
        buckets.append(np.where(which == i, b, -1))
    # Merge the per-score rows into one cell per (buckets, class): moments add up.
    keys = np.stack([*buckets, np.asarray(raw["c"], dtype=np.int64)], axis=1)
    unique, cell = np.unique(keys, axis=0, return_inverse=True)
    cell = cell.ravel()
    merged = {k: np.bincount(cell, weights=np.nan_to_num(np.asarray(raw[k], dtype=np.float64)), minlength=len(unique))
              for k in ("n", "sf", "sk", "qff", "qkk", "qfk")}  # fmt: skip
    return _cells_from(merged, [unique[:, i] for i in range(len(models))])


def _nonempty(cells: _Cells) -> _Cells:
    keep = cells.n > 0
    c = cells
    return _Cells(
        c.n[keep], c.sf[keep], c.sk[keep], c.qff[keep], c.qkk[keep], c.qfk[keep], [b[keep] for b in c.buckets]
    )


def _cells_from(raw: dict[str, Any], buckets: list[np.ndarray]) -> _Cells:
    def col(name: str) -> np.ndarray:
        return np.nan_to_num(np.asarray(raw[name], dtype=np.float64))

    return _Cells(col("n"), col("sf"), col("sk"), col("qff"), col("qkk"), col("qfk"), buckets)


# -- replicates -----------------------------------------------------------------------------------


def _replicate_sums(cells: _Cells, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
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


def _curve_values(flag: np.ndarray, keep: np.ndarray, bucket: np.ndarray, n_buckets: int) -> np.ndarray:
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


def _column(edges: np.ndarray, index: int) -> int:
    """Column of ``_curve_values`` for curve index ``index`` (which must be an edge or 0)."""
    if index == 0:
        return 0
    pos = int(np.searchsorted(edges, index))
    if pos >= len(edges) or edges[pos] != index:
        raise AssertionError(f"curve index {index} is not a bucket edge")
    return pos + 1


def bootstrap(
    con: duckdb.DuckDBPyConnection,
    analysis: Analysis,
    *,
    replicates: int = DEFAULT_REPLICATES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
    max_buckets: int = MAX_BUCKETS,
    progress: Progress | None = None,
) -> BootstrapResult:
    """Bootstrap intervals of an analysis's figures (one aggregation query, then numpy).

    Parameters
    ----------
    con
        The connection the analysis ran on (its table must be unchanged).
    analysis
        Result of :func:`roistudio.core.engine.analysis.analyse`.
    replicates, confidence, seed
        Number of resamples (at least 1), interval confidence in (0, 1), random seed.
    max_buckets
        Most score buckets per model (see the module docstring); with two score columns the
        joint cells number at most about ``max_buckets**2`` but far fewer for related scores.
    progress
        Optional progress/cancel object.

    Returns
    -------
    BootstrapResult
    """
    check_options(replicates, confidence)
    if replicates < 1:
        raise RoiError("the bootstrap needs at least one replicate")
    champion, challenger = analysis.champion, analysis.challenger
    if champion.curve.rows == 0:
        raise RoiError("the bootstrap needs labelled rows")
    common = champion.operating.threshold
    champ_edges = bucket_edges(
        champion.curve, [champion.operating.index, champion.optimum.index], max_buckets
    )
    if progress is not None:
        progress.progress(0.02, "Aggregating rows for the bootstrap")
    check_cancelled(progress)
    # The champion's own figures (and its band) come from fine per-score buckets. The comparison
    # needs one draw over both models: with two score columns on the same rows that is a joint
    # (champion bucket, challenger bucket, class) cell, so the buckets are coarser there.
    champ_cells = _nonempty(_per_model_cells(con, analysis, [champion], [champ_edges]))
    pair = None
    if challenger is not None:
        pair_models = [champion, challenger]
        forced = [
            [champion.operating.index, champion.optimum.index],
            [challenger.optimum.index, challenger.curve.index_at(common)],
        ]
        if analysis.request.mapping.model:
            # A model column: no row belongs to two models, so the draw is the row-level bootstrap
            # of the pooled rows (independent samples need no pairing); models that scored the
            # same events are paired only as two score columns (docs/uncertainty.md).
            pair_edges = [
                bucket_edges(m.curve, f, max_buckets) for m, f in zip(pair_models, forced, strict=True)
            ]
            pair_cells = _per_model_cells(con, analysis, pair_models, pair_edges)
        else:
            coarse = max(8, int(math.sqrt(2 * max_buckets)))
            pair_edges = [bucket_edges(m.curve, f, coarse) for m, f in zip(pair_models, forced, strict=True)]
            pair_cells = _paired_cells(con, analysis, pair_models, pair_edges)
        pair = (_nonempty(pair_cells), pair_edges)
    rng = np.random.default_rng(seed)
    pair_rng = np.random.default_rng([seed, 1])
    op_col = _column(champ_edges, champion.operating.index)
    champ_thresholds = np.r_[np.nan, champion.curve.thresholds[champ_edges]]
    fractions = baseline_fractions(champion.curve, champion.constraints)
    out: dict[str, list[np.ndarray]] = {
        k: [] for k in ("operating_value", "value_of_model", "optimal_threshold")
    }
    band: list[np.ndarray] = []
    if pair is not None:
        out["difference_at_best"], out["difference_at_common"] = [], []
        cols = (
            _column(pair[1][0], champion.optimum.index),
            _column(pair[1][0], champion.operating.index),
            _column(pair[1][1], challenger.optimum.index),  # type: ignore[union-attr]
            _column(pair[1][1], challenger.curve.index_at(common)),  # type: ignore[union-attr]
        )
    done = 0
    while done < replicates:
        check_cancelled(progress)
        size = min(_CHUNK, replicates - done)
        flag, keep = _replicate_sums(champ_cells, rng, size)
        values = _curve_values(flag, keep, champ_cells.buckets[0], len(champ_edges))
        band.append(values)
        out["operating_value"].append(values[:, op_col])
        out["value_of_model"].append(
            values[:, op_col] - better_baseline_values(values[:, 0], values[:, -1], fractions)
        )
        best = values.max(axis=1, keepdims=True)
        # The first column within tolerance of the best: ties go to the higher threshold.
        out["optimal_threshold"].append(champ_thresholds[np.argmax(values >= best - TIE_TOLERANCE, axis=1)])
        if pair is not None:
            cells, edges = pair
            flag, keep = _replicate_sums(cells, pair_rng, size)
            mine = _curve_values(flag, keep, cells.buckets[0], len(edges[0]))
            other = _curve_values(flag, keep, cells.buckets[1], len(edges[1]))
            out["difference_at_best"].append(other[:, cols[2]] - mine[:, cols[0]])
            out["difference_at_common"].append(other[:, cols[3]] - mine[:, cols[1]])
        done += size
        if progress is not None:
            progress.progress(
                0.05 + 0.95 * done / replicates, f"Bootstrap: {done:,} of {replicates:,} replicates"
            )
    samples = {k: np.concatenate(v) for k, v in out.items()}
    all_values = np.concatenate(band)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(all_values, [alpha, 1.0 - alpha], axis=0)
    result = BootstrapResult(
        replicates=replicates,
        confidence=confidence,
        seed=seed,
        operating_value=percentile_interval(samples["operating_value"], confidence),
        value_of_model=percentile_interval(samples["value_of_model"], confidence),
        optimal_threshold=threshold_interval(samples["optimal_threshold"], confidence),
        samples=samples,
        band=(champ_thresholds, low, high),
    )
    if challenger is None:
        return result
    diff = samples["difference_at_best"]
    return BootstrapResult(
        **{k: getattr(result, k) for k in ("replicates", "confidence", "seed", "operating_value",
                                            "value_of_model", "optimal_threshold", "samples", "band")},
        difference_at_best=percentile_interval(diff, confidence),
        difference_at_common=percentile_interval(samples["difference_at_common"], confidence),
        p_challenger_better=float(np.mean(diff > 0)),
    )  # fmt: skip
