"""The Estimate sheet: the calibration check, the estimate for rows not yet labelled, per period.

Every estimate is labelled as one; realised values sit beside it, never summed with it. Period
keys and calibration notes come from the data or the analysis and are written as text.
"""

from __future__ import annotations

from roistudio.charts.breakdown import period_label
from roistudio.reports.label_delay import period_estimates, unlabeled_estimate
from roistudio.reports.xlsx.about import _key_values
from roistudio.reports.xlsx.book import Book
from roistudio.reports.xlsx.context import SheetContext
from roistudio.reports.xlsx.layout import (
    add_header_row,
    add_note,
    add_section,
    prepare_sheet,
    put_number,
    put_text,
    set_widths,
)
from roistudio.reports.xlsx.style import INTEGER, ONE_PAGE_ROWS, PERCENT

_RATE4 = "0.0000"


def add_estimate_sheet(wb: Book, ctx: SheetContext) -> None:
    """Add the Estimate sheet when the report model carries a label-delay estimate."""
    model = ctx.model
    ld = model.label_delay
    if ld is None:
        return
    check = ld.calibration
    pct = f"{round(ld.confidence * 100)}%"
    ws = wb.create_sheet("Estimate")
    row = prepare_sheet(ws, "Estimate for rows not yet labelled", "An estimate from calibrated scores, "
                        "not realised value; never added to the realised figures; as exported (fixed values)")  # fmt: skip
    row = add_note(ws, row, (
        "Each row not yet labelled counts as positive with its calibrated probability, with its own payoffs, "
        f"at the operating threshold. The {pct} interval covers the randomness of the outcomes only: not the "
        "calibration's own error, nor a change in the data since the calibration was fitted."
    ), 6) + 1  # fmt: skip
    row = add_section(ws, row, "Calibration check (labelled rows)", 6)
    periods = ", ".join(check.fitted_on_periods) if check.fitted_on_periods else "all labelled periods"
    row = _key_values(ws, row, [
        ("Calibration", check.method, None),
        ("Requested", check.requested, None),
        ("Fitted on rows", check.fitted_on_rows, INTEGER),
        ("Fitted on", periods, None),
        ("Brier score, raw scores", check.brier, _RATE4),
        ("Brier score, calibrated", check.brier_calibrated, _RATE4),
        ("Expected calibration error", check.ece, _RATE4),
        *(("Note", text, None) for text in check.notes),
        *((("Warning", check.warning, None),) if check.warning else ()),
    ], last=6) + 1  # fmt: skip
    est = unlabeled_estimate(model)
    if est is not None:
        row = add_section(ws, row, f"Rows not yet labelled: estimate at the operating threshold ({pct})", 6)
        row = _key_values(ws, row, [
            ("Rows", est.rows, INTEGER),
            ("Expected TP", est.tp, "#,##0.0"),
            ("Expected FP", est.fp, "#,##0.0"),
            ("Expected TN", est.tn, "#,##0.0"),
            ("Expected FN", est.fn, "#,##0.0"),
            ("Estimated value", est.value, ctx.money),
            (f"Low ({pct})", est.low, ctx.money),
            (f"High ({pct})", est.high, ctx.money),
        ], last=6) + 1  # fmt: skip
    estimates = period_estimates(model)
    period = model.analysis.request.period
    if estimates and period:
        row = add_section(ws, row, f"Per {period}: realised value beside the estimate from scores alone", 6)
        add_header_row(ws, row, [period.capitalize(), "Labels known", "Realised value", "Estimated value",
                                 f"Low ({pct})", f"High ({pct})"])  # fmt: skip
        row += 1
        for g in model.periods:
            e = estimates.get(g.key)
            put_text(ws.cell(row, 1), period_label(g.key, period))
            put_text(ws.cell(row, 2), "no" if g.fully_unlabeled else ("partly" if g.unlabeled else "yes"))
            if g.fully_unlabeled:
                put_text(ws.cell(row, 3), "not yet known")
            else:
                put_number(ws.cell(row, 3), g.operating.value, ctx.money)
            if e is not None:
                put_number(ws.cell(row, 4), e.value, ctx.money)
                put_number(ws.cell(row, 5), e.low, ctx.money)
                put_number(ws.cell(row, 6), e.high, ctx.money)
            row += 1
        row += 1
    row = add_section(ws, row, f"Reliability table (equal-count bins of the {check.bins_of})", 6)
    add_header_row(ws, row, ["Bin", "Mean " + check.bins_of, "Observed rate", "Rows"])
    row += 1
    for i, b in enumerate(check.bins, start=1):
        put_number(ws.cell(row, 1), i, INTEGER)
        put_number(ws.cell(row, 2), b.mean_score, "0.00000")
        put_number(ws.cell(row, 3), b.observed_rate, PERCENT)
        put_number(ws.cell(row, 4), b.rows, INTEGER)
        row += 1
    set_widths(ws, {"A": 30, "B": 16, "C": 16, "D": 16, "E": 16, "F": 16})
    # Short enough to read on one page: printed on one, so no table leaves rows on a page of their own.
    ws.fit_tall = 1 if row <= ONE_PAGE_ROWS else 0
