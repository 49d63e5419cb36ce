"""Tornado, break-even and Monte Carlo against exact recomputations from the rows."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
import pytest

from roistudio.core.data.importer import import_file
from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.engine.bootstrap import DEFAULT_SEED
from roistudio.core.engine.parameter_ranges import ParameterRange, parse_range
from roistudio.core.engine.sensitivity import sensitivity
from roistudio.core.errors import RoiError
from roistudio.core.payoff.language import parse_payoff
from tests.helpers import TEST_DATA

PAYOFF = {"tp": "-amount * (1 - recovery) - review", "fp": "-review", "tn": "0", "fn": "-amount"}
PARAMS = {"recovery": 0.6, "review": 20.0}


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 3000
    label = rng.random(n) < 0.1
    return pd.DataFrame(
        {
            "score": np.clip(np.round(0.3 * label + rng.random(n) * 0.7, 3), 0, 1),
            "label": label,
            "amount": np.round(rng.gamma(2.0, 50.0, n), 2),
        }
    )


def _values(frame, threshold, recovery, review):
    """Row-level oracle: (operating value, flag nobody, flag everyone) for one setting."""
    y, a, s = frame.label.to_numpy(), frame.amount.to_numpy(), frame.score.to_numpy()
    flag = np.where(y, -a * (1 - recovery) - review, -review)
    keep = np.where(y, -a, 0.0)
    flagged = np.zeros(len(s), bool) if threshold is None else s >= threshold
    return float(np.where(flagged, flag, keep).sum()), float(keep.sum()), float(flag.sum())


@pytest.fixture(scope="module")
def linear_case():
    frame = _frame()
    con = duckdb.connect()
    con.register("f", frame)
    con.execute("CREATE TABLE data AS SELECT * FROM f")
    payoff = parse_payoff(PAYOFF, PARAMS, table_columns(con, "data"))
    request = AnalysisRequest(mapping=ColumnMapping(score="score", label="label"), payoff=payoff, threshold=0.5,
                              use_threshold=True)  # fmt: skip
    return frame, con, analyse(con, "data", request)


RANGES = [ParameterRange("review", 5.0, 200.0), ParameterRange("recovery", 0.0, 0.95)]


def test_tornado_matches_reanalysis(linear_case):
    frame, con, analysis = linear_case
    result = sensitivity(con, analysis, RANGES, draws=0)
    assert result.exact
    for bar in result.parameters:
        for end, value, best, thr in (
            (bar.low, bar.value_at_low, bar.best_value_at_low, bar.best_threshold_at_low),
            (bar.high, bar.value_at_high, bar.best_value_at_high, bar.best_threshold_at_high),
        ):
            params = {**PARAMS, bar.name: end}
            again = analyse(con, "data", AnalysisRequest(
                mapping=analysis.request.mapping, payoff=analysis.request.payoff.with_parameters(**params),
                threshold=0.5, use_threshold=True))  # fmt: skip
            assert value == pytest.approx(
                _values(frame, 0.5, params["recovery"], params["review"])[0], abs=1e-6
            )
            assert best == pytest.approx(again.champion.optimum.value, abs=1e-6)
            assert thr == again.champion.optimum.threshold
    swings = [b.swing for b in result.parameters]
    assert swings == sorted(swings, reverse=True)


def _scan_roots(frame, name, low, high, threshold, n=1501):
    """Sign changes of the value of the model on a fine grid: brackets of every root."""
    grid = np.linspace(low, high, n)
    gap = []
    for p in grid:
        params = {**PARAMS, name: p}
        op, nobody, everyone = _values(frame, threshold, params["recovery"], params["review"])
        gap.append(op - max(nobody, everyone))
    gap = np.array(gap)
    idx = np.flatnonzero(np.sign(gap[:-1]) != np.sign(gap[1:]))
    return [(grid[i], grid[i + 1]) for i in idx]


def test_break_even_exact_for_linear_payoffs(linear_case):
    frame, con, analysis = linear_case
    result = sensitivity(con, analysis, RANGES, draws=0)
    for r in RANGES:
        brackets = _scan_roots(frame, r.name, r.low, r.high, 0.5)
        roots = result.break_even[r.name]
        assert len(roots) == len(brackets)
        for root, (a, b) in zip(roots, brackets, strict=True):
            assert a <= root <= b
            params = {**PARAMS, r.name: root}
            op, nobody, everyone = _values(frame, 0.5, params["recovery"], params["review"])
            assert op - max(nobody, everyone) == pytest.approx(0.0, abs=1e-6)
    assert any(result.break_even.values())  # the case crosses somewhere, or this proves nothing


def test_monte_carlo_matches_direct_draws(linear_case):
    frame, con, analysis = linear_case
    result = sensitivity(con, analysis, RANGES, draws=400, seed=9)
    rng = np.random.default_rng(9)
    draws = np.column_stack([rng.uniform(r.low, r.high, 400) for r in sorted(RANGES, key=lambda r: r.name)])
    values, of_model = [], []
    for recovery, review in draws:  # drawn in parameter-name order
        op, nobody, everyone = _values(frame, 0.5, recovery, review)
        values.append(op)
        of_model.append(op - max(nobody, everyone))
    assert np.allclose(result.values, values, atol=1e-6)
    assert np.allclose(result.values_of_model, of_model, atol=1e-6)
    doc = result.to_dict()["monte_carlo"]
    assert doc["value"]["p50"] == pytest.approx(np.percentile(values, 50))
    assert doc["p_positive"] == pytest.approx(np.mean(np.array(of_model) > 0))
    assert doc["draws"] == 400


C, R, D = 1.0, 0.02463333, 0.25


@pytest.fixture(scope="module")
def bank():
    con = duckdb.connect()
    import_file(con, TEST_DATA / "bank_marketing_scored.csv", table="data")
    payoff = parse_payoff({"tp": "-c", "fp": "-c", "tn": "0", "fn": "-max(r * d * balance_eur, c)"},
                          {"c": C, "r": R, "d": D}, table_columns(con, "data"))  # fmt: skip
    mapping = ColumnMapping(score="p_subscribe", label="subscribed", positive="yes")
    analysis = analyse(con, "data", AnalysisRequest(mapping=mapping, payoff=payoff))
    frame = pd.read_csv(TEST_DATA / "bank_marketing_scored.csv")
    return con, analysis, frame


def _bank_gap(frame, threshold, c, r):
    y = (frame.subscribed == "yes").to_numpy()
    s = frame.p_subscribe.to_numpy()
    keep = np.where(y, -np.maximum(r * D * frame.balance_eur.to_numpy(), c), 0.0)
    flag = np.full(len(s), -c)
    op = np.where(s >= threshold, flag, keep).sum()
    return op - max(keep.sum(), flag.sum())


def test_break_even_bisection_for_a_payoff_not_linear_in_its_parameters(bank):
    """The published bank cost model (fn = -max(r d balance, c)): bracketing and bisection."""
    con, analysis, frame = bank
    thr = analysis.operating.threshold
    result = sensitivity(con, analysis, [ParameterRange("c", 0.2, 12.0)], draws=60)
    assert not result.exact
    grid = np.linspace(0.2, 12.0, 301)
    gaps = np.array([_bank_gap(frame, thr, c, R) for c in grid])
    brackets = [(grid[i], grid[i + 1]) for i in np.flatnonzero(np.sign(gaps[:-1]) != np.sign(gaps[1:]))]
    roots = result.break_even["c"]
    assert len(roots) == len(brackets) >= 1
    for root, (a, b) in zip(roots, brackets, strict=True):
        assert a <= root <= b
        assert abs(_bank_gap(frame, thr, root, R)) < 1e-3 * abs(gaps).max()
    bar = result.parameters[0]
    assert bar.value_at_high == pytest.approx(_bank_gap(frame, thr, 12.0, R) + max(
        np.where((frame.subscribed == "yes").to_numpy(), -np.maximum(R * D * frame.balance_eur.to_numpy(), 12.0), 0).sum(),
        -12.0 * len(frame)), abs=1e-6)  # fmt: skip
    rng = np.random.default_rng(DEFAULT_SEED)
    cs = rng.uniform(0.2, 12.0, 60)
    assert np.allclose(result.values_of_model, [_bank_gap(frame, thr, c, R) for c in cs], atol=1e-6)


def test_bad_ranges(linear_case):
    _, con, analysis = linear_case
    with pytest.raises(RoiError, match="no such parameter"):
        sensitivity(con, analysis, [ParameterRange("nope", 0, 1)])
    assert parse_range("review=1:2.5") == ParameterRange("review", 1.0, 2.5)
    for bad in ("review", "review=1", "review=a:b", "review=3:2", "=1:2"):
        with pytest.raises(RoiError, match="--range"):
            parse_range(bad)


def test_cached_column_sums_need_no_scan(linear_case, monkeypatch):
    """With the analysis's column-sums cache, the sensitivity of an affine payoff runs no query."""
    from roistudio.core.engine import grid_aggregate, sweep
    from roistudio.core.engine.sweep import ColumnSumsCache

    _, con, analysis = linear_case
    cache = ColumnSumsCache()
    cached = analyse(con, "data", replace(analysis.request), cache=cache)
    queries = []
    monkeypatch.setattr(sweep, "_fetch", lambda *a: queries.append(a) or pytest.fail("scanned"))
    monkeypatch.setattr(grid_aggregate, "_read", lambda *a: pytest.fail("scanned"))
    monkeypatch.setattr(duckdb.DuckDBPyConnection, "execute", lambda *a, **k: pytest.fail("scanned"))
    fast = sensitivity(con, cached, RANGES, draws=300, seed=1, cache=cache)
    monkeypatch.undo()
    slow = sensitivity(con, cached, RANGES, draws=300, seed=1)
    assert queries == []
    assert fast.exact and _close_dicts(fast.to_dict(), slow.to_dict())


