"""The Comparison sheet: champion vs challenger at each one's best and at the common threshold."""

from __future__ import annotations

import math

from roistudio.reports.cells import safe_text
from roistudio.reports.xlsx.book import Book, ChartSpec, Font, Range, SeriesSpec
from roistudio.reports.xlsx.context import SheetContext, even_sweep_indices
from roistudio.reports.xlsx.layout import (
    add_header_row,
    add_note,
    add_paragraph,
    cell_ref,
    prepare_sheet,
    probability_axis,
    put_formula,
    put_number,
    put_text,
    put_threshold,
    set_widths,
)
from roistudio.reports.xlsx.style import INTEGER, LABEL_FONT, PERCENT, THIN_BOTTOM, THRESHOLD


def add_comparison_sheet(wb: Book, ctx: SheetContext) -> None:
    """Add the Comparison sheet when the analysis has a challenger."""
    model = ctx.model
    comp = model.analysis.comparison
    if comp is None:
        return
    ws = wb.create_sheet("Comparison")
    row = prepare_sheet(ws, "Champion vs challenger", "Both models on the same rows", one_page=True)
    last = 4
    if model.comparison_sentence:
        row = (
            add_paragraph(
                ws, row, model.comparison_sentence, last, Font(name="Calibri", size=11, bold=True), 100
            )
            + 1
        )
    add_header_row(ws, row, ["", f"Champion: {comp.champion.name}", f"Challenger: {comp.challenger.name}",
                          "Challenger minus champion"])  # fmt: skip
    ws.cell(row, 1).fill = None
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
    live = (ctx.comparison_terms is not None or ctx.rows is not None) and "challenger_best" in kv
    live_refs = {
        "Value at best threshold": (kv.get("best"), kv.get("challenger_best")),
        "Value at common threshold": (kv.get("operating"), kv.get("challenger_common")),
    }
    if ctx.rows is not None:  # "best" on Assumptions moves with the parameters; here both stay as exported
        live_refs["Value at best threshold"] = (
            ctx.rows.value_at(champ_best.flagged),
            kv.get("challenger_best"),
        )
    difference_ref = None
    blocks = ctx.curves.blocks if ctx.curves is not None else {}
    searched = [m for m in ("champion", "challenger") if m in blocks]
    for label, a, b, diff, fmt in lines:
        put_text(ws.cell(row, 1), label, LABEL_FONT)
        bold = Font(name="Calibri", size=10, bold=True)
        if label == "Best threshold" and searched:
            # Each model's best threshold over its whole curve (hidden Curves sheet): the value row
            # below holds MAX over the curve, this row the highest threshold reaching it.
            for col, key, v in ((2, "champion", a), (3, "challenger", b)):
                if key in blocks:
                    formula = blocks[key].best_threshold(cell_ref(row + 1, col, absolute=True))
                    put_formula(ws.cell(row, col), formula, "flag nobody" if v is None else v, fmt)
                else:
                    put_threshold(ws.cell(row, col), v)
        elif label == "Value at best threshold" and searched:
            refs = {2: live_refs[label][0], 3: live_refs[label][1]}
            for col, key, v in ((2, "champion", a), (3, "challenger", b)):
                if key in blocks:
                    put_formula(ws.cell(row, col), blocks[key].best_value(), v, fmt)
                elif live and refs[col] is not None:
                    put_formula(ws.cell(row, col), f"={refs[col]}", v, fmt)
                else:
                    put_number(ws.cell(row, col), v, fmt)
            put_formula(ws.cell(row, 4), f"={cell_ref(row, 3)}-{cell_ref(row, 2)}", diff, fmt, bold)
            difference_ref = cell_ref(row, 4)
        elif live and label in live_refs:
            champion_ref, challenger_ref = live_refs[label]
            put_formula(ws.cell(row, 2), f"={champion_ref}", a, fmt)
            put_formula(ws.cell(row, 3), f"={challenger_ref}", b, fmt)
            put_formula(ws.cell(row, 4), f"={cell_ref(row, 3)}-{cell_ref(row, 2)}", diff, fmt, bold)
            if label == "Value at best threshold":
                difference_ref = cell_ref(row, 4)
        else:
            for col, v in ((2, a), (3, b)):
                if fmt == THRESHOLD:
                    put_threshold(ws.cell(row, col), v)
                else:
                    put_number(ws.cell(row, col), v, fmt)
            if diff is not None and live and difference_ref and comp.periods_with_labels:
                # Per period with labels: the difference at best spread over those periods.
                put_formula(ws.cell(row, 4), f"={difference_ref}/{comp.periods_with_labels}", diff, fmt, bold)
            elif diff is not None:
                put_number(ws.cell(row, 4), diff, fmt, bold)
        for c in (2, 3, 4):
            ws.cell(row, c).border = THIN_BOTTOM
        row += 1
    note = (
        "Money figures on this sheet are live formulas over the parameters on the Assumptions sheet. "
        + (
            "Each model's best threshold and its value are found again over its whole curve (the hidden Curves "
            "sheet), so they follow a parameter change; the common threshold stays the analysis'. "
            if len(searched) == 2
            else "The thresholds are those of the analysis. "
        )
        + "The sentence above and the chart are as exported."
        if live or searched
        else "Money figures on this sheet are fixed values computed with the parameters as exported."
    )
    if (live or searched) and len(searched) < 2:
        missing = [m for m in ("champion", "challenger") if m not in searched]
        note += (f" The {' and '.join(missing)}'s best threshold is fixed as exported: its curve has too many "
                 "points for the workbook (its value at that threshold is live).")  # fmt: skip
    row = add_note(ws, row + 1, note, last, 100)

    # The chart's data (each model's curve, downsampled like the sweep table) sits on the hidden
    # "Chart data" sheet: thousands of rows nobody reads, which would otherwise print as pages.
    data = ctx.chart_sheet()
    col0 = data.max_column + 2 if data.cells else 1
    chart = ChartSpec("scatter", "Value by threshold", x_title="Threshold", y_title=f"Value ({model.currency})",
                      y_format=ctx.money)  # fmt: skip
    put_text(data.cell(1, col0), "Comparison chart: each model's value by threshold (skips flag nobody)")
    add_header_row(data, 2, ["Champion threshold", "Champion value", "Challenger threshold", "Challenger value"],
                   start_col=col0)  # fmt: skip
    first = 3
    for m, (model_result, label) in enumerate(((comp.champion, "Champion"), (comp.challenger, "Challenger"))):
        curve = model_result.curve
        idx = even_sweep_indices(curve, model_result)[1:]  # skip "flag nobody": it has no threshold
        xcol, ycol = col0 + 2 * m, col0 + 1 + 2 * m
        for k, i in enumerate(idx):
            put_number(data.cell(first + k, xcol), float(curve.thresholds[i]), THRESHOLD)
            put_number(data.cell(first + k, ycol), float(curve.value[i]), ctx.money)
        if len(idx):
            end = first + len(idx) - 1
            chart.series.append(SeriesSpec(Range(data.title, first, ycol, end, ycol),
                                           Range(data.title, first, xcol, end, xcol),
                                           name=safe_text(f"{label}: {model_result.name}", limit=80)))  # fmt: skip
    probability_axis(chart, model)
    chart.width, chart.height = 20, 9
    ws.add_chart(chart, row + 1, 1)
    ws.print_area = (1, 1, row + 3 + math.ceil(chart.height / 0.53), last)
    set_widths(ws, {"A": 40, "B": 22, "C": 22, "D": 22})
