"""A small in-memory workbook the sheet writers fill, rendered in one pass with XlsxWriter.

Why a buffer: XlsxWriter writes a cell, its type and its format in one call and cannot read
back, while the sheet writers build a sheet in steps (a value, then a font, a fill, a border,
a merge). :class:`Sheet` keeps openpyxl's 1-based ``ws.cell(row, column)`` addressing and the
style attributes (``font``, ``fill``, ``alignment``, ``border``, ``number_format``) so the sheet
modules read as before; :meth:`Book.save` turns every distinct style into one XlsxWriter format
and writes each cell with the writer of its type:

- numbers with ``write_number``, dates with ``write_datetime``;
- text with ``write_string`` only, never ``write()`` (which would turn ``"=..."`` into a
  formula): data text stays text (formula injection, see :mod:`roistudio.reports.cells`);
- formulas with ``write_formula(..., value=)``: every formula carries its computed value, so a
  reader that does not recalculate (pandas, file previews, viewers) sees the numbers.

Charts are :class:`ChartSpec` records (kind, series over cell ranges, axes), created when the
workbook is saved, since an XlsxWriter chart belongs to its workbook.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import xlsxwriter
from xlsxwriter.utility import quote_sheetname, xl_col_to_name

from roistudio.reports.xlsx.worksheet import (
    FormulaColumn,
    NumberColumn,
    ReportWorksheet,
    use_quick_zip,
    write_columns,
)


@dataclass(frozen=True)
class Font:
    """A cell font (colour as ``RRGGBB``)."""

    name: str = "Calibri"
    size: float = 10
    bold: bool = False
    italic: bool = False
    color: str = "000000"


@dataclass(frozen=True)
class Fill:
    """A solid background colour (``RRGGBB``)."""

    color: str


@dataclass(frozen=True)
class Alignment:
    """Horizontal/vertical alignment, wrapping and indent of a cell."""

    horizontal: str | None = None  # "left" | "center" | "right"
    vertical: str | None = None  # "top" | "center"
    wrap_text: bool = False
    indent: int = 0


@dataclass(frozen=True)
class Border:
    """A bottom rule (the only border the workbook draws)."""

    style: str = "thin"  # "thin" | "medium"
    color: str = "D9D9D9"


_BORDER_CODES = {"thin": 1, "medium": 2}
# Everything that makes one XlsxWriter format: font, fill, alignment, border, number format, quote prefix.
StyleKey = tuple[Font | None, Fill | None, Alignment | None, Border | None, str | None, bool]
# Number of the paper in the spreadsheet page set-up: 1 = US Letter, 9 = A4.
LETTER, A4 = 1, 9


class Cell:
    """One cell: its kind (``n`` number, ``s`` text, ``f`` formula, ``a`` array formula, ``d`` date, None blank),
    its value (for a formula, the formula text; ``cached`` its computed value) and its style."""

    __slots__ = ("alignment", "border", "cached", "column", "fill", "font", "kind", "number_format",
                 "row", "value")  # fmt: skip

    def __init__(self, row: int, column: int) -> None:
        self.row, self.column = row, column
        self.kind: str | None = None
        self.value: Any = None
        self.cached: Any = None
        self.font: Font | None = None
        self.fill: Fill | None = None
        self.alignment: Alignment | None = None
        self.border: Border | None = None
        self.number_format: str | None = None

    @property
    def coordinate(self) -> str:
        return f"{xl_col_to_name(self.column - 1)}{self.row}"

    def style_key(self) -> StyleKey:
        quote = self.kind == "s" and str(self.value)[:1] in ("=", "+", "-", "@")
        return (self.font, self.fill, self.alignment, self.border, self.number_format, quote)


@dataclass(frozen=True)
class BlockColumn:
    """One column of a :class:`Block`: numbers, or formulas with their computed values.

    ``template`` is the formula of every row, ``ROW_TOKEN`` (see
    :mod:`roistudio.reports.xlsx.worksheet`) standing for the row's number; without it the
    column holds the numbers in ``values``. Values must be finite.
    """

    column: int  # 1-based
    values: Sequence[float]
    number_format: str | None = None
    font: Font | None = None
    template: str | None = None


@dataclass(frozen=True)
class Block:
    """Rows written in bulk from ``first_row`` down (1-based): thousands of rows without a
    :class:`Cell` each, rendered as XML when saved (see :func:`.worksheet.write_columns`)."""

    first_row: int
    columns: tuple[BlockColumn, ...]

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.columns[0].values) - 1


@dataclass(frozen=True)
class Range:
    """A block of cells on a sheet, 1-based and inclusive, for chart series."""

    sheet: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int

    def formula(self) -> list[object]:
        return [self.sheet, self.first_row - 1, self.first_col - 1, self.last_row - 1, self.last_col - 1]


@dataclass
class SeriesSpec:
    """One chart series: its values, its categories (x for scatter) and name."""

    values: Range
    categories: Range | None = None
    name: str | None = None
    name_ref: tuple[str, int, int] | None = None  # (sheet, row, col): the name read from a header cell
    color: str | None = None


@dataclass
class ChartSpec:
    """A native chart: ``scatter`` (lines), ``bar`` (horizontal) or ``column``."""

    kind: str
    title: str
    series: list[SeriesSpec] = field(default_factory=list)
    x_title: str = ""
    y_title: str = ""
    x_format: str | None = None
    y_format: str | None = None
    x_min: float | None = None
    x_max: float | None = None
    x_major: float | None = None
    x_date: bool = False
    reverse_categories: bool = False  # bar charts: the first category on top
    legend: bool = True
    width: float = 20  # cm, as openpyxl sized charts
    height: float = 10


class Sheet:
    """A worksheet being built: cells addressed ``cell(row, column)`` from 1, plus layout."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.cells: dict[tuple[int, int], Cell] = {}
        self.merges: list[tuple[int, int, int, int]] = []
        self.widths: dict[int, float] = {}
        self.heights: dict[int, float] = {}
        self.freeze: tuple[int, int] | None = None  # top-left unfrozen cell (row, col)
        self.tables: list[tuple[str, int, int, int, int]] = []  # name, first row/col, last row/col
        self.charts: list[tuple[int, int, ChartSpec]] = []
        self.landscape = True
        self.paper = A4
        self.print_area: tuple[int, int, int, int] | None = None
        self.repeat_rows: tuple[int, int] | None = None
        self.fit_tall = 0  # pages tall when fitting to one page wide; 0: as many as needed
        self.hidden = False
        self.column_groups: list[tuple[int, int]] = []  # collapsed outline groups of columns
        # Writers called with (XlsxWriter workbook, worksheet) after the cells: sheets of many
        # thousand rows (the Rows sheet) write those straight, without a Cell object each.
        self.bulk: list[Callable[[Any, Any], None]] = []
        self.blocks: list[Block] = []

    def cell(self, row: int, column: int) -> Cell:
        key = (row, column)
        found = self.cells.get(key)
        if found is None:
            found = self.cells[key] = Cell(row, column)
        return found

    def merge_cells(self, *, start_row: int, start_column: int, end_row: int, end_column: int) -> None:
        self.merges.append((start_row, start_column, end_row, end_column))

    def add_chart(self, chart: ChartSpec, row: int, column: int) -> None:
        self.charts.append((row, column, chart))

    def add_block(self, first_row: int, columns: Sequence[BlockColumn]) -> None:
        """Write ``columns`` from ``first_row`` down (rows holding no other cell)."""
        if columns and len(columns[0].values):
            self.blocks.append(Block(first_row, tuple(columns)))

    @property
    def max_row(self) -> int:
        cells = max((r for (r, _), c in self.cells.items() if c.kind is not None), default=1)
        return max([cells, *(b.last_row for b in self.blocks)])

    @property
    def max_column(self) -> int:
        """The last column holding a value or inside a merged range (text merged across columns)."""
        merged = max((m[3] for m in self.merges), default=1)
        return max(merged, max((k for (_, k), c in self.cells.items() if c.kind is not None), default=1))


