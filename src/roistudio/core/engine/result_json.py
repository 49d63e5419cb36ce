"""The JSON form of an analysis: the contract of ``roistudio sweep --json``.

Top-level keys: ``rows`` (labelled rows swept), ``positives``, ``negatives``, ``unlabeled``,
``optimal``, ``operating``, ``at``, ``curve`` (at most ``max_points`` points, the optimum, the
operating point and every asked threshold always kept), ``baselines``, ``break_even``,
``constrained`` (when constraints were given), ``models`` and ``comparison`` (champion vs
challenger), ``segments`` and ``periods`` (when asked), ``source``, ``mapping``, ``payoff``,
``validation`` and ``app``; with a label-delay estimate, ``calibration``, ``unlabeled_estimate``
and ``estimated_value``/``estimated_low``/``estimated_high`` in each ``periods.rows[]`` entry;
with the decision options, ``uncertainty``, ``recommendation``, ``backtest``, ``sensitivity`` and
``coverage`` (``docs/uncertainty.md``). Money is in the data's units; ``threshold`` is ``null``
for "flag nobody". ``baselines.allowed`` lists the baselines the constraints allow (flag nobody,
flag everyone or flag N at random, see :mod:`roistudio.core.engine.baselines`) and ``baselines.better`` names the
one ``value_of_model`` is measured against (``flag_nobody``, ``flag_everyone`` or
``flag_random``). ``periods`` says how periods were formed (``time_column``, ``form``,
``year_given``, ``time_zone``: ``UTC`` for zone-aware timestamps, ``null`` when the times carry
no zone, ``note``) and lists its rows in calendar order.
"""

from __future__ import annotations

import math
from typing import Any

from roistudio import __version__
from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.estimate import LabelDelay, add_label_delay
from roistudio.core.engine.results import baselines_dict

MAX_CURVE_POINTS = 2000


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: non-finite floats become null, tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    return value


def analysis_to_json(
    analysis: Analysis,
    *,
    source: dict[str, Any] | None = None,
    max_points: int = MAX_CURVE_POINTS,
    label_delay: LabelDelay | None = None,
    decision: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the JSON-ready dict of ``analysis``.

    Parameters
    ----------
    analysis
        Result of :func:`roistudio.core.engine.analysis.analyse`.
    source
        Provenance of the data file (``ImportReport.to_dict()``), echoed under ``source``.
    max_points
        Largest number of curve points written (the curve itself stays exact).
    label_delay
        The calibration check and estimates (:func:`roistudio.core.engine.estimate.estimate_label_delay`):
        adds ``calibration``, ``unlabeled_estimate`` and each period's ``estimated_*`` keys.
    decision
        The decision blocks (``uncertainty``, ``recommendation``, ``backtest``, ``sensitivity``,
        ``coverage``) of :meth:`roistudio.core.engine.decision.Decision.to_json_blocks`.
    """
    champ = analysis.champion
    curve = champ.curve
    keep = [champ.optimum.index, champ.operating.index, *(p.index for p in champ.at)]
    if champ.constrained is not None:
        keep.append(champ.constrained.index)
    indices = curve.sample_indices(max_points, keep=tuple(keep))
    label = analysis.validation.label
    out: dict[str, Any] = {
        "app": {"name": "Model ROI Studio", "version": __version__},
        "source": source,
        "rows": curve.rows,
        "positives": curve.positives,
        "negatives": curve.negatives,
        "unlabeled": curve.unlabeled,
        "excluded_rows": analysis.excluded_rows,
        "positive_label": label.positive_text,
        "mapping": analysis.request.mapping.to_dict(),
        "payoff": analysis.request.payoff.to_dict(),
        "filters": analysis.request.filters.to_dict(),
        "optimal": champ.optimum.to_dict(),
        "operating": champ.operating.to_dict() | {"policy": analysis.policy},
        "at": [p.to_dict() for p in champ.at],
        "baselines": baselines_dict(champ),
        "value_of_model": champ.value_of_model,
        "savings": champ.savings,
        "break_even": list(champ.break_even),
        "curve_points_total": len(curve),
        "curve": curve.to_records(indices),
        "validation": analysis.validation.to_dict(),
    }
    constraints = analysis.request.constraints
    if not constraints.is_empty():
        point = champ.constrained
        out["constrained"] = (
            {"constraints": constraints.to_dict(), "feasible": False}
            if point is None
            else point.to_dict() | {"constraints": constraints.to_dict(), "feasible": True}
        )
    if len(analysis.models) > 1:
        out["models"] = {name: m.to_dict() for name, m in analysis.models.items()}
    comparison = analysis.comparison
    if comparison is not None:
        out["comparison"] = comparison.to_dict()
    if analysis.segments:
        out["segments"] = {col: [g.to_dict() for g in groups] for col, groups in analysis.segments.items()}
    if analysis.request.period:
        time = analysis.validation.time
        out["periods"] = {
            "period": analysis.request.period,
            **(time.to_dict() if time is not None else {}),
            "rows": [g.to_dict() for g in analysis.periods],
        }
    if label_delay is not None:
        add_label_delay(out, analysis, label_delay)
    out.update(decision or {})
    cleaned: dict[str, Any] = _clean(out)
    return cleaned
