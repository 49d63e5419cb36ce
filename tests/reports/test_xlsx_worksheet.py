"""The workbook's fast cell writing: blocks rendered as XML, and the package's zip level.

A block written by :func:`write_columns` is rendered straight as ``<row>`` XML when the workbook
is saved. The same block written with XlsxWriter's public calls (``fast=False``) is the
reference: every cell's value, formula, cached value and number format must be the same, with
ordinary cells before, between and after the blocks.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

import openpyxl
import pytest
import xlsxwriter
import xlsxwriter.workbook

from roistudio.reports.xlsx.book import Book
from roistudio.reports.xlsx.worksheet import (
    ZIP_LEVEL,
    BoolColumn,
    FormulaColumn,
    NumberColumn,
    ReportWorksheet,
    TextColumn,
    use_quick_zip,
    write_columns,
)

VALUES = [0.1, -2.5, 1e-9, 123456789.125, 0.30000000000000004, -0.0]
CACHED = [v * 2 + 1 for v in VALUES]


def _workbook(fast: bool) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("Blocks", worksheet_class=ReportWorksheet)
    money = wb.add_format({"num_format": "#,##0.00"})
    ws.write_string(0, 0, "title")
    ws.write_number(1, 3, 7)
    n = len(VALUES)
    write_columns(ws, 2, [
        NumberColumn(0, VALUES),
        NumberColumn(1, list(range(n)), money),
        FormulaColumn(3, CACHED, money, template="A{row}*2+rate&<x>*B{row}"),
    ], fast=fast)  # fmt: skip
    ws.write_string(2 + n, 0, "between")
    texts = [f"'Other sheet'!$C${i + 1}" for i in range(n)]
    write_columns(
        ws, 3 + n, [FormulaColumn(2, CACHED, None, texts=texts), NumberColumn(5, VALUES)], fast=fast
    )
    ws.write_string(3 + 2 * n, 1, "after")
    # Text (data text stays text), booleans, and cells left out (None).
    texts = ["=SUM(A1)", " padded ", "a<&>b", "bell\x07", None, "-2"]
    write_columns(ws, 4 + 2 * n, [
        TextColumn(0, texts, money),
        BoolColumn(1, [True, False, None, True, False, True]),
        NumberColumn(2, [1.5, None, 3.0, None, 5.0, 6.0], money),
        FormulaColumn(3, CACHED, None, texts=["A1*2", None, "B2+1", "C3", None, "D4"]),
    ], fast=fast)  # fmt: skip
    wb.close()
    return out.getvalue()


def _cells(data: bytes, *, values: bool) -> dict[str, tuple[object, str]]:
    ws = openpyxl.load_workbook(io.BytesIO(data), data_only=values)["Blocks"]
    return {
        c.coordinate: (c.value, c.number_format) for row in ws.iter_rows() for c in row if c.value is not None
    }


def test_blocks_rendered_as_xml_hold_what_the_public_calls_write():
    fast, slow = _workbook(True), _workbook(False)
    assert fast != slow  # the fast path really ran (XlsxWriter's own output differs in row spans)
    for values in (False, True):
        assert _cells(fast, values=values) == _cells(slow, values=values)
    formulas = _cells(fast, values=False)
    assert formulas["D3"] == ("=A3*2+rate&<x>*B3", "#,##0.00")  # the template, escaped and read back
    assert formulas["C10"] == ("='Other sheet'!$C$1", "General")
    cached = _cells(fast, values=True)
    assert [cached[f"D{r}"][0] for r in range(3, 9)] == pytest.approx(CACHED, rel=0, abs=0)
    assert cached["A3"][0] == 0.1 and cached["A6"][0] == 123456789.125
    assert cached["A9"][0] == "between" and cached["B16"][0] == "after"
    assert [cached.get(f"A{r}", (None,))[0] for r in range(17, 23)] == ["=SUM(A1)", " padded ", "a<&>b",
                                                                       cached["A20"][0], None, "-2"]  # fmt: skip
    assert formulas["A17"][0] == "=SUM(A1)"  # text, not a formula
    assert [cached.get(f"B{r}", (None,))[0] for r in range(17, 23)] == [True, False, None, True, False, True]
    assert "C18" not in cached and "D18" not in formulas and formulas["D19"][0] == "=B2+1"


def test_the_sheet_dimension_covers_the_blocks():
    sheet = zipfile.ZipFile(io.BytesIO(_workbook(True))).read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<dimension ref="A1:F22"/>', sheet)


def test_a_block_over_a_written_row_is_refused_when_saving():
    wb = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    ws = wb.add_worksheet("Blocks", worksheet_class=ReportWorksheet)
    write_columns(ws, 2, [NumberColumn(0, VALUES)])
    ws.write_string(4, 3, "in the way")
    with pytest.raises(ValueError, match="row 5 is written twice"):
        wb.close()


def test_a_block_refuses_a_number_a_spreadsheet_cannot_hold():
    wb = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    ws = wb.add_worksheet("Blocks", worksheet_class=ReportWorksheet)
    with pytest.raises(ValueError, match="column B: a spreadsheet cell cannot hold NaN or infinity"):
        write_columns(ws, 0, [NumberColumn(0, [1.0]), NumberColumn(1, [float("nan")])])
    with pytest.raises(ValueError, match="one length"):
        write_columns(ws, 0, [NumberColumn(0, [1.0]), NumberColumn(1, [1.0, 2.0])])


def test_the_package_is_deflated_at_the_quick_level():
    book = Book()
    sheet = book.create_sheet("Data")
    for r in range(1, 400):
        sheet.cell(r, 1).kind, sheet.cell(r, 1).value = "n", r * 0.5
    out = io.BytesIO()
    book.save(out)
    assert xlsxwriter.workbook.ZipFile is not zipfile.ZipFile
    use_quick_zip()  # idempotent: the replacement is not wrapped again
    assert xlsxwriter.workbook.ZipFile.__mro__[1] is zipfile.ZipFile
    package = zipfile.ZipFile(out)
    info = package.getinfo("xl/worksheets/sheet1.xml")
    deflate = zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -15)
    raw = package.read(info)
    assert info.compress_type == zipfile.ZIP_DEFLATED
    assert info.compress_size == len(deflate.compress(raw) + deflate.flush())
