"""Which whole curves a live workbook carries, and their per-parameter terms from any engine.

A workbook finds a best threshold again by formula (the challenger's, each segment's and
period's, the best under a limit) only over a curve it holds point by point. This module says
which curves are wanted, in what order, within :data:`MAX_CURVE_POINTS` (one rule for every
engine), and builds their terms from per-parameter sweeps for an engine that cannot run
:func:`.linear.curve_terms`' DuckDB scan (Spark sweeps the analysis at all-zero and at each unit
parameter; a curve is linear in the parameters, so the differences are the terms).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN, segment_breakdown
from roistudio.core.engine.curve import Curve
from roistudio.core.engine.linear import CurveTerms
from roistudio.core.engine.results import ModelResult

MAX_CURVE_POINTS = 150_000
"""Curve points the workbook's hidden Curves sheet may hold (every curve of every group together)."""

_AGREEMENT = 1e-9  # as linear._AGREEMENT: relative agreement of a recomposed curve with the analysis

CurveTermsFinder = Callable[[ModelResult, "str | None", Mapping[str, Curve]], "dict[str, CurveTerms] | None"]
"""``(model, breakdown, group key -> reference curve)`` -> group key -> terms, or None."""


def whole_curve_terms(analysis: Analysis, find: CurveTermsFinder) -> dict[str, dict[str, CurveTerms]]:
    """Terms along the champion's and challenger's whole curves and every group's curve.

    Parameters
    ----------
    analysis
        The analysis the workbook shows.
    find
        The engine's way to get the terms of some curves (e.g. :func:`.linear.curve_terms`).

    Returns
    -------
    dict
        ``"champion"``, ``"challenger"`` or a breakdown name -> group key (``"all"`` for a model's
        overall curve) -> terms. Curves are taken in that order while they fit in
        :data:`MAX_CURVE_POINTS`; what does not fit, or whose terms disagree, is left out (the
        workbook says those figures are fixed).
    """
    wanted: list[tuple[str, ModelResult, str | None, dict[str, Curve]]] = [
        ("champion", analysis.champion, None, {"all": analysis.champion.curve})
    ]
    if analysis.challenger is not None:
        wanted.append(("challenger", analysis.challenger, None, {"all": analysis.challenger.curve}))
    groups = [(segment_breakdown(c), gs) for c, gs in analysis.segments.items()]
    if analysis.periods and analysis.request.period:
        groups.append((PERIOD_BREAKDOWN, analysis.periods))
    for name, gs in groups:
        wanted.append((name, analysis.champion, name, {g.key: g.curve for g in gs if not g.fully_unlabeled}))
    out: dict[str, dict[str, CurveTerms]] = {}
    budget = MAX_CURVE_POINTS
    for name, model, breakdown, curves in wanted:
        points = sum(len(c) for c in curves.values())
        if points > budget:
            continue
        found = find(model, breakdown, curves)
        if found is not None and set(found) == set(curves):
            out[name] = found
            budget -= points
    return out


def terms_from_sweeps(
    analysis: Analysis, swept: Sequence[Analysis], names: Sequence[str]
) -> CurveTermsFinder:
    """A finder reading whole-curve terms off sweeps at all-zero and at each unit parameter.

    Parameters
    ----------
    analysis
        The analysis at the user's parameters.
    swept
        The same analysis with every parameter at 0, then with ``names[i]`` at 1 (others 0).
    names
        The parameters the payoff uses, in ``swept``'s order.
    """
    parameters = dict(analysis.request.payoff.parameters)

    def curve_in(a: Analysis, challenger: bool, breakdown: str | None, key: str) -> Curve | None:
        model = analysis.challenger if challenger else analysis.champion
        assert model is not None
        if breakdown is None:
            found = a.models.get(model.name)
            return None if found is None else found.curve
        by_breakdown = {segment_breakdown(c): gs for c, gs in a.segments.items()}
        by_breakdown[PERIOD_BREAKDOWN] = a.periods
        group = next((g for g in by_breakdown.get(breakdown, ()) if g.key == key), None)
        if group is None:
            return None
        return group.challenger_curve if challenger else group.curve

    def find(
        model: ModelResult, breakdown: str | None, curves: Mapping[str, Curve]
    ) -> dict[str, CurveTerms] | None:
        challenger = analysis.challenger is not None and model is analysis.challenger
        out: dict[str, CurveTerms] = {}
        for key, reference in curves.items():
            found = [curve_in(a, challenger, breakdown, key) for a in swept]
            same = [c for c in found if c is not None and _same_points(c, reference)]
            if len(same) != len(found):
                return None
            base = np.asarray(same[0].value, dtype=np.float64)
            terms: CurveTerms = {None: base}
            for name, curve in zip(names, same[1:], strict=True):
                terms[name] = np.asarray(curve.value, dtype=np.float64) - base
            recomposed = base + sum((parameters[n] * terms[n] for n in names), np.zeros_like(base))
            scale = max(1.0, float(np.max(np.abs(reference.value), initial=0.0)))
            if not np.allclose(recomposed, reference.value, rtol=0.0, atol=_AGREEMENT * scale + 1e-9):
                return None
            out[key] = terms
        return out

    return find


def _same_points(curve: Curve, reference: Curve) -> bool:
    """The same thresholds (flag nobody aside), so the values line up point by point."""
    return len(curve) == len(reference) and bool(
        np.array_equal(curve.thresholds[1:], reference.thresholds[1:])
    )
