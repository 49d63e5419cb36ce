"""What the data holds, in a few cheap queries: distinct counts, segment values, date ranges.

The mapping proposal (a score column has many distinct values, a segment few), the filter bar
(segment values to choose from, the date range) and the reports ("data from ... to ...") all ask
here, so the app and the CLI read the same figures.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from roistudio.core.sql import quote_ident

__all__ = [
    "DISTINCT_SAMPLE_ROWS",
    "MISSING_KEY",
    "date_range",
    "distinct_counts",
    "segment_key_sql",
    "segment_values",
]

# The breakdown key of a missing or blank segment value.
MISSING_KEY = "(missing)"


def segment_key_sql(column: str) -> str:
    """Breakdown key of a segment column: its value as text, ``(missing)`` for NULL/blank.

    A value that reads ``(missing)`` itself (optionally already in double quotes) gets one more
    pair of double quotes, ``"(missing)"``, so real data never merges with the missing rows and
    the mapping from values to keys stays one to one.
    """
    col = quote_ident(column)
    text = f"nullif(trim(CAST({col} AS VARCHAR)), '')"
    return (
        f"CASE WHEN {text} IS NULL THEN '{MISSING_KEY}' "
        f"WHEN regexp_full_match({text}, '\"*\\(missing\\)\"*') THEN '\"' || {text} || '\"' "
        f"ELSE {text} END"
    )


# Rows read to count distinct values: enough to tell an id or a score from a segment column.
DISTINCT_SAMPLE_ROWS = 200_000


def distinct_counts(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Iterable[str],
    *,
    sample_rows: int = DISTINCT_SAMPLE_ROWS,
) -> dict[str, int]:
    """Approximate number of distinct values of each column over its first rows (one query).

    The app's import and the CLI's mapping proposal both count here, so they propose alike.

    Parameters
    ----------
    con
        The connection that holds ``table``.
    table
        Table or view name.
    columns
        Column names; the result keeps their order.
    sample_rows
        At most this many rows are read (DuckDB's HyperLogLog over them).

    Returns
    -------
    dict
        Column name -> approximate distinct count; empty when no columns are given.
    """
    names = list(columns)
    if not names:
        return {}
    exprs = ", ".join(f"approx_count_distinct({quote_ident(n)})" for n in names)
    row = con.execute(
        f"SELECT {exprs} FROM (SELECT * FROM {quote_ident(table)} LIMIT {int(sample_rows)})"
    ).fetchone()
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return {n: int(v) for n, v in zip(names, row, strict=True)}


def segment_values(con: duckdb.DuckDBPyConnection, table: str, column: str, limit: int = 200) -> list[str]:
    """The first ``limit`` distinct breakdown keys of a segment column, sorted as text.

    Keys are those the sweep groups by (:func:`segment_key_sql`), so a value offered by the
    filter bar always matches a segment of the analysis.
    """
    rows = con.execute(
        f"SELECT DISTINCT {segment_key_sql(column)} AS k FROM {quote_ident(table)} ORDER BY 1 LIMIT {int(limit)}"
    ).fetchall()
    return [str(r[0]) for r in rows]


def date_range(con: duckdb.DuckDBPyConnection, table: str, column: str) -> tuple[str | None, str | None]:
    """First and last day of a date/time column as ISO text (``"2026-03-01"``), None when all missing."""
    col = quote_ident(column)
    row = con.execute(f"SELECT min({col}), max({col}) FROM {quote_ident(table)}").fetchone()
    low, high = row if row is not None else (None, None)
    return (None if low is None else str(low)[:10], None if high is None else str(high)[:10])
