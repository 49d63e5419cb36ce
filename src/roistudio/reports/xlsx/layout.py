"""Small cell and sheet helpers: numbers with formats, text as text, titles, tables, chart axes."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from roistudio.reports.cells import safe_text
from roistudio.reports.model import ReportModel
from roistudio.reports.xlsx.book import Alignment, Cell, ChartSpec, Font, Sheet, sheet_ref
from roistudio.reports.xlsx.style import (
    HEADER_FILL,
    HEADER_FONT,
    NOTE_FONT,
    SECTION_BORDER,
    SECTION_FONT,
    SUBTITLE_FONT,
    THRESHOLD,
    TITLE_FONT,
    VALUE_FONT,
    WRAP,
)

Cached = float | int | str | None


def _finite(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and not math.isfinite(value))


def put_number(cell: Cell, value: float | int | None, fmt: str, font: Font = VALUE_FONT) -> None:
    """Write a number (blank for None/NaN) with a number format."""
    if not _finite(value):
        cell.kind, cell.value = None, None
    else:
        cell.kind = "n"
        cell.value = int(value) if isinstance(value, (int, np.integer)) else float(value)  # type: ignore[arg-type]
    cell.number_format = fmt
    cell.font = font


def put_formula(cell: Cell, formula: str, value: Cached, fmt: str, font: Font = VALUE_FONT) -> None:
    """Write a formula with its computed ``value`` (cached in the file) and a number format.

    Readers that do not recalculate (pandas, previews) show ``value``; a blank value is stored
    as empty text, never as a misleading 0.
    """
    # "{=...}": an array formula (evaluated over whole ranges, e.g. MAX(IF(condition, values))).
    cell.kind, cell.value = ("a" if formula.startswith("{=") else "f"), formula
    if isinstance(value, (np.integer, np.floating)):
        value = value.item()
    cell.cached = value if _finite(value) else ""
    cell.number_format = fmt
    cell.font = font


def put_text(cell: Cell, value: object, font: Font = VALUE_FONT) -> None:
    """Write text as text, never a formula, whatever it starts with (see :mod:`roistudio.reports.cells`)."""
    cell.kind, cell.value = "s", safe_text(value)
    cell.font = font


def put_date(cell: Cell, day: dt.date, fmt: str, font: Font = VALUE_FONT) -> None:
    """Write a date as a real date, so spreadsheets sort, filter and chart it as one."""
    cell.kind, cell.value = "d", day
    cell.number_format = fmt
    cell.font = font


def put_threshold(cell: Cell, threshold: float | None) -> None:
    """Write a threshold as a number, or the words "flag nobody"."""
    if threshold is None:
        put_text(cell, "flag nobody")
    else:
        put_number(cell, threshold, THRESHOLD)


def absolute_ref(ws: Sheet, row: int, col: int) -> str:
    """``'Sheet'!$C$5`` for a cell, for formulas on other sheets."""
    return sheet_ref(ws, row, col)


def column_letter(col: int) -> str:
    """``C`` for column 3."""
    return str(xl_col_to_name(col - 1))  # xlsxwriter is untyped


def cell_ref(row: int, col: int, *, absolute: bool = False) -> str:
    """``C5`` (or ``$C$5``) for a cell on the same sheet."""
    letter = column_letter(col)
    return f"${letter}${row}" if absolute else f"{letter}{row}"


def column_ref(col: int, first: int, last: int) -> str:
    """``$C$5:$C$90``: one column of a table, for MAX/INDEX/MATCH over it."""
    return f"{cell_ref(first, col, absolute=True)}:{cell_ref(last, col, absolute=True)}"


def set_widths(ws: Sheet, widths: dict[str, float]) -> None:
    """Set column widths by letter."""
    for col, width in widths.items():
        index = 0
        for ch in col:
            index = index * 26 + ord(ch.upper()) - 64
        ws.widths[index] = width


def prepare_sheet(
    ws: Sheet, title: str, subtitle: str | None = None, *, landscape: bool = True, one_page: bool = False
) -> int:
    """Title, subtitle, print set-up (one page wide; ``one_page``: one page tall too, for sheets
    whose print area is short, so a chart is never cut from its table); returns the next free row."""
    ws.landscape = landscape
    ws.fit_tall = 1 if one_page else 0
    put_text(ws.cell(1, 1), title, TITLE_FONT)
    ws.heights[1] = 28
    if subtitle:
        put_text(ws.cell(2, 1), subtitle, SUBTITLE_FONT)
    return 4


def add_section(ws: Sheet, row: int, text: str, last_col: int) -> int:
    """A section title with a rule under it; returns the next free row."""
    put_text(ws.cell(row, 1), text, SECTION_FONT)
    for c in range(1, last_col + 1):
        ws.cell(row, c).border = SECTION_BORDER
    ws.heights[row] = 20
    return row + 1


HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)


def add_header_row(ws: Sheet, row: int, headers: Sequence[str], start_col: int = 1) -> None:
    """A row of table headers in the header style."""
    for j, h in enumerate(headers):
        cell = ws.cell(row, start_col + j)
        put_text(cell, h, HEADER_FONT)
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGNMENT
    ws.heights[row] = 30


def add_paragraph(ws: Sheet, row: int, text: str, last_col: int, font: Font, chars_per_line: int) -> int:
    """Wrapped text merged across columns 1..last_col, with a row tall enough for its lines.

    Spreadsheets do not grow merged rows to fit wrapped text, so the height is estimated from
    the text length and the merged width (in characters of the default font).
    """
    cell = ws.cell(row, 1)
    put_text(cell, text, font)
    cell.alignment = WRAP
    if last_col > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
    # About 1.4 characters of 9 pt text per unit of column width; bold is a little wider.
    scale = (font.size or 10) / 13 * (1.1 if font.bold else 1.0)
    lines = max(1, math.ceil(len(safe_text(text)) * scale / max(chars_per_line, 1)))
    ws.heights[row] = lines * (font.size or 10) * 1.4 + 4
    return row + 1


def add_note(ws: Sheet, row: int, text: str, last_col: int, chars_per_line: int = 140) -> int:
    """A small italic note that wraps; returns the next free row."""
    return add_paragraph(ws, row, text, last_col, NOTE_FONT, chars_per_line)


def add_excel_table(
    ws: Sheet, name: str, first_row: int, last_row: int, first_col: int, last_col: int
) -> None:
    """Make an Excel table (filter buttons, banded rows) over the given range (header row first)."""
    ws.tables.append((name, first_row, first_col, max(last_row, first_row + 1), last_col))


def probability_axis(chart: ChartSpec, model: ReportModel) -> None:
    """Fix the x axis to [0, 1] when scores are probabilities."""
    if not model.analysis.request.mapping.raw_scores:
        chart.x_min, chart.x_max, chart.x_major, chart.x_format = 0, 1, 0.1, "0.0"
