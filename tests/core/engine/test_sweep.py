"""The sweep engine against independent computations: scikit-learn, a row-by-row numpy oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import confusion_matrix

from roistudio.core.errors import MappingError, PayoffError
from tests.helpers import brute_force_value, run_analysis


def _random_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    label = rng.random(n) < 1 / (1 + np.exp(-(latent * 2 - 3)))
    return pd.DataFrame(
        {
            "score": np.round(1 / (1 + np.exp(-(latent + rng.normal(scale=0.7, size=n)))), 3),
            "label": label.astype(int),
            "amount": np.round(rng.lognormal(3.5, 1.0, n), 2),
            "channel": rng.choice(["web", "branch", "phone"], n),
            "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 180, n), unit="D"),
        }
    )


PAYOFF = {"tp": "amount * 0.8 - 5", "fp": "-5", "tn": "0", "fn": "-amount"}


@pytest.fixture(scope="module")
def frame():
    return _random_frame(5000, seed=7)


@pytest.fixture(scope="module")
def analysis(frame):
    result, _ = run_analysis(frame, PAYOFF, segments=("channel",), timestamp="ts", period="month")
    return result


def test_counts_match_sklearn_confusion_matrix_at_sampled_thresholds(frame, analysis):
    curve = analysis.champion.curve
    y = frame["label"].to_numpy()
    for t in [0.0, 0.05, 0.1, 0.25, 0.333, 0.5, 0.62, 0.9, 0.999, 1.0]:
        pred = (frame["score"].to_numpy() >= t).astype(int)
        tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
        p = curve.at(t)
        assert (p.tp, p.fp, p.tn, p.fn) == (tp, fp, tn, fn), t


def test_value_matches_row_by_row_oracle_at_every_distinct_score(frame, analysis):
    curve = analysis.champion.curve
    amount = frame["amount"].to_numpy()
    tp, fp, tn, fn = amount * 0.8 - 5, np.full(len(frame), -5.0), np.zeros(len(frame)), -amount
    labels = frame["label"].to_numpy() == 1
    expected = [brute_force_value(frame["score"], labels, None, tp, fp, tn, fn)] + [
        brute_force_value(frame["score"], labels, t, tp, fp, tn, fn) for t in curve.thresholds[1:]
    ]
    np.testing.assert_allclose(curve.value, expected, rtol=0, atol=1e-6)
    best = int(np.argmax(expected))
    assert analysis.champion.optimum.index == best


def test_segment_and_period_curves_add_up_to_the_overall_curve(frame, analysis):
    t = analysis.champion.operating.threshold
    by_channel = analysis.segments["channel"]
    assert sorted(g.key for g in by_channel) == ["branch", "phone", "web"]
    assert sum(g.operating.value for g in by_channel) == pytest.approx(analysis.champion.operating.value)
    assert sum(g.operating.tp for g in by_channel) == analysis.champion.operating.tp
    # Each segment's own curve equals a sweep over that segment alone.
    web = next(g for g in by_channel if g.key == "web")
    alone, _ = run_analysis(frame[frame.channel == "web"].reset_index(drop=True), PAYOFF)
    assert web.curve.value.tolist() == pytest.approx(alone.champion.curve.value.tolist())
    assert web.operating.value == pytest.approx(alone.champion.curve.at(t).value)
    # Ranked by money lost, largest first.
    lost = [g.money_lost for g in by_channel]
    assert lost == sorted(lost, reverse=True)
    months = [p.key for p in analysis.periods]
    assert months == ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01"]
    assert sum(p.operating.value for p in analysis.periods) == pytest.approx(
        analysis.champion.operating.value
    )


def test_money_lost_is_perfect_value_minus_achieved(frame, analysis):
    g = analysis.segments["channel"][0]
    sub = frame[frame.channel == g.key]
    pos = sub.label == 1
    perfect = float((sub.amount[pos] * 0.8 - 5).sum())  # every positive caught, no false alarm
    assert g.perfect_value == pytest.approx(perfect)
    assert g.money_lost == pytest.approx(perfect - g.operating.value)


def test_two_score_columns_compare_on_the_same_rows(frame):
    frame = frame.assign(challenger=np.round(np.clip(frame.score + 0.1 * (frame.label - 0.5), 0, 1), 3))
    analysis, _ = run_analysis(frame, PAYOFF, challenger_score="challenger")
    champ, chall = analysis.champion, analysis.challenger
    assert champ.curve.rows == chall.curve.rows == len(frame)
    alone, _ = run_analysis(frame.assign(score=frame.challenger), PAYOFF)
    assert chall.optimum.value == pytest.approx(alone.champion.optimum.value)
    comp = analysis.comparison
    assert comp.difference_at_best == pytest.approx(chall.optimum.value - champ.optimum.value)
    assert comp.difference_at_common == pytest.approx(
        chall.curve.at(champ.optimum.threshold).value - champ.optimum.value
    )


def test_model_column_splits_long_format_rows(frame):
    long = pd.concat([frame.assign(model="v1"), frame.assign(model="v2", score=np.round(frame.score**2, 4))])
    analysis, _ = run_analysis(long, PAYOFF, model="model", champion="v2")
    assert analysis.champion.name == "v2"
    assert analysis.challenger.name == "v1"
    v1, _ = run_analysis(frame, PAYOFF)
    assert analysis.challenger.optimum.value == pytest.approx(v1.champion.optimum.value)


def test_null_payoff_rows_are_counted_not_zeroed():
    frame = pd.DataFrame({"score": [0.9, 0.5, 0.2], "label": [1, 1, 0], "amount": [10.0, None, 3.0]})
    with pytest.raises(PayoffError) as err:
        run_analysis(frame, {"tp": "amount", "fn": "-amount"})
    assert str(err.value) == (
        "tp: tp = amount is missing or not a finite number on 1 positive rows; "
        "use coalesce(column, 0) for missing values or guard divisions"
    )
    ok, _ = run_analysis(frame, {"tp": "coalesce(amount, 0)", "fn": "-coalesce(amount, 0)"})
    assert ok.champion.optimum.value == pytest.approx(10.0)


def test_bad_scores_are_refused_unless_excluded():
    frame = pd.DataFrame({"score": [0.9, np.nan, 1.7, -0.1, 0.3], "label": [1, 0, 0, 1, 0]})
    with pytest.raises(MappingError) as err:
        run_analysis(frame, {"tp": "1"})
    assert str(err.value) == (
        "score column 'score' has 3 unusable values (1 missing, 1 below 0, 1 above 1); "
        "pass --raw-scores if scores are not probabilities; pass --exclude-bad-scores to leave those rows out"
    )
    excluded, _ = run_analysis(frame, {"tp": "1"}, exclude_bad_scores=True)
    assert excluded.champion.curve.rows == 2
    assert excluded.excluded_rows == 3
    raw = pd.DataFrame({"score": [2.5, -1.0, 0.3], "label": [1, 0, 0]})
    margins, _ = run_analysis(raw, {"tp": "1", "fp": "-1"}, raw_scores=True)
    assert margins.champion.optimum.threshold == 2.5


@pytest.mark.parametrize(
    ("labels", "positive", "expected_positives"),
    [
        ([1, 0, 1], "1", 2),
        ([True, False, True], "true", 2),
        (["Yes", "No", "Yes"], "yes", 2),
        (["Y", "N", "N"], None, 1),
        ([1.0, 0.0, 0.0], "1", 1),
        (["fraud", "ok", "ok"], "FRAUD", 1),
        ([True, False, False], "1", 1),
    ],
)
def test_positive_label_matches_as_text_case_insensitively(labels, positive, expected_positives):
    frame = pd.DataFrame({"score": [0.9, 0.5, 0.2], "label": labels})
    analysis, _ = run_analysis(frame, {"tp": "1"}, positive=positive)
    assert analysis.champion.curve.positives == expected_positives


def test_label_errors_name_the_values():
    frame = pd.DataFrame({"score": [0.9, 0.5, 0.2], "label": ["a", "b", "c"]})
    with pytest.raises(MappingError) as err:
        run_analysis(frame, {"tp": "1"})
    assert (
        str(err.value)
        == "label column 'label' has 3 distinct values ('a', 'b', 'c'); a label needs exactly two"
    )
    frame = pd.DataFrame({"score": [0.9, 0.5, 0.2], "label": ["fraud", "ok", "ok"]})
    with pytest.raises(MappingError) as err:
        run_analysis(frame, {"tp": "1"})
    assert (
        str(err.value)
        == "label column 'label' has values 'ok', 'fraud'; say which one is positive with --positive VALUE"
    )
    with pytest.raises(MappingError) as err:
        run_analysis(frame, {"tp": "1"}, positive="yes")
    assert (
        str(err.value)
        == "positive value 'yes' is not a value of label column 'label' (values: 'ok', 'fraud')"
    )


def test_missing_column_suggests_the_close_one():
    frame = pd.DataFrame({"score": [0.9], "label": [1]})
    with pytest.raises(MappingError) as err:
        run_analysis(frame, {"tp": "1"}, score="scroe")
    assert str(err.value) == "score column 'scroe' not found, did you mean 'score'?"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 20).map(lambda i: i / 20),
            st.booleans(),
            st.floats(-100, 100, allow_nan=False).map(lambda x: round(x, 2)),
        ),
        min_size=1,
        max_size=40,
    ),
    cost=st.floats(0, 20, allow_nan=False).map(lambda x: round(x, 2)),
)
def test_properties_of_every_curve(rows, cost):
    frame = pd.DataFrame(rows, columns=["score", "label", "amount"]).astype({"label": int})
    analysis, _ = run_analysis(
        frame, {"tp": "amount - c", "fp": "-c", "tn": "0", "fn": "-amount"}, {"c": cost}
    )
    curve = analysis.champion.curve
    # Counts always sum to the labelled rows, at every point.
    assert np.all(curve.tp + curve.fp + curve.tn + curve.fn == len(frame))
    # The optimum is worth at least as much as any threshold, and as both baselines.
    opt = analysis.champion.optimum
    assert opt.value >= curve.value.max() - 1e-6
    for t in [None, 0.0, 0.33, 0.5, 0.97, 1.0]:
        assert opt.value >= curve.at(t).value - 1e-6
    # The value at the optimum equals the row-by-row oracle.
    amount = frame.amount.to_numpy()
    oracle = brute_force_value(
        frame.score,
        frame.label == 1,
        opt.threshold,
        amount - cost,
        np.full(len(frame), -cost),
        np.zeros(len(frame)),
        -amount,
    )
    assert opt.value == pytest.approx(oracle, abs=1e-6)
    # Monotone counts: lowering the threshold never unflags a row.
    assert np.all(np.diff(curve.flagged) > 0)


def test_reread_gives_the_same_policies_as_a_new_analysis(frame):
    from dataclasses import replace

    from roistudio.core.engine.analysis import reread
    from roistudio.core.engine.constraints import Constraints

    base, _ = run_analysis(frame, PAYOFF, segments=("channel",))
    constraints = Constraints(max_flagged=100, min_precision=0.3)
    fresh, _ = run_analysis(frame, PAYOFF, segments=("channel",), constraints=constraints)
    reread_one = reread(base, replace(base.request, constraints=constraints))
    assert reread_one.policy == fresh.policy == "constrained"
    assert reread_one.operating.to_dict() == fresh.operating.to_dict()
    assert [g.operating.value for g in reread_one.segments["channel"]] == pytest.approx(
        [g.operating.value for g in fresh.segments["channel"]]
    )
    with pytest.raises(ValueError):
        reread(base, replace(base.request, period="month"))


def test_clustering_a_table_by_score_changes_no_number(frame):
    from roistudio.core.engine.sweep import cluster_by_score

    before, con = run_analysis(frame, PAYOFF)
    assert cluster_by_score(con, "data", "score")
    from roistudio.core.engine.analysis import analyse

    after = analyse(con, "data", before.request)
    assert after.champion.curve.value.tolist() == pytest.approx(before.champion.curve.value.tolist())
    assert con.execute('SELECT count(*) FROM "data"').fetchone()[0] == len(frame)


def test_champion_and_challenger_use_the_same_rows_when_a_score_is_excluded():
    frame = pd.DataFrame(
        {
            "score": [0.9, 0.8, 0.3, 0.2, 0.1],
            "challenger": [0.7, np.nan, 0.9, 1.5, 0.2],
            "label": [1, 0, 1, 0, 0],
        }
    )
    analysis, _ = run_analysis(
        frame, {"tp": "10", "fp": "-1"}, challenger_score="challenger", exclude_bad_scores=True
    )
    # Rows 2 and 4 have an unusable challenger score: both curves leave them out.
    assert analysis.champion.curve.rows == analysis.challenger.curve.rows == 3
    assert analysis.excluded_rows == 2
    assert analysis.champion.curve.thresholds[1:].tolist() == [0.9, 0.3, 0.1]
