"""The threshold explorer's rules as plain values, tested without Qt.

- The slider moves through score values evenly from the lowest score to the highest (like the
  chart's x axis), in :data:`SLIDER_STEPS` steps; one more step at the right end flags nobody.
- The constraint inputs (:class:`ConstraintInputs`: a check box and a number per constraint,
  the capacity in rows or in percent of rows) and the :class:`~roistudio.core.engine.curve.Constraints`
  they mean: rates are fractions in the core and percents in the boxes.
"""

from __future__ import annotations

from dataclasses import dataclass

from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.curve import Curve, CurvePoint

SLIDER_STEPS = 1000  # positions between the lowest and the highest score; one more flags nobody


def slider_score(value: int, low: float, high: float) -> float | None:
    """The score a slider position stands for (``None``: the far right, flag nobody)."""
    if int(value) > SLIDER_STEPS:
        return None
    return low + (high - low) * int(value) / SLIDER_STEPS


def slider_position(score: float | None, low: float, high: float) -> int:
    """The slider position nearest ``score`` (``None``, flag nobody: the far right)."""
    if score is None:
        return SLIDER_STEPS + 1
    if high <= low:
        return 0
    return round((score - low) / (high - low) * SLIDER_STEPS)


def point_at(curve: Curve, threshold: float | None) -> CurvePoint:
    """The policy "flag rows with score >= threshold" on ``curve``; a threshold above every
    score is flag nobody (reported as such, threshold ``None``)."""
    if curve.index_at(threshold) == 0:
        return curve.point(0)
    return curve.at(threshold)


def score_range(curve: Curve | None) -> tuple[float, float]:
    """The lowest and the highest score of ``curve`` (``(0, 0)`` without scores)."""
    if curve is None or len(curve) < 2:
        return 0.0, 0.0
    scores = curve.thresholds[1:]  # strictly descending
    return float(scores[-1]), float(scores[0])


def index_for_slider(curve: Curve | None, value: int) -> int:
    """Curve index of a slider position: the lowest distinct score at or above its value."""
    score = slider_score(value, *score_range(curve))
    if curve is None or score is None or len(curve) < 2:
        return 0
    # Float rounding at the top end must not turn "the highest score" into "flag nobody".
    return max(curve.index_at(score), 1)


def slider_for_index(curve: Curve | None, index: int) -> int:
    """The slider position nearest a curve index's score (index 0, flag nobody: far right)."""
    if curve is None or int(index) == 0:
        return slider_position(None, 0.0, 0.0)
    return slider_position(float(curve.thresholds[int(index)]), *score_range(curve))


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100.0


@dataclass(frozen=True)
class ConstraintInputs:
    """What the constraint boxes show; an unchecked box keeps its number but sets no limit."""

    capacity_on: bool = False
    capacity_in_percent: bool = False
    capacity: float = 0.0
    precision_on: bool = False
    precision: float = 0.0
    recall_on: bool = False
    recall: float = 0.0
    fpr_on: bool = False
    fpr: float = 0.0

    @classmethod
    def showing(cls, c: Constraints, rows: int, keep: ConstraintInputs | None = None) -> ConstraintInputs:
        """The inputs that show ``c`` on data of ``rows`` rows.

        A rate that is not set keeps the number ``keep`` had (the analyst's last value); an unset
        capacity shows 1,000 rows (or all of them, when fewer).
        """
        keep = keep or cls()
        in_percent = c.max_flagged is None and c.max_flag_rate is not None
        capacity = _percent(c.max_flag_rate) if in_percent else c.max_flagged
        if capacity is None:
            capacity = float(min(rows, 1000))
        precision, recall, fpr = _percent(c.min_precision), _percent(c.min_recall), _percent(c.max_fpr)
        return cls(
            capacity_on=c.max_flagged is not None or c.max_flag_rate is not None,
            capacity_in_percent=in_percent,
            capacity=float(capacity),
            precision_on=precision is not None,
            precision=keep.precision if precision is None else precision,
            recall_on=recall is not None,
            recall=keep.recall if recall is None else recall,
            fpr_on=fpr is not None,
            fpr=keep.fpr if fpr is None else fpr,
        )

    def constraints(self) -> Constraints:
        """The constraints the inputs describe (unchecked ones are no limit)."""
        max_flagged = max_rate = None
        if self.capacity_on:
            if self.capacity_in_percent:
                max_rate = self.capacity / 100.0  # rates are fractions; the box shows percent
            else:
                max_flagged = round(self.capacity)
        return Constraints(
            max_flagged=max_flagged,
            max_flag_rate=max_rate,
            min_precision=self.precision / 100.0 if self.precision_on else None,
            min_recall=self.recall / 100.0 if self.recall_on else None,
            max_fpr=self.fpr / 100.0 if self.fpr_on else None,
        )
