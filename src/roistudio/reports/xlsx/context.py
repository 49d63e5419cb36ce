"""What the sheet writers share: the report model, the live-formula aggregates and
the cells other sheets point at; which rows and aggregates the workbook needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN, segment_breakdown
from roistudio.core.engine.curve import Curve, CurvePoint
from roistudio.core.engine.linear import LinearAggregates, Terms
from roistudio.core.engine.results import ModelResult
from roistudio.core.payoff.language import OUTCOMES
from roistudio.reports.model import ReportModel
from roistudio.reports.xlsx.book import Book, Sheet
from roistudio.reports.xlsx.layout import cell_ref, put_number
from roistudio.reports.xlsx.style import MAX_SWEEP_ROWS, MUTED_FONT, PLAIN_NUMBER


@dataclass
class SheetContext:
    """What the sheet writers share while one workbook is built."""

    model: ReportModel
    linear: LinearAggregates | None
    money: str
    money2: str
    names: dict[str, str] = field(default_factory=dict)  # parameter -> defined name
    breakdown_terms: dict[str, dict[str, dict[str, Terms]]] = field(
        default_factory=dict
    )  # see ReportModel.breakdown_terms
    comparison_terms: dict[str, Terms] | None = None
    key_values: dict[str, str] = field(default_factory=dict)  # key policy -> absolute value ref
    nonlinear_reason: str | None = None
    book: Book | None = None
    chart_data: Sheet | None = None  # the hidden sheet charts read when their data is no table
    # Not linear in its parameters: the Rows sheet (reports.xlsx.rows.RowsSheet) every money figure
    # sums over, and the cell of the best threshold found over it.
    rows: Any = None
    best_threshold_ref: str | None = None
    # The hidden Curves sheet (reports.xlsx.curves.CurvesSheet): whole curves for best-by-formula.
    curves: Any = None
    # Each limit of the constraints -> its input cell on the Assumptions sheet.
    limit_refs: dict[str, str] = field(default_factory=dict)

    def chart_sheet(self) -> Sheet:
        """The hidden "Chart data" sheet (created on first use): chart series that are not a table."""
        if self.chart_data is None:
            assert self.book is not None
            self.chart_data = self.book.create_sheet("Chart data")
            self.chart_data.hidden = True
        return self.chart_data


def even_sweep_indices(curve: Curve, model: ModelResult) -> np.ndarray:
    """At most ``MAX_SWEEP_ROWS`` evenly spread curve indices, keeping both ends, the best and the operating point."""
    keep = tuple(sorted({0, len(curve) - 1, model.optimum.index, model.operating.index}))
    budget = max(MAX_SWEEP_ROWS - len(keep), 2)
    return curve.sample_indices(budget, keep=keep)


def key_policies(model: ReportModel) -> list[tuple[str, str, CurvePoint]]:
    """The champion's key policies: (key, label, point) for operating, baselines and best."""
    champ = model.champion
    return [
        ("operating", "Operating threshold", champ.operating),
        ("nobody", "Flag nobody", champ.flag_nobody),
        ("everyone", "Flag everyone", champ.flag_everyone),
        ("best", "Best threshold", champ.optimum),
    ]


def describe_nonlinear(model: ReportModel) -> str | None:
    """Why money figures are fixed values: the first payoff that is not linear in its parameters."""
    payoff = model.analysis.request.payoff
    for outcome in OUTCOMES:
        if payoff.parameter_terms(outcome) is None:
            expr = " ".join(payoff.expressions[outcome].split())
            return (
                f"{outcome} = {expr} is not linear in its parameters, so money figures are fixed values "
                "computed with the parameters above."
            )
    return None


def linear_formula(ctx: SheetContext, coefficient_refs: Sequence[str]) -> str:
    """``=A0 + name1*A1 + ...`` for the coefficient cells (constant first, then sorted parameters)."""
    assert ctx.linear is not None
    parts = [coefficient_refs[0]]
    for name, ref in zip(ctx.linear.parameter_names, coefficient_refs[1:], strict=True):
        parts.append(f"{ctx.names[name]}*{ref}")
    return "=" + "+".join(parts)


