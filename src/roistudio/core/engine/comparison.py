"""Champion against challenger on the same rows.

The differences at each model's own best threshold and at the common threshold (the champion's
operating one), and per labelled period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roistudio.core.engine.curve import CurvePoint
from roistudio.core.engine.results import ModelResult


@dataclass(frozen=True, eq=False)
class Comparison:
    """Champion vs challenger on the same rows."""

    champion: ModelResult
    challenger: ModelResult
    periods_with_labels: int

    @property
    def common_threshold(self) -> float | None:
        """The champion's operating threshold, applied to both models."""
        return self.champion.operating.threshold

    @property
    def challenger_at_common(self) -> CurvePoint:
        return self.challenger.curve.at(self.common_threshold)

    @property
    def difference_at_best(self) -> float:
        """Challenger minus champion, each at its own best threshold."""
        return self.challenger.optimum.value - self.champion.optimum.value

    @property
    def difference_at_common(self) -> float:
        return self.challenger_at_common.value - self.champion.operating.value

    @property
    def difference_per_period_at_best(self) -> float | None:
        if not self.periods_with_labels:
            return None
        return self.difference_at_best / self.periods_with_labels

    def to_dict(self) -> dict[str, Any]:
        return {
            "champion": self.champion.name,
            "challenger": self.challenger.name,
            "champion_best": self.champion.optimum.to_dict(),
            "challenger_best": self.challenger.optimum.to_dict(),
            "difference_at_best": self.difference_at_best,
            "common_threshold": self.common_threshold,
            "champion_at_common": self.champion.operating.to_dict(),
            "challenger_at_common": self.challenger_at_common.to_dict(),
            "difference_at_common": self.difference_at_common,
            "periods_with_labels": self.periods_with_labels,
            "difference_per_period_at_best": self.difference_per_period_at_best,
        }
