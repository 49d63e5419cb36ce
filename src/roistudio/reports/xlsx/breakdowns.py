"""The segment sheets and the Trend sheet: one table of groups each, with native charts."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN, segment_breakdown
from roistudio.core.engine.results import GroupResult
from roistudio.core.glossary import format_threshold
from roistudio.reports.cells import safe_sheet_name, safe_text
from roistudio.reports.xlsx.book import Alignment, Book, ChartSpec, Font, Range, SeriesSpec, Sheet
from roistudio.reports.xlsx.context import SheetContext, linear_formula, write_terms
from roistudio.reports.xlsx.layout import (
    add_excel_table,
    add_header_row,
    add_note,
    cell_ref,
    column_letter,
    prepare_sheet,
    put_date,
    put_formula,
    put_number,
    put_text,
    put_threshold,
    set_widths,
)
from roistudio.reports.xlsx.rows import group_formulas
from roistudio.reports.xlsx.style import (
    INTEGER,
    MAX_CHART_BARS,
    MAX_GROUP_ROWS,
    NOT_YET_KNOWN,
    NOTE_FONT,
    PERCENT,
    THRESHOLD,
    VALUE,
    VALUE_FONT,
)

# Policies whose aggregates a live breakdown table carries, with their column-header names.
_GROUP_POLICIES = {
    "value": "value",
    "perfect": "perfect knowledge",
    "best": "best",
    "challenger": "challenger",
}


def _groups_table(
    ws: Sheet,
    ctx: SheetContext,
    groups: Sequence[GroupResult],
    header_row: int,
    first_header: str,
    table_name: str,
    *,
    period: str | None = None,
    terms: dict[str, dict[str, dict[str | None, float]]] | None = None,
    breakdown: str | None = None,
) -> tuple[int, int, dict[str, int]]:
    """Write one table of groups; returns (first data row, last data row, column by header).

    With ``terms`` (group key -> policy -> aggregates, see :func:`roistudio.core.engine.linear.group_terms`)
    the money columns are live formulas over the Assumptions parameters and aggregate columns
    appended to the table, grouped and collapsed so the table reads as before.
    """
    challenger = ctx.model.challenger is not None
    headers = [first_header, "Labelled rows", "Positives", "Rows without label", "Flagged", "Precision",
               "Recall", VALUE, "Money lost", "Best threshold", "Value at best"]  # fmt: skip
    if period is None and not any(g.unlabeled for g in groups):
        headers.remove("Rows without label")  # every label known: an all-zero column says nothing
    if challenger:
        headers[headers.index(VALUE)] = "Champion value"
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
    add_header_row(ws, header_row, headers)
    col = {h: j + 1 for j, h in enumerate(headers)}
    value_col = col.get(VALUE) or col["Champion value"]
    first = header_row + 1
    for k, g in enumerate(groups):
        r = first + k
        key_cell = ws.cell(r, 1)
        day = _iso_date(g.key) if period is not None else None
        if day is not None:
            # A real date, so Excel sorts, filters and charts periods as dates.
            put_date(key_cell, day, _period_format(period or ""), VALUE_FONT)
            key_cell.alignment = Alignment(horizontal="left")
        else:
            put_text(key_cell, g.key)
        known = not g.fully_unlabeled
        p = g.operating
        put_number(ws.cell(r, col["Labelled rows"]), g.rows, INTEGER)
        put_number(ws.cell(r, col["Positives"]), g.positives, INTEGER)
        if "Rows without label" in col:
            put_number(ws.cell(r, col["Rows without label"]), g.unlabeled, INTEGER)
        put_number(ws.cell(r, col["Flagged"]), p.flagged if known else None, INTEGER)
        put_number(ws.cell(r, col["Precision"]), p.precision, PERCENT)
        put_number(ws.cell(r, col["Recall"]), p.recall, PERCENT)
        put_number(ws.cell(r, value_col), p.value if known else None, ctx.money)
        put_number(ws.cell(r, col["Money lost"]), g.money_lost if known else None, ctx.money)
        if known:
            put_threshold(ws.cell(r, col["Best threshold"]), g.optimum.threshold)
        put_number(ws.cell(r, col["Value at best"]), g.optimum.value if known else None, ctx.money)
        if challenger:
            v = g.challenger_operating.value if (g.challenger_operating is not None and known) else None
            put_number(ws.cell(r, col["Challenger value"]), v, ctx.money)
        group_terms = (terms or {}).get(g.key, {}) if known else {}
        formulas: dict[str, str] = {}
        for k, policy in enumerate(policies):
            if policy in group_terms:
                start = visible + 1 + k * (1 + len(names))
                formulas[policy] = linear_formula(ctx, write_terms(ws, ctx, r, start, group_terms[policy]))
        if ctx.rows is not None and known and breakdown is not None:  # SUMIFS over the Rows sheet
            formulas.update(
                {k: "=" + body for k, (body, _) in group_formulas(ctx, ctx.rows, breakdown, g).items()}
            )
        if "value" in formulas:
            put_formula(ws.cell(r, value_col), formulas["value"], p.value, ctx.money)
            if "perfect" in formulas:
                lost = f"=({formulas['perfect'][1:]})-{cell_ref(r, value_col)}"
                put_formula(ws.cell(r, col["Money lost"]), lost, g.money_lost, ctx.money)
        if "best" in formulas:
            put_formula(ws.cell(r, col["Value at best"]), formulas["best"], g.optimum.value, ctx.money)
        block = _block(ctx, breakdown, g.key) if known else None
        if block is not None:  # the group's best found again over its whole curve (hidden Curves sheet)
            best_ref = cell_ref(r, col["Value at best"], absolute=True)
            put_formula(ws.cell(r, col["Value at best"]), block.best_value(), g.optimum.value, ctx.money)
            put_formula(ws.cell(r, col["Best threshold"]), block.best_threshold(best_ref),
                        "flag nobody" if g.optimum.threshold is None else g.optimum.threshold, THRESHOLD)  # fmt: skip
        if "challenger" in formulas and g.challenger_operating is not None:
            put_formula(ws.cell(r, col["Challenger value"]), formulas["challenger"], g.challenger_operating.value,
                        ctx.money)  # fmt: skip
        if period is not None:
            status = (
                NOT_YET_KNOWN if not known else (f"{g.unlabeled:,} rows without label" if g.unlabeled else "")
            )
            if status:
                put_text(
                    ws.cell(r, col["Status"]),
                    status,
                    NOTE_FONT if known else Font(name="Calibri", size=10, bold=True, color="C00000"),
                )
    last_row = first + max(len(groups), 1) - 1
    add_excel_table(ws, table_name, header_row, last_row, 1, len(headers))
    widths: dict[str, float] = {"A": 26 if period is None else 14}
    for h, j in col.items():
        if j > 1:
            widths[column_letter(j)] = 13 if h != "Status" else 24
    set_widths(ws, widths)
    if len(headers) > visible:
        # The aggregates: collapsed under an outline "+", so the table reads as before.
        ws.column_groups.append((visible + 1, len(headers)))
    ws.freeze = (first, 2)
    return first, last_row, col


def _block(ctx: SheetContext, breakdown: str | None, key: str) -> Any:
    """The group's curve block on the hidden Curves sheet, or None when it is not there."""
    if ctx.curves is None or breakdown is None:
        return None
    return ctx.curves.blocks.get((breakdown, key))


