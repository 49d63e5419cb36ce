"""What ``roistudio report`` writes: the workbook and the PDF, as one unit, then the summary."""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import re
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
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


_preload: threading.Thread | None = None
_WRITER_LIBRARIES = (
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "PIL.Image",
    "reportlab.platypus",
    "reportlab.pdfgen.canvas",
    "xlsxwriter",
)


def _import_writers() -> None:
    # Third-party libraries only: the main thread never imports these during the analysis, so
    # the two threads never wait on each other's module locks.
    for name in _WRITER_LIBRARIES:
        importlib.import_module(name)


@contextlib.contextmanager
def writers_preloaded(args: argparse.Namespace) -> Iterator[None]:
    """Import the PDF and workbook libraries on a thread while the command reads and analyses.

    DuckDB's queries and numpy's draws release the GIL, and the imports (about 0.4 s, more
    without bytecode) fill those gaps on the second core. The thread is joined before the
    report is written and, at the latest, when the command ends.
    """
    global _preload
    if getattr(args, "command", None) == "report" and (args.pdf or args.xlsx) and (os.cpu_count() or 1) > 1:
        _preload = threading.Thread(target=_import_writers, name="roistudio-preload", daemon=True)
        _preload.start()
    try:
        yield
    finally:
        _join_preload()


def _join_preload() -> None:
    global _preload
    if _preload is not None:
        _preload.join()
        _preload = None


def emit_report(
    args: argparse.Namespace,
    analysis: Analysis,
    report: ImportReport | SparkReadReport,
    con: duckdb.DuckDBPyConnection | None,
    extras: dict[str, Any],
    decision: Decision | None = None,
    label_delay: LabelDelay | None = None,
    build_model: Callable[[str, str], ReportModel] | None = None,
    figures: WorkbookFigures | None = None,
) -> int:
    """Write the workbook/PDF. Another engine (``con`` None) passes ``build_model(title, currency)``;
    DuckDB may pass the workbook's figures being read meanwhile (:class:`WorkbookFigures`)."""
    from roistudio.reports.model import build_project_report

    _join_preload()  # before any fork below: the copy must not inherit an import half done
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
        model = book_model = build_model(title, currency)
    else:
        # Only another engine passes no connection (and its own report); it passes build_model.
        assert con is not None and isinstance(report, ImportReport)
        model = build_project_report(
            con,
            analysis,
            report,
            title=title,
            currency=currency,
            live=False,  # the workbook's own figures are added below, to its model only
            label_delay=label_delay,
            decision=decision,
        )
        book_model = model
        if args.xlsx:
            from roistudio.reports.model import with_workbook_figures
            from roistudio.reports.workbook_figures import workbook_figures

            found = (
                figures.result() if figures is not None else workbook_figures(analysis, con, analysis.table)
            )
            book_model = with_workbook_figures(model, found)
    from roistudio.core.atomic import atomic_group

    # The workbook and the PDF are one unit: both are rendered to temporaries and renamed only
    # once both succeeded, so a failure never leaves a new workbook beside an old PDF.
    try:
        with atomic_group() as group:
            xlsx_path = group.stage(args.xlsx) if args.xlsx else None
            # With both files asked for, the workbook is written by a forked copy of this process
            # on the other core while this one writes the PDF (both are pure-Python work that
            # one process would do one after the other).
            # Not beside a Spark session (its JVM gateway and threads): a copy gains little there.
            parallel = con is not None
            child = (
                _fork_writer(book_model, xlsx_path)
                if parallel and xlsx_path is not None and args.pdf
                else None
            )
            try:
                if xlsx_path is not None and child is None:
                    _write_xlsx(book_model, xlsx_path)
                if args.pdf:
                    from roistudio.reports.pdf import write_pdf

                    # The later charts are rendered by another copy meanwhile (same reasons).
                    write_pdf(model, group.stage(args.pdf), parallel=parallel)
            except BaseException:
                if child is not None:
                    child.stop()
                raise
            if child is not None and not child.succeeded() and xlsx_path is not None:
                # Whatever stopped the copy (disk full, a bug), writing here raises it as usual.
                _write_xlsx(book_model, xlsx_path)
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


