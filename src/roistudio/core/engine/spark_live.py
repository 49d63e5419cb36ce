"""The workbook's live formulas for an analysis Spark ran: the aggregates they sum, from Spark.

The DuckDB workbook writes every money figure as a formula over the payoff's parameters
(:mod:`.linear`): for a payoff linear in its parameters, ``A0 + sum_j p_j Aj`` where ``A0`` and
``Aj`` are sums per threshold; for other payoffs, per-row values on a hidden Rows sheet (at most
:data:`.payoff_rows.MAX_WORKBOOK_ROWS` rows). Here the same aggregates come from Spark:

- Linear payoffs: the analysis is re-aggregated on Spark with every parameter at 0 (``A0``) and
  with each parameter at 1 in turn (``A0 + Aj``), its breakdowns included: ``1 + parameters``
  Spark jobs. The champion's curve, every segment's and period's policies (value at the
  operating threshold, at the group's best threshold, perfect knowledge, the challenger's) and the
  comparison's are read off those curves at the analysis's own thresholds. Each recomposed value
  must agree with the analysis, as :func:`.linear.policy_terms` checks, or the figures stay fixed.
- Other payoffs: the labelled rows are collected from Spark (:func:`.payoff_rows.payoff_rows`
  with the Spark aggregator) when they fit; past the limit the workbook says which figures are
  fixed, as on DuckDB.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN, segment_breakdown
from roistudio.core.engine.linear import PERFECT, CurveTerms, LinearAggregates, Terms
from roistudio.core.engine.payoff_rows import PayoffRows, RowsUnavailable, payoff_rows
from roistudio.core.engine.results import GroupResult
from roistudio.core.engine.spark import analyse_spark
from roistudio.core.engine.spark_decision import SparkAggregator
from roistudio.core.engine.spark_source import Spark
from roistudio.core.engine.whole_curves import terms_from_sweeps, whole_curve_terms
from roistudio.core.progress import Progress, check_cancelled

_AGREEMENT = 1e-9  # as linear._AGREEMENT: relative agreement of a recomposed value with the analysis

assert PERFECT  # the DuckDB builder's name for the perfect-knowledge policy; here ``perfect``


@dataclass(frozen=True, eq=False)
class LiveFigures:
    """What the workbook's live formulas need, computed by another engine than DuckDB.

    Attributes
    ----------
    linear
        The champion's per-parameter aggregates at every curve index (``None``: not linear, or
        they did not agree with the analysis).
    breakdown_terms
        Breakdown -> group key -> policy -> terms (empty when they could not be split).
    comparison_terms
        The challenger's ``best`` and ``common`` terms, or ``None``.
    rows
        The labelled rows for per-row formulas (payoffs not linear in their parameters), or why not.
    curve_terms
        Terms along whole curves (:func:`.whole_curves.whole_curve_terms`), for best-by-formula.
    """

    linear: LinearAggregates | None
    breakdown_terms: dict[str, dict[str, dict[str, Terms]]] = field(default_factory=dict)
    comparison_terms: dict[str, Terms] | None = None
    rows: PayoffRows | RowsUnavailable | None = None
    curve_terms: dict[str, dict[str, CurveTerms]] = field(default_factory=dict)


def _close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=0.0, abs_tol=_AGREEMENT * max(1.0, abs(want)) + 1e-9)


def _terms(values: Sequence[float], names: Sequence[str]) -> Terms:
    """``{None: A0, name: Aj}`` from the values at all-zero and at each unit parameter."""
    base = float(values[0])
    out: Terms = {None: base}
    for name, value in zip(names, values[1:], strict=True):
        out[name] = float(value) - base
    return out


def _recomposed(terms: Terms, parameters: Mapping[str, float]) -> float:
    return terms[None] + sum(parameters[k] * v for k, v in terms.items() if k is not None)


def _groups(analysis: Analysis) -> dict[str, list[GroupResult]]:
    """Breakdown name -> its groups, as ``reports.workbook_figures.live_breakdown_terms`` lists them."""
    out = {segment_breakdown(column): list(groups) for column, groups in analysis.segments.items()}
    if analysis.periods:
        out[PERIOD_BREAKDOWN] = list(analysis.periods)
    return out


def _champion_terms(
    analysis: Analysis, swept: Sequence[Analysis], names: Sequence[str]
) -> LinearAggregates | None:
    reference = analysis.champion.curve
    curves = [a.models[analysis.champion.name].curve for a in swept]
    if any(
        len(c) != len(reference) or not np.array_equal(c.thresholds[1:], reference.thresholds[1:])
        for c in curves
    ):
        return None
    base = np.asarray(curves[0].value, dtype=np.float64)
    terms: dict[str | None, np.ndarray] = {None: base}
    for name, curve in zip(names, curves[1:], strict=True):
        terms[name] = np.asarray(curve.value, dtype=np.float64) - base
    result = LinearAggregates(np.arange(len(reference)), terms, dict(analysis.request.payoff.parameters))
    expected = reference.value
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    if not np.allclose(result.value(), expected, rtol=0.0, atol=_AGREEMENT * scale + 1e-9):
        return None
    return result


def _group_terms(
    analysis: Analysis, swept: Sequence[Analysis], names: Sequence[str]
) -> dict[str, dict[str, dict[str, Terms]]] | None:
    """Every breakdown group's policies, as :func:`.linear.group_terms` (``None`` on any disagreement)."""
    parameters = dict(analysis.request.payoff.parameters)
    per_setting = [{b: {g.key: g for g in gs} for b, gs in _groups(a).items()} for a in swept]
    out: dict[str, dict[str, dict[str, Terms]]] = {}
    for breakdown, groups in _groups(analysis).items():
        out[breakdown] = {}
        for g in groups:
            found = [s.get(breakdown, {}).get(g.key) for s in per_setting]
            if any(f is None for f in found):
                return None
            same = [f for f in found if f is not None]
            policies: dict[str, tuple[list[float], float]] = {
                "value": ([f.curve.at(g.operating.threshold).value for f in same], g.operating.value),
                "best": ([f.curve.at(g.optimum.threshold).value for f in same], g.optimum.value),
                "perfect": ([f.perfect_value for f in same], g.perfect_value),
            }
            if g.challenger_operating is not None and analysis.challenger is not None:
                t = g.challenger_operating.threshold
                if any(f.challenger_curve is None for f in same):
                    return None
                policies["challenger"] = (
                    [f.challenger_curve.at(t).value for f in same if f.challenger_curve is not None],
                    g.challenger_operating.value,
                )
            out[breakdown][g.key] = {}
            for policy, (values, want) in policies.items():
                terms = _terms(values, names)
                if not _close(_recomposed(terms, parameters), float(want)):
                    return None
                out[breakdown][g.key][policy] = terms
    return out


