"""The Summary sheet: the recommendation, the headline figures as KPI cells, the value chart."""

from __future__ import annotations

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from roistudio.reports.model import EXAMPLE_PAYOFF_NOTE, EXAMPLE_PAYOFF_STAMP
from roistudio.reports.xlsx.context import SheetContext
from roistudio.reports.xlsx.layout import (
    add_header_row,
    add_paragraph,
    add_section,
    cell_ref,
    prepare_sheet,
    put_formula,
    put_number,
    put_text,
    put_threshold,
    set_widths,
)
from roistudio.reports.xlsx.style import (
    DECISION_RULE,
    INTEGER,
    KPI_FILL,
    KPI_FONT,
    LABEL_FONT,
    NOTE_FONT,
    PERCENT,
    SUBTITLE_FONT,
    THIN_BOTTOM,
    money_format,
)
from roistudio.reports.xlsx.sweep import value_chart

STAMP_FONT = Font(name="Calibri", size=11, bold=True, color="B3261E")
STAMP_FILL = PatternFill("solid", fgColor="FDECEA")


def fill_summary_sheet(
    ctx: SheetContext, ws: Worksheet, sweep_chart_source: tuple[Worksheet, int, int, int]
) -> None:
    """Fill the Summary sheet (the first): recommendation, KPI cells and the value chart."""
    model = ctx.model
    head = model.headline
    src = model.source
    prepare_sheet(ws, model.title, None, landscape=False)
    put_text(
        ws.cell(2, 1),
        f"Source: {src.name}   |   created {model.created}   |   Model ROI Studio {model.app_version}",
        SUBTITLE_FONT,
    )
    last = 4
    row = 4
    if model.payoff_suggested:
        # Row 3 is free: the stamp sits under the title, where a reader looks first.
        put_text(ws.cell(3, 1), f"{EXAMPLE_PAYOFF_STAMP.upper()}: {EXAMPLE_PAYOFF_NOTE}", STAMP_FONT)
        ws.cell(3, 1).fill = STAMP_FILL
        ws.cell(3, 1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=last)
        ws.row_dimensions[3].height = 48
    row = add_section(ws, row, "Recommendation", last)
    row = add_paragraph(ws, row, model.recommendation, last, Font(name="Calibri", size=11, bold=True), 105)
    if model.comparison_sentence:
        row = add_paragraph(
            ws, row, model.comparison_sentence, last, Font(name="Calibri", size=10, color="262626"), 110
        )

    row += 1
    row = add_section(ws, row, "Operating threshold", last)
    put_text(ws.cell(row, 1), "Operating threshold", LABEL_FONT)
    put_threshold(ws.cell(row, 2), head.threshold)
    ws.cell(row, 2).font = KPI_FONT
    put_text(ws.cell(row, 3), f"Why: {model.threshold_reason}", NOTE_FONT)
    ws.cell(row, 3).alignment = Alignment(indent=1)
    row += 1
    put_text(ws.cell(row, 1), "Decision rule", LABEL_FONT)
    put_text(ws.cell(row, 2), DECISION_RULE, NOTE_FONT)
    row += 2

    row = add_section(ws, row, f"Money at the operating threshold ({model.currency})", last)
    live = ctx.linear is not None

    def kpi(label: str, value, fmt: str, note: str = "", formula: str | None = None) -> str:
        nonlocal row
        put_text(ws.cell(row, 1), label, LABEL_FONT)
        cell = ws.cell(row, 2)
        if formula is not None:
            put_formula(cell, formula, fmt, KPI_FONT)
        else:
            put_number(cell, value, fmt, KPI_FONT)
        cell.fill = KPI_FILL
        cell.border = THIN_BOTTOM
        if note:
            put_text(ws.cell(row, 3), note, NOTE_FONT)
            ws.cell(row, 3).alignment = Alignment(indent=1)
        ref = cell_ref(row, 2)
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
    everyone_note = "value minus the value of flagging every row" + (
        " (the constraints do not allow it)" if head.everyone_forbidden else ""
    )
    kpi("vs flag everyone", head.vs_flag_everyone, ctx.money, everyone_note,
        f"={value_ref}-{kv['everyone']}" if live else None)  # fmt: skip
    # Only the baselines the constraints allow are compared (core rule: core.engine.baselines). Flagging
    # N of R labelled rows at random is worth nobody + N/R * (everyone - nobody) in expectation.
    nobody, everyone = kv.get("nobody"), kv.get("everyone")
    if head.random_flagged:
        random_sql = f"({nobody}+{head.random_flagged}/{head.rows}*({everyone}-{nobody}))"
        random_value = next(v for label, v in head.baselines if label.endswith("at random"))
        kpi(f"vs flag {head.random_flagged:,} at random", head.value - random_value, ctx.money,
            f"value minus the expected value of flagging {head.random_flagged:,} rows picked at random",
            f"={value_ref}-{random_sql}" if live else None)  # fmt: skip
        better_sql = f"MAX({nobody},{random_sql})"
    elif head.everyone_forbidden:
        better_sql = f"{nobody}"
    else:
        better_sql = f"MAX({nobody},{everyone})"
    kpi("Value of the model", head.value_of_model, ctx.money, f"vs the better baseline ({head.better_baseline})",
        f"={value_ref}-{better_sql}" if live else None)  # fmt: skip
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
    row = add_section(ws, row, "Classification at the operating threshold", last)
    kpi("Precision", head.precision, PERCENT, "share of flagged rows that are positive")
    kpi("Recall", head.recall, PERCENT, "share of positives that are flagged")
    kpi("Flag rate", head.flag_rate, PERCENT, "share of labelled rows flagged")
    kpi("Flagged rows", head.flagged, INTEGER, "labelled rows at or above the threshold")
    kpi("Labelled rows", head.rows, INTEGER, "rows with a known label")
    kpi("Rows without a label", model.quality.unlabeled, INTEGER, "not yet known; never counted as negatives")

    row += 1
    row = add_section(ws, row, "Confusion counts at the operating threshold", last)
    add_header_row(ws, row, ["", "Actual positive", "Actual negative"])
    ws.cell(row, 1).fill = PatternFill(fill_type=None)
    row += 1
    for label, a, b in (("Flagged", head.tp, head.fp), ("Not flagged", head.fn, head.tn)):
        put_text(ws.cell(row, 1), label, Font(name="Calibri", size=10, bold=True))
        put_number(ws.cell(row, 2), a, INTEGER, KPI_FONT)
        put_number(ws.cell(row, 3), b, INTEGER, KPI_FONT)
        for c in (2, 3):
            ws.cell(row, c).alignment = Alignment(horizontal="center")
            ws.cell(row, c).fill = KPI_FILL
        row += 1
    put_text(ws.cell(row, 1), "TP = flagged positives, FP = flagged negatives, FN = missed positives, "
          "TN = unflagged negatives", NOTE_FONT)  # fmt: skip
    row += 2

    sheet, first, last_row, _ = sweep_chart_source
    if last_row > first:
        chart = value_chart(model, sheet, first, last_row, ctx.money)
        chart.width, chart.height = 22, 9
        ws.add_chart(chart, f"A{row}")
    set_widths(ws, {"A": 30, "B": 20, "C": 50, "D": 12})
