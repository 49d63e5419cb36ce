"""The Excel workbook report, rendered from a :class:`~roistudio.reports.model.ReportModel`.

Sheets: Summary, Assumptions, Threshold sweep, Comparison (with a challenger), one sheet per
segment column, Trend (with a period breakdown), Data quality and About.

Conventions
-----------
- Every number is stored as a number with a number format (currency formats for money, ``0.0%``
  for rates), never as text. Text that comes from the data (segment values, column, file and
  model names, payoff expressions) is stored as text even when it starts with ``=``, ``+``,
  ``-`` or ``@`` (see :mod:`roistudio.reports.cells`).
- Each payoff parameter sits in its own cell on the Assumptions sheet under a workbook defined
  name (the parameter's name, or ``p_`` + name when that would read as a cell reference or a
  function).
- Live formulas: when the payoff is linear in its parameters and the per-parameter aggregates
  are available (:func:`roistudio.core.linear.linear_aggregates`), the dollar figures of the
  Summary and of the sweep table are formulas ``constant + sum(parameter * aggregate)`` over
  those names, so changing ``review_cost`` in Excel reprices every policy. So are the segment,
  trend and comparison figures when their aggregates are available too
  (:func:`roistudio.core.linear.group_terms`, kept in collapsed columns beside each table).
  The thresholds stay those of the analysis. Otherwise dollar figures are fixed values and the
  Assumptions sheet says why.
- Cross-sheet formulas point at a fixed "key policies" block, never at a row of a table, so
  sorting or filtering a table in Excel cannot make the Summary read the wrong row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from roistudio.core.analysis import PERIOD_BREAKDOWN, GroupResult, ModelResult
from roistudio.core.atomic import write_with_atomic
from roistudio.core.curve import Curve, CurvePoint
from roistudio.core.linear import LinearAggregates, linear_aggregates
from roistudio.core.payoff import OUTCOMES
from roistudio.reports.cells import safe_defined_name, safe_sheet_name, safe_text, set_text
from roistudio.reports.model import ReportModel, live_breakdown_terms

MAX_SWEEP_ROWS = 2000
MAX_GROUP_ROWS = 5000  # segment values listed per segment column
MAX_CHART_BARS = 15

# Fixed table names, reserved so no parameter's defined name can take them (Excel keeps table
# names and defined names in one namespace).
_TABLE_NAMES = ("tblSweep", "tblTrend", *(f"tblSegments{n}" for n in range(1, 100)))
_VALUE = "Value"

DECISION_RULE = "a row is flagged iff score >= threshold"
NOT_YET_KNOWN = "labels not yet known"

_NAVY = "1F3864"
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_BAND_FILL = PatternFill("solid", fgColor="F2F5FA")
_KPI_FILL = PatternFill("solid", fgColor="EAF1FB")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_TITLE_FONT = Font(name="Calibri", size=18, bold=True, color=_NAVY)
_SUBTITLE_FONT = Font(name="Calibri", size=10, italic=True, color="595959")
_SECTION_FONT = Font(name="Calibri", size=12, bold=True, color=_NAVY)
_HEADER_FONT = Font(name="Calibri", size=10, bold=True, color="FFFFFF")
_LABEL_FONT = Font(name="Calibri", size=10, color="262626")
_VALUE_FONT = Font(name="Calibri", size=10, color="000000")
_KPI_FONT = Font(name="Calibri", size=12, bold=True, color="000000")
_NOTE_FONT = Font(name="Calibri", size=9, italic=True, color="595959")
_MUTED_FONT = Font(name="Calibri", size=9, color="7F7F7F")
_SECTION_BORDER = Border(bottom=Side(style="medium", color=_NAVY))
_THIN_BOTTOM = Border(bottom=Side(style="thin", color="D9D9D9"))
_WRAP = Alignment(wrap_text=True, vertical="top")
_TABLE_STYLE = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)

PERCENT = "0.0%"
INTEGER = "#,##0"
THRESHOLD = "0.0000##"
PLAIN_NUMBER = "#,##0.00##"

DEFINITIONS = (
    ("Decision rule", "A row is flagged iff score >= threshold. 'Flag nobody' is a policy too (no threshold)."),
    ("TP / FP / TN / FN", "Flagged positive / flagged negative / unflagged negative / unflagged positive, "
                          "over labelled rows."),
    ("Value", "Sum over labelled rows of the payoff of each row's outcome; gains positive, costs negative."),
    ("vs flag nobody / everyone", "Value at the threshold minus the value of flagging no row / every row."),
    ("Value of the model", "Value at the operating threshold minus the better of the two baselines."),
    ("Best threshold", "The threshold with the highest value; ties go to the higher threshold."),
    ("Precision", "TP / flagged rows."),
    ("Recall", "TP / positives."),
    ("FPR", "False positive rate: FP / negatives."),
    ("Flag rate", "Flagged labelled rows / labelled rows."),
    ("Money lost", "Value with perfect knowledge (every positive flagged, no negative) minus the value "
                   "achieved at the operating threshold."),
    ("Rows without a label", "Not yet known; never counted as negatives, shown apart."),
)  # fmt: skip

_OUTCOME_MEANING = {
    "tp": "True positive: flagged, and the label is positive",
    "fp": "False positive: flagged, but the label is negative",
    "tn": "True negative: not flagged, and the label is negative",
    "fn": "False negative: not flagged, but the label is positive",
}


def money_format(symbol: str, decimals: int = 0) -> str:
    """Excel number format for money: ``"$"#,##0;[Red]-"$"#,##0`` (negatives red with a minus)."""
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    sym = '"' + symbol.replace('"', "") + '"'
    return f"{sym}{digits};[Red]-{sym}{digits}"


# --------------------------------------------------------------------------------------------------
# Small cell helpers


