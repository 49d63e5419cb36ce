"""A mapping checked against the data: every problem a user should know about before a sweep.

:func:`validate_mapping` runs one GROUP BY over the label (labels, row count, every score
column's summary in one pass) and :func:`judge_counts` turns the counts into a
:class:`ValidationReport`: blocking problems (no positive label, unusable scores unless
excluded) and warnings, each one line with counts. :func:`label_condition_sql` is the one
rule of a row's class (positive, negative, not yet known).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from roistudio.core.column_types import is_numeric_type
from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.data.periods import TimeColumn, check_year, inspect_time_column
from roistudio.core.errors import MappingError
from roistudio.core.sql import quote_ident

# Label vocabularies with an obvious positive; matched on lower-cased text.
TRUTHY = ("1", "true", "yes", "y", "t")
FALSY = ("0", "false", "no", "n", "f")


@dataclass(frozen=True)
class LabelSummary:
    """The label column's values and how the positive class was chosen."""

    column: str
    values: tuple[str, ...]  # distinct non-missing values as text, most frequent first
    positive_value: object  # the raw (typed) value that is the positive class
    positive_text: str
    positives: int
    negatives: int
    unlabeled: int
    duck_type: str = "VARCHAR"

    def condition_sql(self) -> tuple[str, dict[str, object]]:
        """SQL for the row's class under this label summary (see :func:`label_condition_sql`)."""
        return label_condition_sql(self.column, self.positive_value, self.duck_type)


@dataclass(frozen=True)
class ScoreSummary:
    """Counts of unusable score values in one score column."""

    column: str
    rows: int
    missing: int
    nan: int
    infinite: int
    below_zero: int
    above_one: int
    minimum: float | None
    maximum: float | None
    raw_scores: bool

    @property
    def bad(self) -> int:
        out_of_range = 0 if self.raw_scores else self.below_zero + self.above_one
        return self.missing + self.nan + self.infinite + out_of_range

    def describe_bad(self) -> str:
        parts = [
            (self.missing, "missing"),
            (self.nan, "NaN"),
            (self.infinite, "infinite"),
        ]
        if not self.raw_scores:
            parts += [(self.below_zero, "below 0"), (self.above_one, "above 1")]
        return ", ".join(f"{n:,} {what}" for n, what in parts if n)


@dataclass(frozen=True)
class ValidationReport:
    """What is wrong (or fine) with the data under a mapping; counts only, no rows."""

    rows: int
    label: LabelSummary
    scores: tuple[ScoreSummary, ...]
    models: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # block a sweep
    warnings: tuple[str, ...] = ()  # shown, do not block
    time: TimeColumn | None = None  # the time column and how it forms periods

    @property
    def excluded_scores(self) -> int:
        """Rows the worst score column cannot use: those left out with ``exclude_bad_scores``."""
        return max((s.bad for s in self.scores), default=0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "label": {
                "column": self.label.column,
                "values": list(self.label.values),
                "positive": self.label.positive_text,
                "positives": self.label.positives,
                "negatives": self.label.negatives,
                "unlabeled": self.label.unlabeled,
            },
            "scores": [
                {k: getattr(s, k) for k in ScoreSummary.__dataclass_fields__} | {"bad": s.bad}
                for s in self.scores
            ],
            "models": list(self.models),
            "problems": list(self.problems),
            "warnings": list(self.warnings),
        }

    def raise_for_problems(self) -> None:
        """Raise :class:`MappingError` with the first blocking problem."""
        if self.problems:
            raise MappingError(self.problems[0])


def _require_column(name: str | None, role: str, columns: Mapping[str, str]) -> None:
    if name is not None and name not in columns:
        import difflib

        close = difflib.get_close_matches(name, list(columns), n=1)
        hint = f", did you mean '{close[0]}'?" if close else f"; columns are: {', '.join(columns)}"
        raise MappingError(f"{role} column '{name}' not found{hint}")


