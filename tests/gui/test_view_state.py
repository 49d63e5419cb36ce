"""The rules behind the editing widgets, as plain values: no Qt, no widget.

The explorer's slider scale and constraint inputs (``gui/explorer_state.py``) and the payoff
editor's reading of its fields (``gui/payoff_state.py``). Run in a process without PySide6 too:
neither module imports Qt.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from roistudio.core.engine.constraints import Constraints
from roistudio.gui.explorer_state import SLIDER_STEPS, ConstraintInputs, slider_position, slider_score
from roistudio.gui.payoff_state import (
    PayoffInputs,
    PayoffValue,
    parameter_problem,
    parse_number,
    payoff_of,
    shown_as,
)

OUTCOMES = ("tp", "fp", "tn", "fn")


def test_the_state_modules_import_no_qt():
    code = (
        "import sys; import roistudio.gui.explorer_state, roistudio.gui.payoff_state; "
        "print(any(m.startswith('PySide6') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_slider_runs_evenly_over_scores_and_one_step_past_the_top_flags_nobody():
    assert slider_score(0, 0.2, 0.7) == 0.2
    assert slider_score(SLIDER_STEPS, 0.2, 0.7) == pytest.approx(0.7)
    assert slider_score(SLIDER_STEPS // 2, 0.2, 0.7) == pytest.approx(0.45)
    assert slider_score(SLIDER_STEPS + 1, 0.2, 0.7) is None
    assert slider_position(None, 0.2, 0.7) == SLIDER_STEPS + 1
    assert slider_position(0.45, 0.2, 0.7) == SLIDER_STEPS // 2
    assert slider_position(0.5, 0.5, 0.5) == 0  # one distinct score: no span to spread over
    for value in (0, 1, 333, 999, SLIDER_STEPS):
        assert slider_position(slider_score(value, 0.2, 0.7), 0.2, 0.7) == value


def test_constraint_inputs_show_rates_as_percents_and_read_back_fractions():
    c = Constraints(max_flag_rate=0.025, min_precision=0.3, max_fpr=0.1)
    inputs = ConstraintInputs.showing(c, rows=50_000)
    assert inputs.capacity_on and inputs.capacity_in_percent and inputs.capacity == pytest.approx(2.5)
    assert (inputs.precision_on, inputs.precision) == (True, pytest.approx(30.0))
    assert not inputs.recall_on and inputs.fpr == pytest.approx(10.0)
    assert inputs.constraints() == Constraints(max_flag_rate=0.025, min_precision=0.3, max_fpr=0.1)


def test_an_unset_capacity_shows_a_thousand_rows_and_unset_rates_keep_the_last_number():
    before = ConstraintInputs(precision=80.0, recall=20.0)
    inputs = ConstraintInputs.showing(Constraints(max_flagged=None), rows=400, keep=before)
    assert (inputs.capacity_on, inputs.capacity_in_percent, inputs.capacity) == (False, False, 400.0)
    assert (inputs.precision_on, inputs.precision, inputs.recall) == (False, 80.0, 20.0)
    assert inputs.constraints() == Constraints()
    assert ConstraintInputs.showing(Constraints(), rows=10**6).capacity == 1000.0
    typed = ConstraintInputs(capacity_on=True, capacity=120.4, recall_on=True, recall=20.0)
    assert typed.constraints() == Constraints(max_flagged=120, min_recall=0.2)


def test_the_payoff_read_from_the_fields_skips_half_typed_rows_and_needs_both_range_ends():
    inputs = PayoffInputs(
        {"tp": " amount - cost ", "fp": "-cost", "tn": "", "fn": "-amount"},
        (
            ("cost", "1,000.5", "500", "2_000"),
            ("rate", "0.5", "0.1", ""),
            ("", "", "", ""),
            ("x", "abc", "", ""),
        ),
    )
    value = payoff_of(inputs, OUTCOMES)
    assert value.expressions == {"tp": "amount - cost", "fp": "-cost", "tn": "0", "fn": "-amount"}
    assert value.parameters == {"cost": 1000.5, "rate": 0.5}
    assert value.ranges == {"cost": (500.0, 2000.0)}
    assert parse_number("inf") is None and parse_number("1e3") == 1000.0


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ((("", "3", "", ""),), "row 1: the parameter needs a name"),
        ((("a", "1", "", ""), ("a", "2", "", "")), "parameter 'a' is defined twice"),
        ((("amount", "1", "", ""),), "parameter 'amount' has the name of a column; rename it"),
        ((("a", "x", "", ""),), "parameter 'a': value 'x' is not a number"),
        ((("a", "1", "low", "2"),), "parameter 'a': the range must be numbers"),
        ((("a", "1", "0", ""),), "parameter 'a': give both low and high, or neither"),
        ((("a", "5", "0", "2"),), "parameter 'a': the range 0 to 2 must contain the value 5"),
        ((("a", "1", "0", "2"), ("", "", "", "")), None),
    ],
)
def test_the_parameter_table_problem_names_the_row(rows, problem):
    assert parameter_problem(rows, {"amount": "DOUBLE"}) == problem


def test_a_payoff_the_fields_already_mean_is_recognised_so_the_text_is_left_alone():
    typed = PayoffInputs(
        {"tp": "amount ", "fp": "-5", "tn": "", "fn": "-amount"}, (("c", "0.10000000001", "1e-3", "1"),)
    )
    held = {"tp": "amount", "fp": "-5", "tn": "0", "fn": "-amount"}
    ranges = {"c": (0.001, 1.0), "gone": (1.0, 2.0)}  # a range of no parameter is not shown
    assert payoff_of(typed, OUTCOMES).same_as(shown_as(held, {"c": 0.10000000001}, ranges, OUTCOMES))
    assert not payoff_of(typed, OUTCOMES).same_as(shown_as(held, {"c": 0.1}, ranges, OUTCOMES))
    one, other = PayoffValue(held, {"c": 0.1, "d": 1.0}, {}), PayoffValue(held, {"d": 1.0, "c": 0.1}, {})
    assert one == other and not one.same_as(other)  # the table's order is the analyst's


def test_point_at_flags_scores_at_or_above_and_above_every_score_flags_nobody():
    import numpy as np

    from roistudio.core.engine.curve import Curve
    from roistudio.gui.explorer_state import point_at

    # Scores 0.9 (positive), 0.5 (negative), 0.2 (positive); value 1 per caught positive.
    pos, neg = np.array([1, 0, 1]), np.array([0, 1, 0])
    zero = np.zeros(3)
    curve = Curve.from_score_aggregates(
        np.array([0.9, 0.5, 0.2]), pos, neg, tp_value=pos * 1.0, fp_value=zero, tn_value=zero, fn_value=zero,
        descending=True,
    )  # fmt: skip
    between = point_at(curve, 0.4)  # flags 0.9 and 0.5, echoes the threshold asked for
    assert (between.threshold, between.tp, between.fp, between.value) == (0.4, 1, 1, 1.0)
    assert point_at(curve, 0.9).flagged == 1
    above = point_at(curve, 0.95)
    assert (above.threshold, above.index, above.flagged) == (None, 0, 0)
    assert point_at(curve, None).index == 0
