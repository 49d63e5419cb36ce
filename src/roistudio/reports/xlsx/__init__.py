"""The Excel workbook report, rendered from a :class:`~roistudio.reports.model.ReportModel`.

Sheets: Summary, Assumptions, Threshold sweep, Comparison (with a challenger), one sheet per
segment column, Trend (with a period breakdown), Estimate (with a label-delay estimate), Data
quality and About.

Conventions
-----------
- Every number is stored as a number with a number format (currency formats for money, ``0.0%``
  for rates), never as text. Text that comes from the data (segment values, column, file and
  model names, payoff expressions) is stored as text even when it starts with ``=``, ``+``,
  ``-`` or ``@`` (see :mod:`roistudio.reports.cells`).
- Each payoff parameter sits in its own cell on the Assumptions sheet under a workbook defined
  name (the parameter's name, or ``p_`` + name when that would read as a cell reference or a
  function).
- Live formulas: when the payoff is linear in its parameters and the per-parameter aggregates
  are available (:func:`roistudio.core.engine.linear.linear_aggregates`), the money figures of the
  Summary and of the sweep table are formulas ``constant + sum(parameter * aggregate)`` over
  those names, so changing ``review_cost`` in Excel reprices every policy. So are the segment,
  trend and comparison figures when their aggregates are available too
  (:func:`roistudio.core.engine.linear.group_terms`, kept in collapsed columns beside each table).
  The thresholds stay those of the analysis.
- Per-row formulas: when the payoff is not linear in its parameters (``fn = -max(r * d * balance,
  c)``), the labelled rows (:func:`roistudio.core.engine.payoff_rows.payoff_rows`, at most 200,000)
  go on a hidden Rows sheet with the payoff as formulas per row (:mod:`roistudio.core.payoff.excel`)
  and every money figure sums over them (:mod:`~roistudio.reports.xlsx.rows`); the best threshold
  is then searched over every threshold. Otherwise money figures are fixed values and the
  Assumptions sheet says why.
- Cross-sheet formulas point at a fixed "key policies" block, never at a row of a table, so
  sorting or filtering a table in Excel cannot make the Summary read the wrong row. The Summary's
  best threshold and value are the exception by design: ``MAX`` and ``INDEX``/``MATCH`` over the
  whole sweep column, which sorting does not change.
- The recommendation and the gap to the best are formulas over the Summary's cells
  (:mod:`~roistudio.reports.xlsx.sentences`); the comparison sentence is marked "as exported".
- The sweep's "vs better baseline" column compares with the better baseline the constraints allow,
  as the PDF's threshold table and the value of the model do.

Why XlsxWriter (and openpyxl only for reading)
----------------------------------------------
Cached formula values. openpyxl writes a formula without its result, so a reader that does not
recalculate (``pd.read_excel``, file previews, viewers) sees an empty cell: every live money figure
read as NaN. XlsxWriter stores the value computed here beside each formula
(``write_formula(..., value=)``). The sheet modules fill a :class:`~roistudio.reports.xlsx.book.Book`
(openpyxl-like ``ws.cell(row, col)`` and styles) that is rendered in one pass when saved.

Printing: each visible sheet has a print area and fits one page wide; chart data that is not a
table sits on the hidden "Chart data" sheet; the sweep sheet prints a digest of key thresholds.
"""

from __future__ import annotations

import os

from roistudio.core.atomic import write_with_atomic
from roistudio.core.engine.linear import LinearAggregates
from roistudio.core.money import prints_on_letter
from roistudio.reports.cells import safe_text
from roistudio.reports.model import ReportModel
from roistudio.reports.xlsx.about import add_about_sheet, add_quality_sheet
from roistudio.reports.xlsx.assumptions import add_assumptions_sheet
from roistudio.reports.xlsx.book import LETTER, Book
from roistudio.reports.xlsx.breakdowns import add_segment_sheets, add_trend_sheet
from roistudio.reports.xlsx.comparison import add_comparison_sheet
from roistudio.reports.xlsx.context import (
    SheetContext,
    aggregate_indices,
    covers,
    describe_nonlinear,
    key_policies,
    sweep_rows,
    terms_match,
)
from roistudio.reports.xlsx.curves import CURVES_SHEET, add_curves_sheet
from roistudio.reports.xlsx.estimate import add_estimate_sheet
from roistudio.reports.xlsx.style import money_format
from roistudio.reports.xlsx.summary import fill_summary_sheet
from roistudio.reports.xlsx.sweep import add_sweep_sheet
from roistudio.reports.xlsx.uncertainty import add_uncertainty_sheet