def _comparison_terms(
    analysis: Analysis, swept: Sequence[Analysis], names: Sequence[str]
) -> dict[str, Terms] | None:
    """The challenger's ``best`` and ``common`` terms, as :func:`.linear.comparison_terms`."""
    comp = analysis.comparison
    if comp is None:
        return None
    parameters = dict(analysis.request.payoff.parameters)
    curves = [a.models[comp.challenger.name].curve for a in swept]
    wanted = {
        "best": (comp.challenger.optimum.threshold, comp.challenger.optimum.value),
        "common": (comp.challenger_at_common.threshold, comp.challenger_at_common.value),
    }
    out: dict[str, Terms] = {}
    for policy, (threshold, want) in wanted.items():
        terms = _terms([c.at(threshold).value for c in curves], names)
        if not _close(_recomposed(terms, parameters), float(want)):
            return None
        out[policy] = terms
    return out


def spark_live_figures(
    spark: Spark, view: str, analysis: Analysis, *, progress: Progress | None = None
) -> LiveFigures:
    """The aggregates behind the workbook's live formulas, computed by Spark (see the module docstring).

    Parameters
    ----------
    spark, view
        The session and view the analysis ran on (:func:`.spark.analyse_spark`).
    analysis
        The analysis to write.
    progress
        Optional progress/cancel object; Cancel cancels the Spark job group.
    """
    payoff = analysis.request.payoff
    linear = None
    breakdown_terms: dict[str, dict[str, dict[str, Terms]]] = {}
    comparison = None
    curve_terms: dict[str, dict[str, CurveTerms]] = {}
    if payoff.is_linear_in_parameters():
        names = sorted(payoff.parameters_used())
        zero = dict.fromkeys(payoff.parameters, 0.0)
        swept = []
        for setting in [zero, *({**zero, n: 1.0} for n in names)]:
            check_cancelled(progress)
            request = replace(analysis.request, payoff=payoff.with_parameters(**setting))
            swept.append(
                analyse_spark(spark, view, request, validation=analysis.validation, progress=progress)
            )
        linear = _champion_terms(analysis, swept, names)
        if linear is not None:
            breakdown_terms = _group_terms(analysis, swept, names) or {}
            comparison = _comparison_terms(analysis, swept, names)
            curve_terms = whole_curve_terms(analysis, terms_from_sweeps(analysis, swept, names))
    rows = None
    if linear is None:  # not linear, or its aggregates did not add up: per-row formulas
        rows = payoff_rows(None, view, analysis, rows=SparkAggregator(spark, view, analysis, progress))  # type: ignore[arg-type]  # rows read by Spark
    return LiveFigures(linear, breakdown_terms, comparison, rows, curve_terms)
