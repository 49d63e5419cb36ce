"""What an import did: :class:`ImportReport` (source, table, rows, column types, dialect) and its :class:`RejectedRow` list.

Shared by the CSV, XLSX and Parquet readers and by the import cache, which keeps reports beside
cached tables.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from roistudio.core.data.provenance import SourceInfo

__all__ = ["MAX_REPORTED", "ImportReport", "RejectedRow", "error_reason"]

MAX_REPORTED = 100  # rejected rows listed one by one; the count covers them all


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
    kind
        The reader's class of problem, when it gives one (DuckDB's ``error_type``: ``CAST``,
        ``TOO MANY COLUMNS``, ``MISSING COLUMNS``, ``UNQUOTED VALUE``, ``INVALID UNICODE``...).
        The user's line is chosen by this, not by the wording of ``message``, which changes
        between releases.
    """

    line: int | None
    column: str | None
    value: str | None
    message: str
    kind: str | None = None

    def describe(self) -> str:
        """One human line, e.g. ``line 7, column 'score': could not convert 'abc' to DOUBLE``."""
        where = [f"line {self.line}"] if self.line is not None else []
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where) or 'somewhere'}: {_friendly(self)}"


def _friendly(row: RejectedRow) -> str:
    kind = (row.kind or "").upper()
    if kind == "CAST" or (not kind and "convert" in row.message.lower()):
        # The target type is a detail read from the message when present; the sentence does not depend on it.
        cast = re.search(r"to '?([A-Z]+)'?\s*$", row.message)
        target = cast.group(1) if cast else "the column's type"
        if row.value is not None:
            return f"could not convert {row.value!r} to {target}"
    if kind in ("TOO MANY COLUMNS", "MISSING COLUMNS") or (not kind and "Number of Columns" in row.message):
        counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", row.message)
        if counts:
            return f"expected {counts.group(1)} columns, found {counts.group(2)}"
        return "too many columns" if kind == "TOO MANY COLUMNS" else "too few columns"
    if kind == "UNQUOTED VALUE" or (not kind and "unterminated quote" in row.message.lower()):
        return "a quoted value is never closed"
    if kind == "INVALID UNICODE" or (
        not kind and ("unicode" in row.message.lower() or "encod" in row.message.lower())
    ):
        return "the text is not valid UTF-8"
    return row.message.splitlines()[0] if row.message else "unreadable row"


@dataclass(frozen=True)
class ImportReport:
    """What an import did: where the data came from, what table holds it, what was rejected.

    ``rejected_count`` counts rejected rows; ``rejected`` lists the first :data:`MAX_REPORTED` problems (a row with
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

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (nested ``source``, lists for tuples)."""
        data = asdict(self)
        data["source"] = self.source.to_dict()
        data["rejected"] = [asdict(row) for row in self.rejected]
        data["columns"] = [list(pair) for pair in self.columns]
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ImportReport:
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

    def summary_lines(self, max_details: int = 10, *, with_table: bool = True) -> list[str]:
        """Human-readable lines for the GUI log, the CLI and report appendices.

        ``with_table=False`` leaves out the DuckDB table name, an internal name the app's user
        never deals with (the CLI's user names the table, so it is shown there).
        """
        into = f" into table '{self.table}'" if with_table else ""
        lines = [f"{self.rows:,} rows imported from {self.source.name}{into}"]
        if self.rejected_count:
            noun = "row" if self.rejected_count == 1 else "rows"
            details = [row.describe() for row in self.rejected[:max_details]]
            lines.append(f"{self.rejected_count:,} {noun} rejected: {details[0]}" if details else "")
            lines.extend(details[1:])
            hidden = len(self.rejected) - len(details)
            if hidden > 0 or self.rejected_count > len(self.rejected):
                lines.append(f"... and more ({self.rejected_count:,} rejected rows in all)")
        return [line for line in lines if line]


def error_reason(exc: BaseException) -> str:
    """A reader's message without its ``Invalid Input Error:`` prefix, first line only."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"^[A-Za-z ]*Error:\s*", "", text)
