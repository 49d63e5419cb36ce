"""Small helpers for building DuckDB SQL safely: identifiers quoted, values always bound."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """Quote a column or table name for DuckDB: ``a"b`` -> ``"a""b"``."""
    if "\x00" in name:
        raise ValueError("identifier contains a NUL character")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote a string literal, for the rare places DuckDB does not accept a bound parameter."""
    if "\x00" in text:
        raise ValueError("literal contains a NUL character")
    return "'" + text.replace("'", "''") + "'"