def _num(cell, value: float | int | None, fmt: str, font: Font = _VALUE_FONT) -> None:
    """Write a number (blank for None/NaN) with a number format."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        cell.value = None
    else:
        cell.value = int(value) if isinstance(value, (int, np.integer)) else float(value)
    cell.number_format = fmt
    cell.font = font


def _formula(cell, formula: str, fmt: str, font: Font = _VALUE_FONT) -> None:
    cell.value = formula
    cell.number_format = fmt
    cell.font = font


def _text(cell, value: object, font: Font = _VALUE_FONT) -> None:
    set_text(cell, value)
    cell.font = font


def _threshold_cell(cell, threshold: float | None) -> None:
    if threshold is None:
        _text(cell, "flag nobody")
    else:
        _num(cell, threshold, THRESHOLD)


def _abs(ws: Worksheet, row: int, col: int) -> str:
    return f"{quote_sheetname(ws.title)}!${get_column_letter(col)}${row}"


def _ref(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def _widths(ws: Worksheet, widths: dict[str, float]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[col].width = width


def _prepare(ws: Worksheet, title: str, subtitle: str | None = None, *, landscape: bool = True) -> int:
    """Title, subtitle, no gridlines, print set-up; returns the next free row."""
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    _text(ws.cell(1, 1), title, _TITLE_FONT)
    ws.row_dimensions[1].height = 28
    if subtitle:
        _text(ws.cell(2, 1), subtitle, _SUBTITLE_FONT)
    return 4


def _section(ws: Worksheet, row: int, text: str, last_col: int) -> int:
    _text(ws.cell(row, 1), text, _SECTION_FONT)
    for c in range(1, last_col + 1):
        ws.cell(row, c).border = _SECTION_BORDER
    ws.row_dimensions[row].height = 20
    return row + 1


def _header_row(ws: Worksheet, row: int, headers: Sequence[str], start_col: int = 1) -> None:
    for j, h in enumerate(headers):
        cell = ws.cell(row, start_col + j)
        _text(cell, h, _HEADER_FONT)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[row].height = 30


def _paragraph(ws: Worksheet, row: int, text: str, last_col: int, font: Font, chars_per_line: int) -> int:
    """Wrapped text merged across columns 1..last_col, with a row tall enough for its lines.

    Spreadsheets do not grow merged rows to fit wrapped text, so the height is estimated from
    the text length and the merged width (in characters of the default font).
    """
    cell = ws.cell(row, 1)
    _text(cell, text, font)
    cell.alignment = _WRAP
    if last_col > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
    # About 1.4 characters of 9 pt text per unit of column width; bold is a little wider.
    scale = (font.size or 10) / 13 * (1.1 if font.bold else 1.0)
    lines = max(1, math.ceil(len(safe_text(text)) * scale / max(chars_per_line, 1)))
    ws.row_dimensions[row].height = lines * (font.size or 10) * 1.4 + 4
    return row + 1


def _note(ws: Worksheet, row: int, text: str, last_col: int, chars_per_line: int = 140) -> int:
    return _paragraph(ws, row, text, last_col, _NOTE_FONT, chars_per_line)


def _add_table(
    ws: Worksheet, name: str, first_row: int, last_row: int, first_col: int, last_col: int
) -> Table:
    ref = f"{_ref(first_row, first_col)}:{_ref(max(last_row, first_row + 1), last_col)}"
    table = Table(displayName=name, ref=ref, tableStyleInfo=_TABLE_STYLE)
    ws.add_table(table)
    return table


def _axis_setup(chart, x_title: str, y_title: str, y_format: str | None) -> None:
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


def _probability_axis(chart: ScatterChart, model: ReportModel) -> None:
    if not model.analysis.request.mapping.raw_scores:
        chart.x_axis.scaling.min = 0
        chart.x_axis.scaling.max = 1
        chart.x_axis.majorUnit = 0.1
        chart.x_axis.number_format = "0.0"


# --------------------------------------------------------------------------------------------------
# The writer


@dataclass
class _Context:
    model: ReportModel
    linear: LinearAggregates | None
    money: str
    money2: str
    names: dict[str, str] = field(default_factory=dict)  # parameter -> defined name
    breakdown_terms: dict[str, dict] = field(default_factory=dict)  # see ReportModel.breakdown_terms
    comparison_terms: dict | None = None
    key_values: dict[str, str] = field(default_factory=dict)  # key policy -> absolute value ref
    nonlinear_reason: str | None = None


def _sweep_indices(curve: Curve, model: ModelResult) -> np.ndarray:
    keep = tuple(sorted({0, len(curve) - 1, model.optimum.index, model.operating.index}))
    budget = max(MAX_SWEEP_ROWS - len(keep), 2)
    return curve.sample_indices(budget, keep=keep)


def key_policies(model: ReportModel) -> list[tuple[str, str, CurvePoint]]:
    """The champion's key policies: (key, label, point) for operating, baselines and best."""
    champ = model.champion
    return [
        ("operating", "Operating threshold", champ.operating),
        ("nobody", "Flag nobody", champ.flag_nobody),
        ("everyone", "Flag everyone", champ.flag_everyone),
        ("best", "Best threshold", champ.optimum),
    ]


def _nonlinear_reason(model: ReportModel) -> str | None:
    payoff = model.analysis.request.payoff
    for outcome in OUTCOMES:
        if payoff.linear_terms(outcome) is None:
            expr = " ".join(payoff.expressions[outcome].split())
            return (
                f"{outcome} = {expr} is not linear in its parameters, so dollar figures are fixed values "
                "computed with the parameters above."
            )
    return None


def _linear_formula(ctx: _Context, coefficient_refs: Sequence[str]) -> str:
    """``=A0 + name1*A1 + ...`` for the coefficient cells (constant first, then sorted parameters)."""
    assert ctx.linear is not None
    parts = [coefficient_refs[0]]
    for name, ref in zip(ctx.linear.parameter_names, coefficient_refs[1:], strict=True):
        parts.append(f"{ctx.names[name]}*{ref}")
    return "=" + "+".join(parts)


def _write_terms(ws: Worksheet, ctx: _Context, row: int, col: int, terms: dict) -> list[str]:
    """Write one policy's aggregates (constant, then per parameter) from ``col``; returns their refs."""
    assert ctx.linear is not None
    refs = []
    for j, key in enumerate([None, *ctx.linear.parameter_names]):
        _num(ws.cell(row, col + j), terms[key], PLAIN_NUMBER, _MUTED_FONT)
        refs.append(_ref(row, col + j))
    return refs


def _breakdown_parts(ctx: _Context) -> tuple[list[str], list[str]]:
    """Names of the breakdown sheets' figures that are live formulas, and of those that are fixed."""
    model = ctx.model
    live, fixed = [], []
    for column in model.segments:
        (live if f"segment:{column}" in ctx.breakdown_terms else fixed).append(f"'by {column}'")
    if model.periods and model.analysis.request.period:
        (live if PERIOD_BREAKDOWN in ctx.breakdown_terms else fixed).append("trend")
    if model.analysis.comparison is not None:
        (live if ctx.comparison_terms is not None else fixed).append("comparison")
    return live, fixed


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _breakdown_live_text(ctx: _Context) -> str:
    """One or two sentences saying which segment, trend and comparison figures follow the parameters."""
    live, fixed = _breakdown_parts(ctx)
    text = []
    if live:
        text.append(
            f"The {_join(live)} dollar figures are live formulas too; the aggregates they use are in grouped "
            "columns at the right of each table (click + above the column letters to show them)."
        )
    if fixed:
        text.append(f"The {_join(fixed)} figures are fixed values computed with the parameters as exported.")
    return " ".join(text)


# -- Assumptions -----------------------------------------------------------------------------------


