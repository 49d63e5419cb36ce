"""Small cell and sheet helpers: numbers with formats, text as text, titles, tables, chart axes."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from openpyxl.chart import ScatterChart
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.table import Table
from openpyxl.worksheet.worksheet import Worksheet

from roistudio.reports.cells import safe_text, set_text
from roistudio.reports.model import ReportModel
from roistudio.reports.xlsx.style import (
    HEADER_FILL,
    HEADER_FONT,
    NOTE_FONT,
    SECTION_BORDER,
    SECTION_FONT,
    SUBTITLE_FONT,
    TABLE_STYLE,
    THRESHOLD,
    TITLE_FONT,
    VALUE_FONT,
    WRAP,
)


def put_number(cell, value: float | int | None, fmt: str, font: Font = VALUE_FONT) -> None:
    """Write a number (blank for None/NaN) with a number format."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        cell.value = None
    else:
        cell.value = int(value) if isinstance(value, (int, np.integer)) else float(value)
    cell.number_format = fmt
    cell.font = font


def put_formula(cell, formula: str, fmt: str, font: Font = VALUE_FONT) -> None:
    """Write a formula with a number format."""
    cell.value = formula
    cell.number_format = fmt
    cell.font = font


def put_text(cell, value: object, font: Font = VALUE_FONT) -> None:
    """Write text as text (never a formula), see :func:`roistudio.reports.cells.set_text`."""
    set_text(cell, value)
    cell.font = font


def put_threshold(cell, threshold: float | None) -> None:
    """Write a threshold as a number, or the words "flag nobody"."""
    if threshold is None:
        put_text(cell, "flag nobody")
    else:
        put_number(cell, threshold, THRESHOLD)


def absolute_ref(ws: Worksheet, row: int, col: int) -> str:
    """``'Sheet'!$C$5`` for a cell, for formulas on other sheets."""
    return f"{quote_sheetname(ws.title)}!${get_column_letter(col)}${row}"


def cell_ref(row: int, col: int) -> str:
    """``C5`` for a cell on the same sheet."""
    return f"{get_column_letter(col)}{row}"


def set_widths(ws: Worksheet, widths: dict[str, float]) -> None:
    """Set column widths by letter."""
    for col, width in widths.items():
        ws.column_dimensions[col].width = width


def prepare_sheet(ws: Worksheet, title: str, subtitle: str | None = None, *, landscape: bool = True) -> int:
    """Title, subtitle, no gridlines, print set-up; returns the next free row."""
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    put_text(ws.cell(1, 1), title, TITLE_FONT)
    ws.row_dimensions[1].height = 28
    if subtitle:
        put_text(ws.cell(2, 1), subtitle, SUBTITLE_FONT)
    return 4


def add_section(ws: Worksheet, row: int, text: str, last_col: int) -> int:
    """A section title with a rule under it; returns the next free row."""
    put_text(ws.cell(row, 1), text, SECTION_FONT)
    for c in range(1, last_col + 1):
        ws.cell(row, c).border = SECTION_BORDER
    ws.row_dimensions[row].height = 20
    return row + 1


def add_header_row(ws: Worksheet, row: int, headers: Sequence[str], start_col: int = 1) -> None:
    """A row of table headers in the header style."""
    for j, h in enumerate(headers):
        cell = ws.cell(row, start_col + j)
        put_text(cell, h, HEADER_FONT)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[row].height = 30


def add_paragraph(ws: Worksheet, row: int, text: str, last_col: int, font: Font, chars_per_line: int) -> int:
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
    ws.row_dimensions[row].height = lines * (font.size or 10) * 1.4 + 4
    return row + 1


def add_note(ws: Worksheet, row: int, text: str, last_col: int, chars_per_line: int = 140) -> int:
    """A small italic note that wraps; returns the next free row."""
    return add_paragraph(ws, row, text, last_col, NOTE_FONT, chars_per_line)


def add_excel_table(
    ws: Worksheet, name: str, first_row: int, last_row: int, first_col: int, last_col: int
) -> Table:
    """Make an Excel table (filter buttons, banded rows) over the given range."""
    ref = f"{cell_ref(first_row, first_col)}:{cell_ref(max(last_row, first_row + 1), last_col)}"
    table = Table(displayName=name, ref=ref, tableStyleInfo=TABLE_STYLE)
    ws.add_table(table)
    return table


def setup_axes(chart, x_title: str, y_title: str, y_format: str | None) -> None:
    """Titles, number format and visible axes for a native chart, legend at the bottom."""
    chart.x_axis.title = x_title
    chart.y_axis.title = y_title
    # openpyxl >= 3.1 marks axes deleted unless told otherwise; Excel then draws none.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    # Labels at the low end: with negative values the axis would otherwise sit at the top.
    chart.x_axis.tickLblPos = "low"
    chart.x_axis.majorGridlines = None
    if y_format:
        chart.y_axis.number_format = y_format
    chart.legend.position = "b"


def probability_axis(chart: ScatterChart, model: ReportModel) -> None:
    """Fix the x axis to [0, 1] when scores are probabilities."""
    if not model.analysis.request.mapping.raw_scores:
        chart.x_axis.scaling.min = 0
        chart.x_axis.scaling.max = 1
        chart.x_axis.majorUnit = 0.1
        chart.x_axis.number_format = "0.0"
