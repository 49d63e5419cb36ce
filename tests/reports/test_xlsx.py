"""The Excel workbook: numbers as numbers, text as text, names, tables, charts, atomic writes.

Expected dollars are computed here with numpy straight from the rows (never from the sweep), so
a workbook that shows the analysis' numbers is also checked against an independent sum.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import range_boundaries

from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.engine.linear import linear_aggregates
from roistudio.core.glossary import format_threshold
from roistudio.core.payoff.language import parse_payoff
from roistudio.core.project.demo import DEMO_PARAMETERS, DEMO_PAYOFF
from roistudio.reports.cells import safe_defined_name, safe_sheet_name, safe_text
from roistudio.reports.model import SourceFacts, build_report_model
from roistudio.reports.xlsx import aggregate_indices, build_workbook, money_format, write_xlsx
from roistudio.reports.xlsx.book import Book
from tests.helpers import demo_payoff_value

# The demo's fraud-review payoff (linear in its parameters, so the workbook has live formulas).
PAYOFF = dict(DEMO_PAYOFF)
PARAMS = dict(DEMO_PARAMETERS)
INJECTIONS = ['=HYPERLINK("http://evil.example","click")', "+1", "-2", "@SUM(A1)", "\t=1"]
CREATED = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def make_frame(n: int = 600, seed: int = 7, decimals: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.15
    score = np.clip(rng.normal(0.3 + 0.35 * y, 0.18), 0, 1).round(decimals)
    challenger = np.clip(rng.normal(0.3 + 0.4 * y, 0.18), 0, 1).round(decimals)
    ts = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    label = pd.array(np.where(y, 1, 0), dtype="Int64")
    label[np.asarray(ts >= pd.Timestamp("2026-04-01"))] = pd.NA  # April: labels not yet known
    return pd.DataFrame(
        {
            "score": score,
            "challenger": challenger,
            "is_fraud": label,
            "amount": rng.gamma(2.0, 60.0, n).round(2),
            "channel": rng.choice(INJECTIONS, n),
            "ts": ts,
        }
    )


def connect(frame: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE data AS SELECT * FROM frame")
    con.unregister("frame")
    return con


def report(con, *, payoff=PAYOFF, params=PARAMS, currency="USD", challenger=True, segments=("channel",),
           period="month", source_name="preds.csv", threshold=None, live=False):  # fmt: skip
    cols = table_columns(con, "data")
    mapping = ColumnMapping(
        score="score",
        label="is_fraud",
        challenger_score="challenger" if challenger else None,
        timestamp="ts",
        segments=tuple(segments),
    )
    request = AnalysisRequest(
        mapping=mapping,
        payoff=parse_payoff(payoff, params, cols),
        period=period,
        threshold=threshold,
        use_threshold=threshold is not None,
    )
    analysis = analyse(con, "data", request)
    source = SourceFacts(source_name, f"/data/{source_name}", "0" * 64, 12345, analysis.rows, 0)
    # live: the model computes the aggregates behind the workbook's live formulas (the writer only renders).
    return build_report_model(analysis, source, title="Fraud model value", currency=currency, created=CREATED,
                              con=con if live else None, table="data")  # fmt: skip


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(scope="module")
def con(frame):
    connection = connect(frame)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def model(con):
    return report(con)


@pytest.fixture(scope="module")
def saved(con, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    write_xlsx(report(con, live=True), path)
    return path


def opened(book, *, data_only: bool = False) -> openpyxl.Workbook:
    """The workbook as a reader sees it: written by XlsxWriter, opened with openpyxl."""
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer, data_only=data_only)


def evaluate_live(wb, ws, formula: str, **params: float) -> float:
    """Value of a live formula as the workbook writes them, with the parameter cells' values or ``params``.

    The shapes: ``=A1+name*B1+...`` and ``=(A1+name*B1+...)-C1`` (money lost: perfect minus value).
    """
    values = {name: float(resolve(wb, name).value) for name in wb.defined_names}
    values.update(params)
    body, minus = formula.lstrip("="), None
    if body.startswith("("):
        body, minus = body[1:].split(")-")
    total = 0.0
    for term in body.split("+"):
        name, _, ref = term.rpartition("*")
        total += (values[name] if name else 1.0) * float(ws[ref].value)
    if minus is not None:
        total -= evaluate_live(wb, ws, ws[minus].value, **params)
    return total


def table_rows(ws) -> tuple[dict[str, int], list[int]]:
    """The sheet's one Excel table: header -> column, and its data rows."""
    (table,) = ws.tables.values()
    _, min_row, max_col, max_row = range_boundaries(table.ref)
    return {ws.cell(min_row, c).value: c for c in range(1, max_col + 1)}, list(
        range(min_row + 1, max_row + 1)
    )


