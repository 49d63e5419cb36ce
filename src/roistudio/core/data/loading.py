"""Loading a data file for analysis: import it (or attach the cached copy) and count distinct values.

This is the one job behind File > Open data, opening a project and the demo: the import itself
(:func:`roistudio.core.data.importer.import_file`), the import cache lookup keyed by the file's
SHA-256 (:class:`roistudio.core.data.import_cache.ImportCache`), and the approximate distinct
count per column that the mapping proposal needs. Runs on whatever thread owns the connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from roistudio.core.progress import Progress

if TYPE_CHECKING:
    from roistudio.core.data.importer import ImportReport
    from roistudio.core.data.periods import TimeColumn
    from roistudio.core.data.provenance import SourceInfo

TABLE = "data"


@dataclass(frozen=True)
class ImportResult:
    """An import and what the mapping proposal needs: the report and distinct counts per column."""

    report: ImportReport
    distinct: dict[str, int]
    # Which columns can be the time column, and why the others cannot (see
    # core.data.periods.time_column_candidates); None when not inspected yet.
    time_candidates: tuple[dict[str, TimeColumn], dict[str, str]] | None = None
    # The data's own time zone of zone-aware columns, where the file records it (Parquet).
    time_zones: dict[str, str] = field(default_factory=dict)


def import_data(
    con: Any,
    path: str,
    progress: Progress | None = None,
    *,
    table: str = TABLE,
    cache_dir: str | Path | None = None,
) -> ImportResult:
    """Import ``path`` into ``table`` and count distinct values per column.

    Parameters
    ----------
    con
        The DuckDB connection (its owner's thread).
    path
        A CSV/TSV, Parquet or XLSX file.
    progress
        Progress and cancellation (see :mod:`roistudio.core.progress`).
    table
        The table to create (replaced if it exists).
    cache_dir
        Folder of imports kept between sessions: an unchanged file (same SHA-256) imported
        before is attached from there instead of read again, and a new import is added to it.

    Returns
    -------
    ImportResult
        The import report, an approximate distinct count per column, the columns that can be
        the time column (and why the others cannot) and the data's own time zones.
    """
    from roistudio.core.data.import_cache import ImportCache
    from roistudio.core.data.importer import import_file
    from roistudio.core.data.periods import time_column_candidates
    from roistudio.core.data.profile import distinct_counts
    from roistudio.core.data.time_zones import data_time_zones

    cache = ImportCache(Path(cache_dir)) if cache_dir is not None else None
    source = _fingerprint(path, progress) if cache is not None else None
    report = cache.load(con, source, table) if cache is not None and source is not None else None
    if report is None:
        # materialize=None: Parquet files past PARQUET_LOAD_MAX_ROWS rows (and datasets) are
        # read in place, so opening 100M rows copies nothing into memory.
        report = import_file(con, path, table=table, progress=progress, source=source, materialize=None)
        if cache is not None:
            if progress is not None:
                progress.progress(1.0, "keeping a copy for the next time")
            cache.store(con, report)
    distinct = distinct_counts(con, table, [name for name, _ in report.columns])
    candidates = time_column_candidates(con, table, dict(report.columns), distinct)
    # A dataset's files share one schema: the first names the zone.
    first = report.source.files[0].path if report.source.files else report.source.path
    zones = data_time_zones(con, first, report.format)
    return ImportResult(report, distinct, candidates, zones)


def _fingerprint(path: str, progress: Progress | None) -> SourceInfo | None:
    """The file's SHA-256 fingerprint, with progress and Cancel.

    Taken once for the cache lookup and the import; ``None`` when the file cannot be read (the
    import then names the problem).
    """
    from roistudio.core.data.provenance import SourceInfo

    try:
        source = SourceInfo.of(path, progress=progress)
    except OSError:
        return None
    if progress is not None:
        progress.progress(0.3, "looking for a copy kept from the last import")
    return source