def _assumptions(wb: Workbook, ctx: _Context) -> None:
    model = ctx.model
    ws = wb.create_sheet("Assumptions")
    row = _prepare(
        ws, "Assumptions", "What each outcome is worth, and the parameters behind every dollar figure"
    )
    last = 8
    row = _section(ws, row, "Payoff per row (gains positive, costs negative)", last)
    _header_row(ws, row, ["Outcome", "Meaning", "", "", "Expression", "", "", ""])
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
    ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=last)
    row += 1
    for outcome, expression in model.payoff_rows:
        _text(ws.cell(row, 1), outcome.upper(), Font(name="Calibri", size=10, bold=True))
        _text(ws.cell(row, 2), _OUTCOME_MEANING.get(outcome, outcome), _LABEL_FONT)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
        # The expression is user text; it often starts with "-" and must stay text.
        _text(ws.cell(row, 5), " ".join(expression.split()), Font(name="Consolas", size=10))
        ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=last)
        for c in range(1, last + 1):
            ws.cell(row, c).border = _THIN_BOTTOM
        row += 1

    row += 1
    row = _section(ws, row, "Parameters", last)
    _header_row(ws, row, ["Parameter", "Name in formulas", "Value"])
    row += 1
    # Table names share the defined names' namespace in Excel: keep them apart.
    taken: list[str] = list(_TABLE_NAMES)
    for name, value in model.parameters:
        defined = safe_defined_name(name, taken)
        taken.append(defined)
        ctx.names[name] = defined
        _text(ws.cell(row, 1), name, Font(name="Consolas", size=10))
        _text(ws.cell(row, 2), defined, Font(name="Consolas", size=10))
        cell = ws.cell(row, 3)
        _num(cell, value, PLAIN_NUMBER, Font(name="Calibri", size=11, bold=True, color="7F6000"))
        cell.fill = _INPUT_FILL
        wb.defined_names[defined] = DefinedName(defined, attr_text=_abs(ws, row, 3))
        row += 1
    if not model.parameters:
        _text(ws.cell(row, 1), "(no parameters)", _NOTE_FONT)
        row += 1
    renamed = [f"{n} -> {ctx.names[n]}" for n, _ in model.parameters if ctx.names[n] != n]
    if renamed:
        row = _note(
            ws, row,
            "Some parameter names would read as a cell reference or a spreadsheet function, so their "
            f"names in formulas differ: {', '.join(renamed)}.",
            last,
        )  # fmt: skip

    row += 1
    row = _section(ws, row, "How the dollar figures are computed", last)
    if ctx.linear is not None:
        row = _note(
            ws, row,
            "Every payoff is linear in its parameters, so the value of a policy is: constant + sum over "
            "parameters of (parameter x its aggregate), where each aggregate sums that parameter's "
            "coefficient over the rows with each outcome. The dollar figures on the Summary and the "
            "Threshold sweep sheets are live formulas over the yellow cells above: change a parameter and "
            "they update. Thresholds stay those of the analysis; the best threshold for new parameters may "
            f"differ (re-run the analysis to find it). {_breakdown_live_text(ctx)}",
            last,
        )  # fmt: skip
        row += 1
        names = ctx.linear.parameter_names
        headers = ["Policy", "Threshold", "Constant", *(f"per {ctx.names[n]}" for n in names), "Value"]
        _header_row(ws, row, headers)
        row += 1
        policies = [
            (key, label, point, ctx.linear.at(point.index)) for key, label, point in key_policies(model)
        ]
        comp = model.analysis.comparison
        if ctx.comparison_terms is not None and comp is not None:
            policies += [
                ("challenger_best", "Challenger at its best threshold", comp.challenger.optimum,
                 ctx.comparison_terms["best"]),
                ("challenger_common", "Challenger at the common threshold", comp.challenger_at_common,
                 ctx.comparison_terms["common"]),
            ]  # fmt: skip
        for key, label, point, terms in policies:
            _text(ws.cell(row, 1), label, _LABEL_FONT)
            _threshold_cell(ws.cell(row, 2), point.threshold)
            refs = _write_terms(ws, ctx, row, 3, terms)
            value_col = 3 + len(names) + 1
            _formula(
                ws.cell(row, value_col),
                _linear_formula(ctx, refs),
                ctx.money2,
                Font(name="Calibri", size=10, bold=True),
            )
            ctx.key_values[key] = _abs(ws, row, value_col)
            row += 1
    else:
        reason = ctx.nonlinear_reason or (
            "Dollar figures are fixed values: the workbook was written without access to the data, so the "
            "per-parameter aggregates needed for live formulas were not available."
        )
        row = _note(ws, row, reason, last)

    if model.notes:
        row += 1
        row = _section(ws, row, "Notes", last)
        for note in model.notes:
            row = _note(ws, row, note, last)
    _widths(ws, {"A": 24, **{get_column_letter(c): 17 for c in range(2, 12)}})


# -- Summary ---------------------------------------------------------------------------------------


