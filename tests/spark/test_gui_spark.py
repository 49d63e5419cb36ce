"""The app on Spark: open a Parquet file through Spark, the same figures and intervals as DuckDB, edits, Cancel.

The document runs every Spark job on its database worker (never the GUI thread); the figures are
compared with the DuckDB engine's analysis of the same file and the same request, as the JSON
result of both (counts exact, money to 1e-6).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import duckdb
import numpy as np
import pandas as pd
import pytest

from roistudio.core.data.filter_options import filter_options
from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.data.validation import validate_mapping
from roistudio.core.engine.analysis import analyse
from roistudio.core.engine.decision import DecisionOptions, decide
from roistudio.core.engine.result_json import analysis_to_json
from roistudio.core.engine.spark_source import SparkSource
from roistudio.core.errors import MappingError

from .test_engines_agree import assert_same

MAPPING = ColumnMapping(
    "fraud_score", "is_fraud", segments=("channel",), timestamp="event_time", money=("amount",)
)


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    rng = np.random.default_rng(7)
    rows = 600
    label = rng.random(rows) < 0.2
    frame = pd.DataFrame(
        {
            "fraud_score": np.clip(np.where(label, 0.65, 0.3) + rng.normal(0, 0.18, rows), 0, 1).round(3),
            "is_fraud": label.astype(int),
            "amount": rng.gamma(2.0, 40.0, rows).round(2),
            "channel": rng.choice(["web", "store", "(missing)", None], rows),
            "event_time": pd.date_range("2026-01-01", periods=rows, freq="17h").date,
        }
    )
    path = tmp_path_factory.mktemp("gui_spark") / "preds.parquet"
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute(f"COPY frame TO '{path}' (FORMAT parquet)")
    return str(path)


@pytest.fixture
def worker(qtbot):
    from roistudio.gui.workers import DatabaseWorker

    db = DatabaseWorker()
    db.start()
    yield db
    db.stop()


def _duckdb(path: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"CREATE VIEW data AS SELECT * FROM read_parquet('{path}')")
    return con


def _duckdb_json(path: str, request) -> dict:
    return _json(analyse(_duckdb(path), "data", request))


def _json(analysis) -> dict:
    doc = analysis_to_json(analysis)
    doc.pop("source", None)
    doc.pop("app", None)
    return doc


def _open(qtbot, doc, source, **kwargs):
    from roistudio.gui.spark_source import open_spark

    with qtbot.waitSignal(doc.analysisChanged, timeout=240_000, check_params_cb=lambda a: a is not None):
        open_spark(doc, source, **kwargs)
    return doc.analysis


def test_open_from_spark_gives_duckdbs_figures_and_edits_reaggregate_on_the_cluster(
    qtbot, worker, spark, parquet, tmp_path
):
    from roistudio.core.project.project import load_project
    from roistudio.gui.document import ProjectDocument

    doc = ProjectDocument(worker)
    errors: list[str] = []
    doc.analysisFailed.connect(errors.append)
    source = SparkSource("local[2]", path=parquet)
    analysis = _open(qtbot, doc, source, mapping=MAPPING)
    assert errors == []
    assert doc.project.spark == source and doc.project.sources == ()
    assert doc.display_name() == "preds.parquet on Spark (unsaved project)"
    assert doc.import_report.rows == 600 and doc.import_report.format == "spark"
    assert dict(doc.columns)["fraud_score"] == "DOUBLE"
    assert analysis.periods and set(analysis.segments) == {"channel"}
    assert_same(_duckdb_json(parquet, analysis.request), _json(analysis))
    # The filter bar's values are the breakdown keys, "(missing)" in data kept apart from NULL.
    qtbot.waitUntil(lambda: bool(doc.options.segments), timeout=120_000)
    assert doc.options.segments["channel"] == ['"(missing)"', "(missing)", "store", "web"]
    assert doc.options == filter_options(_duckdb(parquet), MAPPING, "data")

    # A payoff edit re-aggregates on Spark (no column-sums fast path) and matches DuckDB again.
    params = dict(doc.project.parameters)
    name = next(iter(params))
    with qtbot.waitSignal(doc.analysisChanged, timeout=240_000):
        doc.set_payoff(
            dict(doc.project.payoff), {**params, name: params[name] * 3 + 1}, dict(doc.project.ranges)
        )
    assert doc.analysis.request.payoff.parameters[name] == params[name] * 3 + 1
    assert doc.analysis.validation is analysis.validation  # counted once: the edit is one Spark job
    assert_same(_duckdb_json(parquet, doc.analysis.request), _json(doc.analysis))

    # Exported from the app: the workbook and the PDF, with the figures as values (no live formulas).
    from openpyxl import load_workbook

    from roistudio.gui.export_actions import Exporter

    exporter = Exporter(doc)
    targets = {"xlsx": str(tmp_path / "spark.xlsx"), "pdf": str(tmp_path / "spark.pdf")}
    with qtbot.waitSignal(exporter.finished, timeout=240_000) as written:
        exporter.write(targets)
    assert sorted(written.args[0]) == sorted(targets.values())
    assert (tmp_path / "spark.pdf").read_bytes().startswith(b"%PDF")
    cells = {str(c.value) for ws in load_workbook(tmp_path / "spark.xlsx", read_only=True).worksheets
             for row in ws.iter_rows() for c in row if c.value is not None}  # fmt: skip
    assert "not computed (read by Spark)" in cells
    # With the intervals the app shows, computed on Spark (1,000 resamples, the app's seed).
    assert "Uncertainty" in load_workbook(tmp_path / "spark.xlsx", read_only=True).sheetnames
    assert any(c.startswith("90% intervals, 1,000 bootstrap resamples") for c in cells)

    # Saved, the project names its Spark source; reopened, it reconnects and shows the same figures.
    target = tmp_path / "on_spark.roiproj"
    doc.save(str(target))
    assert load_project(target).spark == source
    other = ProjectDocument(worker)
    from roistudio.gui import project_loading

    with qtbot.waitSignal(other.analysisChanged, timeout=240_000, check_params_cb=lambda a: a is not None):
        project_loading.open_project(other, str(target))
    assert other.path == str(target) and not other.is_dirty()
    assert_same(_json(doc.analysis), _json(other.analysis))


def test_a_bad_mapping_is_duckdbs_one_line_in_the_error_banner(qtbot, worker, spark, parquet):
    from roistudio.gui.document import ProjectDocument
    from roistudio.gui.spark_source import open_spark

    doc = ProjectDocument(worker)
    mapping = ColumnMapping("fraud_score", "channel")
    with qtbot.waitSignal(doc.analysisFailed, timeout=240_000) as failed:
        open_spark(doc, SparkSource("local[2]", path=parquet), mapping=mapping)
    with pytest.raises(MappingError) as duck:
        validate_mapping(_duckdb(parquet), "data", mapping).raise_for_problems()
    assert failed.args[0] == str(duck.value)
    assert "label" in failed.args[0]


def test_cancel_stops_the_spark_job_group(qtbot, worker, spark):
    """Cancel (the status bar's button) cancels the running Spark job: no project is opened, no error."""
    from roistudio.gui.document import ProjectDocument
    from roistudio.gui.spark_source import open_spark

    spark.sql(
        "SELECT rand() AS s, id % 2 AS y FROM range(10000000000000) WHERE rand() < 2"
    ).createOrReplaceTempView("endless_predictions")
    doc = ProjectDocument(worker)
    failures: list[str] = []
    doc.dataFailed.connect(failures.append)
    texts: list[str] = []
    doc.progress.connect(lambda _f, text: texts.append(text))
    job = open_spark(
        doc, SparkSource("local[2]", table="endless_predictions"), mapping=ColumnMapping("s", "y")
    )
    qtbot.waitUntil(lambda: any("tasks)" in t for t in texts), timeout=120_000)  # Spark reports progress
    worker.cancel_current()
    qtbot.waitUntil(lambda: job.finished, timeout=60_000)
    assert failures == [] and doc.import_report is None and doc.project.spark is None
    assert any(t.startswith("Counting rows in Spark (") for t in texts)


def _column(view, title: str) -> list[str]:
    col = view.model.column_index(title)
    return [view.table.displayed(r, col) for r in range(view.model.rowCount())]


def test_the_app_shows_duckdbs_intervals_for_a_spark_source(
    qtbot, worker, spark, parquet, tmp_path, monkeypatch
):
    """The background decision job of a Spark source: the bootstrap on Spark, DuckDB's intervals on screen.

    A real main window; its decision job (the DuckDB path's) aggregates the cells on Spark and
    fills the explorer's interval line and the Segments and Trends tables' "Value low / high".
    Each displayed figure is compared with DuckDB's ``decide`` on the same file, request and seed.
    """
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    import roistudio.gui.main_window as main_window
    from roistudio.gui.decision_views import APP_REPLICATES
    from roistudio.gui.settings import Settings
    from roistudio.gui.spark_source import NOT_ON_SPARK, open_spark
    from roistudio.gui.widgets import format_money

    monkeypatch.setattr(main_window, "recovery_folder", lambda: tmp_path / "recovery")
    window = main_window.MainWindow(
        worker, Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    )
    window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    texts: list[str] = []
    worker.jobProgress.connect(lambda _f, text: texts.append(text))
    segments, trends = window.segments_view, window.trends_view
    low_col = segments.model.column_index("Value low")
    with qtbot.waitSignal(
        window.doc.analysisChanged, timeout=240_000, check_params_cb=lambda a: a is not None
    ):
        open_spark(window.doc, SparkSource("local[2]", path=parquet), mapping=MAPPING)
    analysis = window.doc.analysis
    assert analysis.periods and set(analysis.segments) == {"channel"}
    qtbot.waitUntil(lambda: not segments.table.isColumnHidden(low_col), timeout=240_000)

    duck = analyse(_duckdb(parquet), "data", analysis.request)
    expected = decide(_duckdb(parquet), duck, DecisionOptions(replicates=APP_REPLICATES)).uncertainty
    assert expected is not None
    groups = {name: dict(rows) for name, rows in expected.groups.items()}
    currency = window.doc.project.currency

    keys = [segments.table.displayed(r, 0) for r in range(segments.model.rowCount())]
    mine = groups["segment:channel"]
    assert len(mine) == 4 and sorted(keys) == sorted(mine)
    assert _column(segments, "Value low") == [format_money(mine[k].low, currency) for k in keys]
    assert _column(segments, "Value high") == [format_money(mine[k].high, currency) for k in keys]

    periods = groups["period"]
    assert len(periods) >= 6
    rows = [trends.model.row_object(trends.table.proxy.mapToSource(trends.table.proxy.index(r, 0)).row())
            for r in range(trends.model.rowCount())]  # fmt: skip
    wanted = [(format_money(periods[g.key].low, currency), format_money(periods[g.key].high, currency))
              if g.key in periods else ("", "") for g in rows]  # fmt: skip
    assert list(zip(_column(trends, "Value low"), _column(trends, "Value high"), strict=True)) == wanted

    line = window.explorer.interval_label.text()
    value = expected.operating_value
    assert f"value {format_money(value.low, currency)} to {format_money(value.high, currency)}" in line
    assert f"({APP_REPLICATES:,} bootstrap resamples" in line
    # The job ran on Spark (its job group reported progress) and only the DuckDB-only figures are refused.
    assert any(t.startswith("Bootstrap: ") for t in texts)
    assert window.sensitivity_view.caption.text() == NOT_ON_SPARK
