"""The aggregated bootstrap against a plain row-level bootstrap on real data.

The reference resamples rows with replacement (multinomial weights: ``bincount`` of ``n`` uniform
row draws), computes every figure row by row with numpy, and re-optimises the threshold over every
distinct score. The aggregated method must agree: interval ends within 10% of the reference
interval's width, P(challenger better) within 0.03.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from roistudio.core.data.importer import import_file
from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.engine.bootstrap import bootstrap, percentile_interval, threshold_interval
from roistudio.core.engine.decision import recommendation, verdict
from roistudio.core.engine.filters import Filters
from roistudio.core.errors import Cancelled, RoiError
from roistudio.core.payoff.language import parse_payoff
from roistudio.core.project.demo import DEMO_PARAMETERS, DEMO_PAYOFF, demo_data_path
from tests.helpers import TEST_DATA, demo_row_payoffs

REPLICATES = 2000
C, R, D = 1.0, 0.02463333, 0.25


def _row_weights(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` x ``n`` multinomial resampling weights: how often each row was drawn."""
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(size)]).astype(float)


def row_bootstrap(scores, y, v_flag, v_keep, held: dict[str, float | None], replicates, seed, pairs=()):
    """Row-level bootstrap: values at held thresholds, best value's threshold re-optimised.

    ``held`` names thresholds (None = flag nobody) of the first score array; ``pairs`` are
    (name, scores, threshold) for other score columns on the same rows, read on the same draw.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    order = np.argsort(-scores, kind="stable")
    s_sorted = scores[order]
    starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    distinct = s_sorted[starts]
    gain = (v_flag - v_keep)[order]

    def policy(thr, sc=scores):
        flagged = np.zeros(n, bool) if thr is None else sc >= thr
        return np.where(flagged, v_flag, v_keep)

    policies = {k: policy(t) for k, t in held.items()}
    policies["nobody"] = v_keep
    policies["everyone"] = v_flag
    for name, sc, thr in pairs:
        policies[name] = policy(thr, sc)
    out: dict[str, list] = {k: [] for k in [*policies, "best_threshold"]}
    done = 0
    while done < replicates:
        size = min(200, replicates - done)
        w = _row_weights(n, size, rng)
        for k, x in policies.items():
            out[k].append(w @ x)
        per_score = np.add.reduceat(w[:, order] * gain, starts, axis=1)
        values = np.c_[w @ v_keep, (w @ v_keep)[:, None] + np.cumsum(per_score, axis=1)]
        best = values.max(axis=1, keepdims=True)
        thresholds = np.r_[np.nan, distinct]
        out["best_threshold"].append(thresholds[np.argmax(values >= best - 1e-6, axis=1)])
        done += size
    return {k: np.concatenate(v) for k, v in out.items()}


def _close(ours, ref, what):
    width = ref.high - ref.low
    assert width > 0, what
    assert abs(ours.low - ref.low) <= 0.1 * width, (what, ours, ref)
    assert abs(ours.high - ref.high) <= 0.1 * width, (what, ours, ref)


@pytest.fixture(scope="module")
def bank():
    con = duckdb.connect()
    import_file(con, TEST_DATA / "bank_marketing_scored.csv", table="data")
    payoff = parse_payoff(
        {"tp": "-c", "fp": "-c", "tn": "0", "fn": "-max(r * d * balance_eur, c)"},
        {"c": C, "r": R, "d": D},
        table_columns(con, "data"),
    )
    mapping = ColumnMapping(score="p_subscribe", label="subscribed", positive="yes")
    analysis = analyse(
        con, "data", AnalysisRequest(mapping=mapping, payoff=payoff, threshold=0.2, use_threshold=True)
    )
    frame = pd.read_csv(TEST_DATA / "bank_marketing_scored.csv", dtype={"client_id": str})
    return con, analysis, frame


def test_bank_intervals_agree_with_row_level_bootstrap(bank):
    con, analysis, frame = bank
    ours = bootstrap(con, analysis, replicates=REPLICATES, confidence=0.9, seed=7)
    y = (frame.subscribed == "yes").to_numpy()
    fn = -np.maximum(R * D * frame.balance_eur.to_numpy(dtype=float), C)
    v_flag = np.full(len(frame), -C)
    v_keep = np.where(y, fn, 0.0)
    ref = row_bootstrap(
        frame.p_subscribe.to_numpy(dtype=float), y, v_flag, v_keep, {"operating": 0.2}, REPLICATES, seed=11
    )
    _close(ours.operating_value, percentile_interval(ref["operating"], 0.9), "operating value")
    ref_vom = ref["operating"] - np.maximum(ref["nobody"], ref["everyone"])
    _close(ours.value_of_model, percentile_interval(ref_vom, 0.9), "value of model")
    ref_thr = threshold_interval(ref["best_threshold"], 0.9)
    _close(ours.optimal_threshold, ref_thr, "best threshold")
    # The point figures are the analysis's, and sit inside their intervals.
    assert ours.operating_value.low < analysis.operating.value < ours.operating_value.high


@pytest.fixture(scope="module")
def demo_month():
    con = duckdb.connect()
    import_file(con, demo_data_path(), table="data", materialize=False)
    payoff = parse_payoff(DEMO_PAYOFF, DEMO_PARAMETERS, table_columns(con, "data"))
    mapping = ColumnMapping(
        score="champion_score", label="is_fraud", positive="1", challenger_score="challenger_score",
        timestamp="event_time",
    )  # fmt: skip
    filters = Filters({}, "2026-02-01", "2026-03-01")
    analysis = analyse(con, "data", AnalysisRequest(mapping=mapping, payoff=payoff, filters=filters))
    frame = pd.read_parquet(demo_data_path())
    frame = frame[
        (frame.event_time >= "2026-02-01") & (frame.event_time < "2026-03-01") & frame.is_fraud.notna()
    ]
    return con, analysis, frame


def test_demo_paired_comparison_agrees_with_row_level_bootstrap(demo_month):
    con, analysis, frame = demo_month
    comp = analysis.comparison
    ours = bootstrap(con, analysis, replicates=REPLICATES, seed=3)
    y = frame.is_fraud.to_numpy(dtype=float) == 1
    pay = demo_row_payoffs(frame.amount.to_numpy(dtype=float), DEMO_PARAMETERS)
    v_flag, v_keep = np.where(y, pay["tp"], pay["fp"]), np.where(y, pay["fn"], pay["tn"])
    champ = frame.champion_score.to_numpy(dtype=float)
    chall = frame.challenger_score.to_numpy(dtype=float)
    ref = row_bootstrap(
        champ, y, v_flag, v_keep,
        {"best": comp.champion.optimum.threshold, "operating": comp.common_threshold},
        REPLICATES, seed=5,
        pairs=[("ch_best", chall, comp.challenger.optimum.threshold),
               ("ch_common", chall, comp.common_threshold)],
    )  # fmt: skip
    diff_best = ref["ch_best"] - ref["best"]
    _close(ours.difference_at_best, percentile_interval(diff_best, 0.9), "difference at best")
    _close(ours.difference_at_common, percentile_interval(ref["ch_common"] - ref["operating"], 0.9), "common")
    p_ref = float(np.mean(diff_best > 0))
    assert 0.05 < p_ref < 0.995  # a comparison that is not a foregone conclusion
    assert abs(ours.p_challenger_better - p_ref) <= 0.03
    _close(ours.operating_value, percentile_interval(ref["operating"], 0.9), "operating value")


def test_seed_reproducible_and_changes(demo_month):
    con, analysis, _ = demo_month
    a = bootstrap(con, analysis, replicates=200, seed=1)
    b = bootstrap(con, analysis, replicates=200, seed=1)
    c = bootstrap(con, analysis, replicates=200, seed=2)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict() != c.to_dict()


def test_same_seed_same_intervals_whatever_the_thread_count(demo_month, monkeypatch):
    """Chunks draw from generators spawned from the seed: one thread or two, the same replicates."""
    from roistudio.core.engine import bootstrap_cells

    con, analysis, _ = demo_month
    two = bootstrap(con, analysis, replicates=350, seed=5)
    monkeypatch.setattr(bootstrap_cells, "WORKERS", 1)
    one = bootstrap(con, analysis, replicates=350, seed=5)
    assert one.to_dict() == two.to_dict()
    for key, values in two.samples.items():
        np.testing.assert_array_equal(one.samples[key], values, err_msg=key)
    # Chunk i's draws are child i of the seed: the first 100 replicates of 350 and of 100 agree.
    short = bootstrap(con, analysis, replicates=100, seed=5)
    np.testing.assert_array_equal(short.samples["operating_value"], two.samples["operating_value"][:100])


def test_cancel_between_chunks_stops_the_threads(demo_month):
    import threading

    con, analysis, _ = demo_month

    class StopAfterTwo:
        calls = 0

        def progress(self, fraction, text=""):
            pass

        def cancelled(self):
            self.calls += 1
            return self.calls > 4

    with pytest.raises(Cancelled):
        bootstrap(con, analysis, replicates=1000, progress=StopAfterTwo())
    assert not [t for t in threading.enumerate() if t.name.startswith("roistudio-bootstrap")]


def test_constant_payoff_cells_are_exact_counts():
    """With constant payoffs a cell's sums are count x payoff: the replicate values are exact."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"score": rng.integers(0, 20, 3000) / 20.0, "label": rng.random(3000) < 0.3})
    from tests.helpers import run_analysis

    analysis, con = run_analysis(frame, {"tp": "10", "fp": "-3", "tn": "0", "fn": "-5"})
    result = bootstrap(con, analysis, replicates=300, seed=4)
    # Every replicate value is an integer combination of the payoffs, rescaled to 3000 rows.
    assert np.all(np.isfinite(result.samples["operating_value"]))
    lo, hi = result.operating_value.low, result.operating_value.high
    assert lo < analysis.operating.value < hi


