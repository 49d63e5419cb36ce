"""Label delay: the expected value of rows whose labels are not yet known, from calibrated scores.

Conventions (fixed; tests pin them):

- Each row is an independent Bernoulli draw: positive with probability ``p = map(score)``, the
  calibration map fitted on the labelled rows (:mod:`roistudio.core.engine.calibration`).
- At a threshold ``t`` a row is flagged iff ``score >= t``. Its expected value is
  ``p * (payoff if positive) + (1 - p) * (payoff if negative)`` with the row's own payoffs:
  TP and FP when flagged, FN and TN when not. Expected counts are sums of ``p`` and ``1 - p``.
- Variance of the value: ``sum p (1 - p) (payoff if positive - payoff if negative)^2``; the
  interval is value +- z * sqrt(variance) (normal approximation, 90% by default). It covers the
  randomness of the outcomes given the probabilities, not the calibration map's own error, nor
  a change in how the scores relate to outcomes since the map was fitted.
- ``unlabeled_estimate`` covers the rows not yet labelled; each period's estimate covers every
  row of the period, labelled or not, from scores alone, so a labelled period shows the
  estimate beside the realised value (the estimate's track record).

Everything is computed from one DuckDB aggregation per (period, distinct score, class): the row
count, the sums of the negative-outcome payoffs (FP, TN), of the payoff differences (TP - FP,
FN - TN) and of their squares. As ``p`` is a function of the score, these give the expected
value and its variance exactly, at any threshold, without touching the rows again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from roistudio.core.data.profile import MISSING_KEY
from roistudio.core.engine.aggregator import DuckDBAggregator, RowAggregator
from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN
from roistudio.core.engine.calibration import DEFAULT_METHOD, CalibrationCheck, check_calibration
from roistudio.core.engine.sweep import _aggregate_sql
from roistudio.core.errors import PayoffError, RoiError
from roistudio.core.payoff.language import OUTCOMES
from roistudio.core.progress import Progress, check_cancelled

DEFAULT_CONFIDENCE = 0.90
_SUMS = ("fp", "dflag", "sqflag", "tn", "dkeep", "sqkeep")


@dataclass(frozen=True)
class ValueEstimate:
    """Expected counts and value of a set of rows at one threshold, with its interval."""

    rows: int
    tp: float
    fp: float
    tn: float
    fn: float
    value: float
    std: float
    confidence: float = DEFAULT_CONFIDENCE

    @property
    def half_width(self) -> float:
        return NormalDist().inv_cdf(0.5 + self.confidence / 2.0) * self.std

    @property
    def low(self) -> float:
        return self.value - self.half_width

    @property
    def high(self) -> float:
        return self.value + self.half_width

    def to_dict(self, method: str) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "method": method,
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
        }


@dataclass(frozen=True, eq=False)
class ScoreSums:
    """Per (group, distinct score, class) aggregates of the champion's rows.

    ``group`` is ``""`` for all rows, else the period key; ``cls`` 1 positive, 0 negative, 2 not
    yet known. ``sums`` holds, per entry, the sums named in ``_SUMS``: ``fp`` and ``tn`` the
    negative-outcome payoffs, ``dflag = tp - fp`` and ``dkeep = fn - tn`` the differences,
    ``sqflag`` and ``sqkeep`` the differences squared.
    """

    group: np.ndarray
    score: np.ndarray
    cls: np.ndarray
    n: np.ndarray
    sums: dict[str, np.ndarray]


@dataclass(frozen=True, eq=False)
class LabelDelay:
    """The calibration check and the estimates it allows, readable at any threshold."""

    calibration: CalibrationCheck
    sums: ScoreSums
    probability: np.ndarray
    confidence: float = DEFAULT_CONFIDENCE

    def _estimates(
        self, mask: np.ndarray, codes: np.ndarray, n_groups: int, threshold: float | None
    ) -> dict[str, np.ndarray]:
        s = self.sums
        flagged = np.zeros(len(s.score), dtype=bool) if threshold is None else s.score >= threshold
        flagged, p, n = flagged[mask], self.probability[mask], s.n[mask].astype(np.float64)
        sums = {k: v[mask] for k, v in s.sums.items()}

        def total(values: np.ndarray) -> np.ndarray:
            return np.bincount(codes, weights=values, minlength=n_groups)

        value = np.where(
            flagged, sums["fp"] + p * sums["dflag"], sums["tn"] + p * sums["dkeep"]
        )  # expected value per (score, class) entry: exact, as p is constant within it
        variance = p * (1.0 - p) * np.where(flagged, sums["sqflag"], sums["sqkeep"])
        return {
            "rows": total(n),
            "tp": total(np.where(flagged, p * n, 0.0)),
            "fp": total(np.where(flagged, (1.0 - p) * n, 0.0)),
            "fn": total(np.where(flagged, 0.0, p * n)),
            "tn": total(np.where(flagged, 0.0, (1.0 - p) * n)),
            "value": total(value),
            "variance": total(variance),
        }

    def _make(self, totals: dict[str, np.ndarray], i: int) -> ValueEstimate:
        return ValueEstimate(
            rows=round(float(totals["rows"][i])),
            tp=float(totals["tp"][i]),
            fp=float(totals["fp"][i]),
            tn=float(totals["tn"][i]),
            fn=float(totals["fn"][i]),
            value=float(totals["value"][i]),
            std=math.sqrt(max(float(totals["variance"][i]), 0.0)),
            confidence=self.confidence,
        )

    def unlabeled_at(self, threshold: float | None) -> ValueEstimate:
        """The estimate for every row not yet labelled, at ``threshold`` (``None``: flag nobody)."""
        mask = (self.sums.group == "") & (self.sums.cls == 2)
        codes = np.zeros(int(mask.sum()), dtype=np.int64)
        return self._make(self._estimates(mask, codes, 1, threshold), 0)

    def periods_at(self, threshold: float | None) -> dict[str, ValueEstimate]:
        """Per period key, the estimate for all its rows (labelled or not) from scores alone."""
        mask = self.sums.group != ""
        codes, keys = pd.factorize(self.sums.group[mask], sort=True)
        totals = self._estimates(mask, np.asarray(codes, dtype=np.int64), len(keys), threshold)
        return {str(k): self._make(totals, i) for i, k in enumerate(keys)}


def _labelled_counts(sums: ScoreSums, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct scores of the labelled entries under ``mask`` with positives and negatives."""
    mask = mask & (sums.cls < 2)
    scores, inverse = np.unique(sums.score[mask], return_inverse=True)
    n, cls = sums.n[mask].astype(np.float64), sums.cls[mask]
    pos = np.bincount(inverse, weights=np.where(cls == 1, n, 0.0), minlength=len(scores))
    neg = np.bincount(inverse, weights=np.where(cls == 0, n, 0.0), minlength=len(scores))
    return scores, pos, neg


