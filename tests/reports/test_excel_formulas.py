"""The payoff language's spreadsheet dialect, row by row against DuckDB, recalculated by LibreOffice.

Every construct is compiled twice: to DuckDB SQL (the engine's meaning) and to a spreadsheet
formula (:mod:`roistudio.core.payoff.excel`). A small workbook holds the rows' values and one
formula per row and expression; LibreOffice computes them, and each cell must equal DuckDB's value
(or be an error where DuckDB's is not a finite number: a spreadsheet has no NaN or infinity).
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess

import duckdb
import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from roistudio.core.payoff.compile import Compiler
from roistudio.core.payoff.excel import ExcelFormulaError, excel_formula, number_literal
from roistudio.core.payoff.expr import names
from roistudio.core.payoff.language import parse_expression
from tests.helpers import libreoffice_profile

SOFFICE = shutil.which("soffice")
COLUMNS = {"a": "DOUBLE", "b": "DOUBLE", "t": "VARCHAR", "f": "BOOLEAN", "Odd name": "DOUBLE"}
PARAMETERS = {"k": 2.5, "c": 1.0}
CELLS = {"a": "A{r}", "b": "B{r}", "t": "C{r}", "f": "D{r}", "Odd name": "E{r}"}
DEFINED = {"k": "k", "c": "p_c"}  # "c" alone reads as a column reference in R1C1 notation
ROWS = [
    (2.5, 1.0, "web", True, 0.0),
    (-2.5, -3.0, "Web", False, 1.5),
    (0.5, 0.0, "store", True, -0.5),
    (-0.5, 2.0, 'say "hi"', False, 10.0),
    (1234.5678, 0.25, "web", False, 3.0),
    (0.0, -0.0, "", True, 7.25),
    (1.4999999999, 1e-12, "web", False, -1e6),
    (-8.0, 3.0, "store", True, 100.0),
]
EXPRESSIONS = [
    "a + b - k", "a * b / 4", "-a", "+a", "a - -b", "-2 ** 2", "a ** 2", "b ** 3", "a ** -1",
    "a ** 0.5", "a ** (1/3)", "a ** 0", "b / a", "a / b", "0 / b", "1 / 3 * a",
    "0.1 + 0.2 * a", "0.30000000000000004 * b", "1e-20 + a", "123456789012345678 + b",
    "abs(a)", "exp(b)", "log(a)", "log(b)", "sqrt(a)", "sqrt(b)", "round(a)", "round(b * 0.5)",
    "min(a, b)", "max(a, b, k)", "min(a, b / 0)", "max(-k, a)", "clip(a, -1, 1)", "clip(b, c, k)",
    "coalesce(a, b)", "a if a > b else b", "a if t == 'web' else -1", "1 if t != 'Web' else 0",
    "t == 'web'", "t == 'say \"hi\"'", "(a > 0) + (b > 0)", "a > b", "a >= 0.5 and b < 1",
    "a < 0 or not b > 0", "0 < a <= 2.5", "-1 <= a < b < 100", "f * 3", "a if f else b",
    "max(f, 0.5)", "f == True", "not f", "k * `Odd name`", "a if (a > 0) == (b > 0) else k",
    "-max(0.02463333 * 0.25 * a * 1000, c)", "(a > 1) * k - (b < 0) * c",
]  # fmt: skip
_NUMBER = r"\d[\d.]*(?:E[+-]?\d+)?"
# The language turns an infinite intermediate back into a number here (min(x, inf) = x); a
# spreadsheet has no infinity, so its formula shows an error (see roistudio.core.payoff.excel).
INFINITE_INTERMEDIATE = {"min(a, b / 0)"}
ERRORS = ("#VALUE!", "#NAME?", "#REF!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!", "Err:")


def _tree(text: str):
    return parse_expression(text, columns=COLUMNS, parameters=PARAMETERS)


def _duckdb_values(expressions: list[str]) -> list[list[float | None]]:
    con = duckdb.connect()
    con.execute('CREATE TABLE rows (a DOUBLE, b DOUBLE, t VARCHAR, f BOOLEAN, "Odd name" DOUBLE, i INTEGER)')
    con.executemany("INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?)", [(*r, i) for i, r in enumerate(ROWS)])
    out = []
    for text in expressions:
        tree = _tree(text)
        compiled = Compiler(prefix="", parameters=PARAMETERS, strings=names(tree, "str")).compile(tree)
        values = con.execute(f"SELECT {compiled.sql} FROM rows ORDER BY i", compiled.params).fetchall()
        out.append([v for (v,) in values])
    return out


def _formulas(text: str, row: int) -> str:
    columns = {name: ref.format(r=row) for name, ref in CELLS.items()}
    return "=" + excel_formula(_tree(text), columns=columns, parameters=DEFINED)


def test_the_bank_payoff_reads_as_a_spreadsheet_formula():
    columns = {"balance_eur": "BIGINT"}
    tree = parse_expression("-max(r * d * balance_eur, c)", columns=columns, parameters={"r", "d", "c"})
    formula = excel_formula(
        tree, columns={"balance_eur": "E7"}, parameters={"r": "p_r", "d": "d", "c": "p_c"}
    )
    assert formula == "(-MAX(((p_r*d)*E7),p_c))"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("round(a, 2)", "round(..., 2) at 1:1 cannot be a spreadsheet formula: spreadsheets round 2.675 to "
         "2.68 where the payoff language gives 2.67; write round(x * 100) / 100 instead"),
        ("a if t == '" + "x" * 300 + "' else b", "cannot be written in a spreadsheet formula (at most 255 "
         "characters, no line breaks)"),
        ("(" * 9 + "a" + " ** 0.5)" * 9, "spreadsheet formula would be"),
        ("(" * 34 + "a" + " if a > 0 else b) ** 2" * 34, "nests functions more than 64 deep in a spreadsheet formula"),
    ],
)  # fmt: skip
def test_what_a_spreadsheet_cannot_compute_is_refused_with_one_line(text, message):
    with pytest.raises(ExcelFormulaError) as error:
        excel_formula(_tree(text), columns={n: "A1" for n in COLUMNS}, parameters=DEFINED)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_long_numbers_are_written_exactly():
    # Excel reads 15 significant digits; a longer number is two literals whose double sum is it.
    for value in (1 / 3, 0.1, 2.0**60 + 2048, 123456789012345678.0, 1e-300, 0.30000000000000004):
        text = number_literal(value)
        match = re.fullmatch(rf"\(({_NUMBER})([+-])({_NUMBER})\)", text) or re.fullmatch(_NUMBER, text)
        assert match, text
        parts = [match.group(1), match.group(3)] if match.lastindex else [text]
        assert all(len(re.sub(r"E.*|\.", "", p).strip("0")) <= 15 for p in parts), text
        total = float(parts[0]) + (
            float(parts[1]) * (1 if match.group(2) == "+" else -1) if len(parts) > 1 else 0
        )
        assert total == value, text


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")
def test_every_construct_recalculates_as_duckdb_computes_it(tmp_path):
    expected = _duckdb_values(EXPRESSIONS)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Rows"
    params = wb.create_sheet("Assumptions")
    for n, (name, value) in enumerate(PARAMETERS.items(), start=1):
        params.cell(n, 1).value = value
        wb.defined_names[DEFINED[name]] = DefinedName(DEFINED[name], attr_text=f"Assumptions!$A${n}")
    first_formula_col = 6
    for i, row in enumerate(ROWS):
        r = i + 1
        for j, v in enumerate(row):
            ws.cell(r, j + 1).value = v
        for e, text in enumerate(EXPRESSIONS):
            ws.cell(r, first_formula_col + e).value = _formulas(text, r)
    path = tmp_path / "constructs.xlsx"
    wb.save(path)
    out = tmp_path / "recalc"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={libreoffice_profile(tmp_path / 'profile')}", "--headless", "--convert-to",
         "xlsx", "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    values = openpyxl.load_workbook(out / path.name, data_only=True)["Rows"]
    mismatches = []
    for e, text in enumerate(EXPRESSIONS):
        for i in range(len(ROWS)):
            got = values.cell(i + 1, first_formula_col + e).value
            want = expected[e][i]
            if isinstance(want, bool):
                want = float(want)
            is_error = got is None or (isinstance(got, str) and got.startswith(ERRORS))
            if want is None or not math.isfinite(want):
                ok = is_error  # no NaN or infinity in a spreadsheet: an error, never a number
            elif is_error:
                ok = text in INFINITE_INTERMEDIATE  # the documented case: an error, not another number
            else:
                ok = (
                    isinstance(got, (int, float))
                    and not isinstance(got, bool)
                    and math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)
                ) or (isinstance(got, bool) and float(got) == want)
            if not ok:
                mismatches.append(f"{text!r} row {i}: spreadsheet {got!r}, DuckDB {want!r}")
    assert not mismatches, "\n".join(mismatches)