def best_note(ctx: SheetContext, breakdown: str, groups: Sequence[GroupResult]) -> str:
    """Whether the table's best thresholds follow the parameters, in one sentence."""
    known = [g for g in groups if not g.fully_unlabeled]
    found = sum(_block(ctx, breakdown, g.key) is not None for g in known)
    if known and found == len(known):
        return (
            " Best threshold and value at best are found again over each group's whole curve (the hidden "
            "Curves sheet): they follow the parameters too."
        )
    if found:
        return (
            f" Best threshold is found again for {found:,} of {len(known):,} groups; the others' best "
            "thresholds are fixed as exported (their curves did not fit the workbook)."
        )
    if ctx.linear is not None or ctx.rows is not None:
        return (
            " Best thresholds are fixed as exported (the groups' curves did not fit the workbook); the value "
            "at each follows the parameters."
        )
    return ""


def _iso_date(key: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(key)
    except ValueError:
        return None


def _period_format(period: str) -> str:
    return {"month": "mmm yyyy", "year": "yyyy"}.get(period, "yyyy-mm-dd")


def add_segment_sheets(wb: Book, ctx: SheetContext) -> None:
    """Add one sheet per segment column, ranked by money lost, with a bar chart of the top ones."""
    model = ctx.model
    threshold = model.headline.threshold
    at = "flag nobody" if threshold is None else f"threshold {format_threshold(threshold)}"
    for n, (column, groups) in enumerate(model.segments.items(), start=1):
        title = safe_sheet_name(f"By {column}", wb.sheetnames)
        ws = wb.create_sheet(title)
        prepare_sheet(
            ws, f"Value by {safe_text(column)}", f"At the operating {at}, ranked by money lost", one_page=True
        )
        shown = groups[:MAX_GROUP_ROWS]
        note = "Money lost: value with perfect knowledge minus the value achieved, for that segment."
        if segment_breakdown(column) in ctx.breakdown_terms or ctx.rows is not None:
            note += " Money figures follow the parameters on the Assumptions sheet."
        note += best_note(ctx, segment_breakdown(column), shown)
        if len(groups) > len(shown):
            note += f" The {len(shown):,} segments losing the most money of {len(groups):,} are listed."
        add_note(ws, 3, note, 11)
        first, _, col = _groups_table(
            ws,
            ctx,
            shown,
            5,
            "Segment",
            f"tblSegments{n}",
            terms=ctx.breakdown_terms.get(segment_breakdown(column)),
            breakdown=segment_breakdown(column),
        )
        visible = _visible_columns(col)
        last_row = first + max(len(shown), 1) - 1
        print_rows = min(last_row, first + _PRINTED_GROUPS - 1)
        if shown:
            bars = min(len(shown), MAX_CHART_BARS)
            chart = ChartSpec(
                "bar",
                f"Money lost by {safe_text(column, limit=60)} (top {bars})",
                [SeriesSpec(Range(ws.title, first, col["Money lost"], first + bars - 1, col["Money lost"]),
                            Range(ws.title, first, 1, first + bars - 1, 1), name="Money lost")],
                y_title=f"Money lost ({model.currency})",
                y_format=ctx.money,
                reverse_categories=True,  # largest loss on top
                legend=False,
                width=18,
                height=max(7, 0.6 * bars + 3),
            )  # fmt: skip
            # Below the table when it is short, so the sheet prints on one page wide.
            ws.add_chart(chart, print_rows + 3, 1)
            print_rows += 3 + math.ceil(chart.height / 0.53)
        ws.print_area = (1, 1, print_rows, visible)


# Segment rows printed (the table can hold thousands; the rest stays on screen).
_PRINTED_GROUPS = 40


def _visible_columns(col: dict[str, int]) -> int:
    """The last column a reader sees (the aggregates after it are collapsed)."""
    return max(j for h, j in col.items() if ":" not in h)


def add_trend_sheet(wb: Book, ctx: SheetContext) -> None:
    """Add the Trend sheet (value per period) when the analysis has a period breakdown."""
    model = ctx.model
    period = model.analysis.request.period
    if not period or not model.periods:
        return
    ws = wb.create_sheet("Trend")
    threshold = model.headline.threshold
    at = "flag nobody" if threshold is None else f"threshold {format_threshold(threshold)}"
    prepare_sheet(ws, f"Value per {period}", f"At the operating {at}", one_page=len(model.periods) <= 40)
    add_note(ws, 3, f"Periods whose rows have no label yet are marked '{NOT_YET_KNOWN}': their value is unknown, "
          "not zero." + (f" {model.periods_note}." if model.periods_note else "")
          + best_note(ctx, PERIOD_BREAKDOWN, model.periods), 12)  # fmt: skip
    first, last_row, col = _groups_table(
        ws, ctx, model.periods, 5, period.capitalize(), "tblTrend", period=period,
        terms=ctx.breakdown_terms.get(PERIOD_BREAKDOWN), breakdown=PERIOD_BREAKDOWN,
    )  # fmt: skip
    value_col = col.get(VALUE) or col["Champion value"]
    series = [SeriesSpec(Range(ws.title, first, value_col, last_row, value_col), Range(ws.title, first, 1, last_row, 1),
                         name_ref=(ws.title, first - 1, value_col))]  # fmt: skip
    if "Challenger value" in col:
        c = col["Challenger value"]
        series.append(SeriesSpec(Range(ws.title, first, c, last_row, c), Range(ws.title, first, 1, last_row, 1),
                                 name_ref=(ws.title, first - 1, c)))  # fmt: skip
    chart = ChartSpec("column", f"Value per {period}", series, x_title=period.capitalize(),
                      y_title=f"Value ({model.currency})", y_format=ctx.money, x_format=_period_format(period),
                      width=20, height=9)  # fmt: skip
    ws.add_chart(chart, last_row + 3, 1)
    ws.print_area = (1, 1, last_row + 3 + math.ceil(chart.height / 0.53), _visible_columns(col))
