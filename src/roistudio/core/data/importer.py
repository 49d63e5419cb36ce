"""Import a prediction export (CSV/TSV/TXT, Parquet, XLSX) into a DuckDB table, with provenance.

This module dispatches on the format and reads Parquet itself; :mod:`.csv` and :mod:`.xlsx` read
the others, :mod:`.import_report` describes the result.

Conventions
-----------
- Bad rows are never dropped silently: rows that cannot be read are kept out of the table *and*
  reported (:class:`RejectedRow`), counted in :attr:`ImportReport.rejected_count`.
- An import either completes or leaves the database as it was: the work runs in one transaction
  that is rolled back on failure or cancellation (a table it replaced comes back).
- Every import is recorded in the table ``_roistudio_sources`` (one row per imported table).
- Error messages name the file as the user gave it (``str(path)``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from roistudio.core.data import sniff
from roistudio.core.data.csv import LayoutError, csv_types, import_csv, read_csv_sql
from roistudio.core.data.import_report import ImportReport, RejectedRow, error_reason
from roistudio.core.data.provenance import (
    SourceInfo,
    check_source_file,
    dataset_files,
    is_dataset,
    source_stamp,
    verify_source_unchanged,
)
from roistudio.core.data.sniff import CsvDialect
from roistudio.core.data.xlsx import import_xlsx, read_xlsx_rows, xlsx_frame
from roistudio.core.errors import Cancelled, DataError
from roistudio.core.progress import Progress, ScaledProgress, check_cancelled
from roistudio.core.sql import quote_ident, quote_literal, rollback

__all__ = [
    "SOURCES_TABLE",
    "ImportReport",
    "RejectedRow",
    "detect_format",
    "import_file",
    "preview",
    "record_source",
]

SOURCES_TABLE = "_roistudio_sources"

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}


def detect_format(path: str | os.PathLike[str]) -> str:
    """``"csv"``, ``"parquet"`` or ``"xlsx"`` from the file name (``.csv.gz`` etc. are CSV).

    Raises
    ------
    DataError
        ``"<path>: unknown format '.foo'; use CSV, TSV, Parquet or XLSX"``.
    """
    name = Path(path).name.lower()
    suffix = Path(name.removesuffix(".gz")).suffix if name.endswith(".gz") else Path(name).suffix
    fmt = _EXTENSIONS.get(suffix)
    if fmt is None or (name.endswith(".gz") and fmt != "csv"):
        shown = Path(path).suffix if not name.endswith(".gz") else suffix + ".gz"
        raise DataError(f"{path}: unknown format '{shown}'; use CSV, TSV, Parquet or XLSX")
    return fmt


def _check_readable(path: str | os.PathLike[str]) -> Path:
    check_source_file(path)  # never open a FIFO or a device: reading it would hang
    target = Path(path)
    if not target.exists():
        raise DataError(f"{path}: file not found")
    if target.is_dir():
        raise DataError(f"{path}: cannot read the file: it is a folder")
    try:
        with open(target, "rb") as handle:
            handle.read(1)
    except PermissionError as exc:
        raise DataError(f"{path}: cannot read the file: permission denied") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    return target


# ----------------------------------------------------------------------------------------- Parquet


def _check_parquet(path: str | os.PathLike[str]) -> None:
    size = os.path.getsize(path)
    if size == 0:
        raise DataError(f"{path}: the file is empty")
    with open(path, "rb") as handle:
        head = handle.read(4)
        handle.seek(max(size - 4, 0))
        tail = handle.read(4)
    if head != b"PAR1" or tail != b"PAR1":
        raise DataError(f"{path}: cannot read the file: not a Parquet file")


# Parquet files of at most this many rows are loaded into DuckDB when the caller lets the importer
# choose (``materialize=None``, the app): loaded data sweeps faster (and can be clustered by score).
# Larger files and datasets are read in place, so opening 100M rows costs neither the time to
# copy them nor gigabytes of memory. 10M rows of a few columns take a few hundred MB loaded.
PARQUET_LOAD_MAX_ROWS = 10_000_000


def _parquet_rows(con: duckdb.DuckDBPyConnection, files: list[Path]) -> int:
    """Rows in the files, from their footers (no data page is read)."""
    row = con.execute(
        "SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(?)", [[str(f) for f in files]]
    ).fetchone()
    return int(row[0]) if row else 0


def _import_parquet(
    con: duckdb.DuckDBPyConnection, files: list[Path], target: str, materialize: bool | None
) -> bool:
    """Create ``target`` over the files; True when the rows were loaded (False: a view)."""
    absolute = [str(f.resolve()) for f in files]
    if materialize is None:
        materialize = _parquet_rows(con, files) <= PARQUET_LOAD_MAX_ROWS
    if materialize:
        con.execute(
            f"CREATE OR REPLACE TABLE {quote_ident(target)} AS SELECT * FROM read_parquet(?)", [absolute]
        )
    else:
        # A view cannot hold a bound parameter, so each path is an escaped SQL string literal.
        # The files are listed one by one (never a glob in the SQL): what is read is exactly
        # what was fingerprinted.
        listed = ", ".join(quote_literal(a) for a in absolute)
        con.execute(f"CREATE OR REPLACE VIEW {quote_ident(target)} AS SELECT * FROM read_parquet([{listed}])")
    return materialize


# ----------------------------------------------------------------------------------------- Records


def record_source(con: duckdb.DuckDBPyConnection, report: ImportReport) -> None:
    """Keep the import's provenance in the database (table ``_roistudio_sources``)."""
    table = quote_ident(SOURCES_TABLE)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {table} ("
        '"table" VARCHAR PRIMARY KEY, path VARCHAR, name VARCHAR, size BIGINT, sha256 VARCHAR, '
        "rows BIGINT, rejected BIGINT, imported_at VARCHAR)"
    )
    con.execute(f'DELETE FROM {table} WHERE "table" = ?', [report.table])
    src = report.source
    con.execute(
        f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            report.table,
            src.path,
            src.name,
            src.size,
            src.sha256,
            report.rows,
            report.rejected_count,
            report.imported_at,
        ],
    )


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> tuple[tuple[str, str], ...]:
    rows = con.execute(f"DESCRIBE {quote_ident(table)}").fetchall()
    return tuple((str(r[0]), str(r[1])) for r in rows)


