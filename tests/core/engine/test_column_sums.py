"""The column-sums fast path gives the same curves as the SQL path, and skips the scan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import roistudio.core.engine.column_sums as column_sums
import roistudio.core.engine.grid_aggregate as grid_aggregate
import roistudio.core.engine.sweep as sweep
from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.engine.filters import Filters
from roistudio.core.engine.sweep import ColumnSumsCache
from roistudio.core.errors import PayoffError
from roistudio.core.payoff.language import parse_payoff
from tests.helpers import table_from_frame


def _frame(n: int = 3000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.15
    return pd.DataFrame(
        {
            "score": np.round(np.clip(0.3 + 0.35 * y + rng.normal(0, 0.2, n), 0, 1), 3),
            "challenger": np.round(np.clip(0.25 + 0.45 * y + rng.normal(0, 0.2, n), 0, 1), 3),
            "label": np.where(rng.random(n) < 0.05, np.nan, y.astype(float)),
            "amount": np.round(rng.lognormal(3, 1, n), 2),
            "fee": rng.integers(0, 20, n),
            "channel": rng.choice(["web", "app", "branch"], n),
            "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D"),
        }
    )


@pytest.fixture(scope="module")
def con():
    return table_from_frame(_frame())


def _request(con, payoff: dict, params: dict, **kw) -> AnalysisRequest:
    mapping = ColumnMapping(score="score", label="label", challenger_score="challenger", timestamp="ts",
                            segments=("channel",))  # fmt: skip
    return AnalysisRequest(
        mapping=mapping, payoff=parse_payoff(payoff, params, table_columns(con, "data")), period="month", **kw
    )


def _same(a, b) -> None:
    for name in a.models:
        np.testing.assert_allclose(
            a.models[name].curve.value, b.models[name].curve.value, rtol=1e-12, atol=1e-7
        )
        assert a.models[name].curve.tp.tolist() == b.models[name].curve.tp.tolist()
    for col in a.segments:
        assert [g.key for g in a.segments[col]] == [g.key for g in b.segments[col]]
        np.testing.assert_allclose(
            [g.operating.value for g in a.segments[col]],
            [g.operating.value for g in b.segments[col]],
            atol=1e-7,
        )
    np.testing.assert_allclose(
        [p.operating.value for p in a.periods], [p.operating.value for p in b.periods], atol=1e-7
    )


def test_affine_payoffs_match_the_sql_path_and_reuse_the_sums(con, monkeypatch):
    cache = ColumnSumsCache()
    payoff = {"tp": "-amount * (1 - r) - c", "fp": "-c - fee / 2", "tn": "0", "fn": "-amount - 15"}
    first = analyse(con, "data", _request(con, payoff, {"r": 0.85, "c": 4.5}), cache=cache)
    _same(first, analyse(con, "data", _request(con, payoff, {"r": 0.85, "c": 4.5})))
    # A parameter edit and a new affine payoff over the same columns are swept without a scan.
    calls = []
    real_fetch = sweep._fetch
    monkeypatch.setattr(sweep, "_fetch", lambda *a: calls.append(a[1]) or real_fetch(*a))
    real_read = grid_aggregate._read
    monkeypatch.setattr(grid_aggregate, "_read", lambda *a: calls.append("grid") or real_read(*a))
    monkeypatch.setattr(column_sums, "fetch_arrays", lambda *a: calls.append(a[1]) or real_fetch(*a))
    second = analyse(
        con, "data", _request(con, payoff, {"r": 0.5, "c": 9.0}), cache=cache, validation=first.validation
    )
    assert calls == []
    monkeypatch.undo()
    _same(second, analyse(con, "data", _request(con, payoff, {"r": 0.5, "c": 9.0})))


def test_a_new_filter_or_column_rebuilds_the_sums(con):
    cache = ColumnSumsCache()
    payoff = {"tp": "amount", "fp": "-5"}
    analyse(con, "data", _request(con, payoff, {}), cache=cache)
    filtered = _request(con, payoff, {}, filters=Filters({"channel": ("web",)}))
    _same(analyse(con, "data", filtered, cache=cache), analyse(con, "data", filtered))
    more = _request(con, {"tp": "amount + fee", "fp": "-5"}, {})
    _same(analyse(con, "data", more, cache=cache), analyse(con, "data", more))


def test_other_payoffs_take_the_sql_path_with_the_same_numbers(con):
    cache = ColumnSumsCache()
    payoff = {"tp": "max(amount * 0.9, 10) - 5", "fp": "-5 if channel == 'web' else -2", "fn": "-amount"}
    assert _request(con, payoff, {}).payoff.column_terms() is None
    _same(
        analyse(con, "data", _request(con, payoff, {}), cache=cache),
        analyse(con, "data", _request(con, payoff, {})),
    )


def test_missing_values_are_still_reported():
    frame = pd.DataFrame({"score": [0.9, 0.5, 0.2], "label": [1, 1, 0], "amount": [10.0, None, 3.0]})
    con = table_from_frame(frame)
    request = AnalysisRequest(
        mapping=ColumnMapping(score="score", label="label"),
        payoff=parse_payoff({"tp": "amount", "fn": "-amount"}, {}, table_columns(con, "data")),
    )
    with pytest.raises(PayoffError) as err:
        analyse(con, "data", request, cache=ColumnSumsCache())
    assert "tp = amount is missing or not a finite number on 1 positive rows" in str(err.value)


_TERMS = st.sampled_from(["amount", "fee", "p", "q", "2", "0.5", "(amount - fee)", "(-fee)"])


@st.composite
def _affine_text(draw) -> str:
    text = draw(_TERMS)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        term = draw(st.sampled_from(["p", "q", "3", "0.25", "-1.5"])) if op in "*/" else draw(_TERMS)
        text = f"({text}) {op} {term}"
    return text


@settings(max_examples=40, deadline=None)
@given(tp=_affine_text(), fp=_affine_text(), p=st.floats(-5, 5).map(lambda x: round(x, 2)).filter(bool),
       q=st.floats(0.5, 5).map(lambda x: round(x, 2)))  # fmt: skip
def test_random_affine_payoffs_match_the_sql_path(con, tp, fp, p, q):
    request = _request(con, {"tp": tp, "fp": fp, "fn": "-amount"}, {"p": p, "q": q})
    assert request.payoff.column_terms() is not None
    _same(analyse(con, "data", request, cache=ColumnSumsCache()), analyse(con, "data", request))


def test_affine_terms_by_hand(con):
    payoff = _request(con, {"tp": "-amount * (1 - r) - c", "fp": "-(fee + c) / 2", "fn": "amount * fee"},
                      {"r": 0.85, "c": 4.5}).payoff  # fmt: skip
    from roistudio.core.payoff.terms import column_terms

    tp = column_terms(payoff.tree("tp"), payoff.parameters)
    assert tp.constant == pytest.approx(-4.5)
    assert dict(tp.coefficients) == {"amount": pytest.approx(-0.15)}
    fp = column_terms(payoff.tree("fp"), payoff.parameters)
    assert (fp.constant, dict(fp.coefficients)) == (pytest.approx(-2.25), {"fee": pytest.approx(-0.5)})
    assert column_terms(payoff.tree("fn"), payoff.parameters) is None  # a column times a column
    zero = _request(con, {"tp": "amount / 0"}, {}).payoff
    assert column_terms(zero.tree("tp"), zero.parameters) is None