def _summary(ctx: _Context, ws: Worksheet, sweep_chart_source: tuple[Worksheet, int, int, int]) -> None:
    model = ctx.model
    head = model.headline
    src = model.source
    _prepare(ws, model.title, None, landscape=False)
    _text(
        ws.cell(2, 1),
        f"Source: {src.name}   |   created {model.created}   |   Model ROI Studio {model.app_version}",
        _SUBTITLE_FONT,
    )
    last = 4
    row = 4
    row = _section(ws, row, "Recommendation", last)
    row = _paragraph(ws, row, model.recommendation, last, Font(name="Calibri", size=11, bold=True), 105)
    if model.comparison_sentence:
        row = _paragraph(
            ws, row, model.comparison_sentence, last, Font(name="Calibri", size=10, color="262626"), 110
        )

    row += 1
    row = _section(ws, row, "Operating threshold", last)
    _text(ws.cell(row, 1), "Operating threshold", _LABEL_FONT)
    _threshold_cell(ws.cell(row, 2), head.threshold)
    ws.cell(row, 2).font = _KPI_FONT
    _text(ws.cell(row, 3), f"Why: {model.threshold_reason}", _NOTE_FONT)
    ws.cell(row, 3).alignment = Alignment(indent=1)
    row += 1
    _text(ws.cell(row, 1), "Decision rule", _LABEL_FONT)
    _text(ws.cell(row, 2), DECISION_RULE, _NOTE_FONT)
    row += 2

    row = _section(ws, row, f"Money at the operating threshold ({model.currency})", last)
    live = ctx.linear is not None

    def kpi(label: str, value, fmt: str, note: str = "", formula: str | None = None) -> str:
        nonlocal row
        _text(ws.cell(row, 1), label, _LABEL_FONT)
        cell = ws.cell(row, 2)
        if formula is not None:
            _formula(cell, formula, fmt, _KPI_FONT)
        else:
            _num(cell, value, fmt, _KPI_FONT)
        cell.fill = _KPI_FILL
        cell.border = _THIN_BOTTOM
        if note:
            _text(ws.cell(row, 3), note, _NOTE_FONT)
            ws.cell(row, 3).alignment = Alignment(indent=1)
        ref = _ref(row, 2)
        row += 1
        return ref

    kv = ctx.key_values
    value_ref = kpi(
        "Value at operating threshold", head.value, ctx.money,
        f"sum of the payoff over the {head.rows:,} labelled rows",
        f"={kv['operating']}" if live else None,
    )  # fmt: skip
    kpi("vs flag nobody", head.vs_flag_nobody, ctx.money, "value minus the value of flagging no row",
        f"={value_ref}-{kv['nobody']}" if live else None)  # fmt: skip
    kpi("vs flag everyone", head.vs_flag_everyone, ctx.money, "value minus the value of flagging every row",
        f"={value_ref}-{kv['everyone']}" if live else None)  # fmt: skip
    kpi("Value of the model", head.value_of_model, ctx.money, f"vs the better baseline ({head.better_baseline})",
        f"={value_ref}-MAX({kv['nobody']},{kv['everyone']})" if live else None)  # fmt: skip
    # Labelled rows do not depend on the parameters, so the count is a constant in the formula.
    per_1000_formula = f"={value_ref}*1000/{head.rows}" if live and head.rows else None
    kpi("Value per 1,000 rows", head.value_per_1000, money_format(model.symbol, 2), "per 1,000 labelled rows",
        per_1000_formula)  # fmt: skip
    best_note = (
        "flag nobody" if head.optimum_threshold is None else f"at threshold {head.optimum_threshold:.4g}"
    )
    kpi("Best possible value", head.optimum_value, ctx.money, f"the best threshold, {best_note}",
        f"={kv['best']}" if live else None)  # fmt: skip

    row += 1
    row = _section(ws, row, "Classification at the operating threshold", last)
    kpi("Precision", head.precision, PERCENT, "share of flagged rows that are positive")
    kpi("Recall", head.recall, PERCENT, "share of positives that are flagged")
    kpi("Flag rate", head.flag_rate, PERCENT, "share of labelled rows flagged")
    kpi("Flagged rows", head.flagged, INTEGER, "labelled rows at or above the threshold")
    kpi("Labelled rows", head.rows, INTEGER, "rows with a known label")
    kpi("Rows without a label", model.quality.unlabeled, INTEGER, "not yet known; never counted as negatives")

    row += 1
    row = _section(ws, row, "Confusion counts at the operating threshold", last)
    _header_row(ws, row, ["", "Actual positive", "Actual negative"])
    ws.cell(row, 1).fill = PatternFill(fill_type=None)
    row += 1
    for label, a, b in (("Flagged", head.tp, head.fp), ("Not flagged", head.fn, head.tn)):
        _text(ws.cell(row, 1), label, Font(name="Calibri", size=10, bold=True))
        _num(ws.cell(row, 2), a, INTEGER, _KPI_FONT)
        _num(ws.cell(row, 3), b, INTEGER, _KPI_FONT)
        for c in (2, 3):
            ws.cell(row, c).alignment = Alignment(horizontal="center")
            ws.cell(row, c).fill = _KPI_FILL
        row += 1
    _text(ws.cell(row, 1), "TP = flagged positives, FP = flagged negatives, FN = missed positives, "
          "TN = unflagged negatives", _NOTE_FONT)  # fmt: skip
    row += 2

    sheet, first, last_row, _ = sweep_chart_source
    if last_row > first:
        chart = _value_chart(model, sheet, first, last_row, ctx.money)
        chart.width, chart.height = 22, 9
        ws.add_chart(chart, f"A{row}")
    _widths(ws, {"A": 30, "B": 20, "C": 50, "D": 12})


# -- Threshold sweep -------------------------------------------------------------------------------

_SWEEP_HEADERS = ["Threshold", "Flagged", "TP", "FP", "TN", "FN", "Precision", "Recall", "FPR", "Value",
                  "vs flag nobody", "Policy"]  # fmt: skip
_COL_VALUE = 10
_COL_VS_NOBODY = 11


def _threshold_sweep(wb: Workbook, ctx: _Context) -> tuple[Worksheet, int, int, int]:
    """Write the sweep table; returns (sheet, first data row, last data row, value column)."""
    model = ctx.model
    champ = model.champion
    curve = champ.curve
    ws = wb.create_sheet("Threshold sweep")
    row = _prepare(ws, "Threshold sweep", f"Model {safe_text(champ.name)}: every policy, {DECISION_RULE}")
    idx = sweep_rows(model)
    sampled = len(idx) < len(curve)
    note = (
        f"{len(idx):,} of {len(curve):,} thresholds, spread evenly; the first row, the last row, the best "
        "and the operating threshold are always included."
        if sampled
        else f"All {len(curve):,} thresholds (every distinct score, plus 'flag nobody')."
    )
    live = ctx.linear is not None
    names = ctx.linear.parameter_names if ctx.linear is not None else []
    if live:
        note += (
            " Value is a live formula: Constant + sum of (parameter x 'per parameter' column), with the "
            "parameters on the Assumptions sheet."
        )
    row = _note(ws, 3, note, 12) + 1
    header_row = row
    headers = [*_SWEEP_HEADERS, *(["Constant", *(f"per {ctx.names[n]}" for n in names)] if live else [])]
    _header_row(ws, header_row, headers)
    first = header_row + 1

    thresholds = curve.thresholds[idx]
    columns = [
        curve.flagged[idx], curve.tp[idx], curve.fp[idx], curve.tn[idx], curve.fn[idx],
        curve.precision[idx], curve.recall[idx], curve.fpr[idx],
    ]  # fmt: skip
    values = curve.value[idx]
    nobody_value = float(curve.value[0])
    formats = [INTEGER] * 5 + [PERCENT] * 3
    labels = {
        0: "flag nobody",
        len(curve) - 1: "flag everyone",
    }
    tags: dict[int, list[str]] = {}
    for i, text in labels.items():
        tags.setdefault(i, []).append(text)
    tags.setdefault(champ.optimum.index, []).append("best")
    tags.setdefault(champ.operating.index, []).append("operating")
    if live:
        coefficient_arrays = [ctx.linear.terms[None], *(ctx.linear.terms[n] for n in names)]  # type: ignore[union-attr]
        positions = np.searchsorted(ctx.linear.indices, idx)  # type: ignore[union-attr]

    # One cell write per sampled threshold (at most 2,000): openpyxl has no bulk API.
    for k, i in enumerate(idx):
        r = first + k
        t = thresholds[k]
        _num(ws.cell(r, 1), None if math.isnan(t) else float(t), THRESHOLD)
        for j, (col, fmt) in enumerate(zip(columns, formats, strict=True)):
            v = col[k]
            _num(ws.cell(r, 2 + j), int(v) if fmt == INTEGER else float(v), fmt)
        if live:
            refs = []
            for j, arr in enumerate(coefficient_arrays):
                c = len(_SWEEP_HEADERS) + 1 + j
                _num(ws.cell(r, c), float(arr[positions[k]]), PLAIN_NUMBER, _MUTED_FONT)
                refs.append(_ref(r, c))
            _formula(ws.cell(r, _COL_VALUE), _linear_formula(ctx, refs), ctx.money)
            _formula(
                ws.cell(r, _COL_VS_NOBODY), f"={_ref(r, _COL_VALUE)}-{ctx.key_values['nobody']}", ctx.money
            )
        else:
            _num(ws.cell(r, _COL_VALUE), float(values[k]), ctx.money)
            _num(ws.cell(r, _COL_VS_NOBODY), float(values[k]) - nobody_value, ctx.money)
        if int(i) in tags:
            cell = ws.cell(r, 12)
            _text(cell, ", ".join(tags[int(i)]), Font(name="Calibri", size=10, bold=True, color=_NAVY))
            cell.alignment = Alignment(indent=1)
    last_row = first + len(idx) - 1
    _add_table(ws, "tblSweep", header_row, last_row, 1, len(headers))
    ws.freeze_panes = ws.cell(first, 2)
    # Print the readable columns only, with the header on every page.
    ws.print_area = f"A1:{get_column_letter(len(_SWEEP_HEADERS))}{last_row}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    _widths(ws, {"A": 12, "B": 11, "C": 10, "D": 10, "E": 10, "F": 10, "G": 11, "H": 10, "I": 10, "J": 14,
                 "K": 15, "L": 20})  # fmt: skip
    for j in range(len(headers) - len(_SWEEP_HEADERS)):
        ws.column_dimensions[get_column_letter(len(_SWEEP_HEADERS) + 1 + j)].width = 14
    chart = _value_chart(model, ws, first, last_row, ctx.money)
    ws.add_chart(chart, f"{get_column_letter(len(headers) + 2)}{header_row}")
    return ws, first, last_row, _COL_VALUE


