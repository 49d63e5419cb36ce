"""The real bank-marketing export with the published example-dependent cost model.

Bahnsen, Aouada & Ottersten (2015): contacting a client costs c = 1; a subscriber not contacted
loses r * d * balance (at least c), r = 0.02463333, d = 0.25. In value terms (costs negative):
tp = -c, fp = -c, tn = 0, fn = -max(r * d * balance, c). Expected figures are computed here
independently with numpy and scikit-learn.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix

from roistudio.core.data.importer import import_file
from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.payoff.language import parse_payoff
from tests.helpers import TEST_DATA

DATA = TEST_DATA / "bank_marketing_scored.csv"
C, R, D = 1.0, 0.02463333, 0.25


@pytest.fixture(scope="module")
def bank():
    con = duckdb.connect()
    report = import_file(con, DATA, table="data")
    payoff = parse_payoff(
        {"tp": "-c", "fp": "-c", "tn": "0", "fn": "-max(r * d * balance_eur, c)"},
        {"c": C, "r": R, "d": D},
        table_columns(con, "data"),
    )
    mapping = ColumnMapping(score="p_subscribe", label="subscribed", positive="yes", id="client_id",
                            segments=("job", "contact_channel"))  # fmt: skip
    analysis = analyse(con, "data", AnalysisRequest(mapping=mapping, payoff=payoff, at=(0.5,)))
    frame = pd.read_csv(DATA, dtype={"client_id": str})
    return report, analysis, frame


def _cost(frame: pd.DataFrame, threshold: float | None) -> float:
    y = (frame.subscribed == "yes").to_numpy()
    flagged = np.zeros(len(frame), bool) if threshold is None else frame.p_subscribe.to_numpy() >= threshold
    fn_cost = np.maximum(R * D * frame.balance_eur.to_numpy(), C)
    return float(np.sum(np.where(flagged, C, np.where(y, fn_cost, 0.0))))


def test_rows_and_labels(bank):
    report, analysis, frame = bank
    assert report.rows == len(frame) == 22606
    curve = analysis.champion.curve
    assert curve.positives == int((frame.subscribed == "yes").sum())
    assert curve.negatives == int((frame.subscribed == "no").sum())


def test_counts_match_sklearn(bank):
    _, analysis, frame = bank
    y = (frame.subscribed == "yes").astype(int)
    for t in (0.02, 0.1, 0.2, 0.35, 0.5, 0.8):
        tn, fp, fn, tp = confusion_matrix(y, (frame.p_subscribe >= t).astype(int), labels=[0, 1]).ravel()
        p = analysis.champion.curve.at(t)
        assert (p.tp, p.fp, p.tn, p.fn) == (tp, fp, tn, fn)


def test_value_equals_published_cost_model(bank):
    _, analysis, frame = bank
    curve = analysis.champion.curve
    for t in (None, 0.05, 0.1, 0.2, 0.5):
        assert curve.at(t).value == pytest.approx(-_cost(frame, t), abs=1e-6)
    # The optimum is at least as good as a dense grid of thresholds evaluated row by row.
    best = analysis.champion.optimum
    grid = np.linspace(0, 1, 101)
    assert -best.value <= min(_cost(frame, t) for t in grid) + 1e-6
    assert best.value == pytest.approx(-_cost(frame, best.threshold), abs=1e-6)


def test_savings_as_defined_in_the_cost_sensitive_literature(bank):
    _, analysis, frame = bank
    best = analysis.champion.optimum
    cost_all_0, cost_all_1 = _cost(frame, None), _cost(frame, 0.0)
    expected = 1 - _cost(frame, best.threshold) / min(cost_all_0, cost_all_1)
    assert analysis.champion.savings == pytest.approx(expected)
    assert 0 < analysis.champion.savings < 1