def summary_cells(ws) -> dict[str, openpyxl.cell.Cell]:
    """Summary label (column A) -> its value cell (column B)."""
    return {
        row[0].value: row[1] for row in ws.iter_rows(min_col=1, max_col=2) if isinstance(row[0].value, str)
    }


# -- the Summary -----------------------------------------------------------------------------------


def test_static_kpi_cells_are_numbers_with_formats_and_match_an_independent_sum(model, frame):
    wb = opened(build_workbook(model))  # no aggregates: fixed values
    cells = summary_cells(wb["Summary"])
    money = '"$"#,##0;[Red]-"$"#,##0'
    value = cells["Value at operating threshold"]
    assert isinstance(value.value, float) and value.number_format == money
    assert value.value == pytest.approx(demo_payoff_value(frame, model.headline.threshold, PARAMS), abs=0.005)
    nobody = demo_payoff_value(frame, None, PARAMS)
    everyone = demo_payoff_value(frame, -1.0, PARAMS)
    assert cells["vs flag nobody"].value == pytest.approx(value.value - nobody, abs=0.005)
    assert cells["vs flag everyone"].value == pytest.approx(value.value - everyone, abs=0.005)
    assert cells["Value of the model"].value == pytest.approx(value.value - max(nobody, everyone), abs=0.005)
    labelled = frame["is_fraud"].notna()
    assert cells["Labelled rows"].value == int(labelled.sum())
    assert cells["Value per 1,000 rows"].value == pytest.approx(
        value.value * 1000 / labelled.sum(), abs=0.005
    )
    known = frame[labelled]
    flagged = known["score"] >= model.headline.threshold
    tp = int((flagged & (known["is_fraud"] == 1)).sum())
    assert (
        cells["Flagged rows"].value == int(flagged.sum()) and cells["Flagged rows"].number_format == "#,##0"
    )
    assert cells["Precision"].value == pytest.approx(tp / flagged.sum())
    assert cells["Precision"].number_format == "0.0%"
    assert cells["Recall"].value == pytest.approx(tp / (known["is_fraud"] == 1).sum())
    assert cells["Flagged"].value == tp  # confusion block: row "Flagged", column "Actual positive"
    for ws in wb:
        assert ws.sheet_view.showGridLines is False
    text = [c.value for row in wb["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(model.threshold_reason in t for t in text)
    # The sentences are formulas over the KPI cells; their cached text is what a reader sees.
    shown = [
        c.value for row in opened(build_workbook(model), data_only=True)["Summary"].iter_rows() for c in row
    ]
    head = model.headline
    assert (
        f"Flag rows scoring {format_threshold(head.threshold)} or more (the operating threshold): on these {head.rows:,} "
        f"labelled rows that policy costs {model.money(-head.value)}: the model saves "
        f"{model.money(head.value_of_model)} ({head.savings:.1%}) against {head.better_baseline}."
    ) in shown
    assert any(isinstance(t, str) and t.startswith(model.comparison_sentence) for t in shown)


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ("USD", '"$"#,##0;[Red]-"$"#,##0'),
        ("EUR", '"€"#,##0;[Red]-"€"#,##0'),
        ("CHF", '"CHF "#,##0;[Red]-"CHF "#,##0'),
    ],
)
def test_money_format_per_currency(con, currency, expected):
    model = report(con, currency=currency, challenger=False, segments=(), period=None)
    wb = opened(build_workbook(model))
    assert summary_cells(wb["Summary"])["Value at operating threshold"].number_format == expected
    assert money_format(model.symbol) == expected


