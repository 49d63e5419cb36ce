"""User actions that run on the database worker: one typed function each (Anki's ``operations`` pattern).

Each function wraps one core call in one worker job and takes typed callbacks, run in the GUI
thread: ``on_done`` gets the core function's result, ``on_failure`` gets the one line the user
reads (never the exception object: a slot expecting text must get text). A caller names the
widget the callbacks update as ``owner`` when that widget can be deleted while the job runs (a
dialog), so the callbacks are skipped then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from roistudio.core.errors import RoiError

if TYPE_CHECKING:
    import pandas as pd
    from PySide6.QtCore import QObject

    from roistudio.core.data.filter_options import FilterOptions
    from roistudio.core.data.loading import ImportResult
    from roistudio.core.data.mapping import ColumnMapping
    from roistudio.core.data.periods import TimeColumn
    from roistudio.core.data.validation import ValidationReport
    from roistudio.gui.workers import DatabaseWorker, Job

T = TypeVar("T")
Failure = Callable[[str], None]
Progressed = Callable[[float, str], None]


def one_line(exc: BaseException) -> str:
    """The user-facing line of an error: a RoiError's or OSError's text, else the type and first line."""
    if isinstance(exc, RoiError | OSError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run(
    worker: DatabaseWorker,
    fn: Callable[[Any, Any], T],
    *,
    on_done: Callable[[T], None],
    on_failure: Failure,
    description: str = "",
    kind: str | None = None,
    on_cancel: Callable[[], None] | None = None,
    on_progress: Progressed | None = None,
    owner: QObject | None = None,
    failure_prefix: str = "",
) -> Job:
    """Run ``fn(con, progress)`` on the worker; ``on_failure`` gets ``failure_prefix`` + one line."""
    return worker.submit(
        fn,
        kind=kind,
        description=description,
        on_done=on_done,
        on_error=lambda exc: on_failure(failure_prefix + one_line(exc)),
        on_cancel=on_cancel,
        on_progress=on_progress,
        owner=owner,
    )


# -- data ------------------------------------------------------------------------------------------------
def load_data(
    worker: DatabaseWorker,
    path: str,
    *,
    table: str,
    cache_dir: str | Path | None,
    description: str,
    on_done: Callable[[ImportResult], None],
    on_failure: Failure,
    kind: str = "load",
    on_cancel: Callable[[], None] | None = None,
    on_progress: Progressed | None = None,
    owner: QObject | None = None,
) -> Job:
    """Import ``path`` into ``table`` (or attach its cached copy): :func:`roistudio.core.data.loading.import_data`."""
    from roistudio.core.data.loading import import_data

    return run(
        worker,
        lambda con, progress: import_data(con, path, progress, table=table, cache_dir=cache_dir),
        kind=kind, description=description, on_done=on_done, on_failure=on_failure,
        on_cancel=on_cancel, on_progress=on_progress, owner=owner,
    )  # fmt: skip


def read_preview(
    worker: DatabaseWorker,
    path: str,
    rows: int,
    *,
    on_done: Callable[[pd.DataFrame], None],
    on_failure: Failure,
    owner: QObject | None = None,
) -> Job:
    """The first ``rows`` rows of ``path`` as the import would type them (on the worker: the
    preview sniffs the file and types its head with DuckDB, which must not block the GUI)."""
    from roistudio.core.data.importer import preview

    return run(
        worker, lambda _con, _p: preview(path, n=rows), kind="preview", description="Reading the first rows",
        on_done=on_done, on_failure=on_failure, owner=owner,
    )  # fmt: skip


def check_mapping(
    worker: DatabaseWorker,
    table: str,
    mapping: ColumnMapping,
    *,
    on_done: Callable[[ValidationReport], None],
    on_failure: Failure,
    owner: QObject | None = None,
) -> Job:
    """Validate ``mapping`` on ``table``: :func:`roistudio.core.data.mapping.validate_mapping`."""
    from roistudio.core.data.validation import validate_mapping

    return run(
        worker, lambda con, _p: validate_mapping(con, table, mapping), kind="validate",
        description="Checking the mapping", on_done=on_done, on_failure=on_failure, owner=owner,
    )  # fmt: skip


def read_label_values(
    worker: DatabaseWorker,
    table: str,
    column: str,
    *,
    on_done: Callable[[list[tuple[object, int]]], None],
    owner: QObject | None = None,
) -> Job:
    """The values of a label column with their counts (most frequent first); a failure shows nothing."""
    from roistudio.core.data.validation import label_values
    from roistudio.core.sql import quote_ident

    return run(
        worker, lambda con, _p: label_values(con, quote_ident(table), column), kind="label-values",
        on_done=on_done, on_failure=lambda _text: None, owner=owner,
    )  # fmt: skip


def read_time_columns(
    worker: DatabaseWorker,
    table: str,
    columns: dict[str, str],
    distinct: dict[str, int],
    *,
    on_done: Callable[[tuple[dict[str, TimeColumn], dict[str, str]]], None],
    owner: QObject | None = None,
) -> Job:
    """Which columns can be the time column, and why the others cannot (a failure shows nothing):
    :func:`roistudio.core.data.periods.time_column_candidates`."""
    from roistudio.core.data.periods import time_column_candidates

    return run(
        worker, lambda con, _p: time_column_candidates(con, table, columns, distinct), kind="time-columns",
        on_done=on_done, on_failure=lambda _text: None, owner=owner,
    )  # fmt: skip


def read_filter_options(
    worker: DatabaseWorker, mapping: ColumnMapping, table: str, *, on_done: Callable[[FilterOptions], None]
) -> Job:
    """Segment values and date range for the filter bar; a failure leaves the filter bar as it is."""
    from roistudio.core.data.filter_options import filter_options

    return run(
        worker, lambda con, _p: filter_options(con, mapping, table), kind="options",
        on_done=on_done, on_failure=lambda _text: None,
    )  # fmt: skip


# -- the import cache -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CacheCleared:
    """What clearing the import cache did."""

    count: int
    freed_bytes: int


def clear_import_cache(
    worker: DatabaseWorker, folder: Path, *, on_done: Callable[[CacheCleared], None], on_failure: Failure
) -> Job:
    """Delete the cached imports in ``folder`` (the open project's copy stays until it closes)."""

    def clear(con: Any, _progress: Any) -> CacheCleared:
        from roistudio.core.data.import_cache import ImportCache

        count, freed = ImportCache(Path(folder)).clear(con)
        return CacheCleared(count, freed)

    return run(
        worker, clear, description="Clearing cached imports", on_done=on_done, on_failure=on_failure,
        failure_prefix="Clearing cached imports failed: ",
    )  # fmt: skip
