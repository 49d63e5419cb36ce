"""The one classifier of DuckDB column type names: number, text, true/false, date/time or other.

Every place that asks "is this column a number?" (the payoff checker, the presets' money-column
guess, the mapping's choices, the importer's type fixes) asks here, so they cannot disagree on
``NUMERIC``, ``INT`` or ``DECIMAL(18,3)``. Pure string work: no DuckDB import, so the payoff
language may use it.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["ColumnKind", "base_type", "column_kind", "is_numeric_type", "is_temporal_type"]

ColumnKind = Literal["num", "str", "bool", "time", "other"]

# Base names (before any "(precision, scale)") as DuckDB spells them and their aliases.
_NUMERIC = frozenset({
    "TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT", "FLOAT", "REAL", "DOUBLE", "DECIMAL", "NUMERIC", "INT1", "INT2", "INT4",
    "INT8", "FLOAT4", "FLOAT8", "SIGNED", "LONG", "SHORT",
})  # fmt: skip
_TEXT = frozenset({"VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "NVARCHAR", "ENUM"})
_BOOLEAN = frozenset({"BOOLEAN", "BOOL", "LOGICAL"})
_TEMPORAL = frozenset({
    "DATE", "TIMESTAMP", "DATETIME", "TIMESTAMPTZ", "TIMESTAMP_NS", "TIMESTAMP_US", "TIMESTAMP_MS", "TIMESTAMP_S",
})  # fmt: skip


def base_type(type_name: str) -> str:
    """The upper-case base name of a DuckDB type: ``"decimal(18,3)"`` -> ``"DECIMAL"``.

    ``TIMESTAMP WITH TIME ZONE`` is read as ``TIMESTAMPTZ``.
    """
    text = str(type_name).strip().upper()
    if text.startswith("TIMESTAMP WITH TIME ZONE"):
        return "TIMESTAMPTZ"
    return re.split(r"[\s(]", text, maxsplit=1)[0]


def column_kind(type_name: str) -> ColumnKind:
    """What a column of this DuckDB type holds.

    Parameters
    ----------
    type_name
        A DuckDB type name, e.g. ``"BIGINT"``, ``"DECIMAL(18,3)"``, ``"VARCHAR"``.

    Returns
    -------
    {"num", "str", "bool", "time", "other"}
        ``"other"`` for lists, structs, blobs, intervals and anything unknown.
    """
    base = base_type(type_name)
    if base in _NUMERIC:
        return "num"
    if base in _TEXT:
        return "str"
    if base in _BOOLEAN:
        return "bool"
    if base in _TEMPORAL:
        return "time"
    return "other"


def is_numeric_type(type_name: str) -> bool:
    """True for DuckDB number types (integers, floats, decimals, their aliases)."""
    return column_kind(type_name) == "num"


def is_temporal_type(type_name: str) -> bool:
    """True for DuckDB date and timestamp types."""
    return column_kind(type_name) == "time"
