"""XLSX import: the first sheet, typed per column; cells that do not fit their column are rejected rows.

A column is numeric when its cells are numbers (a few stray text cells are reported as rejected
rows, by sheet row number), dates when they are dates, text otherwise. Whole-number columns become
``BIGINT`` so ids and counts do not show as ``3.0``.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from roistudio.core.data.import_report import MAX_REPORTED, RejectedRow, error_reason
from roistudio.core.errors import DataError
from roistudio.core.sql import quote_ident

__all__ = ["check_xlsx", "import_xlsx", "read_xlsx_rows", "xlsx_frame"]


def check_xlsx(path: str | os.PathLike[str]) -> None:
    """Refuse a file that is not an XLSX workbook (a ZIP archive), with one line naming it."""
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if not magic:
        raise DataError(f"{path}: the file is empty")
    if magic != b"PK\x03\x04":
        raise DataError(f"{path}: cannot read the file: not an XLSX workbook")


def read_xlsx_rows(path: str | os.PathLike[str], nrows: int | None = None) -> list[list[Any]]:
    """The first sheet's rows as Python values (header first), at most ``nrows`` data rows."""
    from python_calamine import CalamineWorkbook  # local: only XLSX users pay for the import

    check_xlsx(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=True, nrows=None if nrows is None else nrows + 1)
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise DataError(f"{path}: cannot read the file: {error_reason(exc)}") from exc
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


def xlsx_frame(
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


def import_xlsx(
    con: duckdb.DuckDBPyConnection, path: str | os.PathLike[str], target: str
) -> tuple[int, tuple[RejectedRow, ...]]:
    """CREATE OR REPLACE TABLE ``target`` from the first sheet; returns (rejected_count, first rejected)."""
    frame, rejected_count, rejected = xlsx_frame(path, read_xlsx_rows(path))
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
