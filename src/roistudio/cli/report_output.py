"""What ``roistudio report`` writes: the workbook and the PDF, as one unit, then the summary."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from roistudio.cli.summary import format_summary
from roistudio.cli.sweep_output import result_json_text
from roistudio.core.atomic import os_reason
from roistudio.core.data.import_report import ImportReport
from roistudio.core.data.provenance import shown_path as shown_text
from roistudio.core.engine.analysis import Analysis
from roistudio.core.errors import OutputError, RoiError

if TYPE_CHECKING:
    import duckdb

    from roistudio.cli.spark import SparkReadReport
    from roistudio.core.engine.decision import Decision
    from roistudio.core.engine.estimate import LabelDelay
    from roistudio.reports.model import ReportModel


def emit_report(
    args: argparse.Namespace,
    analysis: Analysis,
    report: ImportReport | SparkReadReport,
    con: duckdb.DuckDBPyConnection | None,
    extras: dict[str, Any],
    decision: Decision | None = None,
    label_delay: LabelDelay | None = None,
    build_model: Callable[[str, str], ReportModel] | None = None,
) -> int:
    """Write the workbook/PDF. Another engine (``con`` None) passes ``build_model(title, currency)``."""
    from roistudio.reports.model import build_project_report

    # The JSON of the analysis behind the report, made before any file is written (a figure that
    # cannot be written as JSON fails the command before the workbook and PDF are replaced).
    json_text = result_json_text(analysis, report, decision, label_delay) if args.json else None
    currency = (args.currency or extras.get("currency") or "USD").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise RoiError(
            f"--currency expects a 3-letter ISO code such as USD, EUR or JPY, got '{shown_text(currency)}'"
        )
    title = args.title or extras.get("title") or f"Model value report: {report.source.name}"
    if build_model is not None:
        model = build_model(title, currency)
    else:
        # Only another engine passes no connection (and its own report); it passes build_model.
        assert con is not None and isinstance(report, ImportReport)
        model = build_project_report(
            con,
            analysis,
            report,
            title=title,
            currency=currency,
            # The per-parameter aggregates serve the workbook's live formulas only: a PDF alone
            # does not pay for their extra scans.
            live=bool(args.xlsx),
            label_delay=label_delay,
            decision=decision,
        )
    from roistudio.core.atomic import atomic_group

    # The workbook and the PDF are one unit: both are rendered to temporaries and renamed only
    # once both succeeded, so a failure never leaves a new workbook beside an old PDF.
    try:
        with atomic_group() as group:
            if args.xlsx:
                from roistudio.reports.xlsx import write_xlsx

                write_xlsx(model, group.stage(args.xlsx))
            if args.pdf:
                from roistudio.reports.pdf import write_pdf

                write_pdf(model, group.stage(args.pdf))
            if json_text is not None and args.json != "-":
                group.stage(args.json).write_text(json_text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write the report: {os_reason(exc)}") from exc
    for path in (args.xlsx, args.pdf, None if args.json == "-" else args.json):
        if path:
            print(f"wrote {path}", file=sys.stderr)
    if json_text is not None and args.json == "-":
        sys.stdout.write(json_text)  # stdout holds the JSON alone, as with sweep --json -
        return 0
    print(format_summary(analysis, report, decision, label_delay))
    return 0
