"""The Summary sheet: the recommendation, the headline figures as KPI cells, the value chart."""

from __future__ import annotations

from roistudio.core.engine.constraints import feasible
from roistudio.reports.model import EXAMPLE_PAYOFF_NOTE, EXAMPLE_PAYOFF_STAMP
from roistudio.reports.xlsx.book import Alignment, Fill, Font, Sheet
from roistudio.reports.xlsx.context import SheetContext, better_baseline_sql, random_baseline_sql
from roistudio.reports.xlsx.layout import (
    Cached,
    add_header_row,
    add_section,
    cell_ref,
    prepare_sheet,
    put_formula,
    put_number,
    put_text,
    put_threshold,
    set_widths,
)
from roistudio.reports.xlsx.sentences import add_live_sentences
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
    THRESHOLD,
    money_format,
)
from roistudio.reports.xlsx.sweep import SweepTable, value_chart

STAMP_FONT = Font(name="Calibri", size=11, bold=True, color="B3261E")
STAMP_FILL = Fill("FDECEA")


def fill_summary_sheet(ctx: SheetContext, ws: Sheet, sweep: SweepTable) -> None:
    """Fill the Summary sheet (the first): recommendation, KPI cells and the value chart."""
    model = ctx.model
    head = model.headline
    src = model.source
    prepare_sheet(ws, model.title, None, landscape=False, one_page=True)
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
        ws.heights[3] = 48
    row = add_section(ws, row, "Recommendation", last)
    # The sentences are written once the cells they are built from are known (below).
    sentence_row = row
    row += 3 if model.comparison_sentence else 2

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
    live = ctx.linear is not None or ctx.rows is not None

    def kpi(label: str, value: Cached, fmt: str, note: str = "", formula: str | None = None) -> str:
        nonlocal row
        put_text(ws.cell(row, 1), label, LABEL_FONT)
        cell = ws.cell(row, 2)
        if formula is not None:
            put_formula(cell, formula, value, fmt, KPI_FONT)
        elif isinstance(value, str):  # "flag nobody" for a threshold
            put_text(cell, value, KPI_FONT)
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
    refs = {"value": value_ref}
    refs["vs_nobody"] = kpi("vs flag nobody", head.vs_flag_nobody, ctx.money, "value minus the value of flagging no row",
        f"={value_ref}-{kv['nobody']}" if live else None)  # fmt: skip
    everyone_note = "value minus the value of flagging every row" + (
        " (the constraints do not allow it)" if head.everyone_forbidden else ""
    )
    refs["vs_everyone"] = kpi("vs flag everyone", head.vs_flag_everyone, ctx.money, everyone_note,
        f"={value_ref}-{kv['everyone']}" if live else None)  # fmt: skip
    # Only the baselines the constraints allow are compared (core rule: core.engine.baselines). Flagging
    # N of R labelled rows at random is worth nobody + N/R * (everyone - nobody) in expectation.
    if head.random_flagged:
        random_value = next(v for label, v in head.baselines if label.endswith("at random"))
        kpi(f"vs flag {head.random_flagged:,} at random", head.value - random_value, ctx.money,
            f"value minus the expected value of flagging {head.random_flagged:,} rows picked at random",
            f"={value_ref}-{random_baseline_sql(ctx)}" if live else None)  # fmt: skip
    refs["of_model"] = kpi("Value of the model", head.value_of_model, ctx.money,
        f"vs the better baseline ({head.better_baseline})",
        f"={value_ref}-{better_baseline_sql(ctx)}" if live else None)  # fmt: skip
    # Labelled rows do not depend on the parameters, so the count is a constant in the formula.
    per_1000_formula = f"={value_ref}*1000/{head.rows}" if live and head.rows else None
    kpi("Value per 1,000 rows", head.value_per_1000, money_format(model.symbol, 2), "per 1,000 labelled rows",
        per_1000_formula)  # fmt: skip
    # The best policy is found by formulas over the sweep table, so it follows the parameters: the
    # highest value, and the first row holding it (rows run from flag nobody to flag everyone, so
    # ties go to the higher threshold, the core's rule).
    best_t = "flag nobody" if head.optimum_threshold is None else head.optimum_threshold
    position = f"MATCH(MAX({sweep.values}),{sweep.values},0)"
    threshold_at = f"INDEX({sweep.thresholds},{position})"
    best_formulas = (f'=IF({threshold_at}="","flag nobody",{threshold_at})', f"=MAX({sweep.values})")
    where = "the highest value in the sweep table"
    if ctx.best_threshold_ref is not None:  # per-row formulas: searched over every threshold (Assumptions)
        best_formulas = (f"={ctx.best_threshold_ref}", f"={kv['best']}")
        where = "the highest value over every threshold"
    block = ctx.curves.blocks.get("champion") if ctx.curves is not None else None
    if block is not None:  # the whole curve is on the hidden Curves sheet: searched over every threshold
        where = "the highest value over every threshold"
        # The value first (row + 1), then the threshold that reaches it (this row).
        best_formulas = (block.best_threshold(cell_ref(row + 1, 2, absolute=True)), block.best_value())
    refs["best_threshold"] = kpi("Best threshold", best_t, THRESHOLD, where, best_formulas[0])
    refs["best"] = kpi("Best possible value", head.optimum_value, ctx.money, "value at the best threshold",
        best_formulas[1])  # fmt: skip
    constraints = model.analysis.request.constraints
    if block is not None and ctx.limit_refs:
        # The best threshold within the limits (input cells on Assumptions), found again by formula.
        condition = block.condition(constraints, ctx.limit_refs)
        threshold, value = block.cached_best(feasible(block.curve, constraints))
        refs["limited_threshold"] = kpi("Best threshold within the limits", threshold, THRESHOLD,
            f"highest value among the thresholds meeting: {constraints.describe()}",
            block.best_threshold(cell_ref(row + 1, 2, absolute=True), condition))  # fmt: skip
        refs["limited"] = kpi("Value within the limits", value, ctx.money, "value at that threshold",
            block.best_value(condition))  # fmt: skip
        if model.analysis.policy == "constrained":  # it is the operating policy: what the model adds there
            refs["limited_of_model"] = kpi("Value of the model within the limits", value - (head.value - head.value_of_model),
                ctx.money, f"vs the better baseline ({head.better_baseline})",
                f"={refs['limited']}-{better_baseline_sql(ctx)}" if live else None)  # fmt: skip
    refs["gap"] = kpi("Gap to the best", head.optimum_value - head.value, ctx.money,
        "best possible value minus the value at the operating threshold",
        f"={refs['best']}-{value_ref}")  # fmt: skip

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
    ws.cell(row, 1).fill = None
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

    if sweep.last > sweep.first:
        chart = value_chart(model, sweep)
        chart.width, chart.height = 17.5, 8
        ws.add_chart(chart, row, 1)
        row += 17
    add_live_sentences(ctx, ws, sentence_row, last, refs)
    ws.print_area = (1, 1, row, last)
    set_widths(ws, {"A": 30, "B": 20, "C": 50, "D": 12})
