"""Import a prediction export (CSV/TSV/TXT, Parquet, XLSX) into a DuckDB table, with provenance.

Conventions
-----------
- Bad rows are never dropped silently: CSV rows DuckDB cannot parse or convert are kept out of the
  table *and* reported (:class:`RejectedRow`: physical 1-based line, column, value, DuckDB's message),
  counted in :attr:`ImportReport.rejected_count`.
- A column that is numeric except for a stray value or two (``abc`` in a score column) is read as
  numeric, so the stray rows are reported as rejected instead of turning the whole column into text.
  Columns whose values carry leading zeros (``00123``) always stay text.
- An import either completes or leaves the database as it was: the work runs in one transaction
  that is rolled back on failure or cancellation (a table it replaced comes back).
- Empty cells and ``NA``, ``N/A``, ``n/a``, ``NULL``, ``null``, ``#N/A`` read as missing (NULL).
- yes/no columns stay text as written (DuckDB would make them BOOLEAN); true/false become BOOLEAN.
- Every import is recorded in the table ``_roistudio_sources`` (one row per imported table).
- Error messages name the file as the user gave it (``str(path)``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import io
import os
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from roistudio.core.data import sniff
from roistudio.core.data.provenance import SourceInfo, check_source_file, file_stamp, verify_unchanged
from roistudio.core.data.sniff import CsvDialect
from roistudio.core.errors import Cancelled, DataError
from roistudio.core.progress import Progress, check_cancelled
from roistudio.core.sql import quote_ident, quote_literal

SOURCES_TABLE = "_roistudio_sources"
MAX_REPORTED = 100
# Rows read to decide column types; DuckDB's own sniffer samples about as many.
TYPE_SAMPLE_ROWS = 20_480
NULL_STRINGS = ("", "NA", "N/A", "n/a", "NULL", "null", "#N/A")
_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}


@dataclass(frozen=True)
class RejectedRow:
    """One problem found in one row of the file; the row is not in the table.

    Attributes
    ----------
    line
        1-based physical line in the file (a quoted field spanning lines counts them all);
        for XLSX the sheet row number.
    column
        The column concerned, when the problem is in one cell.
    value
        The bad cell value, or the raw line for a structural problem (wrong column count).
    message
        The reader's own message (DuckDB's for CSV).
    """

    line: int | None
    column: str | None
    value: str | None
    message: str

    def describe(self) -> str:
        """One human line, e.g. ``line 7, column 'score': could not convert 'abc' to DOUBLE``."""
        where = [f"line {self.line}"] if self.line is not None else []
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where) or 'somewhere'}: {_friendly(self)}"


def _friendly(row: RejectedRow) -> str:
    cast = re.search(r"to '?([A-Z]+)'?\s*$", row.message)
    if row.value is not None and row.column is not None and cast and "convert" in row.message.lower():
        return f"could not convert {row.value!r} to {cast.group(1)}"
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", row.message)
    if counts:
        return f"expected {counts.group(1)} columns, found {counts.group(2)}"
    if "unterminated quote" in row.message.lower():
        return "a quoted value is never closed"
    if "unicode" in row.message.lower() or "encod" in row.message.lower():
        return "the text is not valid UTF-8"
    return row.message.splitlines()[0] if row.message else "unreadable row"


@dataclass(frozen=True)
class ImportReport:
    """What an import did: where the data came from, what table holds it, what was rejected.

    ``rejected_count`` counts rejected rows; ``rejected`` lists the first 100 problems (a row with
    two bad cells gives two entries).
    """

    source: SourceInfo
    table: str
    format: str
    rows: int
    rejected_count: int
    rejected: tuple[RejectedRow, ...]
    columns: tuple[tuple[str, str], ...]
    encoding: str | None
    delimiter: str | None
    decimal: str | None
    imported_at: str
    seconds: float

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (nested ``source``, lists for tuples)."""
        data = asdict(self)
        data["source"] = self.source.to_dict()
        data["rejected"] = [asdict(row) for row in self.rejected]
        data["columns"] = [list(pair) for pair in self.columns]
        return data

    @staticmethod
    def from_dict(data: dict) -> ImportReport:
        """Inverse of :meth:`to_dict` (for reports kept beside a cached import)."""
        return ImportReport(
            source=SourceInfo.from_dict(data["source"]),
            table=str(data["table"]),
            format=str(data["format"]),
            rows=int(data["rows"]),
            rejected_count=int(data["rejected_count"]),
            rejected=tuple(RejectedRow(**row) for row in data["rejected"]),
            columns=tuple((str(name), str(kind)) for name, kind in data["columns"]),
            encoding=data.get("encoding"),
            delimiter=data.get("delimiter"),
            decimal=data.get("decimal"),
            imported_at=str(data["imported_at"]),
            seconds=float(data["seconds"]),
        )

    def summary_lines(self, max_details: int = 10) -> list[str]:
        """Human-readable lines for the GUI log, the CLI and report appendices."""
        lines = [f"{self.rows:,} rows imported from {self.source.name} into table '{self.table}'"]
        if self.rejected_count:
            noun = "row" if self.rejected_count == 1 else "rows"
            details = [row.describe() for row in self.rejected[:max_details]]
            lines.append(f"{self.rejected_count:,} {noun} rejected: {details[0]}" if details else "")
            lines.extend(details[1:])
            hidden = len(self.rejected) - len(details)
            if hidden > 0 or self.rejected_count > len(self.rejected):
                lines.append(f"... and more ({self.rejected_count:,} rejected rows in all)")
        return [line for line in lines if line]


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