def _score_sums(rows: RowAggregator, analysis: Analysis, progress: Progress | None) -> ScoreSums:
    """One aggregation over the champion's rows: per (period, score, class) counts and sums."""
    request = analysis.request
    champion = analysis.champion
    # The champion's rows as analyse() swept them, broken down by the analysis' own period keys,
    # in the SQL of the engine that swept them.
    built = rows.built
    dialect = built.query.dialect
    periods = [PERIOD_BREAKDOWN] if request.period else []
    query, sources = built.for_models([champion.name], breakdowns=periods)
    params = built.params
    row_values = {}
    for outcome in OUTCOMES:
        compiled = request.payoff.compile(outcome, prefix=f"pe_{outcome}_", dialect=dialect)
        row_values[f"e_{outcome}"] = f"CAST(({compiled.sql}) AS DOUBLE)"
        params.update(compiled.params)
    # Every outcome's payoff on every row, whatever its label: the estimate weighs both. A NULL
    # payoff shows as count(e) < count(*), a non-finite one as a non-finite sum; only then are
    # the bad rows counted precisely (a second query), so clean data pays for neither.
    aggregates = [
        "coalesce(sum(e_fp), 0) AS fp",
        "coalesce(sum(e_tp - e_fp), 0) AS dflag",
        "coalesce(sum((e_tp - e_fp) * (e_tp - e_fp)), 0) AS sqflag",
        "coalesce(sum(e_tn), 0) AS tn",
        "coalesce(sum(e_fn - e_tn), 0) AS dkeep",
        "coalesce(sum((e_fn - e_tn) * (e_fn - e_tn)), 0) AS sqkeep",
        *(f"count(e_{o}) AS cnt_{o}" for o in OUTCOMES),
    ]
    sql, _ = _aggregate_sql(query, sources, row_values, aggregates, params)
    if progress is not None:
        progress.progress(0.1, "Aggregating for the label-delay estimate")
    arrays = rows.fetch(sql, params)
    set_ids = np.asarray(arrays["set_id"], dtype=np.int64)
    overall = set_ids == 0
    n = np.asarray(arrays["n"], dtype=np.int64)
    sums = {k: np.asarray(arrays[k], dtype=np.float64) for k in _SUMS}
    missing = any((np.asarray(arrays[f"cnt_{o}"]) != n).any() for o in OUTCOMES)
    if missing or not all(np.isfinite(v).all() for v in sums.values()):
        bad_counts = [
            f"count(*) FILTER (WHERE NOT {dialect.is_finite(f'e_{o}')}) AS bad_{o}" for o in OUTCOMES
        ]
        bad_sql, _ = _aggregate_sql(query, sources, row_values, bad_counts, params)
        bad = rows.fetch(bad_sql, params)
        for outcome in OUTCOMES:
            count = int(np.asarray(bad[f"bad_{outcome}"])[np.asarray(bad["set_id"]) == 0].sum())
            if count:
                raise PayoffError(
                    f"{outcome} = {request.payoff.expressions[outcome]} is missing or not a finite number on "
                    f"{count:,} rows; the estimate for rows not yet labelled needs every outcome's payoff on "
                    "every row (use coalesce(column, 0) for missing values)",
                    outcome=outcome,
                )
        raise PayoffError("the payoff sums for the estimate are not finite numbers (values too large?)")
    if "k" in arrays:
        group = np.where(overall, "", np.asarray(arrays["k"], dtype=object)).astype(object)
    else:
        group = np.full(len(set_ids), "", dtype=object)
    return ScoreSums(
        group=group,
        score=np.asarray(arrays["s"], dtype=np.float64),
        cls=np.asarray(arrays["c"], dtype=np.int64),
        n=np.asarray(arrays["n"], dtype=np.int64),
        sums=sums,
    )


