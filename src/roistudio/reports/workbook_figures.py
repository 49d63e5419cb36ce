"""The figures only the workbook uses: what its live formulas are built from.

When the payoff is linear in its parameters, per-parameter aggregates (the champion's along the
sweep table, each breakdown's and the comparison's at their policies, and whole curves for the
best thresholds by formula); when not, the labelled rows behind per-row formulas. The PDF uses
none of them, so a PDF alone skips their scans, and ``roistudio report`` reads them on a thread
of their own while the decision figures are computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN, segment_breakdown
from roistudio.core.engine.linear import LinearAggregates

if TYPE_CHECKING:
    from roistudio.core.engine.spark_live import LiveFigures

__all__ = ["live_at", "live_breakdown_terms", "live_curve_terms", "report_sweep_indices", "workbook_figures"]

SWEEP_ROWS = 2000  # champion curve points in the sweep tables, at most


def report_sweep_indices(analysis: Analysis) -> tuple[int, ...]:
    """The champion curve points the sweep tables show: at most :data:`SWEEP_ROWS`, spread
    evenly, always with the best, the operating, the constrained and the compared thresholds."""
    champ = analysis.champion
    keep = [champ.optimum.index, champ.operating.index, *(p.index for p in champ.at)]
    if champ.constrained is not None:
        keep.append(champ.constrained.index)
    return tuple(int(i) for i in champ.curve.sample_indices(SWEEP_ROWS, keep=tuple(keep)))


def live_at(
    live: LiveFigures, indices: Sequence[int]
) -> tuple[LinearAggregates | None, dict[str, dict[str, Any]], dict[str, Any] | None]:
    """Another engine's live-formula aggregates, the champion's kept at the sweep sheet's indices."""
    if live.linear is None:
        return None, {}, None
    idx = np.unique(np.asarray(indices, dtype=np.int64))
    pos = np.searchsorted(live.linear.indices, idx)
    terms = {k: v[pos] for k, v in live.linear.terms.items()}
    return (
        LinearAggregates(idx, terms, dict(live.linear.parameters)),
        dict(live.breakdown_terms),
        live.comparison_terms,
    )


def live_breakdown_terms(
    con: duckdb.DuckDBPyConnection, table: str, analysis: Analysis
) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """Aggregates for live segment, trend and comparison formulas (see :mod:`roistudio.core.engine.linear`).

    Returns
    -------
    tuple
        ``breakdown name -> group key -> policy -> terms`` (empty when the figures could not be
        split) and the challenger's ``{"best", "common"}`` terms or ``None``.
    """
    from roistudio.core.engine import linear as live

    breakdowns = {segment_breakdown(column): groups for column, groups in analysis.segments.items()}
    if analysis.periods:
        breakdowns[PERIOD_BREAKDOWN] = analysis.periods
    return live.group_terms(con, table, analysis, breakdowns) or {}, live.comparison_terms(
        con, table, analysis
    )


def live_curve_terms(
    con: duckdb.DuckDBPyConnection, table: str, analysis: Analysis
) -> dict[str, dict[str, Any]]:
    """Aggregates along whole curves for best-by-formula (:func:`.whole_curves.whole_curve_terms`), by DuckDB."""
    from roistudio.core.engine import linear as live
    from roistudio.core.engine.whole_curves import whole_curve_terms

    return whole_curve_terms(analysis, lambda m, b, c: live.curve_terms(con, table, analysis, m, b, c))


def workbook_figures(
    analysis: Analysis,
    con: duckdb.DuckDBPyConnection | None,
    table: str,
    *,
    live: LiveFigures | None = None,
) -> dict[str, Any]:
    """The aggregates behind the workbook's live formulas (when the payoff is linear in its
    parameters) or the labelled rows behind its per-row formulas (when not): ``ReportModel``'s
    ``linear``, ``breakdown_terms``, ``comparison_terms``, ``curve_terms`` and ``labelled_rows``.
    Another engine passes ``live``; without it or a connection, none."""
    sweep_indices = report_sweep_indices(analysis)
    payoff = analysis.request.payoff
    linear = payoff.is_linear_in_parameters()
    linear_aggregates = None
    breakdown_terms: dict[str, dict[str, Any]] = {}
    comparison_terms = None
    curve_terms: dict[str, dict[str, Any]] = {}
    if live is not None:
        linear_aggregates, breakdown_terms, comparison_terms = live_at(live, sweep_indices)
        curve_terms = dict(live.curve_terms)
    elif linear and con is not None:
        from roistudio.core.engine.linear import linear_aggregates as compute_linear

        linear_aggregates = compute_linear(con, table, analysis, sweep_indices)
        if linear_aggregates is not None:
            breakdown_terms, comparison_terms = live_breakdown_terms(con, table, analysis)
            curve_terms = live_curve_terms(con, table, analysis)
    rows = live.rows if live is not None and linear_aggregates is None else None
    if con is not None and linear_aggregates is None:  # not linear, or its aggregates did not add up
        from roistudio.core.engine.payoff_rows import payoff_rows

        rows = payoff_rows(con, table, analysis)
    return {
        "linear": linear_aggregates,
        "breakdown_terms": breakdown_terms,
        "comparison_terms": comparison_terms,
        "curve_terms": curve_terms,
        "labelled_rows": rows,
    }