class Book:
    """The workbook being built: sheets in order, defined names and document properties."""

    def __init__(self) -> None:
        self.sheets: list[Sheet] = []
        self.defined_names: list[tuple[str, str]] = []
        self.properties: dict[str, str] = {}
        self.custom_properties: dict[str, str] = {}

    def create_sheet(self, title: str) -> Sheet:
        sheet = Sheet(title)
        self.sheets.append(sheet)
        return sheet

    @property
    def sheetnames(self) -> list[str]:
        return [s.title for s in self.sheets]

    def __getitem__(self, title: str) -> Sheet:
        return next(s for s in self.sheets if s.title == title)

    def __iter__(self) -> Iterator[Sheet]:
        return iter(self.sheets)

    def define_name(self, name: str, reference: str) -> None:
        """A workbook-scope name, ``reference`` like ``'Assumptions'!$C$7``."""
        self.defined_names.append((name, reference))

    def save(self, target: str | os.PathLike[str] | IO[bytes]) -> None:
        """Render the workbook with XlsxWriter to a path or a binary file object."""
        use_quick_zip()
        options = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                   "strings_to_urls": False}  # fmt: skip
        wb = xlsxwriter.Workbook(os.fspath(target) if isinstance(target, os.PathLike) else target, options)
        formats: dict[StyleKey, Any] = {}

        def fmt(cell: Cell | StyleKey | None) -> Any:
            if cell is None:
                return None
            key = cell.style_key() if isinstance(cell, Cell) else cell
            if key not in formats:
                formats[key] = wb.add_format(_format_properties(*key))
            return formats[key]

        for sheet in self.sheets:
            ws = wb.add_worksheet(sheet.title, worksheet_class=ReportWorksheet)
            _render_sheet(wb, ws, sheet, fmt)
        for name, reference in self.defined_names:
            wb.define_name(name, f"={reference}")
        wb.set_properties(dict(self.properties))
        for name, value in self.custom_properties.items():
            wb.set_custom_property(name, value)
        wb.close()


