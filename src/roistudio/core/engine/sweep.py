"""The sweep engine: per-score aggregation in DuckDB, then exact curves by cumulative sums.

DuckDB does the heavy part in one statement (written in :mod:`.sweep_sql`; a payoff edit may
skip it through :mod:`.column_sums`): for every (model, breakdown key, distinct score)
it counts labelled positives, negatives and unlabelled rows and sums each outcome's payoff over
the rows that would have that outcome. ``GROUPING SETS`` gives the overall curve, every segment
column and every period in the same pass over the data. numpy then sorts the (much smaller)
distinct scores and takes cumulative sums (:class:`~roistudio.core.engine.curve.Curve`): every
threshold's counts and value, exact, without a Python loop over rows or thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from roistudio.core.data.periods import TimeColumn
from roistudio.core.engine.column_sums import (
    ColumnSums,
    ColumnSumsCache,
    arrays_from_column_sums,
    fetch_arrays,
)
from roistudio.core.engine.curve import Curve
from roistudio.core.engine.grid_aggregate import GridValue, grid_aggregate
from roistudio.core.engine.sweep_sql import (
    PAYOFF_AGGREGATES,
    ModelSource,
    SweepQuery,
    aggregate_sql,
    bad_payoff_counts_sql,
    labelled_sums_finite,
    model_rows_sql,
    payoff_row_values,
    valid_score_sql,
)
from roistudio.core.errors import PayoffError
from roistudio.core.payoff.language import OUTCOMES, Payoff
from roistudio.core.progress import Progress, check_cancelled
from roistudio.core.sql import quote_ident, relation_kind

# The names other modules import from here (the SQL now lives in .sweep_sql, the cache in
# .column_sums); kept so that a split does not ripple through every caller.
__all__ = [
    "OVERALL",
    "ColumnSums",
    "ColumnSumsCache",
    "ModelSource",
    "SweepQuery",
    "SweepResult",
    "cluster_by_score",
    "model_rows_sql",
    "payoff_row_values",
    "period_key_sql",
    "result_from_arrays",
    "run_sweep",
    "valid_score_sql",
]

OVERALL = "__overall__"


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Curves by model, and by model and breakdown key.

    ``overall[model]`` is the curve over all (filtered) rows; ``by[breakdown][model][key]`` the
    curve of the rows whose breakdown value is ``key``.
    """

    overall: dict[str, Curve]
    by: dict[str, dict[str, dict[str, Curve]]]


def period_key_sql(time: TimeColumn, period: str) -> str:
    """Breakdown key of a period: its first day as ISO text (``2026-03-01``), or its label.

    A label stands for a period without a calendar date (``Jan`` without a year, ``FY2026 Q2``).

    The rule lives in :mod:`roistudio.core.data.periods`; this is the sweep's name for it.
    """
    return time.key_sql(period)


# Old private names still imported by the bootstrap, estimate and group bootstrap modules.
_aggregate_sql = aggregate_sql
_fetch = fetch_arrays


def run_sweep(
    con: duckdb.DuckDBPyConnection,
    query: SweepQuery,
    models: Sequence[ModelSource],
    *,
    progress: Progress | None = None,
    cache: ColumnSumsCache | None = None,
) -> SweepResult:
    """Aggregate per distinct score and build every curve asked for.

    Parameters
    ----------
    con
        The connection that owns ``query.table``. To cancel from another thread, call
        ``con.interrupt()``; DuckDB then raises and nothing is left behind (this only reads).
    query
        Table, label, payoff, filter and breakdowns.
    models
        One or more score sources (two score columns, or one column split by a model column).
    progress
        Optional progress/cancel object.
    cache
        Per-score column sums kept between calls (see :class:`ColumnSumsCache`). With it, a
        payoff that is affine in the row's columns is swept from the sums, without a scan.

    Returns
    -------
    SweepResult

    Raises
    ------
    PayoffError
        When a payoff evaluates to NULL or a non-finite number on some rows (counted, not zeroed).
    """
    check_cancelled(progress)
    arrays = None
    if cache is not None:
        arrays = arrays_from_column_sums(con, query, models, cache, progress)
    if arrays is None:
        arrays = _payoff_arrays(con, query, models, progress)
    check_cancelled(progress)
    if progress is not None:
        progress.progress(0.8, "Building curves")
    result = result_from_arrays(arrays, models, list(query.breakdowns or {}))
    if progress is not None:
        progress.progress(1.0, "Sweep done")
    return result


