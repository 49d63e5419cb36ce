"""The sweep's one aggregation as SQL, for any engine with a payoff :class:`~roistudio.core.payoff.compile.Dialect`.

For every (model, breakdown key, distinct score, class) the aggregation counts rows and sums
per-row values (the payoff if flagged and if not flagged, or plain column values for the
column-sums cache). ``GROUPING SETS`` give the overall curve, every segment column and every
period in the same pass. The SQL differs between DuckDB and Spark SQL only in what the
dialect spells (identifier quotes, placeholders, the text type, the finiteness test), so both
engines build it here: :mod:`.sweep` runs it on DuckDB, :mod:`.spark` on Spark.

Nothing a user typed is pasted into the SQL: identifiers are quoted, values are placeholders
whose values go into ``params``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from roistudio.core.payoff.compile import DUCKDB, Dialect
from roistudio.core.payoff.language import OUTCOMES, Payoff

__all__ = [
    "PAYOFF_AGGREGATES",
    "ModelSource",
    "SweepQuery",
    "aggregate_sql",
    "bad_payoff_counts_sql",
    "labelled_sums_finite",
    "model_rows_sql",
    "payoff_row_values",
    "valid_score_sql",
]


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
        Table or view holding the rows (in the engine's catalog).
    label_sql, label_params
        Expression that is TRUE for positives, FALSE for negatives, NULL when unlabelled.
    where_sql, where_params
        Row filter (segments, dates) applied before anything is counted.
    raw_scores
        Allow scores outside [0, 1]. Rows with missing/non-finite (or out-of-range) scores are
        always left out here; the caller decides beforehand whether that is allowed.
    breakdowns
        Name -> SQL expression of a breakdown key (a segment column, a period).
    dialect
        The SQL engine the pieces are written for (DuckDB unless said otherwise).
    """

    table: str
    label_sql: str
    label_params: Mapping[str, object]
    payoff: Payoff
    where_sql: str = "TRUE"
    where_params: Mapping[str, object] | None = None
    raw_scores: bool = False
    breakdowns: Mapping[str, str] | None = None
    dialect: Dialect = DUCKDB


def valid_score_sql(column: str, raw_scores: bool, dialect: Dialect = DUCKDB) -> str:
    """SQL condition true for rows whose score in ``column`` can be swept."""
    score = f"CAST({dialect.quote_identifier(column)} AS DOUBLE)"
    cond = dialect.is_finite(score)
    return cond if raw_scores else f"({cond} AND {score} BETWEEN 0 AND 1)"


def model_rows_sql(
    models: Sequence[ModelSource],
    i: int,
    *,
    where_sql: str,
    raw_scores: bool,
    dialect: Dialect = DUCKDB,
    check_scores: bool = True,
) -> tuple[str, list[str], dict[str, object]]:
    """The one rule for which rows make model ``i``'s curve (the sweep and the live-formula sums use it).

    Models in separate score columns are compared on the same rows: a row is left out of every
    curve when any of those scores is unusable. With a model column, a model's rows are those
    whose model column names it, and only its own score counts. ``check_scores=False`` keeps
    rows whose score is unusable (the validation then counts them from the aggregate).

    Returns
    -------
    tuple
        The score as SQL (DOUBLE), the WHERE conditions (to be joined with AND) and the values of
        the placeholders they use (``model_<i>``).
    """
    model = models[i]
    shared = {m.score_column for m in models if m.model_column is None}
    score = f"CAST({dialect.quote_identifier(model.score_column)} AS DOUBLE)"
    columns = sorted(shared) if model.model_column is None else [model.score_column]
    conds = [f"({where_sql})"]
    if check_scores:
        conds.append(" AND ".join(valid_score_sql(c, raw_scores, dialect) for c in columns))
    params: dict[str, object] = {}
    if model.model_column is not None:
        params[f"model_{i}"] = model.model_value
        model_col = dialect.quote_identifier(model.model_column)
        placeholder = dialect.placeholder.format(name=f"model_{i}")
        conds.append(f"CAST({model_col} AS {dialect.text_type}) = {placeholder}")
    return score, conds, params


