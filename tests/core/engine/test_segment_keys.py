"""Segment keys: a literal "(missing)" value never merges with the rows that have no value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from roistudio.core.engine.filters import Filters
from tests.helpers import run_analysis


def _frame() -> pd.DataFrame:
    # 3 missing (NULL or blank), 2 literal "(missing)", 1 quoted '"(missing)"', 4 "north".
    seg = [None, "", "  ", "(missing)", " (missing) ", '"(missing)"', "north", "north", "north", "north"]
    return pd.DataFrame(
        {
            "score": np.linspace(0.1, 0.9, len(seg)),
            "label": [1, 0] * 5,
            "amount": np.arange(1.0, len(seg) + 1),
            "seg": seg,
        }
    )


def test_a_literal_missing_value_is_its_own_segment():
    analysis, _ = run_analysis(_frame(), {"tp": "amount", "fn": "-amount"}, segments=("seg",))
    rows = {g.key: g.rows for g in analysis.segments["seg"]}
    assert rows == {"(missing)": 3, '"(missing)"': 2, '""(missing)""': 1, "north": 4}


def test_a_filter_on_a_key_keeps_exactly_that_segment_s_rows():
    frame = _frame()
    for key, expected in (("(missing)", [0, 1, 2]), ('"(missing)"', [3, 4]), ("north", [6, 7, 8, 9])):
        analysis, _ = run_analysis(frame, {"tp": "amount", "fn": "-amount"}, filters=Filters({"seg": (key,)}))
        kept = frame.iloc[expected]
        assert analysis.champion.curve.rows == len(kept)
        # Flag nobody: every positive is a FN worth -amount.
        assert analysis.champion.flag_nobody.value == -kept.loc[kept.label == 1, "amount"].sum()
