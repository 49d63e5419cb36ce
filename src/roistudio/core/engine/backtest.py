"""Honest out-of-sample value (walk-forward) and what span the figures cover.

A threshold tuned on the same rows it is scored on flatters the model. The walk-forward backtest
(fixed semantics, ``docs/uncertainty.md``): for each labelled period after the first, the best
threshold on all earlier labelled periods together (same tie rule as the curve: ties go to the
higher threshold, flag nobody allowed), applied to that period. Reported per period: that
threshold, the period's value under it and the period's own best value (hindsight); in total,
the walk-forward value beside the in-sample value (every period at the threshold tuned on all
rows) and the value of a stale threshold (tuned on the first labelled period and never again).

Everything is read off the per-period curves the analysis already has: per-score aggregates
are recovered from each curve's cumulative arrays and merged exactly, so no query runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from roistudio.core.data.period_order import period_sort_key
from roistudio.core.data.profile import MISSING_KEY
from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.curve import Curve
from roistudio.core.engine.results import GroupResult

_DAYS_PER_MONTH = 365.2425 / 12.0
_PERIOD_STEP = {
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
    "year": pd.DateOffset(years=1),
}


def merge_curves(curves: list[Curve]) -> Curve:
    """The exact curve of the union of the rows behind ``curves`` (same payoff, disjoint rows)."""
    parts = [c for c in curves if len(c) > 1]
    if not parts:
        return Curve.empty()
    scores = np.concatenate([c.thresholds[1:] for c in parts])
    unique, where = np.unique(-scores, return_inverse=True)  # descending scores

    def merged(name: str) -> np.ndarray:
        values = np.concatenate([np.diff(getattr(c, name)) for c in parts]).astype(np.float64)
        return np.bincount(where.ravel(), weights=values, minlength=len(unique))

    return Curve.from_score_aggregates(
        -unique,
        merged("tp").astype(np.int64),
        merged("fp").astype(np.int64),
        tp_value=merged("tp_value"),
        fp_value=merged("fp_value"),
        tn_value=merged("tn_drop"),
        fn_value=merged("fn_drop"),
        unlabeled=merged("flagged_unlabeled").astype(np.int64),
        descending=True,
    )


@dataclass(frozen=True)
class BacktestRow:
    """One period of the walk-forward: the threshold tuned on earlier periods, applied to it."""

    key: str
    threshold: float | None
    value: float
    best_value: float
    in_sample_value: float
    stale_value: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "threshold": self.threshold,
            "value": self.value,
            "best_value": self.best_value,
        }


@dataclass(frozen=True)
class Backtest:
    """The walk-forward over an analysis's periods (see the module docstring)."""

    period: str
    rows: tuple[BacktestRow, ...]
    stale_threshold: float | None

    @property
    def value(self) -> float:
        return float(sum(r.value for r in self.rows))

    @property
    def best_value(self) -> float:
        return float(sum(r.best_value for r in self.rows))

    @property
    def in_sample_value(self) -> float:
        """The same periods at the threshold tuned on all rows (what the main figures assume)."""
        return float(sum(r.in_sample_value for r in self.rows))

    @property
    def stale_value(self) -> float:
        return float(sum(r.stale_value for r in self.rows))

    @property
    def optimism(self) -> float:
        """In-sample minus walk-forward value: how much tuning on the scored rows flatters."""
        return self.in_sample_value - self.value

    @property
    def stale_cost(self) -> float:
        """Walk-forward minus stale value: what never re-tuning the threshold costs."""
        return self.value - self.stale_value

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "rows": [r.to_dict() for r in self.rows],
            "value": self.value,
            "best_value": self.best_value,
            "in_sample_value": self.in_sample_value,
            "stale_threshold": self.stale_threshold,
            "stale_value": self.stale_value,
        }


def labelled_periods(analysis: Analysis) -> list[GroupResult]:
    """Periods with at least one labelled row, in time order (rows without a time left out)."""
    return [p for p in analysis.periods if p.key != MISSING_KEY and p.curve.rows > 0]


def walk_forward(analysis: Analysis) -> Backtest | None:
    """The walk-forward backtest of the champion; ``None`` without at least two labelled periods.

    Parameters
    ----------
    analysis
        An analysis with a period breakdown (``AnalysisRequest.period``).
    """
    periods = labelled_periods(analysis)
    if not analysis.request.period or len(periods) < 2:
        return None
    in_sample = analysis.champion.optimum.threshold
    stale = periods[0].curve.optimum().threshold
    rows = []
    earlier = periods[0].curve
    for group in periods[1:]:
        threshold = earlier.optimum().threshold
        curve = group.curve
        rows.append(
            BacktestRow(
                key=group.key,
                threshold=threshold,
                value=curve.at(threshold).value,
                best_value=curve.optimum().value,
                in_sample_value=curve.at(in_sample).value,
                stale_value=curve.at(stale).value,
            )
        )
        earlier = merge_curves([earlier, curve])
    return Backtest(analysis.request.period, tuple(rows), stale)


@dataclass(frozen=True)
class Coverage:
    """What span the figures cover, and the value per month and per year over it.

    ``value`` is the sum over the labelled periods of the value at the operating threshold;
    the span runs from the start of the first labelled period to the end of the last.
    """

    first: str
    last: str
    labelled_periods: int
    unlabelled_rows: int
    value: float
    months: float

    @property
    def value_per_month(self) -> float:
        return self.value / self.months

    @property
    def value_per_year(self) -> float:
        return self.value_per_month * 12.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "last": self.last,
            "labelled_periods": self.labelled_periods,
            "unlabelled_rows": self.unlabelled_rows,
            "value_per_month": self.value_per_month,
            "value_per_year": self.value_per_year,
            "value": self.value,
            "months": self.months,
        }


def coverage(analysis: Analysis) -> Coverage | None:
    """The span of the labelled periods; ``None`` without a period breakdown or labelled period."""
    periods = labelled_periods(analysis)
    if not analysis.request.period or not periods:
        return None
    months = _span_months(periods[0].key, periods[-1].key, analysis.request.period, len(periods))
    return Coverage(
        first=periods[0].key,
        last=periods[-1].key,
        labelled_periods=len(periods),
        unlabelled_rows=analysis.champion.curve.unlabeled,
        value=float(sum(p.operating.value for p in periods)),
        months=months,
    )


_MONTHS_PER_PERIOD = {
    "day": 1 / _DAYS_PER_MONTH,
    "week": 7 / _DAYS_PER_MONTH,
    "month": 1.0,
    "quarter": 3.0,
    "year": 12.0,
}


def _span_months(first: str, last: str, period: str, count: int) -> float:
    """Months from the start of period ``first`` to the end of period ``last``.

    Calendar keys (ISO first days) give calendar months (days / 30.44 for days and weeks); month
    or quarter names without a year count by their number; other keys (fiscal names, whose
    calendar months are unknown) count the labelled periods themselves.
    """
    try:
        start, end = pd.Timestamp(first), pd.Timestamp(last) + _PERIOD_STEP[period]
    except ValueError:
        (rank_a, number_a, _), (rank_b, number_b, _) = period_sort_key(first), period_sort_key(last)
        if rank_a == rank_b == 0:  # "Jan".."Dec" or "Q1".."Q4" of one (unnamed) year
            return float(number_b - number_a + 1) * _MONTHS_PER_PERIOD[period]
        return count * _MONTHS_PER_PERIOD[period]
    if period in ("month", "quarter", "year"):
        return float((end.year - start.year) * 12 + end.month - start.month)
    return float((end - start).days / _DAYS_PER_MONTH)
