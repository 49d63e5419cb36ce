"""The Uncertainty sheet: bootstrap intervals, the verdict, walk-forward, coverage and sensitivity.

Written only when the report model carries decision figures
(:class:`roistudio.core.engine.decision.Decision`). Plain numbers: these figures come from
resampling and parameter sweeps, not from formulas a reader could recompute in Excel.
"""

from __future__ import annotations

from roistudio.core.engine.intervals import Interval
from roistudio.reports.xlsx.book import Alignment, Book
from roistudio.reports.xlsx.context import SheetContext
from roistudio.reports.xlsx.layout import (
    add_header_row,
    add_note,
    add_section,
    prepare_sheet,
    put_number,
    put_text,
    put_threshold,
    set_widths,
)
from roistudio.reports.xlsx.style import LABEL_FONT, ONE_PAGE_ROWS


def add_uncertainty_sheet(wb: Book, ctx: SheetContext) -> None:
    """Add the Uncertainty sheet when the model has decision figures."""
    model = ctx.model
    decision = model.decision
    if decision is None or not decision.has_figures:
        return
    ws = wb.create_sheet("Uncertainty")
    row = prepare_sheet(ws, "How sure, and what if", "Bootstrap intervals, walk-forward and sensitivity, as "
                        "exported: resampled with the parameters of the analysis, they do not follow the Assumptions sheet")  # fmt: skip
    set_widths(ws, {"A": 46, "B": 18, "C": 18, "D": 18, "E": 22, "F": 30})
    money = ctx.money
    u = decision.uncertainty
    if u is not None:
        row = add_section(
            ws, row, f"{u.confidence:.0%} intervals, {u.replicates:,} bootstrap resamples (seed {u.seed})", 4
        )
        add_header_row(ws, row, ["Figure", "Point", "Low", "High"])
        row += 1
        head = model.headline
        lines: list[tuple[str, float, Interval | None, str]] = [
            ("Value at the operating threshold", head.value, u.operating_value, money),
            ("Value of the model (vs the better baseline)", head.value_of_model, u.value_of_model, money),
        ]
        if head.savings is not None and u.savings is not None:
            # The ratio of each resample's own sums (value of the model / cost of its better baseline).
            lines.append(("Savings ratio (of the better baseline's cost)", head.savings, u.savings,
                          "0.0%"))  # fmt: skip
        comp = model.analysis.comparison
        if comp is not None and u.p_challenger_better is not None:
            lines += [
                (
                    "Challenger minus champion, each at its best",
                    comp.difference_at_best,
                    u.difference_at_best,
                    money,
                ),
                (
                    "Challenger minus champion, common threshold",
                    comp.difference_at_common,
                    u.difference_at_common,
                    money,
                ),
            ]
        for label, point, interval, fmt in lines:
            if interval is None:
                continue
            put_text(ws.cell(row, 1), label, LABEL_FONT)
            put_number(ws.cell(row, 2), point, fmt)
            put_number(ws.cell(row, 3), interval.low, fmt)
            put_number(ws.cell(row, 4), interval.high, fmt)
            row += 1
        put_text(ws.cell(row, 1), "Best threshold (re-chosen in each resample)", LABEL_FONT)
        put_threshold(ws.cell(row, 2), head.optimum_threshold)
        put_threshold(ws.cell(row, 3), u.optimal_threshold.low)
        put_threshold(ws.cell(row, 4), u.optimal_threshold.high)
        row += 1
        if u.p_challenger_better is not None:
            put_text(ws.cell(row, 1), "P(challenger better)", LABEL_FONT)
            put_number(ws.cell(row, 2), u.p_challenger_better, "0.000")
            row += 1
        row += 1
    if decision.recommendation.get("challenger_verdict") is not None:
        put_text(ws.cell(row, 1), "Verdict", LABEL_FONT)
        put_text(ws.cell(row, 2), decision.recommendation["challenger_verdict"])
        row += 1
        row = add_note(ws, row, decision.recommendation["text"], 6) + 1
    cov = decision.coverage
    if cov is not None:
        row = add_section(ws, row, "Span covered", 4)
        facts: tuple[tuple[str, object, str | None], ...] = (
            ("First labelled period", cov.first, None),
            ("Last labelled period", cov.last, None),
            ("Labelled periods", cov.labelled_periods, "#,##0"),
            ("Rows not yet labelled", cov.unlabelled_rows, "#,##0"),
            ("Value per month", cov.value_per_month, money),
            ("Value per year", cov.value_per_year, money),
        )
        for label, value, number_format in facts:
            put_text(ws.cell(row, 1), label, LABEL_FONT)
            if number_format is None:
                put_text(ws.cell(row, 2), value)
            else:
                put_number(ws.cell(row, 2), value, number_format)  # type: ignore[arg-type]
            row += 1
        row += 1
    bt = decision.backtest
    if bt is not None:
        row = add_section(
            ws, row, f"Walk-forward: each {bt.period} at the best threshold on earlier {bt.period}s", 4
        )
        add_header_row(ws, row, ["Period", "Threshold", "Value", "Best value in hindsight"])
        row += 1
        for r in bt.rows:
            put_text(ws.cell(row, 1), r.key)
            put_threshold(ws.cell(row, 2), r.threshold)
            put_number(ws.cell(row, 3), r.value, money)
            put_number(ws.cell(row, 4), r.best_value, money)
            row += 1
        for label, value in (
            ("Walk-forward total", bt.value),
            ("Tuned on all rows (in-sample)", bt.in_sample_value),
            (f"Stale threshold (first {bt.period}'s) total", bt.stale_value),
        ):
            put_text(ws.cell(row, 1), label, LABEL_FONT)
            put_number(ws.cell(row, 3), value, money)
            row += 1
        row += 1
    sens = decision.sensitivity
    if sens is not None and sens.parameters:
        row = add_section(ws, row, "Sensitivity at the operating threshold (others at their values)", 6)
        add_header_row(
            ws, row, ["Parameter", "Low", "High", "Value at low", "Value at high", "Break-even values"]
        )
        row += 1
        for b in sens.parameters:
            put_text(ws.cell(row, 1), b.name)
            put_number(ws.cell(row, 2), b.low, "General")
            put_number(ws.cell(row, 3), b.high, "General")
            put_number(ws.cell(row, 4), b.value_at_low, money)
            put_number(ws.cell(row, 5), b.value_at_high, money)
            roots = sens.break_even.get(b.name, ())
            put_text(ws.cell(row, 6), ", ".join(f"{v:.10g}" for v in roots) or "none in range")
            ws.cell(row, 6).alignment = Alignment(indent=2)  # apart from the right-aligned money before it
            row += 1
        if sens.draws:
            mc = sens.to_dict()["monte_carlo"]
            row += 1
            row = add_section(ws, row, f"Monte Carlo: {sens.draws:,} uniform draws over the ranges", 4)
            add_header_row(ws, row, ["", "5th percentile", "Median", "95th percentile"])
            row += 1
            for label, key in (
                ("Value at the operating threshold, over the draws", "value"),
                ("Value of the model, over the draws", "value_of_model"),
            ):
                put_text(ws.cell(row, 1), label, LABEL_FONT)
                for col, p in ((2, "p5"), (3, "p50"), (4, "p95")):
                    put_number(ws.cell(row, col), mc[key][p], money)
                row += 1
            put_text(ws.cell(row, 1), "Share of draws in which the model pays off", LABEL_FONT)
            put_number(ws.cell(row, 2), sens.p_positive, "0.0%")
            row += 1
    # Short enough to read on one page: printed on one, so no section is cut from its heading.
    ws.fit_tall = 1 if row <= ONE_PAGE_ROWS else 0
