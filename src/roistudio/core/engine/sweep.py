"""The sweep engine: per-score aggregation in DuckDB, then exact curves by cumulative sums.

DuckDB does the heavy part in one statement: for every (model, breakdown key, distinct score)
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
from roistudio.core.engine.curve import Curve
from roistudio.core.errors import Cancelled, PayoffError
from roistudio.core.payoff.language import OUTCOMES, Payoff
from roistudio.core.progress import Progress, check_cancelled
from roistudio.core.sql import quote_ident, relation_kind

OVERALL = "__overall__"


@dataclass(frozen=True)
class ModelSource:
    """One model's scores: a score column, optionally restricted to rows of one model value."""

    name: str
    score_column: str
    model_column: str | None = None
    model_value: str | None = None


@dataclass(frozen=True)
class SweepQuery:
    """Everything the aggregation needs, with SQL pieces already compiled and parameters bound.

    Attributes
    ----------
    table
        DuckDB table or view holding the rows.
    label_sql, label_params
        Expression that is TRUE for positives, FALSE for negatives, NULL when unlabelled.
    where_sql, where_params
        Row filter (segments, dates) applied before anything is counted.
    raw_scores
        Allow scores outside [0, 1]. Rows with missing/non-finite (or out-of-range) scores are
        always left out here; the caller decides beforehand whether that is allowed.
    breakdowns
        Name -> SQL expression of a breakdown key (a segment column, a period).
    """

    table: str
    label_sql: str
    label_params: Mapping[str, object]
    payoff: Payoff
    where_sql: str = "TRUE"
    where_params: Mapping[str, object] | None = None
    raw_scores: bool = False
    breakdowns: Mapping[str, str] | None = None


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


def valid_score_sql(column: str, raw_scores: bool) -> str:
    """SQL condition true for rows whose score in ``column`` can be swept."""
    score = f"CAST({quote_ident(column)} AS DOUBLE)"
    cond = f"{score} IS NOT NULL AND isfinite({score})"
    return f"({cond})" if raw_scores else f"({cond} AND {score} BETWEEN 0 AND 1)"


def model_rows_sql(
    models: Sequence[ModelSource], i: int, *, where_sql: str, raw_scores: bool
) -> tuple[str, list[str], dict[str, object]]:
    """The one rule for which rows make model ``i``'s curve (the sweep and the live-formula sums use it).

    Models in separate score columns are compared on the same rows: a row is left out of every
    curve when any of those scores is unusable. With a model column, a model's rows are those
    whose model column names it, and only its own score counts.

    Returns
    -------
    tuple
        The score as SQL (DOUBLE), the WHERE conditions (to be joined with AND) and the values of
        the placeholders they use (``$model_<i>``).
    """
    model = models[i]
    shared = {m.score_column for m in models if m.model_column is None}
    score = f"CAST({quote_ident(model.score_column)} AS DOUBLE)"
    columns = sorted(shared) if model.model_column is None else [model.score_column]
    conds = [f"({where_sql})", " AND ".join(valid_score_sql(c, raw_scores) for c in columns)]
    params: dict[str, object] = {}
    if model.model_column is not None:
        params[f"model_{i}"] = model.model_value
        conds.append(f"CAST({quote_ident(model.model_column)} AS VARCHAR) = $model_{i}")
    return score, conds, params


def _aggregate_sql(
    query: SweepQuery,
    models: Sequence[ModelSource],
    row_values: Mapping[str, str],
    aggregates: Sequence[str],
    params: dict[str, object],
) -> tuple[str, list[str]]:
    """The per-(model, breakdown key, score, class) aggregation, and its per-row SELECTs.

    ``row_values`` are named SQL expressions computed per row from the table's own columns (the
    payoff if flagged / not flagged, or plain column values); ``aggregates`` are the SELECT items
    over them. ``params`` receives the model placeholders.
    """
    breakdowns = dict(query.breakdowns or {})
    selects = []
    y = f"({query.label_sql})"
    for i in range(len(models)):
        score, conds, model_params = model_rows_sql(
            models, i, where_sql=query.where_sql, raw_scores=query.raw_scores
        )
        params.update(model_params)
        source = f"FROM {quote_ident(query.table)} WHERE {' AND '.join(conds)}"
        dims = "".join(f", {expr} AS {quote_ident('d_' + name)}" for name, expr in breakdowns.items())
        values = "".join(f", {sql} AS {name}" for name, sql in row_values.items())
        # Everything is computed from the table's own columns in one SELECT, so no alias can
        # clash with a user column called "s" or "m". The class c is 1 for positives, 0 for
        # negatives and 2 for rows whose label is not yet known.
        selects.append(
            f"SELECT {int(i)} AS m, {score} AS s, "
            f"CASE WHEN {y} THEN 1 WHEN NOT {y} THEN 0 ELSE 2 END AS c{values}{dims} {source}"
        )
    dim_cols = [quote_ident("d_" + name) for name in breakdowns]
    grouping_sets = ", ".join(["(m, s, c)", *(f"(m, {d}, s, c)" for d in dim_cols)])
    # GROUPING(d) tells which set a result row belongs to; keys are never NULL (coalesced).
    set_id = " + ".join(f"(1 - GROUPING({d})) * {j + 1}" for j, d in enumerate(dim_cols)) or "0"
    key_expr = "coalesce(" + ", ".join([*dim_cols, "''"]) + ")"
    # A plain GROUP BY is markedly faster than a single grouping set in DuckDB.
    group_by = f"GROUPING SETS ({grouping_sets})" if dim_cols else "m, s, c"
    key_select = f"{key_expr} AS k, " if dim_cols else ""
    # Sorted here (DuckDB sorts in parallel) so numpy only takes cumulative sums: groups are
    # contiguous and, within a group, scores descend.
    sql = f"""
        WITH valued AS ({" UNION ALL ".join(selects)})
        SELECT m, ({set_id}) AS set_id, {key_select}s, c, count(*) AS n, {", ".join(aggregates)}
        FROM valued
        GROUP BY {group_by}
        ORDER BY set_id, m, {"k, " if dim_cols else ""}s DESC, c
    """
    return sql, selects


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object]) -> dict[str, np.ndarray]:
    try:
        return con.execute(sql, dict(params)).fetchnumpy()
    except duckdb.InterruptException:
        raise Cancelled() from None


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
        arrays = _arrays_from_column_sums(con, query, models, cache, progress)
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


