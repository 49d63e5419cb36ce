"""The sweep engine: per-score aggregation in DuckDB, then exact curves by cumulative sums.

DuckDB does the heavy part in one statement: for every (model, breakdown key, distinct score)
it counts labelled positives, negatives and unlabelled rows and sums each outcome's payoff over
the rows that would have that outcome. ``GROUPING SETS`` gives the overall curve, every segment
column and every period in the same pass over the data. numpy then sorts the (much smaller)
distinct scores and takes cumulative sums (:class:`~roistudio.core.curve.Curve`): every
threshold's counts and value, exact, without a Python loop over rows or thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from roistudio.core.curve import Curve
from roistudio.core.errors import MappingError, PayoffError
from roistudio.core.payoff import OUTCOMES, Payoff
from roistudio.core.progress import Progress, check_cancelled
from roistudio.core.sql import quote_ident

OVERALL = "__overall__"
MISSING_KEY = "(missing)"
_PERIOD_UNITS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}


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


def segment_key_sql(column: str) -> str:
    """Breakdown key of a segment column: its value as text, ``(missing)`` for NULL/blank."""
    col = quote_ident(column)
    return f"coalesce(nullif(trim(CAST({col} AS VARCHAR)), ''), '{MISSING_KEY}')"


def period_key_sql(column: str, period: str) -> str:
    """Breakdown key of a period: the period's first day as ISO text (``2026-03-01``)."""
    if period not in _PERIOD_UNITS:
        raise MappingError(f"unknown period '{period}'; use {', '.join(_PERIOD_UNITS)}")
    col = quote_ident(column)
    # The unit comes from the allow-list above, never from user text.
    return f"coalesce(CAST(CAST(date_trunc('{_PERIOD_UNITS[period]}', {col}) AS DATE) AS VARCHAR), '{MISSING_KEY}')"


def _finite_sql(expr: str) -> str:
    return f"coalesce(isfinite({expr}), FALSE)"