class WorkbookFigures:
    """The workbook's own figures (:func:`roistudio.reports.workbook_figures.workbook_figures`),
    read on a thread with a cursor of their own while the caller computes the decision figures.

    Those are scans of the data that DuckDB runs outside the GIL on the core the bootstrap
    leaves free (a third of a second on the demo, off the command's critical path). The thread
    ends before :meth:`result` or :meth:`cancel` returns, so nothing runs beside a later fork.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, analysis: Analysis) -> None:
        from roistudio.core.sql import session_cursor

        # A connection's queries must not run on two threads at once: a cursor of its own.
        self._cursor = session_cursor(con)
        self._analysis = analysis
        self._found: dict[str, Any] | None = None
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._read, name="roistudio-workbook-figures", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        from roistudio.reports.workbook_figures import workbook_figures

        try:
            self._found = workbook_figures(self._analysis, self._cursor, self._analysis.table)
        except BaseException as exc:  # handed to result(), on the caller's thread
            self._error = exc

    def result(self) -> dict[str, Any]:
        """Wait for the figures; an error reading them is raised here."""
        self._end()
        if self._error is not None:
            raise self._error
        assert self._found is not None
        return self._found

    def cancel(self) -> None:
        """Stop the reading (the command failed) and wait for the thread."""
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self._cursor.interrupt()
        self._end()

    def _end(self) -> None:
        self._thread.join()
        if not self._closed:
            self._closed = True
            with contextlib.suppress(Exception):
                self._cursor.close()


def _write_xlsx(model: ReportModel, path: Path) -> None:
    from roistudio.reports.xlsx import write_xlsx

    write_xlsx(model, path)


class _Child:
    """A forked copy of this process writing the workbook; :meth:`succeeded` waits for it."""

    def __init__(self, pid: int):
        self.pid = pid
        self._status: int | None = None

    def succeeded(self) -> bool:
        """Wait for the copy to end; True if it wrote the whole workbook."""
        if self._status is None:
            self._status = os.waitpid(self.pid, 0)[1]
        return os.waitstatus_to_exitcode(self._status) == 0

    def stop(self) -> None:
        """End the copy now (the pair failed anyway) and reap it."""
        if self._status is None:
            with contextlib.suppress(ProcessLookupError):  # the staged workbook goes with the group
                os.kill(self.pid, signal.SIGKILL)
            self._status = os.waitpid(self.pid, 0)[1]


def _fork_writer(model: ReportModel, path: Path) -> _Child | None:
    """Start writing the workbook in a forked child, or None where that is not possible or useful.

    Only on Linux with a core to spare (:func:`roistudio.reports.pdf.chart_images.spare_core`). The
    child is a copy of this process: it renders the workbook from the model already in memory to
    the staged path and ends with ``os._exit``
    (no interpreter shutdown, no flush of the parent's buffered output, no finaliser run).
    It touches neither DuckDB nor any other library's threads (the reason ``fork`` is safe
    here although DuckDB keeps a thread pool): XlsxWriter and ``zipfile`` are plain Python and
    zlib. The caller waits for it and, if it failed for any reason, writes the workbook itself,
    so an error reaches the user exactly as without the fork.
    """
    from roistudio.reports.pdf.chart_images import spare_core

    if not spare_core():
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    with warnings.catch_warnings():
        # Python 3.12+ warns on fork in a process with threads (DuckDB's pool): see above.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid:
        return _Child(pid)
    # No cyclic collection in the copy: it could finalise a garbage DuckDB object of the parent.
    gc.disable()
    code = 1
    try:
        _write_xlsx(model, path)
        code = 0
    finally:
        os._exit(code)  # also on an exception: the parent writes the workbook again and reports
