"""``roistudio``: the command-line front end.

``roistudio sweep`` and ``roistudio report`` run the core (and the report writers) headless;
``roistudio`` with no subcommand (or with a project, data file or ``roistudio://`` link) opens
the desktop app. Bad input gives one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

from roistudio import __version__
from roistudio.core.glossary import PERIODS

PAYOFF_OPTIONS = ("--tp", "--fp", "--tn", "--fn")
SUBCOMMANDS = ("sweep", "report")


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors in one line plus a ``--help`` hint (not the whole usage)."""

    # Set on the top-level parser when a subcommand was named: its unknown-option errors are
    # about that subcommand ("roistudio sweep: ... (see roistudio sweep --help)").
    command_prog: str | None = None

    def error(self, message: str) -> NoReturn:
        prog = self.command_prog or self.prog
        self.exit(2, f"{prog}: {message} (see {prog} --help)\n")


def _join_negative_values(argv: Sequence[str]) -> list[str]:
    """Let ``--fn -amount`` mean ``--fn=-amount``.

    argparse would read ``-amount`` as an option; payoffs very often start with a minus.
    """
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if (
            arg in (*PAYOFF_OPTIONS, "--at", "--threshold")
            and i + 1 < len(argv)
            and argv[i + 1].startswith("-")
        ):
            out.append(f"{arg}={argv[i + 1]}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def _add_analysis_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="?", help="prediction export: CSV, TSV, Parquet or XLSX")
    p.add_argument("--demo", action="store_true", help="use the bundled card-fraud demo data and payoff")
    eng = p.add_argument_group("engine")
    eng.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="where the aggregation runs: duckdb (this machine, default) or spark (pip install 'roistudio[spark]')",
    )
    eng.add_argument(
        "--spark-master",
        metavar="URL",
        default=None,
        help="with --engine spark: Spark master URL, passed to Spark as given (default local[*])",
    )
    eng.add_argument(
        "--table", metavar="NAME", help="with --engine spark: a table in Spark's catalog instead of DATA"
    )
    m = p.add_argument_group("column mapping")
    m.add_argument("--score", help="score column (flag a row iff score >= threshold)")
    m.add_argument("--label", help="actual outcome column")
    m.add_argument(
        "--positive", help="label value of the positive class, matched as text, case-insensitively"
    )
    m.add_argument("--challenger-score", metavar="COL", help="a second model's score column on the same rows")
    m.add_argument("--model", metavar="COL", help="column naming the model of each row (long format)")
    m.add_argument("--champion", metavar="VALUE", help="with --model: which model is the champion")
    m.add_argument(
        "--id",
        metavar="COL",
        help="column naming the event of each row (with --model: pairs the bootstrap by event)",
    )
    m.add_argument(
        "--segment", metavar="COL", action="append", default=[], help="break down by this column (repeatable)"
    )
    m.add_argument(
        "--time",
        metavar="COL",
        help="time column: dates, timestamps or period labels (may, 2026-05, 2026-Q1, 2026-W05, FY2026 Q2)",
    )
    m.add_argument("--period", choices=PERIODS, help="break down by period of --time")
    m.add_argument(
        "--time-year",
        type=int,
        metavar="YEAR",
        help="the year of a --time column of month names without a year (default: year not given)",
    )
    m.add_argument(
        "--time-zone",
        metavar="ZONE",
        help="zone to form periods of time-zone-aware --time values in, e.g. Europe/Paris "
        "(default: the zone a Parquet file records, else UTC)",
    )
    m.add_argument("--raw-scores", action="store_true", help="scores are margins/logits, not probabilities")
    m.add_argument(
        "--exclude-bad-scores",
        action="store_true",
        help="leave out rows with missing/NaN/out-of-range scores",
    )
    m.add_argument(
        "--segment-filter",
        metavar="COL=V1,V2",
        action="append",
        default=[],
        help="keep only these segment values",
    )
    m.add_argument("--from", dest="date_from", metavar="DATE", help="keep rows with time >= DATE")
    m.add_argument("--until", dest="date_until", metavar="DATE", help="keep rows with time < DATE")
    pay = p.add_argument_group("payoff (value of each outcome; gains positive, costs negative)")
    for outcome in ("tp", "fp", "tn", "fn"):
        pay.add_argument(f"--{outcome}", metavar="EXPR", help=f"value of a {outcome.upper()} row (default 0)")
    pay.add_argument(
        "--param", metavar="NAME=VALUE", action="append", default=[], help="named parameter (repeatable)"
    )
    pol = p.add_argument_group("thresholds and constraints")
    pol.add_argument(
        "--at",
        metavar="THRESHOLD",
        action="append",
        default=[],
        help="also report this threshold (repeatable)",
    )
    pol.add_argument("--capacity", metavar="N|P%", help="flag at most N rows, or P percent of rows")
    pol.add_argument("--min-precision", type=float, metavar="X")
    pol.add_argument("--min-recall", type=float, metavar="X")
    pol.add_argument("--max-fpr", type=float, metavar="X")
    cal = p.add_argument_group("label delay (estimate for rows not yet labelled)")
    cal.add_argument(
        "--calibration",
        choices=("none", "isotonic", "platt"),
        help="map scores to probabilities, fitted on the labelled rows (default isotonic)",
    )
    cal.add_argument(
        "--calibration-periods",
        type=int,
        metavar="N",
        help="fit the calibration on the last N labelled periods",
    )


