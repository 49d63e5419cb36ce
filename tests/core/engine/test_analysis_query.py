"""Every module that reads an analysis's rows again selects exactly the rows ``analyse`` swept.

The rows are counted independently with pandas (a row is analysed when every score column it is
compared on holds a usable score), then each module's own aggregation is checked against the
analysis's curves: the bootstrap's cells, the per-group intervals' cells, the sensitivity's held
policies and its sweeps, the label-delay estimate's sums and the live-formula aggregates.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine import grid_aggregate, group_bootstrap, sweep
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN, analysis_query, segment_breakdown
from roistudio.core.engine.bootstrap import MAX_BUCKETS
from roistudio.core.engine.bootstrap_cells import bucket_edges, paired_cells, per_model_cells
from roistudio.core.engine.estimate import _score_sums
from roistudio.core.engine.linear import _model_rows, linear_aggregates
from roistudio.core.engine.parameter_ranges import ParameterRange
from roistudio.core.engine.sensitivity import _HeldPolicies, sensitivity
from roistudio.core.engine.sweep import ColumnSumsCache, run_sweep
from roistudio.core.payoff.language import parse_payoff

PAYOFF = {"tp": "amount * recovery - review", "fp": "-review", "tn": "0", "fn": "-amount"}
PARAMS = {"recovery": 0.8, "review": 12.0}


def _frame(long: bool) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 2400
    label = rng.random(n) < 0.15
    frame = pd.DataFrame(
        {
            "score": np.round(np.clip(0.35 * label + 0.65 * rng.random(n), 0, 1), 3),
            "challenger": np.round(np.clip(0.45 * label + 0.55 * rng.random(n), 0, 1), 3),
            "label": pd.array(label, dtype="boolean"),
            "region": rng.choice(["north", "south", "east"], n),
            "day": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 180, n), unit="D"),
            "amount": np.round(rng.gamma(2.0, 40.0, n), 2),
            "model": rng.choice(["A", "B"], n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "label"] = pd.NA  # not yet labelled
    # Unusable scores, as --exclude-bad-scores leaves them out: missing, and out of [0, 1].
    frame.loc[rng.random(n) < 0.05, "score"] = np.nan
    frame.loc[rng.random(n) < 0.05, "challenger"] = np.nan
    frame.loc[rng.random(n) < 0.02, "challenger"] = 1.5
    frame.loc[rng.random(n) < 0.02, "score"] = -0.2
    if long:
        frame = frame.drop(columns="challenger")
    return frame


def _usable(values: pd.Series) -> np.ndarray:
    v = values.to_numpy(dtype=float)
    return np.isfinite(v) & (v >= 0) & (v <= 1)


CASES = {
    "two score columns": dict(challenger_score="challenger"),
    "model column": dict(model="model", champion="A"),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    long = request.param == "model column"
    frame = _frame(long)
    con = duckdb.connect()
    con.register("f", frame)
    con.execute("CREATE TABLE data AS SELECT * FROM f")
    con.unregister("f")
    mapping = ColumnMapping(
        score="score", label="label", timestamp="day", segments=("region",), exclude_bad_scores=True,
        **CASES[request.param],
    )  # fmt: skip
    payoff = parse_payoff(PAYOFF, PARAMS, table_columns(con, "data"))
    req = AnalysisRequest(mapping=mapping, payoff=payoff, period="month", threshold=0.5, use_threshold=True)
    cache = ColumnSumsCache()
    analysis = analyse(con, "data", req, cache=cache)
    # The oracle: which rows each model's curve must hold, from pandas.
    if long:
        rows = {m: (frame.model == m).to_numpy() & _usable(frame.score) for m in ("A", "B")}
    else:
        both = _usable(frame.score) & _usable(frame.challenger)
        rows = {"score": both, "challenger": both}
    return frame, con, analysis, cache, rows


def test_analyse_keeps_the_rows_the_oracle_names(case):
    frame, _, analysis, _, rows = case
    labelled = frame.label.notna().to_numpy()
    for name, model in analysis.models.items():
        assert model.curve.rows == int((rows[name] & labelled).sum())
        assert model.curve.unlabeled == int((rows[name] & ~labelled).sum())
        assert model.curve.positives == int(
            (rows[name] & labelled & frame.label.fillna(False).to_numpy()).sum()
        )


def test_the_full_query_is_the_one_analyse_ran(case):
    """Sweeping the builder's query again gives the analysis's curves, every breakdown included."""
    _, con, analysis, _, _ = case
    built = analysis_query(analysis)
    again = run_sweep(con, built.query, list(built.sources))
    for name, model in analysis.models.items():
        assert np.array_equal(again.overall[name].value, model.curve.value)
    assert set(again.by) == {segment_breakdown("region"), PERIOD_BREAKDOWN}
    champion = analysis.champion.name
    for group in analysis.segments["region"]:
        assert np.array_equal(
            again.by[segment_breakdown("region")][champion][group.key].value, group.curve.value
        )


def test_a_subset_of_models_keeps_the_shared_rows(case):
    """Aggregating the champion alone (bootstrap, estimate) keeps out rows the challenger cannot score."""
    _, con, analysis, _, _ = case
    built = analysis_query(analysis)
    for name, model in analysis.models.items():
        query, sources = built.for_models([name], breakdowns=())
        alone = run_sweep(con, query, sources)
        assert alone.by == {}
        assert np.array_equal(alone.overall[name].value, model.curve.value)
        assert np.array_equal(alone.overall[name].thresholds, model.curve.thresholds, equal_nan=True)


def _labelled_counts_per_score(curve) -> np.ndarray:
    return np.diff(curve.tp + curve.fp)


def test_bootstrap_cells_hold_the_analysis_rows(case):
    _, con, analysis, _, _ = case
    champion, challenger = analysis.champion, analysis.challenger
    edges = bucket_edges(champion.curve, [], MAX_BUCKETS)
    assert len(edges) == len(champion.curve) - 1  # every score its own bucket: counts compare per score
    cells = per_model_cells(con, analysis, [champion], [edges])
    per_bucket = np.bincount(cells.buckets[0], weights=cells.n, minlength=len(edges))
    assert np.array_equal(per_bucket, _labelled_counts_per_score(champion.curve))
    assert cells.sf.sum() == pytest.approx(champion.flag_everyone.value, rel=1e-12)
    assert cells.sk.sum() == pytest.approx(champion.flag_nobody.value, rel=1e-12)
    models = [champion, challenger]
    pair_edges = [bucket_edges(m.curve, [], MAX_BUCKETS) for m in models]
    if analysis.request.mapping.model:
        pair = per_model_cells(con, analysis, models, pair_edges)
    else:
        pair = paired_cells(con, analysis, models, pair_edges)
    for i, model in enumerate(models):
        mine = pair.buckets[i] >= 0
        counts = np.bincount(pair.buckets[i][mine], weights=pair.n[mine], minlength=len(pair_edges[i]))
        assert np.array_equal(counts, _labelled_counts_per_score(model.curve))
        assert pair.sf[mine].sum() == pytest.approx(model.flag_everyone.value, rel=1e-12)


def test_group_interval_cells_hold_the_analysis_rows(case, monkeypatch):
    _, con, analysis, _, _ = case
    fetched = []

    def spy(con_, sql, params):
        out = sweep._fetch(con_, sql, params)
        fetched.append(out)
        return out

    monkeypatch.setattr(group_bootstrap, "_fetch", spy)
    group_bootstrap.group_intervals(con, analysis, replicates=5, confidence=0.9, seed=1)
    (raw,) = fetched
    breakdown = np.asarray(raw["b"])
    keys = np.asarray(raw["k"], dtype=object)
    groups = {0: analysis.segments["region"], 1: analysis.periods}
    for b, results in groups.items():
        for group in results:
            mine = (breakdown == b) & (keys == group.key)
            assert np.asarray(raw["n"])[mine].sum() == group.rows
            assert np.asarray(raw["sv"])[mine].sum() == pytest.approx(
                group.operating.value, rel=1e-12, abs=1e-9
            )


def test_sensitivity_reads_the_analysis_rows(case):
    _, con, analysis, _, _ = case
    champion = analysis.champion
    held = _HeldPolicies(con, analysis, None)([dict(PARAMS)])[0]
    expected = [champion.operating.value, champion.flag_nobody.value, champion.flag_everyone.value]
    assert held == pytest.approx(expected, rel=1e-12)


def test_sensitivity_hits_the_cache_analyse_filled(case, monkeypatch):
    """With challenger, segments and periods, the sums analyse cached serve the sensitivity: no scan."""
    _, con, analysis, cache, _ = case
    ranges = [ParameterRange("review", 5.0, 40.0), ParameterRange("recovery", 0.5, 0.95)]
    slow = sensitivity(con, analysis, ranges, draws=200, seed=3)
    monkeypatch.setattr(sweep, "_fetch", lambda *a: pytest.fail("scanned"))
    monkeypatch.setattr(grid_aggregate, "_read", lambda *a: pytest.fail("scanned"))
    monkeypatch.setattr(duckdb.DuckDBPyConnection, "execute", lambda *a, **k: pytest.fail("scanned"))
    fast = sensitivity(con, analysis, ranges, draws=200, seed=3, cache=cache)
    monkeypatch.undo()
    assert fast.exact
    assert [b.value_at_low for b in fast.parameters] == pytest.approx(
        [b.value_at_low for b in slow.parameters]
    )
    assert fast.values == pytest.approx(slow.values)


def test_label_delay_sums_hold_the_analysis_rows(case):
    _, con, analysis, _, _ = case
    champion = analysis.champion
    sums = _score_sums(con, analysis, None)
    overall = sums.group == ""
    for cls, count in ((1, champion.curve.positives), (0, champion.curve.rows - champion.curve.positives),
                       (2, champion.curve.unlabeled)):  # fmt: skip
        assert sums.n[overall & (sums.cls == cls)].sum() == count
    labelled = overall & (sums.cls < 2)
    assert sums.sums["fp"][labelled & (sums.cls == 0)].sum() == pytest.approx(champion.curve.fp_value[-1])
    for period in analysis.periods:
        assert sums.n[sums.group == period.key].sum() == period.rows + period.unlabeled


def test_live_formula_aggregates_read_the_analysis_rows(case):
    _, con, analysis, _, rows = case
    for name, model in analysis.models.items():
        _, label_sql, conds, params = _model_rows(analysis, model)
        count, unlabeled = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE ({label_sql}) IS NULL) FROM data WHERE {' AND '.join(conds)}",
            params,
        ).fetchone()
        assert count == int(rows[name].sum()) == model.curve.rows + model.curve.unlabeled
        assert unlabeled == model.curve.unlabeled
    aggregates = linear_aggregates(con, "data", analysis, np.arange(len(analysis.champion.curve)))
    assert aggregates is not None  # None would mean the rows or values did not line up
    assert aggregates.value() == pytest.approx(analysis.champion.curve.value, rel=1e-12)
