"""The Data quality and About sheets: counts, warnings, provenance and fingerprint."""

from __future__ import annotations

import math
from collections.abc import Sequence

from roistudio.reports.cells import safe_text
from roistudio.reports.xlsx.book import Alignment, Book, Sheet
from roistudio.reports.xlsx.context import SheetContext
from roistudio.reports.xlsx.layout import (
    add_note,
    add_section,
    prepare_sheet,
    put_number,
    put_text,
    set_widths,
)
from roistudio.reports.xlsx.style import (
    DECISION_RULE,
    DEFINITIONS,
    INTEGER,
    LABEL_FONT,
    PERCENT,
    THIN_BOTTOM,
    THRESHOLD,
)


def _key_values(
    ws: Sheet, row: int, items: Sequence[tuple[str, object, str | None]], last: int = 3, chars: int = 90
) -> int:
    """Label / value lines; text values wrap across columns 2..``last`` (about ``chars`` characters)."""
    for label, value, fmt in items:
        put_text(ws.cell(row, 1), label, LABEL_FONT)
        ws.cell(row, 1).alignment = Alignment(vertical="top")  # beside the first line of a wrapped value
        cell = ws.cell(row, 2)
        if fmt is None:
            put_text(cell, "" if value is None else value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if last > 2:
                ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=last)
            # Merged cells do not grow to fit wrapped text: a row tall enough for its lines.
            lines = math.ceil(len(str(cell.value)) / chars)
            if lines > 1:
                ws.heights[row] = lines * 13 + 2
        else:
            put_number(cell, value, fmt)  # type: ignore[arg-type]
            cell.alignment = Alignment(horizontal="left")
        for c in range(1, last + 1):
            ws.cell(row, c).border = THIN_BOTTOM
        row += 1
    return row


def add_quality_sheet(wb: Book, ctx: SheetContext) -> None:
    """Add the Data quality sheet: rows read, rejected, excluded and unlabelled, label counts, warnings."""
    model = ctx.model
    q = model.quality
    label = model.analysis.validation.label
    ws = wb.create_sheet("Data quality")
    row = prepare_sheet(ws, "Data quality", "What was read, left out and not yet known", one_page=True)
    row = add_section(ws, row, "Rows", 3)
    row = _key_values(ws, row, [
        ("Rows in file", q.rows_in_file, INTEGER),
        ("Rejected rows (could not be read)", q.rejected_rows, INTEGER),
        ("Rows analysed (after filters)", model.analysis.rows, INTEGER),
        ("Rows left out for unusable scores", q.excluded_scores, INTEGER),
        ("Rows without a label (not yet known)", q.unlabeled, INTEGER),
        ("Labelled rows", q.labelled, INTEGER),
    ])  # fmt: skip
    row += 1
    row = add_section(ws, row, f"Label counts (column {safe_text(label.column)})", 3)
    row = _key_values(ws, row, [
        (f"Positives (label = {safe_text(label.positive_text)})", q.positives, INTEGER),
        ("Negatives", q.negatives, INTEGER),
        ("Positive rate", q.positives / q.labelled if q.labelled else None, PERCENT),
        ("Label values", ", ".join(label.values), None),
    ])  # fmt: skip
    row += 1
    row = add_section(ws, row, "Warnings", 3)
    messages = list(q.warnings) or ["None."]
    for message in messages:
        row = add_note(ws, row, message, 3, 105)
    if q.rejected_examples:
        row += 1
        row = add_section(ws, row, "Examples of rejected rows", 3)
        for example in q.rejected_examples:
            put_text(ws.cell(row, 1), example)
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
            row += 1
    set_widths(ws, {"A": 40, "B": 20, "C": 50})


def add_about_sheet(wb: Book, ctx: SheetContext) -> None:
    """Add the About sheet: the source file's fingerprint, the mapping, filters and the app version."""
    model = ctx.model
    src = model.source
    ws = wb.create_sheet("About")
    row = prepare_sheet(ws, "About this report", "Where every number came from")
    row = add_section(ws, row, "Report", 3)
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
        ("Breakdown by period", model.periods_note or period or "none", None),
    ])  # fmt: skip
    row += 1
    row = add_section(ws, row, "Source", 3)
    items: list[tuple[str, object, str | None]] = [
        ("File", src.name, None),
        ("Path", src.path, None),
        ("Size (bytes)", src.size, INTEGER),
        (src.fingerprint_label, src.sha256, None),
        ("Rows in file", src.rows_in_file, INTEGER),
        ("Engine", src.engine, None),
    ]
    if src.date_min or src.date_max:
        items.append(("Dates", f"{src.date_min or '?'} to {src.date_max or '?'}", None))
    row = _key_values(ws, row, items)
    row += 1
    row = add_section(ws, row, "Column mapping and filters", 3)
    row = _key_values(ws, row, [*((role, value, None) for role, value in model.mapping_rows),
                                ("Filters", model.filters, None)])  # fmt: skip
    row += 1
    row = add_section(ws, row, "Definitions", 3)
    _key_values(ws, row, [(term, text, None) for term, text in DEFINITIONS])
    set_widths(ws, {"A": 28, "B": 40, "C": 60})
