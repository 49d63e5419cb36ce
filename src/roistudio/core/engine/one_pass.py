"""A cold sweep that reads the data once: the mapping validation counted from the sweep's own aggregate.

Before a sweep, the validation counts the label's values, the rows and the unusable scores
(:func:`~roistudio.core.data.mapping.validate_mapping`); on a 100M-row Parquet file read in
place that is a second full scan. Every one of those counts can be read off the sweep's
aggregate instead, if the aggregate keeps the rows it would otherwise leave out:

- an unusable score (NULL, NaN, infinite, outside [0, 1]) is just another score value, so the
  per-score groups of the overall set count them, and their minimum and maximum;
- the row's class is computed against the label value that *would* be positive (1 for a number
  column, TRUE for a boolean one) with a fourth class for "any other value"; the per-class counts
  are then the label's value counts.

The counts go to :func:`~roistudio.core.data.mapping.judge_counts`, the one place the rules and
messages live, so the report is the one the separate scan gives. The groups of unusable scores
are then dropped, which leaves exactly the aggregate of the usual sweep.

Two ways to make that aggregate:

- :mod:`.grid_aggregate` (first choice): scores on a grid of up to 6 decimals are grouped by
  ``numpy.bincount`` over the rows DuckDB streams out (several times cheaper than DuckDB's hash
  table at 100M rows); it counts unusable scores and label values itself. It also serves what
  the SQL aggregate below cannot: a challenger score column (a row is swept for both models or
  neither) and a text label ("yes"/"no": classes by the label's values, set once the
  validation picked the positive one; needs a payoff affine in its columns, summed per class).
  An affine payoff is summed as columns (``amount``) even without a cache.
- the SQL aggregation of :mod:`.sweep_sql` with the unusable groups kept, when the grid does not
  serve (breakdowns, raw scores, scores off the grid) and the label is a number or boolean.

Anything else (a model column; a text label or a challenger the grid cannot take) goes the
usual way before any read; a guess that turns out wrong (a third label value, ``--positive
0``) goes the usual way after the read, with the report when it is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import duckdb
import numpy as np

from roistudio.core.column_types import base_type, column_kind, is_numeric_type
from roistudio.core.data.mapping import table_columns
from roistudio.core.data.validation import (
    _NO_POSITIVE,
    LabelSummary,
    ScoreSummary,
    ValidationReport,
    _missing_label_sql,
    check_mapping_columns,
    judge_counts,
    label_condition_sql,
)
from roistudio.core.engine.analysis import Analysis, AnalysisRequest, analyse, assemble_analysis
from roistudio.core.engine.analysis_query import model_sources, sweep_breakdowns
from roistudio.core.engine.column_sums import (
    ColumnSums,
    ColumnSumsCache,
    cache_key,
    column_sum_values,
    fetch_column_sums,
    named_column_sums,
    summed_columns,
)
from roistudio.core.engine.grid_aggregate import GridAggregate, GridValue, grid_aggregate, swap_label_classes
from roistudio.core.engine.sweep import check_payoff_sums, payoff_aggregate, result_from_arrays, run_sweep
from roistudio.core.engine.sweep_sql import ModelSource, SweepQuery, payoff_row_values
from roistudio.core.progress import Progress, check_cancelled
from roistudio.core.sql import quote_ident

__all__ = ["analyse_in_one_pass", "score_summary_from_groups"]

_FLOATS = frozenset({"FLOAT", "REAL", "DOUBLE", "FLOAT4", "FLOAT8"})
_OTHER_LABEL = 3  # class code of a label value that is neither the guessed positive nor negative


def _guess(duck_type: str) -> tuple[object, object] | None:
    """The (positive, negative) label values of a number or boolean column, typed as DuckDB returns them."""
    kind, base = column_kind(duck_type), base_type(duck_type)
    if kind == "bool":
        return True, False
    if kind == "num" and base in _FLOATS:
        return 1.0, 0.0
    if kind == "num" and base not in ("DECIMAL", "NUMERIC"):
        return 1, 0
    return None  # text and decimals: their values are compared as text; counted the usual way


def score_summary_from_groups(
    column: str, scores: np.ndarray, counts: np.ndarray, raw_scores: bool
) -> ScoreSummary:
    """The :class:`ScoreSummary` of a score column from its per-distinct-score row counts.

    ``scores`` may be a masked array (masked = NULL). The counts follow the definitions of
    :func:`~roistudio.core.data.mapping.score_summary`: NaN and infinite values apart, below 0 and
    above 1 among finite values, minimum and maximum of the finite values.
    """
    missing_mask = np.ma.getmaskarray(scores)
    values = np.asarray(np.ma.getdata(scores), dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    present = ~missing_mask
    finite = present & np.isfinite(values)
    finite_values = values[finite]
    return ScoreSummary(
        column=column,
        rows=int(counts.sum()),
        missing=int(counts[missing_mask].sum()),
        nan=int(counts[present & np.isnan(values)].sum()),
        infinite=int(counts[present & np.isinf(values)].sum()),
        below_zero=int(counts[finite & (values < 0)].sum()),
        above_one=int(counts[finite & (values > 1)].sum()),
        minimum=float(finite_values.min()) if finite_values.size else None,
        maximum=float(finite_values.max()) if finite_values.size else None,
        raw_scores=raw_scores,
    )


def analyse_in_one_pass(
    con: duckdb.DuckDBPyConnection,
    table: str,
    request: AnalysisRequest,
    *,
    where_sql: str,
    where_params: Mapping[str, object],
    progress: Progress | None = None,
    cache: ColumnSumsCache | None = None,
) -> Analysis | None:
    """:func:`~roistudio.core.engine.analysis.analyse` with the validation counted by the sweep's scan.

    Returns None, before reading any row, when the request is not one this path serves (see the
    module docstring); the caller then validates and sweeps as usual. With a ``cache`` and a
    payoff affine in its columns, the one scan sums the columns (as :mod:`.column_sums` does) and
    leaves them in the cache, so the next payoff edit needs no scan either.

    Raises
    ------
    MappingError, PayoffError
        As ``analyse`` does, with the same messages.
    """
    mapping = request.mapping
    if mapping.model:
        return None
    label_type = table_columns(con, table).get(mapping.label)
    guess = None if label_type is None else _guess(label_type)
    affine = summed_columns(request.payoff)
    # A text label ("yes"/"no") is read by its values, so only by the grid, and only with
    # column sums (which class a row's payoff belongs to is known after the read).
    text = (
        guess is None and label_type is not None and base_type(label_type) == "VARCHAR" and affine is not None
    )
    # A challenger too: its rows are those where both scores are usable, which the SQL
    # aggregation of this module cannot tell from per-model groups.
    grid_only = guess is None or mapping.challenger_score is not None
    grid_serves = not mapping.raw_scores and not request.period and not mapping.segments
    if (guess is None and not text) or (grid_only and not grid_serves):
        return None  # before any scan (a missing label column is reported the usual way)
    columns, time = check_mapping_columns(con, table, mapping, where_sql=where_sql, params=where_params)
    label = quote_ident(mapping.label)
    positive, negative = guess or (None, None)
    label_params: dict[str, object] = {}
    if guess is None:
        label_sql = "NULL"  # not read: the grid classes rows by the label's values
        class_sql = f"CASE WHEN {_missing_label_sql(label)} THEN NULL ELSE {label} END"
    else:
        label_sql, label_params = label_condition_sql(mapping.label, positive, columns[mapping.label])
        class_sql = (
            f"CASE WHEN {label} IS NULL THEN 2 WHEN {label} = $op_positive THEN 1 "
            f"WHEN {label} = $op_negative THEN 0 ELSE {_OTHER_LABEL} END"
        )
    op_params: dict[str, object] = {} if guess is None else {"op_positive": positive, "op_negative": negative}
    # Breakdowns and model sources read only the time column of a report (one score column,
    # no model column): a report without counts stands in until the counts are known.
    nothing = LabelSummary(mapping.label, (), _NO_POSITIVE, "", 0, 0, 0)
    provisional = ValidationReport(0, nothing, (), time=time)
    breakdowns = sweep_breakdowns(request, provisional)
    query = SweepQuery(
        table=table,
        label_sql=label_sql,
        label_params={**label_params, **op_params},
        payoff=request.payoff,
        where_sql=where_sql,
        where_params=where_params,
        raw_scores=mapping.raw_scores,
        breakdowns=breakdowns,
    )
    sources = model_sources(mapping, provisional)
    summed = summed_columns(request.payoff) if cache is not None else None
    if summed is not None:
        # The mapped money columns too (the ones a payoff edit reaches for): an edit from the
        # suggested payoff to one over another money column then needs no scan either.
        summed |= {c for c in mapping.money if is_numeric_type(columns[c])}
    class_only = replace(query, label_params=op_params)
    # Off DuckDB's hash table, an affine payoff is cheapest as column sums even without a cache
    # to keep them in: one summed column (amount) instead of two per-row payoffs, and no sum at
    # all for a constant payoff.
    grid_summed = summed if summed is not None else affine
    grid = _grid_read(con, query, class_only, sources, grid_summed, class_sql, progress, labels=text)
    if grid is None and grid_only:
        return None  # off the grid: validated and swept the usual way
    if grid is not None:
        summed = grid_summed
    if grid is not None:
        per_class = {c: int(grid.class_rows[c]) for c in range(_OTHER_LABEL + 1)}
        summaries = list(grid.summaries)
        swept: dict[str, np.ndarray] | None = grid.arrays
        arrays: dict[str, np.ndarray] = grid.arrays
    else:
        if summed is not None:
            # Column sums do not read the label condition, only the class: no label_ values.
            arrays = fetch_column_sums(
                con, class_only, sources, sorted(summed), progress, class_sql=class_sql, check_scores=False
            )
        else:
            arrays = payoff_aggregate(con, query, sources, progress, class_sql=class_sql, check_scores=False)
        overall = np.asarray(arrays["set_id"]) == 0
        cls = np.asarray(arrays["c"])
        n = np.asarray(arrays["n"], dtype=np.int64)
        per_class = {c: int(n[overall & (cls == c)].sum()) for c in range(_OTHER_LABEL + 1)}
        scores = arrays["s"]
        summaries = [
            score_summary_from_groups(
                mapping.score, scores[overall] if np.ma.isMaskedArray(scores) else np.asarray(scores)[overall],
                n[overall], mapping.raw_scores,
            )
        ]  # fmt: skip
        swept = None
    check_cancelled(progress)
    if per_class[_OTHER_LABEL]:
        return None  # a third label value: the usual validation names the values
    if text:
        assert grid is not None
        coded = list(zip(grid.label_values, (0, 1), strict=False))
        values = sorted((v, per_class[c]) for v, c in coded if per_class[c])
    else:
        values = [(v, per_class[c]) for v, c in ((negative, 0), (positive, 1)) if per_class[c]]
    values.sort(key=lambda vc: -vc[1])  # most frequent first, ties in value order
    rows = sum(per_class[c] for c in (0, 1, 2))
    validation = judge_counts(mapping, columns, values, rows, summaries, (), time)
    validation.raise_for_problems()
    chosen = validation.label.positive_value
    if text:
        assert grid is not None and swept is not None
        if grid.label_values and chosen == grid.label_values[0]:
            swept = swap_label_classes(swept)  # the first value read is the positive one
    elif chosen is negative:
        # --positive named the other value: the payoffs were summed for the wrong class.
        return analyse(con, table, request, progress=progress, validation=validation, cache=cache)

    if swept is None:
        swept = _usable_groups(arrays, mapping.raw_scores)
    # From here the usual classes (no op_ values): the report's own label condition, which
    # gives every row the class it had here.
    final_sql, final_params = validation.label.condition_sql()
    final = replace(query, label_sql=final_sql, label_params=final_params)
    if summed is not None:
        # Stored as the usual sweep would have stored them; the sweep below reads them (or, for
        # a missing value, takes the SQL path that counts and reports it).
        sums = cache if cache is not None else ColumnSumsCache()
        sums.put(ColumnSums(cache_key(final, sources), frozenset(summed), swept))
        result = run_sweep(con, final, sources, progress=progress, cache=sums)
        return assemble_analysis(request, table, validation, sources, result)
    check_payoff_sums(con, final, sources, swept)
    if progress is not None:
        progress.progress(0.8, "Building curves")
    result = result_from_arrays(swept, sources, list(breakdowns))
    if progress is not None:
        progress.progress(1.0, "Sweep done")
    return assemble_analysis(request, table, validation, sources, result)


def _usable_groups(arrays: Mapping[str, np.ndarray], raw_scores: bool) -> dict[str, np.ndarray]:
    """The aggregate without the groups of unusable scores: the usual sweep's aggregate."""
    scores = arrays["s"]
    missing = np.ma.getmaskarray(scores)
    s = np.asarray(np.ma.getdata(scores), dtype=np.float64)
    keep = ~missing & np.isfinite(s)
    if not raw_scores:
        keep &= (s >= 0) & (s <= 1)
    # Without unusable scores (the usual case) nothing is copied: ~2M groups x 8 columns is
    # over 100 MB at 100M rows.
    everything = bool(keep.all())
    return {
        k: np.asarray(np.ma.getdata(v)) if everything else np.asarray(np.ma.getdata(v))[keep]
        for k, v in arrays.items()
    }


