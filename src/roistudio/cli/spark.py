"""``roistudio sweep|report --engine spark``: the same analysis, aggregated by Apache Spark.

Spark reads ``DATA`` (a Parquet or CSV path it can reach: local, ``s3a://``, ``abfss://``...) or
``--table NAME`` from its catalog, on ``--spark-master`` (default ``local[*]``; any master URL is
passed to Spark as given). Everything after the aggregation (curves, policies, JSON, summary,
workbook, PDF) is the code the DuckDB engine uses.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from roistudio.core.errors import RoiError
from roistudio.core.progress import ConsoleProgress

if TYPE_CHECKING:
    from roistudio.core.engine.analysis import Analysis
    from roistudio.core.engine.decision import Decision, DecisionOptions

NOT_ON_SPARK = (
    "the spark engine computes the recommendation and the bootstrap (--bootstrap N, per-segment and "
    "per-period intervals included); walk-forward, sensitivity and the label-delay estimate are DuckDB "
    "queries (run with --engine duckdb for them)"
)


@dataclass(frozen=True)
class SparkSourceFacts:
    """Provenance of data Spark read, with the attributes the summary and reports use."""

    name: str
    path: str
    size: int
    master: str
    table: str | None = None
    # A file on a cluster is not hashed (that would read it twice); the reports say so.
    sha256: str = "not computed (read by Spark)"
    # What the reports print beside ``sha256`` (SourceInfo.fingerprint_label for local files).
    fingerprint_label: str = "Fingerprint"


@dataclass(frozen=True)
class SparkReadReport:
    """What the summary line and the reports need from an import, for a Spark source."""

    source: SparkSourceFacts
    rows: int
    rejected_count: int = 0
    rejected: tuple[object, ...] = field(default_factory=tuple)

    def summary_lines(self) -> list[str]:
        return []

    def to_dict(self) -> dict[str, object]:
        s = self.source
        return {
            "engine": "spark",
            "master": s.master,
            "name": s.name,
            "path": s.path if s.table is None else None,
            "table": s.table,
            "rows": self.rows,
        }


def run_spark_command(args: argparse.Namespace) -> int:
    """Run ``sweep``/``report`` with the Spark engine; returns the exit code."""
    from roistudio.cli.options import build_request
    from roistudio.cli.report_output import emit_report
    from roistudio.cli.sweep_output import emit_sweep
    from roistudio.core.engine.spark import (
        DEFAULT_MASTER,
        SparkSource,
        analyse_spark,
        load_source,
        spark_columns,
        spark_date_range,
        spark_row_count,
        spark_session,
    )
    from roistudio.core.engine.spark_source import local_size

    if args.demo:
        raise RoiError("--demo runs on the duckdb engine; give DATA or --table with --engine spark")
    if getattr(args, "range", None):
        raise RoiError(f"--range (sensitivity) runs on the duckdb engine; {NOT_ON_SPARK}")
    if args.data and args.table:
        raise RoiError("pass either DATA or --table NAME, not both")
    if not args.data and not args.table:
        raise RoiError("no data given; pass a Parquet/CSV path Spark can read, or --table NAME")
    from roistudio.cli.commands import _outputs
    from roistudio.core.atomic import check_targets

    local = [args.data] if args.data and os.path.isfile(args.data) else []
    # Before any work: no output on the input, no two outputs on one path, nothing unwritable.
    check_targets(_outputs(args), local, force=args.force)
    master = args.spark_master or DEFAULT_MASTER
    source = SparkSource(master=master, path=args.data, table=args.table)
    progress = ConsoleProgress()
    progress.progress(0.0, f"Starting Spark on {master}")
    spark = spark_session(master)
    # Spark's own INFO/WARN lines would bury the summary (Spark Connect has no SparkContext).
    with contextlib.suppress(Exception):
        spark.sparkContext.setLogLevel("ERROR")
    view = load_source(spark, source)
    columns = spark_columns(spark, view)
    request, extras = build_request(args, columns)
    from roistudio.cli.options import decision_options

    options = decision_options(args)
    analysis = analyse_spark(spark, view, request, progress=progress)
    for note in extras.get("notes", ()):
        print(note, file=sys.stderr)
    print(f"note: {NOT_ON_SPARK}", file=sys.stderr)
    facts = SparkSourceFacts(
        name=source.name,
        path=str(source.path) if source.table is None else f"table {source.table}",
        size=local_size(source.path) if source.path else 0,
        master=master,
        table=source.table,
    )
    report = SparkReadReport(facts, spark_row_count(spark, view))
    from roistudio.core.engine.decision import DecisionOptions, decide

    if options.replicates:
        decision = _spark_bootstrap(spark, view, analysis, options, progress)
    else:
        # The recommendation only: walk-forward and sensitivity are DuckDB queries.
        decision = decide(None, analysis, DecisionOptions(), only=())  # type: ignore[arg-type]
    if args.command == "sweep":
        return emit_sweep(args, analysis, report, decision)
    from roistudio.reports.model import ReportModel, SourceFacts, build_report_model

    time = analysis.validation.time
    ts = request.mapping.timestamp
    dated = ts and time is not None and not time.form.is_text  # min/max of period labels is no range
    dates = spark_date_range(spark, view, ts) if dated and ts else (None, None)

    def build_model(title: str, currency: str) -> ReportModel:
        return build_report_model(
            analysis,
            SourceFacts.from_import(report, *dates),  # type: ignore[arg-type]  # duck-typed import report
            title=title,
            currency=currency,
            con=None,  # the live-formula aggregates are DuckDB queries: the workbook holds values
            table=view,
        )

    return emit_report(args, analysis, report, None, extras, decision, build_model=build_model)


def _spark_bootstrap(
    spark: object, view: str, analysis: Analysis, options: DecisionOptions, progress: ConsoleProgress
) -> Decision:
    """The bootstrap (intervals, per-group intervals, P(challenger better), verdict), cells aggregated by Spark."""
    from roistudio.core.engine.spark_uncertainty import spark_decision

    return spark_decision(spark, view, analysis, options, progress)