def run_sweep(
    con: duckdb.DuckDBPyConnection,
    query: SweepQuery,
    models: Sequence[ModelSource],
    *,
    progress: Progress | None = None,
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

    Returns
    -------
    SweepResult

    Raises
    ------
    PayoffError
        When a payoff evaluates to NULL or a non-finite number on some rows (counted, not zeroed).
    """
    check_cancelled(progress)
    breakdowns = dict(query.breakdowns or {})
    params: dict[str, object] = {**query.label_params, **(query.where_params or {})}
    payoff_sql = {}
    for outcome in OUTCOMES:
        compiled = query.payoff.compile(outcome, prefix=f"po_{outcome}_")
        payoff_sql[outcome] = compiled.sql
        params.update(compiled.params)

    selects = []
    for i, model in enumerate(models):
        score = f"CAST({quote_ident(model.score_column)} AS DOUBLE)"
        valid = f"{score} IS NOT NULL AND isfinite({score})"
        if not query.raw_scores:
            valid += f" AND {score} BETWEEN 0 AND 1"
        conds = [f"({query.where_sql})", valid]
        if model.model_column is not None:
            params[f"model_{i}"] = model.model_value
            conds.append(f"CAST({quote_ident(model.model_column)} AS VARCHAR) = $model_{i}")
        params[f"model_name_{i}"] = model.name
        dims = "".join(f", {expr} AS {quote_ident('d_' + name)}" for name, expr in breakdowns.items())
        outcomes = ", ".join(f"({payoff_sql[o]}) AS v_{o}" for o in OUTCOMES)
        selects.append(
            f"SELECT $model_name_{i} AS m, {score} AS s, ({query.label_sql}) AS y, {outcomes}{dims} "
            f"FROM {quote_ident(query.table)} WHERE {' AND '.join(conds)}"
        )
    dim_cols = [quote_ident("d_" + name) for name in breakdowns]
    grouping_sets = ", ".join(["(m, s)", *(f"(m, {d}, s)" for d in dim_cols)])
    # GROUPING(d) tells which set a result row belongs to; keys are never NULL (coalesced).
    set_id = " + ".join(f"(1 - GROUPING({d})) * {j + 1}" for j, d in enumerate(dim_cols)) or "0"
    key_expr = "coalesce(" + ", ".join([*dim_cols, "''"]) + ")"
    sql = f"""
        WITH base AS ({' UNION ALL '.join(selects)})
        SELECT m, ({set_id}) AS set_id, {key_expr} AS k, s,
               count(*) FILTER (WHERE y) AS pos,
               count(*) FILTER (WHERE NOT y) AS neg,
               count(*) FILTER (WHERE y IS NULL) AS unl,
               coalesce(sum(v_tp) FILTER (WHERE y), 0) AS tp,
               coalesce(sum(v_fn) FILTER (WHERE y), 0) AS fn,
               coalesce(sum(v_fp) FILTER (WHERE NOT y), 0) AS fp,
               coalesce(sum(v_tn) FILTER (WHERE NOT y), 0) AS tn,
               count(*) FILTER (WHERE y AND NOT {_finite_sql('v_tp')}) AS bad_tp,
               count(*) FILTER (WHERE y AND NOT {_finite_sql('v_fn')}) AS bad_fn,
               count(*) FILTER (WHERE NOT y AND NOT {_finite_sql('v_fp')}) AS bad_fp,
               count(*) FILTER (WHERE NOT y AND NOT {_finite_sql('v_tn')}) AS bad_tn
        FROM base
        GROUP BY GROUPING SETS ({grouping_sets})
    """
    if progress is not None:
        progress.progress(0.05, "Aggregating per score in DuckDB")
    try:
        arrays = con.execute(sql, params).fetchnumpy()
    except duckdb.InterruptException:
        from roistudio.core.errors import Cancelled

        raise Cancelled() from None
    check_cancelled(progress)
    _raise_for_bad_payoffs(arrays, query.payoff)
    if progress is not None:
        progress.progress(0.8, "Building curves")
    names = [OVERALL, *breakdowns]
    result = _curves_from_arrays(arrays, names)
    if progress is not None:
        progress.progress(1.0, "Sweep done")
    overall = {m.name: result.get((0, m.name, ""), Curve.empty()) for m in models}
    by: dict[str, dict[str, dict[str, Curve]]] = {
        name: {m.name: {} for m in models} for name in breakdowns
    }
    for (set_id, model, key), curve in result.items():
        if set_id > 0:
            by[names[set_id]][model][key] = curve
    return SweepResult(overall, by)


def _raise_for_bad_payoffs(arrays: Mapping[str, np.ndarray], payoff: Payoff) -> None:
    # Each row is counted in the overall grouping set; count only there (set_id == 0).
    overall = np.asarray(arrays["set_id"]) == 0
    for outcome in OUTCOMES:
        bad = int(np.asarray(arrays[f"bad_{outcome}"])[overall].sum())
        if bad:
            expr = payoff.expressions[outcome]
            who = "positive" if outcome in ("tp", "fn") else "negative"
            raise PayoffError(
                f"{outcome} = {expr} is missing or not a finite number on {bad:,} {who} rows; "
                "use coalesce(column, 0) for missing values or guard divisions",
                outcome=outcome,
            )


def _curves_from_arrays(arrays: Mapping[str, np.ndarray], names: list[str]) -> dict[tuple[int, str, str], Curve]:
    set_ids = np.asarray(arrays["set_id"], dtype=np.int64)
    models = np.asarray(arrays["m"], dtype=object)
    keys = np.asarray(arrays["k"], dtype=object)
    if len(set_ids) == 0:
        return {}
    # One integer code per (set, model, key) group; rows of a group are then contiguous.
    group_labels = np.char.add(np.char.add(set_ids.astype(str), "\x1f"), np.char.add(models.astype(str), "\x1f"))
    group_labels = np.char.add(group_labels, keys.astype(str))
    uniques, codes = np.unique(group_labels, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    columns = {c: np.asarray(arrays[c])[order] for c in ("s", "pos", "neg", "unl", "tp", "fp", "fn", "tn")}
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(order)]))
    out: dict[tuple[int, str, str], Curve] = {}
    # One iteration per group (model x segment value x period), not per row or threshold.
    for start, end in zip(starts, ends, strict=True):
        label = uniques[codes[order[start]]]
        set_part, model, key = str(label).split("\x1f", 2)
        sl = slice(start, end)
        out[(int(set_part), model, key)] = Curve.from_score_aggregates(
            columns["s"][sl],
            columns["pos"][sl],
            columns["neg"][sl],
            columns["tp"][sl],
            columns["fp"][sl],
            columns["fn"][sl],
            columns["tn"][sl],
            columns["unl"][sl],
        )
    return out
