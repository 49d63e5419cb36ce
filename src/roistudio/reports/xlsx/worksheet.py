"""Writing many cells to an XlsxWriter worksheet quickly: the workbook's long hidden sheets.

The Curves sheet (every point of every curve, some 260,000 cells on the demo) and the Rows
sheet are mostly numbers and formulas of one shape per column. XlsxWriter stores each cell as an
object and renders it with about ten Python calls (attribute escaping, reference building,
formatting); on the demo that was two thirds of the workbook's time. This module offers:

- :class:`ReportWorksheet`, the worksheet class every sheet uses. It skips XlsxWriter's
  function-name rewrite for formulas without a call, and renders a *block* of rows
  (:func:`write_columns`) as XML straight from column lists: one string-format operation per
  row, at the place XlsxWriter would write those rows.
- :func:`use_quick_zip`: the package compressed at zlib level 1 instead of 6. The demo's 18 MB
  of XML then takes 0.07 s instead of 0.25 s to compress, for a file of 3.1 MB instead of 2.5 MB.

The fast path relies on XlsxWriter internals (``table``, ``_check_dimensions``,
``_write_rows``, ``fh``) and falls back to the public calls when they are missing, so another
XlsxWriter release writes the same cells more slowly rather than a broken file; a test writes
one workbook both ways and compares every cell.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

__all__ = [
    "ROW_TOKEN",
    "BoolColumn",
    "FormulaColumn",
    "NumberColumn",
    "ReportWorksheet",
    "TextColumn",
    "use_quick_zip",
    "write_columns",
]

ZIP_LEVEL = 1

# In a FormulaColumn's template: the spreadsheet row number (1-based) of the cell.
ROW_TOKEN = "{row}"


@dataclass(frozen=True)
class NumberColumn:
    """A column of finite numbers from a block's first row down (``col`` 0-based; None: no cell)."""

    col: int
    values: Sequence[float | None]
    fmt: Any = None


@dataclass(frozen=True)
class TextColumn:
    """A column of text, stored as text whatever it starts with (None: no cell)."""

    col: int
    values: Sequence[str | None]
    fmt: Any = None


@dataclass(frozen=True)
class BoolColumn:
    """A column of TRUE/FALSE cells (None: no cell)."""

    col: int
    values: Sequence[bool | None]
    fmt: Any = None


@dataclass(frozen=True)
class FormulaColumn:
    """A column of formulas with their computed values, one per row of the block.

    ``template`` is one formula for every row, :data:`ROW_TOKEN` standing for the cell's row
    number (``"F{row}+rate*G{row}"``); ``texts`` gives each row its own formula instead (None: no
    cell). Neither starts with ``=``, and they call only functions every Excel version has (they
    are stored without XlsxWriter's ``_xlfn.`` rewrite, see :class:`ReportWorksheet`).
    """

    col: int
    cached: Sequence[float | None]
    fmt: Any = None
    template: str | None = None
    texts: Sequence[str | None] | None = None

    @property
    def values(self) -> Sequence[float | None]:
        return self.cached

    def formula(self, i: int, row_number: int) -> str | None:
        if self.texts is not None:
            return self.texts[i]
        assert self.template is not None
        return self.template.replace(ROW_TOKEN, str(row_number))


