"""Limits an operating threshold must respect, and which points of a curve meet them.

Every rate is a fraction in [0, 1]. Flagging nobody meets every limit but a minimum recall; an
undefined precision (nothing flagged) excludes no point. The constrained optimum follows the
curve's tie rule (ties go to the higher threshold).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from roistudio.core.engine.curve import Curve, CurvePoint


@dataclass(frozen=True)
class Constraints:
    """Limits an operating threshold must respect. ``None`` means no limit.

    Every rate is a fraction in [0, 1] (``max_flag_rate=0.02`` is 2% of labelled rows).
    """

    max_flagged: int | None = None
    max_flag_rate: float | None = None
    min_precision: float | None = None
    min_recall: float | None = None
    max_fpr: float | None = None

    def is_empty(self) -> bool:
        return all(
            v is None
            for v in (self.max_flagged, self.max_flag_rate, self.min_precision, self.min_recall, self.max_fpr)
        )

    def describe(self) -> str:
        """Plain-language list of the limits, e.g. ``at most 500 rows flagged, precision >= 30%``."""
        parts = []
        if self.max_flagged is not None:
            parts.append(f"at most {self.max_flagged:,} rows flagged")
        if self.max_flag_rate is not None:
            parts.append(f"at most {self.max_flag_rate * 100:.4g}% of rows flagged")
        if self.min_precision is not None:
            parts.append(f"precision at least {self.min_precision:.4g}")
        if self.min_recall is not None:
            parts.append(f"recall at least {self.min_recall:.4g}")
        if self.max_fpr is not None:
            parts.append(f"false positive rate at most {self.max_fpr:.4g}")
        return ", ".join(parts) if parts else "no constraint"

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_flagged": self.max_flagged,
            "max_flag_rate": self.max_flag_rate,
            "min_precision": self.min_precision,
            "min_recall": self.min_recall,
            "max_fpr": self.max_fpr,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Constraints:
        return Constraints(**{k: data.get(k) for k in Constraints().to_dict()})


def feasible(curve: Curve, constraints: Constraints) -> np.ndarray:
    """Boolean mask of the points of ``curve`` that satisfy ``constraints``.

    Flagging nobody meets every limit but a minimum recall: doing nothing needs no reviewer
    and makes no false alarm. An undefined precision (nothing flagged) excludes no point.
    """
    mask = np.ones(len(curve), dtype=bool)
    if constraints.max_flagged is not None:
        mask &= curve.flagged <= constraints.max_flagged
    if constraints.max_flag_rate is not None:
        mask &= np.nan_to_num(curve.flag_rate, nan=0.0) <= constraints.max_flag_rate + 1e-12
    if constraints.min_precision is not None:
        mask &= np.nan_to_num(curve.precision, nan=1.0) >= constraints.min_precision - 1e-12
    if constraints.min_recall is not None:
        mask &= np.nan_to_num(curve.recall, nan=0.0) >= constraints.min_recall - 1e-12
    if constraints.max_fpr is not None:
        mask &= np.nan_to_num(curve.fpr, nan=0.0) <= constraints.max_fpr + 1e-12
    return mask


def constrained_optimum(curve: Curve, constraints: Constraints) -> CurvePoint | None:
    """The best policy of ``curve`` that satisfies ``constraints``; ``None`` if none does."""
    best = curve.best_index(feasible(curve, constraints))
    return None if best is None else curve.point(best)
