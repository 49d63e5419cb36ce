"""Walk-forward backtest and period coverage against a brute-force recomputation from the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roistudio.core.engine.backtest import coverage, merge_curves, walk_forward
from tests.helpers import run_analysis

PAYOFF = {"tp": "amount * 0.8 - 5", "fp": "-5", "tn": "0", "fn": "-amount"}


def _frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 4000
    days = rng.integers(0, 240, n)
    label = rng.random(n) < 0.08
    score = np.clip(np.round(0.35 * label + rng.random(n) * 0.7, 2), 0, 1)
    frame = pd.DataFrame(
        {
            "score": score,
            "label": label.astype(float),
            "amount": np.round(rng.gamma(2.0, 40.0, n), 2),
            "time": pd.Timestamp("2026-01-01") + pd.to_timedelta(days, unit="D"),
        }
    )
    frame.loc[frame.time >= "2026-08-01", "label"] = np.nan  # the last month is not yet known
    return frame


def _value(rows: pd.DataFrame, threshold: float | None) -> float:
    flagged = np.zeros(len(rows), bool) if threshold is None else rows.score.to_numpy() >= threshold
    y = rows.label.to_numpy() == 1
    a = rows.amount.to_numpy()
    return float(np.where(y, np.where(flagged, a * 0.8 - 5, -a), np.where(flagged, -5.0, 0.0)).sum())


def _best(rows: pd.DataFrame) -> tuple[float | None, float]:
    """Brute force: every distinct score and flag nobody; ties to the higher threshold."""
    best_t, best_v = None, _value(rows, None)
    for t in sorted(rows.score.unique(), reverse=True):
        v = _value(rows, float(t))
        if v > best_v + 1e-6:
            best_t, best_v = float(t), v
    return best_t, best_v


@pytest.fixture(scope="module")
def analysed():
    frame = _frame()
    analysis, _ = run_analysis(frame, PAYOFF, timestamp="time", period="month")
    return frame, analysis


def test_walk_forward_matches_brute_force(analysed):
    frame, analysis = analysed
    known = frame[frame.label.notna()].copy()
    known["month"] = known.time.dt.to_period("M").dt.start_time.dt.strftime("%Y-%m-%d")
    months = sorted(known.month.unique())
    result = walk_forward(analysis)
    assert [r.key for r in result.rows] == months[1:]
    all_best, _ = _best(known)
    stale, _ = _best(known[known.month == months[0]])
    total = 0.0
    for row in result.rows:
        earlier = known[known.month < row.key]
        this = known[known.month == row.key]
        t, _ = _best(earlier)
        assert row.threshold == t
        assert row.value == pytest.approx(_value(this, t), abs=1e-6)
        assert row.best_value == pytest.approx(_best(this)[1], abs=1e-6)
        assert row.in_sample_value == pytest.approx(_value(this, all_best), abs=1e-6)
        assert row.stale_value == pytest.approx(_value(this, stale), abs=1e-6)
        total += _value(this, t)
    assert result.value == pytest.approx(total, abs=1e-6)
    doc = result.to_dict()
    assert set(doc) >= {"period", "rows", "value", "best_value"}
    assert set(doc["rows"][0]) == {"key", "threshold", "value", "best_value"}
    assert result.best_value >= result.value


def test_merge_curves_is_the_union(analysed):
    _, analysis = analysed
    merged = merge_curves([p.curve for p in analysis.periods])
    whole = analysis.champion.curve
    assert np.array_equal(merged.thresholds[1:], whole.thresholds[1:])
    assert np.allclose(merged.value, whole.value)
    assert merged.unlabeled == whole.unlabeled


def test_coverage(analysed):
    frame, analysis = analysed
    cov = coverage(analysis)
    assert (cov.first, cov.last, cov.labelled_periods) == ("2026-01-01", "2026-07-01", 7)
    assert cov.unlabelled_rows == int(frame.label.isna().sum())
    known = frame[frame.label.notna()]
    assert cov.value_per_month == pytest.approx(_value(known, analysis.operating.threshold) / 7)
    assert cov.value_per_year == pytest.approx(cov.value_per_month * 12)


def test_no_time_no_backtest():
    analysis, _ = run_analysis(_frame(), PAYOFF)
    assert walk_forward(analysis) is None and coverage(analysis) is None


def test_month_names_without_a_year():
    """Period keys ``Jan``..``Jun`` (no year): calendar order, span counted by month number."""
    frame = _frame(1)
    frame = frame[frame.time < "2026-07-01"].copy()
    frame["label"] = frame["label"].fillna(0.0)
    frame["month"] = frame.time.dt.strftime("%b").str.lower()
    analysis, _ = run_analysis(frame.drop(columns="time"), PAYOFF, timestamp="month", period="month")
    result, cov = walk_forward(analysis), coverage(analysis)
    assert [r.key for r in result.rows] == ["Feb", "Mar", "Apr", "May", "Jun"]
    assert (cov.first, cov.last, cov.months) == ("Jan", "Jun", 6.0)
    known = frame.copy()
    first = known[known.month == "jan"]
    assert result.stale_threshold == _best(first)[0]
