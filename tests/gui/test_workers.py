"""The database worker hands the next job a usable connection, whatever the last one left."""

from __future__ import annotations

import pytest

from roistudio.core.errors import Cancelled


@pytest.mark.parametrize("ending", ["cancelled", "error", "aborted"])
def test_a_transaction_a_failed_job_left_open_is_rolled_back_before_the_next_job(qtbot, worker, ending):
    def leaves_a_transaction(con, _progress):
        con.execute("BEGIN TRANSACTION")
        con.execute("CREATE TABLE half_done AS SELECT 1 AS x")
        if ending == "aborted":  # as after an interrupted ROLLBACK: every later statement fails
            con.execute("SELECT * FROM no_such_table")
        raise Cancelled() if ending == "cancelled" else RuntimeError("the job failed")

    outcome: list[str] = []
    worker.submit(
        leaves_a_transaction,
        on_done=lambda _r: outcome.append("done"),
        on_error=lambda _e: outcome.append("error"),
        on_cancel=lambda: outcome.append("cancelled"),
    )
    tables: list[list[tuple]] = []
    worker.submit(
        lambda con, _p: con.execute("SELECT table_name FROM information_schema.tables").fetchall(),
        on_done=tables.append,
        on_error=lambda e: tables.append([("failed", str(e))]),
    )
    qtbot.waitUntil(lambda: bool(tables), timeout=10_000)
    assert outcome == ["cancelled" if ending == "cancelled" else "error"]
    assert tables == [[]]
