"""The Threshold sweep sheet: every policy in an Excel table (live formulas when linear) and its chart."""

from __future__ import annotations

import math

import numpy as np
from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from roistudio.reports.cells import safe_text
from roistudio.reports.model import ReportModel
from roistudio.reports.xlsx.context import SheetContext, linear_formula, sweep_rows
from roistudio.reports.xlsx.layout import (
    add_excel_table,
    add_header_row,
    add_note,
    cell_ref,
    prepare_sheet,
    probability_axis,
    put_formula,
    put_number,
    put_text,
    set_widths,
    setup_axes,
)
from roistudio.reports.xlsx.style import (
    DECISION_RULE,
    INTEGER,
    MUTED_FONT,
    NAVY,
    PERCENT,
    PLAIN_NUMBER,
    THRESHOLD,
)

_SWEEP_HEADERS = ["Threshold", "Flagged", "TP", "FP", "TN", "FN", "Precision", "Recall", "FPR", "Value",
                  "vs flag nobody", "Policy"]  # fmt: skip
_COL_VALUE = 10
_COL_VS_NOBODY = 11


def add_sweep_sheet(wb: Workbook, ctx: SheetContext) -> tuple[Worksheet, int, int, int]:
    """Write the sweep table; returns (sheet, first data row, last data row, value column)."""
    model = ctx.model
    champ = model.champion
    curve = champ.curve
    ws = wb.create_sheet("Threshold sweep")
    row = prepare_sheet(
        ws, "Threshold sweep", f"Model {safe_text(champ.name)}: every policy, {DECISION_RULE}"
    )
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
    row = add_note(ws, 3, note, 12) + 1
    header_row = row
    headers = [*_SWEEP_HEADERS, *(["Constant", *(f"per {ctx.names[n]}" for n in names)] if live else [])]
    add_header_row(ws, header_row, headers)
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
        put_number(ws.cell(r, 1), None if math.isnan(t) else float(t), THRESHOLD)
        for j, (col, fmt) in enumerate(zip(columns, formats, strict=True)):
            v = col[k]
            put_number(ws.cell(r, 2 + j), int(v) if fmt == INTEGER else float(v), fmt)
        if live:
            refs = []
            for j, arr in enumerate(coefficient_arrays):
                c = len(_SWEEP_HEADERS) + 1 + j
                put_number(ws.cell(r, c), float(arr[positions[k]]), PLAIN_NUMBER, MUTED_FONT)
                refs.append(cell_ref(r, c))
            put_formula(ws.cell(r, _COL_VALUE), linear_formula(ctx, refs), ctx.money)
            put_formula(
                ws.cell(r, _COL_VS_NOBODY),
                f"={cell_ref(r, _COL_VALUE)}-{ctx.key_values['nobody']}",
                ctx.money,
            )
        else:
            put_number(ws.cell(r, _COL_VALUE), float(values[k]), ctx.money)
            put_number(ws.cell(r, _COL_VS_NOBODY), float(values[k]) - nobody_value, ctx.money)
        if int(i) in tags:
            cell = ws.cell(r, 12)
            put_text(cell, ", ".join(tags[int(i)]), Font(name="Calibri", size=10, bold=True, color=NAVY))
            cell.alignment = Alignment(indent=1)
    last_row = first + len(idx) - 1
    add_excel_table(ws, "tblSweep", header_row, last_row, 1, len(headers))
    ws.freeze_panes = ws.cell(first, 2)
    # Print the readable columns only, with the header on every page.
    ws.print_area = f"A1:{get_column_letter(len(_SWEEP_HEADERS))}{last_row}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    set_widths(ws, {"A": 12, "B": 11, "C": 10, "D": 10, "E": 10, "F": 10, "G": 11, "H": 10, "I": 10, "J": 14,
                 "K": 15, "L": 20})  # fmt: skip
    for j in range(len(headers) - len(_SWEEP_HEADERS)):
        ws.column_dimensions[get_column_letter(len(_SWEEP_HEADERS) + 1 + j)].width = 14
    chart = value_chart(model, ws, first, last_row, ctx.money)
    ws.add_chart(chart, f"{get_column_letter(len(headers) + 2)}{header_row}")
    return ws, first, last_row, _COL_VALUE


def value_chart(model: ReportModel, ws: Worksheet, first: int, last_row: int, money: str) -> ScatterChart:
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
    setup_axes(chart, "Threshold (flag rows with score >= threshold)", f"Value ({model.currency})", money)
    probability_axis(chart, model)
    chart.width, chart.height = 20, 10
    return chart
