"""Calibration check and maps on per-score counts, against scikit-learn on the same rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss

from roistudio.core.engine.calibration import (
    BAD_ECE,
    MIN_ISOTONIC_CLASS_ROWS,
    check_calibration,
    expected_calibration_error,
    fit_isotonic,
    fit_platt,
    reliability_bins,
)
from roistudio.core.errors import RoiError


def _rows(n: int, seed: int, decimals: int | None = 2):
    """Rows whose scores are miscalibrated (true probability = score**2), with ties when rounded."""
    rng = np.random.default_rng(seed)
    score = rng.random(n)
    if decimals is not None:
        score = np.round(score, decimals)
    y = rng.random(n) < score**2
    return score, y


def _aggregate(score, y):
    """Per distinct score: positives and negatives (what the DuckDB aggregation gives)."""
    values, inverse = np.unique(score, return_inverse=True)
    pos = np.bincount(inverse, weights=y.astype(float))
    neg = np.bincount(inverse, weights=(~y).astype(float))
    return values, pos, neg


def test_brier_matches_sklearn():
    score, y = _rows(3000, 1)
    check = check_calibration(*_aggregate(score, y), method="none")
    assert check.brier == pytest.approx(brier_score_loss(y, score), rel=1e-12)
    assert check.brier_calibrated == pytest.approx(check.brier, rel=1e-12)


def test_isotonic_matches_sklearn_with_ties():
    score, y = _rows(4000, 2)
    cmap = fit_isotonic(*_aggregate(score, y))
    reference = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(score, y.astype(float))
    probe = np.r_[np.linspace(-0.5, 1.5, 301), score[:200]]
    np.testing.assert_allclose(cmap(probe), reference.predict(probe), atol=1e-12)


def test_isotonic_on_monotone_and_on_all_violating_data():
    # Already monotone: the fit is the observed rate per score.
    s = np.array([0.1, 0.2, 0.3])
    pos, neg = np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])
    np.testing.assert_allclose(fit_isotonic(s, pos, neg).knots_y, [0.25, 0.5, 0.75])
    # Decreasing rates: everything pools into one block at the overall rate.
    np.testing.assert_allclose(fit_isotonic(s, neg, pos).knots_y, [0.5, 0.5, 0.5])


def test_platt_matches_unpenalised_logistic_regression():
    score, y = _rows(5000, 3)
    cmap = fit_platt(*_aggregate(score, y))
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(score[:, None], y)
    assert cmap.slope == pytest.approx(reference.coef_[0, 0], rel=1e-5)
    assert cmap.intercept == pytest.approx(reference.intercept_[0], rel=1e-5)
    probe = np.linspace(0, 1, 11)
    np.testing.assert_allclose(cmap(probe), reference.predict_proba(probe[:, None])[:, 1], atol=1e-7)


def test_platt_on_raw_margins_matches_logistic_regression():
    rng = np.random.default_rng(4)
    margin = np.round(rng.normal(0, 3, 3000), 1)
    y = rng.random(3000) < 1 / (1 + np.exp(-(0.7 * margin - 1)))
    cmap = fit_platt(*_aggregate(margin, y))
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(margin[:, None], y)
    assert cmap.slope == pytest.approx(reference.coef_[0, 0], rel=1e-5)
    assert cmap.intercept == pytest.approx(reference.intercept_[0], rel=1e-5)


def test_equal_count_bins_and_ece_match_a_row_level_computation():
    score, y = _rows(1000, 5, decimals=None)  # distinct scores, 1000 rows: 10 bins of exactly 100
    bins = reliability_bins(*_aggregate(score, y), n_bins=10)
    order = np.argsort(score)
    chunks = np.array_split(order, 10)
    assert [b.rows for b in bins] == [100] * 10
    for b, chunk in zip(bins, chunks, strict=True):
        assert b.mean_score == pytest.approx(score[chunk].mean())
        assert b.observed_rate == pytest.approx(y[chunk].mean())
    ece = np.mean([abs(score[c].mean() - y[c].mean()) for c in chunks])
    assert expected_calibration_error(bins) == pytest.approx(ece)


def test_badly_calibrated_scores_are_called_so():
    score, y = _rows(5000, 6)
    check = check_calibration(*_aggregate(score, y), method="isotonic")
    assert check.method == "isotonic" and check.ece > BAD_ECE
    assert check.warning.startswith("The scores are badly calibrated (expected calibration error 0.1")
    assert "uses the isotonic calibration fitted on 5,000 labelled rows" in check.warning
    assert check.brier_calibrated < check.brier
    none = check_calibration(*_aggregate(score, y), method="none")
    assert "biased" in none.warning and "--calibration isotonic or platt" in none.warning
    # Well calibrated scores (true probability = score): no warning.
    rng = np.random.default_rng(7)
    good = rng.random(20000)
    assert check_calibration(*_aggregate(good, rng.random(20000) < good), method="none").warning is None


def test_isotonic_falls_back_to_platt_with_few_positives():
    rng = np.random.default_rng(8)
    score = rng.random(500)
    y = np.zeros(500, bool)
    y[np.argsort(score)[-(MIN_ISOTONIC_CLASS_ROWS - 10) :]] = True
    check = check_calibration(*_aggregate(score, y))
    assert (check.requested, check.method) == ("isotonic", "platt")
    assert "Platt scaling used instead" in check.notes[0]


def test_raw_scores_refuse_none_and_get_no_raw_brier():
    with pytest.raises(RoiError, match=r"^--calibration none takes the scores as probabilities"):
        check_calibration([1.0], [1], [1], method="none", raw_scores=True)
    margin = np.linspace(-3, 3, 200)
    y = np.arange(200) % 3 == 0
    check = check_calibration(*_aggregate(margin, y), method="platt", raw_scores=True)
    assert check.brier is None and check.brier_calibrated is not None
    assert check.bins_of == "calibrated probability"
    with pytest.raises(RoiError, match="cannot calibrate raw scores"):
        check_calibration(*_aggregate(margin, np.zeros(200, bool)), method="platt", raw_scores=True)


def test_fit_on_other_rows_than_checked():
    score, y = _rows(2000, 9)
    recent = _aggregate(score[:1000], y[:1000])
    check = check_calibration(*_aggregate(score, y), method="isotonic", fit_on=recent, periods=("p",))
    assert check.fitted_on_rows == 1000 and check.fitted_on_periods == ("p",)
    np.testing.assert_allclose(check.map.knots_y, fit_isotonic(*recent).knots_y)
