"""Time columns: every accepted period-label form, the periods each allows, and the refusals.

Expected period keys are computed here with Python's ``datetime`` (``date.fromisocalendar`` for ISO
weeks, plain arithmetic for quarters), not with the SQL under test.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.data.mapping_proposal import propose_mapping
from roistudio.core.data.periods import (
    MISSING_KEY,
    PERIODS,
    TimeColumn,
    inspect_time_column,
    time_column_candidates,
)
from roistudio.core.data.validation import validate_mapping
from roistudio.core.errors import MappingError


def _table(values: list[object], column_type: str = "VARCHAR") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (x {column_type})")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    return con


def _keys(con, time: TimeColumn, period: str) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT {time.key_sql(period)} FROM t ORDER BY rowid").fetchall()]


def _first_day(day: dt.date, period: str) -> str:
    """The first day of ``day``'s period, the independent oracle for date keys."""
    if period == "month":
        day = day.replace(day=1)
    elif period == "quarter":
        day = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    elif period == "year":
        day = dt.date(day.year, 1, 1)
    elif period == "week":
        day = day - dt.timedelta(days=day.weekday())
    return day.isoformat()


# (values, form, the first day each value stands for)
DATED_FORMS = [
    (
        ["2026-05", "2026/05", "2026-5", " 2025/12 ", "2026-01"],
        "year_month",
        [
            dt.date(2026, 5, 1),
            dt.date(2026, 5, 1),
            dt.date(2026, 5, 1),
            dt.date(2025, 12, 1),
            dt.date(2026, 1, 1),
        ],
    ),
    (
        ["2026-Q1", "2026Q2", "2026 Q3", "Q4 2025", "q1-2027", "Q2-2026"],
        "quarter",
        [
            dt.date(2026, 1, 1),
            dt.date(2026, 4, 1),
            dt.date(2026, 7, 1),
            dt.date(2025, 10, 1),
            dt.date(2027, 1, 1),
            dt.date(2026, 4, 1),
        ],
    ),
    (
        ["2026-W05", "2026W01", "2020-W53", "2026-w53", "2025-W01"],
        "iso_week",
        [
            dt.date.fromisocalendar(2026, 5, 1),
            dt.date.fromisocalendar(2026, 1, 1),
            dt.date.fromisocalendar(2020, 53, 1),
            dt.date.fromisocalendar(2026, 53, 1),
            dt.date.fromisocalendar(2025, 1, 1),
        ],
    ),
]


@pytest.mark.parametrize(("values", "form", "days"), DATED_FORMS, ids=[f[1] for f in DATED_FORMS])
def test_labels_with_a_year_become_the_first_day_of_their_period(values, form, days):
    con = _table([*values, None, "  "])
    time = inspect_time_column(con, "t", "x", "VARCHAR")
    assert time.form.name == form
    assert time.year_given and time.time_zone is None
    for period in time.periods:
        assert _keys(con, time, period) == [_first_day(d, period) for d in days] + [MISSING_KEY] * 2


def test_month_names_without_a_year_are_one_calendar_year():
    values = ["may", "Jun", " JANUARY ", "sept", "September", "dec", "Feb", None, ""]
    con = _table(values)
    time = inspect_time_column(con, "t", "x", "VARCHAR")
    assert time.form.name == "month_name" and not time.year_given
    assert time.periods == ("month", "quarter")
    assert _keys(con, time, "month") == [
        "May",
        "Jun",
        "Jan",
        "Sep",
        "Sep",
        "Dec",
        "Feb",
        MISSING_KEY,
        MISSING_KEY,
    ]
    assert _keys(con, time, "quarter") == ["Q2", "Q2", "Q1", "Q3", "Q3", "Q4", "Q1", MISSING_KEY, MISSING_KEY]
    assert "year not given" in time.describe()
    assert time.to_dict()["year_given"] is False


def test_month_names_with_the_year_given_are_dates_of_that_year():
    con = _table(["may", "Dec", "feb"])
    time = inspect_time_column(con, "t", "x", "VARCHAR", year=2014)
    assert time.year_given and time.periods == ("month", "quarter", "year")
    assert _keys(con, time, "month") == ["2014-05-01", "2014-12-01", "2014-02-01"]
    assert _keys(con, time, "quarter") == ["2014-04-01", "2014-10-01", "2014-01-01"]
    assert _keys(con, time, "year") == ["2014-01-01"] * 3