def _format_properties(
    font: Font | None,
    fill: Fill | None,
    alignment: Alignment | None,
    border: Border | None,
    number_format: str | None,
    quote: bool,
) -> dict[str, object]:
    font = font or Font()
    props: dict[str, object] = {
        "font_name": font.name,
        "font_size": font.size,
        "font_color": "#" + font.color,
    }
    if font.bold:
        props["bold"] = True
    if font.italic:
        props["italic"] = True
    if fill is not None:
        props.update(pattern=1, bg_color="#" + fill.color)
    if alignment is not None:
        if alignment.horizontal:
            props["align"] = alignment.horizontal
        if alignment.vertical:
            props["valign"] = "vcenter" if alignment.vertical == "center" else alignment.vertical
        if alignment.wrap_text:
            props["text_wrap"] = True
        if alignment.indent:
            props["indent"] = alignment.indent
    if border is not None:
        props.update(bottom=_BORDER_CODES[border.style], bottom_color="#" + border.color)
    if number_format:
        props["num_format"] = number_format
    if quote:
        # Keeps Excel from making a formula of "=..." text when a user edits the cell.
        props["quote_prefix"] = True
    return props


def _render_sheet(wb: Any, ws: Any, sheet: Sheet, fmt: Any) -> None:
    ws.hide_gridlines(2)
    for col, width in sheet.widths.items():
        ws.set_column(col - 1, col - 1, width)
    for first, last in sheet.column_groups:
        for col in range(first, last + 1):
            ws.set_column(col - 1, col - 1, sheet.widths.get(col, 13), None, {"level": 1, "hidden": True})
        ws.outline_settings(True, True, False, False)  # the "+" at the left end of the group
    for row, height in sheet.heights.items():
        ws.set_row(row - 1, height)
    for first_row, first_col, last_row, last_col in sheet.merges:
        top = sheet.cells.get((first_row, first_col))
        ws.merge_range(first_row - 1, first_col - 1, last_row - 1, last_col - 1, "", fmt(top))
    for name, first_row, first_col, last_row, last_col in sheet.tables:
        headers = [sheet.cells.get((first_row, c)) for c in range(first_col, last_col + 1)]
        ws.add_table(first_row - 1, first_col - 1, last_row - 1, last_col - 1, {
            "name": name, "style": "Table Style Medium 2", "autofilter": True,
            "columns": [{"header": str(h.value) if h is not None else f"Column{j}",
                         "header_format": fmt(h)} for j, h in enumerate(headers, start=1)],
        })  # fmt: skip
    for (row, col), cell in sheet.cells.items():
        r, c, f = row - 1, col - 1, fmt(cell)
        if cell.kind == "n":
            ws.write_number(r, c, cell.value, f)
        elif cell.kind == "s":
            ws.write_string(r, c, cell.value, f)
        elif cell.kind == "f":
            ws.write_formula(r, c, cell.value, f, cell.cached)
        elif cell.kind == "a":  # an array formula in one cell, "{=...}"
            ws.write_array_formula(r, c, r, c, cell.value, f, cell.cached)
        elif cell.kind == "d":
            ws.write_datetime(r, c, dt.datetime.combine(cell.value, dt.time()), f)
        else:
            ws.write_blank(r, c, None, f)
    for block in sheet.blocks:
        columns: list[NumberColumn | FormulaColumn] = []
        for spec in block.columns:
            style = fmt((spec.font, None, None, None, spec.number_format, False))
            if spec.template is None:
                columns.append(NumberColumn(spec.column - 1, spec.values, style))
            else:
                columns.append(FormulaColumn(spec.column - 1, spec.values, style, template=spec.template))
        write_columns(ws, block.first_row - 1, columns)
    for write in sheet.bulk:
        write(wb, ws)
    if sheet.freeze is not None:
        ws.freeze_panes(sheet.freeze[0] - 1, sheet.freeze[1] - 1)
    for row, col, chart in sheet.charts:
        ws.insert_chart(row - 1, col - 1, _chart(wb, chart))
    if sheet.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(sheet.paper)
    ws.fit_to_pages(1, sheet.fit_tall)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.set_footer(f"&L&8{sheet.title.replace('&', '&&')}&R&8Page &P of &N")
    if sheet.hidden:
        ws.hide()
        if sheet.print_area is not None:  # printed only if a reader unhides it: its own area
            a = sheet.print_area
            ws.print_area(a[0] - 1, a[1] - 1, a[2] - 1, a[3] - 1)
        return
    area = sheet.print_area
    if area is None:
        area = (1, 1, sheet.max_row, sheet.max_column)
    ws.print_area(area[0] - 1, area[1] - 1, area[2] - 1, area[3] - 1)
    if sheet.repeat_rows is not None:
        ws.repeat_rows(sheet.repeat_rows[0] - 1, sheet.repeat_rows[1] - 1)


