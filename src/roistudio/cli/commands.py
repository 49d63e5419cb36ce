"""The work behind ``roistudio sweep`` and ``roistudio report``: checks, import, analysis, decision, output.

What the options mean is in :mod:`.options`; what each subcommand writes in :mod:`.sweep_output`
and :mod:`.report_output`; the summary both print in :mod:`.summary`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from roistudio.cli.options import TABLE, build_request, decision_options, load_data
from roistudio.cli.report_output import WorkbookFigures, emit_report
from roistudio.cli.sweep_output import emit_sweep
from roistudio.core.data.mapping import table_columns
from roistudio.core.engine.analysis import Analysis, analyse
from roistudio.core.errors import OutputError, RoiError
from roistudio.core.progress import ConsoleProgress

if TYPE_CHECKING:
    import duckdb

    from roistudio.core.engine.estimate import LabelDelay


def _outputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    if args.command == "sweep":
        return [("JSON result", args.json)] if args.json else []
    outputs = (
        ("workbook", args.xlsx),
        ("PDF report", args.pdf),
        ("JSON result", getattr(args, "json", None)),
    )
    return [(what, path) for what, path in outputs if path]


def _input_path(args: argparse.Namespace) -> Path | None:
    if args.demo:
        from roistudio.core.project.demo import demo_data_path

        return Path(demo_data_path())
    return Path(args.data) if args.data else None


def run_command(args: argparse.Namespace) -> int:
    import duckdb

    from roistudio.core.atomic import check_targets
    from roistudio.core.data.provenance import source_stamp, verify_source_unchanged

    if args.data and args.demo:
        raise RoiError("pass either a data file or --demo, not both")
    if args.command == "report" and not args.xlsx and not args.pdf and not args.json:
        raise RoiError("nothing to write; pass --xlsx PATH, --pdf PATH and/or --json PATH")
    for option in ("xlsx", "pdf"):
        if args.command == "report" and getattr(args, option) == "-":
            raise OutputError(
                f"--{option} - (standard output) is not supported for a binary file; give a file path"
            )
    if args.engine == "spark":
        from roistudio.cli.spark import run_spark_command

        return run_spark_command(args)
    if args.spark_master or args.table:
        raise RoiError("--spark-master and --table need --engine spark")
    source = _input_path(args)
    stamp = source_stamp(source) if source is not None else None  # a dataset: each of its files
    # Before any work: no output on the input, no two outputs on one path, nothing unwritable.
    check_targets(_outputs(args), [source] if source is not None else [], force=args.force)
    from roistudio.core.sql import pin_session_time_zone

    con = duckdb.connect()
    pin_session_time_zone(con)  # periods and date filters must not depend on the machine's TZ
    report = load_data(con, args)
    columns = table_columns(con, TABLE)
    request, extras = build_request(args, columns, con)
    options = decision_options(args)
    if args.demo and not options.ranges:
        from dataclasses import replace

        from roistudio.core.engine.parameter_ranges import ParameterRange
        from roistudio.core.project.defaults import default_ranges

        # The demo is the app's demo project: the same parameter ranges, so its sensitivity
        # (tornado, break-even) is shown without asking for --range.
        ranges = default_ranges(request.payoff.parameters)
        options = replace(options, ranges=tuple(ParameterRange(n, lo, hi) for n, (lo, hi) in ranges.items()))
    if request.mapping.timestamp and not request.mapping.time_zone:
        from dataclasses import replace

        from roistudio.core.data.time_zones import data_time_zones

        # Periods of zone-aware times are formed in the data's own zone when the file records one.
        # A dataset's files share one schema: the first names the zone.
        first = report.source.files[0].path if report.source.files else report.source.path
        zone = data_time_zones(con, first, report.format).get(request.mapping.timestamp)
        if zone:
            request = replace(request, mapping=request.mapping.with_changes(time_zone=zone))
    from roistudio.core.engine.decision import decide
    from roistudio.core.engine.sweep import ColumnSumsCache

    # With parameter ranges, per-score column sums kept from the sweep let the sensitivity
    # re-read the curve at any parameter value without another scan.
    cache = ColumnSumsCache() if options.ranges else None
    analysis = analyse(con, TABLE, request, progress=ConsoleProgress(), cache=cache)
    # The workbook's own figures are read meanwhile, on a thread (see WorkbookFigures).
    figures = WorkbookFigures(con, analysis) if args.command == "report" and args.xlsx else None
    try:
        # Before the stamp check: the estimate, the decision and the workbook's figures read the
        # data again, and must read the same file.
        label_delay = compute_label_delay(con, analysis, args)
        decision = decide(con, analysis, options, progress=ConsoleProgress(), cache=cache)
        if figures is not None:
            figures.result()
        if source is not None and stamp is not None:
            # A Parquet view is read during the analysis: the numbers belong to the fingerprint
            # only if the file is still the version stamped before the import.
            verify_source_unchanged(source, stamp)
        for note in extras["notes"]:
            print(note, file=sys.stderr)
        if args.command == "sweep":
            return emit_sweep(args, analysis, report, decision, label_delay)
        return emit_report(args, analysis, report, con, extras, decision, label_delay, figures=figures)
    finally:
        if figures is not None:
            figures.cancel()  # at once if it has ended; else a failure stops the reading


def compute_label_delay(
    con: duckdb.DuckDBPyConnection, analysis: Analysis, args: argparse.Namespace
) -> LabelDelay | None:
    """The calibration check and estimate for rows not yet labelled (``--calibration``).

    With the default calibration, a dataset that cannot be estimated (say, raw scores with one
    class labelled, or payoffs missing on unlabelled rows) still gets its sweep, with one line
    saying why there is no estimate; an explicit ``--calibration`` makes that an error.
    """
    from roistudio.core.engine.calibration import DEFAULT_METHOD
    from roistudio.core.engine.estimate import estimate_label_delay

    try:
        return estimate_label_delay(
            con,
            analysis,
            method=args.calibration or DEFAULT_METHOD,
            calibration_periods=args.calibration_periods,
            progress=ConsoleProgress(),
        )
    except RoiError as error:
        if args.calibration is not None or args.calibration_periods is not None:
            raise
        print(f"roistudio: no estimate for rows not yet labelled: {error}", file=sys.stderr)
        return None
