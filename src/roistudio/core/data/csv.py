"""CSV/TSV/TXT import: column types, and rejected rows reported with their physical lines.

Conventions
-----------
- Bad rows are never dropped silently: rows DuckDB cannot parse or convert are kept out of the
  table *and* reported (:class:`~.import_report.RejectedRow`: physical 1-based line, column,
  value, DuckDB's message).
- A column that is numeric except for a stray value or two (``abc`` in a score column) is read as
  numeric, so the stray rows are reported as rejected instead of turning the whole column into text.
  Columns whose values carry leading zeros (``00123``) always stay text.
- Empty cells and ``NA``, ``N/A``, ``n/a``, ``NULL``, ``null``, ``#N/A`` read as missing (NULL).
- yes/no columns stay text as written (DuckDB would make them BOOLEAN); true/false become BOOLEAN.
- The file is decoded to a temporary UTF-8 copy first when it is not UTF-8, so every DuckDB
  version reads it the same way.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import io
import os
import tempfile
import uuid
from collections.abc import Iterator

import duckdb

from roistudio.core.column_types import is_numeric_type
from roistudio.core.data import sniff
from roistudio.core.data.import_report import MAX_REPORTED, RejectedRow
from roistudio.core.data.sniff import CsvDialect
from roistudio.core.errors import DataError
from roistudio.core.progress import Progress, check_cancelled
from roistudio.core.sql import quote_ident, quote_literal

__all__ = ["NULL_STRINGS", "TYPE_SAMPLE_ROWS", "LayoutError", "csv_types", "import_csv", "read_csv_sql"]

# Rows read to decide column types; DuckDB's own sniffer samples about as many.
TYPE_SAMPLE_ROWS = 20_480
NULL_STRINGS = ("", "NA", "N/A", "n/a", "NULL", "null", "#N/A")


@contextlib.contextmanager
def utf8_copy(path: str | os.PathLike[str], dialect: CsvDialect, progress: Progress | None) -> Iterator[str]:
    """Yield a path DuckDB can read as UTF-8: the file itself, or a transcoded temporary copy.

    DuckDB reads UTF-8 and Latin-1 but not Windows-1252 (Latin-1 would turn "€" into a control
    character), UTF-16 or other code pages, so such text is transcoded chunk by chunk into a
    temporary file. Newlines map one to one, so line numbers stay those of the original file.
    """
    if not sniff.needs_transcoding(dialect.encoding):
        yield str(path)
        return
    fd, tmp = tempfile.mkstemp(prefix="roistudio-", suffix=".csv")
    try:
        decoder = codecs.getincrementaldecoder(dialect.encoding)("strict")
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


def read_csv_sql(dialect: CsvDialect, types: dict[str, str], extra: str = "") -> str:
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
    if dialect.compression and not sniff.needs_transcoding(dialect.encoding):
        options.append(f"compression={quote_literal(dialect.compression)}")
    if types:
        pairs = ", ".join(f"{quote_literal(name)}: {quote_literal(kind)}" for name, kind in types.items())
        options.append("types={" + pairs + "}")
    if extra:
        options.append(extra)
    return "read_csv(?, " + ", ".join(options) + ")"


def csv_types(con: duckdb.DuckDBPyConnection, csv_path: str, dialect: CsvDialect) -> dict[str, str]:
    """Type overrides on top of DuckDB's sniffer, decided on a sample of the rows.

    - a numeric column with leading-zero values (``00123``) becomes VARCHAR: it is an id;
    - a BOOLEAN column written as yes/no (or y/n, t/f) stays VARCHAR, as written;
    - a VARCHAR column whose values are all numbers but at most one (or 1%) becomes numeric,
      so the stray value is rejected and reported rather than making the column unusable.
    """
    # ignore_errors as in the import itself (store_rejects implies it), or malformed lines fail the sniff.
    try:
        sniffed = con.execute(
            f"DESCRIBE SELECT * FROM {read_csv_sql(dialect, {}, 'ignore_errors=true')}", [csv_path]
        ).fetchall()
    except duckdb.InvalidInputException as exc:
        problem = _layout_problem(con, csv_path, dialect)
        if problem is None:
            raise
        raise LayoutError(problem) from exc
    names = [row[0] for row in sniffed]
    kinds = {row[0]: str(row[1]) for row in sniffed}
    if not names:
        return {}
    # The sample is read as text; malformed lines are skipped here (they are reported by the import).
    sample = f"(SELECT * FROM {read_csv_sql(dialect, {}, 'all_varchar=true, ignore_errors=true')} LIMIT {TYPE_SAMPLE_ROWS})"
    integer_pattern = (
        r"^[+-]?[0-9]{1,3}(\.[0-9]{3})*$|^[+-]?[0-9]+$" if dialect.decimal == "," else r"^[+-]?[0-9]+$"
    )
    # One pass over the sample in long form (column name, value): the cost grows with the cells,
    # not with the square of the columns, as one aggregate per column did (3,000 columns: minutes).
    text = "trim(v)"
    as_number = f"replace(replace({text}, '.', ''), ',', '.')" if dialect.decimal == "," else text
    long_sql = (
        f"WITH sample AS {sample}, long AS (UNPIVOT sample ON COLUMNS(*) INTO NAME name VALUE v) "
        f"SELECT name, count(v), count(TRY_CAST({as_number} AS DOUBLE)), "
        # Not TRY_CAST(... AS BIGINT): DuckDB rounds '0.91' to 1.
        f"count(*) FILTER (WHERE regexp_matches({text}, {quote_literal(integer_pattern)})), "
        f"count(*) FILTER (WHERE regexp_matches({text}, '^[+-]?0[0-9]')), "
        f"count(*) FILTER (WHERE lower({text}) NOT IN ('true', 'false')) "
        "FROM long GROUP BY name"
    )
    # UNPIVOT leaves out NULL cells, so a column without any value has no row: all counts 0.
    by_name = {row[0]: row[1:] for row in con.execute(long_sql, [csv_path]).fetchall()}
    overrides: dict[str, str] = {}
    for name in names:
        n, numeric, integer, zeros, not_boolean = by_name.get(name, (0, 0, 0, 0, 0))
        kind = kinds[name]
        if zeros and is_numeric_type(kind):
            overrides[name] = "VARCHAR"
        elif kind == "BOOLEAN" and not_boolean:
            # DuckDB reads yes/no, y/n, t/f as booleans; keep the labels the user knows ("yes").
            overrides[name] = "VARCHAR"
        elif kind == "VARCHAR" and not zeros and numeric:
            stray = n - numeric
            if 0 < stray <= max(1, n // 100) and numeric >= 4 * stray:
                overrides[name] = "BIGINT" if integer == numeric else "DOUBLE"
    return overrides


class LayoutError(Exception):
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
        con.execute(f"SELECT count(*) FROM {read_csv_sql(dialect, {}, extra)}", [csv_path]).fetchall()
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
        csv_path, offsets, None if sniff.needs_transcoding(dialect.encoding) else dialect.compression
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
        out.append(
            RejectedRow(physical, column, value, str(message), kind=str(error_type) if error_type else None)
        )
    return count, tuple(out)


def import_csv(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike[str],
    target: str,
    dialect: CsvDialect,
    progress: Progress | None,
) -> tuple[int, tuple[RejectedRow, ...]]:
    """CREATE OR REPLACE TABLE target from the CSV; returns (rejected_count, first rejected)."""
    suffix = uuid.uuid4().hex[:12]
    rejects, scans = f"_roistudio_rejects_{suffix}", f"_roistudio_scans_{suffix}"
    with utf8_copy(path, dialect, progress) as csv_path:
        check_cancelled(progress)
        try:
            # A cursor has its own transaction: a failed sniff must not abort the import's one.
            with con.cursor() as cursor:
                types = csv_types(cursor, csv_path, dialect)
        except LayoutError as exc:
            raise DataError(f"{path}: cannot read the file: {exc.problem.describe()}") from exc
        check_cancelled(progress)
        if progress is not None:
            progress.progress(0.5, "reading rows")
        extra = (
            f"store_rejects=true, rejects_table={quote_literal(rejects)}, rejects_scan={quote_literal(scans)}"
        )
        try:
            con.execute(
                f"CREATE OR REPLACE TABLE {quote_ident(target)} AS SELECT * FROM {read_csv_sql(dialect, types, extra)}",
                [csv_path],
            )
            return _collect_rejects(con, rejects, csv_path, dialect)
        finally:
            _drop_tables(con, rejects, scans)
