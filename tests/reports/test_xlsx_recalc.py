"""Recalculate the workbook with LibreOffice: live formulas give the report's numbers to the cent.

LibreOffice (``soffice --headless --convert-to xlsx``) opens the workbook openpyxl wrote (formulas
without cached results), computes every formula and saves the results. The expected numbers come
from the core; after a parameter is changed in the workbook, from a fresh analysis with the new
parameter, which re-aggregates the rows in DuckDB (another way than the workbook's formulas).
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import range_boundaries

from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.glossary import format_threshold
from roistudio.core.payoff.language import parse_payoff
from roistudio.core.project.demo import DEMO_PARAMETERS, DEMO_PAYOFF
from roistudio.reports.model import ReportModel, SourceFacts, build_report_model
from roistudio.reports.xlsx import write_xlsx
from tests.helpers import demo_payoff_value

pytestmark = pytest.mark.libreoffice

SOFFICE = shutil.which("soffice")
if SOFFICE is None:
    pytest.skip("LibreOffice (soffice) not installed; .ci/run installs it", allow_module_level=True)

# The demo's fraud-review payoff (linear in its parameters, so the workbook has live formulas).
PAYOFF = dict(DEMO_PAYOFF)
PARAMS = dict(DEMO_PARAMETERS)
ERRORS = ("#VALUE!", "#NAME?", "#REF!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!", "Err:")
CENT = 0.005


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 800
    y = rng.random(n) < 0.12
    return pd.DataFrame(
        {
            "score": np.clip(rng.normal(0.3 + 0.35 * y, 0.2), 0, 1).round(3),
            "challenger": np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1).round(3),
            "is_fraud": y.astype(int),
            "amount": rng.gamma(2.0, 70.0, n).round(2),
            "segment": rng.choice(["web", "=1+1", "store"], n),
            "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
        }
    )


@pytest.fixture(scope="module")
def con(frame):
    connection = duckdb.connect()
    connection.register("frame", frame)
    connection.execute("CREATE TABLE data AS SELECT * FROM frame")
    connection.unregister("frame")
    yield connection
    connection.close()


def make_model(con, params, threshold=None) -> ReportModel:
    request = AnalysisRequest(
        mapping=ColumnMapping(
            "score", "is_fraud", segments=("segment",), challenger_score="challenger", timestamp="ts"
        ),
        period="month",
        payoff=parse_payoff(PAYOFF, params, table_columns(con, "data")),
        threshold=threshold,
        use_threshold=threshold is not None,
    )
    analysis = analyse(con, "data", request)
    # With the connection the model computes the aggregates behind the live formulas.
    return build_report_model(
        analysis, SourceFacts("preds.csv", "/data/preds.csv", "0" * 64, 1, 800, 0), con=con, table="data"
    )


# LibreOffice trusts the values cached in an .xlsx unless told to recalculate on load; the
# workbook caches every formula's value, so without this setting nothing would be recalculated.
RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> str:
    # A fresh LibreOffice profile: no user settings, no lock shared with another instance; set to
    # recalculate every formula when a workbook is opened.
    root = tmp_path_factory.mktemp("lo-profile")
    (root / "user").mkdir()
    (root / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    return root.as_uri()


def test_libreoffice_recalculates_instead_of_reading_the_cached_values(profile, tmp_path):
    # The premise of every test here: a formula cached with a wrong value comes back computed.
    from roistudio.reports.xlsx.book import Book
    from roistudio.reports.xlsx.layout import put_formula, put_number

    book = Book()
    ws = book.create_sheet("S")
    put_number(ws.cell(1, 1), 20, "0")
    put_formula(ws.cell(1, 2), "=A1*2+1", 5, "0")
    path = tmp_path / "tiny.xlsx"
    book.save(path)
    assert openpyxl.load_workbook(path, data_only=True)["S"]["B1"].value == 5
    assert openpyxl.load_workbook(recalc(path, profile), data_only=True)["S"]["B1"].value == 41


def recalc(path: Path, profile: str) -> Path:
    out = path.parent / "recalc"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx", "--outdir", str(out),
         str(path)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    result = out / path.name
    assert result.exists(), "LibreOffice wrote no file"
    return result


def formula_cells(path: Path) -> list[tuple[str, str]]:
    wb = openpyxl.load_workbook(path)
    return [
        (ws.title, c.coordinate) for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]


def check_breakdowns(
    exported: ReportModel,
    values: openpyxl.Workbook,
    frame: pd.DataFrame,
    params,
    best: ReportModel | None = None,
) -> None:
    """Segment, trend and comparison dollars equal the rows' payoff under ``params`` to the cent,
    at the thresholds of the ``exported`` analysis; the best thresholds (found again by formula over
    each curve) are those of ``best``, the analysis under ``params`` (default: ``exported``)."""
    analysis = exported.analysis
    moved = (best or exported).analysis
    best_of = {(b, g.key): g for b, gs in moved.segments.items() for g in gs}
    best_of.update({("period", g.key): g for g in moved.periods})
    threshold = analysis.champion.operating.threshold
    chall_threshold = analysis.challenger.operating.threshold
    month = frame["ts"].dt.to_period("M").dt.start_time

    def table(ws, parts):
        (tbl,) = ws.tables.values()
        _, min_row, max_col, max_row = range_boundaries(tbl.ref)
        col = {ws.cell(min_row, c).value: c for c in range(1, max_col + 1)}
        for r in range(min_row + 1, max_row + 1):
            part, group = parts[ws.cell(r, 1).value]
            group = best_of[(ws.title.removeprefix("By ") if ws.title != "Trend" else "period", group.key)]
            expected = {
                "Champion value": demo_payoff_value(part, threshold, params),
                "Money lost": demo_payoff_value(part, None, params, perfect=True)
                - demo_payoff_value(part, threshold, params),
                "Value at best": demo_payoff_value(part, group.optimum.threshold, params),
                "Challenger value": demo_payoff_value(part, chall_threshold, params, score="challenger"),
            }
            for header, want in expected.items():
                assert ws.cell(r, col[header]).value == pytest.approx(want, abs=CENT), (ws.title, r, header)
        return max_row - min_row

    segments = {g.key: (frame[frame["segment"] == g.key], g) for g in analysis.segments["segment"]}
    assert table(values["By segment"], segments) == 3
    periods = {dt.datetime.fromisoformat(g.key): (frame[month == g.key], g) for g in analysis.periods}
    assert table(values["Trend"], periods) == 3

    comp = moved.comparison
    lines = {r[0].value: r for r in values["Comparison"].iter_rows(min_col=1, max_col=4) if r[0].value}
    for label, champion_t, challenger_t in (
        ("Value at best threshold", comp.champion.optimum.threshold, comp.challenger.optimum.threshold),
        ("Value at common threshold", threshold, threshold),
    ):
        champion = demo_payoff_value(frame, champion_t, params)
        challenger = demo_payoff_value(frame, challenger_t, params, score="challenger")
        got = [c.value for c in lines[label][1:4]]
        assert got == pytest.approx([champion, challenger, challenger - champion], abs=CENT), label


def check_against(
    model: ReportModel,
    values: openpyxl.Workbook,
    formulas: list[tuple[str, str]],
    best: ReportModel,
) -> None:
    """Every formula has a result; Summary and sweep dollars equal ``model``'s to the cent.

    ``best`` is the analysis with the same parameters and a free threshold: the workbook finds its
    best threshold by formulas over the sweep table, which holds every threshold here.
    """
    for sheet, coord in formulas:
        v = values[sheet][coord].value
        # Numbers, or the text of a sentence built by formula (never empty, never an error).
        assert (isinstance(v, (int, float)) and math.isfinite(v)) or (isinstance(v, str) and v), (
            f"{sheet}!{coord} = {v!r}"
        )
    for ws in values:
        for row in ws.iter_rows():
            for c in row:
                assert not (isinstance(c.value, str) and c.value.startswith(ERRORS)), (
                    f"{ws.title}!{c.coordinate}"
                )

    head = model.headline
    curve = model.champion.curve
    summary = {r[0].value: r[1].value for r in values["Summary"].iter_rows(min_col=1, max_col=2)}
    expected = {
        "Value at operating threshold": head.value,
        "vs flag nobody": head.vs_flag_nobody,
        "vs flag everyone": head.vs_flag_everyone,
        "Value of the model": head.value_of_model,
        "Value per 1,000 rows": head.value_per_1000,
        "Best possible value": best.headline.optimum_value,
        "Gap to the best": best.headline.optimum_value - head.value,
    }
    for label, number in expected.items():
        assert summary[label] == pytest.approx(number, abs=CENT), label
    assert summary["Best threshold"] == best.headline.optimum_threshold
    text = [
        c.value for row in values["Summary"].iter_rows(max_col=1) for c in row if isinstance(c.value, str)
    ]
    assert (
        f"Flag rows scoring {format_threshold(head.threshold)} or more (the operating threshold): on these {head.rows:,} "
        f"labelled rows that policy costs {model.money(-head.value)}: the model saves "
        f"{model.money(head.value_of_model)} ({head.savings:.1%}) against {head.better_baseline}."
    ) in text
    gap = best.headline.optimum_value - head.value
    if gap > CENT:
        assert (
            f"The best threshold, {format_threshold(best.headline.optimum_threshold)}, is worth "
            f"{model.money(best.headline.optimum_value)}, {model.money(gap)} more than the operating threshold."
        ) in text
    else:
        # Searched over every threshold (the hidden Curves sheet holds the whole curve).
        assert f"The operating threshold is the best of every threshold ({model.money(head.value)})." in text

    ws = values["Threshold sweep"]
    (table,) = ws.tables.values()
    _, min_row, _, max_row = range_boundaries(table.ref)
    assert ws.cell(min_row, 10).value == "Value"
    assert ws.cell(min_row, 11).value == "vs better baseline"
    better = head.value - head.value_of_model  # the baseline "value of the model" is measured against
    for r in range(min_row + 1, max_row + 1):
        point = curve.at(ws.cell(r, 1).value)
        assert ws.cell(r, 10).value == pytest.approx(point.value, abs=CENT), f"row {r}"
        assert ws.cell(r, 11).value == pytest.approx(point.value - better, abs=CENT), f"row {r}"
    assert max_row - min_row == len(curve)


def test_formulas_recalculate_to_the_report_numbers(con, frame, profile, tmp_path):
    model = make_model(con, PARAMS)
    path = tmp_path / "report.xlsx"
    write_xlsx(model, path)
    formulas = formula_cells(path)
    assert len(formulas) > 2 * len(model.champion.curve)
    values = openpyxl.load_workbook(recalc(path, profile), data_only=True)
    check_against(model, values, formulas, model)
    check_breakdowns(model, values, frame, PARAMS)
    # A segment called "=1+1" is still that text after a spreadsheet application opened the file.
    segments = [c.value for row in values["By segment"].iter_rows(min_col=1, max_col=1) for c in row]
    assert "=1+1" in segments and 2 not in segments


def test_changing_a_parameter_in_the_workbook_reprices_every_policy(con, frame, profile, tmp_path):
    model = make_model(con, PARAMS)
    path = tmp_path / "report.xlsx"
    write_xlsx(model, path)
    wb = openpyxl.load_workbook(path)
    (sheet, coord), *_ = wb.defined_names["review_cost"].destinations
    assert wb[sheet][coord.replace("$", "")].value == 4.5
    wb[sheet][coord.replace("$", "")].value = 15
    edited = tmp_path / "edited" / "report.xlsx"
    edited.parent.mkdir()
    wb.save(edited)

    values = openpyxl.load_workbook(recalc(edited, profile), data_only=True)
    # The workbook keeps the analysis' thresholds: compare with a fresh analysis at the same one.
    fresh = make_model(con, {**PARAMS, "review_cost": 15.0}, threshold=model.headline.threshold)
    assert fresh.headline.value != pytest.approx(model.headline.value, abs=1.0)
    # The best threshold moves with the new cost: the workbook's "best" cells follow it.
    best = make_model(con, {**PARAMS, "review_cost": 15.0})
    assert best.headline.optimum_threshold != model.headline.optimum_threshold
    check_against(fresh, values, formula_cells(edited), best)
    check_breakdowns(model, values, frame, {**PARAMS, "review_cost": 15.0}, best)
