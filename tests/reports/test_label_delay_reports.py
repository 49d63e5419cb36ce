"""Label delay in the reports: page 1's estimate, the Calibration section and the Estimate sheet."""

from __future__ import annotations

import json

import openpyxl
import pytest
from pypdf import PdfReader

from roistudio.cli.main import main


@pytest.fixture(scope="module")
def demo_outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ld")
    pdf, xlsx, js = folder / "r.pdf", folder / "r.xlsx", folder / "r.json"
    assert main(["report", "--demo", "--pdf", str(pdf), "--xlsx", str(xlsx)]) == 0
    assert main(["sweep", "--demo", "--json", str(js)]) == 0
    return pdf, xlsx, json.loads(js.read_text())


def _money(v: float) -> str:
    return f"-${abs(round(v)):,}" if v < 0 else f"${round(v):,}"


def test_page_one_gives_the_last_month_estimate_marked_as_such(demo_outputs):
    pdf, _, doc = demo_outputs
    reader = PdfReader(pdf)
    page1 = " ".join(reader.pages[0].extract_text().split())
    est = doc["unlabeled_estimate"]
    assert "ESTIMATE, not realised: the labels of Nov 2026 are not known yet." in page1
    # The demo's payoff is costs-only: told as a cost, as page 1's headline is ("saves"), never as a
    # negative worth; the interval's ends are costs too (the lowest value is the highest cost).
    assert est["value"] < 0
    assert f"would cost an estimated {_money(-est['value'])} at the operating threshold" in page1
    assert f"(90% interval {_money(-est['high'])} to {_money(-est['low'])};" in page1
    assert "worth an estimated -" not in page1
    everything = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Calibration and estimates" in everything
    assert f"Brier score {doc['calibration']['brier']:.4f} raw" in everything


def test_workbook_estimate_sheet(demo_outputs):
    _, xlsx, doc = demo_outputs
    ws = openpyxl.load_workbook(xlsx)["Estimate"]
    cells = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(1, ws.max_row + 1)}
    est = doc["unlabeled_estimate"]
    assert cells["Estimated value"].value == pytest.approx(est["value"])
    assert cells["Low (90%)"].value == pytest.approx(est["low"])
    assert cells["Rows"].value == est["rows"]
    assert cells["Brier score, raw scores"].value == pytest.approx(doc["calibration"]["brier"])
    assert cells["Calibration"].data_type == "s" and cells["Calibration"].value == "isotonic"
    # The period table: the last month shows the estimate beside "not yet known".
    nov = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Nov 2026")
    assert ws.cell(nov, 3).value == "not yet known"
    assert ws.cell(nov, 4).value == pytest.approx(doc["periods"]["rows"][-1]["estimated_value"])
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Bin")
    bins = doc["calibration"]["bins"]
    assert [ws.cell(header + 1 + i, 4).value for i in range(len(bins))] == [b["rows"] for b in bins]