def estimate_label_delay(
    con: duckdb.DuckDBPyConnection,
    analysis: Analysis,
    *,
    method: str = DEFAULT_METHOD,
    calibration_periods: int | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    progress: Progress | None = None,
    rows: RowAggregator | None = None,
) -> LabelDelay:
    """Check the champion's calibration and prepare the estimates for rows not yet labelled.

    Parameters
    ----------
    con
        The connection that owns ``analysis.table`` (interrupt it to cancel).
    analysis
        The analysis whose rows, filters, payoff and periods the estimate follows.
    method
        ``isotonic`` (default), ``platt`` or ``none`` (see :mod:`roistudio.core.engine.calibration`).
    calibration_periods
        Fit the map on the most recent ``N`` labelled periods only (needs a period breakdown).
    confidence
        Coverage of the interval, e.g. 0.9.
    progress
        Optional progress/cancel object.
    rows
        Where the rows are aggregated (default: DuckDB on ``con``; Spark's aggregator for an
        analysis Spark ran).

    Raises
    ------
    RoiError
        Bad options (``none`` with raw scores, periods without a breakdown) or payoffs that are
        missing on some rows, in one line.
    """
    if calibration_periods is not None:
        if calibration_periods < 1:
            raise RoiError(f"--calibration-periods expects a positive number, got {calibration_periods}")
        if not analysis.request.period:
            raise RoiError("--calibration-periods needs a period breakdown (--time COL --period month)")
    if not 0.0 < confidence < 1.0:
        raise RoiError(f"confidence must be between 0 and 1, got {confidence:g}")
    if method == "none" and analysis.request.mapping.raw_scores:
        # Refused before any scan (check_calibration says the same).
        check_calibration([], [], [], method=method, raw_scores=True)
    check_cancelled(progress)
    curve = analysis.champion.curve
    if curve.unlabeled == 0 and not analysis.request.period:
        # Nothing to estimate and no periods to keep a track record for: the check needs only
        # the labelled counts per score, which the champion's curve already holds (no scan).
        scores, pos, neg = curve.thresholds[1:], np.diff(curve.tp), np.diff(curve.fp)
        sums = ScoreSums(
            group=np.array([], dtype=object),
            score=np.array([], dtype=np.float64),
            cls=np.array([], dtype=np.int64),
            n=np.array([], dtype=np.int64),
            sums={k: np.array([], dtype=np.float64) for k in _SUMS},
        )
        check = check_calibration(
            scores, pos, neg, method=method, raw_scores=analysis.request.mapping.raw_scores
        )
        return LabelDelay(check, sums, np.array([], dtype=np.float64), confidence)
    sums = _score_sums(rows or DuckDBAggregator(con, analysis), analysis, progress)
    check_cancelled(progress)
    overall = sums.group == ""
    scores, pos, neg = _labelled_counts(sums, overall)
    fit_on, periods = None, None
    if calibration_periods is not None:
        # The analysis lists its periods in calendar order (keys may be labels, not dates).
        labelled_keys = [g.key for g in analysis.periods if g.rows > 0 and g.key != MISSING_KEY]
        periods = tuple(labelled_keys[-calibration_periods:])
        fit_on = _labelled_counts(sums, ~overall & np.isin(sums.group, list(periods)))
    if progress is not None:
        progress.progress(0.9, "Fitting the calibration")
    check = check_calibration(
        scores,
        pos,
        neg,
        method=method,
        raw_scores=analysis.request.mapping.raw_scores,
        fit_on=fit_on,
        periods=periods,
    )
    if progress is not None:
        progress.progress(1.0, "Estimate ready")
    return LabelDelay(check, sums, check.map(sums.score), confidence)