def test_verdict_cut_offs_and_text(demo_month):
    assert verdict(0.95) == "promote"
    assert verdict(0.949) == "inconclusive"
    assert verdict(0.05) == "keep"
    assert verdict(0.5, promote_at=0.6) == "inconclusive"
    assert verdict(0.6, promote_at=0.6) == "promote"
    assert verdict(None) is None
    con, analysis, _ = demo_month
    result = bootstrap(con, analysis, replicates=300, seed=1)
    rec = recommendation(analysis, result)
    assert rec["challenger_verdict"] == verdict(result.p_challenger_better)
    assert rec["text"].endswith(").") or rec["text"].endswith("switching.")


def test_bad_options_and_cancel(bank):
    con, analysis, _ = bank
    with pytest.raises(RoiError, match="--confidence expects a fraction"):
        bootstrap(con, analysis, replicates=10, confidence=1.5)
    with pytest.raises(RoiError, match="--bootstrap expects"):
        bootstrap(con, analysis, replicates=-1)

    class Stop:
        def progress(self, fraction, text=""):
            pass

        def cancelled(self):
            return True

    with pytest.raises(Cancelled):
        bootstrap(con, analysis, replicates=10, progress=Stop())


def test_segment_intervals_agree_with_row_level_bootstrap(bank):
    """Per segment value, at the held operating threshold: the same agreement as the totals."""
    from dataclasses import replace

    from roistudio.core.engine.group_bootstrap import group_intervals

    con, analysis, frame = bank
    request = replace(
        analysis.request, mapping=replace(analysis.request.mapping, segments=("contact_channel",))
    )
    by_channel = analyse(con, "data", request)
    ours = dict(
        group_intervals(con, by_channel, replicates=REPLICATES, confidence=0.9, seed=8)[
            "segment:contact_channel"
        ]
    )
    y = (frame.subscribed == "yes").to_numpy()
    fn = -np.maximum(R * D * frame.balance_eur.to_numpy(dtype=float), C)
    flagged = frame.p_subscribe.to_numpy(dtype=float) >= 0.2
    value = np.where(flagged, -C, np.where(y, fn, 0.0))
    channel = frame.contact_channel.fillna("(missing)").to_numpy()
    rng = np.random.default_rng(12)
    keys = sorted(set(channel))
    per_key = {k: [] for k in keys}
    for _ in range(REPLICATES // 200):
        w = _row_weights(len(frame), 200, rng)
        for k in keys:
            per_key[k].append(w @ np.where(channel == k, value, 0.0))
    assert sorted(ours) == keys
    for k in keys:
        _close(ours[k], percentile_interval(np.concatenate(per_key[k]), 0.9), k)


def test_model_column_draw_is_the_pooled_row_bootstrap(demo_month):
    """A model column whose models score different rows (an A/B split of the demo month): the
    comparison is one row-level bootstrap over the pooled rows, each row drawn on its own; the
    reference resamples the union of both models' rows (multinomial) and reads each model's
    value at its held best threshold on its own rows."""
    _, _, month = demo_month
    rng = np.random.default_rng(8)
    is_b = rng.random(len(month)) < 0.5
    frame = pd.DataFrame(
        {
            "score": np.where(is_b, month.challenger_score, month.champion_score).astype(float),
            "model": np.where(is_b, "B", "A"),
            "is_fraud": month.is_fraud.to_numpy(dtype=float),
            "amount": month.amount.to_numpy(dtype=float),
        }
    )
    con = duckdb.connect()
    con.register("f", frame)
    con.execute("CREATE TABLE data AS SELECT * FROM f")
    payoff = parse_payoff(DEMO_PAYOFF, DEMO_PARAMETERS, table_columns(con, "data"))
    mapping = ColumnMapping(score="score", label="is_fraud", positive="1", model="model", champion="A")
    analysis = analyse(con, "data", AnalysisRequest(mapping=mapping, payoff=payoff))
    comp = analysis.comparison
    ours = bootstrap(con, analysis, replicates=REPLICATES, seed=3)

    y = frame.is_fraud.to_numpy() == 1
    pay = demo_row_payoffs(frame.amount.to_numpy(), DEMO_PARAMETERS)
    v_flag, v_keep = np.where(y, pay["tp"], pay["fp"]), np.where(y, pay["fn"], pay["tn"])
    scores = frame.score.to_numpy()

    def policy(mine, threshold):
        flagged = np.zeros(len(y), bool) if threshold is None else scores >= threshold
        return np.where(mine, np.where(flagged, v_flag, v_keep), 0.0)

    champion = policy(~is_b, comp.champion.optimum.threshold)
    challenger = policy(is_b, comp.challenger.optimum.threshold)
    weights = _row_weights(len(y), REPLICATES, np.random.default_rng(5))
    diff = weights @ challenger - weights @ champion
    _close(ours.difference_at_best, percentile_interval(diff, 0.9), "difference at best (pooled rows)")
    assert abs(ours.p_challenger_better - float(np.mean(diff > 0))) <= 0.03


@pytest.fixture(scope="module")
def demo_february_long():
    """The demo's February rows, wide (two score columns) and long (a model column, an id)."""
    frame = pd.read_parquet(demo_data_path())
    wide = frame[(frame.event_time >= "2026-02-01") & (frame.event_time < "2026-03-01")]
    keep = ["transaction_id", "amount", "is_fraud"]
    long = pd.concat(
        [
            wide[keep].assign(model="champion", score=wide.champion_score),
            wide[keep].assign(model="challenger", score=wide.challenger_score),
        ]
    )
    con = duckdb.connect()
    for name, data in (("wide", wide), ("long", long)):
        con.register("f", data)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM f")
        con.unregister("f")
    payoff = parse_payoff(DEMO_PAYOFF, DEMO_PARAMETERS, table_columns(con, "wide"))

    def run(table: str, **mapping: str):
        fields = dict(label="is_fraud", positive="1", **mapping)
        return analyse(con, table, AnalysisRequest(mapping=ColumnMapping(**fields), payoff=payoff))

    return con, run


def test_a_model_column_is_paired_by_its_id_column(demo_february_long):
    """Both models scored every February transaction, exported long with the transaction id:
    the draw pairs each transaction's two rows, so the comparison is the two-score-column one
    (same cells, same seed: the same replicates), narrower than the pooled draw without the id."""
    con, run = demo_february_long
    wide = bootstrap(con, run("wide", score="champion_score", challenger_score="challenger_score"), seed=3)
    long_mapping = dict(score="score", model="model", champion="champion")
    paired = bootstrap(con, run("long", id="transaction_id", **long_mapping), seed=3)
    pooled = bootstrap(con, run("long", **long_mapping), seed=3)
    for figure in ("difference_at_best", "difference_at_common"):
        mine, ref = getattr(paired, figure), getattr(wide, figure)
        assert (mine.low, mine.high) == pytest.approx((ref.low, ref.high), rel=1e-9)
    # Equal but for replicates whose difference is within float rounding of zero (the cells'
    # sums come from a parallel aggregation, equal to the last bits only).
    assert paired.p_challenger_better == pytest.approx(wide.p_challenger_better, abs=2 / 1000)
    width = paired.difference_at_best.high - paired.difference_at_best.low
    assert pooled.difference_at_best.high - pooled.difference_at_best.low > 1.2 * width


def test_an_id_that_does_not_name_one_event_falls_back_to_the_pooled_draw(demo_february_long):
    """Two rows of one model under one id (here: every id the same) cannot be paired by it."""
    con, run = demo_february_long
    con.execute("CREATE OR REPLACE TABLE long_same_id AS SELECT * REPLACE ('x' AS transaction_id) FROM long")
    long_mapping = dict(score="score", model="model", champion="champion")
    with_id = bootstrap(con, run("long_same_id", id="transaction_id", **long_mapping), seed=3, replicates=300)
    pooled = bootstrap(con, run("long", **long_mapping), seed=3, replicates=300)
    assert with_id.to_dict() == pooled.to_dict()