def aggregate_sql(
    query: SweepQuery,
    models: Sequence[ModelSource],
    row_values: Mapping[str, str],
    aggregates: Sequence[str],
    params: dict[str, object],
    *,
    class_sql: str | None = None,
    check_scores: bool = True,
) -> tuple[str, list[str]]:
    """The per-(model, breakdown key, score, class) aggregation, and its per-row SELECTs.

    Parameters
    ----------
    query
        Table, label, filter, breakdowns and the dialect to write.
    models
        The score sources; one SELECT each, joined by UNION ALL.
    row_values
        Named SQL expressions computed per row from the table's own columns (the payoff if
        flagged / not flagged, or plain column values).
    aggregates
        The SELECT items over them (besides the row count ``n``).
    params
        Receives the model placeholders.
    class_sql
        The row's class code; by default 1 for positives, 0 for negatives and 2 for rows whose
        label is not yet known (from ``query.label_sql``).
    check_scores
        False keeps rows whose score is unusable (see :func:`model_rows_sql`).

    Returns
    -------
    tuple
        The aggregation's SQL (columns ``m, set_id, [k,] s, c, n`` and the aggregates, sorted by
        set, model, key, score descending and class) and the per-row SELECTs (the payoff check
        re-reads them).
    """
    d = query.dialect
    breakdowns = dict(query.breakdowns or {})
    selects = []
    y = f"({query.label_sql})"
    cls = class_sql or f"CASE WHEN {y} THEN 1 WHEN NOT {y} THEN 0 ELSE 2 END"
    for i in range(len(models)):
        score, conds, model_params = model_rows_sql(
            models, i, where_sql=query.where_sql, raw_scores=query.raw_scores, dialect=d,
            check_scores=check_scores,
        )  # fmt: skip
        params.update(model_params)
        source = f"FROM {d.quote_identifier(query.table)} WHERE {' AND '.join(conds)}"
        dims = "".join(f", {expr} AS {d.quote_identifier('d_' + name)}" for name, expr in breakdowns.items())
        values = "".join(f", {sql} AS {name}" for name, sql in row_values.items())
        # Everything is computed from the table's own columns in one SELECT, so no alias can
        # clash with a user column called "s" or "m".
        selects.append(f"SELECT {int(i)} AS m, {score} AS s, {cls} AS c{values}{dims} {source}")
    dim_cols = [d.quote_identifier("d_" + name) for name in breakdowns]
    grouping_sets = ", ".join(["(m, s, c)", *(f"(m, {col}, s, c)" for col in dim_cols)])
    # GROUPING(d) tells which set a result row belongs to; keys are never NULL (coalesced).
    set_id = " + ".join(f"(1 - GROUPING({col})) * {j + 1}" for j, col in enumerate(dim_cols)) or "0"
    key_expr = "coalesce(" + ", ".join([*dim_cols, "''"]) + ")"
    # A plain GROUP BY is markedly faster than a single grouping set in DuckDB.
    group_by = f"GROUPING SETS ({grouping_sets})" if dim_cols else "m, s, c"
    key_select = f"{key_expr} AS k, " if dim_cols else ""
    # Sorted by the engine (in parallel) so numpy only takes cumulative sums: groups are
    # contiguous and, within a group, scores descend.
    sql = f"""
        WITH valued AS ({" UNION ALL ".join(selects)})
        SELECT m, ({set_id}) AS set_id, {key_select}s, c, count(*) AS n, {", ".join(aggregates)}
        FROM valued
        GROUP BY {group_by}
        ORDER BY set_id, m, {"k, " if dim_cols else ""}s DESC, c
    """
    return sql, selects


def payoff_row_values(query: SweepQuery, params: dict[str, object], prefix: str = "po_") -> dict[str, str]:
    """Per-row SQL of the payoff if flagged (``v_flag``) and if not flagged (``v_keep``).

    ``v_flag`` is the TP payoff for a positive and the FP payoff for a negative, ``v_keep`` the
    FN and TN payoffs; both are NULL for unlabelled rows. A labelled row's NULL payoff is NaN
    here, so any sum over it is not finite: the sweep then needs no ``count()`` of NULLs
    (:func:`labelled_sums_finite` catches it). The payoff's bound values are added to
    ``params`` under names starting with ``prefix`` (distinct prefixes let several payoffs share
    one query). Used by the sweep, the bootstrap and the sensitivity analysis.
    """
    d = query.dialect
    payoff_sql = {}
    for outcome in OUTCOMES:
        compiled = query.payoff.compile(outcome, prefix=f"{prefix}{outcome}_", dialect=d)
        payoff_sql[outcome] = f"coalesce(({compiled.sql}), {d.nan()})"
        params.update(compiled.params)
    y = f"({query.label_sql})"
    # Two sums instead of four filtered ones.
    return {
        "v_flag": f"CASE WHEN {y} THEN {payoff_sql['tp']} WHEN NOT {y} THEN {payoff_sql['fp']} END",
        "v_keep": f"CASE WHEN {y} THEN {payoff_sql['fn']} WHEN NOT {y} THEN {payoff_sql['tn']} END",
    }


# The payoff sums per group. Only two aggregates: each one costs about a tenth of the hash
# aggregation, which is most of a cold sweep at 100M rows.
PAYOFF_AGGREGATES = ("coalesce(sum(v_flag), 0) AS v_flag", "coalesce(sum(v_keep), 0) AS v_keep")


def labelled_sums_finite(arrays: Mapping[str, np.ndarray]) -> bool:
    """Whether every labelled row's payoff was a finite number, from the aggregates alone.

    Exact: the overall set (``set_id`` 0) holds every row once; a NULL payoff is NaN (see
    :func:`payoff_row_values`), and a sum with a NaN or an infinite term is NaN or infinite.
    A sum can also overflow from finite terms; the precise count (:func:`bad_payoff_counts_sql`)
    tells that case apart.
    """
    labelled = (np.asarray(arrays["set_id"]) == 0) & (np.asarray(arrays["c"]) < 2)
    return bool(
        np.isfinite(np.asarray(arrays["v_flag"], dtype=np.float64)[labelled]).all()
        and np.isfinite(np.asarray(arrays["v_keep"], dtype=np.float64)[labelled]).all()
    )


def bad_payoff_counts_sql(selects: Sequence[str], dialect: Dialect = DUCKDB) -> str:
    """Per outcome (``OUTCOMES`` order: tp, fp, tn, fn), the labelled rows whose payoff is NULL or not finite.

    Runs only when :func:`labelled_sums_finite` says something is wrong: it costs a scan.
    """
    bad = [
        f"count(*) FILTER (WHERE c = {cls} AND NOT coalesce({dialect.is_finite(v)}, FALSE))"
        for cls, v in ((1, "v_flag"), (0, "v_flag"), (0, "v_keep"), (1, "v_keep"))
    ]
    return f"WITH valued AS ({' UNION ALL '.join(selects)}) SELECT {', '.join(bad)} FROM valued"