def test_summary_dollars_are_live_formulas_when_the_payoff_is_linear(saved):
    wb = openpyxl.load_workbook(saved)
    cells = summary_cells(wb["Summary"])
    for label in ("Value at operating threshold", "vs flag nobody", "vs flag everyone", "Value of the model",
                  "Value per 1,000 rows", "Best possible value"):  # fmt: skip
        assert cells[label].data_type == "f", label
    assert cells["Precision"].data_type == "n"
    # The Summary points at the fixed key-policy block, never at a sortable table row.
    target = cells["Value at operating threshold"].value
    assert target.startswith("=Assumptions!$")


def test_the_report_models_own_aggregates_give_live_formulas_without_a_connection(con, tmp_path):
    model = report(con)
    linear_model = build_report_model(
        model.analysis,
        model.source,
        title=model.title,
        currency="USD",
        created=CREATED,
        con=con,
        table="data",
    )
    path = tmp_path / "report.xlsx"
    write_xlsx(linear_model, path)  # no connection: the model carries the aggregates
    assert (
        summary_cells(openpyxl.load_workbook(path)["Summary"])["Value at operating threshold"].data_type
        == "f"
    )
    write_xlsx(model, path)  # neither: fixed values
    assert (
        summary_cells(openpyxl.load_workbook(path)["Summary"])["Value at operating threshold"].data_type
        == "n"
    )


# -- Assumptions and defined names ---------------------------------------------------------------


def resolve(wb, name: str):
    (sheet, coord), *_ = wb.defined_names[name].destinations
    return wb[sheet][coord.replace("$", "")]


def test_defined_names_resolve_to_the_parameter_cells(saved):
    wb = openpyxl.load_workbook(saved)
    for name, value in PARAMS.items():
        cell = resolve(wb, name)
        assert cell.value == value and cell.parent.title == "Assumptions"
        assert cell.offset(column=-2).value == name  # the parameter's name is shown beside it
    assert wb.defined_names["review_cost"].localSheetId is None  # workbook scope


def test_parameter_names_that_read_as_references_or_functions_get_safe_names(con, tmp_path):
    payoff = {"tp": "-amount * ab1", "fp": "-sum - r1c1", "tn": "0", "fn": "-amount"}
    model = report(con, payoff=payoff, params={"ab1": 0.2, "sum": 3.0, "r1c1": 1.5}, challenger=False,
                   segments=(), period=None, live=True)  # fmt: skip
    path = tmp_path / "names.xlsx"
    write_xlsx(model, path)
    wb = openpyxl.load_workbook(path)
    assert set(wb.defined_names) == {"p_ab1", "p_sum", "p_r1c1"}
    ws = wb["Assumptions"]
    shown = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert shown["ab1"] == "p_ab1" and shown["sum"] == "p_sum" and shown["r1c1"] == "p_r1c1"
    assert resolve(wb, "p_ab1").value == 0.2
    formulas = [c.value for row in wb["Threshold sweep"].iter_rows() for c in row if c.data_type == "f"]
    assert (
        formulas
        and any("p_ab1*" in f for f in formulas)
        and not any(re.search(r"\bab1\*", f) for f in formulas)
    )


