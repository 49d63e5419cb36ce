"""The workbook as readers that never recalculate see it, and as it prints.

XlsxWriter stores each formula's computed value beside the formula, so openpyxl with
``data_only=True`` and ``pd.read_excel`` read numbers, not ``None``/NaN. The expected figures come
from the rows (numpy), not from the analysis the workbook was written from. The print test
converts the demo workbook to PDF with LibreOffice and counts its pages.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import range_boundaries

from roistudio.cli.main import main
from tests.helpers import demo_payoff_value
from tests.reports.test_xlsx import INJECTIONS, PARAMS, connect, make_frame, report

MONEY_COLUMNS = (
    "Value",
    "vs better baseline",
    "Champion value",
    "Money lost",
    "Value at best",
    "Challenger value",
)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame(n=700, seed=5)


@pytest.fixture(scope="module")
def con(frame):
    connection = connect(frame)
    yield connection
    connection.close()


def write(model, path: Path) -> Path:
    from roistudio.reports.xlsx import write_xlsx

    write_xlsx(model, path)
    return path


def formula_cells(path: Path) -> list[tuple[str, str]]:
    wb = openpyxl.load_workbook(path)
    return [
        (ws.title, c.coordinate) for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]


def table_frame(path: Path, sheet: str) -> pd.DataFrame:
    """The sheet's Excel table read by pandas, as a reader would (header row from the table)."""
    ws = openpyxl.load_workbook(path)[sheet]
    (table,) = ws.tables.values()
    _, min_row, _, max_row = range_boundaries(table.ref)
    return pd.read_excel(
        path, sheet_name=sheet, header=min_row - 1, nrows=max_row - min_row, engine="openpyxl"
    )


@pytest.mark.parametrize("live", [True, False], ids=["live formulas", "fixed values"])
def test_every_formula_cell_carries_its_value_and_pandas_reads_numbers(con, frame, tmp_path, live):
    model = report(con, live=live)
    path = write(model, tmp_path / "report.xlsx")
    formulas = formula_cells(path)
    assert len(formulas) > (2 * len(model.champion.curve) if live else 10)
    cached = openpyxl.load_workbook(path, data_only=True)
    missing = [(s, c) for s, c in formulas if cached[s][c].value is None]
    assert not missing, missing[:5]

    sweep = table_frame(path, "Threshold sweep")
    assert len(sweep) == len(model.champion.curve)
    assert not sweep[["Value", "vs better baseline"]].isna().any().any()
    # The values pandas reads are the rows' payoff, summed here straight from the frame.
    known = frame[frame["is_fraud"].notna()]
    for _, line in sweep.iloc[[1, len(sweep) // 2, -1]].iterrows():
        assert line["Value"] == pytest.approx(demo_payoff_value(known, line["Threshold"], PARAMS), abs=0.005)
    nobody = demo_payoff_value(known, None, PARAMS)
    everyone = demo_payoff_value(known, -1.0, PARAMS)
    assert sweep["vs better baseline"].iloc[0] == pytest.approx(nobody - max(nobody, everyone), abs=0.005)

    segments = table_frame(path, "By channel")
    assert len(segments) == len(INJECTIONS)
    money = [c for c in MONEY_COLUMNS if c in segments]
    assert len(money) == 4 and not segments[money].isna().any().any()
    trend = table_frame(path, "Trend")
    labelled = trend["Status"].ne("labels not yet known")
    assert labelled.sum() == 3 and not trend.loc[labelled, money].isna().any().any()


def test_a_segment_that_reads_as_a_formula_stays_text_for_every_reader(con, tmp_path):
    path = write(report(con, live=True), tmp_path / "report.xlsx")
    ws = openpyxl.load_workbook(path)["By channel"]
    cells = [c for row in ws.iter_rows(max_col=1) for c in row if str(c.value).startswith("=HYPERLINK(")]
    assert [c.value for c in cells] == [INJECTIONS[0]] and cells[0].data_type == "s"
    segments = table_frame(path, "By channel")["Segment"].tolist()
    assert INJECTIONS[0] in segments and "@SUM(A1)" in segments


def test_a_segment_table_with_every_label_known_has_no_rows_without_label_column(con, tmp_path):
    path = write(report(con, live=True), tmp_path / "report.xlsx")
    segments = table_frame(path, "By channel")
    # April's rows have no label, so the channels do have rows without a label: the column stays.
    assert "Rows without label" in segments and segments["Rows without label"].sum() > 0
    labelled = make_frame(n=300, seed=9)
    labelled["is_fraud"] = labelled["is_fraud"].fillna(0)
    path = write(report(connect(labelled), live=True), tmp_path / "labelled.xlsx")
    assert "Rows without label" not in table_frame(path, "By channel")


def test_parameters_show_the_precision_entered(con, tmp_path):
    params = {**PARAMS, "recovery_rate": 0.02463333}
    path = write(report(con, params=params, live=True), tmp_path / "report.xlsx")
    wb = openpyxl.load_workbook(path)
    (sheet, coord), *_ = wb.defined_names["recovery_rate"].destinations
    cell = wb[sheet][coord.replace("$", "")]
    assert cell.value == 0.02463333
    decimals = cell.number_format.split(".")[1]
    assert decimals.count("0") == 8  # 0.02463333 shows all eight decimals


SOFFICE = shutil.which("soffice")


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed; .ci/run installs it")
def test_the_demo_workbook_prints_in_well_under_30_pages(tmp_path):
    from pypdf import PdfReader

    path = tmp_path / "demo.xlsx"
    assert main(["report", "--demo", "--bootstrap", "200", "--xlsx", str(path)]) == 0
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir",
         str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    reader = PdfReader(tmp_path / "demo.pdf")
    pages = len(reader.pages)
    assert pages <= 20, pages
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    # Every visible sheet prints; the hidden chart data does not.
    wb = openpyxl.load_workbook(path)
    visible = [ws.title for ws in wb if ws.sheet_state == "visible"]
    assert "Chart data" not in visible and wb["Chart data"].sheet_state == "hidden"
    for title in visible:
        assert title in text, title
    assert "Comparison chart: each model" not in text
    assert np.all([ws.print_area for ws in wb if ws.sheet_state == "visible"])