__all__ = ["aggregate_indices", "build_workbook", "key_policies", "money_format", "sweep_rows", "write_xlsx"]


def build_workbook(model: ReportModel, *, linear: LinearAggregates | None = None) -> Book:
    """Build the workbook in memory.

    Parameters
    ----------
    model
        The report model.
    linear
        Per-parameter aggregates of the champion curve covering the sweep rows and the key
        policies (see :func:`aggregate_indices`); ``model.linear`` by default. With them, and a
        linear payoff, money figures on the Summary and the sweep are live formulas; without
        them, fixed values.
    """
    if linear is None and isinstance(model.linear, LinearAggregates):
        linear = model.linear
    ctx = SheetContext(model=model, linear=linear if model.payoff_linear else None,
                   money=money_format(model.symbol), money2=money_format(model.symbol, 2))  # fmt: skip
    if not model.payoff_linear:
        ctx.nonlinear_reason = describe_nonlinear(model)
    if ctx.linear is not None and not covers(ctx.linear, aggregate_indices(model)):
        ctx.linear = None
    if ctx.linear is not None:
        # Only terms over exactly the parameters of the sweep's formulas (the same payoff split).
        wanted = {None, *ctx.linear.parameter_names}
        ctx.breakdown_terms = {
            name: terms for name, terms in model.breakdown_terms.items() if terms_match(terms, wanted)
        }
        comparison = model.comparison_terms
        if comparison is not None and all(set(t) == wanted for t in comparison.values()):
            ctx.comparison_terms = comparison
    wb = Book()
    ctx.book = wb
    summary = wb.create_sheet("Summary")
    add_assumptions_sheet(wb, ctx)
    ctx.curves = add_curves_sheet(wb, ctx)
    sweep = add_sweep_sheet(wb, ctx)
    fill_summary_sheet(ctx, summary, sweep)
    add_comparison_sheet(wb, ctx)
    add_uncertainty_sheet(wb, ctx)
    add_segment_sheets(wb, ctx)
    add_trend_sheet(wb, ctx)
    add_estimate_sheet(wb, ctx)
    add_quality_sheet(wb, ctx)
    add_about_sheet(wb, ctx)
    if ctx.chart_data is not None:  # the hidden chart data goes last, after every sheet a reader opens
        wb.sheets.remove(ctx.chart_data)
        wb.sheets.append(ctx.chart_data)
    if CURVES_SHEET in wb.sheetnames:  # and the hidden curves
        curves = wb[CURVES_SHEET]
        wb.sheets.remove(curves)
        wb.sheets.append(curves)
    if ctx.rows is not None:  # so do the hidden per-row formulas
        rows = wb[ctx.rows.title]
        wb.sheets.remove(rows)
        wb.sheets.append(rows)
    if prints_on_letter(model.currency):
        for sheet in wb:
            sheet.paper = LETTER
    wb.properties.update(
        title=safe_text(model.title, limit=250),
        author=f"Model ROI Studio {model.app_version}",
        keywords=f"roistudio-run:{model.run_id}",
    )
    wb.custom_properties["roistudio-run"] = model.run_id
    return wb


def write_xlsx(model: ReportModel, path: str | os.PathLike[str]) -> None:
    """Write the Excel workbook report to ``path`` atomically; it renders the model, nothing more.

    Parameters
    ----------
    model
        The report model (see :func:`roistudio.reports.model.build_project_report`). Its
        per-parameter aggregates (``model.linear``, computed when the model is built with a
        connection) make the money figures live formulas; without them they are fixed values.
    path
        Target ``.xlsx`` file. An existing file is replaced only by a complete new one; on a
        failure no temporary file is left behind.
    """
    workbook = build_workbook(model)
    write_with_atomic(path, lambda tmp: workbook.save(tmp))
