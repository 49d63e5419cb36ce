"""Period keys and period labels in calendar order, missing last."""

from __future__ import annotations

from roistudio.core.data.period_order import label_sort_key, period_sort_key
from roistudio.core.data.profile import MISSING_KEY


def test_sort_keys_follow_the_calendar_and_put_missing_last():
    months = ["Dec", MISSING_KEY, "Jan", "May", "Feb"]
    assert sorted(months, key=period_sort_key) == ["Jan", "Feb", "May", "Dec", MISSING_KEY]
    assert sorted(["Q4", "Q1", MISSING_KEY, "Q2"], key=period_sort_key) == ["Q1", "Q2", "Q4", MISSING_KEY]
    dates = ["2026-03-01", MISSING_KEY, "2025-12-01"]
    assert sorted(dates, key=period_sort_key) == ["2025-12-01", "2026-03-01", MISSING_KEY]
    labels = ["oct", "may", "Q1 2026", "jan", "2025-Q4"]
    assert sorted(["oct", "may", "jan", "aug", "(missing)"], key=label_sort_key) == [
        "jan", "may", "aug", "oct", "(missing)",
    ]  # fmt: skip
    assert sorted(labels[2:], key=label_sort_key) == ["jan", "2025-Q4", "Q1 2026"]