def add_label_delay(doc: dict[str, Any], analysis: Analysis, label_delay: LabelDelay) -> None:
    """Add the label-delay keys of the JSON contract to ``doc`` (an analysis' JSON dict).

    ``calibration``, ``unlabeled_estimate`` (at the operating threshold) and, in each
    ``periods.rows[]`` entry, ``estimated_value``, ``estimated_low`` and ``estimated_high``.
    """
    threshold = analysis.operating.threshold
    method = label_delay.calibration.method
    doc["calibration"] = label_delay.calibration.to_dict()
    doc["unlabeled_estimate"] = label_delay.unlabeled_at(threshold).to_dict(method)
    periods = doc.get("periods")
    if periods:
        estimates = label_delay.periods_at(threshold)
        for row in periods["rows"]:
            est = estimates.get(row["key"])
            row["estimated_value"] = None if est is None else est.value
            row["estimated_low"] = None if est is None else est.low
            row["estimated_high"] = None if est is None else est.high


def estimate_summary(label_delay: LabelDelay, threshold: float | None) -> str | None:
    """One plain sentence on the estimate for rows not yet labelled; None when there are none."""
    est = label_delay.unlabeled_at(threshold)
    if est.rows == 0:
        return None
    pct = round(label_delay.confidence * 100)
    return (
        f"Estimate for {est.rows:,} rows not yet labelled ({label_delay.calibration.method} calibration): "
        f"expected value {est.value:,.2f} ({pct}% interval {est.low:,.2f} to {est.high:,.2f}); "
        "an estimate from calibrated scores, not realised value"
    )