def _value_chart(model: ReportModel, ws: Worksheet, first: int, last_row: int, money: str) -> ScatterChart:
    """Value vs threshold from the sweep table (the 'flag nobody' row has no threshold: skipped)."""
    chart = ScatterChart()
    chart.title = "Value by threshold"
    chart.style = 2
    start = first + 1 if last_row > first else first
    xs = Reference(ws, min_col=1, min_row=start, max_row=last_row)
    ys = Reference(ws, min_col=_COL_VALUE, min_row=start, max_row=last_row)
    series = Series(ys, xs, title=safe_text(model.champion.name, limit=80))
    series.marker.symbol = "none"
    series.smooth = False
    series.graphicalProperties.line.width = 22000
    chart.series.append(series)
    _axis_setup(chart, "Threshold (flag rows with score >= threshold)", f"Value ({model.currency})", money)
    _probability_axis(chart, model)
    chart.width, chart.height = 20, 10
    return chart


# -- Comparison ------------------------------------------------------------------------------------


def _comparison(wb: Workbook, ctx: _Context) -> None:
    model = ctx.model
    comp = model.analysis.comparison
    if comp is None:
        return
    ws = wb.create_sheet("Comparison")
    row = _prepare(ws, "Champion vs challenger", "Both models on the same rows")
    last = 4
    if model.comparison_sentence:
        row = (
            _paragraph(
                ws, row, model.comparison_sentence, last, Font(name="Calibri", size=11, bold=True), 100
            )
            + 1
        )
    _header_row(ws, row, ["", f"Champion: {comp.champion.name}", f"Challenger: {comp.challenger.name}",
                          "Challenger minus champion"])  # fmt: skip
    ws.cell(row, 1).fill = PatternFill(fill_type=None)
    row += 1
    champ_best, chall_best = comp.champion.optimum, comp.challenger.optimum
    champ_common, chall_common = comp.champion.operating, comp.challenger_at_common
    lines = [
        ("Best threshold", champ_best.threshold, chall_best.threshold, None, THRESHOLD),
        ("Value at best threshold", champ_best.value, chall_best.value, comp.difference_at_best, ctx.money),
        (
            "Common threshold (champion's operating)",
            comp.common_threshold,
            comp.common_threshold,
            None,
            THRESHOLD,
        ),
        (
            "Value at common threshold",
            champ_common.value,
            chall_common.value,
            comp.difference_at_common,
            ctx.money,
        ),
        ("Precision at common threshold", champ_common.precision, chall_common.precision, None, PERCENT),
        ("Recall at common threshold", champ_common.recall, chall_common.recall, None, PERCENT),
        ("Flagged at common threshold", champ_common.flagged, chall_common.flagged, None, INTEGER),
    ]
    if comp.difference_per_period_at_best is not None and model.analysis.request.period:
        lines.append((f"Difference at best per {model.analysis.request.period} with labels", None, None,
                      comp.difference_per_period_at_best, ctx.money))  # fmt: skip
    # With live terms, the money rows point at the key policies on the Assumptions sheet.
    kv = ctx.key_values
    live = ctx.comparison_terms is not None and "challenger_best" in kv
    live_refs = {
        "Value at best threshold": (kv.get("best"), kv.get("challenger_best")),
        "Value at common threshold": (kv.get("operating"), kv.get("challenger_common")),
    }
    difference_ref = None
    for label, a, b, diff, fmt in lines:
        _text(ws.cell(row, 1), label, _LABEL_FONT)
        bold = Font(name="Calibri", size=10, bold=True)
        if live and label in live_refs:
            champion_ref, challenger_ref = live_refs[label]
            _formula(ws.cell(row, 2), f"={champion_ref}", fmt)
            _formula(ws.cell(row, 3), f"={challenger_ref}", fmt)
            _formula(ws.cell(row, 4), f"={_ref(row, 3)}-{_ref(row, 2)}", fmt, bold)
            if label == "Value at best threshold":
                difference_ref = _ref(row, 4)
        else:
            for col, v in ((2, a), (3, b)):
                if fmt == THRESHOLD:
                    _threshold_cell(ws.cell(row, col), v)
                else:
                    _num(ws.cell(row, col), v, fmt)
            if diff is not None and live and difference_ref and comp.periods_with_labels:
                # Per period with labels: the difference at best spread over those periods.
                _formula(ws.cell(row, 4), f"={difference_ref}/{comp.periods_with_labels}", fmt, bold)
            elif diff is not None:
                _num(ws.cell(row, 4), diff, fmt, bold)
        for c in (2, 3, 4):
            ws.cell(row, c).border = _THIN_BOTTOM
        row += 1
    note = (
        "Dollar figures on this sheet are live formulas over the parameters on the Assumptions sheet, at the "
        "thresholds of the analysis. The sentence above and the chart are as exported."
        if live
        else "Dollar figures on this sheet are fixed values computed with the parameters as exported."
    )
    row = _note(ws, row + 1, note, last, 100)

    # Chart data below the chart: each model's curve, downsampled like the sweep table.
    chart_row = row + 1
    data_row = _section(ws, chart_row + 22, "Curve data for the chart", 4)
    _header_row(
        ws, data_row, ["Champion threshold", "Champion value", "Challenger threshold", "Challenger value"]
    )
    first = data_row + 1
    chart = ScatterChart()
    chart.title = "Value by threshold"
    chart.style = 2
    for m, (model_result, label) in enumerate(((comp.champion, "Champion"), (comp.challenger, "Challenger"))):
        curve = model_result.curve
        idx = _sweep_indices(curve, model_result)[1:]  # skip "flag nobody": it has no threshold
        xcol, ycol = 1 + 2 * m, 2 + 2 * m
        for k, i in enumerate(idx):
            _num(ws.cell(first + k, xcol), float(curve.thresholds[i]), THRESHOLD)
            _num(ws.cell(first + k, ycol), float(curve.value[i]), ctx.money)
        if len(idx):
            xs = Reference(ws, min_col=xcol, min_row=first, max_row=first + len(idx) - 1)
            ys = Reference(ws, min_col=ycol, min_row=first, max_row=first + len(idx) - 1)
            series = Series(ys, xs, title=safe_text(f"{label}: {model_result.name}", limit=80))
            series.marker.symbol = "none"
            series.smooth = False
            chart.series.append(series)
    _axis_setup(chart, "Threshold", f"Value ({model.currency})", ctx.money)
    _probability_axis(chart, model)
    chart.width, chart.height = 20, 10
    ws.add_chart(chart, f"A{chart_row}")
    _widths(ws, {"A": 40, "B": 22, "C": 22, "D": 22})