def test_a_nonlinear_payoff_writes_fixed_values_and_says_why(con, frame, tmp_path):
    # Without the data (no connection) there are no rows for per-row formulas: fixed values.
    # With it, see tests/reports/test_xlsx_rows.py (a hidden Rows sheet, every figure a formula).
    payoff = {**PAYOFF, "fn": "-max(amount, chargeback_fee)"}
    model = report(con, payoff=payoff, challenger=False, segments=(), period=None, live=False)
    assert model.payoff_linear is False
    path = tmp_path / "nonlinear.xlsx"
    write_xlsx(model, path)
    wb = openpyxl.load_workbook(path)
    text = " ".join(str(c.value) for row in wb["Assumptions"].iter_rows() for c in row if c.value)
    assert (
        "fn = -max(amount, chargeback_fee) is not linear in its parameters, so money figures are fixed values"
        in text
    )
    # No money formula over the parameters: the sweep's values are numbers, the Summary's too
    # (its "best" cells and sentences are formulas over those fixed numbers).
    ws, table = sweep_table(wb)
    _, min_row, _, max_row = range_boundaries(table.ref)
    assert all(ws.cell(r, 10).data_type == "n" for r in range(min_row + 1, max_row + 1))
    assert not wb.defined_names or all(
        name not in str(c.value)
        for name in wb.defined_names
        for w in wb
        for row in w.iter_rows()
        for c in row
        if c.data_type == "f"
    )
    value = summary_cells(wb["Summary"])["Value at operating threshold"].value
    known = frame[frame["is_fraud"].notna()]
    flagged = known["score"] >= model.headline.threshold
    pos = known["is_fraud"] == 1
    amount = known["amount"]
    p = PARAMS
    expected = (
        (flagged & pos) * (-amount * (1 - p["recovery_rate"]) - p["review_cost"])
        + (flagged & ~pos) * (-p["review_cost"] - p["friction_cost"])
        + (~flagged & pos) * -np.maximum(amount, p["chargeback_fee"])
    ).sum()
    assert value == pytest.approx(expected, abs=0.005)


# -- the sweep table and its chart ---------------------------------------------------------------


def sweep_table(wb):
    ws = wb["Threshold sweep"]
    (table,) = ws.tables.values()
    return ws, table


def test_sweep_table_covers_its_data_and_the_chart_reads_its_columns(saved, model):
    wb = openpyxl.load_workbook(saved)
    ws, table = sweep_table(wb)
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    headers = [ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]
    assert headers[:12] == ["Threshold", "Flagged", "TP", "FP", "TN", "FN", "Precision", "Recall", "FPR",
                            "Value", "vs better baseline", "Policy"]  # fmt: skip
    assert headers[12:] == ["Constant", *(f"per {n}" for n in sorted(PARAMS))]
    curve = model.champion.curve
    assert max_row - min_row == len(curve)  # every distinct score plus "flag nobody"
    assert ws.max_row == max_row and ws.cell(max_row + 1, 1).value is None
    assert ws.freeze_panes == f"B{min_row + 1}"
    assert table.autoFilter is not None and table.autoFilter.ref == table.ref
    # Thresholds descend; the first data row is "flag nobody" (no threshold).
    thresholds = [ws.cell(r, 1).value for r in range(min_row + 1, max_row + 1)]
    assert thresholds[0] is None and thresholds[1:] == sorted(thresholds[1:], reverse=True)
    assert ws.cell(min_row + 1, 12).value == "flag nobody"
    assert ws.cell(min_row + 1, 4).number_format == "#,##0"

    (chart,) = ws._charts
    (series,) = chart.series
    first = min_row + 2  # the chart skips "flag nobody", which has no threshold
    assert series.xVal.numRef.f == f"'Threshold sweep'!$A${first}:$A${max_row}"
    assert series.yVal.numRef.f == f"'Threshold sweep'!$J${first}:$J${max_row}"


def test_sweep_is_downsampled_to_2000_rows_keeping_the_key_points(tmp_path):
    frame = make_frame(n=6000, seed=3, decimals=5)
    con = connect(frame)
    model = report(con, challenger=False, segments=(), period=None, threshold=0.61234)
    champ = model.champion
    assert len(champ.curve) > 4000
    wb = opened(
        build_workbook(model, linear=linear_aggregates(con, "data", model.analysis, aggregate_indices(model)))
    )
    ws, table = sweep_table(wb)
    _, min_row, _, max_row = range_boundaries(table.ref)
    assert max_row - min_row <= 2000
    thresholds = [ws.cell(r, 1).value for r in range(min_row + 1, max_row + 1)]
    policies = {ws.cell(r, 12).value: ws.cell(r, 1).value for r in range(min_row + 1, max_row + 1)}
    assert thresholds[0] is None and thresholds[-1] == frame["score"].min()
    assert policies["best"] == champ.optimum.threshold
    # The operating point is the lowest distinct score >= the analyst's threshold.
    assert policies["operating"] == frame["score"][frame["score"] >= 0.61234].min()
    assert champ.optimum.threshold in thresholds


