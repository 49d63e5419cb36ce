"""What the filter bar offers for the loaded data: each segment column's values and the date range.

Segment values are the sweep's breakdown keys and dates the time column's range, both from
:mod:`roistudio.core.data.profile` (one rule each), so a value picked in the filter matches a row
the breakdown shows.
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
    """Distinct keys of each segment column (sorted, at most ``limit``) and the time column's range.

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
        Dates as ``YYYY-MM-DD`` text (None without a time column, for period labels, or without dates).
    """
    from roistudio.core.column_types import is_temporal_type
    from roistudio.core.data.mapping import table_columns
    from roistudio.core.data.profile import date_range, segment_values

    segments = {column: segment_values(con, table, column, limit) for column in mapping.segments}
    # A date range is offered for dates and timestamps only, not for period labels ("may").
    time_column = mapping.timestamp
    dated = time_column is not None and is_temporal_type(table_columns(con, table).get(time_column, ""))
    date_min, date_max = date_range(con, table, time_column) if dated and time_column else (None, None)
    return FilterOptions(segments, date_min, date_max)