def _close_dicts(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close_dicts(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close_dicts(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-6)
        return True
    assert a == b
    return True


def test_value_of_model_uses_the_baseline_the_constraints_allow(linear_case):
    """Under a review capacity flag everyone is not allowed: the baseline is flag N at random."""
    from roistudio.core.engine.constraints import Constraints

    frame, con, analysis = linear_case
    request = replace(analysis.request, constraints=Constraints(max_flagged=150), use_threshold=False)
    capped = analyse(con, "data", request)
    kinds = [b.kind for b in capped.champion.baselines]
    assert kinds == ["flag_nobody", "flag_random"]
    share = capped.champion.baselines[1].flagged / capped.champion.curve.rows
    result = sensitivity(con, capped, RANGES, draws=200, seed=2)
    rng = np.random.default_rng(2)
    draws = np.column_stack([rng.uniform(r.low, r.high, 200) for r in sorted(RANGES, key=lambda r: r.name)])
    thr = capped.operating.threshold
    expected = []
    for recovery, review in draws:  # drawn in parameter-name order
        op, nobody, everyone = _values(frame, thr, recovery, review)
        expected.append(op - max(nobody, nobody + share * (everyone - nobody)))
    assert np.allclose(result.values_of_model, expected, atol=1e-6)
    for name, roots in result.break_even.items():
        for root in roots:
            params = {**PARAMS, name: root}
            op, nobody, everyone = _values(frame, thr, params["recovery"], params["review"])
            assert op - max(nobody, nobody + share * (everyone - nobody)) == pytest.approx(0.0, abs=1e-6)
