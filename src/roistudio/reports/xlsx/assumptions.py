"""The Assumptions sheet: parameters in named cells, payoffs, definitions, and the key-policy
block every live money figure of the Summary and Comparison sheets points at."""

from __future__ import annotations

from roistudio.core.engine.payoff_rows import PayoffRows, RowsUnavailable
from roistudio.core.glossary import outcome_sentence
from roistudio.reports.cells import safe_defined_name
from roistudio.reports.xlsx.book import Book, Font, Sheet
from roistudio.reports.xlsx.context import (
    SheetContext,
    better_baseline_sql,
    breakdown_live_text,
    key_policies,
    linear_formula,
    write_terms,
)
from roistudio.reports.xlsx.layout import (
    absolute_ref,
    add_header_row,
    add_note,
    add_section,
    column_letter,
    prepare_sheet,
    put_formula,
    put_number,
    put_text,
    put_threshold,
    set_widths,
)
from roistudio.reports.xlsx.rows import FIXED_FIGURES, add_rows_section
from roistudio.reports.xlsx.style import (
    INPUT_FILL,
    LABEL_FONT,
    NOTE_FONT,
    TABLE_NAMES,
    THIN_BOTTOM,
    parameter_format,
)


def add_assumptions_sheet(wb: Book, ctx: SheetContext) -> None:
    """Add the Assumptions sheet; records parameter names and key-policy cells in ``ctx``."""
    model = ctx.model
    ws = wb.create_sheet("Assumptions")
    row = prepare_sheet(
        ws, "Assumptions", "What each outcome is worth, and the parameters behind every money figure"
    )
    last = 8
    row = add_section(ws, row, "Payoff per row (gains positive, costs negative)", last)
    add_header_row(ws, row, ["Outcome", "Meaning", "", "", "Expression", "", "", ""])
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
    ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=last)
    row += 1
    for outcome, expression in model.payoff_rows:
        put_text(ws.cell(row, 1), outcome.upper(), Font(name="Calibri", size=10, bold=True))
        put_text(ws.cell(row, 2), outcome_sentence(outcome), LABEL_FONT)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
        # The expression is user text; it often starts with "-" and must stay text.
        put_text(ws.cell(row, 5), " ".join(expression.split()), Font(name="Consolas", size=10))
        ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=last)
        for c in range(1, last + 1):
            ws.cell(row, c).border = THIN_BOTTOM
        row += 1

    row += 1
    row = add_section(ws, row, "Parameters", last)
    add_header_row(ws, row, ["Parameter", "Name in formulas", "Value"])
    row += 1
    # Table names share the defined names' namespace in Excel: keep them apart.
    taken: list[str] = list(TABLE_NAMES)
    for name, value in model.parameters:
        defined = safe_defined_name(name, taken)
        taken.append(defined)
        ctx.names[name] = defined
        put_text(ws.cell(row, 1), name, Font(name="Consolas", size=10))
        put_text(ws.cell(row, 2), defined, Font(name="Consolas", size=10))
        cell = ws.cell(row, 3)
        # Shown with the precision entered (0.02463333, not 0.0246).
        put_number(
            cell, value, parameter_format(value), Font(name="Calibri", size=11, bold=True, color="7F6000")
        )
        cell.fill = INPUT_FILL
        wb.define_name(defined, absolute_ref(ws, row, 3))
        row += 1
    if not model.parameters:
        put_text(ws.cell(row, 1), "(no parameters)", NOTE_FONT)
        row += 1
    renamed = [f"{n} -> {ctx.names[n]}" for n, _ in model.parameters if ctx.names[n] != n]
    if renamed:
        row = add_note(
            ws, row,
            "Some parameter names would read as a cell reference or a spreadsheet function, so their "
            f"names in formulas differ: {', '.join(renamed)}.",
            last,
        )  # fmt: skip

    row = _add_limits(ws, ctx, row, last)

    row += 1
    row = add_section(ws, row, "How the money figures are computed", last)
    if ctx.linear is not None:
        row = add_note(
            ws, row,
            "Every payoff is linear in its parameters, so the value of a policy is: constant + sum over "
            "parameters of (parameter x its aggregate), where each aggregate sums that parameter's "
            "coefficient over the rows with each outcome. The money figures on the Summary and the "
            "Threshold sweep sheets are live formulas over the yellow cells above: change a parameter and "
            "they update. Thresholds stay those of the analysis; the best threshold on the Summary is found by "
            "formulas over the sweep table's rows, so it follows a parameter change among those thresholds. "
            f"{breakdown_live_text(ctx)}",
            last,
        )  # fmt: skip
        row += 1
        names = ctx.linear.parameter_names
        headers = ["Policy", "Threshold", "Constant", *(f"per {ctx.names[n]}" for n in names), "Value"]
        add_header_row(ws, row, headers)
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
            put_text(ws.cell(row, 1), label, LABEL_FONT)
            put_threshold(ws.cell(row, 2), point.threshold)
            refs = write_terms(ws, ctx, row, 3, terms)
            value_col = 3 + len(names) + 1
            put_formula(
                ws.cell(row, value_col),
                linear_formula(ctx, refs),
                point.value,
                ctx.money2,
                Font(name="Calibri", size=10, bold=True),
            )
            ctx.key_values[key] = absolute_ref(ws, row, value_col)
            row += 1
        # The better baseline, as the Summary's "value of the model" and the sweep's comparison use it.
        head = model.headline
        put_text(ws.cell(row, 1), "Better baseline (the higher of those allowed)", LABEL_FONT)
        put_formula(ws.cell(row, value_col), "=" + better_baseline_sql(ctx), head.value - head.value_of_model,
                    ctx.money2, Font(name="Calibri", size=10, bold=True))  # fmt: skip
        ctx.key_values["better"] = absolute_ref(ws, row, value_col)
        row += 1
    elif isinstance(model.labelled_rows, PayoffRows):
        # Not linear in its parameters: per-row formulas on the hidden Rows sheet (reports.xlsx.rows).
        row = add_rows_section(wb, ws, ctx, row, last)
        if ctx.rows is not None:
            head = model.headline
            put_text(ws.cell(row, 1), f"Better baseline (now {head.better_baseline})", LABEL_FONT)
            put_formula(ws.cell(row, 4), "=" + better_baseline_sql(ctx), head.value - head.value_of_model,
                        ctx.money2, Font(name="Calibri", size=10, bold=True))  # fmt: skip
            ctx.key_values["better"] = absolute_ref(ws, row, 4)
            row += 1
    else:
        reason = ctx.nonlinear_reason or (
            "Money figures are fixed values: the workbook was written without access to the data, so the "
            "per-parameter aggregates needed for live formulas were not available."
        )
        if isinstance(model.labelled_rows, RowsUnavailable):
            reason = f"{reason} {model.labelled_rows.reason} {FIXED_FIGURES}"
        row = add_note(ws, row, reason, last)

    if model.notes:
        row += 1
        row = add_section(ws, row, "Notes", last)
        for note in model.notes:
            row = add_note(ws, row, note, last)
    set_widths(ws, {"A": 34, **{column_letter(c): 17 for c in range(2, 12)}})