# -- Segments and trend ----------------------------------------------------------------------------

# Policies whose aggregates a live breakdown table carries, with their column-header names.
_GROUP_POLICIES = {
    "value": "value",
    "perfect": "perfect knowledge",
    "best": "best",
    "challenger": "challenger",
}


def _groups_table(
    ws: Worksheet,
    ctx: _Context,
    groups: Sequence[GroupResult],
    header_row: int,
    first_header: str,
    table_name: str,
    *,
    period: str | None = None,
    terms: dict[str, dict[str, dict]] | None = None,
) -> tuple[int, int, dict[str, int]]:
    """Write one table of groups; returns (first data row, last data row, column by header).

    With ``terms`` (group key -> policy -> aggregates, see :func:`roistudio.core.linear.group_terms`)
    the dollar columns are live formulas over the Assumptions parameters and aggregate columns
    appended to the table, grouped and collapsed so the table reads as before.
    """
    challenger = ctx.model.challenger is not None
    headers = [first_header, "Labelled rows", "Positives", "Rows without label", "Flagged", "Precision",
               "Recall", _VALUE, "Money lost", "Best threshold", "Value at best"]  # fmt: skip
    if challenger:
        headers[headers.index(_VALUE)] = "Champion value"
        headers.append("Challenger value")
    if period is not None:
        headers.append("Status")
    visible = len(headers)
    live = terms is not None and ctx.linear is not None
    policies = [p for p in _GROUP_POLICIES if p != "challenger" or challenger] if live else []
    names = ctx.linear.parameter_names if live else []  # type: ignore[union-attr]
    for policy in policies:
        headers += [f"{_GROUP_POLICIES[policy]}: constant", *(f"{_GROUP_POLICIES[policy]}: per {ctx.names[n]}"
                                                               for n in names)]  # fmt: skip
    _header_row(ws, header_row, headers)
    col = {h: j + 1 for j, h in enumerate(headers)}
    value_col = col.get(_VALUE) or col["Champion value"]
    first = header_row + 1
    for k, g in enumerate(groups):
        r = first + k
        key_cell = ws.cell(r, 1)
        day = _iso_date(g.key) if period is not None else None
        if day is not None:
            # A real date, so Excel sorts, filters and charts periods as dates.
            key_cell.value = day
            key_cell.number_format = _period_format(period or "")
            key_cell.font = _VALUE_FONT
            key_cell.alignment = Alignment(horizontal="left")
        else:
            _text(key_cell, g.key)
        known = not g.fully_unlabeled
        p = g.operating
        _num(ws.cell(r, col["Labelled rows"]), g.rows, INTEGER)
        _num(ws.cell(r, col["Positives"]), g.positives, INTEGER)
        _num(ws.cell(r, col["Rows without label"]), g.unlabeled, INTEGER)
        _num(ws.cell(r, col["Flagged"]), p.flagged if known else None, INTEGER)
        _num(ws.cell(r, col["Precision"]), p.precision, PERCENT)
        _num(ws.cell(r, col["Recall"]), p.recall, PERCENT)
        _num(ws.cell(r, value_col), p.value if known else None, ctx.money)
        _num(ws.cell(r, col["Money lost"]), g.money_lost if known else None, ctx.money)
        if known:
            _threshold_cell(ws.cell(r, col["Best threshold"]), g.optimum.threshold)
        _num(ws.cell(r, col["Value at best"]), g.optimum.value if known else None, ctx.money)
        if challenger:
            v = g.challenger_operating.value if (g.challenger_operating is not None and known) else None
            _num(ws.cell(r, col["Challenger value"]), v, ctx.money)
        group_terms = (terms or {}).get(g.key, {}) if known else {}
        formulas: dict[str, str] = {}
        for k, policy in enumerate(policies):
            if policy in group_terms:
                start = visible + 1 + k * (1 + len(names))
                formulas[policy] = _linear_formula(ctx, _write_terms(ws, ctx, r, start, group_terms[policy]))
        if "value" in formulas:
            _formula(ws.cell(r, value_col), formulas["value"], ctx.money)
            if "perfect" in formulas:
                lost = f"=({formulas['perfect'][1:]})-{_ref(r, value_col)}"
                _formula(ws.cell(r, col["Money lost"]), lost, ctx.money)
        if "best" in formulas:
            _formula(ws.cell(r, col["Value at best"]), formulas["best"], ctx.money)
        if "challenger" in formulas:
            _formula(ws.cell(r, col["Challenger value"]), formulas["challenger"], ctx.money)
        if period is not None:
            status = (
                NOT_YET_KNOWN if not known else (f"{g.unlabeled:,} rows without label" if g.unlabeled else "")
            )
            if status:
                _text(
                    ws.cell(r, col["Status"]),
                    status,
                    _NOTE_FONT if known else Font(name="Calibri", size=10, bold=True, color="C00000"),
                )
    last_row = first + max(len(groups), 1) - 1
    _add_table(ws, table_name, header_row, last_row, 1, len(headers))
    widths = {"A": 26 if period is None else 14}
    for h, j in col.items():
        if j > 1:
            widths[get_column_letter(j)] = 13 if h != "Status" else 24
    _widths(ws, widths)
    if len(headers) > visible:
        # The aggregates: collapsed under an outline "+", so the table reads as before.
        ws.column_dimensions.group(
            get_column_letter(visible + 1), get_column_letter(len(headers)), hidden=True, outline_level=1
        )
        ws.sheet_properties.outlinePr.summaryRight = False  # the "+" sits at the visible end
    ws.freeze_panes = ws.cell(first, 2)
    return first, last_row, col


