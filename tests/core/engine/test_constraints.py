"""Constraints on the operating threshold: which points meet them, the best that does."""

from __future__ import annotations

from roistudio.core.engine.constraints import Constraints, constrained_optimum
from tests.core.engine.toy_curve import TOY, TOY_PARAMS, TOY_PAYOFF
from tests.helpers import run_analysis


def test_constraints_pick_the_best_feasible_threshold(toy):
    curve = toy.curve
    assert constrained_optimum(curve, Constraints(max_flagged=1)).threshold == 0.9
    assert constrained_optimum(curve, Constraints(max_flag_rate=0.2)).threshold == 0.9
    assert constrained_optimum(curve, Constraints(min_precision=0.9)).threshold == 0.9
    # recall >= 1 needs every positive flagged: only flag everyone does it.
    assert constrained_optimum(curve, Constraints(min_recall=1.0)).threshold == 0.2
    assert constrained_optimum(curve, Constraints(max_fpr=0.0)).threshold == 0.9
    # No threshold has recall >= 1 and flags at most one row.
    assert constrained_optimum(curve, Constraints(min_recall=1.0, max_flagged=1)) is None


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
