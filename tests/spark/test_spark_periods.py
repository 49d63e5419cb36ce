"""Text period labels on Spark: the same form, the same period keys and the same refusals as DuckDB.

Every column below is read by both engines from the same Parquet file: DuckDB's
:func:`~roistudio.core.data.periods.inspect_time_column` and ``TimeColumn.key_sql`` against
:mod:`roistudio.core.engine.spark_periods`, row by row.
"""

from __future__ import annotations

import duckdb
import pytest

from roistudio.core.data.periods import inspect_time_column
from roistudio.core.engine.spark_periods import inspect_time_column_spark, period_key_spark
from roistudio.core.engine.spark_source import q, spark_columns
from roistudio.core.errors import MappingError

# Each column holds one form, with its spelling variants, blanks and NULLs.
COLUMNS = {
    "month_name": ["may", " June ", "SEPT", "january", "dec", "", None, "Feb", "oct"],
    "year_month": ["2026-05", "2026/5", "2025-12", "2026-01", None, "1999-09", " 2026-1 ", "2024/02", ""],
    "quarter": ["2026-Q1", "2026q4", "Q2 2025", "q3-2026", "2026 Q2", None, "Q1-1999", "2025-Q4", " "],
    "iso_week": ["2026-W01", "2026W53", "2025-W01", "2020-W53", "2024-w52", None, "2021-W01", "2015-W53", ""],
    "fiscal_year": ["FY2026", "fy26", "FY-2025", "FY 99", None, "fy2030", "FY26", "", "FY-07"],
    "fiscal_quarter": [
        "FY2026 Q2",
        "fy26-q1",
        "FY26Q4",
        "Q2 FY26",
        "q3 fy-2025",
        None,
        "FY07 Q1",
        "",
        "Q1-FY2026",
    ],
    "not_a_period": ["2026-Q1", "2026-Q2", "soon", "2026-Q3", None, "2026-Q4", "2026-Q1", "", "2026-Q2"],
    "bad_week": [
        "2025-W53",
        "2025-W01",
        "2025-W02",
        None,
        "2025-W03",
        "2025-W04",
        "2025-W05",
        "",
        "2025-W06",
    ],
    "words": ["later", "soon", "now", None, "later", "soon", "now", "", "never"],
}
YEARS = {"month_name": [None, 2026]}


@pytest.fixture(scope="module")
def labels(spark, tmp_path_factory):
    path = tmp_path_factory.mktemp("periods") / "labels.parquet"
    con = duckdb.connect()
    n = len(next(iter(COLUMNS.values())))
    rows = ", ".join(
        "("
        + ", ".join(["NULL" if v[i] is None else "'" + v[i] + "'" for v in COLUMNS.values()] + [str(i)])
        + ")"
        for i in range(n)
    )
    names = ", ".join([*COLUMNS, "row_no"])
    con.execute(f"COPY (SELECT * FROM (VALUES {rows}) AS t({names})) TO '{path}' (FORMAT parquet)")
    con.execute(f"CREATE VIEW labels AS SELECT * FROM read_parquet('{path}')")
    spark.read.parquet(str(path)).createOrReplaceTempView("labels")
    return con


def _duck(con, column, **kwargs):
    return inspect_time_column(con, "labels", column, "VARCHAR", **kwargs)


def _spark(spark, column, **kwargs):
    return inspect_time_column_spark(
        spark, "labels", column, spark_columns(spark, "labels")[column], **kwargs
    )


CASES = [
    (column, year)
    for column in ("month_name", "year_month", "quarter", "iso_week", "fiscal_year", "fiscal_quarter")
    for year in YEARS.get(column, [None])
]


@pytest.mark.parametrize(("column", "year"), CASES)
def test_the_period_keys_are_duckdbs(labels, spark, column, year):
    duck_time = _duck(labels, column, year=year)
    spark_time = _spark(spark, column, year=year)
    assert spark_time == duck_time and spark_time.form.name == column
    for period in {"week", "month", "quarter", "year"} - set(duck_time.periods):
        with pytest.raises(MappingError) as duck_error:
            duck_time.key_sql(period)
        with pytest.raises(MappingError) as spark_error:
            period_key_spark(spark_time, period)
        assert str(spark_error.value) == str(duck_error.value)
    # Every period the column allows, in one query per engine (a Spark query costs seconds here).
    periods = duck_time.periods
    duck_sql = ", ".join(duck_time.key_sql(p) for p in periods)
    duck_keys = [list(r) for r in labels.execute(f"SELECT {duck_sql} FROM labels ORDER BY row_no").fetchall()]
    spark_parts, params = [], {}
    for p in periods:
        sql, bound = period_key_spark(spark_time, p)
        spark_parts.append(sql)
        params.update(bound)
    rows = spark.sql(f"SELECT {', '.join(spark_parts)} FROM labels ORDER BY row_no", args=params).collect()
    assert [list(r) for r in rows] == duck_keys
    for i, period in enumerate(periods):
        keys = {row[i] for row in duck_keys} - {"(missing)"}
        # A real mix of periods, not all missing (month names of one year are one year).
        assert len(keys) >= (1 if period == "year" and column == "month_name" else 2), (period, keys)


@pytest.mark.parametrize(
    ("column", "kwargs"),
    [
        ("not_a_period", {}),
        ("bad_week", {}),  # 2025 has no ISO week 53
        ("words", {}),
        ("quarter", {"year": 2026}),  # a year is only asked for month names
        ("quarter", {"zone": "Europe/Paris"}),
        ("month_name", {"year": 99}),
        ("row_no", {}),
    ],
)
def test_a_column_that_is_not_a_period_is_refused_with_duckdbs_line(labels, spark, column, kwargs):
    kind = dict(labels.execute("SELECT column_name, column_type FROM (DESCRIBE labels)").fetchall())[column]
    with pytest.raises(MappingError) as duck_error:
        inspect_time_column(labels, "labels", column, kind, **kwargs)
    with pytest.raises(MappingError) as spark_error:
        inspect_time_column_spark(spark, "labels", column, spark_columns(spark, "labels")[column], **kwargs)
    assert str(spark_error.value) == str(duck_error.value)


def test_the_patterns_are_bound_not_written_into_the_sql(spark):
    from roistudio.core.data.periods import TEXT_FORMS, TimeColumn

    sql, params = period_key_spark(TimeColumn("it's", TEXT_FORMS[3]), "week")
    assert "\\d" not in sql and any("\\d" in str(p) for p in params.values())
    assert q("it's") in sql