def _grid_read(
    con: duckdb.DuckDBPyConnection,
    query: SweepQuery,
    class_only: SweepQuery,
    sources: list[ModelSource],
    summed: set[str] | frozenset[str] | None,
    class_sql: str,
    progress: Progress | None,
    *,
    labels: bool = False,
) -> GridAggregate | None:
    """The one read by :mod:`.grid_aggregate` (payoff sums, or the column sums), or None when it does not apply."""
    classes = _OTHER_LABEL  # codes 0-2 binned; a row of the other class ends the read
    if summed is None:
        params: dict[str, object] = {**query.label_params, **(query.where_params or {})}
        row_values = payoff_row_values(query, params)
        values = [GridValue("v_flag", "v_flag"), GridValue("v_keep", "v_keep")]
        return grid_aggregate(
            con, query, sources, row_values, values, params, class_sql=class_sql, classes=classes,
            check_scores=False, progress=progress,
        )  # fmt: skip
    columns = sorted(summed)
    params = {**class_only.label_params, **(class_only.where_params or {})}
    row_values, values = column_sum_values(columns)
    grid = grid_aggregate(
        con, class_only, sources, row_values, values, params, class_sql=class_sql, classes=classes,
        check_scores=False, labels=labels, progress=progress,
    )  # fmt: skip
    if grid is None or not grid.arrays:
        return grid  # not served, or read no further (another label value)
    return replace(grid, arrays=named_column_sums(grid.arrays, columns))
