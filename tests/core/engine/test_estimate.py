"""The label-delay estimate: a hand-worked case, a coverage simulation, options and refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roistudio.core.engine.calibration import check_calibration
from roistudio.core.engine.estimate import estimate_label_delay
from roistudio.core.errors import PayoffError, RoiError
from tests.helpers import run_analysis

Z90 = 1.6448536269514722  # two-sided 90%: the 95th percentile of the standard normal
PAYOFF = {"tp": "amount - 1", "fp": "-1", "tn": "0", "fn": "-amount"}


def _hand_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "score": [0.9, 0.1, 0.8, 0.3, 0.8],
            "label": [1.0, 0.0, None, None, None],
            "amount": [10.0, 10.0, 100.0, 50.0, 20.0],
            "ts": pd.to_datetime(["2026-01-05", "2026-01-09", "2026-02-02", "2026-02-03", "2026-02-04"]),
        }
    )


def test_hand_computed_estimate_with_none():
    analysis, con = run_analysis(
        _hand_frame(), PAYOFF, threshold=0.5, use_threshold=True, timestamp="ts", period="month"
    )
    ld = estimate_label_delay(con, analysis, method="none")
    est = ld.unlabeled_at(0.5)
    # Flagged (score 0.8): 0.8 * (100 - 1) + 0.2 * -1 = 79 and 0.8 * (20 - 1) + 0.2 * -1 = 15;
    # not flagged (score 0.3): 0.3 * -50 + 0.7 * 0 = -15.
    assert est.rows == 3
    assert est.value == pytest.approx(79.0)
    assert (est.tp, est.fp, est.fn, est.tn) == pytest.approx((1.6, 0.4, 0.3, 0.7))
    # Variance: p(1-p)(payoff if positive - payoff if negative)^2 summed over the rows.
    std = np.sqrt(0.16 * 100**2 + 0.16 * 20**2 + 0.21 * 50**2)
    assert (est.low, est.high) == pytest.approx((79.0 - Z90 * std, 79.0 + Z90 * std))
    periods = ld.periods_at(0.5)
    # January, from scores alone: 0.9 * 9 + 0.1 * -1 = 8 (flagged) and 0.1 * -10 = -1 (not).
    assert periods["2026-01-01"].value == pytest.approx(7.0)
    assert periods["2026-02-01"].value == pytest.approx(79.0)
    realised = {g.key: g.operating.value for g in analysis.periods}
    assert realised["2026-01-01"] == pytest.approx(9.0)
    # At "flag nobody": 0.8 * -100 + 0.3 * -50 + 0.8 * -20 = -111.
    assert ld.unlabeled_at(None).value == pytest.approx(-111.0)
    assert ld.calibration.brier == pytest.approx((0.1**2 + 0.1**2) / 2)


def test_interval_covers_the_realised_value_at_the_stated_rate():
    # 200 simulated datasets (one per day), labels drawn from the scores taken as the true
    # probabilities; per day, does the 90% interval hold the realised value?
    rng = np.random.default_rng(12)
    days, per_day = 200, 250
    n = days * per_day
    p = np.round(rng.beta(1.2, 6.0, n), 3)
    frame = pd.DataFrame(
        {
            "score": p,
            "label": (rng.random(n) < p).astype(int),
            "amount": np.round(rng.lognormal(4.0, 0.8, n), 2),
            "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.repeat(np.arange(days), per_day), unit="D"),
        }
    )
    analysis, con = run_analysis(
        frame, PAYOFF, threshold=0.2, use_threshold=True, timestamp="ts", period="day"
    )
    ld = estimate_label_delay(con, analysis, method="none")
    estimates = ld.periods_at(0.2)
    realised = np.array([g.operating.value for g in analysis.periods])
    low = np.array([estimates[g.key].low for g in analysis.periods])
    high = np.array([estimates[g.key].high for g in analysis.periods])
    coverage = np.mean((low <= realised) & (realised <= high))
    assert len(realised) == days
    assert 0.85 <= coverage <= 0.95, coverage


def test_calibration_periods_fit_on_the_latest_labelled_periods():
    rng = np.random.default_rng(3)
    n = 3000
    frame = pd.DataFrame(
        {
            "score": np.round(rng.random(n), 2),
            "amount": rng.lognormal(3, 1, n),
            "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D"),
        }
    )
    frame["label"] = (rng.random(n) < frame["score"]).astype(float)
    frame.loc[frame["ts"] >= "2026-04-01", "label"] = np.nan
    analysis, con = run_analysis(frame, PAYOFF, timestamp="ts", period="month")
    ld = estimate_label_delay(con, analysis, method="isotonic", calibration_periods=2)
    assert ld.calibration.fitted_on_periods == ("2026-02-01", "2026-03-01")
    recent = frame[(frame["ts"] >= "2026-02-01") & frame["label"].notna()]
    assert ld.calibration.fitted_on_rows == len(recent)
    # The checked rows stay all labelled rows.
    assert sum(b.rows for b in ld.calibration.bins) == int(frame["label"].notna().sum())
    with pytest.raises(RoiError, match=r"^--calibration-periods expects a positive number"):
        estimate_label_delay(con, analysis, calibration_periods=0)
    plain, con2 = run_analysis(frame, PAYOFF)
    with pytest.raises(RoiError, match=r"^--calibration-periods needs a period breakdown"):
        estimate_label_delay(con2, plain, calibration_periods=2)


def test_missing_payoff_on_unlabelled_rows_is_refused_in_one_line():
    frame = _hand_frame()
    frame.loc[3, "amount"] = None
    analysis, con = run_analysis(frame, PAYOFF)
    with pytest.raises(PayoffError) as info:
        estimate_label_delay(con, analysis, method="none")
    assert str(info.value).startswith("tp: tp = amount - 1 is missing or not a finite number on 1 rows;")


def test_raw_scores_need_a_calibration():
    frame = _hand_frame().assign(score=[2.5, -1.0, 1.5, -0.5, 1.5])
    analysis, con = run_analysis(frame, PAYOFF, raw_scores=True)
    with pytest.raises(RoiError, match=r"^--calibration none takes the scores as probabilities"):
        estimate_label_delay(con, analysis, method="none")
    ld = estimate_label_delay(con, analysis, method="platt")
    assert ld.calibration.method == "platt" and ld.calibration.brier is None
    assert ld.unlabeled_at(analysis.operating.threshold).rows == 3


def _long_frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 2000
    frame = pd.DataFrame(
        {
            "score": np.round(rng.random(n), 2),
            "other": np.round(rng.random(n), 2),
            "amount": rng.lognormal(3, 1, n),
            "model": rng.choice(["a", "b"], n),
        }
    )
    frame["label"] = (rng.random(n) < frame["score"]).astype(float)
    frame.loc[:99, "label"] = np.nan
    return frame


def _row_level(rows: pd.DataFrame, threshold: float | None) -> float:
    p = rows["score"].to_numpy()
    flagged = np.zeros(len(p), bool) if threshold is None else p >= threshold
    amount = rows["amount"].to_numpy()
    return float(np.sum(np.where(flagged, p * (amount - 1) + (1 - p) * -1, p * -amount)))


def test_estimate_follows_the_champion_rows_of_a_model_column():
    frame = _long_frame()
    analysis, con = run_analysis(frame, PAYOFF, model="model", champion="b")
    est = estimate_label_delay(con, analysis, method="none").unlabeled_at(analysis.operating.threshold)
    rows = frame[(frame["model"] == "b") & frame["label"].isna()]
    assert est.rows == len(rows)
    assert est.value == pytest.approx(_row_level(rows, analysis.operating.threshold))


def test_estimate_leaves_out_rows_the_challenger_cannot_score():
    frame = _long_frame()
    frame.loc[:29, "other"] = np.nan  # 30 unlabelled rows without a challenger score
    analysis, con = run_analysis(frame, PAYOFF, challenger_score="other", exclude_bad_scores=True)
    est = estimate_label_delay(con, analysis, method="none").unlabeled_at(analysis.operating.threshold)
    rows = frame[frame["label"].isna() & frame["other"].notna()]
    assert est.rows == len(rows) == analysis.champion.curve.unlabeled == 70
    assert est.value == pytest.approx(_row_level(rows, analysis.operating.threshold))


def test_all_labelled_without_periods_checks_from_the_curve_alone():
    frame = _long_frame().assign(label=lambda f: f["label"].fillna(0.0))
    analysis, con = run_analysis(frame, PAYOFF)
    con.execute("DROP TABLE data")  # no query may run: the curve holds the labelled counts
    ld = estimate_label_delay(con, analysis, method="isotonic")
    values, inverse = np.unique(frame["score"], return_inverse=True)
    pos = np.bincount(inverse, weights=frame["label"].to_numpy())
    neg = np.bincount(inverse, weights=1.0 - frame["label"].to_numpy())
    expected = check_calibration(values, pos, neg, method="isotonic")
    assert ld.calibration.brier == pytest.approx(expected.brier)
    assert ld.calibration.brier_calibrated == pytest.approx(expected.brier_calibrated)
    assert [b.rows for b in ld.calibration.bins] == [b.rows for b in expected.bins]
    est = ld.unlabeled_at(analysis.operating.threshold)
    assert (est.rows, est.value, est.low, est.high) == (0, 0.0, 0.0, 0.0)
    assert ld.periods_at(analysis.operating.threshold) == {}


def test_calibration_periods_follow_calendar_order_of_month_labels():
    rng = np.random.default_rng(4)
    n = 2400
    months = np.array(["Jan", "Feb", "Mar", "Apr", "May"])
    frame = pd.DataFrame(
        {
            "score": np.round(rng.random(n), 2),
            "amount": rng.lognormal(3, 1, n),
            "month": months[rng.integers(0, 5, n)],
        }
    )
    frame["label"] = (rng.random(n) < frame["score"]).astype(float)
    frame.loc[frame["month"] == "May", "label"] = np.nan
    analysis, con = run_analysis(frame, PAYOFF, timestamp="month", period="month")
    ld = estimate_label_delay(con, analysis, calibration_periods=2)
    # Alphabetically the last two would be "Jan" and "Mar"; in calendar order they are Mar, Apr.
    assert ld.calibration.fitted_on_periods == ("Mar", "Apr")
    assert ld.calibration.fitted_on_rows == int(frame["month"].isin(["Mar", "Apr"]).sum())
    est = ld.periods_at(analysis.operating.threshold)["May"]
    assert est.rows == int((frame["month"] == "May").sum())