def test_fiscal_labels_keep_their_own_names():
    con = _table(["FY2026", "fy26", "FY-2025", "FY 27"])
    time = inspect_time_column(con, "t", "x", "VARCHAR")
    assert time.form.name == "fiscal_year" and time.periods == ("year",)
    assert _keys(con, time, "year") == ["FY2026", "FY2026", "FY2025", "FY2027"]

    con = _table(["FY2026 Q2", "FY26-Q1", "fy26q4", "Q3 FY25", "q1-fy2027"])
    time = inspect_time_column(con, "t", "x", "VARCHAR")
    assert time.form.name == "fiscal_quarter" and time.periods == ("quarter", "year")
    assert _keys(con, time, "quarter") == ["FY2026 Q2", "FY2026 Q1", "FY2026 Q4", "FY2025 Q3", "FY2027 Q1"]
    assert _keys(con, time, "year") == ["FY2026", "FY2026", "FY2026", "FY2025", "FY2027"]


def test_dates_and_timestamps_allow_every_period():
    con = _table([dt.date(2026, 2, 14)], "DATE")
    time = inspect_time_column(con, "t", "x", "DATE")
    assert time.periods == PERIODS and time.time_zone is None
    assert {p: _keys(con, time, p)[0] for p in PERIODS} == {
        "day": "2026-02-14", "week": "2026-02-09", "month": "2026-02-01", "quarter": "2026-01-01", "year": "2026-01-01",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("values", "period", "message"),
    [
        (["may", "jun"], "week",
         "time column 'x' holds month names, which allow a breakdown by month or quarter, not by week"),
        (["may", "jun"], "year",
         "time column 'x' holds month names, which allow a breakdown by month or quarter, not by year; "
         "give the year of the month names to allow year"),
        (["2026-Q1"], "month",
         "time column 'x' holds quarter labels, which allow a breakdown by quarter or year, not by month"),
        (["2026-W05"], "month", "time column 'x' holds ISO week labels, which allow a breakdown by week, not by month"),
        (["FY2026"], "quarter",
         "time column 'x' holds fiscal-year labels, which allow a breakdown by year, not by quarter"),
        (["2026-05"], "day",
         "time column 'x' holds year-month labels, which allow a breakdown by month or quarter or year, not by day"),
        (["2026-05"], "fortnight", "unknown period 'fortnight'; use day, week, month, quarter, year"),
    ],
)  # fmt: skip
def test_a_period_the_labels_cannot_form_is_refused_in_one_line(values, period, message):
    time = inspect_time_column(_table(values), "t", "x", "VARCHAR")
    with pytest.raises(MappingError) as err:
        time.key_sql(period)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("values", "column_type", "message"),
    [
        (["web", "store", None, "abc"], "VARCHAR",
         "time column 'x' holds text that is not a date or a period label (first unreadable value 'web' on data row 1)"),
        (["may", "jun", "", "2026-05", "jul"], "VARCHAR",
         "time column 'x' holds month names but also other text (first unreadable value '2026-05' on data row 4)"),
        (["2026-W05", "2025-W53"], "VARCHAR",  # 2025 has 52 ISO weeks
         "time column 'x' holds ISO week labels but also other text (first unreadable value '2025-W53' on data row 2)"),
        (["2026-13"], "VARCHAR",
         "time column 'x' holds text that is not a date or a period label (first unreadable value '2026-13' on data row 1)"),
        ([None, " "], "VARCHAR", "time column 'x' has no values"),
        ([2026], "BIGINT", "time column 'x' is BIGINT, not a date, a timestamp or text holding period labels"),
    ],
)  # fmt: skip
def test_a_column_that_cannot_be_a_time_column_says_why(values, column_type, message):
    with pytest.raises(MappingError) as err:
        inspect_time_column(_table(values, column_type), "t", "x", column_type)
    assert str(err.value) == message


def test_a_year_is_refused_for_labels_that_have_one_and_when_it_is_not_a_year():
    with pytest.raises(MappingError) as err:
        inspect_time_column(_table(["2026-Q1"]), "t", "x", "VARCHAR", year=2026)
    assert str(err.value) == "a year is only asked for month names; time column 'x' holds quarter labels"
    with pytest.raises(MappingError) as err:
        inspect_time_column(_table(["may"]), "t", "x", "VARCHAR", year=26)
    assert str(err.value) == "the year of the month names must be a year such as 2026, got '26'"


def test_a_view_names_the_unreadable_value_without_a_row_number():
    con = _table(["may", "later"])
    con.execute("CREATE VIEW v AS SELECT * FROM t")
    with pytest.raises(MappingError) as err:
        inspect_time_column(con, "v", "x", "VARCHAR")
    assert (
        str(err.value)
        == "time column 'x' holds month names but also other text (first unreadable value 'later')"
    )


