"""The column-sums fast path: a payoff edit swept from cached per-score column sums, without a scan.

For a payoff affine in the row's columns (``tp = amount * 0.8 - 5``) every group's payoff sum is
a combination of the group's row count and its column sums. :class:`ColumnSumsCache` keeps those
sums per (model, breakdown key, score, class) for the last (table, mapping, filter, breakdowns)
swept, so the app re-sweeps after a payoff edit in numpy time (one pass over the distinct
scores, independent of the row count). Anything else (``max``, ``if``, a missing value) goes
back to the SQL path (:func:`.sweep.run_sweep`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from roistudio.core.engine.grid_aggregate import GridValue, grid_aggregate
from roistudio.core.engine.sweep_sql import ModelSource, SweepQuery, aggregate_sql
from roistudio.core.errors import Cancelled
from roistudio.core.payoff.language import OUTCOMES, Payoff
from roistudio.core.progress import Progress
from roistudio.core.sql import quote_ident

__all__ = [
    "ColumnSums",
    "ColumnSumsCache",
    "arrays_from_column_sums",
    "cache_key",
    "column_sum_values",
    "fetch_arrays",
    "fetch_column_sums",
    "named_column_sums",
    "summed_columns",
]


def fetch_arrays(
    con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object]
) -> dict[str, np.ndarray]:
    """Run ``sql`` and fetch its columns as numpy arrays; an interrupt is :class:`Cancelled`."""
    try:
        return con.execute(sql, dict(params)).fetchnumpy()
    except duckdb.InterruptException:
        raise Cancelled() from None


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


def cache_key(query: SweepQuery, models: Sequence[ModelSource]) -> tuple[object, ...]:
    """What the sums depend on: table, label, filter, score rule, breakdowns and models."""
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


def summed_columns(payoff: Payoff) -> frozenset[str] | None:
    """The columns whose sums sweep ``payoff``, or None when it is not affine in its columns."""
    affine = payoff.column_terms()
    if affine is None:
        return None
    return frozenset(col for terms in affine.values() for col in terms.coefficients)


def fetch_column_sums(
    con: duckdb.DuckDBPyConnection,
    query: SweepQuery,
    models: Sequence[ModelSource],
    columns: Sequence[str],
    progress: Progress | None,
    *,
    class_sql: str | None = None,
    check_scores: bool = True,
) -> dict[str, np.ndarray]:
    """One scan: per group the row count and each column's sum (``sum:COL``) and count (``cnt:COL``).

    ``class_sql`` and ``check_scores`` as for :func:`.sweep_sql.aggregate_sql`.
    """
    params: dict[str, object] = {**query.label_params, **(query.where_params or {})}
    row_values, values = column_sum_values(columns)
    if class_sql is None and check_scores:
        # Scores on a decimal grid: grouped by numpy, not DuckDB's hash table (None otherwise).
        grid = grid_aggregate(con, query, models, row_values, values, dict(params), progress=progress)
        if grid is not None:
            return named_column_sums(grid.arrays, columns)
    aggregates = [
        f"coalesce(sum({v.column}), 0) AS {v.name}" if not v.count else f"count({v.column}) AS {v.name}"
        for v in values
    ]
    aggregates = aggregates or ["0 AS unused"]
    sql, _ = aggregate_sql(
        query, models, row_values, aggregates, params, class_sql=class_sql, check_scores=check_scores
    )
    if progress is not None:
        progress.progress(0.05, "Summing columns per score in DuckDB")
    return named_column_sums(fetch_arrays(con, sql, params), columns)


def column_sum_values(columns: Sequence[str]) -> tuple[dict[str, str], list[GridValue]]:
    """Per-row SQL of each column as a double (``x<j>``), and its sum (``sum_<j>``) and count (``cnt_<j>``)."""
    row_values = {f"x{j}": f"CAST({quote_ident(c)} AS DOUBLE)" for j, c in enumerate(columns)}
    values = []
    for j in range(len(columns)):
        values += [GridValue(f"sum_{j}", f"x{j}"), GridValue(f"cnt_{j}", f"x{j}", count=True)]
    return row_values, values


def named_column_sums(raw: Mapping[str, np.ndarray], columns: Sequence[str]) -> dict[str, np.ndarray]:
    """The aggregate with ``sum_<j>``/``cnt_<j>`` renamed ``sum:COL``/``cnt:COL``, as the cache keeps them."""
    arrays: dict[str, np.ndarray] = {k: raw[k] for k in ("m", "set_id", "k", "s", "c", "n") if k in raw}
    for j, c in enumerate(columns):
        arrays[f"sum:{c}"] = np.asarray(raw[f"sum_{j}"], dtype=np.float64)
        arrays[f"cnt:{c}"] = np.asarray(raw[f"cnt_{j}"], dtype=np.int64)
    return arrays


def arrays_from_column_sums(
    con: duckdb.DuckDBPyConnection,
    query: SweepQuery,
    models: Sequence[ModelSource],
    cache: ColumnSumsCache,
    progress: Progress | None,
) -> dict[str, np.ndarray] | None:
    """Payoff sums from cached column sums, or None when the payoff needs the SQL path."""
    affine = query.payoff.column_terms()
    used = summed_columns(query.payoff)
    if affine is None or used is None:
        return None
    key = cache_key(query, models)
    sums = cache.get(key, used)
    if sums is None:
        # Sum every numeric column the payoff uses now, plus those summed before for this key,
        # so switching between payoffs over the same columns never rescans.
        old = cache.get(key, frozenset())
        columns = sorted(used | (old.columns if old is not None else frozenset()))
        sums = ColumnSums(key, frozenset(columns), fetch_column_sums(con, query, models, columns, progress))
        cache.put(sums)
    cached = sums.arrays
    if any(np.any(cached[f"cnt:{col}"] != cached["n"]) for col in used):
        return None  # a missing value: the SQL path counts and reports it
    n = np.asarray(cached["n"], dtype=np.float64)
    cls = np.asarray(cached["c"])

    def outcome_sums(outcome: str) -> np.ndarray:
        terms = affine[outcome]
        total = terms.constant * n
        for col, coef in terms.coefficients.items():
            total += coef * cached[f"sum:{col}"]
        return total

    sums_by_outcome = {o: outcome_sums(o) for o in OUTCOMES}
    v_flag = np.where(cls == 1, sums_by_outcome["tp"], np.where(cls == 0, sums_by_outcome["fp"], 0.0))
    v_keep = np.where(cls == 1, sums_by_outcome["fn"], np.where(cls == 0, sums_by_outcome["tn"], 0.0))
    if not (np.isfinite(v_flag).all() and np.isfinite(v_keep).all()):
        return None
    out = {k: v for k, v in cached.items() if ":" not in k}
    out["v_flag"], out["v_keep"] = v_flag, v_keep
    return out
