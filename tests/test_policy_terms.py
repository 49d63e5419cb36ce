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

from roistudio.core.linear import PERFECT, policy_terms
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


def test_segment_policies_match_the_rows(data):
    frame, analysis, con = data
    groups = analysis.segments["seg"]
    policies = {
        "value": {g.key: g.operating.threshold for g in groups},
        "best": {g.key: g.optimum.threshold for g in groups},
        "perfect": {g.key: PERFECT for g in groups},
    }
    expected = {
        "value": {g.key: g.operating.value for g in groups},
        "best": {g.key: g.optimum.value for g in groups},
        "perfect": {g.key: g.perfect_value for g in groups},
    }
    terms = policy_terms(
        con, "data", analysis, analysis.champion, policies, expected, breakdown="segment:seg"
    )
    assert terms is not None and set(terms) == {"north", "south", "=east"}
    for g in groups:
        part = frame[frame["seg"] == g.key]
        for name in ("value", "best"):
            want = _by_hand(part, "score", policies[name][g.key])
            assert terms[g.key][name] == pytest.approx(want, abs=1e-6)
        known = part[part["label"].notna()]
        positives = known[known["label"] == 1]
        assert terms[g.key]["perfect"] == pytest.approx(
            {None: 0.0, "recovery": positives["amount"].sum(), "review_cost": -float(len(positives))},
            abs=1e-6,
        )


def test_challenger_policies_per_month_and_overall(data):
    frame, analysis, con = data
    periods = analysis.periods
    threshold = analysis.challenger.operating.threshold
    terms = policy_terms(
        con, "data", analysis, analysis.challenger,
        {"challenger": {g.key: g.challenger_operating.threshold for g in periods}},
        {"challenger": {g.key: g.challenger_operating.value for g in periods}},
        breakdown="period",
    )  # fmt: skip
    assert terms is not None and sorted(terms) == ["2026-01-01", "2026-02-01", "2026-03-01"]
    month = frame["ts"].dt.to_period("M").dt.start_time.dt.strftime("%Y-%m-%d")
    for key, per in terms.items():
        assert per["challenger"] == pytest.approx(_by_hand(frame[month == key], "chal", threshold), abs=1e-6)

    comp = analysis.comparison
    overall = policy_terms(
        con, "data", analysis, analysis.challenger,
        {"best": {"all": comp.challenger.optimum.threshold}, "nobody": {"all": None}},
        {"best": {"all": comp.challenger.optimum.value}, "nobody": {"all": comp.challenger.flag_nobody.value}},
    )  # fmt: skip
    assert overall["all"]["best"] == pytest.approx(_by_hand(frame, "chal", comp.challenger.optimum.threshold))
    assert overall["all"]["nobody"] == pytest.approx(_by_hand(frame, "chal", None))


def test_a_disagreeing_value_or_a_nonlinear_payoff_gives_none(data):
    _, analysis, con = data
    groups = analysis.segments["seg"]
    policies = {"value": {g.key: g.operating.threshold for g in groups}}
    wrong = {"value": {g.key: g.operating.value + 0.5 for g in groups}}
    assert (
        policy_terms(con, "data", analysis, analysis.champion, policies, wrong, breakdown="segment:seg")
        is None
    )

    frame = pd.DataFrame({"score": [0.9, 0.2], "label": [1, 0], "amount": [10.0, 20.0]})
    nonlinear, con2 = run_analysis(
        frame, {"tp": "amount*rate*rate", "fp": "0", "tn": "0", "fn": "0"}, {"rate": 2}
    )
    assert (
        policy_terms(con2, "data", nonlinear, nonlinear.champion, {"v": {"all": 0.5}}, {"v": {"all": 40.0}})
        is None
    )
