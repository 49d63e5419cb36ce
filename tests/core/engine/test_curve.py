"""The curve's arithmetic on a hand-worked case and its conventions (ties, baselines, constraints)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roistudio.core.engine.baselines import better_allowed_baseline
from roistudio.core.engine.curve import Curve
from tests.helpers import run_analysis


def test_toy_curve_values_match_hand_computation(toy):
    curve = toy.curve
    assert np.isnan(curve.thresholds[0])
    assert curve.thresholds[1:].tolist() == [0.9, 0.8, 0.4, 0.2]
    assert curve.value.tolist() == pytest.approx([-123.0, 62.0, 90.0, 85.0, 85.7])
    assert curve.tp.tolist() == [0, 1, 2, 2, 3]
    assert curve.fp.tolist() == [0, 0, 1, 2, 2]
    assert curve.fn.tolist() == [3, 2, 1, 1, 0]
    assert curve.tn.tolist() == [2, 2, 1, 0, 0]


def test_toy_optimum_baselines_and_rates(toy):
    opt = toy.optimum
    assert opt.threshold == 0.8
    assert opt.value == pytest.approx(90.0)
    assert (opt.tp, opt.fp, opt.tn, opt.fn) == (2, 1, 1, 1)
    assert opt.precision == pytest.approx(2 / 3)
    assert opt.recall == pytest.approx(2 / 3)
    assert opt.fpr == pytest.approx(1 / 2)
    assert opt.flag_rate == pytest.approx(3 / 5)
    assert opt.value_per_1000 == pytest.approx(90.0 * 1000 / 5)
    assert toy.flag_nobody.value == pytest.approx(-123.0)
    assert toy.flag_everyone.value == pytest.approx(85.7)
    assert toy.better_baseline.threshold == 0.2
    assert toy.value_of_model == pytest.approx(90.0 - 85.7)


def test_value_at_any_threshold_uses_score_greater_or_equal(toy):
    curve = toy.curve
    # Exactly at a score: that score is flagged. Between scores: the next higher score is the cut.
    assert curve.at(0.8).value == pytest.approx(90.0)
    assert curve.at(0.85).value == pytest.approx(62.0)
    assert curve.at(0.95).value == pytest.approx(-123.0)
    assert curve.at(0.0).value == pytest.approx(85.7)
    assert curve.at(0.85).threshold == 0.85  # echoes the threshold asked
    assert curve.at(None).threshold is None


def test_ties_go_to_the_higher_threshold():
    frame = pd.DataFrame({"score": [0.9, 0.5, 0.1], "label": [0, 0, 1]})
    analysis, _ = run_analysis(frame, {"tp": "0", "fp": "0", "tn": "0", "fn": "0"})
    # Every policy is worth 0: flagging nobody wins the tie.
    assert analysis.champion.optimum.threshold is None
    frame = pd.DataFrame({"score": [0.9, 0.5, 0.1], "label": [1, 0, 0]})
    analysis, _ = run_analysis(frame, {"tp": "10", "fp": "0", "tn": "0", "fn": "0"})
    # 0.9, 0.5 and 0.1 all earn 10: the highest of them wins.
    assert analysis.champion.optimum.threshold == 0.9


def test_break_even_marks_where_the_curve_crosses_the_better_baseline(toy):
    # Better baseline is flag everyone (85.7): 0.9 is below it, 0.8 above, 0.4 below, 0.2 equal.
    # The crossings are 0.9 -> 0.8 and 0.8 -> 0.4; both are reported on the paying side: 0.8.
    curve = toy.curve
    assert curve.break_even_thresholds(better_allowed_baseline(curve).value) == [0.8]
    baseline = better_allowed_baseline(curve).value
    assert all(
        curve.at(t).value >= baseline
        for t in curve.break_even_thresholds(better_allowed_baseline(curve).value)
    )


def test_break_even_thresholds_pay_on_real_data():
    """On every side of each crossing the reported threshold is the one that still pays."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"score": rng.integers(0, 400, 2000) / 400, "label": rng.random(2000) < 0.2,
                          "amount": rng.gamma(2.0, 30.0, 2000)})  # fmt: skip
    analysis, _ = run_analysis(
        frame, {"tp": "amount * 0.5 - 12", "fp": "-12", "tn": "0", "fn": "-amount * 0.5"}
    )
    curve = analysis.champion.curve
    gap = curve.value - better_allowed_baseline(curve).value
    found = curve.break_even_thresholds(better_allowed_baseline(curve).value)
    assert found
    for t in found:
        i = curve.index_at(t)
        assert gap[i] > 0  # the reported side pays
        neighbours = [j for j in (i - 1, i + 1) if 0 < j < len(curve)]
        assert any(gap[j] < 0 for j in neighbours) or i == len(curve) - 1


def test_unlabeled_rows_are_never_negatives():
    frame = pd.DataFrame({"score": [0.9, 0.8, 0.7], "label": [1.0, np.nan, 0.0]})
    analysis, _ = run_analysis(frame, {"tp": "10", "fp": "-1", "tn": "0", "fn": "-10"})
    curve = analysis.champion.curve
    assert (curve.positives, curve.negatives, curve.unlabeled) == (1, 1, 1)
    assert curve.rows == 2
    assert analysis.champion.optimum.flagged_unlabeled == 0
    assert curve.at(0.7).flagged_unlabeled == 1


def test_empty_curve_is_flag_nobody_worth_zero():
    curve = Curve.empty()
    assert len(curve) == 1
    assert curve.optimum().threshold is None
    assert curve.optimum().value == 0.0


def test_sample_indices_stay_within_the_budget_and_keep_what_is_asked():
    n = 10_001
    scores = np.linspace(1, 0, n - 1)
    ones = np.ones(n - 1)
    curve = Curve.from_score_aggregates(
        scores, ones, ones, tp_value=ones, fp_value=ones, tn_value=ones, fn_value=ones
    )
    keep = (17, 4321, 9999)
    idx = curve.sample_indices(2000, keep=keep)
    assert len(idx) == 2000
    assert set(keep) | {0, n - 1} <= set(idx.tolist())
    assert np.all(np.diff(idx) > 0)
    assert curve.sample_indices(20_000).tolist() == list(range(n))


def test_curve_records_carry_rates_and_values_against_the_baselines(toy):
    records = toy.curve.to_records()
    assert [r["threshold"] for r in records] == [None, 0.9, 0.8, 0.4, 0.2]
    best = records[2]
    assert best["value"] == pytest.approx(90.0)
    assert best["vs_flag_nobody"] == pytest.approx(90.0 + 123.0)
    assert best["vs_flag_everyone"] == pytest.approx(90.0 - 85.7)
    assert best["value_per_1000"] == pytest.approx(90.0 * 1000 / 5)
    assert (best["flagged"], best["precision"]) == (3, pytest.approx(2 / 3))
    assert records[0]["precision"] is None  # nothing flagged: undefined, not 0


# -- baselines under constraints (issue 7, item 4) ---------------------------------------------------
# Toy totals: 5 labelled rows, 3 positives; flag nobody -123, flag everyone 85.7.
# Flagging n rows at random flags each row with probability n/5, so its expected value is
# -123 + n/5 * (85.7 + 123): n = 2 -> -123 + 0.4 * 208.7 = -39.52.