def import_file(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike[str],
    *,
    table: str = "data",
    materialize: bool | None = True,
    progress: Progress | None = None,
    source: SourceInfo | None = None,
) -> ImportReport:
    """Load a CSV/TSV/TXT (optionally ``.gz``), Parquet or XLSX file, or a Parquet dataset, into DuckDB.

    Parameters
    ----------
    con
        The DuckDB connection that will own the table. It must not be inside a transaction.
    path
        The file; error messages name it exactly as given. A folder or a glob pattern
        (``logs/*.parquet``) is a Parquet dataset: its files (:func:`~.provenance.dataset_files`)
        are read as one table and listed in the fingerprint.
    table
        Name of the table (or view) to create or replace.
    materialize
        For Parquet only: False creates a VIEW over ``read_parquet`` so huge files are never
        loaded; None loads files of at most :data:`PARQUET_LOAD_MAX_ROWS` rows and reads larger
        ones in place. CSV and XLSX are always loaded into a table.
    progress
        Optional progress/cancel sink. Cancellation is checked between steps; during the long
        DuckDB statement the caller cancels with ``con.interrupt()`` from another thread.
    source
        The file's fingerprint when the caller has just taken it (the import cache hashes the
        file first); hashed here otherwise.

    Returns
    -------
    ImportReport
        Rows, rejected rows, column types, the dialect used and the source fingerprint.

    Raises
    ------
    DataError
        One line naming the file: not found, empty, header only, unknown format, unreadable,
        unknown encoding, or every row rejected.
    Cancelled
        The user cancelled; the database is left as it was.
    """
    started = time.perf_counter()
    name = str(path)
    if is_dataset(path):
        parquet_files = dataset_files(path)
        source_path, fmt = Path(name), "parquet"
    else:
        source_path = _check_readable(path)
        fmt = detect_format(path)
        parquet_files = [source_path]
    stamp = source_stamp(path)  # every file read, stamped before it is read
    check_cancelled(progress)
    if source is None:
        if progress is not None:
            progress.progress(0.0, "fingerprinting the file")
        try:
            source = SourceInfo.of(
                source_path, progress=ScaledProgress(progress, 0.0, 0.3) if progress else None
            )
        except PermissionError as exc:
            raise DataError(f"{name}: cannot read the file: permission denied") from exc
    if source.size == 0:
        raise DataError(f"{name}: the file is empty")

    dialect: CsvDialect | None = None
    if fmt == "csv":
        dialect = sniff.sniff_csv(path)
    elif fmt == "parquet":
        for f in parquet_files:
            _check_parquet(path if f is source_path else f)  # a single file is named as given
    check_cancelled(progress)

    con.execute("BEGIN TRANSACTION")
    try:
        rejected_count, rejected = 0, tuple[RejectedRow, ...]()
        loaded = True
        if fmt == "csv":
            assert dialect is not None
            rejected_count, rejected = import_csv(con, path, table, dialect, progress)
        elif fmt == "xlsx":
            rejected_count, rejected = import_xlsx(con, path, table)
        else:
            loaded = _import_parquet(con, parquet_files, table, materialize)
        check_cancelled(progress)
        count_row = con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()
        rows = int(count_row[0]) if count_row else 0
        if rows == 0 and rejected:
            raise DataError(f"{name}: every data row was rejected; first: {rejected[0].describe()}")
        report = ImportReport(
            source=source,
            table=table,
            format=fmt,
            rows=rows,
            rejected_count=rejected_count,
            rejected=rejected,
            columns=_table_columns(con, table),
            encoding=dialect.encoding if dialect else None,
            delimiter=dialect.delimiter if dialect else None,
            decimal=dialect.decimal if dialect else None,
            imported_at=datetime.now(UTC).isoformat(timespec="seconds"),
            seconds=0.0,
        )
        record_source(con, report)
        check_cancelled(progress)
        if loaded:
            # The fingerprint must be of what was read (a Parquet view is read later: its
            # caller verifies the stamp after the analysis).
            verify_source_unchanged(path, stamp)
        con.execute("COMMIT")
    except duckdb.InterruptException as exc:
        _rollback(con)
        raise Cancelled() from exc
    except (Cancelled, DataError):
        _rollback(con)
        raise
    except duckdb.Error as exc:
        _rollback(con)
        raise DataError(f"{name}: cannot read the file: {error_reason(exc)}") from exc
    except BaseException:
        _rollback(con)
        raise
    if progress is not None:
        progress.progress(1.0, f"{rows:,} rows imported")
    return _with_seconds(report, time.perf_counter() - started)