def random_baseline_sql(ctx: SheetContext) -> str | None:
    """The expected value of flagging N of R labelled rows at random, over the key-policy cells:
    ``nobody + N/R * (everyone - nobody)``; None when that baseline is not compared."""
    head = ctx.model.headline
    if not head.random_flagged:
        return None
    nobody, everyone = ctx.key_values["nobody"], ctx.key_values["everyone"]
    return f"({nobody}+{head.random_flagged}/{head.rows}*({everyone}-{nobody}))"


def better_baseline_sql(ctx: SheetContext) -> str:
    """The better of the baselines the constraints allow (core rule: ``Curve.baselines``), as a formula body."""
    nobody, everyone = ctx.key_values["nobody"], ctx.key_values["everyone"]
    random_sql = random_baseline_sql(ctx)
    if random_sql is not None:
        return f"MAX({nobody},{random_sql})"
    if ctx.model.headline.everyone_forbidden:
        return nobody
    return f"MAX({nobody},{everyone})"


def write_terms(ws: Sheet, ctx: SheetContext, row: int, col: int, terms: Terms) -> list[str]:
    """Write one policy's aggregates (constant, then per parameter) from ``col``; returns their refs."""
    assert ctx.linear is not None
    refs = []
    for j, key in enumerate([None, *ctx.linear.parameter_names]):
        put_number(ws.cell(row, col + j), terms[key], PLAIN_NUMBER, MUTED_FONT)
        refs.append(cell_ref(row, col + j))
    return refs


def _breakdown_parts(ctx: SheetContext) -> tuple[list[str], list[str]]:
    """Names of the breakdown sheets' figures that are live formulas, and of those that are fixed."""
    model = ctx.model
    live: list[str] = []
    fixed: list[str] = []
    for column in model.segments:
        (live if segment_breakdown(column) in ctx.breakdown_terms else fixed).append(f"'by {column}'")
    if model.periods and model.analysis.request.period:
        (live if PERIOD_BREAKDOWN in ctx.breakdown_terms else fixed).append("trend")
    if model.analysis.comparison is not None:
        (live if ctx.comparison_terms is not None else fixed).append("comparison")
    return live, fixed


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def breakdown_live_text(ctx: SheetContext) -> str:
    """One or two sentences saying which segment, trend and comparison figures follow the parameters."""
    live, fixed = _breakdown_parts(ctx)
    text = []
    if live:
        text.append(
            f"The {_join(live)} money figures are live formulas too; the aggregates they use are in grouped "
            "columns at the right of each table (click + above the column letters to show them)."
        )
    if fixed:
        text.append(f"The {_join(fixed)} figures are fixed values computed with the parameters as exported.")
    return " ".join(text)


def terms_match(terms: dict[str, dict[str, Terms]], wanted: set[str | None]) -> bool:
    """True when every group's aggregates have exactly the ``wanted`` terms."""
    return all(set(t) == wanted for per_key in terms.values() for t in per_key.values())


def covers(linear: LinearAggregates, needed: np.ndarray) -> bool:
    """True when ``linear`` holds aggregates at every index in ``needed``."""
    return bool(np.isin(needed, linear.indices).all())


def sweep_rows(model: ReportModel) -> np.ndarray:
    """Champion curve indices shown in the sweep table (ascending, at most 2,000).

    The report model's choice (``model.sweep_indices``, shared with the PDF) when it fits and
    holds the key policies; otherwise an even sample that keeps both ends, the best and the
    operating threshold.
    """
    chosen = np.unique(np.asarray(model.sweep_indices, dtype=np.int64))
    keys = np.asarray([p.index for _, _, p in key_policies(model)], dtype=np.int64)
    if 0 < len(chosen) <= MAX_SWEEP_ROWS and np.isin(keys, chosen).all():
        return chosen
    return even_sweep_indices(model.champion.curve, model.champion)


def aggregate_indices(model: ReportModel) -> np.ndarray:
    """Champion curve indices whose per-parameter aggregates the workbook needs."""
    keys = [p.index for _, _, p in key_policies(model)]
    return np.union1d(sweep_rows(model), np.asarray(keys, dtype=np.int64))
