"""The Spark engine in-process: progress, Cancel through the job group, and its one-line refusals."""

from __future__ import annotations

import threading

import pytest

from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.engine.analysis import AnalysisRequest
from roistudio.core.engine.spark import _JobWatch, analyse_spark, spark_columns
from roistudio.core.errors import Cancelled, MappingError
from roistudio.core.payoff.language import parse_payoff
from roistudio.core.progress import CancelToken


class Recorder(CancelToken):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[tuple[float, str]] = []

    def progress(self, fraction: float, text: str = "") -> None:
        self.texts.append((fraction, text))


@pytest.fixture(scope="module")
def view(spark):
    spark.sql(
        "SELECT id, (id % 100) / 100.0 AS score, CASE WHEN id % 3 = 0 THEN 'yes' ELSE 'no' END AS label, "
        "CAST(id % 17 AS DOUBLE) AS amount, CONCAT('m', CAST(id % 4 AS STRING)) AS month_label "
        "FROM range(2000)"
    ).createOrReplaceTempView("engine_rows")
    return "engine_rows"


def _request(spark, view, **mapping) -> AnalysisRequest:
    columns = spark_columns(spark, view)
    payoff = parse_payoff({"tp": "amount - 1", "fp": "-1", "fn": "-amount"}, {}, columns)
    return AnalysisRequest(mapping=ColumnMapping(score="score", label="label", **mapping), payoff=payoff)


def test_analysis_reports_progress_and_matches_a_brute_force_sum(spark, view):
    progress = Recorder()
    analysis = analyse_spark(spark, view, _request(spark, view), progress=progress)
    texts = [t for _, t in progress.texts]
    assert texts[0] == "Checking the data in Spark" and texts[-1] == "Sweep done"
    # Brute force over the same 2,000 rows, at the threshold the analysis chose.
    t = analysis.champion.optimum.threshold
    rows = range(2000)
    value = sum(
        ((i % 17) - 1 if i % 3 == 0 else -1) if (i % 100) / 100 >= t else (-(i % 17) if i % 3 == 0 else 0)
        for i in rows
    )
    assert analysis.champion.optimum.value == pytest.approx(value)
    assert analysis.champion.curve.positives == sum(1 for i in rows if i % 3 == 0)


def test_a_text_time_column_that_holds_no_period_labels_is_refused_in_one_line(spark, view):
    request = _request(spark, view, timestamp="month_label")
    with pytest.raises(MappingError) as error:
        analyse_spark(spark, view, request)
    assert str(error.value).startswith(
        "time column 'month_label' holds text that is not a date or a period label (first unreadable value 'm"
    )


def test_cancel_cancels_the_spark_job_group(spark):
    """A job that would run for hours stops once Cancel is pressed: the job group is cancelled."""
    token = CancelToken()
    watch = _JobWatch(spark, token, "a long count")
    started = threading.Timer(1.0, token.cancel)
    started.start()
    try:
        with pytest.raises(Cancelled):
            watch.run(lambda: spark.range(0, 10**13, numPartitions=2).selectExpr("sum(id % 7)").collect())
    finally:
        started.cancel()


# PySpark warns when a cancelled job breaks its Arrow transfer: that is the cancel working.
@pytest.mark.filterwarnings("ignore:toPandas attempted Arrow optimization")
def test_cancel_stops_the_bootstrap_on_spark(spark, view):
    """The bootstrap's cell query runs in a job group: Cancel stops it (here on rows that never end).

    The analysis is of the small view; its cells are then asked of a view with the same columns
    and 10^13 rows, so only Cancel can end the query. Progress shows Spark's task counts first.
    """
    from roistudio.core.engine.spark_uncertainty import spark_uncertainty

    analysis = analyse_spark(spark, view, _request(spark, view))
    spark.sql(
        "SELECT id, (id % 100) / 100.0 AS score, CASE WHEN id % 3 = 0 THEN 'yes' ELSE 'no' END AS label, "
        "CAST(id % 17 AS DOUBLE) AS amount FROM range(10000000000000)"
    ).createOrReplaceTempView("endless_rows")

    class CancelOnTasks(Recorder):
        def progress(self, fraction: float, text: str = "") -> None:
            super().progress(fraction, text)
            if "tasks)" in text:
                self.cancel()

    progress = CancelOnTasks()
    with pytest.raises(Cancelled):
        spark_uncertainty(
            spark, "endless_rows", analysis, replicates=50, confidence=0.9, seed=1, progress=progress
        )
    assert any(t.startswith("Aggregating cells for the bootstrap in Spark (") for _, t in progress.texts)
