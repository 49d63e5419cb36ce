"""The hidden Curves sheet: whole curves, so best thresholds are found again by formula.

The Threshold sweep table prints at most 2,000 thresholds of the champion; the challenger, each
segment and each period have no sweep of their own. To let their best threshold (and the best
under a review capacity or a minimum precision) follow a parameter change, this sheet holds every
point of those curves as a block of rows:

    Threshold | Flagged | TP | FP | Value | [Constant | per parameter ...]

``Threshold`` reads "flag nobody" on a block's first row. ``Value`` is a live formula: over the
block's own aggregates when the payoff is linear in its parameters
(:func:`roistudio.core.engine.linear.curve_terms`), or a reference to the running values of the
hidden Rows sheet when it is not (:mod:`roistudio.reports.xlsx.rows`). The counts do not depend
on the parameters.

A best policy is then ``MAX`` over a block's values and the first row within the engine's tie
tolerance of it (rows run from flag nobody down, so ties go to the higher threshold, as in
:meth:`roistudio.core.engine.curve.Curve.best_index`); under limits, the same over the rows that
meet them (array formulas, which every spreadsheet application evaluates: no ``MAXIFS`` needed).

Curves that would not fit (:data:`roistudio.core.engine.whole_curves.MAX_CURVE_POINTS`) are left out and the
sheets that show their figures say those are fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN, segment_breakdown
from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.curve import TIE_TOLERANCE, Curve
from roistudio.core.engine.whole_curves import MAX_CURVE_POINTS
from roistudio.reports.xlsx.book import Book
from roistudio.reports.xlsx.layout import add_note, column_letter, prepare_sheet
from roistudio.reports.xlsx.style import THRESHOLD
from roistudio.reports.xlsx.worksheet import ROW_TOKEN, FormulaColumn, NumberColumn, write_columns

__all__ = ["CURVES_SHEET", "CurveBlock", "CurvesSheet", "add_curves_sheet", "constraint_condition"]

CURVES_SHEET = "Curves"
_T, _FLAGGED, _TP, _FP, _VALUE, _TERMS = 1, 2, 3, 4, 5, 6
_HEADERS = ["Threshold", "Flagged", "TP", "FP", "Value"]
_FIRST_ROW = 5


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class CurveBlock:
    """One curve's rows on the Curves sheet (``first`` is flag nobody) and its cached values."""

    title: str
    first: int
    last: int
    curve: Curve

    def column(self, col: int) -> str:
        letter = column_letter(col)
        return f"{_quote(self.title)}!${letter}${self.first}:${letter}${self.last}"

    @property
    def values(self) -> str:
        return self.column(_VALUE)

    def best_value(self, condition: str | None = None) -> str:
        """Formula (array formula with a condition): the highest value among the rows meeting it."""
        if condition is None:
            return f"=MAX({self.values})"
        return "{=MAX(IF(" + condition + f",{self.values}))}}"

    def best_threshold(self, value_ref: str, condition: str | None = None) -> str:
        """Array formula: the threshold of the first row (the highest threshold) within the tie
        tolerance of ``value_ref`` (the cell holding :meth:`best_value`) that meets ``condition``."""
        near = f"({self.values}>={value_ref}-{TIE_TOLERANCE!r})"
        test = near if condition is None else f"({condition})*{near}"
        return "{=INDEX(" + self.column(_T) + f",MATCH(1,{test}*1,0))}}"

    def cached_best(self, mask: np.ndarray | None = None) -> tuple[object, float]:
        """The core's best point (threshold, "flag nobody" for none; value) among ``mask``."""
        index = self.curve.best_index(mask)
        assert index is not None
        point = self.curve.point(index)
        return ("flag nobody" if point.threshold is None else point.threshold), point.value

    def condition(self, constraints: Constraints, refs: dict[str, str]) -> str:
        """The rows meeting the limits, as a 1/0 array over the block (see :func:`constraint_condition`)."""
        return constraint_condition(
            self.column(_FLAGGED), self.column(_TP), self.column(_FP), self.curve, constraints, refs
        )


