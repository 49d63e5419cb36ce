r"""Time columns on Spark: which form a column has, and the Spark SQL of its period keys.

The rules are :mod:`roistudio.core.data.periods`' (the forms, their patterns, month spellings and
the periods each allows); this module only spells them in Spark SQL, and the tests compare the
keys with DuckDB's on the same values. Where the two SQL dialects differ:

- the regular expressions are bound as parameters (``:pp_0``...), never written into the SQL
  text, so Spark's string-literal escaping cannot change them; Java's regex syntax reads them as
  RE2 does (they use only ``^ $ ( ) [ ] ? | \d {n}``);
- ``regexp_matches`` is ``RLIKE`` (both find a match anywhere; the patterns are anchored);
- ``isodow(d) - 1`` is ``weekday(d)``; ``isoyear``/``week`` are ``extract(YEAROFWEEK ...)`` and
  ``weekofyear`` (both ISO 8601); integer ``//`` is ``div``; ``TRY_CAST`` is ``try_cast``.

A value that is not of the column's form gives ``NULL`` (then the ``(missing)`` key), as on
DuckDB; the validation refuses such a column before any key is formed, with DuckDB's message.
Spark tables have no row order, so the first unreadable value is named without a row number (as
DuckDB does for a view).
"""

from __future__ import annotations

from collections.abc import Mapping

from roistudio.core.data.periods import (
    _FISCAL_QUARTER,
    _FISCAL_YEAR,
    _ISO_WEEK,
    _QUARTER,
    _YEAR_MONTH,
    MONTH_NAMES,
    MONTH_SPELLINGS,
    TEXT_FORMS,
    PeriodForm,
    TimeColumn,
    check_year,
    temporal_time_column,
)
from roistudio.core.data.profile import MISSING_KEY
from roistudio.core.engine.spark_source import Spark, _rows, q
from roistudio.core.errors import MappingError

__all__ = ["inspect_time_column_spark", "period_key_spark"]


class _Bound:
    """The regular expressions a query uses, as bound parameters (one name per distinct pattern)."""

    def __init__(self) -> None:
        self.params: dict[str, object] = {}
        self._names: dict[str, str] = {}

    def __call__(self, pattern: str) -> str:
        if pattern not in self._names:
            self._names[pattern] = name = f"pp_{len(self._names)}"
            self.params[name] = pattern
        return ":" + self._names[pattern]


def _text(col_sql: str) -> str:
    return f"lower(trim(CAST({col_sql} AS STRING)))"


def _word(text: str) -> str:
    # Month spellings and names are this module's constants: letters only, safe as literals.
    assert text.isalpha(), text
    return f"'{text}'"


def _case_month(t: str) -> str:
    whens = " ".join(f"WHEN {_word(s)} THEN {m}" for s, m in MONTH_SPELLINGS.items())
    return f"(CASE {t} {whens} END)"


def _group(b: _Bound, t: str, patterns: tuple[str, ...], groups: tuple[int, ...]) -> str:
    parts = [
        f"nullif(regexp_extract({t}, {b(p)}, {int(g)}), '')" for p, g in zip(patterns, groups, strict=True)
    ]
    return f"try_cast(coalesce({', '.join(parts)}) AS INT)"


def _matches(b: _Bound, t: str, patterns: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"({t} RLIKE {b(p)})" for p in patterns) + ")"


def _iso_week_monday(year: str, week: str) -> str:
    # ISO week 1 holds January 4th; its Monday is Jan 4 minus weekday (0 = Monday).
    jan4 = f"make_date({year}, 1, 4)"
    return f"date_add({jan4}, ({week} - 1) * 7 - weekday({jan4}))"


def _start_date(b: _Bound, t: str, form: str, year: int | None) -> str:
    if form == "month_name":
        assert year is not None
        return f"make_date({int(year)}, {_case_month(t)}, 1)"
    if form == "year_month":
        return f"make_date({_group(b, t, _YEAR_MONTH, (1,))}, {_group(b, t, _YEAR_MONTH, (2,))}, 1)"
    if form == "quarter":
        y, qn = _group(b, t, _QUARTER, (1, 2)), _group(b, t, _QUARTER, (2, 1))
        return f"make_date({y}, 3 * {qn} - 2, 1)"
    if form == "iso_week":
        return _iso_week_monday(_group(b, t, _ISO_WEEK, (1,)), _group(b, t, _ISO_WEEK, (2,)))
    raise ValueError(f"no start date for {form}")


def _fiscal_key(b: _Bound, t: str, form: str, period: str) -> str:
    patterns, groups = (_FISCAL_YEAR, (1,)) if form == "fiscal_year" else (_FISCAL_QUARTER, (1, 2))
    y = _group(b, t, patterns, groups)
    year = f"'FY' || CAST((CASE WHEN {y} < 100 THEN 2000 + {y} ELSE {y} END) AS STRING)"  # FY26 = FY2026
    if period == "year":
        return f"({year})"
    return f"({year} || ' Q' || CAST({_group(b, t, _FISCAL_QUARTER, (2, 1))} AS STRING))"