def result_from_arrays(
    arrays: Mapping[str, np.ndarray], models: Sequence[ModelSource], breakdowns: Sequence[str]
) -> SweepResult:
    """Every curve from the per-(set, model, key, score, class) aggregates, whichever engine made them.

    ``arrays`` has the columns of the aggregation (``set_id``, ``m``, ``k`` when there are
    breakdowns, ``s``, ``c``, ``n``, ``v_flag``, ``v_keep``), sorted by set, model, key, score
    descending and class. DuckDB (:func:`run_sweep`) and Spark (:mod:`.spark`) both end here.
    """
    names = [OVERALL, *breakdowns]
    result = _curves_from_arrays(arrays)
    overall_curves = {m.name: result.get((0, i, "")) or Curve.empty() for i, m in enumerate(models)}
    by: dict[str, dict[str, dict[str, Curve]]] = {name: {m.name: {} for m in models} for name in breakdowns}
    for (sid, model_index, key), curve in result.items():
        if sid > 0:
            by[names[sid]][models[model_index].name][key] = curve
    return SweepResult(overall_curves, by)


def payoff_aggregate(
    con: duckdb.DuckDBPyConnection,
    query: SweepQuery,
    models: Sequence[ModelSource],
    progress: Progress | None,
    *,
    class_sql: str | None = None,
    check_scores: bool = True,
) -> dict[str, np.ndarray]:
    """Per (group, score, class): the row count and the payoff sums, for any payoff expression.

    No check of the payoff sums here (see :func:`check_payoff_sums`); ``class_sql`` and
    ``check_scores`` as for :func:`.sweep_sql.aggregate_sql`.
    """
    params: dict[str, object] = {**query.label_params, **(query.where_params or {})}
    row_values = payoff_row_values(query, params)
    if class_sql is None and check_scores:
        # Scores on a decimal grid: grouped by numpy, not DuckDB's hash table (None otherwise).
        values = [GridValue("v_flag", "v_flag"), GridValue("v_keep", "v_keep")]
        grid = grid_aggregate(con, query, models, row_values, values, dict(params), progress=progress)
        if grid is not None:
            return grid.arrays
    sql, _ = aggregate_sql(
        query, models, row_values, PAYOFF_AGGREGATES, params, class_sql=class_sql, check_scores=check_scores
    )
    if progress is not None:
        progress.progress(0.05, "Aggregating per score in DuckDB")
    return fetch_arrays(con, sql, params)


def check_payoff_sums(
    con: duckdb.DuckDBPyConnection,
    query: SweepQuery,
    models: Sequence[ModelSource],
    arrays: Mapping[str, np.ndarray],
) -> None:
    """Raise :class:`PayoffError` when a labelled row's payoff was NULL or not a finite number.

    The aggregates tell whether anything is wrong (:func:`.sweep_sql.labelled_sums_finite`);
    only then a second query counts the rows per outcome for the message.
    """
    if labelled_sums_finite(arrays):
        return
    params: dict[str, object] = {**query.label_params, **(query.where_params or {})}
    row_values = payoff_row_values(query, params)
    _, selects = aggregate_sql(query, models, row_values, PAYOFF_AGGREGATES, params)
    _raise_for_bad_payoffs(con, selects, params, query.payoff)


def _payoff_arrays(
    con: duckdb.DuckDBPyConnection,
    query: SweepQuery,
    models: Sequence[ModelSource],
    progress: Progress | None,
) -> dict[str, np.ndarray]:
    """Per (group, score, class): the payoff summed in DuckDB, checked to be finite on labelled rows."""
    arrays = payoff_aggregate(con, query, models, progress)
    check_payoff_sums(con, query, models, arrays)
    return arrays