def constraint_condition(
    flagged: str, tp: str, fp: str, curve: Curve, constraints: Constraints, refs: dict[str, str]
) -> str:
    """The core's feasibility rule (:func:`roistudio.core.engine.constraints.feasible`) as an array
    expression over count columns, with each limit read from its input cell in ``refs``.

    Rates are compared as products (``TP >= (p - 1E-12) * Flagged``), so a point flagging
    nothing meets a minimum precision (undefined precision excludes no point) without a division.
    """
    rows, positives, negatives = curve.rows, curve.positives, curve.rows - curve.positives
    tol = "1E-12"
    parts = []
    if constraints.max_flagged is not None:
        parts.append(f"({flagged}<={refs['max_flagged']})")
    if constraints.max_flag_rate is not None:
        parts.append(f"({flagged}<=({refs['max_flag_rate']}+{tol})*{rows})")
    if constraints.min_precision is not None:
        parts.append(f"({tp}>=({refs['min_precision']}-{tol})*{flagged})")
    if constraints.min_recall is not None:
        # No positive: recall is 0 for every point (the core's rule), so only a zero limit is met.
        parts.append(f"({tp}>=({refs['min_recall']}-{tol})*{positives})" if positives
                     else f"({flagged}*0>={refs['min_recall']}-{tol})")  # fmt: skip
    if constraints.max_fpr is not None:
        parts.append(f"({fp}<=({refs['max_fpr']}+{tol})*{negatives})")
    return "*".join(parts) if parts else f"({flagged}>=0)"


@dataclass
class CurvesSheet:
    """The blocks written: ``"champion"``, ``"challenger"``, ``(breakdown, group key)``."""

    blocks: dict[object, CurveBlock] = field(default_factory=dict)
    fixed: list[str] = field(default_factory=list)  # what was left out, for the sheets' notes


def _blocks_wanted(ctx: Any) -> list[tuple[object, str, Curve]]:
    model = ctx.model
    analysis = model.analysis
    out: list[tuple[object, str, Curve]] = [
        ("champion", f"Champion: {analysis.champion.name}", analysis.champion.curve)
    ]
    if analysis.challenger is not None:
        out.append(("challenger", f"Challenger: {analysis.challenger.name}", analysis.challenger.curve))
    for column, groups in analysis.segments.items():
        b = segment_breakdown(column)
        out += [((b, g.key), f"{column} = {g.key}", g.curve) for g in groups if not g.fully_unlabeled]
    if analysis.periods and analysis.request.period:
        out += [((PERIOD_BREAKDOWN, g.key), f"{analysis.request.period} {g.key}", g.curve)
                for g in analysis.periods if not g.fully_unlabeled]  # fmt: skip
    return out


def _source(ctx: Any, key: object, curve: Curve) -> tuple[list[str], list[np.ndarray]] | None:
    """How each point's value is computed: Rows-sheet references, or aggregates (empty refs)."""
    terms_by = ctx.model.curve_terms
    if ctx.linear is not None:
        name, group = (key, "all") if isinstance(key, str) else _pair(key)
        found = terms_by.get(name, {}).get(group)
        if found is None or set(found) != {None, *ctx.linear.parameter_names}:
            return None
        return [], [found[None], *(found[p] for p in ctx.linear.parameter_names)]
    plan = ctx.rows
    if plan is None:
        return None
    flagged = np.asarray(curve.flagged, dtype=np.int64)
    if key == "champion":
        return [plan.value_at(int(n)) for n in flagged.tolist()], []
    if key == "challenger":
        if len(plan.rows.models) < 2:
            return None
        return [plan.challenger_point(int(n)) for n in flagged.tolist()], []
    breakdown, group = _pair(key)
    if breakdown not in plan.group_ids or group not in plan.group_ids[breakdown]:
        return None
    return plan.group_points(breakdown, group, flagged), []


def _pair(key: object) -> tuple[str, str]:
    assert isinstance(key, tuple) and len(key) == 2
    return str(key[0]), str(key[1])


