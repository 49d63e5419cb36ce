"""What ``roistudio sweep`` writes: the JSON result (a file or standard output) or the summary.

The JSON document is the same for ``roistudio report --json`` (:func:`result_json_text`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from roistudio.cli.summary import format_summary
from roistudio.core.atomic import os_reason
from roistudio.core.engine.analysis import Analysis
from roistudio.core.errors import OutputError

if TYPE_CHECKING:
    from roistudio.cli.spark import SparkReadReport
    from roistudio.core.data.import_report import ImportReport
    from roistudio.core.engine.decision import Decision
    from roistudio.core.engine.estimate import LabelDelay


def result_json_text(
    analysis: Analysis,
    report: ImportReport | SparkReadReport,
    decision: Decision | None,
    label_delay: LabelDelay | None = None,
) -> str:
    """The ``--json`` document of ``sweep`` and ``report`` alike, as text (one rule for both)."""
    from roistudio.core.engine.result_json import analysis_to_json

    doc = analysis_to_json(
        analysis,
        source=report.to_dict(),
        decision=None if decision is None else decision.to_json_blocks(),
        label_delay=label_delay,
    )
    return json.dumps(doc, indent=1, allow_nan=False) + "\n"


def emit_sweep(
    args: argparse.Namespace,
    analysis: Analysis,
    report: ImportReport | SparkReadReport,
    decision: Decision,
    label_delay: LabelDelay | None = None,
) -> int:
    """Write the JSON result where ``--json`` says, and print the summary unless it went to stdout."""
    if args.json:
        text = result_json_text(analysis, report, decision, label_delay)
        if args.json == "-":
            sys.stdout.write(text)
        else:
            from roistudio.core.atomic import write_text_atomic

            try:
                write_text_atomic(args.json, text)
            except OSError as exc:
                raise OutputError(f"cannot write the JSON result to {args.json}: {os_reason(exc)}") from exc
            print(f"wrote {args.json}", file=sys.stderr)
        if args.json == "-":
            return 0
    print(format_summary(analysis, report, decision, label_delay))
    return 0