Column = NumberColumn | FormulaColumn | TextColumn | BoolColumn
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class ReportWorksheet(Worksheet):  # type: ignore[misc]
    """The worksheet class of every sheet in the workbook (see the module docstring)."""

    dim_rowmin: int | None  # XlsxWriter's: the first and last row holding anything
    dim_rowmax: int | None

    def __init__(self) -> None:
        super().__init__()
        # 0-based first and last row of each block written by write_columns, and its renderer.
        self.raw_blocks: list[tuple[int, int, Callable[[], str]]] = []

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        # XlsxWriter runs about 30 regular expressions over every formula to prefix newer
        # functions (``_xlfn.``); formulas without a call need none of that.
        if "(" not in formula:
            return formula[1:] if formula.startswith("=") else formula
        return str(super()._prepare_formula(formula, expand_future_functions))

    def _write_rows(self) -> None:
        # The rows outside the blocks are XlsxWriter's own (it writes rows in ascending order
        # over [dim_rowmin, dim_rowmax]); each block's XML goes in between, in row order.
        if not self.raw_blocks:
            super()._write_rows()
            return
        low, high = self.dim_rowmin, self.dim_rowmax
        assert low is not None and high is not None  # the blocks set them (write_columns)
        start = low
        try:
            for first, last, render in sorted(self.raw_blocks, key=lambda b: b[0]):
                clash = [r for r in self.table if first <= r <= last and self.table[r]]
                clash += [r for r in self.row_info if first <= r <= last]
                if clash or first < start:  # a cell or row format there, or blocks overlapping
                    raise ValueError(f"row {(min(clash) if clash else first) + 1} is written twice")
                if start < first:
                    self.dim_rowmin, self.dim_rowmax = start, first - 1
                    super()._write_rows()
                self.fh.write(render())
                start = last + 1
            if start <= high:
                self.dim_rowmin, self.dim_rowmax = start, high
                super()._write_rows()
        finally:
            self.dim_rowmin, self.dim_rowmax = low, high


def _fast(ws: Any) -> bool:
    return (
        isinstance(ws, ReportWorksheet)
        and callable(getattr(Worksheet, "_write_rows", None))
        and callable(getattr(ws, "_check_dimensions", None))
        and isinstance(getattr(ws, "table", None), dict)
    )


def write_columns(ws: Any, first_row: int, columns: Sequence[Column], *, fast: bool = True) -> None:
    """Write a block of rows from 0-based ``first_row``: each column's values down its rows.

    The columns have one length (the block's) and distinct ``col``; the block's rows must hold
    nothing else. Numbers and cached values must be finite (a spreadsheet has no NaN). With
    ``fast`` (and a :class:`ReportWorksheet` on a known XlsxWriter layout), the rows are
    rendered as XML when the workbook is saved; otherwise one public call per cell.
    """
    columns = sorted(columns, key=lambda c: c.col)
    lengths = {len(c.values) for c in columns}
    if not columns or lengths == {0}:
        return
    if len(lengths) != 1 or len({c.col for c in columns}) != len(columns):
        raise ValueError("the columns of a block need one length and distinct positions")
    (n,) = lengths
    for c in columns:
        if isinstance(c, NumberColumn | FormulaColumn) and not all(
            v is None or math.isfinite(v) for v in c.values
        ):
            raise ValueError(
                f"column {xl_col_to_name(c.col)}: a spreadsheet cell cannot hold NaN or infinity"
            )
    last = first_row + n - 1
    if not (fast and _fast(ws)):
        _write_each(ws, first_row, columns)
        return
    if ws._check_dimensions(first_row, columns[0].col) or ws._check_dimensions(last, columns[-1].col):
        return  # outside the sheet: XlsxWriter's own calls ignore such cells too
    ws.raw_blocks.append((first_row, last, lambda: _render(first_row, columns)))


def _write_each(ws: Any, first_row: int, columns: Sequence[Column]) -> None:
    for c in columns:
        for i, v in enumerate(c.values):
            r = first_row + i
            if isinstance(c, FormulaColumn):
                formula = c.formula(i, r + 1)
                if formula is not None and v is not None:
                    ws.write_formula(r, c.col, "=" + formula, c.fmt, v)
            elif v is None:
                continue
            elif isinstance(c, NumberColumn):
                ws.write_number(r, c.col, v, c.fmt)
            elif isinstance(c, TextColumn):
                ws.write_string(r, c.col, v, c.fmt)
            else:
                ws.write_boolean(r, c.col, v, c.fmt)