def _value_text(value: object) -> str:
    """Canonical text of a label value: 1.0 -> '1', True -> 'true', ' Yes ' -> 'yes'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value).strip().lower()


def resolve_positive(values: Sequence[object], positive: str | None, column: str) -> object:
    """Pick which of the (at most two) distinct label values is the positive class.

    Values are compared as text, case-insensitively: ``--positive 1`` matches an integer 1,
    ``true`` a boolean true, ``yes`` the string ``'Yes'``. For obvious binary vocabularies
    (0/1, true/false, yes/no, y/n, t/f) the synonyms match each other too.
    """
    texts = [_value_text(v) for v in values]
    shown = ", ".join(repr(str(v)) for v in values)
    if positive is not None:
        want = positive.strip().lower()
        if want.replace(".", "", 1).isdigit() and float(want).is_integer():
            want = str(int(float(want)))
        for value, text in zip(values, texts, strict=True):
            if text == want:
                return value
        if want in TRUTHY and all(t in TRUTHY + FALSY for t in texts):
            hits = [v for v, t in zip(values, texts, strict=True) if t in TRUTHY]
            if len(hits) == 1:
                return hits[0]
        raise MappingError(
            f"positive value '{positive}' is not a value of label column '{column}' (values: {shown})"
        )
    if len(values) == 1:
        if texts[0] in TRUTHY or texts[0] in FALSY:
            return values[0] if texts[0] in TRUTHY else _NO_POSITIVE
        raise MappingError(
            f"label column '{column}' has a single value ({shown}); say which value is positive with --positive"
        )
    truthy = [v for v, t in zip(values, texts, strict=True) if t in TRUTHY]
    falsy = [v for v, t in zip(values, texts, strict=True) if t in FALSY]
    if len(truthy) == 1 and len(falsy) == 1:
        return truthy[0]
    raise MappingError(
        f"label column '{column}' has values {shown}; say which one is positive with --positive VALUE"
    )


class _NoPositive:
    """Marker: the label column holds only negatives (e.g. a month with no fraud)."""

    def __repr__(self) -> str:
        return "<no positive value present>"


_NO_POSITIVE = _NoPositive()


def label_values(con: duckdb.DuckDBPyConnection, source_sql: str, label: str) -> list[tuple[object, int]]:
    """Distinct non-missing label values and their counts, most frequent first (at most 11)."""
    col = quote_ident(label)
    missing = _missing_label_sql(col)
    rows = con.execute(
        f"SELECT {col} AS v, count(*) AS n FROM {source_sql} WHERE NOT ({missing}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 11"
    ).fetchall()
    return [(r[0], int(r[1])) for r in rows]


def _missing_label_sql(col_sql: str) -> str:
    # Empty or blank text and NULL both mean "not yet known".
    return f"({col_sql} IS NULL OR trim(CAST({col_sql} AS VARCHAR)) = '')"


def check_mapping_shape(mapping: ColumnMapping, columns: Mapping[str, str]) -> None:
    """The checks of a mapping that need only the column names and types, on every engine.

    Parameters
    ----------
    mapping
        The column mapping.
    columns
        The data's columns, name -> DuckDB type.

    Raises
    ------
    MappingError
        A mapped column missing or of the wrong kind, a bad year, or a year or zone without a time
        column.
    """
    check_columns(mapping, columns)
    check_year(mapping.time_year)
    if mapping.time_year is not None and not mapping.timestamp:
        raise MappingError("a year for month names needs a time column (--time COL)")
    if mapping.time_zone is not None and not mapping.timestamp:
        raise MappingError("a time zone needs a time column (--time COL)")


def check_mapping_columns(
    con: duckdb.DuckDBPyConnection,
    table: str,
    mapping: ColumnMapping,
    *,
    where_sql: str = "TRUE",
    params: Mapping[str, object] | None = None,
) -> tuple[dict[str, str], TimeColumn | None]:
    """The checks of :func:`validate_mapping` that need no count: columns, types, the time column.

    Returns the table's columns (name -> DuckDB type) and the time column, if mapped. Shared with
    the sweep that counts the validation itself (:mod:`roistudio.core.engine.one_pass`).
    """
    columns = table_columns(con, table)
    check_mapping_shape(mapping, columns)
    time = None
    if mapping.timestamp:
        time = inspect_time_column(
            con,
            table,
            mapping.timestamp,
            columns[mapping.timestamp],
            year=mapping.time_year,
            zone=mapping.time_zone,
            where_sql=where_sql,
            params=dict(params or {}),
        )
    return columns, time


def validate_mapping(
    con: duckdb.DuckDBPyConnection,
    table: str,
    mapping: ColumnMapping,
    *,
    where_sql: str = "TRUE",
    where_params: Mapping[str, object] | None = None,
) -> ValidationReport:
    """Check ``mapping`` against ``table`` and count every problem, without fetching rows.

    Raises
    ------
    MappingError
        When a mapped column does not exist, the label has three or more values, or a score
        column is not numeric: nothing useful can be counted then.
    """
    params = dict(where_params or {})
    columns, time = check_mapping_columns(con, table, mapping, where_sql=where_sql, params=params)
    src = f"(SELECT * FROM {quote_ident(table)} WHERE {where_sql})"
    score_columns = [c for c in (mapping.score, mapping.challenger_score) if c is not None]
    # One pass over the data for the label's values, the row count and every score column's
    # summary (on 100M rows from Parquet each separate scan cost about a second): per label
    # value (NULL for "not yet known"), the row count and the score counts, added up here.
    lab = quote_ident(mapping.label)
    per_label = con.execute(
        f"SELECT CASE WHEN {_missing_label_sql(lab)} THEN NULL ELSE {lab} END AS v, count(*), "
        + ", ".join(_score_summary_sql(c) for c in score_columns or [mapping.score])
        + f" FROM {src} GROUP BY 1",
        params,
    ).fetchall()
    # As ORDER BY count DESC, value: the commonest values first, ties in the value's order.
    labelled_rows = sorted((r for r in per_label if r[0] is not None), key=lambda r: r[0])
    labelled_rows.sort(key=lambda r: -int(r[1]))
    values = [(r[0], int(r[1])) for r in labelled_rows[:11]]
    check_label_values(mapping, values)
    rows = sum(int(r[1]) for r in per_label)
    summaries = [
        _combine_score_summaries(col, [r[2 + 8 * i : 10 + 8 * i] for r in per_label], mapping.raw_scores)
        for i, col in enumerate(score_columns)
    ]
    models: tuple[str, ...] = ()
    if mapping.model:
        models = tuple(
            str(r[0])
            for r in con.execute(
                f"SELECT DISTINCT CAST({quote_ident(mapping.model)} AS VARCHAR) FROM {src} ORDER BY 1", params
            ).fetchall()
            if r[0] is not None
        )
    return judge_counts(mapping, columns, values, rows, summaries, models, time)


def check_columns(mapping: ColumnMapping, columns: Mapping[str, str]) -> None:
    """Raise :class:`MappingError` when a mapped column is missing or a score column is not numeric.

    ``columns`` maps names to DuckDB type names (another engine names its types the same way).
    """
    roles = [
        (mapping.score, "score"),
        (mapping.label, "label"),
        (mapping.challenger_score, "challenger score"),
        (mapping.model, "model"),
        (mapping.id, "id"),
        (mapping.timestamp, "time"),
        *((s, "segment") for s in mapping.segments),
        *((m, "money") for m in mapping.money),
    ]
    for name, role in roles:
        _require_column(name, role, columns)
    for name in (mapping.score, mapping.challenger_score):
        if name is not None and not is_numeric_type(columns[name]):
            raise MappingError(f"score column '{name}' is {columns[name]}, not a number")


def check_label_values(mapping: ColumnMapping, values: Sequence[tuple[object, int]]) -> None:
    """Raise when the label has more than two values (``values``: at most 11, most frequent first)."""
    if len(values) > 2:
        shown = ", ".join(repr(str(v)) for v, _ in values[:10]) + (", ..." if len(values) > 10 else "")
        raise MappingError(
            f"label column '{mapping.label}' has {len(values) if len(values) <= 10 else 'more than 10'} "
            f"distinct values ({shown}); a label needs exactly two"
        )


def judge_counts(
    mapping: ColumnMapping,
    columns: Mapping[str, str],
    values: Sequence[tuple[object, int]],
    rows: int,
    summaries: Sequence[ScoreSummary],
    models: tuple[str, ...],
    time: TimeColumn | None,
) -> ValidationReport:
    """The validation report from counts an engine made: the one place its rules and messages live.

    DuckDB (:func:`validate_mapping`) and Spark (:mod:`roistudio.core.engine.spark`) count the
    same things (label values and their counts, rows, score summaries, model values); this
    decides the positive class, the blocking problems and the warnings.
    """
    check_label_values(mapping, values)
    raw_values = [v for v, _ in values]
    problems: list[str] = []
    warnings: list[str] = []
    if not raw_values:
        positive_value: object = _NO_POSITIVE
    else:
        positive_value = resolve_positive(raw_values, mapping.positive, mapping.label)
    counts = dict(values)
    positives = int(counts.get(positive_value, 0)) if positive_value is not _NO_POSITIVE else 0
    labelled = sum(counts.values())
    label = LabelSummary(
        column=mapping.label,
        values=tuple(str(v) for v in raw_values),
        positive_value=positive_value,
        positive_text=str(positive_value) if positive_value is not _NO_POSITIVE else (mapping.positive or ""),
        positives=positives,
        negatives=labelled - positives,
        unlabeled=rows - labelled,
        duck_type=columns[mapping.label],
    )
    if rows == 0:
        problems.append("no rows to analyse (the data or the filter leaves none)")
    elif labelled == 0:
        problems.append(f"label column '{mapping.label}' has no values: every row is not yet known")
    if label.unlabeled:
        warnings.append(
            f"{label.unlabeled:,} rows have no label yet; they are shown apart, never counted as negatives"
        )
    for s in summaries:
        if s.bad:
            msg = (
                f"score column '{s.column}' has {s.bad:,} unusable values ({s.describe_bad()})"
                + (
                    ""
                    if mapping.raw_scores or not (s.below_zero or s.above_one)
                    else "; pass --raw-scores if scores are not probabilities"
                )
                + "; pass --exclude-bad-scores to leave those rows out"
            )
            (warnings if mapping.exclude_bad_scores else problems).append(msg)
    if mapping.model and mapping.champion is not None and mapping.champion not in models:
        problems.append(
            f"champion '{mapping.champion}' is not a value of model column '{mapping.model}' "
            f"(values: {', '.join(models)})"
        )
    return ValidationReport(rows, label, tuple(summaries), models, tuple(problems), tuple(warnings), time)


def _score_summary_sql(column: str) -> str:
    """The eight aggregates of :func:`score_summary` over ``column`` (a SELECT list)."""
    c = f"CAST({quote_ident(column)} AS DOUBLE)"
    return f"""count(*),
               count(*) FILTER (WHERE {c} IS NULL),
               count(*) FILTER (WHERE isnan({c})),
               count(*) FILTER (WHERE isinf({c})),
               count(*) FILTER (WHERE isfinite({c}) AND {c} < 0),
               count(*) FILTER (WHERE isfinite({c}) AND {c} > 1),
               min({c}) FILTER (WHERE isfinite({c})),
               max({c}) FILTER (WHERE isfinite({c}))"""


def _combine_score_summaries(column: str, parts: Sequence[Sequence[Any]], raw_scores: bool) -> ScoreSummary:
    """One :class:`ScoreSummary` from the aggregates of :func:`_score_summary_sql` over groups."""
    total, missing, nan, infinite, below, above = (sum(int(p[j]) for p in parts) for j in range(6))
    lows = [p[6] for p in parts if p[6] is not None]
    highs = [p[7] for p in parts if p[7] is not None]
    low, high = (min(lows) if lows else None), (max(highs) if highs else None)
    return ScoreSummary(column, total, missing, nan, infinite, below, above, low, high, raw_scores)


def score_summary(
    con: duckdb.DuckDBPyConnection,
    source_sql: str,
    column: str,
    *,
    raw_scores: bool,
    params: Mapping[str, object] | None = None,
) -> ScoreSummary:
    """Count missing, NaN, infinite and out-of-[0, 1] values of a score column in one query."""
    row = con.execute(f"SELECT {_score_summary_sql(column)} FROM {source_sql}", dict(params or {})).fetchone()
    assert row is not None  # an aggregate without GROUP BY returns one row
    total, missing, nan, infinite, below, above = (int(v) for v in row[:6])
    return ScoreSummary(column, total, missing, nan, infinite, below, above, row[6], row[7], raw_scores)


def label_condition_sql(
    label: str, positive_value: object, duck_type: str | None = None
) -> tuple[str, dict[str, object]]:
    """SQL for the row's class: TRUE (positive), FALSE (negative) or NULL (not yet known).

    The positive value is bound as a parameter, never pasted into the SQL text. For numeric
    and boolean columns (``duck_type`` known and not text) only NULL means "not yet known", which
    spares a per-row cast to text on the sweep's hot path.
    """
    col = quote_ident(label)
    text = duck_type is None or not (is_numeric_type(duck_type) or duck_type.upper() == "BOOLEAN")
    missing = _missing_label_sql(col) if text else f"{col} IS NULL"
    if positive_value is _NO_POSITIVE:
        return f"CASE WHEN {missing} THEN NULL ELSE FALSE END", {}
    if not text:
        return f"({col} = $label_positive)", {"label_positive": positive_value}
    return (
        f"CASE WHEN {missing} THEN NULL ELSE ({col} = $label_positive) END",
        {"label_positive": positive_value},
    )