def payoff_row_values(query: SweepQuery, params: dict[str, object], prefix: str = "po_") -> dict[str, str]:
    """Per-row SQL of the payoff if flagged (``v_flag``) and if not flagged (``v_keep``).

    ``v_flag`` is the TP payoff for a positive and the FP payoff for a negative, ``v_keep`` the
    FN and TN payoffs; both are NULL for unlabelled rows. The payoff's bound values are added to
    ``params`` under names starting with ``prefix`` (distinct prefixes let several payoffs share
    one query). Used by the sweep, the bootstrap and the sensitivity analysis.
    """
    payoff_sql = {}
    for outcome in OUTCOMES:
        compiled = query.payoff.compile(outcome, prefix=f"{prefix}{outcome}_")
        payoff_sql[outcome] = compiled.sql
        params.update(compiled.params)
    y = f"({query.label_sql})"
    # Two sums instead of four filtered ones, and NULL payoffs show up as count(v) < count(*).
    return {
        "v_flag": f"CASE WHEN {y} THEN ({payoff_sql['tp']}) WHEN NOT {y} THEN ({payoff_sql['fp']}) END",
        "v_keep": f"CASE WHEN {y} THEN ({payoff_sql['fn']}) WHEN NOT {y} THEN ({payoff_sql['tn']}) END",
    }


def _payoff_arrays(
    con: duckdb.DuckDBPyConnection,
    query: SweepQuery,
    models: Sequence[ModelSource],
    progress: Progress | None,
) -> dict[str, np.ndarray]:
    """Per (group, score, class): the payoff summed in DuckDB, for any payoff expression."""
    params: dict[str, object] = {**query.label_params, **(query.where_params or {})}
    row_values = payoff_row_values(query, params)
    aggregates = [
        "coalesce(sum(v_flag), 0) AS v_flag",
        "coalesce(sum(v_keep), 0) AS v_keep",
        "count(v_flag) AS n_flag",
        "count(v_keep) AS n_keep",
    ]
    sql, selects = _aggregate_sql(query, models, row_values, aggregates, params)
    if progress is not None:
        progress.progress(0.05, "Aggregating per score in DuckDB")
    arrays = _fetch(con, sql, params)
    overall = np.asarray(arrays["set_id"]) == 0
    labelled = overall & (np.asarray(arrays["c"]) < 2)
    n = np.asarray(arrays["n"])[labelled]
    missing = (n - np.asarray(arrays["n_flag"])[labelled]).sum() + (
        n - np.asarray(arrays["n_keep"])[labelled]
    ).sum()
    sums_finite = (
        np.isfinite(np.asarray(arrays["v_flag"], dtype=np.float64)[labelled]).all()
        and np.isfinite(np.asarray(arrays["v_keep"], dtype=np.float64)[labelled]).all()
    )
    if missing or not sums_finite:
        _raise_for_bad_payoffs(con, selects, params, query.payoff)
    return arrays


# -- the column-sums fast path ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ColumnSums:
    """Per (model, breakdown key, score, class): row count, and sum and count of some columns."""

    key: tuple[object, ...]
    columns: frozenset[str]
    arrays: dict[str, np.ndarray]


class ColumnSumsCache:
    """Keeps the column sums of the last (table, mapping, filter, breakdowns) swept.

    The app holds one per open project and passes it to every sweep: a payoff edit then costs
    milliseconds instead of a scan. A new mapping, filter or breakdown is a different key and
    rebuilds the sums on the next sweep. The cache itself is not thread-safe; use it from the
    thread that owns the connection.
    """

    def __init__(self) -> None:
        self._sums: ColumnSums | None = None

    def get(self, key: tuple[object, ...], columns: frozenset[str]) -> ColumnSums | None:
        sums = self._sums
        return sums if sums is not None and sums.key == key and columns <= sums.columns else None

    def put(self, sums: ColumnSums) -> None:
        self._sums = sums

    def clear(self) -> None:
        self._sums = None