def test_candidates_and_the_proposal_use_period_labels():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES (0.2, 'yes', 'may', 'web', DATE '2026-01-02', 1), "
        "(0.7, 'no', 'jun', 'shop', DATE '2026-02-03', 2)) v(score, label, month, channel, day, n)"
    )
    columns = {r[0]: r[1] for r in con.execute("DESCRIBE t").fetchall()}
    accepted, rejected = time_column_candidates(con, "t", columns, {"label": 2, "month": 2, "channel": 2})
    assert list(accepted) == ["month", "day"]
    assert accepted["month"].form.name == "month_name" and accepted["day"].form.name == "date"
    assert rejected == {
        "label": "time column 'label' holds text that is not a date or a period label "
        "(first unreadable value 'yes' on data row 1)",
        "channel": "time column 'channel' holds text that is not a date or a period label "
        "(first unreadable value 'web' on data row 1)",
    }
    many = time_column_candidates(con, "t", {"channel": "VARCHAR"}, {"channel": 50_000})[1]
    assert many == {
        "channel": "time column 'channel' holds about 50,000 distinct text values, too many for period labels"
    }
    no_dates = {k: v for k, v in columns.items() if k != "day"}
    proposal = propose_mapping(no_dates, {"label": 2, "month": 2, "channel": 2, "score": 2}, ("month",))
    assert proposal.mapping is not None and proposal.mapping.timestamp == "month"
    assert "month" not in proposal.mapping.segments


def test_validation_reports_the_time_column_and_refuses_a_bad_one():
    con = _table(["may", "jun"])
    con.execute("ALTER TABLE t ADD COLUMN s DOUBLE DEFAULT 0.5")
    con.execute("ALTER TABLE t ADD COLUMN y INTEGER DEFAULT 1")
    report = validate_mapping(con, "t", ColumnMapping("s", "y", timestamp="x", time_year=2010))
    assert report.time == TimeColumn("x", report.time.form, 2010)
    with pytest.raises(MappingError, match=r"^time column 's' is DOUBLE, not a date"):
        validate_mapping(con, "t", ColumnMapping("s", "y", timestamp="s"))


def test_zone_aware_times_form_periods_in_the_zone_given(tmp_path):
    from zoneinfo import ZoneInfo

    from roistudio.core.data.time_zones import check_time_zone, data_time_zones

    utc = [dt.datetime(2026, 1, 31, 14, 30), dt.datetime(2026, 1, 31, 16, 0), dt.datetime(2026, 3, 31, 23, 0)]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/Los_Angeles'")  # the session's zone must not matter
    con.execute("CREATE TABLE t (x TIMESTAMPTZ)")
    con.executemany("INSERT INTO t VALUES (?)", [[d.replace(tzinfo=dt.UTC)] for d in utc])
    for zone in ("UTC", "Asia/Tokyo", "America/New_York"):
        time = inspect_time_column(
            con, "t", "x", "TIMESTAMP WITH TIME ZONE", zone=None if zone == "UTC" else zone
        )
        assert time.time_zone == zone and time.to_dict()["time_zone"] == zone
        local = [d.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone)).date() for d in utc]
        for period in ("day", "month"):
            assert _keys(con, time, period) == [_first_day(d, period) for d in local]
    assert check_time_zone(con, "asia/tokyo") == "Asia/Tokyo"
    with pytest.raises(MappingError) as err:
        check_time_zone(con, "Mars/Olympus")
    assert str(err.value) == "unknown time zone 'Mars/Olympus'; use a name such as Europe/Paris or UTC"
    with pytest.raises(MappingError) as err:
        inspect_time_column(_table([dt.date(2026, 1, 1)], "DATE"), "t", "x", "DATE", zone="UTC")
    assert str(err.value) == "a time zone applies to time-zone-aware timestamps; time column 'x' is DATE"

    import pandas as pd

    path = tmp_path / "tz.parquet"
    pd.DataFrame(
        {
            "tokyo": pd.to_datetime(["2026-01-31 23:30"]).tz_localize("Asia/Tokyo"),
            "offset": pd.to_datetime(["2026-01-31 23:30"]).tz_localize(dt.timezone(dt.timedelta(hours=9))),
            "naive": pd.to_datetime(["2026-01-31 23:30"]),
        }
    ).to_parquet(path)
    # A fixed offset has no name DuckDB knows: that column falls back to UTC.
    assert data_time_zones(con, str(path), "parquet") == {"tokyo": "Asia/Tokyo"}
    assert data_time_zones(con, str(path), "csv") == {}
