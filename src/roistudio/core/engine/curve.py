"""The exact value-vs-threshold curve of one model on one set of rows.

Conventions (fixed; tests pin them):

- A row is flagged iff ``score >= threshold``.
- The curve has one point per distinct score, in descending order, preceded by the point
  "flag nobody" (index 0, threshold reported as ``None`` and stored as NaN). Point ``k`` flags
  the rows whose score is among the ``k`` highest distinct scores.
- The value of a policy is the sum over labelled rows of the payoff of each row's outcome
  (gains positive, costs negative). Rows without a label are never counted as negatives:
  they are "not yet known" and only counted apart (``unlabeled``).
- The optimum is the point with the highest value; ties go to the higher threshold, i.e. fewer
  rows flagged ("flag nobody" wins a tie against every threshold).
- Baselines (flag nobody, flag everyone, flag N at random) and which of them constraints allow
  live in :mod:`roistudio.core.engine.baselines`; the constraints themselves in
  :mod:`roistudio.core.engine.constraints`. The curve only holds the values they read.

A :class:`Curve` is built once from per-score aggregates (see :mod:`roistudio.core.engine.sweep`);
looking up any threshold afterwards is a binary search, never a new query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Values closer than this (in currency units) count as a tie: cumulative float sums can differ
# in the last bits for thresholds whose true values are equal.
TIE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class CurvePoint:
    """Counts, dollars and rates of one policy (one threshold) on one curve."""

    threshold: float | None
    index: int
    tp: int
    fp: int
    tn: int
    fn: int
    tp_value: float
    fp_value: float
    tn_value: float
    fn_value: float
    flagged_unlabeled: int = 0

    @property
    def value(self) -> float:
        return self.tp_value + self.fp_value + self.tn_value + self.fn_value

    @property
    def rows(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def flagged(self) -> int:
        return self.tp + self.fp

    @property
    def precision(self) -> float | None:
        return self.tp / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        positives = self.tp + self.fn
        return self.tp / positives if positives else None

    @property
    def fpr(self) -> float | None:
        negatives = self.fp + self.tn
        return self.fp / negatives if negatives else None

    @property
    def flag_rate(self) -> float | None:
        return self.flagged / self.rows if self.rows else None

    @property
    def value_per_1000(self) -> float | None:
        return self.value * 1000.0 / self.rows if self.rows else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "value": self.value,
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "fpr": self.fpr,
            "flag_rate": self.flag_rate,
            "flagged": self.flagged,
            "value_per_1000": self.value_per_1000,
            "tp_value": self.tp_value,
            "fp_value": self.fp_value,
            "tn_value": self.tn_value,
            "fn_value": self.fn_value,
        }


@dataclass(frozen=True, eq=False)
class Curve:
    """The exact curve: arrays indexed by point, index 0 = flag nobody.

    Attributes
    ----------
    thresholds
        float64, ``NaN`` at index 0, then the distinct scores in strictly descending order.
    tp, fp
        Cumulative counts of labelled positives / negatives flagged at each point.
    tp_value, fp_value
        Cumulative payoff of flagged positives (TP) / negatives (FP).
    fn_value_total, tn_value_total
        Payoff of all positives if none were flagged (FN) / all negatives unflagged (TN).
    fn_drop, tn_drop
        Cumulative FN / TN payoff of flagged rows: the FN (TN) value at a point is
        ``fn_value_total - fn_drop`` (``tn_value_total - tn_drop``).
    flagged_unlabeled
        Cumulative count of rows without a label at or above each threshold.
    """

    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    tp_value: np.ndarray
    fp_value: np.ndarray
    fn_drop: np.ndarray
    tn_drop: np.ndarray
    flagged_unlabeled: np.ndarray
    positives: int
    negatives: int
    unlabeled: int
    fn_value_total: float
    tn_value_total: float
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- construction -------------------------------------------------------------------------
    @staticmethod
    def from_score_aggregates(
        scores: np.ndarray,
        pos: np.ndarray,
        neg: np.ndarray,
        *,
        tp_value: np.ndarray,
        fp_value: np.ndarray,
        tn_value: np.ndarray,
        fn_value: np.ndarray,
        unlabeled: np.ndarray | None = None,
        descending: bool = False,
    ) -> Curve:
        """Build the curve from per-distinct-score aggregates (any order, scores unique).

        ``pos``/``neg`` count labelled positives/negatives at each score; the ``*_value`` arrays
        hold the sum of that outcome's payoff over the rows at each score that *would* have
        that outcome (positives for TP/FN, negatives for FP/TN). ``descending=True`` promises
        the scores are already strictly descending. The values are keyword-only, in the
        order of :data:`~roistudio.core.glossary.OUTCOMES`, so they cannot be swapped silently.
        """
        if descending:  # the caller guarantees strictly descending scores: no sort needed
            order = np.arange(len(scores))
        else:
            order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")

        def cum(values: np.ndarray, dtype: type[np.generic]) -> np.ndarray:
            out = np.zeros(len(order) + 1, dtype=dtype)
            np.cumsum(np.asarray(values, dtype=dtype)[order], out=out[1:])
            return out

        unl = np.zeros(len(order)) if unlabeled is None else unlabeled
        thresholds = np.empty(len(order) + 1, dtype=np.float64)
        thresholds[0] = np.nan
        thresholds[1:] = np.asarray(scores, dtype=np.float64)[order]
        fn_drop = cum(fn_value, np.float64)
        tn_drop = cum(tn_value, np.float64)
        tp = cum(pos, np.int64)
        fp = cum(neg, np.int64)
        flagged_unlabeled = cum(unl, np.int64)
        return Curve(
            thresholds=thresholds,
            tp=tp,
            fp=fp,
            tp_value=cum(tp_value, np.float64),
            fp_value=cum(fp_value, np.float64),
            fn_drop=fn_drop,
            tn_drop=tn_drop,
            flagged_unlabeled=flagged_unlabeled,
            positives=int(tp[-1]),
            negatives=int(fp[-1]),
            unlabeled=int(flagged_unlabeled[-1]),
            fn_value_total=float(fn_drop[-1]),
            tn_value_total=float(tn_drop[-1]),
        )

    @staticmethod
    def empty() -> Curve:
        """The curve of no labelled rows: one point, flag nobody, worth 0."""
        z = np.zeros(0)
        return Curve.from_score_aggregates(z, z, z, tp_value=z, fp_value=z, tn_value=z, fn_value=z)

    # -- whole-curve arrays ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.thresholds)

    @property
    def rows(self) -> int:
        """Labelled rows on this curve."""
        return self.positives + self.negatives

    @property
    def fn(self) -> np.ndarray:
        return self.positives - self.tp

    @property
    def tn(self) -> np.ndarray:
        return self.negatives - self.fp

    @property
    def fn_value(self) -> np.ndarray:
        return self.fn_value_total - self.fn_drop

    @property
    def tn_value(self) -> np.ndarray:
        return self.tn_value_total - self.tn_drop

    @property
    def value(self) -> np.ndarray:
        """Total value at every point (cached: the GUI reads it on every slider move)."""
        if "value" not in self._cache:
            self._cache["value"] = self.tp_value + self.fp_value + self.fn_value + self.tn_value
        value: np.ndarray = self._cache["value"]
        return value

    @property
    def flagged(self) -> np.ndarray:
        flagged: np.ndarray = self.tp + self.fp
        return flagged

    def _rate(self, num: np.ndarray, den: np.ndarray | int) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(np.asarray(den) > 0, num / np.maximum(den, 1), np.nan)

    @property
    def precision(self) -> np.ndarray:
        """TP / flagged; NaN where nothing is flagged."""
        return self._rate(self.tp, self.flagged)

    @property
    def recall(self) -> np.ndarray:
        return self._rate(self.tp, self.positives)

    @property
    def fpr(self) -> np.ndarray:
        return self._rate(self.fp, self.negatives)

    @property
    def flag_rate(self) -> np.ndarray:
        return self._rate(self.flagged, self.rows)

    # -- points -------------------------------------------------------------------------------------
    def point(self, index: int, threshold: float | None = None) -> CurvePoint:
        """The policy at curve index ``index``; ``threshold`` overrides the reported threshold."""
        index = int(index)
        if threshold is None and index > 0:
            threshold = float(self.thresholds[index])
        return CurvePoint(
            threshold=threshold,
            index=index,
            tp=int(self.tp[index]),
            fp=int(self.fp[index]),
            tn=int(self.negatives - self.fp[index]),
            fn=int(self.positives - self.tp[index]),
            tp_value=float(self.tp_value[index]),
            fp_value=float(self.fp_value[index]),
            tn_value=float(self.tn_value_total - self.tn_drop[index]),
            fn_value=float(self.fn_value_total - self.fn_drop[index]),
            flagged_unlabeled=int(self.flagged_unlabeled[index]),
        )

    def index_at(self, threshold: float | None) -> int:
        """Curve index of the policy "flag rows with score >= threshold" (``None``: flag nobody)."""
        if threshold is None or (isinstance(threshold, float) and math.isnan(threshold)):
            return 0
        # thresholds[1:] is strictly descending; count the distinct scores >= threshold.
        descending = self.thresholds[1:]
        return int(len(descending) - np.searchsorted(descending[::-1], threshold, side="left"))

    def at(self, threshold: float | None) -> CurvePoint:
        """The policy at any threshold, echoing the threshold asked for."""
        return self.point(self.index_at(threshold), threshold=threshold)

    def flag_nobody(self) -> CurvePoint:
        return self.point(0)

    def flag_everyone(self) -> CurvePoint:
        return self.point(len(self) - 1)

    def best_index(self, mask: np.ndarray | None = None) -> int | None:
        """Index of the highest value among the points ``mask`` allows (all by default).

        Ties go to the higher threshold. ``None`` when the mask allows no point.
        """
        values = self.value if mask is None else np.where(mask, self.value, -np.inf)
        best = float(np.max(values))
        if best == -np.inf:
            return None
        # The first index within tolerance of the best is the highest threshold among the ties.
        return int(np.argmax(values >= best - TIE_TOLERANCE))

    def optimum(self) -> CurvePoint:
        """The highest-value policy; ties go to the higher threshold (fewer rows flagged)."""
        best = self.best_index()
        assert best is not None  # without a mask every point is a candidate
        return self.point(best)

    def break_even_thresholds(self, baseline: float) -> list[float]:
        """Thresholds where the value of the model (value minus the better baseline) crosses zero.

        The curve is a step function of the threshold, so a crossing lies between two adjacent
        points; the break-even threshold reported is the one on the paying side (value at least
        the better baseline's), so applying it never loses money against the baseline. These are
        the edges of the ranges of thresholds on which the model pays for itself, high threshold
        first, each once. Points within :data:`TIE_TOLERANCE` of the baseline count as neither
        side. The same meaning as a parameter's break-even value
        (:mod:`roistudio.core.engine.sensitivity`): where the value of the model crosses zero.
        ``baseline`` is the better allowed baseline's value
        (:func:`~roistudio.core.engine.baselines.better_allowed_baseline`).
        """
        gap = self.value - baseline
        sign = np.where(gap > TIE_TOLERANCE, 1, np.where(gap < -TIE_TOLERANCE, -1, 0))
        nonzero = np.flatnonzero(sign)
        if len(nonzero) < 2:
            return []
        change = np.flatnonzero(np.diff(sign[nonzero]) != 0)
        before, after = nonzero[change], nonzero[change + 1]
        paying = np.where(sign[after] > 0, after, before)
        out: list[float] = []
        for i in paying.tolist():  # at most a handful of crossings
            if i > 0 and float(self.thresholds[i]) not in out:
                out.append(float(self.thresholds[i]))
        return out

    def sample_indices(self, max_points: int, keep: tuple[int, ...] = ()) -> np.ndarray:
        """At most ``max_points`` indices in all: ``keep`` plus both ends plus points spread evenly."""
        n = len(self)
        if n <= max_points:
            return np.arange(n)
        kept = np.union1d(np.asarray(keep, dtype=np.int64), [0, n - 1])
        budget = max(max_points - len(kept), 0)
        spread = np.linspace(0, n - 1, budget + 2).round().astype(np.int64)[1:-1] if budget else kept[:0]
        idx = np.union1d(kept, spread)
        # Spread points that coincide with kept ones leave room; fill it with unused neighbours.
        if len(idx) < max_points:
            extra = np.setdiff1d(np.linspace(0, n - 1, max_points * 2).round().astype(np.int64), idx)
            idx = np.union1d(idx, extra[: max_points - len(idx)])
        return idx

    def to_records(self, indices: np.ndarray | None = None) -> list[dict[str, Any]]:
        """Curve points as JSON-ready dicts (threshold ``None`` for flag nobody)."""
        idx = np.arange(len(self)) if indices is None else np.asarray(indices)
        thr = self.thresholds[idx]
        cols = {
            "threshold": [None if math.isnan(t) else float(t) for t in thr],
            "value": self.value[idx].tolist(),
            "tp": self.tp[idx].tolist(),
            "fp": self.fp[idx].tolist(),
            "tn": self.tn[idx].tolist(),
            "fn": self.fn[idx].tolist(),
            "precision": _nan_to_none(self.precision[idx]),
            "recall": _nan_to_none(self.recall[idx]),
            "fpr": _nan_to_none(self.fpr[idx]),
            "flag_rate": _nan_to_none(self.flag_rate[idx]),
            "flagged": self.flagged[idx].tolist(),
            "value_per_1000": _nan_to_none(self._rate(self.value * 1000.0, self.rows)[idx]),
            "vs_flag_nobody": (self.value[idx] - self.value[0]).tolist(),
            "vs_flag_everyone": (self.value[idx] - self.value[-1]).tolist(),
        }
        keys = list(cols)
        return [dict(zip(keys, row, strict=True)) for row in zip(*cols.values(), strict=True)]


def _nan_to_none(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else v for v in values.tolist()]