_CM = 37.8  # pixels per centimetre at 96 dpi


def _chart(wb: Any, spec: ChartSpec) -> Any:
    kind = {"scatter": {"type": "scatter", "subtype": "straight"}, "bar": {"type": "bar"},
            "column": {"type": "column"}}[spec.kind]  # fmt: skip
    chart = wb.add_chart(kind)
    palette = ["#1F4E78", "#C55A11", "#548235", "#7F6000"]
    for k, s in enumerate(spec.series):
        series: dict[str, object] = {"values": s.values.formula()}
        if s.categories is not None:
            series["categories"] = s.categories.formula()
        if s.name_ref is not None:
            series["name"] = [s.name_ref[0], s.name_ref[1] - 1, s.name_ref[2] - 1]
        elif s.name is not None:
            series["name"] = s.name
        color = s.color or palette[k % len(palette)]
        if spec.kind == "scatter":
            series["line"] = {"color": color, "width": 1.75}
            series["marker"] = {"type": "none"}
        else:
            series["fill"] = {"color": color}
            series["border"] = {"none": True}
        chart.add_series(series)
    chart.set_title({"name": spec.title, "name_font": {"size": 12, "bold": True}})
    x_axis: dict[str, object] = {"name": spec.x_title, "major_gridlines": {"visible": False},
                                 "label_position": "low"}  # fmt: skip
    y_axis: dict[str, object] = {"name": spec.y_title, "major_gridlines": {"visible": True,
                                 "line": {"color": "#E0E0E0"}}}  # fmt: skip
    if spec.x_format:
        x_axis["num_format"] = spec.x_format
    if spec.y_format:
        y_axis["num_format"] = spec.y_format
    for key, value in (("min", spec.x_min), ("max", spec.x_max), ("major_unit", spec.x_major)):
        if value is not None:
            x_axis[key] = value
    if spec.x_date:
        x_axis["date_axis"] = True
    if spec.kind == "bar":
        # XlsxWriter's bar chart: the x axis is the horizontal value axis, the y axis the categories.
        # Categories listed top-down need the value axis to cross at the last one, so it stays at the bottom.
        category: dict[str, object] = {"name": spec.x_title, "major_gridlines": {"visible": False}}
        if spec.reverse_categories:
            category.update(reverse=True, crossing="max")
        chart.set_x_axis(y_axis)
        chart.set_y_axis(category)
    else:
        chart.set_x_axis(x_axis)
        chart.set_y_axis(y_axis)
    chart.set_legend({"position": "bottom"} if spec.legend else {"none": True})
    chart.set_size({"width": spec.width * _CM, "height": spec.height * _CM})
    return chart


def sheet_ref(sheet: Sheet | str, row: int, col: int, *, absolute: bool = True) -> str:
    """``'Sheet'!$C$5`` (or ``'Sheet'!C5``) for a cell, for formulas on other sheets."""
    title = sheet.title if isinstance(sheet, Sheet) else sheet
    letter = xl_col_to_name(col - 1)
    body = f"${letter}${row}" if absolute else f"{letter}{row}"
    return f"{quote_sheetname(title)}!{body}"
