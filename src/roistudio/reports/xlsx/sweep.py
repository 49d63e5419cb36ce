"""The Threshold sweep sheet: a printed digest of key thresholds, then every policy in an Excel table
(live formulas when linear) and its chart.

Baseline convention (shared with the PDF's threshold table): "vs better baseline" is a policy's
value minus the better of the baselines the constraints allow (flag nobody, flag everyone, or
flag N at random under a capacity), the baseline "value of the model" is measured against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from roistudio.reports.cells import safe_text
from roistudio.reports.model import ReportModel
from roistudio.reports.xlsx.book import Alignment, Book, ChartSpec, Font, Range, SeriesSpec, Sheet, sheet_ref
from roistudio.reports.xlsx.context import SheetContext, linear_formula, sweep_rows
from roistudio.reports.xlsx.layout import (
    add_excel_table,
    add_header_row,
    add_note,
    add_section,
    cell_ref,
    prepare_sheet,
    probability_axis,
    put_formula,
    put_number,
    put_text,
    set_widths,
)
from roistudio.reports.xlsx.style import (
    DECISION_RULE,
    INTEGER,
    MUTED_FONT,
    NAVY,
    PERCENT,
    PLAIN_NUMBER,
    THRESHOLD,
    money_format,
)

VS_BETTER = "vs better baseline"
_SWEEP_HEADERS = ["Threshold", "Flagged", "TP", "FP", "TN", "FN", "Precision", "Recall", "FPR", "Value",
                  VS_BETTER, "Policy"]  # fmt: skip
_COL_THRESHOLD = 1
_COL_VALUE = 10
_COL_VS_BETTER = 11
_COL_POLICY = 12
DIGEST_ROWS = 30  # rows of the printed digest (key policies included)
_TAG_FONT = Font(name="Calibri", size=10, bold=True, color=NAVY)
_TAG_ALIGN = Alignment(indent=1)


@dataclass(frozen=True)
class SweepTable:
    """Where the sweep table sits, for the Summary's "best" formulas and the value charts."""

    sheet: Sheet
    first: int  # first data row ("flag nobody")
    last: int  # last data row

    def column(self, col: int) -> str:
        """``'Threshold sweep'!$J$8:$J$2007``: one column of the data rows."""
        return f"{sheet_ref(self.sheet, self.first, col)}:{cell_ref(self.last, col, absolute=True)}"

    @property
    def values(self) -> str:
        return self.column(_COL_VALUE)

    @property
    def thresholds(self) -> str:
        return self.column(_COL_THRESHOLD)