def _reason(exc: BaseException) -> str:
    """DuckDB messages without the 'Invalid Input Error:' prefix, first line only."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"^[A-Za-z ]*Error:\s*", "", text)


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


# --------------------------------------------------------------------------------------------- CSV


@contextlib.contextmanager
def _utf8_copy(path: str | os.PathLike[str], dialect: CsvDialect, progress: Progress | None) -> Iterator[str]:
    """Yield a path DuckDB can read as UTF-8: the file itself, or a transcoded temporary copy.

    DuckDB reads UTF-8 and Latin-1 but not Windows-1252 (Latin-1 would turn "€" into a control
    character), so cp1252 text is transcoded chunk by chunk into a temporary file. Newlines map
    one to one, so line numbers stay those of the original file.
    """
    if dialect.encoding != sniff.CP1252:
        yield str(path)
        return
    fd, tmp = tempfile.mkstemp(prefix="roistudio-", suffix=".csv")
    try:
        decoder = codecs.getincrementaldecoder(sniff.CP1252)("strict")
        total = max(os.path.getsize(path), 1)
        done = 0
        with os.fdopen(fd, "wb") as out, sniff.open_binary(path) as src:
            while chunk := src.read(sniff.SCAN_CHUNK):
                try:
                    out.write(decoder.decode(chunk).encode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise sniff.encoding_error(path) from exc
                done += len(chunk)
                if progress is not None:
                    check_cancelled(progress)
                    progress.progress(0.3 + 0.2 * min(done / total, 1.0), "converting text to UTF-8")
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _read_csv_sql(dialect: CsvDialect, types: dict[str, str], extra: str = "") -> str:
    """``read_csv(?, ...)`` with the sniffed dialect; the path is bound as parameter 1."""
    options = [
        f"delim={quote_literal(dialect.delimiter)}",
        f"quote={quote_literal(dialect.quote)}",
        f"escape={quote_literal(dialect.quote)}",
        f"header={'true' if dialect.header else 'false'}",
        "nullstr=[" + ", ".join(quote_literal(s) for s in NULL_STRINGS) + "]",
        "encoding='utf-8'",
    ]
    if dialect.decimal == ",":
        options += ["decimal_separator=','", "thousands='.'"]
    if dialect.compression and dialect.encoding != sniff.CP1252:
        options.append(f"compression={quote_literal(dialect.compression)}")
    if types:
        pairs = ", ".join(f"{quote_literal(name)}: {quote_literal(kind)}" for name, kind in types.items())
        options.append("types={" + pairs + "}")
    if extra:
        options.append(extra)
    return "read_csv(?, " + ", ".join(options) + ")"


def _csv_types(con: duckdb.DuckDBPyConnection, csv_path: str, dialect: CsvDialect) -> dict[str, str]:
    """Type overrides on top of DuckDB's sniffer, decided on a sample of the rows.

    - a numeric column with leading-zero values (``00123``) becomes VARCHAR: it is an id;
    - a BOOLEAN column written as yes/no (or y/n, t/f) stays VARCHAR, as written;
    - a VARCHAR column whose values are all numbers but at most one (or 1%) becomes numeric,
      so the stray value is rejected and reported rather than making the column unusable.
    """
    # ignore_errors as in the import itself (store_rejects implies it), or malformed lines fail the sniff.
    try:
        sniffed = con.execute(
            f"DESCRIBE SELECT * FROM {_read_csv_sql(dialect, {}, 'ignore_errors=true')}", [csv_path]
        ).fetchall()
    except duckdb.InvalidInputException as exc:
        problem = _layout_problem(con, csv_path, dialect)
        if problem is None:
            raise
        raise _LayoutError(problem) from exc
    names = [row[0] for row in sniffed]
    kinds = {row[0]: str(row[1]) for row in sniffed}
    if not names:
        return {}
    # The sample is read as text; malformed lines are skipped here (they are reported by the import).
    sample = f"(SELECT * FROM {_read_csv_sql(dialect, {}, 'all_varchar=true, ignore_errors=true')} LIMIT {TYPE_SAMPLE_ROWS})"
    integer_pattern = (
        r"^[+-]?[0-9]{1,3}(\.[0-9]{3})*$|^[+-]?[0-9]+$" if dialect.decimal == "," else r"^[+-]?[0-9]+$"
    )
    parts = []
    for name in names:
        col = quote_ident(name)
        text = f"trim({col})"
        as_number = f"replace(replace({text}, '.', ''), ',', '.')" if dialect.decimal == "," else text
        parts += [
            f"count({col})",
            f"count(TRY_CAST({as_number} AS DOUBLE))",
            # Not TRY_CAST(... AS BIGINT): DuckDB rounds '0.91' to 1.
            f"count(*) FILTER (WHERE regexp_matches({text}, {quote_literal(integer_pattern)}))",
            f"count(*) FILTER (WHERE regexp_matches({text}, '^[+-]?0[0-9]'))",
            f"count(*) FILTER (WHERE lower({text}) NOT IN ('true', 'false'))",
        ]
    stats = con.execute(f"SELECT {', '.join(parts)} FROM {sample}", [csv_path]).fetchone()
    assert stats is not None
    overrides: dict[str, str] = {}
    for i, name in enumerate(names):
        n, numeric, integer, zeros, not_boolean = stats[5 * i : 5 * i + 5]
        kind = kinds[name]
        if zeros and kind.startswith(_NUMERIC_TYPES):
            overrides[name] = "VARCHAR"
        elif kind == "BOOLEAN" and not_boolean:
            # DuckDB reads yes/no, y/n, t/f as booleans; keep the labels the user knows ("yes").
            overrides[name] = "VARCHAR"
        elif kind == "VARCHAR" and not zeros and numeric:
            stray = n - numeric
            if 0 < stray <= max(1, n // 100) and numeric >= 4 * stray:
                overrides[name] = "BIGINT" if integer == numeric else "DOUBLE"
    return overrides


class _LayoutError(Exception):
    """DuckDB cannot work out the file's layout; ``problem`` is the first line it stumbles on."""

    def __init__(self, problem: RejectedRow) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _layout_problem(con: duckdb.DuckDBPyConnection, csv_path: str, dialect: CsvDialect) -> RejectedRow | None:
    """Find the first line that stops DuckDB's sniffer (typically an unclosed quote).

    Reads the file as plain text columns, without sniffing, and returns the first rejected line.
    """
    with sniff.open_binary(csv_path) as raw:
        reader = csv.reader(
            io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""),
            delimiter=dialect.delimiter,
            quotechar=dialect.quote,
        )
        try:
            width = len(next(reader))
        except (StopIteration, csv.Error, UnicodeDecodeError):
            return None
    suffix = uuid.uuid4().hex[:12]
    rejects, scans = f"_roistudio_rejects_{suffix}", f"_roistudio_scans_{suffix}"
    columns = "{" + ", ".join(f"'column{i}': 'VARCHAR'" for i in range(width)) + "}"
    extra = (
        f"auto_detect=false, columns={columns}, store_rejects=true, "
        f"rejects_table={quote_literal(rejects)}, rejects_scan={quote_literal(scans)}"
    )
    try:
        con.execute(f"SELECT count(*) FROM {_read_csv_sql(dialect, {}, extra)}", [csv_path]).fetchall()
        _, problems = _collect_rejects(con, rejects, csv_path, dialect)
    except duckdb.Error:
        return None
    finally:
        _drop_tables(con, rejects, scans)
    # The columns here are placeholders; a layout problem belongs to the line, not to a column.
    return dataclasses.replace(problems[0], column=None) if problems else None


