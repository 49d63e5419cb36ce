"""Baselines: flag nobody, flag everyone, flag N at random, and which the constraints allow."""

from __future__ import annotations

import pytest

from roistudio.core.engine.baselines import allowed_baselines, better_allowed_baseline
from roistudio.core.engine.constraints import Constraints
from tests.core.engine.toy_curve import TOY, TOY_PARAMS, TOY_PAYOFF
from tests.helpers import run_analysis


def test_without_constraints_both_classic_baselines_are_compared(toy):
    kinds = [(b.kind, round(b.value, 6)) for b in allowed_baselines(toy.curve, Constraints())]
    assert kinds == [("flag_nobody", -123.0), ("flag_everyone", 85.7)]
    assert better_allowed_baseline(toy.curve).label == "flag everyone"


def test_a_capacity_forbids_flag_everyone_and_compares_with_flag_n_at_random(toy):
    capacity = Constraints(max_flagged=2)
    baselines = allowed_baselines(toy.curve, capacity)
    assert [b.label for b in baselines] == ["flag nobody", "flag 2 at random"]
    assert baselines[1].value == pytest.approx(-39.52)
    better = better_allowed_baseline(toy.curve, capacity)
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
    assert allowed_baselines(toy.curve, Constraints(max_flagged=2))[1].value == pytest.approx(mean)


def test_rate_and_fpr_limits_size_the_random_pick_and_precision_can_forbid_it(toy):
    curve = toy.curve
    assert [b.label for b in allowed_baselines(curve, Constraints(max_flag_rate=0.4))] == [
        "flag nobody",
        "flag 2 at random",
    ]
    # Random flagging has an expected false positive rate of n/5: at most 50% allows n = 2.
    assert [b.label for b in allowed_baselines(curve, Constraints(max_fpr=0.5))] == [
        "flag nobody",
        "flag 2 at random",
    ]
    # Random flagging has the base rate 3/5 as expected precision: 70% forbids it and flag everyone.
    assert [b.label for b in allowed_baselines(curve, Constraints(min_precision=0.7))] == ["flag nobody"]
    # A minimum recall does not forbid flagging everyone (recall 100%).
    assert [b.label for b in allowed_baselines(curve, Constraints(min_recall=0.5))] == [
        "flag nobody",
        "flag everyone",
    ]
    # A capacity of every row allows flag everyone itself.
    assert [b.label for b in allowed_baselines(curve, Constraints(max_flagged=5))] == [
        "flag nobody",
        "flag everyone",
    ]
