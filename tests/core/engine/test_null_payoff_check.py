"""The sweep finds NULL payoffs from its two sums alone (a NULL is NaN there): exactly where it matters.

A labelled row's NULL payoff must be refused with its count even when it shares its score with
rows whose payoff is fine; a NULL payoff where no payoff is used (an unlabelled row, a row left
out for its unusable score) must not be.
"""

from __future__ import annotations

import duckdb
import pytest

from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.errors import PayoffError
from roistudio.core.payoff.language import parse_payoff

ROWS = [
    # score, label, amount, region
    (0.9, 1, 100.0, "north"),
    (0.7, 0, 20.0, "north"),
    (0.7, 0, None, "south"),  # a negative with no amount, tied in score with one that has
    (0.7, 1, 30.0, "south"),
    (0.4, None, None, "north"),  # unlabelled: its payoff is never used
    (None, 0, None, "south"),  # no score: left out with --exclude-bad-scores
    (0.2, 0, 5.0, "south"),
]


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute("CREATE TABLE data (score DOUBLE, label INTEGER, amount DOUBLE, region VARCHAR)")
    connection.executemany("INSERT INTO data VALUES (?, ?, ?, ?)", ROWS)
    return connection


def _request(con, payoff, **mapping):
    parsed = parse_payoff(payoff, {}, table_columns(con, "data"))
    return AnalysisRequest(
        mapping=ColumnMapping("score", "label", positive="1", exclude_bad_scores=True, **mapping),
        payoff=parsed,
    )


def test_a_null_payoff_tied_with_good_rows_is_counted(con):
    request = _request(con, {"tp": "amount", "fp": "-amount"}, segments=("region",))
    with pytest.raises(PayoffError) as err:
        analyse(con, "data", request)
    assert str(err.value) == (
        "fp: fp = -amount is missing or not a finite number on 1 negative rows; "
        "use coalesce(column, 0) for missing values or guard divisions"
    )


def test_null_payoffs_where_no_payoff_is_used_are_fine(con):
    con.execute("UPDATE data SET amount = 1.0 WHERE score = 0.7 AND label = 0 AND amount IS NULL")
    request = _request(con, {"tp": "amount", "fp": "-amount"}, segments=("region",))
    analysis = analyse(con, "data", request)
    # Brute force over the usable labelled rows: flag score >= t, value = sum(tp) + sum(fp).
    usable = [(s, y, a) for s, y, a, _ in ROWS if s is not None and y is not None]
    usable = [(s, y, 1.0 if (s == 0.7 and y == 0 and a is None) else a) for s, y, a in usable]
    best = max(
        sum((a if y == 1 else -a) for s, y, a in usable if s >= t) for t in {s for s, _, _ in usable} | {2.0}
    )
    assert analysis.champion.optimum.value == pytest.approx(best)
    assert analysis.excluded_rows == 1
