"""Label-delay charts: realised bars and estimates drawn apart; the reliability points where the bins are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from roistudio.charts.calibration import ESTIMATE_TEXT, draw_estimate_by_period, draw_reliability
from roistudio.core.engine.estimate import estimate_label_delay
from tests.helpers import run_analysis


def _label_delay():
    rng = np.random.default_rng(5)
    n = 2000
    frame = pd.DataFrame(
        {
            "score": np.round(rng.random(n), 2),
            "amount": np.round(rng.lognormal(3, 1, n), 2),
            "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
        }
    )
    frame["label"] = (rng.random(n) < frame["score"] ** 2).astype(float)
    frame.loc[frame["ts"] >= "2026-03-01", "label"] = np.nan
    payoff = {"tp": "amount - 5", "fp": "-5", "tn": "0", "fn": "-amount"}
    analysis, con = run_analysis(frame, payoff, timestamp="ts", period="month")
    return analysis, estimate_label_delay(con, analysis)


def test_estimate_chart_draws_realised_and_estimate_apart():
    analysis, ld = _label_delay()
    estimates = ld.periods_at(analysis.operating.threshold)
    ax = Figure().add_subplot()
    draw_estimate_by_period(ax, analysis.periods, estimates, period="month")
    bars = [p for p in ax.patches if p.get_height() != 0]
    solid = [b for b in bars if b.get_facecolor()[3] > 0]
    hollow = [b for b in bars if b.get_facecolor()[3] == 0]
    # Two labelled months as solid bars at their realised values per 1,000 labelled rows; March
    # (no label yet) as a dashed, hatched outline at its estimate per 1,000 of its rows.
    expected = sorted(g.operating.value * 1000 / g.rows for g in analysis.periods[:2])
    assert sorted(b.get_height() for b in solid) == pytest.approx(expected)
    assert len(hollow) == 1 and hollow[0].get_hatch() == "///" and hollow[0].get_linestyle() == "--"
    march = analysis.periods[2]
    assert estimates["2026-03-01"].rows == march.unlabeled > 0
    assert hollow[0].get_height() == pytest.approx(estimates["2026-03-01"].value * 1000 / march.unlabeled)
    assert ax.get_ylabel() == "Value per 1,000 rows ($)"
    totals = Figure().add_subplot()
    draw_estimate_by_period(totals, analysis.periods, estimates, period="month", per_1000=False)
    heights = sorted(p.get_height() for p in totals.patches if p.get_height() != 0)
    assert heights == pytest.approx(sorted([*(g.operating.value for g in analysis.periods[:2]),
                                            estimates["2026-03-01"].value]))  # fmt: skip
    assert any(t.get_text() == ESTIMATE_TEXT for t in ax.texts)
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert names == [
        "realised",
        "estimate (labels not yet known)",
        "estimate on labelled periods (track record)",
    ]


def test_reliability_points_are_the_bins():
    _, ld = _label_delay()
    ax = Figure().add_subplot()
    draw_reliability(ax, ld.calibration)
    offsets = ax.collections[0].get_offsets()
    bins = ld.calibration.bins
    np.testing.assert_allclose(offsets[:, 0], [b.mean_score for b in bins])
    np.testing.assert_allclose(offsets[:, 1], [b.observed_rate for b in bins])
    assert ax.get_title(loc="left").startswith("Brier score ")