def add_curves_sheet(wb: Book, ctx: Any) -> CurvesSheet:
    """Add the hidden Curves sheet (when any curve can be live); the blocks are written in bulk at save."""
    out = CurvesSheet()
    if ctx.linear is None and ctx.rows is None:
        return out
    plan: list[tuple[object, str, Curve, list[str], list[np.ndarray], int]] = []
    row, budget = _FIRST_ROW, MAX_CURVE_POINTS
    limits = not ctx.model.analysis.request.constraints.is_empty()
    for key, label, curve in _blocks_wanted(ctx):
        if key == "champion" and ctx.rows is not None and not limits:
            continue  # the Rows sheet's value column is the champion's whole curve already

        source = None if len(curve) > budget else _source(ctx, key, curve)
        if source is None:
            out.fixed.append(label)
            continue
        budget -= len(curve)
        refs, terms = source
        header = row + 1
        out.blocks[key] = CurveBlock(CURVES_SHEET, header + 1, header + len(curve), curve)
        plan.append((key, label, curve, refs, terms, row))
        row = header + len(curve) + 2
    if not out.blocks:
        return out
    ws = wb.create_sheet(CURVES_SHEET)
    prepare_sheet(ws, "Curves", "Every point of each curve: the workings behind the best thresholds")
    names = [ctx.names[p] for p in ctx.linear.parameter_names] if ctx.linear is not None else []
    add_note(
        ws, 3,
        "One block per curve (the champion, the challenger, each segment and period), from flag nobody down to "
        "flag everyone. Value is a live formula"
        + (" over the block's aggregates and the parameters on the Assumptions sheet" if names or ctx.linear
           else " over the hidden Rows sheet")
        + ". The best thresholds on the other sheets are the highest Value of a block (ties to the higher "
        "threshold). Do not sort.",
        8,
    )  # fmt: skip
    ws.hidden = True  # workings, not a page: no print area (LibreOffice would print a hidden sheet's)
    for c in range(1, _TERMS + len(names) + 1):
        ws.widths[c] = 14
    money = ctx.money2
    ws.bulk.append(lambda book, sheet: _write_blocks(book, sheet, plan, names, money, counts=limits))
    return out


def _write_blocks(
    book: Any,
    ws: Any,
    plan: list[tuple[object, str, Curve, list[str], list[np.ndarray], int]],
    names: list[str],
    money: str,
    *,
    counts: bool,
) -> None:
    """Write every block: its label, headers and flag-nobody row cell by cell, the rest of its
    points as one block of columns (:func:`roistudio.reports.xlsx.worksheet.write_columns`).
    The counts (Flagged, TP, FP) only serve the limits, and every cell costs writing time:
    without limits those columns stay empty."""
    bold = book.add_format({"bold": True, "font_size": 10})
    header = book.add_format({"bold": True, "font_size": 9, "bottom": 1})
    plain = book.add_format({"font_size": 9})
    threshold_fmt = book.add_format({"font_size": 9, "num_format": THRESHOLD})
    money_fmt = book.add_format({"font_size": 9, "num_format": money})
    headers = [*_HEADERS, *(["Constant", *(f"per {n}" for n in names)] if names else [])]
    for _key, label, curve, refs, terms, row in plan:
        ws.write_string(row - 1, 0, label[:250], bold)
        for j, h in enumerate(headers):
            ws.write_string(row, j, h, header)
        first = row + 1  # 0-based row of flag nobody
        columns: list[NumberColumn | FormulaColumn] = [
            NumberColumn(_T - 1, curve.thresholds.tolist(), threshold_fmt)
        ]
        if counts:
            columns += [NumberColumn(c - 1, column.tolist(), plain)
                        for c, column in ((_FLAGGED, curve.flagged), (_TP, curve.tp), (_FP, curve.fp))]  # fmt: skip
        values = curve.value.tolist()
        if terms:
            columns += [NumberColumn(_TERMS - 1 + j, arr.tolist(), plain) for j, arr in enumerate(terms)]
            letters = [column_letter(_TERMS + j) for j in range(len(terms))]
            template = "+".join(
                [
                    f"{letters[0]}{ROW_TOKEN}",
                    *(f"{n}*{x}{ROW_TOKEN}" for n, x in zip(names, letters[1:], strict=True)),
                ]
            )
            columns.append(FormulaColumn(_VALUE - 1, values, money_fmt, template=template))
        else:
            columns.append(FormulaColumn(_VALUE - 1, values, money_fmt, texts=refs))
        # Flag nobody's threshold cell is text: that row is written cell by cell.
        ws.write_string(first, 0, "flag nobody", plain)
        for c in columns[1:]:
            if isinstance(c, NumberColumn):
                ws.write_number(first, c.col, c.values[0], c.fmt)
            else:
                ws.write_formula(first, c.col, f"={c.formula(0, first + 1)}", c.fmt, c.cached[0])
        write_columns(ws, first + 1, [_tail(c) for c in columns])


def _tail(column: NumberColumn | FormulaColumn) -> NumberColumn | FormulaColumn:
    """The column without its first row."""
    if isinstance(column, NumberColumn):
        return NumberColumn(column.col, column.values[1:], column.fmt)
    texts = None if column.texts is None else column.texts[1:]
    return FormulaColumn(column.col, column.cached[1:], column.fmt, column.template, texts)
