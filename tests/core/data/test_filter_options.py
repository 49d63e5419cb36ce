"""What the filter bar offers: segment values (as the sweep keys them) and the date range."""

from __future__ import annotations

import duckdb

from roistudio.core.data.filter_options import FilterOptions, filter_options
from roistudio.core.data.mapping import ColumnMapping


def test_segment_values_sorted_and_limited_and_the_date_range():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES (0.1, 1, 'web', TIMESTAMP '2026-03-04 10:00'), "
        "(0.2, 0, 'store', TIMESTAMP '2026-01-02 08:00'), (0.3, 0, NULL, TIMESTAMP '2026-05-06 23:59'), "
        "(0.4, 1, 'app', NULL)) v(score, label, channel, happened)"
    )
    mapping = ColumnMapping("score", "label", segments=("channel",), timestamp="happened")
    options = filter_options(con, mapping, "t")
    # NULL is its own segment key, written as the sweep writes it.
    from roistudio.core.data.profile import segment_key_sql

    keys = sorted(
        str(r[0]) for r in con.execute(f"SELECT DISTINCT {segment_key_sql('channel')} FROM t").fetchall()
    )
    assert options == FilterOptions({"channel": keys}, "2026-01-02", "2026-05-06")
    assert filter_options(con, mapping, "t", limit=2).segments["channel"] == keys[:2]


def test_no_time_column_no_dates():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 0.5 AS score, 1 AS label")
    assert filter_options(con, ColumnMapping("score", "label"), "t") == FilterOptions()
