"""Per-group parameter aggregates of fixed-threshold policies (core.linear.policy_terms).

Expected numbers are recomputed with pandas from the rows: for the payoff
``tp = amount*recovery - review_cost, fp = -review_cost, tn = 0, fn = -amount`` the value of a
policy splits into ``A0 = -sum(amount over FN)``, ``A_recovery = sum(amount over TP)`` and
``A_review_cost = -(TP + FP)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from roistudio.core.engine.linear import group_terms, policy_terms
from tests.helpers import run_analysis

PAYOFF = {"tp": "amount*recovery - review_cost", "fp": "-review_cost", "tn": "0", "fn": "-amount"}
PARAMS = {"recovery": 0.8, "review_cost": 7.0}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    n = 3000
    label = (rng.random(n) < 0.25).astype(float)
    label[rng.random(n) < 0.08] = np.nan  # unlabelled rows never count
    frame = pd.DataFrame(
        {
            "score": np.clip(np.nan_to_num(label) * 0.3 + rng.random(n) * 0.7, 0, 1).round(3),
            "chal": rng.random(n).round(3),
            "label": pd.array(label, dtype="Float64").astype("Int8"),
            "amount": rng.gamma(2.0, 60.0, n).round(2),
            "seg": rng.choice(["north", "south", "=east"], n),
            "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
        }
    )
    analysis, con = run_analysis(
        frame, PAYOFF, PARAMS, segments=("seg",), challenger_score="chal", timestamp="ts", period="month"
    )
    return frame, analysis, con


def _by_hand(part: pd.DataFrame, score: str, threshold) -> dict:
    known = part[part["label"].notna()]
    y = known["label"].astype(bool)
    flagged = known[score] >= threshold if threshold is not None else pd.Series(False, index=known.index)
    tp, fp, fn = y & flagged, ~y & flagged, y & ~flagged
    return {
        None: -known.loc[fn, "amount"].sum(),
        "recovery": known.loc[tp, "amount"].sum(),
        "review_cost": -float(tp.sum() + fp.sum()),
    }


def test_segment_and_month_policies_match_the_rows(data):
    # Segments and months in one call (one scan per model): every group's aggregates equal the rows'.
    frame, analysis, con = data
    breakdowns = {"segment:seg": analysis.segments["seg"], "period": analysis.periods}
    terms = group_terms(con, "data", analysis, breakdowns)
    assert terms is not None
    assert set(terms["segment:seg"]) == {"north", "south", "=east"}
    assert sorted(terms["period"]) == ["2026-01-01", "2026-02-01", "2026-03-01"]
    month = frame["ts"].dt.to_period("M").dt.start_time.dt.strftime("%Y-%m-%d")
    columns = {"segment:seg": frame["seg"], "period": month}
    operating = analysis.champion.operating.threshold
    challenger_at = analysis.challenger.operating.threshold
    for breakdown, groups in breakdowns.items():
        for g in groups:
            part = frame[columns[breakdown] == g.key]
            got = terms[breakdown][g.key]
            assert got["value"] == pytest.approx(_by_hand(part, "score", operating), abs=1e-6)
            assert got["best"] == pytest.approx(_by_hand(part, "score", g.optimum.threshold), abs=1e-6)
            assert got["challenger"] == pytest.approx(_by_hand(part, "chal", challenger_at), abs=1e-6)
            known = part[part["label"].notna()]
            positives = known[known["label"] == 1]
            perfect = {
                None: 0.0,
                "recovery": positives["amount"].sum(),
                "review_cost": -float(len(positives)),
            }
            assert got["perfect"] == pytest.approx(perfect, abs=1e-6)


def test_policies_over_all_rows_including_flag_nobody(data):
    frame, analysis, con = data
    comp = analysis.comparison
    everything = (None, "all")
    best = comp.challenger.optimum
    overall = policy_terms(
        con, "data", analysis, analysis.challenger,
        {"best": {everything: best.threshold}, "nobody": {everything: None}},
        {"best": {everything: best.value}, "nobody": {everything: comp.challenger.flag_nobody.value}},
    )  # fmt: skip
    assert overall[everything]["best"] == pytest.approx(_by_hand(frame, "chal", best.threshold))
    assert overall[everything]["nobody"] == pytest.approx(_by_hand(frame, "chal", None))


def test_a_disagreeing_value_or_a_nonlinear_payoff_gives_none(data):
    _, analysis, con = data
    groups = analysis.segments["seg"]
    policies = {"value": {("segment:seg", g.key): g.operating.threshold for g in groups}}
    wrong = {"value": {("segment:seg", g.key): g.operating.value + 0.5 for g in groups}}
    assert policy_terms(con, "data", analysis, analysis.champion, policies, wrong) is None

    frame = pd.DataFrame({"score": [0.9, 0.2], "label": [1, 0], "amount": [10.0, 20.0]})
    payoff = {"tp": "amount*rate*rate", "fp": "0", "tn": "0", "fn": "0"}
    nonlinear, con2 = run_analysis(frame, payoff, {"rate": 2})
    everything = (None, "all")
    assert policy_terms(con2, "data", nonlinear, nonlinear.champion, {"v": {everything: 0.5}},
                        {"v": {everything: 40.0}}) is None  # fmt: skip


def test_live_formula_sums_use_the_sweeps_rows_when_bad_challenger_scores_are_excluded(data):
    # Bug: the live-formula sums selected the champion's rows by its own score only, so with a
    # challenger whose score is unusable on some rows the split disagreed and silently vanished.
    from roistudio.core.engine.linear import linear_aggregates

    frame = data[0].copy()
    frame["chal"] = frame["chal"].astype(float)
    frame.loc[frame.index[:40], "chal"] = np.nan  # 40 rows the challenger cannot score
    analysis, con = run_analysis(frame, PAYOFF, PARAMS, challenger_score="chal", exclude_bad_scores=True)
    assert analysis.excluded_rows == 40
    indices = np.arange(len(analysis.champion.curve))
    aggregates = linear_aggregates(con, "data", analysis, indices)
    assert aggregates is not None
    kept = frame.iloc[40:]  # the rows both models can score
    for i in (0, len(indices) // 3, len(indices) - 1):
        expected = _by_hand(kept, "score", analysis.champion.curve.point(i).threshold)
        assert aggregates.at(i) == pytest.approx(expected)