def _cache_key(query: SweepQuery, models: Sequence[ModelSource]) -> tuple[object, ...]:
    return (
        query.table,
        query.label_sql,
        tuple(sorted((k, repr(v)) for k, v in query.label_params.items())),
        query.where_sql,
        tuple(sorted((k, repr(v)) for k, v in (query.where_params or {}).items())),
        query.raw_scores,
        tuple(sorted((query.breakdowns or {}).items())),
        tuple(models),
    )


def _arrays_from_column_sums(
    con: duckdb.DuckDBPyConnection,
    query: SweepQuery,
    models: Sequence[ModelSource],
    cache: ColumnSumsCache,
    progress: Progress | None,
) -> dict[str, np.ndarray] | None:
    """Payoff sums from cached column sums, or None when the payoff needs the SQL path."""
    affine = query.payoff.column_terms()
    if affine is None:
        return None
    used = frozenset(col for terms in affine.values() for col in terms.coefficients)
    key = _cache_key(query, models)
    sums = cache.get(key, used)
    if sums is None:
        # Sum every numeric column the payoff uses now, plus those summed before for this key,
        # so switching between payoffs over the same columns never rescans.
        old = cache.get(key, frozenset())
        columns = sorted(used | (old.columns if old is not None else frozenset()))
        params: dict[str, object] = {**query.label_params, **(query.where_params or {})}
        row_values = {f"x{j}": f"CAST({quote_ident(c)} AS DOUBLE)" for j, c in enumerate(columns)}
        aggregates = [
            f"coalesce(sum(x{j}), 0) AS sum_{j}, count(x{j}) AS cnt_{j}" for j in range(len(columns))
        ]
        aggregates = aggregates or ["0 AS unused"]
        sql, _ = _aggregate_sql(query, models, row_values, aggregates, params)
        if progress is not None:
            progress.progress(0.05, "Summing columns per score in DuckDB")
        raw = _fetch(con, sql, params)
        arrays: dict[str, np.ndarray] = {k: raw[k] for k in ("m", "set_id", "k", "s", "c", "n") if k in raw}
        for j, c in enumerate(columns):
            arrays[f"sum:{c}"] = np.asarray(raw[f"sum_{j}"], dtype=np.float64)
            arrays[f"cnt:{c}"] = np.asarray(raw[f"cnt_{j}"], dtype=np.int64)
        sums = ColumnSums(key, frozenset(columns), arrays)
        cache.put(sums)
    cached = sums.arrays
    n = np.asarray(cached["n"], dtype=np.float64)
    cls = np.asarray(cached["c"])

    def outcome_sums(outcome: str) -> np.ndarray | None:
        terms = affine[outcome]
        total = terms.constant * n
        for col, coef in terms.coefficients.items():
            if np.any(cached[f"cnt:{col}"] != cached["n"]):
                return None  # a missing value: the SQL path counts and reports it
            total = total + coef * cached[f"sum:{col}"]
        return total

    maybe_sums = {o: outcome_sums(o) for o in OUTCOMES}
    sums_by_outcome = {o: v for o, v in maybe_sums.items() if v is not None}
    if len(sums_by_outcome) != len(OUTCOMES):
        return None
    v_flag = np.where(cls == 1, sums_by_outcome["tp"], np.where(cls == 0, sums_by_outcome["fp"], 0.0))
    v_keep = np.where(cls == 1, sums_by_outcome["fn"], np.where(cls == 0, sums_by_outcome["tn"], 0.0))
    if not (np.isfinite(v_flag).all() and np.isfinite(v_keep).all()):
        return None
    out = {k: v for k, v in cached.items() if ":" not in k}
    out["v_flag"], out["v_keep"] = v_flag, v_keep
    return out


def _raise_for_bad_payoffs(
    con: duckdb.DuckDBPyConnection, selects: list[str], params: dict[str, Any], payoff: Payoff
) -> None:
    """Count, per outcome, the rows whose payoff is NULL or not finite, and raise for the first.

    Runs only when the sweep saw a missing or non-finite sum: the precise count costs a scan.
    """
    counts = con.execute(
        f"""WITH valued AS ({" UNION ALL ".join(selects)})
            SELECT count(*) FILTER (WHERE c = 1 AND NOT coalesce(isfinite(v_flag), FALSE)),
                   count(*) FILTER (WHERE c = 0 AND NOT coalesce(isfinite(v_flag), FALSE)),
                   count(*) FILTER (WHERE c = 0 AND NOT coalesce(isfinite(v_keep), FALSE)),
                   count(*) FILTER (WHERE c = 1 AND NOT coalesce(isfinite(v_keep), FALSE))
            FROM valued""",
        params,
    ).fetchone()  # in OUTCOMES order: tp, fp, tn, fn
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