def _with_seconds(report: ImportReport, seconds: float) -> ImportReport:
    data = {field: getattr(report, field) for field in report.__dataclass_fields__}
    data["seconds"] = round(seconds, 3)
    return ImportReport(**data)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    rollback(con)  # also when Cancel's interrupt lands on the ROLLBACK itself


# ----------------------------------------------------------------------------------------- Preview


def preview(path: str | os.PathLike[str], n: int = 50) -> pd.DataFrame:
    """The first ``n`` rows, typed as the import would type them, for the import wizard.

    Cheap on huge files: only the head is decoded and parsed. Malformed rows are skipped here
    (the import reports them).

    Raises
    ------
    DataError
        The same one-line errors as :func:`import_file`.
    """
    _check_readable(path)
    fmt = detect_format(path)
    if fmt == "xlsx":
        frame, _, _ = xlsx_frame(path, read_xlsx_rows(path, nrows=n))
        return frame.head(n)
    con = duckdb.connect()
    try:
        if fmt == "parquet":
            _check_parquet(path)
            return con.execute("SELECT * FROM read_parquet(?) LIMIT ?", [str(path), n]).df()
        dialect = sniff.sniff_csv(path, scan_limit=sniff.HEAD_BYTES)
        text, _ = sniff.read_head(path, dialect.encoding)
        # The head (already decoded) goes to a small temporary UTF-8 file DuckDB can type.
        fd, tmp = tempfile.mkstemp(prefix="roistudio-preview-", suffix=".csv")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            head = CsvDialect("utf-8", dialect.delimiter, dialect.quote, dialect.header, dialect.decimal)
            types = csv_types(con, tmp, head)
            sql = f"SELECT * FROM {read_csv_sql(head, types, 'ignore_errors=true')} LIMIT ?"
            return con.execute(sql, [tmp, n]).df()
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    except LayoutError as exc:
        raise DataError(f"{path}: cannot read the file: {exc.problem.describe()}") from exc
    except duckdb.Error as exc:
        raise DataError(f"{path}: cannot read the file: {error_reason(exc)}") from exc
    finally:
        con.close()
