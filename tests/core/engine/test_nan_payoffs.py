"""A payoff that is NaN on some rows is refused with its count, on every route (issue 9)."""

from __future__ import annotations

import duckdb
import pytest

from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.errors import PayoffError
from roistudio.core.payoff.language import parse_payoff


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE data AS SELECT * FROM (VALUES "
        "(0.9, 1, 100.0), (0.8, 1, 'NaN'::DOUBLE), (0.4, 0, 50.0), (0.3, 1, 'NaN'::DOUBLE), (0.1, 0, 10.0)"
        ") t(score, label, amount)"
    )
    return connection


@pytest.mark.parametrize(
    "tp",
    ["min(amount, 500)", "max(amount, 0)", "clip(amount, 0, 100)", "100 if amount > 5 else 0", "amount > 5"],
)
def test_nan_amounts_are_refused_with_their_count(con, tp):
    payoff = parse_payoff({"tp": tp, "fn": "0"}, {}, table_columns(con, "data"))
    request = AnalysisRequest(mapping=ColumnMapping("score", "label", positive="1"), payoff=payoff)
    with pytest.raises(PayoffError, match="is missing or not a finite number on 2 positive rows"):
        analyse(con, "data", request)


def test_clip_of_zero_over_zero_is_refused(con):
    payoff = parse_payoff(
        {"tp": "clip((amount-amount)/(amount-amount), 0, 100)"}, {}, table_columns(con, "data")
    )
    request = AnalysisRequest(mapping=ColumnMapping("score", "label", positive="1"), payoff=payoff)
    with pytest.raises(PayoffError, match="on 3 positive rows"):
        analyse(con, "data", request)
