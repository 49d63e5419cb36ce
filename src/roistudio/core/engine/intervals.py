"""Percentile intervals of bootstrap replicates, and the checks on their options.

Money figures use linear interpolation between order statistics; thresholds use the inverted
CDF, so each end is a threshold some replicate chose, with "flag nobody" (NaN) ranked above
every score and reported as ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from roistudio.core.errors import RoiError


@dataclass(frozen=True)
class Interval:
    """A percentile interval; for thresholds ``None`` means "flag nobody"."""

    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high}


def check_options(replicates: int, confidence: float) -> None:
    """Refuse a replicate count or confidence that cannot give an interval (one clear line)."""
    if replicates < 0 or replicates > 1_000_000:
        raise RoiError(f"--bootstrap expects a number of replicates from 0 to 1,000,000, got {replicates}")
    if not 0.0 < confidence < 1.0:
        raise RoiError(f"--confidence expects a fraction between 0 and 1 (e.g. 0.9), got {confidence:g}")


def percentile_interval(samples: np.ndarray, confidence: float) -> Interval:
    """Percentile interval of money figures (linear interpolation between order statistics)."""
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(np.asarray(samples, dtype=np.float64), [alpha, 1.0 - alpha])
    return Interval(float(low), float(high))


def threshold_interval(samples: np.ndarray, confidence: float) -> Interval:
    """Percentile interval of thresholds; NaN (flag nobody) ranks above every score.

    Uses the inverted CDF (no interpolation), so each end is a threshold some replicate chose.
    """
    alpha = (1.0 - confidence) / 2.0
    ranked = np.where(np.isnan(samples), np.inf, samples)
    low, high = np.quantile(ranked, [alpha, 1.0 - alpha], method="inverted_cdf")
    return Interval(None if math.isinf(low) else float(low), None if math.isinf(high) else float(high))


def savings_interval(
    operating_value: np.ndarray, value_of_model: np.ndarray, confidence: float
) -> Interval | None:
    """Percentile interval of the savings ratio from the same replicates as the money figures.

    The savings ratio (:attr:`roistudio.core.engine.results.ModelResult.savings`, the glossary's
    "savings") is what the model adds over the cost of the better baseline:
    ``1 - cost(model) / cost(better baseline)``. Each replicate's ratio is taken from that
    replicate's own sums: its operating value ``v`` and value of the model ``m`` give the
    baseline's value ``v - m``, so the ratio is ``m / (m - v)`` (the baseline's cost is
    ``-(v - m)``). Then the percentile interval, like the money figures.

    ``None`` when in some replicate the better baseline costs nothing or gains money: the
    ratio is then no share of a cost (the point estimate is ``None`` in that case too).
    """
    v = np.asarray(operating_value, dtype=np.float64)
    m = np.asarray(value_of_model, dtype=np.float64)
    if len(v) == 0 or len(v) != len(m):
        return None
    baseline_cost = m - v
    if not np.all(baseline_cost > 0):
        return None
    return percentile_interval(m / baseline_cost, confidence)