def _month_name_key(t: str, period: str) -> str:
    month = _case_month(t)
    if period == "month":
        names = " ".join(f"WHEN {i + 1} THEN {_word(n)}" for i, n in enumerate(MONTH_NAMES))
        return f"(CASE {month} {names} END)"
    return f"('Q' || CAST((({month} + 2) div 3) AS STRING))"


def period_key_spark(time: TimeColumn, period: str) -> tuple[str, dict[str, object]]:
    """Spark SQL of a row's period key, as :meth:`~roistudio.core.data.periods.TimeColumn.key_sql` on DuckDB.

    Returns
    -------
    sql, params
        The key expression and the parameters it binds (patterns, the time zone).
    """
    time.check_period(period)  # ``period`` is then one of the module's constants
    col = q(time.column)
    b = _Bound()
    form = time.form.name
    if form == "timestamp_tz":
        # from_utc_timestamp gives the wall-clock time in the zone (the session is in UTC).
        start = f"from_utc_timestamp({col}, :period_zone)"
        b.params["period_zone"] = time.zone
    elif form == "date":
        start = col
    elif form == "month_name" and time.year is None:
        return f"coalesce({_month_name_key(_text(col), period)}, '{MISSING_KEY}')", b.params
    elif form in ("fiscal_year", "fiscal_quarter"):
        return f"coalesce({_fiscal_key(b, _text(col), form, period)}, '{MISSING_KEY}')", b.params
    else:
        start = _start_date(b, _text(col), form, time.year)
    sql = f"coalesce(CAST(CAST(date_trunc('{period}', {start}) AS DATE) AS STRING), '{MISSING_KEY}')"
    return sql, b.params


def _form_match(b: _Bound, t: str, form: str) -> str:
    if form == "month_name":
        return f"({_case_month(t)} IS NOT NULL)"
    if form == "year_month":
        return _matches(b, t, _YEAR_MONTH)
    if form == "quarter":
        return _matches(b, t, _QUARTER)
    if form == "iso_week":
        # Week 53 exists only in some years: the Monday must fall in that ISO year and week.
        y, w = _group(b, t, _ISO_WEEK, (1,)), _group(b, t, _ISO_WEEK, (2,))
        monday = _iso_week_monday(y, w)
        same = f"extract(YEAROFWEEK FROM {monday}) = {y} AND weekofyear({monday}) = {w}"
        return f"({_matches(b, t, _ISO_WEEK)} AND coalesce({same}, FALSE))"
    if form == "fiscal_year":
        return _matches(b, t, _FISCAL_YEAR)
    if form == "fiscal_quarter":
        return _matches(b, t, _FISCAL_QUARTER)
    raise ValueError(form)


def _missing(col: str) -> str:
    return f"({col} IS NULL OR trim(CAST({col} AS STRING)) = '')"


def inspect_time_column_spark(
    spark: Spark,
    src: str,
    column: str,
    duck_type: str,
    *,
    year: int | None = None,
    zone: str | None = None,
    params: Mapping[str, object] | None = None,
) -> TimeColumn:
    """:func:`~roistudio.core.data.periods.inspect_time_column`, with the counting done by Spark.

    ``src`` is the (filtered) rows as a Spark SQL relation, ``params`` its parameters;
    ``duck_type`` the column's type as DuckDB names it (:func:`.spark_source.spark_columns`).
    The same checks in the same order, with the same one-line messages.
    """
    year = check_year(year)
    temporal = temporal_time_column(column, duck_type, zone, _zone)
    if temporal is not None:
        return temporal
    col = q(column)
    b = _Bound()
    counts = ", ".join(f"count_if({_form_match(b, 't', f.name)})" for f in TEXT_FORMS)
    row = _rows(
        spark,
        f"WITH v AS (SELECT DISTINCT {_text(col)} AS t FROM {src} WHERE NOT {_missing(col)}) "
        f"SELECT count(*), {counts} FROM v",
        {**dict(params or {}), **b.params},
    )[0]
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
    guess: PeriodForm | None = TEXT_FORMS[best] if matched[best] else None
    b = _Bound()
    readable = _form_match(b, _text(col), guess.name) if guess is not None else "FALSE"
    found = _rows(
        spark,
        f"SELECT CAST({col} AS STRING) FROM {src} WHERE NOT {_missing(col)} AND NOT coalesce({readable}, FALSE) "
        "LIMIT 1",
        {**dict(params or {}), **b.params},
    )
    what = (
        f"holds {guess.description} but also other text"
        if guess is not None
        else "holds text that is not a date or a period label"
    )
    where = ""
    if found:
        value = str(found[0][0]).strip()
        shown = value if len(value) <= 40 else value[:39] + "…"
        where = f" (first unreadable value '{shown}')"
    raise MappingError(f"time column '{column}' {what}{where}")


def _zone(zone: str) -> str:
    import duckdb

    from roistudio.core.data.time_zones import check_time_zone

    # The one rule for zone names (DuckDB's list of IANA zones, which Spark shares).
    return check_time_zone(duckdb.connect(), zone)