# -- text from the data ---------------------------------------------------------------------------


def test_injection_strings_are_stored_as_text(saved):
    wb = openpyxl.load_workbook(saved)
    ws = wb["By channel"]
    (table,) = ws.tables.values()
    _, min_row, _, max_row = range_boundaries(table.ref)
    keys = {ws.cell(r, 1).value: ws.cell(r, 1) for r in range(min_row + 1, max_row + 1)}
    expected = {safe_text(s) for s in INJECTIONS}
    assert set(keys) == expected and "=1" in expected  # the tab is stripped
    for cell in keys.values():
        assert cell.data_type == "s"
    # The only formulas are the workbook's own live dollar figures and the best threshold found
    # again over each segment's curve, never a segment name.
    headers, _ = table_rows(ws)
    dollar_columns = {
        headers[h]
        for h in ("Champion value", "Money lost", "Best threshold", "Value at best", "Challenger value")
    }
    formulas = [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas and {c.column for c in formulas} == dollar_columns
    # The payoff expressions start with "-" and are text too.
    expressions = [
        c for row in wb["Assumptions"].iter_rows() for c in row if c.value == "-amount - chargeback_fee"
    ]
    assert expressions and expressions[0].data_type == "s"


def test_file_and_model_names_are_text(con, tmp_path):
    model = report(con, source_name="=cmd|'/c calc'!A1.csv", challenger=False, segments=(), period=None)
    path = tmp_path / "names.xlsx"
    write_xlsx(model, path)
    wb = openpyxl.load_workbook(path)
    cells = [c for row in wb["About"].iter_rows() for c in row if c.value == "=cmd|'/c calc'!A1.csv"]
    assert cells and all(c.data_type == "s" for c in cells)
    assert wb["Summary"]["A2"].data_type == "s"


def test_safe_text_strips_control_characters():
    assert safe_text("\t=1\r\n") == "=1"
    assert safe_text("a\x00b\x1fc\x7fd\x85e") == "abcde"
    assert safe_text(None) == ""
    assert safe_text("x" * 40_000) == "x" * 32_766 + "…"


def test_safe_sheet_name():
    assert safe_sheet_name("By region") == "By region"
    assert safe_sheet_name("a[b]:c*d?e/f\\g") == "a_b__c_d_e_f_g"
    long = "By a very long segment column name indeed"
    assert safe_sheet_name(long) == long[:31]
    assert safe_sheet_name(long, [long[:31].upper()]) == long[:27] + " (2)"
    assert safe_sheet_name("'quoted'") == "quoted"
    assert safe_sheet_name("history") == "Sheet history"
    assert safe_sheet_name("") == "Sheet"
    assert len(safe_sheet_name("x" * 50, ["x" * 31, "x" * 27 + " (2)"])) == 31


def test_safe_defined_name():
    assert safe_defined_name("review_cost") == "review_cost"
    for name in ("ab1", "A1", "xfd1048576", "R1C1", "r", "c", "rc", "sum", "TRUE", "if", "_xlfn"):
        assert safe_defined_name(name) == "p_" + name, name
    assert safe_defined_name("abcd1") == "abcd1"  # four letters: not a column
    assert safe_defined_name("Review_Cost", ["review_cost"]) == "Review_Cost_2"


def test_segment_sheet_names_from_column_names_are_valid(tmp_path):
    frame = make_frame(n=200).rename(columns={"channel": "Channel/Region [EU]: a long name for a column"})
    con = connect(frame)
    model = report(
        con, segments=("Channel/Region [EU]: a long name for a column",), challenger=False, period=None
    )
    wb = opened(build_workbook(model))
    names = [n for n in wb.sheetnames if n.startswith("By ")]
    assert names == ["By Channel_Region _EU__ a long"]  # 31 characters, trailing space dropped


# -- trend ---------------------------------------------------------------------------------------------


def test_trend_marks_periods_without_labels(saved, frame):
    wb = openpyxl.load_workbook(saved)
    ws = wb["Trend"]
    (table,) = ws.tables.values()
    _, min_row, max_col, max_row = range_boundaries(table.ref)
    headers = {ws.cell(min_row, c).value: c for c in range(1, max_col + 1)}
    rows = {ws.cell(r, 1).value.date(): r for r in range(min_row + 1, max_row + 1)}
    assert list(rows) == [dt.date(2026, m, 1) for m in (1, 2, 3, 4)]
    april = rows[dt.date(2026, 4, 1)]
    assert ws.cell(april, headers["Status"]).value == "labels not yet known"
    assert ws.cell(april, headers["Champion value"]).value is None  # unknown, not zero
    march = rows[dt.date(2026, 3, 1)]
    in_march = frame[(frame["ts"] >= "2026-03-01") & (frame["ts"] < "2026-04-01")]
    threshold = summary_cells(wb["Summary"])["Operating threshold"].value
    assert evaluate_live(wb, ws, ws.cell(march, headers["Champion value"]).value) == pytest.approx(
        demo_payoff_value(in_march, threshold, PARAMS), abs=0.005
    )
    assert ws.cell(march, 1).number_format == "mmm yyyy"
    assert "Challenger value" in headers


def test_segment_trend_and_comparison_dollars_follow_a_parameter_change(saved, model, frame):
    # Every breakdown dollar figure, evaluated with review_cost changed from 4.5 to 11, equals the
    # payoff summed straight from the rows with review_cost 11, at the thresholds of the analysis.
    wb = openpyxl.load_workbook(saved)
    new = {**PARAMS, "review_cost": 11.0}
    analysis = model.analysis
    threshold = analysis.champion.operating.threshold
    chall_threshold = analysis.challenger.operating.threshold
    month = frame["ts"].dt.to_period("M").dt.start_time

    def check(ws, rows_of: dict) -> int:
        headers, rows = table_rows(ws)
        checked = 0
        for r in rows:
            key = ws.cell(r, 1).value
            if ws.cell(r, headers["Champion value"]).value is None:
                continue  # a period without labels: unknown, not a formula
            part, _group = rows_of[key]
            expected = {
                "Champion value": demo_payoff_value(part, threshold, new),
                "Money lost": demo_payoff_value(part, None, new, perfect=True)
                - demo_payoff_value(part, threshold, new),
                "Challenger value": demo_payoff_value(part, chall_threshold, new, score="challenger"),
            }
            for header, want in expected.items():
                formula = ws.cell(r, headers[header]).value
                assert formula.startswith("="), (ws.title, key, header)
                assert evaluate_live(wb, ws, formula, review_cost=11.0) == pytest.approx(want, abs=0.005)
            # "Value at best" is the best over the group's whole curve (the hidden Curves sheet), so
            # its threshold moves too: tests/reports/test_xlsx_best_formulas.py recalculates it.
            assert ws.cell(r, headers["Value at best"]).value.startswith("=MAX('Curves'!")
            checked += 1
        return checked

    segments = {g.key: (frame[frame["channel"] == g.key], g) for g in analysis.segments["channel"]}
    by_channel = {safe_text(k): v for k, v in segments.items()}
    assert check(wb["By channel"], by_channel) == len(INJECTIONS)
    periods = {dt.datetime.fromisoformat(g.key): (frame[month == g.key], g) for g in analysis.periods}
    assert check(wb["Trend"], periods) == 3  # January to March; April has no labels yet

    ws = wb["Comparison"]
    lines = {row[0].value: row for row in ws.iter_rows(min_col=1, max_col=4) if isinstance(row[0].value, str)}
    # Each model's value at its best is MAX over its whole curve (test_xlsx_best_formulas.py).
    assert [c.value.startswith("=MAX('Curves'!") for c in lines["Value at best threshold"][1:3]] == [
        True,
        True,
    ]
    expected = {
        "Value at common threshold": (
            demo_payoff_value(frame, threshold, new),
            demo_payoff_value(frame, threshold, new, score="challenger"),
        ),
    }
    for label, (champion, challenger) in expected.items():
        cells = lines[label]
        got = [evaluate_reference(wb, c.value, review_cost=11.0) for c in cells[1:3]]
        assert got == pytest.approx([champion, challenger], abs=0.005), label
        assert cells[3].value == f"={cells[2].coordinate}-{cells[1].coordinate}"
    notes = " ".join(str(c.value) for row in wb["Assumptions"].iter_rows() for c in row if c.value)
    assert "The 'by channel', trend and comparison money figures are live formulas too" in notes


def evaluate_reference(wb, formula: str, **params: float) -> float:
    """Follow ``='Sheet'!$C$5`` to a key-policy value cell and evaluate its live formula there."""
    sheet, coord = formula.lstrip("=").split("!")
    ws = wb[sheet.strip("'")]
    return evaluate_live(wb, ws, ws[coord.replace("$", "")].value, **params)


# -- linear aggregates ---------------------------------------------------------------------------


def test_linear_aggregates_by_hand():
    # Two positives (scores .9, .4) and one negative (.6); tp = -a*(1 - r) - c, fp = -c, fn = -a.
    frame = pd.DataFrame({"score": [0.9, 0.6, 0.4], "is_fraud": [1, 0, 1], "amount": [100.0, 50.0, 10.0]})
    con = connect(frame)
    payoff = parse_payoff({"tp": "-amount * (1 - r) - c", "fp": "-c", "tn": "0", "fn": "-amount"},
                          {"r": 0.8, "c": 5.0}, table_columns(con, "data"))  # fmt: skip
    analysis = analyse(
        con, "data", AnalysisRequest(mapping=ColumnMapping("score", "is_fraud"), payoff=payoff)
    )
    lin = linear_aggregates(con, "data", analysis, [0, 1, 2, 3])
    # index 0 flags nobody: both positives missed -> A0 = -110, no parameter terms.
    # index 1 flags .9: tp row gives -100 + 100 r - c; fn row -10.
    # index 2 adds the negative: -c more.  index 3 adds the .4 positive: -10 + 10 r - c instead of -10.
    np.testing.assert_allclose(lin.terms[None], [-110, -110, -110, -110])
    np.testing.assert_allclose(lin.terms["r"], [0, 100, 100, 110])
    np.testing.assert_allclose(lin.terms["c"], [0, -1, -2, -3])
    np.testing.assert_allclose(lin.value({"r": 0.5, "c": 1.0}), [-110, -61, -62, -58])


def test_linear_aggregates_recompose_a_fresh_sweep_with_new_parameters(con, model):
    idx = np.arange(len(model.champion.curve))
    lin = linear_aggregates(con, "data", model.analysis, idx)
    np.testing.assert_allclose(lin.value(), model.champion.curve.value, atol=1e-6)
    fresh = report(con, params={**PARAMS, "review_cost": 9.0, "recovery_rate": 0.5}, challenger=False)
    np.testing.assert_allclose(
        lin.value({"review_cost": 9.0, "recovery_rate": 0.5}), fresh.champion.curve.value, atol=1e-6
    )


def test_linear_aggregates_decline_a_nonlinear_payoff(con):
    model = report(con, payoff={**PAYOFF, "fp": "-review_cost * friction_cost"}, challenger=False)
    assert linear_aggregates(con, "data", model.analysis, [0, 1]) is None


# -- atomic write ------------------------------------------------------------------------------------


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(model, tmp_path, monkeypatch):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"previous report")

    def broken_save(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(Book, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_xlsx(model, path)
    assert path.read_bytes() == b"previous report"
    assert os.listdir(tmp_path) == ["report.xlsx"]


def test_a_complete_write_replaces_the_old_file(model, tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"previous report")
    write_xlsx(model, path)
    assert openpyxl.load_workbook(path).sheetnames == [
        "Summary", "Assumptions", "Threshold sweep", "Comparison", "By channel", "Trend", "Data quality", "About",
        "Chart data",
    ]  # fmt: skip
    assert openpyxl.load_workbook(path)["Chart data"].sheet_state == "hidden"
    assert os.listdir(tmp_path) == ["report.xlsx"]


def test_an_example_payoff_is_stamped_on_the_summary_sheet(con, tmp_path):
    from dataclasses import replace

    base = report(con, currency="EUR", live=True)
    for suggested in (True, False):
        path = tmp_path / f"s{suggested}.xlsx"
        write_xlsx(replace(base, payoff_suggested=suggested), path)
        ws = openpyxl.load_workbook(path)["Summary"]
        stamp = ws["A3"].value or ""
        assert stamp.startswith("EXAMPLE PAYOFF, NOT CONFIRMED: ") is suggested
        assert ws.sheet_state == "visible" and ws.row_dimensions[3].hidden is False


def test_a_eur_workbook_never_says_dollar(con, tmp_path):
    path = tmp_path / "eur.xlsx"
    write_xlsx(report(con, currency="EUR", live=True), path)
    texts = [
        str(cell.value)
        for ws in openpyxl.load_workbook(path).worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    assert texts and not [t for t in texts if "dollar" in t.lower()]


def test_under_a_capacity_the_value_of_the_model_formula_uses_the_allowed_random_baseline(
    con, frame, tmp_path
):
    from roistudio.core.engine.constraints import Constraints
    from tests.helpers import demo_row_payoffs

    cols = table_columns(con, "data")
    request = AnalysisRequest(
        mapping=ColumnMapping(score="score", label="is_fraud"),
        payoff=parse_payoff(PAYOFF, PARAMS, cols),
        constraints=Constraints(max_flagged=40),
    )
    analysis = analyse(con, "data", request)
    source = SourceFacts("preds.csv", "/data/preds.csv", "0" * 64, 12345, analysis.rows, 0)
    model = build_report_model(analysis, source, currency="EUR", created=CREATED, con=con)
    path = tmp_path / "capacity.xlsx"
    write_xlsx(model, path)
    wb = openpyxl.load_workbook(path)
    rows = {r[0].value: r for r in wb["Summary"].iter_rows(min_col=1, max_col=3)}
    # Expected from the rows: each of the R labelled rows is flagged with probability 40 / R.
    labelled = frame[frame["is_fraud"].notna()]
    pay = demo_row_payoffs(labelled["amount"].to_numpy(), PARAMS)
    positive = labelled["is_fraud"].to_numpy(dtype=int) == 1
    flagged = np.where(positive, pay["tp"], pay["fp"])
    unflagged = np.where(positive, pay["fn"], pay["tn"])
    random_value = unflagged.sum() + 40 / len(labelled) * (flagged - unflagged).sum()
    assert model.headline.better_baseline == "flag 40 at random"
    assert model.headline.value_of_model == pytest.approx(model.headline.value - random_value)
    # The live formulas say the same: nobody + N/R * (everyone - nobody), never MAX(nobody, everyone).
    value_ref = rows["Value at operating threshold"][1].value
    value_ref_cell = rows["Value at operating threshold"][1].coordinate
    nobody_ref = rows["vs flag nobody"][1].value.split("-", 1)[1]
    everyone_ref = rows["vs flag everyone"][1].value.split("-", 1)[1]
    nobody, everyone = evaluate_reference(wb, nobody_ref), evaluate_reference(wb, everyone_ref)
    value = evaluate_reference(wb, value_ref)
    assert rows["Value of the model"][1].value == (
        f"={value_ref_cell}-MAX({nobody_ref},({nobody_ref}+40/{len(labelled)}*({everyone_ref}-{nobody_ref})))"
    )
    assert value - max(nobody, nobody + 40 / len(labelled) * (everyone - nobody)) == pytest.approx(
        model.headline.value_of_model, abs=0.005
    )
    assert nobody + 40 / len(labelled) * (everyone - nobody) == pytest.approx(random_value, abs=0.005)
    assert rows["vs flag 40 at random"][2].value.startswith("value minus the expected value of flagging 40")