def _raise_for_bad_payoffs(
    con: duckdb.DuckDBPyConnection, selects: list[str], params: dict[str, Any], payoff: Payoff
) -> None:
    """Count, per outcome, the rows whose payoff is NULL or not finite, and raise for the first.

    Runs only when the sweep saw a non-finite sum: the precise count costs a scan.
    """
    counts = con.execute(bad_payoff_counts_sql(selects), params).fetchone()  # tp, fp, tn, fn
    assert counts is not None  # an aggregate without GROUP BY returns one row
    for outcome, bad in zip(OUTCOMES, counts, strict=True):
        if bad:
            expr = payoff.expressions[outcome]
            who = "positive" if outcome in ("tp", "fn") else "negative"
            raise PayoffError(
                f"{outcome} = {expr} is missing or not a finite number on {bad:,} {who} rows; "
                "use coalesce(column, 0) for missing values or guard divisions",
                outcome=outcome,
            )
    raise PayoffError("the payoff sums are not finite numbers (values too large?)")


def _curves_from_arrays(arrays: Mapping[str, np.ndarray]) -> dict[tuple[int, int, str], Curve]:
    """Turn sorted (set, model, key, score desc, class) rows into one curve per (set, model, key)."""
    set_ids = np.asarray(arrays["set_id"], dtype=np.int64)
    if len(set_ids) == 0:
        return {}
    models = np.asarray(arrays["m"], dtype=np.int64)
    if "k" in arrays:
        key_codes, key_names = pd.factorize(np.asarray(arrays["k"], dtype=object), sort=False)
    else:
        key_codes, key_names = np.zeros(len(set_ids), dtype=np.int64), np.array([""], dtype=object)
    group = (set_ids * (int(models.max()) + 1) + models) * len(key_names) + key_codes
    scores = np.asarray(arrays["s"], dtype=np.float64)
    cls = np.asarray(arrays["c"], dtype=np.int64)
    n = np.asarray(arrays["n"], dtype=np.int64)
    v_flag = np.asarray(arrays["v_flag"], dtype=np.float64)
    v_keep = np.asarray(arrays["v_keep"], dtype=np.float64)
    # Rows of one (group, score) are adjacent (one per class): number the pairs.
    new_pair = np.r_[True, (group[1:] != group[:-1]) | (scores[1:] != scores[:-1])]
    pair = np.cumsum(new_pair) - 1
    n_pairs = int(pair[-1]) + 1
    is_pos, is_neg, is_unl = cls == 1, cls == 0, cls == 2

    def per_pair(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.bincount(pair, weights=np.where(mask, values, 0), minlength=n_pairs)

    pos = per_pair(n, is_pos).astype(np.int64)
    neg = per_pair(n, is_neg).astype(np.int64)
    unl = per_pair(n, is_unl).astype(np.int64)
    tp, fn = per_pair(v_flag, is_pos), per_pair(v_keep, is_pos)
    fp, tn = per_pair(v_flag, is_neg), per_pair(v_keep, is_neg)
    pair_first = np.flatnonzero(new_pair)
    pair_group, pair_score = group[pair_first], scores[pair_first]
    pair_set, pair_model, pair_key = set_ids[pair_first], models[pair_first], key_codes[pair_first]
    bounds = np.flatnonzero(np.diff(pair_group)) + 1
    starts = np.r_[0, bounds]
    ends = np.r_[bounds, n_pairs]
    out: dict[tuple[int, int, str], Curve] = {}
    # One iteration per group (model x segment value x period), not per row or threshold.
    for start, end in zip(starts, ends, strict=True):
        sl = slice(start, end)
        key = (int(pair_set[start]), int(pair_model[start]), str(key_names[pair_key[start]]))
        out[key] = Curve.from_score_aggregates(
            pair_score[sl], pos[sl], neg[sl], tp_value=tp[sl], fp_value=fp[sl], tn_value=tn[sl],
            fn_value=fn[sl], unlabeled=unl[sl], descending=True,
        )  # fmt: skip
    return out


def cluster_by_score(con: duckdb.DuckDBPyConnection, table: str, score_column: str) -> bool:
    """Rewrite ``table`` in descending order of ``score_column``; return whether it did.

    The aggregation then meets equal scores in runs, which keeps DuckDB's hash table in cache:
    on 10M rows with ~600k distinct scores it halves the time of every later sweep (payoff and
    filter edits in the app). Views (a Parquet file read in place, a cached import) are left alone. Row order
    carries no meaning in an analysis, so nothing else changes.
    """
    if relation_kind(con, table) != "BASE TABLE":
        return False
    con.execute(
        f"CREATE OR REPLACE TABLE {quote_ident(table)} AS "
        f"SELECT * FROM {quote_ident(table)} ORDER BY {quote_ident(score_column)} DESC NULLS LAST"
    )
    return True
