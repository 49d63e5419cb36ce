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
from roistudio.reports.xlsx.book import (
    Alignment,
    BlockColumn,
    Book,
    ChartSpec,
    Font,
    Range,
    SeriesSpec,
    Sheet,
    sheet_ref,
)
from roistudio.reports.xlsx.context import SheetContext, linear_formula, sweep_rows
from roistudio.reports.xlsx.layout import (
    add_excel_table,
    add_header_row,
    add_note,
    add_section,
    cell_ref,
    column_letter,
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
    VALUE_FONT,
    money_format,
)
from roistudio.reports.xlsx.worksheet import ROW_TOKEN

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
    data, templates = _table_data(ctx, idx, better_value)
    tagged = {keys_at[i]: ", ".join(t) for i, t in tags.items() if i in keys_at}
    # Rows with a blank (an undefined rate, "flag nobody") or a policy tag are written cell by cell;
    # the runs of plain rows between them as blocks (thousands of rows without a Cell each).
    plain = np.ones(n, dtype=bool)
    for values, _, _ in data.values():
        plain &= np.isfinite(values)
    plain[list(tagged)] = False
    for k in np.flatnonzero(~plain).tolist():
        _write_row(ws, first + k, k, data, templates, tagged.get(k))
    edges = np.flatnonzero(np.diff(np.r_[0, plain.astype(np.int8), 0]))
    for start, stop in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        ws.add_block(first + start, [
            BlockColumn(c, values[start:stop].tolist(), fmt, font, templates.get(c))
            for c, (values, fmt, font) in sorted(data.items())
        ])  # fmt: skip

    # The digest: the key policies and thresholds around them, as references to the table's rows
    # (so they follow the parameters too). It is what the sheet prints.
    add_section(ws, digest_header - 1, f"Key thresholds ({len(digest)} of the {n:,} rows below)", 12)
    add_header_row(ws, digest_header, _SWEEP_HEADERS)
    for d, k in enumerate(digest):
        r, src = digest_header + 1 + d, first + k
        for c in range(1, len(_SWEEP_HEADERS) + 1):
            cell = ws.cell(r, c)
            if c == _COL_POLICY:
                if k in tagged:
                    put_text(cell, tagged[k], _TAG_FONT)
                    cell.alignment = _TAG_ALIGN
                continue
            values, fmt, _ = data[c]
            if math.isfinite(values[k]):
                put_formula(cell, f"={cell_ref(src, c)}", _shown(values[k], fmt), fmt)
            elif c == _COL_THRESHOLD:
                put_text(cell, "flag nobody")
            # else: undefined there (precision when nothing is flagged): blank, as in the table
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


Columns = dict[int, tuple[np.ndarray, str, Font]]


def _table_data(ctx: SheetContext, idx: np.ndarray, better_value: float) -> tuple[Columns, dict[int, str]]:
    """The sweep table's columns at curve points ``idx`` (values, number format, font; NaN where
    undefined) and the formula of each live column (:data:`ROW_TOKEN` for the row)."""
    curve = ctx.model.champion.curve
    counts = [curve.flagged, curve.tp, curve.fp, curve.tn, curve.fn]
    data: Columns = {
        _COL_THRESHOLD: (np.asarray(curve.thresholds[idx], dtype=np.float64), THRESHOLD, VALUE_FONT)
    }
    for j, col in enumerate([*counts, curve.precision, curve.recall, curve.fpr]):
        data[2 + j] = (
            np.asarray(col[idx], dtype=np.float64),
            INTEGER if j < len(counts) else PERCENT,
            VALUE_FONT,
        )
    values = np.asarray(curve.value[idx], dtype=np.float64)
    data[_COL_VALUE] = (values, ctx.money, VALUE_FONT)
    data[_COL_VS_BETTER] = (values - better_value, ctx.money, VALUE_FONT)
    templates: dict[int, str] = {}
    if ctx.linear is not None:
        names = ctx.linear.parameter_names
        positions = np.searchsorted(ctx.linear.indices, idx)
        refs = []
        for j, arr in enumerate([ctx.linear.terms[None], *(ctx.linear.terms[p] for p in names)]):
            c = len(_SWEEP_HEADERS) + 1 + j
            data[c] = (np.asarray(arr[positions], dtype=np.float64), PLAIN_NUMBER, MUTED_FONT)
            refs.append(f"{column_letter(c)}{ROW_TOKEN}")
        templates[_COL_VALUE] = linear_formula(ctx, refs).removeprefix("=")
    elif ctx.rows is not None:  # the running value on the Rows sheet after the rows this flags
        templates[_COL_VALUE] = ctx.rows.value_at(f"{column_letter(2)}{ROW_TOKEN}")
    better_ref = ctx.key_values.get("better")
    if better_ref is not None:
        templates[_COL_VS_BETTER] = f"{column_letter(_COL_VALUE)}{ROW_TOKEN}-{better_ref}"
    return data, templates


def _shown(value: float, fmt: str) -> float | int:
    """A number as its cell holds it: counts as whole numbers."""
    return int(value) if fmt == INTEGER else float(value)


def _write_row(ws: Sheet, r: int, k: int, data: Columns, templates: dict[int, str], tag: str | None) -> None:
    """Table row ``r`` (position ``k``) cell by cell: blanks where undefined, the policy tag."""
    for c, (values, fmt, font) in data.items():
        v = float(values[k])
        if c in templates:
            put_formula(ws.cell(r, c), "=" + templates[c].replace(ROW_TOKEN, str(r)), v, fmt, font)
        else:
            put_number(ws.cell(r, c), _shown(v, fmt) if math.isfinite(v) else None, fmt, font)
    if tag is not None:
        cell = ws.cell(r, _COL_POLICY)
        put_text(cell, tag, _TAG_FONT)
        cell.alignment = _TAG_ALIGN


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
