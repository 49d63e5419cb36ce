"""The rows behind per-row workbook formulas: ranks, payoffs and keys, checked against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roistudio.core.engine.payoff_rows import PayoffRows, RowsUnavailable, payoff_rows, policy_values
from tests.helpers import run_analysis

PAYOFF = {"tp": "-c", "fp": "-c", "tn": "0", "fn": "-max(r * amount, c)"}
PARAMS = {"c": 1.0, "r": 0.1}


def _frame(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.2
    label = np.where(y, 1.0, 0.0)
    label[rng.random(n) < 0.05] = np.nan  # some rows not yet labelled
    return pd.DataFrame(
        {
            "score": rng.random(n).round(2),  # many ties
            "challenger": rng.random(n).round(3),
            "label": label,
            "amount": rng.gamma(2.0, 30.0, n).round(2),
            "channel": rng.choice(["web", "Web", "store"], n),
        }
    )


def test_ranks_payoffs_and_keys_match_a_row_by_row_computation():
    frame = _frame()
    analysis, con = run_analysis(frame, PAYOFF, PARAMS, segments=("channel",), challenger_score="challenger")
    rows = payoff_rows(con, "data", analysis)
    assert isinstance(rows, PayoffRows)
    assert rows.columns == ("amount",) and rows.breakdowns == ("segment:channel",)
    labelled = frame[frame.label.notna()]
    for model, column in zip(rows.models, ("score", "challenger"), strict=True):
        assert len(model) == len(labelled)
        # Rank: how many distinct scores (of every row, labelled or not) are >= the row's score.
        distinct = np.unique(frame[column].to_numpy())
        expected_rank = np.array([(distinct >= s).sum() for s in model.score])
        assert np.array_equal(model.rank, expected_rank)
        assert np.all(np.diff(model.rank) >= 0)
        order = labelled.sort_values(column, ascending=False, kind="stable")
        assert sorted(model.score.tolist(), reverse=True) == order[column].tolist()
        # Each row's payoff if flagged / not flagged, as the published formulas say.
        fn = -np.maximum(0.1 * model.columns["amount"], 1.0)
        assert np.allclose(model.if_flagged, -1.0)
        assert np.allclose(model.if_not_flagged, np.where(model.positive, fn, 0.0))
        assert set(model.keys["segment:channel"]) == {"web", "Web", "store"}
    # Running sums at each curve point's flagged count are the curve's values (flag iff score >= t).
    champion = rows.models[0]
    curve = analysis.champion.curve
    for t in (None, 0.2, 0.5, 0.9):
        flagged = labelled.score >= t if t is not None else np.zeros(len(labelled), bool)
        y = labelled.label == 1
        want = np.where(flagged, -1.0, np.where(y, -np.maximum(0.1 * labelled.amount, 1.0), 0.0)).sum()
        point = curve.at(t)
        assert policy_values(champion)[point.flagged] == pytest.approx(want, abs=1e-9)
        assert point.value == pytest.approx(want, abs=1e-9)


def test_too_many_rows_or_missing_values_are_said_in_one_sentence():
    frame = _frame()
    analysis, con = run_analysis(frame, PAYOFF, PARAMS)
    refused = payoff_rows(con, "data", analysis, max_rows=100)
    labelled = int(frame.label.notna().sum())
    assert refused == RowsUnavailable(
        f"The analysis has {labelled:,} labelled rows over its models; per-row formulas are written for at "
        "most 100 (a workbook past that size opens and recalculates too slowly)."
    )
    frame.loc[frame.index[:7], "amount"] = np.nan
    missing = int(frame.loc[frame.index[:7], "label"].notna().sum())
    analysis, con = run_analysis(frame, {**PAYOFF, "fn": "-max(r * coalesce(amount, 0), c)"}, PARAMS)
    refused = payoff_rows(con, "data", analysis)
    assert isinstance(refused, RowsUnavailable)
    assert refused.reason.startswith(
        f"Column 'amount' has {missing:,} missing values among the labelled rows"
    )