def _digest_positions(n: int, keys: list[int]) -> list[int]:
    """Up to ``DIGEST_ROWS`` table positions: the key ones, half the rest spread over the whole table,
    half close around the key policies (where the value changes the decision)."""
    keys = sorted(set(keys))
    if n <= DIGEST_ROWS:
        return list(range(n))
    budget = DIGEST_ROWS - len(keys)
    spread = np.linspace(0, n - 1, budget // 2 + 2).round().astype(int)
    inner = [k for k in keys if 0 < k < n - 1] or [n // 2]
    lo, hi = max(min(inner) - n // 20, 0), min(max(inner) + n // 20, n - 1)
    near = np.linspace(lo, hi, budget - budget // 2 + 2).round().astype(int)
    chosen = sorted(set(keys) | set(spread.tolist()) | set(near.tolist()))
    while len(chosen) > DIGEST_ROWS:  # drop spread points that are not key ones, from the densest end
        drop = next(p for p in chosen[1:-1] if p not in keys)
        chosen.remove(drop)
    return chosen


def add_sweep_sheet(wb: Book, ctx: SheetContext) -> SweepTable:
    """Write the printed digest and the sweep table; returns where the table sits."""
    model = ctx.model
    champ = model.champion
    curve = champ.curve
    ws = wb.create_sheet("Threshold sweep")
    prepare_sheet(
        ws, "Threshold sweep", f"Model {safe_text(champ.name)}: every policy, {DECISION_RULE}", one_page=True
    )
    idx = sweep_rows(model)
    sampled = len(idx) < len(curve)
    head = model.headline
    live = ctx.linear is not None
    better_value = head.value - head.value_of_model
    note = (
        f"'{VS_BETTER}' is Value minus the better baseline ({head.better_baseline}, "
        f"{model.money(better_value)} as exported), the same comparison as the PDF's threshold table and the "
        "Summary's value of the model."
    )
    if live:
        note += (
            " Value is a live formula: Constant + sum of (parameter x 'per parameter' column), with the "
            "parameters on the Assumptions sheet; the better baseline follows them too."
        )
    if ctx.rows is not None:
        note += (
            " Value is a live formula: the payoff summed over the rows on the hidden Rows sheet, flagging the "
            "'Flagged' rows with the highest scores, with the parameters on the Assumptions sheet."
        )
    add_note(ws, 3, note, 12)

    # The full table comes after the digest; its rows are known now, so the digest can point at them.
    n = len(idx)
    digest_header = 6
    keys_at = {int(i): k for k, i in enumerate(idx)}
    tags: dict[int, list[str]] = {}
    tags.setdefault(0, []).append("flag nobody")
    tags.setdefault(len(curve) - 1, []).append("flag everyone")
    tags.setdefault(champ.optimum.index, []).append("best")
    tags.setdefault(champ.operating.index, []).append("operating")
    digest = _digest_positions(n, [keys_at[i] for i in tags if i in keys_at])
    table_section = digest_header + len(digest) + 2
    header_row = table_section + 2
    first = header_row + 1
    last_row = first + n - 1

    names = ctx.linear.parameter_names if ctx.linear is not None else []
    headers = [*_SWEEP_HEADERS, *(["Constant", *(f"per {ctx.names[p]}" for p in names)] if live else [])]
    thresholds = curve.thresholds[idx]
    columns = [
        curve.flagged[idx], curve.tp[idx], curve.fp[idx], curve.tn[idx], curve.fn[idx],
        curve.precision[idx], curve.recall[idx], curve.fpr[idx],
    ]  # fmt: skip
    values = curve.value[idx]
    formats = [INTEGER] * 5 + [PERCENT] * 3
    better_ref = ctx.key_values.get("better")
    if live:
        assert ctx.linear is not None
        coefficient_arrays = [ctx.linear.terms[None], *(ctx.linear.terms[p] for p in names)]
        positions = np.searchsorted(ctx.linear.indices, idx)

    # One cell write per sampled threshold (at most 2,000).
    for k, i in enumerate(idx):
        r = first + k
        t = thresholds[k]
        put_number(ws.cell(r, 1), None if math.isnan(t) else float(t), THRESHOLD)
        for j, (col, fmt) in enumerate(zip(columns, formats, strict=True)):
            v = col[k]
            put_number(ws.cell(r, 2 + j), int(v) if fmt == INTEGER else float(v), fmt)
        value = float(values[k])
        if live:
            refs = []
            for j, arr in enumerate(coefficient_arrays):
                c = len(_SWEEP_HEADERS) + 1 + j
                put_number(ws.cell(r, c), float(arr[positions[k]]), PLAIN_NUMBER, MUTED_FONT)
                refs.append(cell_ref(r, c))
            put_formula(ws.cell(r, _COL_VALUE), linear_formula(ctx, refs), value, ctx.money)
        elif ctx.rows is not None:  # the running value on the Rows sheet after the rows this flags
            put_formula(ws.cell(r, _COL_VALUE), "=" + ctx.rows.value_at(cell_ref(r, 2)), value, ctx.money)
        else:
            put_number(ws.cell(r, _COL_VALUE), value, ctx.money)
        if better_ref is not None:
            put_formula(ws.cell(r, _COL_VS_BETTER), f"={cell_ref(r, _COL_VALUE)}-{better_ref}",
                        value - better_value, ctx.money)  # fmt: skip
        else:
            put_number(ws.cell(r, _COL_VS_BETTER), value - better_value, ctx.money)
        if int(i) in tags:
            cell = ws.cell(r, _COL_POLICY)
            put_text(cell, ", ".join(tags[int(i)]), _TAG_FONT)
            cell.alignment = _TAG_ALIGN

    # The digest: the key policies and thresholds around them, as references to the table's rows
    # (so they follow the parameters too). It is what the sheet prints.
    add_section(ws, digest_header - 1, f"Key thresholds ({len(digest)} of the {n:,} rows below)", 12)
    add_header_row(ws, digest_header, _SWEEP_HEADERS)
    for d, k in enumerate(digest):
        r, src = digest_header + 1 + d, first + k
        for c in range(1, len(_SWEEP_HEADERS) + 1):
            cell, source = ws.cell(r, c), ws.cell(src, c)
            if c == 1 and source.kind is None:
                put_text(cell, "flag nobody")
            elif source.kind is None:
                continue  # undefined there (precision when nothing is flagged): blank, as in the table
            elif c == _COL_POLICY:
                if source.kind == "s":
                    put_text(cell, source.value, _TAG_FONT)
                    cell.alignment = _TAG_ALIGN
            else:
                cached = source.cached if source.kind == "f" else source.value
                put_formula(cell, f"={cell_ref(src, c)}", cached, source.number_format or "General")
    digest_end = digest_header + len(digest)
    sampled_text = (
        f"{n:,} of {len(curve):,} thresholds, spread evenly; the first row, the last row, the best and the "
        "operating threshold are always included."
        if sampled
        else f"All {len(curve):,} thresholds (every distinct score, plus 'flag nobody')."
    )
    add_section(ws, table_section, "Every threshold", 12)
    add_note(ws, table_section + 1, f"{sampled_text} Shown on screen, not printed: the print area is the key "
             "thresholds above.", 12)  # fmt: skip
    add_header_row(ws, header_row, headers)
    add_excel_table(ws, "tblSweep", header_row, last_row, 1, len(headers))
    ws.freeze = (first, 2)
    ws.print_area = (1, 1, digest_end, len(_SWEEP_HEADERS))
    set_widths(ws, {"A": 12, "B": 11, "C": 10, "D": 10, "E": 10, "F": 10, "G": 11, "H": 10, "I": 10, "J": 14,
                 "K": 15, "L": 20})  # fmt: skip
    for j in range(len(headers) - len(_SWEEP_HEADERS)):
        ws.widths[len(_SWEEP_HEADERS) + 1 + j] = 14
    table = SweepTable(ws, first, last_row)
    chart = value_chart(model, table)
    ws.add_chart(chart, digest_header, len(headers) + 2)
    return table


def value_chart(model: ReportModel, table: SweepTable) -> ChartSpec:
    """Value vs threshold from the sweep table (the 'flag nobody' row has no threshold: skipped)."""
    start = table.first + 1 if table.last > table.first else table.first
    title = table.sheet.title
    chart = ChartSpec(
        "scatter",
        "Value by threshold",
        [SeriesSpec(Range(title, start, _COL_VALUE, table.last, _COL_VALUE),
                    Range(title, start, _COL_THRESHOLD, table.last, _COL_THRESHOLD),
                    name=safe_text(model.champion.name, limit=80))],
        x_title="Threshold (flag rows with score >= threshold)",
        y_title=f"Value ({model.currency})",
        y_format=money_format(model.symbol),
        legend=False,
    )  # fmt: skip
    probability_axis(chart, model)
    return chart