def _add_decision_options(p: argparse.ArgumentParser, bootstrap_default: int) -> None:
    d = p.add_argument_group("uncertainty and sensitivity (docs/uncertainty.md)")
    d.add_argument(
        "--bootstrap",
        metavar="N",
        default=str(bootstrap_default),
        help=f"bootstrap replicates for intervals and P(challenger better); 0 = off (default {bootstrap_default})",
    )
    d.add_argument(
        "--seed", metavar="S", default=None, help="random seed (default fixed: same figures every run)"
    )
    d.add_argument("--confidence", metavar="C", default="0.9", help="interval confidence (default 0.9)")
    d.add_argument(
        "--range",
        metavar="NAME=LOW:HIGH",
        action="append",
        default=[],
        help="plausible range of a payoff parameter: tornado, break-even, Monte Carlo (repeatable)",
    )
    d.add_argument(
        "--promote-at",
        metavar="P",
        default="0.95",
        help="promote the challenger when P(challenger better) >= P, keep it out when <= 1-P (default 0.95)",
    )


def build_parser() -> _Parser:
    parser = _Parser(
        prog="roistudio",
        description="Model ROI Studio: what a classifier is worth in money.",
        epilog="Without a subcommand, opens the desktop app (optionally on a project, data file or roistudio:// link).",
    )
    parser.add_argument("--version", action="version", version=f"roistudio {__version__}")
    sub = parser.add_subparsers(dest="command")
    sweep = sub.add_parser("sweep", help="sweep thresholds and print the value curve in money")
    _add_analysis_options(sweep)
    sweep.add_argument(
        "--threshold", help="operating threshold (default: the best one, under constraints if given)"
    )
    sweep.add_argument("--json", metavar="PATH|-", help="write the full result as JSON to PATH or stdout")
    sweep.add_argument("--force", action="store_true", help="replace a write-protected output file")
    _add_decision_options(sweep, 0)
    report = sub.add_parser("report", help="write an Excel workbook and/or a PDF report")
    _add_analysis_options(report)
    report.add_argument(
        "--threshold", help="operating threshold (default: the best one, under constraints if given)"
    )
    report.add_argument("--title", help="report title")
    report.add_argument("--currency", default=None, help="ISO currency code for money: USD, EUR, GBP, JPY...")
    report.add_argument("--xlsx", metavar="PATH", help="write the workbook here")
    report.add_argument("--pdf", metavar="PATH", help="write the PDF report here")
    report.add_argument(
        "--json",
        metavar="PATH|-",
        help="also write the analysis behind the report as JSON (as roistudio sweep --json) to PATH or stdout",
    )
    report.add_argument("--force", action="store_true", help="replace write-protected output files")
    _add_decision_options(report, 1000)
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="roistudio", description="Open the Model ROI Studio desktop app.")
    parser.add_argument("--version", action="version", version=f"roistudio {__version__}")
    parser.add_argument("target", nargs="?", help="a .roiproj project, a data file or a roistudio:// link")
    parser.add_argument("--demo", action="store_true", help="open the bundled demo project, mapped and swept")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``roistudio`` command line with ``argv`` and return the exit code (the console
    script's :func:`console_main` ends the process with it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*SUBCOMMANDS, "-h", "--help"):
        args = build_gui_parser().parse_args(argv)
        from roistudio.gui.app import run_app

        return run_app(args.target, demo=args.demo)
    parser = build_parser()
    if argv[0] in SUBCOMMANDS:
        parser.command_prog = f"roistudio {argv[0]}"
    args = parser.parse_args(_join_negative_values(argv))
    from roistudio.cli.commands import run_command
    from roistudio.cli.report_output import writers_preloaded

    try:
        with _batch_gc(), writers_preloaded(args):
            code = run_command(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk or a closed pipe shows here, not at interpreter exit
        return code
    except BaseException as exc:
        code, line = describe_failure(exc)
        if line:
            _print_error(f"roistudio {args.command}: {line}")
        if isinstance(exc, OSError):
            _silence_stdout()
        return code


def console_main() -> NoReturn:
    """The ``roistudio`` command (console script, ``python -m roistudio``, the bundles): :func:`main`,
    then the end of the process.

    After ``sweep`` or ``report`` on DuckDB, everything asked for is written, renamed into place
    and flushed, and no thread of ours is left; the process then ends with ``os._exit`` rather
    than the interpreter's teardown, which freed the million-odd objects a report leaves behind
    (analysis, bootstrap draws, charts, three libraries' modules) for about 0.25 s of the demo
    report's 3. The app and the Spark engine (a JVM to stop) end the usual way.
    """
    code = main()
    argv = sys.argv[1:]
    if argv and argv[0] in SUBCOMMANDS and not _on_spark(argv):
        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):  # a closed pipe: main() has reported what it could
                pass
        os._exit(code)
    sys.exit(code)


def _on_spark(argv: Sequence[str]) -> bool:
    """Whether the command ran on Spark (``main`` has parsed these arguments already)."""
    try:
        args, _ = build_parser().parse_known_args(_join_negative_values(list(argv)))
    except SystemExit:  # pragma: no cover - main() would have stopped on them first
        return True
    return getattr(args, "engine", None) == "spark"


@contextlib.contextmanager
def _batch_gc() -> Iterator[None]:
    """Cyclic garbage collection tuned for a one-shot batch command, restored afterwards.

    The libraries a report loads (pandas, DuckDB, matplotlib, reportlab, XlsxWriter) leave
    about a million long-lived objects that the collector would otherwise rescan every few
    thousand allocations while the writers create tens of thousands of small objects (about
    7% of ``report --demo``'s CPU time). Those objects are frozen (never scanned) and young
    collections run less often; cyclic garbage such as matplotlib figures is still collected.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def describe_failure(exc: BaseException) -> tuple[int, str | None]:
    """The exit code and the one stderr line for a failure that ended a command.

    Bad input (``RoiError``) is exit 2 with its own line; Ctrl-C or a DuckDB interrupt is 130;
    a closed pipe on stdout is 0 and silent (as ``head`` users expect); any other operating
    system error (disk full, a file removed mid-run) is exit 2 with its reason. Anything else
    is a bug: exit 1, still one line, naming the exception.
    """
    import duckdb

    from roistudio.core.errors import Cancelled, RoiError

    if isinstance(exc, RoiError):
        return exc.exit_code, str(exc).replace("\n", " ")
    if isinstance(exc, Cancelled):
        return 130, "cancelled"
    # DuckDB turns Ctrl-C during a query into InterruptException, or into a plain
    # RuntimeError("Query interrupted") when it fires while results are fetched.
    if isinstance(exc, KeyboardInterrupt | duckdb.InterruptException) or (
        type(exc) is RuntimeError and str(exc).startswith("Query interrupted")
    ):
        return 130, "interrupted"
    if isinstance(exc, BrokenPipeError):
        return 0, None
    if isinstance(exc, SystemExit):
        return (exc.code if isinstance(exc.code, int) else 1), None
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return 2, "cannot write: no space left on the device"
        where = f"{exc.filename}: " if exc.filename else ""
        return 2, f"{where}{(exc.strerror or str(exc)).lower()}"
    if isinstance(exc, duckdb.IOException):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return 2, f"cannot read the data: {first.removeprefix('IO Error: ')}"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return 1, f"internal error: {type(exc).__name__}: {first} (please report this)"


def _print_error(line: str) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(line, file=sys.stderr, flush=True)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


if __name__ == "__main__":
    console_main()
