"""What the filter bar offers for the loaded data: each segment column's values and the date range.

The segment values are the same keys the sweep groups by (:func:`roistudio.core.engine.sweep.segment_key_sql`),
so a value picked in the filter matches a row the breakdown shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from roistudio.core.data.mapping import ColumnMapping

SEGMENT_VALUE_LIMIT = 200


@dataclass(frozen=True)
class FilterOptions:
    """Values the filter bar offers: segment values and the date range of the data."""

    segments: dict[str, list[str]] = field(default_factory=dict)
    date_min: str | None = None
    date_max: str | None = None


def filter_options(
    con: Any, mapping: ColumnMapping, table: str, limit: int = SEGMENT_VALUE_LIMIT
) -> FilterOptions:
    """Distinct values of each segment column (sorted, at most ``limit``) and the time column's range.

    Parameters
    ----------
    con
        The DuckDB connection.
    mapping
        Which columns are segments and which is the time column.
    table
        The analysed table.
    limit
        Most values offered per segment column.

    Returns
    -------
    FilterOptions
        Dates as ``YYYY-MM-DD`` text (None without a time column or without dates).
    """
    from roistudio.core.engine.sweep import segment_key_sql
    from roistudio.core.sql import quote_ident

    segments = {}
    for column in mapping.segments:
        rows = con.execute(
            f"SELECT DISTINCT {segment_key_sql(column)} AS k FROM {quote_ident(table)} ORDER BY 1 LIMIT ?",
            [int(limit)],
        ).fetchall()
        segments[column] = [str(r[0]) for r in rows]
    date_min = date_max = None
    if mapping.timestamp:
        col = quote_ident(mapping.timestamp)
        low, high = con.execute(f"SELECT min({col}), max({col}) FROM {quote_ident(table)}").fetchone()
        date_min = None if low is None else str(low)[:10]
        date_max = None if high is None else str(high)[:10]
    return FilterOptions(segments, date_min, date_max)
