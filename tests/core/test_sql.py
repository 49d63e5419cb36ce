"""``core.sql``: a ROLLBACK that Cancel's interrupt lands on is run again; a cursor for another
thread keeps the connection's time zone."""

from __future__ import annotations

import duckdb
import pytest

from roistudio.core.sql import rollback, session_cursor


class _Connection:
    """Answers ROLLBACK with the given outcomes in turn (an exception class, or None for success)."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.statements: list[str] = []

    def execute(self, sql):
        self.statements.append(sql)
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome("boom")


def test_an_interrupted_rollback_is_run_again_until_it_ends_the_transaction():
    con = _Connection(duckdb.InterruptException, duckdb.InterruptException, None)
    rollback(con)
    assert con.statements == ["ROLLBACK"] * 3


def test_no_transaction_left_ends_the_retries_and_other_errors_are_not_raised():
    con = _Connection(duckdb.InterruptException, duckdb.TransactionException)
    rollback(con)
    assert con.statements == ["ROLLBACK"] * 2
    rollback(_Connection(duckdb.TransactionException))  # nothing open: nothing to do


@pytest.mark.parametrize("abort", [False, True])
def test_a_real_transaction_is_undone_even_when_aborted(abort):
    con = duckdb.connect()
    con.execute("BEGIN TRANSACTION")
    con.execute("CREATE TABLE data AS SELECT 1 AS x")
    if abort:
        with pytest.raises(duckdb.Error):
            con.execute("SELECT * FROM no_such_table")
    rollback(con)
    assert con.execute("SELECT count(*) FROM information_schema.tables").fetchone() == (0,)
    rollback(con)  # a second one finds no transaction and says nothing


def test_a_session_cursor_keeps_the_connections_time_zone():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Tokyo'")
    assert con.cursor().execute("SELECT current_setting('TimeZone')").fetchone()[0] != "Asia/Tokyo"
    cursor = session_cursor(con)
    assert cursor.execute("SELECT current_setting('TimeZone')").fetchone()[0] == "Asia/Tokyo"
    # The same database: a table made on the connection is there.
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    assert cursor.execute("SELECT x FROM t").fetchall() == [(1,)]