def _iso_date(key: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(key)
    except ValueError:
        return None


def _period_format(period: str) -> str:
    return {"month": "mmm yyyy", "year": "yyyy"}.get(period, "yyyy-mm-dd")


def _segments(wb: Workbook, ctx: _Context) -> None:
    model = ctx.model
    threshold = model.headline.threshold
    at = "flag nobody" if threshold is None else f"threshold {threshold:.4g}"
    for n, (column, groups) in enumerate(model.segments.items(), start=1):
        title = safe_sheet_name(f"By {column}", wb.sheetnames)
        ws = wb.create_sheet(title)
        _prepare(ws, f"Value by {safe_text(column)}", f"At the operating {at}, ranked by money lost")
        shown = groups[:MAX_GROUP_ROWS]
        note = "Money lost: value with perfect knowledge minus the value achieved, for that segment."
        if f"segment:{column}" in ctx.breakdown_terms:
            note += " Dollar figures follow the parameters on the Assumptions sheet."
        if len(groups) > len(shown):
            note += f" The {len(shown):,} segments losing the most money of {len(groups):,} are listed."
        _note(ws, 3, note, 11)
        first, _, col = _groups_table(
            ws,
            ctx,
            shown,
            5,
            "Segment",
            f"tblSegments{n}",
            terms=ctx.breakdown_terms.get(f"segment:{column}"),
        )
        if shown:
            chart = BarChart()
            chart.type = "bar"
            chart.style = 10
            chart.title = (
                f"Money lost by {safe_text(column, limit=60)} (top {min(len(shown), MAX_CHART_BARS)})"
            )
            bars = min(len(shown), MAX_CHART_BARS)
            data = Reference(ws, min_col=col["Money lost"], min_row=first - 1, max_row=first + bars - 1)
            cats = Reference(ws, min_col=1, min_row=first, max_row=first + bars - 1)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(cats)
            chart.y_axis.scaling.orientation = "minMax"
            chart.x_axis.scaling.orientation = "maxMin"  # largest loss on top
            _axis_setup(chart, "", f"Money lost ({model.currency})", ctx.money)
            chart.x_axis.tickLblPos = "nextTo"
            chart.y_axis.crosses = "max"  # keeps the money axis at the bottom when categories run top-down
            chart.legend = None
            chart.width, chart.height = 18, max(7, 0.6 * bars + 3)
            ws.add_chart(chart, f"{get_column_letter(len(col) + 2)}5")


def _trend(wb: Workbook, ctx: _Context) -> None:
    model = ctx.model
    period = model.analysis.request.period
    if not period or not model.periods:
        return
    ws = wb.create_sheet("Trend")
    threshold = model.headline.threshold
    at = "flag nobody" if threshold is None else f"threshold {threshold:.4g}"
    _prepare(ws, f"Value per {period}", f"At the operating {at}")
    _note(ws, 3, f"Periods whose rows have no label yet are marked '{NOT_YET_KNOWN}': their value is unknown, "
          "not zero.", 12)  # fmt: skip
    first, last_row, col = _groups_table(
        ws, ctx, model.periods, 5, period.capitalize(), "tblTrend", period=period,
        terms=ctx.breakdown_terms.get(PERIOD_BREAKDOWN),
    )  # fmt: skip
    chart = BarChart()
    chart.type = "col"
    chart.style = 10
    chart.title = f"Value per {period}"
    cats = Reference(ws, min_col=1, min_row=first, max_row=last_row)
    data = Reference(
        ws, min_col=col.get(_VALUE) or col["Champion value"], min_row=first - 1, max_row=last_row
    )
    chart.add_data(data, titles_from_data=True)
    if "Challenger value" in col:
        chart.add_data(Reference(ws, min_col=col["Challenger value"], min_row=first - 1, max_row=last_row),
                       titles_from_data=True)  # fmt: skip
    chart.set_categories(cats)
    _axis_setup(chart, period.capitalize(), f"Value ({model.currency})", ctx.money)
    chart.x_axis.number_format = _period_format(period)
    chart.width, chart.height = 20, 9
    ws.add_chart(chart, f"A{last_row + 3}")


# -- Data quality and About ------------------------------------------------------------------------


def _key_values(
    ws: Worksheet, row: int, items: Sequence[tuple[str, object, str | None]], last: int = 3
) -> int:
    for label, value, fmt in items:
        _text(ws.cell(row, 1), label, _LABEL_FONT)
        cell = ws.cell(row, 2)
        if fmt is None:
            _text(cell, "" if value is None else value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if last > 2:
                ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=last)
        else:
            _num(cell, value, fmt)  # type: ignore[arg-type]
            cell.alignment = Alignment(horizontal="left")
        for c in range(1, last + 1):
            ws.cell(row, c).border = _THIN_BOTTOM
        row += 1
    return row


def _data_quality(wb: Workbook, ctx: _Context) -> None:
    model = ctx.model
    q = model.quality
    label = model.analysis.validation.label
    ws = wb.create_sheet("Data quality")
    row = _prepare(ws, "Data quality", "What was read, left out and not yet known")
    row = _section(ws, row, "Rows", 3)
    row = _key_values(ws, row, [
        ("Rows in file", q.rows_in_file, INTEGER),
        ("Rejected rows (could not be read)", q.rejected_rows, INTEGER),
        ("Rows analysed (after filters)", model.analysis.rows, INTEGER),
        ("Rows left out for unusable scores", q.excluded_scores, INTEGER),
        ("Rows without a label (not yet known)", q.unlabeled, INTEGER),
        ("Labelled rows", q.labelled, INTEGER),
    ])  # fmt: skip
    row += 1
    row = _section(ws, row, f"Label counts (column {safe_text(label.column)})", 3)
    row = _key_values(ws, row, [
        (f"Positives (label = {safe_text(label.positive_text)})", q.positives, INTEGER),
        ("Negatives", q.negatives, INTEGER),
        ("Positive rate", q.positives / q.labelled if q.labelled else None, PERCENT),
        ("Label values", ", ".join(label.values), None),
    ])  # fmt: skip
    row += 1
    row = _section(ws, row, "Warnings", 3)
    messages = list(q.warnings) or ["None."]
    for message in messages:
        row = _note(ws, row, message, 3, 105)
    if q.rejected_examples:
        row += 1
        row = _section(ws, row, "Examples of rejected rows", 3)
        for example in q.rejected_examples:
            _text(ws.cell(row, 1), example)
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
            row += 1
    _widths(ws, {"A": 40, "B": 20, "C": 50})


def _about(wb: Workbook, ctx: _Context) -> None:
    model = ctx.model
    src = model.source
    ws = wb.create_sheet("About")
    row = _prepare(ws, "About this report", "Where every number came from")
    row = _section(ws, row, "Report", 3)
    period = model.analysis.request.period
    row = _key_values(ws, row, [
        ("Title", model.title, None),
        ("Created (UTC)", model.created, None),
        ("App", f"Model ROI Studio {model.app_version}", None),
        ("Currency", model.currency, None),
        ("Decision rule", DECISION_RULE, None),
        ("Operating threshold", "flag nobody" if model.headline.threshold is None else model.headline.threshold,
         None if model.headline.threshold is None else THRESHOLD),
        ("Why this threshold", model.threshold_reason, None),
        ("Breakdown by period", period or "none", None),
    ])  # fmt: skip
    row += 1
    row = _section(ws, row, "Source", 3)
    items: list[tuple[str, object, str | None]] = [
        ("File", src.name, None),
        ("Path", src.path, None),
        ("Size (bytes)", src.size, INTEGER),
        ("SHA-256", src.sha256, None),
        ("Rows in file", src.rows_in_file, INTEGER),
    ]
    if src.date_min or src.date_max:
        items.append(("Dates", f"{src.date_min or '?'} to {src.date_max or '?'}", None))
    row = _key_values(ws, row, items)
    row += 1
    row = _section(ws, row, "Column mapping and filters", 3)
    row = _key_values(ws, row, [*((role, value, None) for role, value in model.mapping_rows),
                                ("Filters", model.filters, None)])  # fmt: skip
    row += 1
    row = _section(ws, row, "Definitions", 3)
    _key_values(ws, row, [(term, text, None) for term, text in DEFINITIONS])
    _widths(ws, {"A": 28, "B": 40, "C": 60})


# --------------------------------------------------------------------------------------------------
# Entry points


def build_workbook(model: ReportModel, *, linear: LinearAggregates | None = None) -> Workbook:
    """Build the workbook in memory.

    Parameters
    ----------
    model
        The report model.
    linear
        Per-parameter aggregates of the champion curve covering the sweep rows and the key
        policies (see :func:`aggregate_indices`); ``model.linear`` by default. With them, and a
        linear payoff, dollar figures on the Summary and the sweep are live formulas; without
        them, fixed values.
    """
    if linear is None and isinstance(model.linear, LinearAggregates):
        linear = model.linear
    ctx = _Context(model=model, linear=linear if model.payoff_linear else None,
                   money=money_format(model.symbol), money2=money_format(model.symbol, 2))  # fmt: skip
    if not model.payoff_linear:
        ctx.nonlinear_reason = _nonlinear_reason(model)
    if ctx.linear is not None and not _covers(ctx.linear, aggregate_indices(model)):
        ctx.linear = None
    if ctx.linear is not None:
        # Only terms over exactly the parameters of the sweep's formulas (the same payoff split).
        wanted = {None, *ctx.linear.parameter_names}
        ctx.breakdown_terms = {
            name: terms for name, terms in model.breakdown_terms.items() if _terms_match(terms, wanted)
        }
        comparison = model.comparison_terms
        if comparison is not None and all(set(t) == wanted for t in comparison.values()):
            ctx.comparison_terms = comparison
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    _assumptions(wb, ctx)
    sweep = _threshold_sweep(wb, ctx)
    _summary(ctx, summary, sweep)
    _comparison(wb, ctx)
    _segments(wb, ctx)
    _trend(wb, ctx)
    _data_quality(wb, ctx)
    _about(wb, ctx)
    wb.properties.title = safe_text(model.title, limit=250)
    wb.properties.creator = f"Model ROI Studio {model.app_version}"
    return wb


def _terms_match(terms: dict[str, dict[str, dict]], wanted: set) -> bool:
    return all(set(t) == wanted for per_key in terms.values() for t in per_key.values())


def _covers(linear: LinearAggregates, needed: np.ndarray) -> bool:
    return bool(np.isin(needed, linear.indices).all())


def sweep_rows(model: ReportModel) -> np.ndarray:
    """Champion curve indices shown in the sweep table (ascending, at most 2,000).

    The report model's choice (``model.sweep_indices``, shared with the PDF) when it fits and
    holds the key policies; otherwise an even sample that keeps both ends, the best and the
    operating threshold.
    """
    chosen = np.unique(np.asarray(model.sweep_indices, dtype=np.int64))
    keys = np.asarray([p.index for _, _, p in key_policies(model)], dtype=np.int64)
    if 0 < len(chosen) <= MAX_SWEEP_ROWS and np.isin(keys, chosen).all():
        return chosen
    return _sweep_indices(model.champion.curve, model.champion)


def aggregate_indices(model: ReportModel) -> np.ndarray:
    """Champion curve indices whose per-parameter aggregates the workbook needs."""
    keys = [p.index for _, _, p in key_policies(model)]
    return np.union1d(sweep_rows(model), np.asarray(keys, dtype=np.int64))


def write_xlsx(
    model: ReportModel,
    path: str | os.PathLike[str],
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    linear: LinearAggregates | None = None,
) -> None:
    """Write the Excel workbook report to ``path`` atomically.

    Parameters
    ----------
    model
        The report model (see :func:`roistudio.reports.model.build_report_model`).
    path
        Target ``.xlsx`` file. An existing file is replaced only by a complete new one; on a
        failure no temporary file is left behind.
    con
        The DuckDB connection the analysis ran on. Needed for live formulas only when the report
        model carries no per-parameter aggregates covering the workbook's rows (``model.linear``,
        computed by ``build_report_model(..., con=con)``); then one extra query computes them.
        Without either, dollar figures are fixed values.
    linear
        Precomputed aggregates (overrides ``model.linear`` and ``con``).
    """
    if linear is None and model.payoff_linear:
        needed = aggregate_indices(model)
        linear = model.linear if isinstance(model.linear, LinearAggregates) else None
        if (linear is None or not _covers(linear, needed)) and con is not None:
            linear = linear_aggregates(con, model.analysis.table, model.analysis, needed)
        if (
            con is not None
            and linear is not None
            and not model.breakdown_terms
            and model.comparison_terms is None
        ):
            breakdown_terms, comparison_terms = live_breakdown_terms(
                con, model.analysis.table, model.analysis
            )
            model = dataclasses.replace(
                model, breakdown_terms=breakdown_terms, comparison_terms=comparison_terms
            )
    workbook = build_workbook(model, linear=linear)
    write_with_atomic(path, lambda tmp: workbook.save(tmp))
