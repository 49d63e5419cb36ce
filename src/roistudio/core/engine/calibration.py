"""Calibration check and calibration maps, computed on per-distinct-score counts.

Conventions (fixed; tests pin them):

- Everything here takes aggregates: the distinct scores of the labelled rows with, per score,
  the count of positives and of negatives. A calibration map is a function of the score, so
  fitting and evaluating it on these counts is exact, however many rows share a score.
- Brier score: mean over labelled rows of ``(p - y)^2``. ``brier`` is the raw scores' (only
  when they are probabilities), ``brier_calibrated`` the calibrated probabilities', both on
  the labelled rows the check was run on.
- Reliability bins: equal-count bins of rows sorted by score (rows of one score stay in one
  bin, so bins are equal-count up to ties); per bin the mean score, the observed positive rate
  and the row count. ``ece`` (expected calibration error) is the row-weighted mean absolute
  difference between mean score and observed rate over the bins.
- ``isotonic``: the pool-adjacent-violators fit (non-decreasing step function of the score,
  weighted by rows), read between the fitted scores by linear interpolation and clipped at the
  ends, as scikit-learn's ``IsotonicRegression(out_of_bounds="clip")`` does.
- ``platt``: ``p = 1 / (1 + exp(-(a * score + b)))`` fitted by maximum likelihood without a
  penalty (Newton steps on the one feature), as ``LogisticRegression(penalty=None)``.
- ``none``: the scores are taken as probabilities (refused for raw scores, margins or logits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from roistudio.core.errors import RoiError

METHODS = ("none", "isotonic", "platt")
DEFAULT_METHOD = "isotonic"
DEFAULT_BINS = 10
# Isotonic regression fits a free step per run of scores: with few positives (or negatives) it
# overfits badly, so below this many of either class the default falls back to Platt scaling.
MIN_ISOTONIC_CLASS_ROWS = 50
# An expected calibration error above this (in probability units) is called "badly calibrated".
BAD_ECE = 0.05


@dataclass(frozen=True, eq=False)
class CalibrationMap:
    """A fitted map from score to probability.

    Attributes
    ----------
    method
        ``none``, ``isotonic`` or ``platt``.
    knots_x, knots_y
        Isotonic: the distinct fitted scores (ascending) and their fitted probabilities.
    slope, intercept
        Platt: ``p = sigmoid(slope * score + intercept)``.
    """

    method: str
    knots_x: np.ndarray | None = None
    knots_y: np.ndarray | None = None
    slope: float = 0.0
    intercept: float = 0.0

    def __call__(self, scores: ArrayLike) -> np.ndarray:
        """Probabilities of ``scores`` (any shape), each in [0, 1]."""
        s = np.asarray(scores, dtype=np.float64)
        if self.method == "isotonic":
            assert self.knots_x is not None and self.knots_y is not None
            return np.asarray(np.interp(s, self.knots_x, self.knots_y), dtype=np.float64)
        if self.method == "platt":
            return _sigmoid(self.slope * s + self.intercept)
        return np.clip(s, 0.0, 1.0)


@dataclass(frozen=True)
class ReliabilityBin:
    """One equal-count bin of the reliability table."""

    mean_score: float
    observed_rate: float
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"mean_score": self.mean_score, "observed_rate": self.observed_rate, "rows": self.rows}


@dataclass(frozen=True, eq=False)
class CalibrationCheck:
    """The calibration check of the labelled rows and the map the estimate uses.

    ``method`` is the method actually used (the default isotonic falls back to Platt with few
    positives); ``requested`` the one asked for. ``bins`` and ``ece`` describe the raw scores
    when they are probabilities, else the calibrated probabilities (raw scores have no
    probability scale to check). ``warning`` says plainly when the scores are badly calibrated
    and what that means for the estimate; ``notes`` carries other plain remarks (fallbacks).
    """

    method: str
    requested: str
    fitted_on_rows: int
    fitted_on_periods: tuple[str, ...] | None
    brier: float | None
    brier_calibrated: float | None
    ece: float | None
    bins: tuple[ReliabilityBin, ...]
    bins_of: str
    map: CalibrationMap
    warning: str | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "requested": self.requested,
            "fitted_on_rows": self.fitted_on_rows,
            "fitted_on_periods": None if self.fitted_on_periods is None else list(self.fitted_on_periods),
            "brier": self.brier,
            "brier_calibrated": self.brier_calibrated,
            "ece": self.ece,
            "bins_of": self.bins_of,
            "bins": [b.to_dict() for b in self.bins],
            "warning": self.warning,
            "notes": list(self.notes),
        }


def _sigmoid(z: ArrayLike) -> np.ndarray:
    # exp of a large negative argument underflows to 0 harmlessly; clip keeps it from overflowing.
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -700.0, 700.0))), dtype=np.float64)


def _counts(
    scores: ArrayLike, positives: ArrayLike, negatives: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64)
    pos = np.asarray(positives, dtype=np.float64)
    neg = np.asarray(negatives, dtype=np.float64)
    if not (s.shape == pos.shape == neg.shape):
        raise ValueError("scores, positives and negatives must have the same length")
    return s, pos, neg


def brier_score(probabilities: ArrayLike, positives: ArrayLike, negatives: ArrayLike) -> float | None:
    """Mean of ``(p - y)^2`` over the rows behind per-score counts; ``None`` without rows.

    Parameters
    ----------
    probabilities
        Probability of each distinct score (the score itself, or its calibrated value).
    positives, negatives
        Labelled positive and negative rows at each score.
    """
    p, pos, neg = _counts(probabilities, positives, negatives)
    total = pos.sum() + neg.sum()
    if total <= 0:
        return None
    return float((pos * (1.0 - p) ** 2 + neg * p**2).sum() / total)


def reliability_bins(
    values: ArrayLike, positives: ArrayLike, negatives: ArrayLike, n_bins: int = DEFAULT_BINS
) -> tuple[ReliabilityBin, ...]:
    """Equal-count reliability bins of rows sorted by ``values``.

    A distinct value's rows all go to the bin holding their middle row, so bins are equal-count
    up to ties; empty bins are dropped. With distinct values and a row count divisible by
    ``n_bins`` this is exactly ``np.array_split`` of the sorted rows.
    """
    v, pos, neg = _counts(values, positives, negatives)
    n = pos + neg
    keep = n > 0
    v, pos, neg, n = v[keep], pos[keep], neg[keep], n[keep]
    total = n.sum()
    if total <= 0:
        return ()
    order = np.argsort(v, kind="stable")
    v, pos, n = v[order], pos[order], n[order]
    before = np.cumsum(n) - n
    bins = np.minimum(np.floor((before + n / 2.0) * n_bins / total).astype(np.int64), n_bins - 1)
    rows = np.bincount(bins, weights=n, minlength=n_bins)
    score_sum = np.bincount(bins, weights=v * n, minlength=n_bins)
    pos_sum = np.bincount(bins, weights=pos, minlength=n_bins)
    used = rows > 0
    return tuple(
        ReliabilityBin(float(m), float(r), int(c))
        for m, r, c in zip(score_sum[used] / rows[used], pos_sum[used] / rows[used], rows[used], strict=True)
    )


def expected_calibration_error(bins: tuple[ReliabilityBin, ...]) -> float | None:
    """Row-weighted mean of ``|mean_score - observed_rate|`` over the bins."""
    rows = np.array([b.rows for b in bins], dtype=np.float64)
    if rows.sum() <= 0:
        return None
    gap = np.abs(np.array([b.mean_score - b.observed_rate for b in bins]))
    return float((rows * gap).sum() / rows.sum())


def fit_isotonic(scores: ArrayLike, positives: ArrayLike, negatives: ArrayLike) -> CalibrationMap:
    """Weighted isotonic regression of the positive rate on the score (pool adjacent violators).

    The fit is the slope of the greatest convex minorant of the cumulative sum diagram (points
    ``(rows up to score i, positives up to score i)``). Its vertices are found by removing, in
    vectorised passes, every point that lies on or above the chord of its kept neighbours: such
    a point is never a vertex of the lower hull, so all of a pass's points can go at once.
    Counts are integers, so the orientation tests are exact.
    """
    s, pos, neg = _counts(scores, positives, negatives)
    n = pos + neg
    keep = n > 0
    s, pos, n = s[keep], pos[keep], n[keep]
    if len(s) == 0:
        raise RoiError("isotonic calibration needs labelled rows")
    order = np.argsort(s, kind="stable")
    s, pos, n = s[order], pos[order], n[order]
    x = np.r_[0, np.cumsum(n.astype(np.int64))]
    y = np.r_[0, np.cumsum(pos.astype(np.int64))]
    hull = np.arange(len(x))
    while len(hull) > 2:
        px, py = x[hull], y[hull]
        dx1, dy1 = px[1:-1] - px[:-2], py[1:-1] - py[:-2]
        dx2, dy2 = px[2:] - px[1:-1], py[2:] - py[1:-1]
        # Not strictly convex at the middle point: slope in >= slope out (cross-multiplied; dx > 0).
        drop = dy1 * dx2 >= dy2 * dx1
        if not drop.any():
            break
        hull = hull[np.r_[True, ~drop, True]]
    slopes = np.diff(y[hull]) / np.diff(x[hull])
    fitted = np.repeat(slopes, np.diff(hull))
    return CalibrationMap("isotonic", knots_x=s, knots_y=fitted)


def fit_platt(
    scores: ArrayLike, positives: ArrayLike, negatives: ArrayLike, *, max_iter: int = 100
) -> CalibrationMap:
    """Unpenalised logistic regression of the label on the score, on per-score counts.

    Newton steps (with step halving) on the standardised score; the fit is mapped back to the
    score's own scale. Perfectly separated classes have no finite maximum: the iterations stop
    at ``max_iter`` with a very steep, still monotone map.
    """
    s, pos, neg = _counts(scores, positives, negatives)
    n = pos + neg
    keep = n > 0
    s, pos, n = s[keep], pos[keep], n[keep]
    if n.sum() <= 0 or pos.sum() <= 0 or pos.sum() >= n.sum():
        raise RoiError("Platt calibration needs labelled positives and negatives")
    mean = float((s * n).sum() / n.sum())
    std = math.sqrt(float((n * (s - mean) ** 2).sum() / n.sum())) or 1.0
    z = (s - mean) / std
    design = np.column_stack([z, np.ones_like(z)])
    rate = pos.sum() / n.sum()
    beta = np.array([0.0, math.log(rate / (1.0 - rate))])

    def loglik(b: np.ndarray) -> float:
        eta = design @ b
        # log(sigmoid(eta)) and log(1 - sigmoid(eta)) without overflow.
        return float((pos * -np.logaddexp(0.0, -eta) + (n - pos) * -np.logaddexp(0.0, eta)).sum())

    current = loglik(beta)
    for _ in range(max_iter):
        p = _sigmoid(design @ beta)
        grad = design.T @ (pos - n * p)
        hess = (design * (n * p * (1.0 - p))[:, None]).T @ design
        try:
            step = np.linalg.solve(hess + 1e-12 * np.eye(2), grad)
        except np.linalg.LinAlgError:
            break
        scale = 1.0
        while scale > 1e-6:
            trial = beta + scale * step
            value = loglik(trial)
            if value >= current - 1e-12:
                break
            scale /= 2.0
        else:
            break
        beta, previous, current = trial, current, value
        if abs(current - previous) <= 1e-12 * max(1.0, abs(current)) and np.abs(step).max() < 1e-10 + 1e-8 * (
            np.abs(beta).max()
        ):
            break
    slope = float(beta[0] / std)
    return CalibrationMap("platt", slope=slope, intercept=float(beta[1] - slope * mean))


def check_calibration(
    scores: ArrayLike,
    positives: ArrayLike,
    negatives: ArrayLike,
    *,
    method: str = DEFAULT_METHOD,
    raw_scores: bool = False,
    fit_on: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
    periods: tuple[str, ...] | None = None,
    n_bins: int = DEFAULT_BINS,
) -> CalibrationCheck:
    """Fit the calibration map on labelled per-score counts and check the scores' calibration.

    Parameters
    ----------
    scores, positives, negatives
        Distinct scores of the labelled rows with their positive and negative counts: the
        check (Brier scores, bins, ECE) is run on these.
    method
        ``isotonic`` (falls back to ``platt`` with fewer than ``MIN_ISOTONIC_CLASS_ROWS``
        positives or negatives), ``platt`` or ``none``.
    raw_scores
        Scores are margins or logits: ``none`` is refused and ``brier`` is ``None``.
    fit_on
        ``(scores, positives, negatives)`` of the rows to fit the map on (the most recent
        labelled periods); default: the rows checked.
    periods
        The periods the fit used, when restricted (echoed in the result).

    Raises
    ------
    RoiError
        ``none`` with raw scores; raw scores without positives and negatives to fit on.
    """
    if method not in METHODS:
        raise RoiError(f"unknown calibration '{method}'; use {', '.join(METHODS)}")
    if raw_scores and method == "none":
        raise RoiError(
            "--calibration none takes the scores as probabilities, but --raw-scores are margins or "
            "logits; use --calibration isotonic or platt"
        )
    s, pos, neg = _counts(scores, positives, negatives)
    fs, fpos, fneg = (s, pos, neg) if fit_on is None else _counts(*fit_on)
    n_pos, n_neg = int(fpos.sum()), int(fneg.sum())
    notes: list[str] = []
    used = method
    if method != "none" and (n_pos == 0 or n_neg == 0):
        if raw_scores:
            raise RoiError(
                f"cannot calibrate raw scores: the labelled rows fitted on have {n_pos:,} positives and "
                f"{n_neg:,} negatives; both are needed"
            )
        notes.append(
            f"no {method} fit possible ({n_pos:,} positives, {n_neg:,} negatives labelled): "
            "the scores are taken as probabilities as they are"
        )
        used = "none"
    elif method == "isotonic" and min(n_pos, n_neg) < MIN_ISOTONIC_CLASS_ROWS:
        notes.append(
            f"isotonic needs at least {MIN_ISOTONIC_CLASS_ROWS} positives and negatives "
            f"({n_pos:,} and {n_neg:,} labelled): Platt scaling used instead"
        )
        used = "platt"
    if used == "isotonic":
        cmap = fit_isotonic(fs, fpos, fneg)
    elif used == "platt":
        cmap = fit_platt(fs, fpos, fneg)
    else:
        cmap = CalibrationMap("none")
    calibrated = cmap(s)
    brier_raw = None if raw_scores else brier_score(s, pos, neg)
    bins_source = calibrated if raw_scores else s
    bins = reliability_bins(bins_source, pos, neg, n_bins)
    ece = expected_calibration_error(bins)
    warning = None
    if ece is not None and ece > BAD_ECE and not raw_scores:
        if used == "none":
            warning = (
                f"The scores are badly calibrated (expected calibration error {ece:.3f}): taken as "
                "probabilities, as --calibration none does, they make the estimate for rows not yet "
                "labelled biased. Use --calibration isotonic or platt."
            )
        else:
            warning = (
                f"The scores are badly calibrated (expected calibration error {ece:.3f}): taken as "
                f"probabilities they would misstate the estimate, so it uses the {used} calibration "
                f"fitted on {n_pos + n_neg:,} labelled rows, and is only as good as that fit (it "
                "assumes rows not yet labelled behave like the rows it was fitted on)."
            )
    return CalibrationCheck(
        method=used,
        requested=method,
        fitted_on_rows=n_pos + n_neg,
        fitted_on_periods=periods,
        brier=brier_raw,
        brier_calibrated=brier_score(calibrated, pos, neg),
        ece=ece,
        bins=bins,
        bins_of="calibrated probability" if raw_scores else "score",
        map=cmap,
        warning=warning,
        notes=tuple(notes),
    )
