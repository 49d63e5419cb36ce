"""The curve's arithmetic on a hand-worked case and its conventions (ties, baselines, constraints)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roistudio.core.engine.curve import Constraints, Curve
from tests.helpers import run_analysis

# Five rows worked by hand with tp = amount * 0.9 - 5, fp = -5, tn = 0, fn = -amount:
#   score  label amount   TP value  FN value
#   0.9    1     100      85        -100
#   0.8    0     50       (FP -5)
#   0.8    1     20       13        -20
#   0.4    0     10       (FP -5)
#   0.2    1     3        -2.3      -3
# flag nobody: -123; t=0.9: 85-20-3 = 62; t=0.8: 85-5+13-3 = 90; t=0.4: 85; t=0.2: 85.7
TOY = pd.DataFrame(
    {
        "score": [0.9, 0.8, 0.8, 0.4, 0.2],
        "label": [1, 0, 1, 0, 1],
        "amount": [100.0, 50.0, 20.0, 10.0, 3.0],
    }
)
TOY_PAYOFF = {"tp": "amount * recovery - review", "fp": "-review", "tn": "0", "fn": "-amount"}
TOY_PARAMS = {"recovery": 0.9, "review": 5.0}


@pytest.fixture(scope="module")
def toy():
    analysis, _ = run_analysis(TOY, TOY_PAYOFF, TOY_PARAMS)
    return analysis.champion


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


def test_constraints_pick_the_best_feasible_threshold(toy):
    curve = toy.curve
    assert curve.constrained_optimum(Constraints(max_flagged=1)).threshold == 0.9
    assert curve.constrained_optimum(Constraints(max_flag_rate=0.2)).threshold == 0.9
    assert curve.constrained_optimum(Constraints(min_precision=0.9)).threshold == 0.9
    # recall >= 1 needs every positive flagged: only flag everyone does it.
    assert curve.constrained_optimum(Constraints(min_recall=1.0)).threshold == 0.2
    assert curve.constrained_optimum(Constraints(max_fpr=0.0)).threshold == 0.9
    # No threshold has recall >= 1 and flags at most one row.
    assert curve.constrained_optimum(Constraints(min_recall=1.0, max_flagged=1)) is None


def test_break_even_marks_where_the_curve_crosses_the_better_baseline(toy):
    # Better baseline is flag everyone (85.7): 0.9 is below it, 0.8 above, 0.4 below, 0.2 equal.
    # The crossings are 0.9 -> 0.8 and 0.8 -> 0.4; both are reported on the paying side: 0.8.
    curve = toy.curve
    assert curve.break_even_thresholds() == [0.8]
    baseline = curve.better_baseline().value
    assert all(curve.at(t).value >= baseline for t in curve.break_even_thresholds())


def test_break_even_thresholds_pay_on_real_data():
    """On every side of each crossing the reported threshold is the one that still pays."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"score": rng.integers(0, 400, 2000) / 400, "label": rng.random(2000) < 0.2,
                          "amount": rng.gamma(2.0, 30.0, 2000)})  # fmt: skip
    analysis, _ = run_analysis(
        frame, {"tp": "amount * 0.5 - 12", "fp": "-12", "tn": "0", "fn": "-amount * 0.5"}
    )
    curve = analysis.champion.curve
    gap = curve.value - curve.better_baseline().value
    found = curve.break_even_thresholds()
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


def test_without_constraints_both_classic_baselines_are_compared(toy):
    kinds = [(b.kind, round(b.value, 6)) for b in toy.curve.baselines(Constraints())]
    assert kinds == [("flag_nobody", -123.0), ("flag_everyone", 85.7)]
    assert toy.curve.better_allowed_baseline().label == "flag everyone"


def test_a_capacity_forbids_flag_everyone_and_compares_with_flag_n_at_random(toy):
    capacity = Constraints(max_flagged=2)
    baselines = toy.curve.baselines(capacity)
    assert [b.label for b in baselines] == ["flag nobody", "flag 2 at random"]
    assert baselines[1].value == pytest.approx(-39.52)
    better = toy.curve.better_allowed_baseline(capacity)
    assert better.label == "flag 2 at random"
    # The same rule through the analysis: best under "at most 2 flagged" is t=0.9 worth 62.
    analysis, _ = run_analysis(TOY, TOY_PAYOFF, TOY_PARAMS, constraints=capacity)
    champ = analysis.champion
    assert champ.operating.value == pytest.approx(62.0)
    assert champ.better_baseline.label == "flag 2 at random"
    assert champ.value_of_model == pytest.approx(62.0 + 39.52)


def test_random_baseline_value_matches_a_brute_force_average_over_every_pick(toy):
    from itertools import combinations

    # Row outcomes' payoffs flagged / not flagged, from the table at the top of this file.
    flagged = [85.0, -5.0, 13.0, -5.0, -2.3]
    unflagged = [-100.0, 0.0, -20.0, 0.0, -3.0]
    picks = list(combinations(range(5), 2))
    mean = sum(sum(flagged[i] if i in pick else unflagged[i] for i in range(5)) for pick in picks) / len(
        picks
    )
    assert toy.curve.baselines(Constraints(max_flagged=2))[1].value == pytest.approx(mean)


def test_rate_and_fpr_limits_size_the_random_pick_and_precision_can_forbid_it(toy):
    curve = toy.curve
    assert [b.label for b in curve.baselines(Constraints(max_flag_rate=0.4))] == [
        "flag nobody",
        "flag 2 at random",
    ]
    # Random flagging has an expected false positive rate of n/5: at most 50% allows n = 2.
    assert [b.label for b in curve.baselines(Constraints(max_fpr=0.5))] == ["flag nobody", "flag 2 at random"]
    # Random flagging has the base rate 3/5 as expected precision: 70% forbids it and flag everyone.
    assert [b.label for b in curve.baselines(Constraints(min_precision=0.7))] == ["flag nobody"]
    # A minimum recall does not forbid flagging everyone (recall 100%).
    assert [b.label for b in curve.baselines(Constraints(min_recall=0.5))] == ["flag nobody", "flag everyone"]
    # A capacity of every row allows flag everyone itself.
    assert [b.label for b in curve.baselines(Constraints(max_flagged=5))] == ["flag nobody", "flag everyone"]


def test_a_user_threshold_that_breaks_the_constraints_is_kept_and_said_to_break_them():
    capacity = Constraints(max_flagged=2)
    # t = 0.8 flags 3 rows (hand table above): over a capacity of 2.
    analysis, _ = run_analysis(
        TOY, TOY_PAYOFF, TOY_PARAMS, constraints=capacity, threshold=0.8, use_threshold=True
    )
    assert analysis.operating.threshold == 0.8 and analysis.operating.flagged == 3
    assert analysis.policy_description() == (
        "set by the analyst; it does not meet the constraints (at most 2 rows flagged)"
    )
    fine, _ = run_analysis(
        TOY, TOY_PAYOFF, TOY_PARAMS, constraints=capacity, threshold=0.9, use_threshold=True
    )
    assert fine.policy_description() == "set by the analyst"
