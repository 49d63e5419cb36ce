"""The threshold explorer's KPI tiles: value, value against the better baseline, flagged rows,
precision and recall at the operating point, with tooltips in the glossary's words."""

from __future__ import annotations

from roistudio.core.engine.baselines import allowed_baselines, better_allowed_baseline
from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.curve import Curve, CurvePoint
from roistudio.core.glossary import definition
from roistudio.gui.widgets import KpiTile, format_count, format_money, format_percent, format_threshold

# The KPI tiles' tooltips, in the glossary's words (core.glossary), so the app and the reports agree.
TOOLTIPS = {
    "value": f"Value: {definition('Value')} Rows without a label are not counted.",
    "gain": f"Value of the model: {definition('Value of the model')} {definition('Baselines')}",
    "flagged": f"Flagged rows: {definition('Flagged rows')} Flagged rows whose label is not yet known "
    "are counted apart.",
    "precision": f"Precision: {definition('Precision')}",
    "recall": f"Recall: {definition('Recall')}",
}


def point_tiles() -> dict[str, KpiTile]:
    """The five tiles, by name: ``value``, ``gain``, ``flagged``, ``precision``, ``recall``."""
    return {
        "value": KpiTile("Value", TOOLTIPS["value"]),
        "gain": KpiTile("vs doing nothing", TOOLTIPS["gain"]),
        "flagged": KpiTile("Flagged rows", TOOLTIPS["flagged"]),
        "precision": KpiTile("Precision", TOOLTIPS["precision"]),
        "recall": KpiTile("Recall", TOOLTIPS["recall"]),
    }


def show_point_tiles(
    tiles: dict[str, KpiTile], point: CurvePoint, curve: Curve, constraints: Constraints, cur: str
) -> None:
    """Fill ``tiles`` for ``point`` of ``curve``; the gain is against the better baseline the
    constraints allow (:meth:`~roistudio.core.engine.curve.Curve.better_allowed_baseline`)."""
    # Only the baselines the constraints allow (core rule: Curve.baselines).
    allowed = allowed_baselines(curve, constraints)
    baseline = better_allowed_baseline(curve, constraints)
    gain = point.value - baseline.value
    tiles["value"].set_value(
        format_money(point.value, cur), f"at threshold {format_threshold(point.threshold)}"
    )
    titles = {"flag_nobody": "vs doing nothing", "flag_everyone": "vs flagging everyone"}
    tiles["gain"].set_title(titles.get(baseline.kind, f"vs {baseline.label}"))
    forbidden = all(b.kind != "flag_everyone" for b in allowed)
    tiles["gain"].set_value(
        format_money(gain, cur, signed=True),
        f"baseline {format_money(baseline.value, cur)}; flag everyone not allowed"
        if forbidden
        else f"better baseline: {baseline.label} ({format_money(baseline.value, cur)})",
        tone="bad" if gain < 0 else None,
    )
    unknown = f"; +{point.flagged_unlabeled:,} not yet known" if point.flagged_unlabeled else ""
    tiles["flagged"].set_value(
        format_count(point.flagged), f"{format_percent(point.flag_rate)} of labelled rows{unknown}"
    )
    tiles["precision"].set_value(
        format_percent(point.precision), f"{point.tp:,} of {point.flagged:,} flagged are positive"
    )
    tiles["recall"].set_value(
        format_percent(point.recall), f"{point.tp:,} of {curve.positives:,} positives flagged"
    )
