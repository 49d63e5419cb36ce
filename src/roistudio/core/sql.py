"""Small helpers for building DuckDB SQL safely: identifiers quoted, values always bound."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


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


def relation_kind(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """``"BASE TABLE"``, ``"VIEW"`` or ``None`` for ``name`` in this database's main schema.

    Only this database counts: an attached import cache has its own table called ``data``.
    """
    row = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' AND table_name = $name "
        "AND table_catalog = current_database()",
        {"name": name},
    ).fetchone()
    return None if row is None else str(row[0])


def drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the table or view called ``name`` in the main schema, if there is one.

    ``DROP TABLE`` refuses a view and ``DROP VIEW`` a table, and a data source can be either (a
    Parquet file read in place, or a cached import, is a view).
    """
    kind = relation_kind(con, name)
    if kind is not None:
        con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {quote_ident(name)}")


def pin_session_time_zone(con: duckdb.DuckDBPyConnection) -> None:
    """Set the connection's TimeZone to UTC.

    DuckDB starts each connection in the machine's zone (``TZ``), which decides how a TIMESTAMP
    WITH TIME ZONE becomes a date or compares with a plain date: the same file would give other
    months on another machine. Every connection the app opens for analysis calls this.
    """
    con.execute("SET TimeZone = 'UTC'")


def session_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor on ``con``'s database (for queries on another thread) in ``con``'s time zone.

    A cursor is a new session: it starts in the machine's zone, not the one pinned on ``con``
    (:func:`pin_session_time_zone`), and a date filter on zone-aware times compares in the
    session's zone. The zone is the only session setting the app changes.
    """
    cursor = con.cursor()
    zone = con.execute("SELECT current_setting('TimeZone')").fetchone()
    if zone is not None:
        cursor.execute("SET TimeZone = ?", [zone[0]])
    return cursor


ROLLBACK_ATTEMPTS = 50


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """End the open transaction, if any, undoing its work; never raises a DuckDB error.

    Cancel interrupts a running statement from another thread (``con.interrupt()``), and the
    app keeps interrupting until the cancelled job ends, so the interrupt can land on this
    ROLLBACK too. An interrupted ROLLBACK may leave the transaction open and aborted: the
    tables it created stay visible and every later statement on the connection fails. So an
    interrupted ROLLBACK is run again; "no transaction is active" means it is done.
    """
    import duckdb

    for _ in range(ROLLBACK_ATTEMPTS):
        try:
            con.execute("ROLLBACK")
        except duckdb.InterruptException:
            continue
        except duckdb.Error:
            return  # no transaction is active (the interrupted ROLLBACK ended it after all)
        return
