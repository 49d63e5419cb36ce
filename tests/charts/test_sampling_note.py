"""A curve drawn from a sample of its thresholds says so under the axis."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from roistudio.charts import curves as charts
from roistudio.core.engine.curve import Curve
from roistudio.core.engine.results import ModelResult


def _model(n: int) -> ModelResult:
    rng = np.random.default_rng(0)
    scores = np.linspace(0, 1, n)
    pos = rng.integers(0, 3, n)
    neg = rng.integers(0, 3, n)
    curve = Curve.from_score_aggregates(
        scores, pos, neg, tp_value=pos * 10.0, fp_value=neg * -5.0, tn_value=np.zeros(n), fn_value=pos * -10.0
    )
    best = curve.optimum()
    return ModelResult("score", "score", curve, best, None, best, (), ())


def test_sampled_curve_is_labelled_and_a_small_one_is_not(monkeypatch):
    monkeypatch.setattr(charts, "MAX_POINTS", 50)
    for n in (48, 49, 50, 51):
        model = _model(n)
        ax = Figure().add_subplot()
        charts.draw_value_curve(ax, model)
        drawn = max(len(line.get_xdata()) for line in ax.lines)  # the curve, not a marker
        label = ax.get_xlabel()
        if n < 50:  # 49 thresholds + flag nobody fit in 50 points: every threshold is drawn
            assert drawn == n and "line drawn" not in label
        else:
            assert drawn == 49
            assert label.endswith(
                f"line drawn through 49 of {n} thresholds; marked points and figures are exact"
            )
