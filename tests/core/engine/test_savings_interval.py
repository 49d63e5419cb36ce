"""The savings ratio's bootstrap interval: hand-worked replicates, and the bank data against a
row-level bootstrap (each replicate's ratio of its own sums, as the reference computes it row by row).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from roistudio.core.engine.bootstrap import bootstrap, percentile_interval
from roistudio.core.engine.intervals import savings_interval
from tests.core.engine.test_bootstrap import REPLICATES, C, D, R, _close, row_bootstrap
from tests.core.engine.test_bootstrap import bank as bank


def test_savings_interval_hand_worked():
    # Five replicates of (operating value v, value of the model m): the better baseline is worth
    # v - m, so it costs m - v, and the ratio saved is m / (m - v).
    v = np.array([-60.0, -50.0, -40.0, -70.0, -55.0])
    m = np.array([20.0, 30.0, 40.0, 10.0, 25.0])
    ratios = [20 / 80, 30 / 80, 40 / 80, 10 / 80, 25 / 80]  # 0.25 0.375 0.5 0.125 0.3125
    assert sorted(ratios) == [0.125, 0.25, 0.3125, 0.375, 0.5]
    got = savings_interval(v, m, 0.5)  # 25th and 75th percentiles, linear between order statistics
    assert got.low == pytest.approx(0.25) and got.high == pytest.approx(0.375)
    got = savings_interval(v, m, 0.9)  # 5th: 0.125 + 0.2 * 0.125; 95th: 0.375 + 0.8 * 0.125
    assert got.low == pytest.approx(0.15) and got.high == pytest.approx(0.475)
    # A replicate whose better baseline costs nothing: the ratio is no share of a cost, no interval.
    assert savings_interval(np.array([-10.0, 5.0]), np.array([5.0, 5.0]), 0.9) is None


def test_bank_savings_interval_agrees_with_a_row_level_bootstrap(bank):
    con, analysis, frame = bank
    ours = bootstrap(con, analysis, replicates=REPLICATES, confidence=0.9, seed=7)
    y = (frame.subscribed == "yes").to_numpy()
    fn = -np.maximum(R * D * frame.balance_eur.to_numpy(dtype=float), C)
    v_flag = np.full(len(frame), -C)
    v_keep = np.where(y, fn, 0.0)
    ref = row_bootstrap(
        frame.p_subscribe.to_numpy(dtype=float), y, v_flag, v_keep, {"operating": 0.2}, REPLICATES, seed=11
    )
    # Row by row: the better baseline of each replicate, and the ratio of that replicate's sums.
    baseline = np.maximum(ref["nobody"], ref["everyone"])
    ref_ratio = (ref["operating"] - baseline) / -baseline
    _close(ours.savings, percentile_interval(ref_ratio, 0.9), "savings ratio")
    assert ours.savings.low < analysis.champion.savings < ours.savings.high
    # In the JSON's uncertainty block, next to the other intervals.
    block = json.loads(json.dumps(ours.to_dict()))
    assert block["savings"] == {"low": ours.savings.low, "high": ours.savings.high}