def _drop_tables(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")


def _physical_lines(csv_path: str, offsets: list[int], compression: str | None) -> dict[int, int]:
    """Map byte offsets of rejected lines to 1-based physical line numbers.

    DuckDB's ``line`` counts records, so a quoted field spanning lines shifts it; counting the
    newlines before the line's byte offset gives the line a text editor shows. DuckDB's offset can
    point one byte into the line, never before its newline, so the byte at the offset is counted too.
    """
    wanted = sorted(set(offsets))
    found: dict[int, int] = {}
    if not wanted:
        return found
    newlines, position, k = 0, 0, 0
    with sniff.open_binary(csv_path) if compression else open(csv_path, "rb") as handle:
        while k < len(wanted) and (chunk := handle.read(sniff.SCAN_CHUNK)):
            end = position + len(chunk)
            while k < len(wanted) and wanted[k] + 1 <= end:
                found[wanted[k]] = newlines + chunk.count(b"\n", 0, wanted[k] + 1 - position) + 1
                k += 1
            newlines += chunk.count(b"\n")
            position = end
    return found


def _field(csv_line: str, index: int | None, dialect: CsvDialect) -> str | None:
    if index is None or index < 1:
        return None
    try:
        row = next(
            csv.reader(
                io.StringIO(csv_line.strip("\r\n")), delimiter=dialect.delimiter, quotechar=dialect.quote
            )
        )
    except (csv.Error, StopIteration):
        return None
    return row[index - 1] if index <= len(row) else None


def _collect_rejects(
    con: duckdb.DuckDBPyConnection, rejects: str, csv_path: str, dialect: CsvDialect
) -> tuple[int, tuple[RejectedRow, ...]]:
    table = quote_ident(rejects)
    count_row = con.execute(f"SELECT count(DISTINCT (file_id, line)) FROM {table}").fetchone()
    count = int(count_row[0]) if count_row else 0
    if not count:
        return 0, ()
    rows = con.execute(
        f"SELECT line, line_byte_position, column_idx, column_name, error_type, csv_line, error_message "
        f"FROM {table} ORDER BY line, column_idx LIMIT {MAX_REPORTED}"
    ).fetchall()
    offsets = [int(r[1]) for r in rows if r[1] is not None]
    lines = _physical_lines(
        csv_path, offsets, dialect.compression if dialect.encoding != sniff.CP1252 else None
    )
    out = []
    for line, offset, column_idx, column_name, error_type, csv_line, message in rows:
        physical = max(int(line), lines.get(int(offset), 0)) if offset is not None else int(line)
        if error_type == "CAST":
            value = _field(csv_line or "", column_idx, dialect)
            column = column_name
        else:
            value = (csv_line or "").strip("\r\n")[:200] or None
            column = column_name if error_type not in ("TOO MANY COLUMNS", "MISSING COLUMNS") else None
        out.append(RejectedRow(physical, column, value, str(message)))
    return count, tuple(out)


def _import_csv(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike[str],
    target: str,
    dialect: CsvDialect,
    progress: Progress | None,
) -> tuple[int, tuple[RejectedRow, ...]]:
    """CREATE OR REPLACE TABLE target from the CSV; returns (rejected_count, first rejected)."""
    suffix = uuid.uuid4().hex[:12]
    rejects, scans = f"_roistudio_rejects_{suffix}", f"_roistudio_scans_{suffix}"
    with _utf8_copy(path, dialect, progress) as csv_path:
        check_cancelled(progress)
        try:
            # A cursor has its own transaction: a failed sniff must not abort the import's one.
            with con.cursor() as cursor:
                types = _csv_types(cursor, csv_path, dialect)
        except _LayoutError as exc:
            raise DataError(f"{path}: cannot read the file: {exc.problem.describe()}") from exc
        check_cancelled(progress)
        if progress is not None:
            progress.progress(0.5, "reading rows")
        extra = (
            f"store_rejects=true, rejects_table={quote_literal(rejects)}, rejects_scan={quote_literal(scans)}"
        )
        try:
            con.execute(
                f"CREATE OR REPLACE TABLE {quote_ident(target)} AS SELECT * FROM {_read_csv_sql(dialect, types, extra)}",
                [csv_path],
            )
            return _collect_rejects(con, rejects, csv_path, dialect)
        finally:
            _drop_tables(con, rejects, scans)


# -------------------------------------------------------------------------------------------- XLSX


def _check_xlsx(path: str | os.PathLike[str]) -> None:
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if not magic:
        raise DataError(f"{path}: the file is empty")
    if magic != b"PK\x03\x04":
        raise DataError(f"{path}: cannot read the file: not an XLSX workbook")


def _read_xlsx_rows(path: str | os.PathLike[str], nrows: int | None = None) -> list[list[object]]:
    from python_calamine import CalamineWorkbook  # local: only XLSX users pay for the import

    _check_xlsx(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=True, nrows=None if nrows is None else nrows + 1)
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise DataError(f"{path}: cannot read the file: {_reason(exc)}") from exc
    # Trailing all-empty rows carry no data.
    while rows and all(cell in (None, "") for cell in rows[-1]):
        rows.pop()
    return rows


def _unique_names(raw: list[object]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for i, value in enumerate(raw):
        base = _cell_text(value).strip() or f"column{i}"
        name, n = base, 1
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        names.append(name)
    return names


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _kind(value: object) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "num"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    return "str"


def _xlsx_frame(
    path: str | os.PathLike[str], rows: list[list[object]]
) -> tuple[pd.DataFrame, int, tuple[RejectedRow, ...]]:
    """Typed DataFrame from sheet rows, with the stray-value rows rejected like the CSV path."""
    if not rows:
        raise DataError(f"{path}: the file is empty")
    if len(rows) < 2:
        raise DataError(f"{path}: the file has a header but no data rows")
    names = _unique_names(rows[0])
    width = len(names)
    body = [list(r[:width]) + [None] * (width - len(r)) for r in rows[1:]]
    raw = pd.DataFrame(body, columns=names, dtype=object)
    columns: dict[str, pd.Series] = {}
    bad = np.zeros(len(raw), dtype=bool)
    problems: list[tuple[int, RejectedRow]] = []
    for name in names:
        col = raw[name]
        kinds = col.map(_kind)
        counts = kinds.value_counts()
        present = int(len(col) - counts.get("none", 0))
        numbers = int(counts.get("num", 0))
        stray = present - numbers
        mostly_numbers = numbers and 0 < stray <= max(1, present // 100) and numbers >= 4 * stray
        if present and (numbers == present or mostly_numbers):
            wrong = (kinds != "num") & (kinds != "none")
            for pos in np.flatnonzero(wrong.to_numpy()):
                value = _cell_text(col.iloc[pos])
                message = f"Could not convert {value!r} to 'DOUBLE'"
                problems.append((int(pos), RejectedRow(int(pos) + 2, name, value, message)))
            bad |= wrong.to_numpy()
            columns[name] = pd.to_numeric(col.where(kinds == "num"), errors="coerce").astype("float64")
        elif present and counts.get("bool", 0) == present:
            columns[name] = col.astype("boolean")
        elif present and counts.get("datetime", 0) + counts.get("date", 0) == present:
            columns[name] = pd.to_datetime(col.where(kinds != "none"))
        else:
            columns[name] = col.map(lambda v: None if v is None or v == "" else _cell_text(v)).astype(
                "string"
            )
    frame = pd.DataFrame(columns)[~bad].reset_index(drop=True)
    problems.sort(key=lambda item: item[0])
    rejected_count = int(bad.sum())
    return frame, rejected_count, tuple(row for _, row in problems[:MAX_REPORTED])


def _import_xlsx(
    con: duckdb.DuckDBPyConnection, path: str | os.PathLike[str], target: str
) -> tuple[int, tuple[RejectedRow, ...]]:
    frame, rejected_count, rejected = _xlsx_frame(path, _read_xlsx_rows(path))
    view = f"_roistudio_xlsx_{uuid.uuid4().hex[:12]}"
    # Whole-number columns become BIGINT so ids and counts do not show as 3.0.
    select = []
    for name in frame.columns:
        col = frame[name]
        ident = quote_ident(str(name))
        whole = col.dtype == "float64" and bool(np.all(np.isnan(col) | (col == np.round(col))))
        select.append(f"CAST({ident} AS BIGINT) AS {ident}" if whole and col.notna().any() else ident)
    con.register(view, frame)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {quote_ident(target)} AS SELECT {', '.join(select)} FROM {view}"
        )
    finally:
        con.unregister(view)
    return rejected_count, rejected


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


def _import_parquet(con: duckdb.DuckDBPyConnection, path: Path, target: str, materialize: bool) -> None:
    absolute = str(path.resolve())
    if materialize:
        con.execute(
            f"CREATE OR REPLACE TABLE {quote_ident(target)} AS SELECT * FROM read_parquet(?)", [absolute]
        )
    else:
        # A view cannot hold a bound parameter, so the path is an escaped SQL string literal.
        con.execute(
            f"CREATE OR REPLACE VIEW {quote_ident(target)} AS SELECT * FROM read_parquet({quote_literal(absolute)})"
        )


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
    materialize: bool = True,
    progress: Progress | None = None,
    source: SourceInfo | None = None,
) -> ImportReport:
    """Load a CSV/TSV/TXT (optionally ``.gz``), Parquet or XLSX file into DuckDB.

    Parameters
    ----------
    con
        The DuckDB connection that will own the table. It must not be inside a transaction.
    path
        The file; error messages name it exactly as given.
    table
        Name of the table (or view) to create or replace.
    materialize
        For Parquet only: False creates a VIEW over ``read_parquet`` so huge files are never
        loaded; CSV and XLSX are always loaded into a table.
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
    source_path = _check_readable(path)
    fmt = detect_format(path)
    stamp = file_stamp(check_source_file(source_path))
    check_cancelled(progress)
    if source is None:
        if progress is not None:
            progress.progress(0.0, "fingerprinting the file")
        try:
            source = SourceInfo.of(source_path, progress=_Scaled(progress, 0.0, 0.3) if progress else None)
        except PermissionError as exc:
            raise DataError(f"{name}: cannot read the file: permission denied") from exc
    if source.size == 0:
        raise DataError(f"{name}: the file is empty")

    dialect: CsvDialect | None = None
    if fmt == "csv":
        dialect = sniff.sniff_csv(path)
    elif fmt == "parquet":
        _check_parquet(path)
    check_cancelled(progress)

    con.execute("BEGIN TRANSACTION")
    try:
        rejected_count, rejected = 0, ()
        if fmt == "csv":
            assert dialect is not None
            rejected_count, rejected = _import_csv(con, path, table, dialect, progress)
        elif fmt == "xlsx":
            rejected_count, rejected = _import_xlsx(con, path, table)
        else:
            _import_parquet(con, source_path, table, materialize)
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
        if materialize or fmt != "parquet":
            # The fingerprint must be of what was read (a Parquet view is read later: its
            # caller verifies the stamp after the analysis).
            verify_unchanged(source_path, stamp)
        con.execute("COMMIT")
    except duckdb.InterruptException as exc:
        _rollback(con)
        raise Cancelled() from exc
    except (Cancelled, DataError):
        _rollback(con)
        raise
    except duckdb.Error as exc:
        _rollback(con)
        raise DataError(f"{name}: cannot read the file: {_reason(exc)}") from exc
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
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


class _Scaled:
    """Maps a sub-task's progress [0, 1] onto [start, stop] of the whole import."""

    def __init__(self, inner: Progress, start: float, stop: float) -> None:
        self._inner, self._start, self._stop = inner, start, stop

    def progress(self, fraction: float, text: str = "") -> None:
        self._inner.progress(self._start + (self._stop - self._start) * fraction, text)

    def cancelled(self) -> bool:
        return self._inner.cancelled()


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
        frame, _, _ = _xlsx_frame(path, _read_xlsx_rows(path, nrows=n))
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
            types = _csv_types(con, tmp, head)
            sql = f"SELECT * FROM {_read_csv_sql(head, types, 'ignore_errors=true')} LIMIT ?"
            return con.execute(sql, [tmp, n]).df()
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    except _LayoutError as exc:
        raise DataError(f"{path}: cannot read the file: {exc.problem.describe()}") from exc
    except duckdb.Error as exc:
        raise DataError(f"{path}: cannot read the file: {_reason(exc)}") from exc
    finally:
        con.close()
