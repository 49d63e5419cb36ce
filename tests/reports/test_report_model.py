"""The report model's money format and sentences."""

from __future__ import annotations

import pandas as pd
import pytest

from roistudio.reports.model import SourceFacts, build_report_model, format_money
from tests.helpers import run_analysis


def test_money_format():
    # One formatter, one signature (an ISO currency code) for the app, both reports and the CLI.
    assert format_money(-1234.4, "USD") == "-$1,234"
    assert format_money(56.0, "EUR", signed=True) == "+€56"
    assert format_money(-1e-12, "USD", signed=True) == "$0"
    assert format_money(-0.004, "GBP", decimals=2) == "£0.00"
    assert format_money(None, "USD") == "n/a"
    assert format_money(float("nan"), "USD") == "n/a"  # the app's tiles and the reports share it
    assert format_money(-1234.567, None, decimals=2) == "-1,234.57"  # the CLI's plain figures


def test_recommendation_names_the_threshold_and_the_value_over_the_better_baseline():
    frame = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.4, 0.2], "label": [1, 0, 1, 0, 1],
                          "amount": [100.0, 50.0, 20.0, 10.0, 3.0]})  # fmt: skip
    analysis, _ = run_analysis(frame, {"tp": "amount * 0.9 - 5", "fp": "-5", "fn": "-amount"})
    model = build_report_model(
        analysis, SourceFacts("toy.csv", "/x/toy.csv", "ab" * 32, 10, 5, 0), currency="EUR"
    )
    # Hand-worked (tests/test_curve.py): best 0.8 worth 90, flag everyone 85.7 is the better baseline.
    assert model.recommendation == (
        "Flag rows scoring 0.8 or more: on these 5 labelled rows that policy earned €90, so the model is "
        "worth €4 more than the better of doing nothing and flagging everyone (flag everyone)."
    )


def test_under_a_capacity_the_headline_compares_only_with_allowed_baselines():
    from roistudio.core.engine.constraints import Constraints

    frame = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.4, 0.2], "label": [1, 0, 1, 0, 1],
                          "amount": [100.0, 50.0, 20.0, 10.0, 3.0]})  # fmt: skip
    analysis, _ = run_analysis(
        frame, {"tp": "amount * 0.9 - 5", "fp": "-5", "fn": "-amount"}, constraints=Constraints(max_flagged=2)
    )
    model = build_report_model(
        analysis, SourceFacts("toy.csv", "/x/toy.csv", "ab" * 32, 10, 5, 0), currency="EUR"
    )
    # Best under "at most 2 flagged": 0.9 worth 62; flag 2 at random expects -123 + 0.4 * 208.7 = -39.52.
    assert model.headline.better_baseline == "flag 2 at random"
    assert model.headline.value_of_model == pytest.approx(101.52)
    assert model.recommendation == (
        "Flag rows scoring 0.9 or more: on these 5 labelled rows that policy earned €62, so the model is "
        "worth €102 more than flag 2 at random, the better of the baselines the constraints allow "
        "(flag nobody, flag 2 at random; they forbid flagging everyone)."
    )
