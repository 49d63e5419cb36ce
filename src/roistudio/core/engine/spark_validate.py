"""Spark SQL of the mapping checks and of the breakdown keys (segments, periods).

The counts are Spark's; :func:`~roistudio.core.data.mapping.judge_counts` (shared with DuckDB)
turns them into the :class:`~roistudio.core.data.mapping.ValidationReport`, so the checks and the
messages are the same on both engines.
"""

from __future__ import annotations

from collections.abc import Mapping

from roistudio.core.column_types import is_numeric_type
from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.data.periods import TimeColumn
from roistudio.core.data.profile import MISSING_KEY
from roistudio.core.data.validation import (
    _NO_POSITIVE,
    LabelSummary,
    ScoreSummary,
    ValidationReport,
    check_label_values,
    check_mapping_shape,
    judge_counts,
)
from roistudio.core.engine.spark_periods import inspect_time_column_spark, period_key_spark
from roistudio.core.engine.spark_source import Spark, _rows, q, spark_columns
from roistudio.core.payoff.compile import SPARK

_INF = "CAST('Infinity' AS DOUBLE)"


def _finite(x: str) -> str:
    return SPARK.is_finite(x)  # the one spelling (Spark has no isfinite())


# -- validation --------------------------------------------------------------------------------------


def _missing_label(col: str) -> str:
    return f"({col} IS NULL OR trim(CAST({col} AS STRING)) = '')"


def label_condition(label: LabelSummary) -> tuple[str, dict[str, object]]:
    """Spark SQL for the row's class: TRUE, FALSE or NULL (not yet known).

    As DuckDB's :func:`~roistudio.core.data.mapping.label_condition_sql`.
    """
    col = q(label.column)
    text = not (is_numeric_type(label.duck_type) or label.duck_type.upper() == "BOOLEAN")
    missing = _missing_label(col) if text else f"{col} IS NULL"
    if label.positive_value is _NO_POSITIVE:
        return f"CASE WHEN {missing} THEN NULL ELSE FALSE END", {}
    return f"CASE WHEN {missing} THEN NULL ELSE ({col} = :label_positive) END", {
        "label_positive": label.positive_value
    }


def _score_summary(
    spark: Spark, src: str, column: str, raw_scores: bool, params: Mapping[str, object]
) -> ScoreSummary:
    c = f"CAST({q(column)} AS DOUBLE)"
    fin = _finite(c)
    row = _rows(
        spark,
        f"""SELECT count(*), count_if({c} IS NULL), count_if(isnan({c})),
                   count_if({c} = {_INF} OR {c} = -{_INF}),
                   count_if({fin} AND {c} < 0), count_if({fin} AND {c} > 1),
                   min(CASE WHEN {fin} THEN {c} END), max(CASE WHEN {fin} THEN {c} END)
            FROM {src}""",
        params,
    )[0]
    n, missing, nan, infinite, below, above = (int(v) for v in row[:6])
    return ScoreSummary(column, n, missing, nan, infinite, below, above, row[6], row[7], raw_scores)


def validate_on_spark(
    spark: Spark,
    view: str,
    mapping: ColumnMapping,
    *,
    where_sql: str = "TRUE",
    where_params: Mapping[str, object] | None = None,
) -> ValidationReport:
    """The mapping validation of :func:`~roistudio.core.data.mapping.validate_mapping`, counted by Spark.

    Spark makes the same counts; :func:`~roistudio.core.data.mapping.judge_counts` (shared with
    DuckDB) turns them into the report, so the checks and messages are the same.
    """
    columns = spark_columns(spark, view)
    check_mapping_shape(mapping, columns)
    params = dict(where_params or {})
    src = f"(SELECT * FROM {q(view)} WHERE {where_sql}) AS src"
    time = None
    if mapping.timestamp:
        time = inspect_time_column_spark(
            spark, src, mapping.timestamp, columns[mapping.timestamp], year=mapping.time_year,
            zone=mapping.time_zone, params=params,
        )  # fmt: skip
    label_col = q(mapping.label)
    values = [
        (r[0], int(r[1]))
        for r in _rows(
            spark,
            f"SELECT {label_col} AS v, count(*) AS n FROM {src} WHERE NOT {_missing_label(label_col)} "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 11",
            params,
        )
    ]
    check_label_values(mapping, values)
    rows = int(_rows(spark, f"SELECT count(*) FROM {src}", params)[0][0])
    summaries = [
        _score_summary(spark, src, col, mapping.raw_scores, params)
        for col in (mapping.score, mapping.challenger_score)
        if col is not None
    ]
    models: tuple[str, ...] = ()
    if mapping.model:
        found = _rows(
            spark, f"SELECT DISTINCT CAST({q(mapping.model)} AS STRING) AS v FROM {src} ORDER BY 1", params
        )
        models = tuple(str(r[0]) for r in found if r[0] is not None)
    return judge_counts(mapping, columns, values, rows, summaries, models, time)


# -- breakdown keys ----------------------------------------------------------------------------------


def segment_key(column: str) -> str:
    """Spark SQL of a segment's breakdown key, as :func:`~roistudio.core.data.profile.segment_key_sql`.

    The value as text, ``(missing)`` for NULL/blank; a value reading ``(missing)`` itself gets one
    more pair of double quotes, so real data never merges with the missing rows.
    """
    text = f"nullif(trim(CAST({q(column)} AS STRING)), '')"
    return (
        f"CASE WHEN {text} IS NULL THEN '{MISSING_KEY}' "
        f"WHEN {text} RLIKE '^\"*\\\\(missing\\\\)\"*$' THEN concat('\"', {text}, '\"') "
        f"ELSE {text} END"
    )


def segment_values(spark: Spark, view: str, column: str, limit: int) -> list[str]:
    """The first ``limit`` distinct breakdown keys of a segment column, sorted as text (the filter bar's)."""
    rows = _rows(
        spark, f"SELECT DISTINCT {segment_key(column)} AS k FROM {q(view)} ORDER BY 1 LIMIT {int(limit)}"
    )
    return [str(r[0]) for r in rows]


def period_key(time: TimeColumn, period: str) -> tuple[str, dict[str, object]]:
    """Spark SQL of a period key, as on DuckDB (see :func:`.spark_periods.period_key_spark`)."""
    return period_key_spark(time, period)
