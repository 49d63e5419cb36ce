"""Time columns: which columns can break an analysis down by period, and the SQL of a period key.

This module is the one place that knows what a "period" is. Mapping validation, the sweep's
period keys, the CLI and the GUI all ask it.

Accepted time columns
---------------------
A DATE or TIMESTAMP column (any precision) is bucketed with ``date_trunc``. A TIMESTAMP WITH TIME
ZONE column is bucketed in the data's own zone when it is recoverable (a Parquet file's Arrow schema
names it, see :mod:`roistudio.core.data.time_zones`; or the analyst gives it, ``ColumnMapping.time_zone``),
else in UTC: DuckDB keeps only the instant, not the offset each CSV value was written with. Never
in the machine's zone. Naive timestamps are bucketed as written.

A text column is a time column when every non-blank value (trimmed, case-insensitive) has one of
these forms, the same form for the whole column:

=====================  ===========================================  ====================
form                   values                                       periods allowed
=====================  ===========================================  ====================
month names            ``jan`` ... ``dec``, ``january`` ...          month, quarter
                       ``december``, ``sept`` (English, no year)     (+ year with a year)
year-month             ``2026-05``, ``2026/05``, ``2026-5``          month, quarter, year
quarters               ``2026-Q1``, ``2026Q1``, ``2026 Q1``,         quarter, year
                       ``Q1 2026``, ``Q1-2026``
ISO weeks              ``2026-W05``, ``2026W05``                     week
fiscal years           ``FY2026``, ``FY26``, ``FY-2026``             year
fiscal quarters        ``FY2026 Q2``, ``FY26-Q2``, ``FY26Q2``,       quarter, year
                       ``Q2 FY26``
=====================  ===========================================  ====================

Month names carry no year. The analyst may give one (``ColumnMapping.time_year``, ``--time-year``):
the months are then dates of that year. Without it they are treated as one calendar year in month
order; period keys are then ``Jan`` ... ``Dec`` (``Q1`` ... ``Q4``) and every output says "year not
given". A two-digit fiscal year ``FY26`` means ``FY2026``. Fiscal periods keep their own names
(``FY2026 Q2``): the month a fiscal year starts in is not in the data, so they are never turned into
calendar dates. ISO weeks are keyed by their Monday.

Period keys are the period's first day as ISO text (``2026-04-01``) whenever the period is a
calendar period with a year, so they sort, and read in Excel, as dates; :mod:`roistudio.core.data.period_order`
orders every kind of key in calendar order, with ``(missing)`` last.

Everything here is compiled to SQL from constants this module owns (patterns, month names, the
period units); data values are only ever compared against them, never spliced into SQL text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from roistudio.core.column_types import base_type, column_kind, is_temporal_type
from roistudio.core.data.profile import MISSING_KEY
from roistudio.core.data.time_zones import check_time_zone
from roistudio.core.errors import MappingError
from roistudio.core.glossary import PERIODS
from roistudio.core.sql import quote_ident, quote_literal, relation_kind

YEAR_NOT_GIVEN = "year not given"
_MIN_YEAR, _MAX_YEAR = 1000, 9999

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FULL_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
# Every accepted spelling (lower case) -> month number.
MONTH_SPELLINGS: dict[str, int] = {
    **{name.lower(): i + 1 for i, name in enumerate(MONTH_NAMES)},
    **{name: i + 1 for i, name in enumerate(_FULL_MONTHS)},
    "sept": 9,
}

# Regular expressions over lower(trim(value)); named groups say which part is which. Each
# alternative of a form is listed separately so the SQL can pick the groups out by index.
_YEAR_MONTH = (r"^(\d{4})[-/](0?[1-9]|1[0-2])$",)
_QUARTER = (r"^(\d{4}) ?-? ?q([1-4])$", r"^q([1-4]) ?-? ?(\d{4})$")
_ISO_WEEK = (r"^(\d{4})-?w(0[1-9]|[1-4]\d|5[0-3])$",)
_FISCAL_YEAR = (r"^fy ?-? ?(\d{4}|\d{2})$",)
_FISCAL_QUARTER = (r"^fy ?-? ?(\d{4}|\d{2}) ?-? ?q([1-4])$", r"^q([1-4]) ?-? ?fy ?-? ?(\d{4}|\d{2})$")


@dataclass(frozen=True)
class PeriodForm:
    """One kind of time column: what its values look like and which periods it allows."""

    name: str  # "date", "timestamp_tz", "month_name", "year_month", "quarter", "iso_week", "fiscal_year", "fiscal_quarter"
    description: str  # plural noun for messages: "month names"
    periods: tuple[str, ...]
    example: str = ""

    @property
    def is_text(self) -> bool:
        return self.name not in ("date", "timestamp_tz")


DATE_FORM = PeriodForm("date", "dates", PERIODS, "2026-05-31")
TIMESTAMP_TZ_FORM = PeriodForm("timestamp_tz", "time-zone-aware timestamps", PERIODS, "2026-05-31 10:00+02")
TEXT_FORMS = (
    PeriodForm("month_name", "month names", ("month", "quarter"), "may"),
    PeriodForm("year_month", "year-month labels", ("month", "quarter", "year"), "2026-05"),
    PeriodForm("quarter", "quarter labels", ("quarter", "year"), "2026-Q1"),
    PeriodForm("iso_week", "ISO week labels", ("week",), "2026-W05"),
    PeriodForm("fiscal_year", "fiscal-year labels", ("year",), "FY2026"),
    PeriodForm("fiscal_quarter", "fiscal-quarter labels", ("quarter", "year"), "FY2026 Q2"),
)
_FORMS = {f.name: f for f in (DATE_FORM, TIMESTAMP_TZ_FORM, *TEXT_FORMS)}


@dataclass(frozen=True)
class TimeColumn:
    """A column accepted as the time column, and how its values become periods.

    Attributes
    ----------
    column
        The column name.
    form
        Its :class:`PeriodForm`.
    year
        For month names: the year the analyst gave, or ``None`` (one calendar year, "year not
        given").
    zone
        For zone-aware timestamps: the zone periods are formed in (a name DuckDB knows, checked by
        :func:`check_time_zone`); ``UTC`` unless the data's own zone is known.
    """

    column: str
    form: PeriodForm
    year: int | None = None
    zone: str = "UTC"  # zone-aware timestamps only: the IANA zone periods are formed in

    @property
    def periods(self) -> tuple[str, ...]:
        """The periods this column can be broken down by."""
        if self.form.name == "month_name" and self.year is not None:
            return ("month", "quarter", "year")
        return self.form.periods

    @property
    def year_given(self) -> bool:
        """False only for month names without a year."""
        return not (self.form.name == "month_name" and self.year is None)

    @property
    def time_zone(self) -> str | None:
        """The zone periods are bucketed in (zone-aware timestamps), else ``None``."""
        return self.zone if self.form.name == "timestamp_tz" else None

    def describe(self) -> str:
        """How periods are formed, in a few words, for reports and tooltips."""
        if self.form.name == "timestamp_tz":
            return f"time-zone-aware timestamps, bucketed in {self.zone}"
        if self.form.name == "date":
            return "dates and times as recorded (no time zone)"
        if self.form.name == "month_name":
            if self.year is None:
                return f"month names, {YEAR_NOT_GIVEN}: treated as one calendar year in month order"
            return f"month names of the year {self.year} (year given by the analyst)"
        text = f"{self.form.description} (e.g. {self.form.example})"
        if self.form.name.startswith("fiscal"):
            text += ", in fiscal order; fiscal periods are not mapped to calendar months"
        return text

    def to_dict(self) -> dict[str, Any]:
        """How periods are formed, for the JSON result (the ``periods`` block)."""
        return {
            "time_column": self.column,
            "form": self.form.name,
            "year": self.year,
            "year_given": self.year_given,
            "time_zone": self.time_zone,
            "note": self.describe(),
        }

    def check_period(self, period: str) -> None:
        """Raise :class:`MappingError` (one line) when ``period`` cannot be formed from this column."""
        if period not in PERIODS:
            raise MappingError(f"unknown period '{period}'; use {', '.join(PERIODS)}")
        if period not in self.periods:
            allowed = " or ".join(self.periods)
            hint = "; give the year of the month names to allow year" if (
                self.form.name == "month_name" and period == "year"
            ) else ""  # fmt: skip
            raise MappingError(
                f"time column '{self.column}' holds {self.form.description}, which allow a breakdown "
                f"by {allowed}, not by {period}{hint}"
            )

    def key_sql(self, period: str) -> str:
        """SQL for the period key of each row (``(missing)`` when the value is missing).

        Only constants of this module and the quoted column name go into the SQL text.
        """
        self.check_period(period)
        col = quote_ident(self.column)
        if self.form.name == "timestamp_tz":
            # timezone(zone, x) is the plain local TIMESTAMP in that zone, whatever the session's
            # TimeZone. The zone is one of DuckDB's own names (check_time_zone), not user text.
            start = f"timezone({quote_literal(self.zone)}, {col})"
        elif self.form.name == "date":
            start = col
        elif self.form.name == "month_name" and self.year is None:
            return f"coalesce({_month_name_key_sql(_text(col), period)}, '{MISSING_KEY}')"
        elif self.form.name in ("fiscal_year", "fiscal_quarter"):
            return f"coalesce({_fiscal_key_sql(_text(col), self.form.name, period)}, '{MISSING_KEY}')"
        else:
            start = _start_date_sql(_text(col), self.form.name, self.year)
        return f"coalesce(CAST(CAST(date_trunc('{period}', {start}) AS DATE) AS VARCHAR), '{MISSING_KEY}')"


def _text(col_sql: str) -> str:
    return f"lower(trim(CAST({col_sql} AS VARCHAR)))"


def _case_month(t: str) -> str:
    """CASE over every accepted month spelling -> month number (NULL for anything else)."""
    whens = " ".join(f"WHEN {quote_literal(s)} THEN {m}" for s, m in MONTH_SPELLINGS.items())
    return f"(CASE {t} {whens} END)"


def _group_sql(t: str, patterns: tuple[str, ...], groups: tuple[int, ...]) -> str:
    """The first non-empty capture among ``patterns`` (group ``groups[i]`` of pattern ``i``), as INTEGER."""
    parts = [
        f"nullif(regexp_extract({t}, {quote_literal(p)}, {g}), '')"
        for p, g in zip(patterns, groups, strict=True)
    ]
    return f"TRY_CAST(coalesce({', '.join(parts)}) AS INTEGER)"


def _matches_sql(t: str, patterns: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"regexp_matches({t}, {quote_literal(p)})" for p in patterns) + ")"


def _iso_week_monday_sql(year: str, week: str) -> str:
    # ISO week 1 is the week with January 4th in it; its Monday is Jan 4 minus (ISO weekday - 1).
    jan4 = f"make_date({year}, 1, 4)"
    return f"({jan4} - CAST(isodow({jan4}) - 1 AS INTEGER) + CAST(({week} - 1) * 7 AS INTEGER))"


def _start_date_sql(t: str, form: str, year: int | None) -> str:
    """SQL DATE of the first day of the labelled period (NULL when the text does not match)."""
    if form == "month_name":
        assert year is not None  # a month-name column without a year has no calendar date
        return f"make_date({int(year)}, {_case_month(t)}, 1)"  # year is an int we validated
    if form == "year_month":
        y, m = _group_sql(t, _YEAR_MONTH, (1,)), _group_sql(t, _YEAR_MONTH, (2,))
        return f"make_date({y}, {m}, 1)"
    if form == "quarter":
        y, q = _group_sql(t, _QUARTER, (1, 2)), _group_sql(t, _QUARTER, (2, 1))
        return f"make_date({y}, 3 * {q} - 2, 1)"
    if form == "iso_week":
        y, w = _group_sql(t, _ISO_WEEK, (1,)), _group_sql(t, _ISO_WEEK, (2,))
        return _iso_week_monday_sql(y, w)
    raise ValueError(f"no start date for {form}")


def _fiscal_year_sql(t: str, form: str) -> str:
    patterns, groups = (_FISCAL_YEAR, (1,)) if form == "fiscal_year" else (_FISCAL_QUARTER, (1, 2))
    y = _group_sql(t, patterns, groups)
    return f"(CASE WHEN {y} < 100 THEN 2000 + {y} ELSE {y} END)"  # FY26 means FY2026


def _fiscal_key_sql(t: str, form: str, period: str) -> str:
    year = f"'FY' || CAST({_fiscal_year_sql(t, form)} AS VARCHAR)"
    if period == "year":
        return f"({year})"
    q = _group_sql(t, _FISCAL_QUARTER, (2, 1))
    return f"({year} || ' Q' || CAST({q} AS VARCHAR))"


def _month_name_key_sql(t: str, period: str) -> str:
    month = _case_month(t)
    if period == "month":
        names = " ".join(f"WHEN {i + 1} THEN {quote_literal(n)}" for i, n in enumerate(MONTH_NAMES))
        return f"(CASE {month} {names} END)"
    return f"('Q' || CAST(({month} + 2) // 3 AS VARCHAR))"


def _form_match_sql(t: str, form: str) -> str:
    """SQL condition true when the text ``t`` is a valid value of ``form``."""
    if form == "month_name":
        return f"({_case_month(t)} IS NOT NULL)"
    if form == "year_month":
        return _matches_sql(t, _YEAR_MONTH)
    if form == "quarter":
        return _matches_sql(t, _QUARTER)
    if form == "iso_week":
        # Week 53 exists only in some years: the Monday must fall in that ISO year and week.
        y, w = _group_sql(t, _ISO_WEEK, (1,)), _group_sql(t, _ISO_WEEK, (2,))
        monday = _iso_week_monday_sql(y, w)
        return f"({_matches_sql(t, _ISO_WEEK)} AND coalesce(isoyear({monday}) = {y} AND week({monday}) = {w}, FALSE))"
    if form == "fiscal_year":
        return _matches_sql(t, _FISCAL_YEAR)
    if form == "fiscal_quarter":
        return _matches_sql(t, _FISCAL_QUARTER)
    raise ValueError(form)


def _missing_sql(col: str) -> str:
    return f"({col} IS NULL OR trim(CAST({col} AS VARCHAR)) = '')"


def check_year(year: object) -> int | None:
    """Validate the year given for month names (``None`` = not given)."""
    if year is None:
        return None
    if isinstance(year, bool) or not isinstance(year, int) or not _MIN_YEAR <= year <= _MAX_YEAR:
        raise MappingError(f"the year of the month names must be a year such as 2026, got '{year}'")
    return year


def temporal_time_column(
    column: str, duck_type: str, zone: str | None, check_zone: Callable[[str], str]
) -> TimeColumn | None:
    """The checks of a time column that need only its type, shared by every engine.

    Parameters
    ----------
    column, duck_type
        The column and its DuckDB type.
    zone
        The zone asked for, if any (only zone-aware timestamps take one).
    check_zone
        The one rule for zone names; returns the zone as it is stored.

    Returns
    -------
    TimeColumn or None
        The time column of a date or timestamp column; ``None`` for text, whose values must then
        be read as period labels.

    Raises
    ------
    MappingError
        A zone on a column that is not zone-aware, or a column that is neither temporal nor text.
    """
    if is_temporal_type(duck_type):
        if base_type(duck_type) == "TIMESTAMPTZ":
            return TimeColumn(column, TIMESTAMP_TZ_FORM, zone=check_zone(zone) if zone else "UTC")
        if zone:
            raise MappingError(
                f"a time zone applies to time-zone-aware timestamps; time column '{column}' is {duck_type}"
            )
        return TimeColumn(column, DATE_FORM)
    if zone:
        raise MappingError(
            f"a time zone applies to time-zone-aware timestamps; time column '{column}' is {duck_type}"
        )
    if not column_kind(duck_type) == "str":
        raise MappingError(
            f"time column '{column}' is {duck_type}, not a date, a timestamp or text holding period labels"
        )
    return None


def inspect_time_column(
    con: duckdb.DuckDBPyConnection,
    table: str,
    column: str,
    duck_type: str,
    *,
    year: int | None = None,
    zone: str | None = None,
    where_sql: str = "TRUE",
    params: Mapping[str, object] | None = None,
) -> TimeColumn:
    """Decide whether ``column`` can be the time column, and how its values become periods.

    Parameters
    ----------
    con, table
        Where the data is.
    column, duck_type
        The column and its DuckDB type.
    year
        For month names without a year: the year the analyst gave, if any.
    zone
        For zone-aware timestamps: the zone to form periods in (default UTC).
    where_sql, params
        Row filter; only the rows analysed need readable periods.

    Returns
    -------
    TimeColumn

    Raises
    ------
    MappingError
        One line saying why the column cannot be a time column, naming the first unreadable value
        and its data row (1-based, header not counted) when the table has row order.
    """
    year = check_year(year)
    temporal = temporal_time_column(column, duck_type, zone, lambda z: check_time_zone(con, z))
    if temporal is not None:
        return temporal
    col = quote_ident(column)
    t = _text(col)
    src = f"(SELECT * FROM {quote_ident(table)} WHERE {where_sql})"
    counts = ", ".join(f"count(*) FILTER (WHERE {_form_match_sql('t', f.name)})" for f in TEXT_FORMS)
    row = con.execute(
        f"WITH v AS (SELECT DISTINCT {t} AS t FROM {src} WHERE NOT {_missing_sql(col)}) "
        f"SELECT count(*), {counts} FROM v",
        dict(params or {}),
    ).fetchone()
    assert row is not None  # an aggregate without GROUP BY returns one row
    total, matched = int(row[0]), [int(n) for n in row[1:]]
    if total == 0:
        raise MappingError(f"time column '{column}' has no values")
    for form, n in zip(TEXT_FORMS, matched, strict=True):
        if n == total:
            if form.name != "month_name" and year is not None:
                raise MappingError(
                    f"a year is only asked for month names; time column '{column}' holds {form.description}"
                )
            return TimeColumn(column, form, year if form.name == "month_name" else None)
    best = max(range(len(TEXT_FORMS)), key=lambda i: matched[i])
    guess = TEXT_FORMS[best] if matched[best] else None
    bad = _first_unreadable(con, table, col, t, guess, where_sql, params)
    what = (
        f"holds {guess.description} but also other text"
        if guess is not None
        else "holds text that is not a date or a period label"
    )
    where = ""
    if bad is not None:
        value, row_number = bad
        shown = value if len(value) <= 40 else value[:39] + "…"
        on_row = f" on data row {row_number:,}" if row_number is not None else ""
        where = f" (first unreadable value '{shown}'{on_row})"
    raise MappingError(f"time column '{column}' {what}{where}")


def _first_unreadable(
    con: duckdb.DuckDBPyConnection,
    table: str,
    col: str,
    t: str,
    form: PeriodForm | None,
    where_sql: str,
    params: Mapping[str, object] | None,
) -> tuple[str, int | None] | None:
    """The first non-blank value that is not of ``form`` (any form when None), and its data row."""
    readable = _form_match_sql(t, form.name) if form is not None else "FALSE"
    cond = f"NOT {_missing_sql(col)} AND NOT coalesce({readable}, FALSE) AND ({where_sql})"
    if relation_kind(con, table) == "BASE TABLE":
        # rowid follows the file's row order for an imported table.
        found = con.execute(
            f"SELECT CAST({col} AS VARCHAR), rowid FROM {quote_ident(table)} WHERE {cond} ORDER BY rowid LIMIT 1",
            dict(params or {}),
        ).fetchone()
        return None if found is None else (str(found[0]).strip(), int(found[1]) + 1)
    found = con.execute(
        f"SELECT CAST({col} AS VARCHAR) FROM {quote_ident(table)} WHERE {cond} LIMIT 1", dict(params or {})
    ).fetchone()
    return None if found is None else (str(found[0]).strip(), None)


def time_column_candidates(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Mapping[str, str],
    distinct: Mapping[str, int] | None = None,
    *,
    max_distinct: int = 10_000,
) -> tuple[dict[str, TimeColumn], dict[str, str]]:
    """Every column that can be the time column, and why each text column cannot.

    Numeric columns are not candidates (and not listed as rejected). Text columns with more than
    ``max_distinct`` distinct values (approximate counts in ``distinct``) are rejected without a
    scan: period labels are few (10,000 weeks are two centuries).

    Returns
    -------
    accepted, rejected
        Column -> :class:`TimeColumn`; column -> the one-line reason it cannot be a time column.
    """
    accepted: dict[str, TimeColumn] = {}
    rejected: dict[str, str] = {}
    for name, duck_type in columns.items():
        if not (is_temporal_type(duck_type) or column_kind(duck_type) == "str"):
            continue
        n = (distinct or {}).get(name)
        if n is not None and n > max_distinct and not is_temporal_type(duck_type):
            rejected[name] = (
                f"time column '{name}' holds about {n:,} distinct text values, too many for period labels"
            )
            continue
        try:
            accepted[name] = inspect_time_column(con, table, name, duck_type)
        except MappingError as exc:
            rejected[name] = str(exc)
    return accepted, rejected


def form_named(name: str) -> PeriodForm:
    """The :class:`PeriodForm` called ``name``."""
    return _FORMS[name]