_LIMITS = (
    ("max_flagged", "Most rows flagged (review capacity)", "#,##0"),
    ("max_flag_rate", "Most of the labelled rows flagged", "0.00%"),
    ("min_precision", "Least precision (share of flagged rows that are positive)", "0.00%"),
    ("min_recall", "Least recall (share of positives flagged)", "0.00%"),
    ("max_fpr", "Most false positive rate", "0.00%"),
)


def _add_limits(ws: Sheet, ctx: SheetContext, row: int, last: int) -> int:
    """The constraints as input cells (``ctx.limit_refs``): the best threshold within them is found
    again by formula on the Summary (over the hidden Curves sheet), so a reader may change them."""
    constraints = ctx.model.analysis.request.constraints
    if constraints.is_empty():
        return row
    row += 1
    row = add_section(ws, row, "Limits on the operating threshold", last)
    add_header_row(ws, row, ["Limit", "", "Value"])
    row += 1
    for key, label, fmt in _LIMITS:
        value = getattr(constraints, key)
        if value is None:
            continue
        put_text(ws.cell(row, 1), label, LABEL_FONT)
        cell = ws.cell(row, 3)
        put_number(cell, value, fmt, Font(name="Calibri", size=11, bold=True, color="7F6000"))
        cell.fill = INPUT_FILL
        ctx.limit_refs[key] = absolute_ref(ws, row, 3)
        row += 1
    return add_note(
        ws, row,
        "Change a limit and the Summary's best threshold within the limits moves with it (found over every "
        "threshold of the champion's curve). The baselines keep the limits as exported (a 'flag N at random' "
        "baseline keeps its N).",
        last,
    )  # fmt: skip