def _render(first_row: int, columns: Sequence[Column]) -> str:
    """The block's ``<row>`` elements (called at save, once the formats have their style numbers).

    Dense numbers and one-template formulas: one ``%`` format per row. Otherwise (text, booleans,
    per-row formulas, cells left out): one per cell, joined per row.
    """
    n = len(columns[0].values)
    rows = range(first_row + 1, first_row + n + 1)  # the spreadsheet's row numbers
    dense = all(
        isinstance(c, NumberColumn | FormulaColumn)
        and (isinstance(c, NumberColumn) or c.template is not None)
        and None not in c.values
        for c in columns
    )
    if dense:
        return _render_dense(rows, columns)
    cells = [_cells(rows, c) for c in columns]
    lines = zip(rows, zip(*cells, strict=True), strict=True)
    return "".join([f'<row r="{x}">{"".join(row)}</row>' for x, row in lines])


def _start(c: Column) -> str:
    style = f' s="{c.fmt._get_xf_index()}"' if c.fmt is not None else ""
    return f'<c r="{xl_col_to_name(c.col)}%d"{style}'


def _render_dense(rows: range, columns: Sequence[Column]) -> str:
    template = ['<row r="%d">']
    arguments: list[Sequence[Any]] = [rows]
    for c in columns:
        arguments.append(rows)
        if isinstance(c, NumberColumn):
            template.append(_start(c) + "><v>%.16G</v></c>")  # as XlsxWriter writes a number
            arguments.append(c.values)
            continue
        assert isinstance(c, FormulaColumn) and c.template is not None
        pieces = escape(c.template).replace("%", "%%").split(ROW_TOKEN)
        template.append(_start(c) + "><f>" + "%d".join(pieces) + "</f><v>%r</v></c>")
        arguments.extend([rows] * (len(pieces) - 1))
        # As XlsxWriter writes a formula's value (``str`` of a Python float).
        arguments.append([float(v) for v in c.cached])  # type: ignore[arg-type]  # dense: no None
    template.append("</row>")
    row_template = "".join(template)
    return "".join([row_template % args for args in zip(*arguments, strict=True)])


def _cells(rows: range, c: Column) -> list[str]:
    """One column's cells as XML, ``""`` where it has none."""
    start = _start(c)
    if isinstance(c, NumberColumn):
        number = start + "><v>%.16G</v></c>"
        return ["" if v is None else number % (x, v) for x, v in zip(rows, c.values, strict=True)]
    if isinstance(c, BoolColumn):
        boolean = start + ' t="b"><v>%d</v></c>'
        return ["" if v is None else boolean % (x, v) for x, v in zip(rows, c.values, strict=True)]
    if isinstance(c, TextColumn):
        text = start + ' t="inlineStr"><is><t%s>%s</t></is></c>'
        return ["" if v is None else text % (x, _preserve(v), _escape_text(v))
                for x, v in zip(rows, c.values, strict=True)]  # fmt: skip
    formula = start + "><f>%s</f><v>%r</v></c>"
    return [
        "" if v is None or (f := c.formula(i, x)) is None else formula % (x, escape(f), float(v))
        for i, (x, v) in enumerate(zip(rows, c.cached, strict=True))
    ]


def _preserve(text: str) -> str:
    """XlsxWriter's rule: keep leading or trailing whitespace."""
    return ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""


def _escape_text(text: str) -> str:
    """Text for a ``<t>`` element: XML escapes, control characters as Excel's ``_xHHHH_``."""
    text = escape(text)
    return _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text) if _CONTROL.search(text) else text


class _QuickZip(zipfile.ZipFile):
    """A zip file whose members are deflated at :data:`ZIP_LEVEL` unless a level is given."""

    def writestr(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: Any,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        level = ZIP_LEVEL if compresslevel is None else compresslevel
        super().writestr(zinfo_or_arcname, data, compress_type, level)


def use_quick_zip() -> None:
    """Have XlsxWriter package workbooks with :class:`_QuickZip` (idempotent).

    XlsxWriter has no compression option; it names ``zipfile.ZipFile`` in its ``workbook``
    module and passes each member as a ``ZipInfo`` without a level, so the public ``writestr``
    argument is where a level can be given. Only that name in that module changes, and only if
    it is still the standard class (another release keeps its own behaviour).
    """
    import xlsxwriter.workbook as module

    if getattr(module, "ZipFile", None) is zipfile.ZipFile:
        module.ZipFile = _QuickZip
