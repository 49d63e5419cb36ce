"""Periods in calendar order: period keys (``2026-04-01``, ``Jan``, ``Q1``, ``FY2026 Q2``) and labels.

Keys are what the sweep groups by (:meth:`roistudio.core.data.periods.TimeColumn.key_sql`);
labels are text values of a time column already in memory (segment names in a view). Both
sort in calendar order, ``(missing)`` last.
"""

from __future__ import annotations

import re
from typing import Any

from roistudio.core.data.periods import _QUARTER, _YEAR_MONTH, MONTH_NAMES, MONTH_SPELLINGS
from roistudio.core.data.profile import MISSING_KEY

_QUARTER_KEY = re.compile(r"^Q([1-4])$")
_MONTH_INDEX = {name: i for i, name in enumerate(MONTH_NAMES)}


def period_sort_key(key: str) -> tuple[Any, ...]:
    """Sort key putting period keys in calendar order, ``(missing)`` last.

    ISO dates and fiscal names sort as text (which is calendar order for them); month names
    without a year (``Jan``) and quarters without a year (``Q1``) by their number.
    """
    if key == MISSING_KEY:
        return (2, 0, key)
    if key in _MONTH_INDEX:
        return (0, _MONTH_INDEX[key], key)
    m = _QUARTER_KEY.match(key)
    if m:
        return (0, int(m.group(1)), key)
    return (1, 0, key)


def period_key_order(keys: list[str]) -> list[str]:
    """``keys`` in calendar order (see :func:`period_sort_key`)."""
    return sorted(keys, key=period_sort_key)


def label_sort_key(text: str) -> tuple[Any, ...]:
    """Calendar sort key for a period label of a text form (``may`` before ``jun``), in Python.

    For the few values already in memory (segment names in a view); columns in the database are
    inspected in SQL by :func:`inspect_time_column`. Month names sort by month, ``2026-05`` and
    quarter labels by year then month; other text (ISO weeks and fiscal labels already sort by
    their text) after them, by text.
    """
    t = text.strip().lower()
    if t in MONTH_SPELLINGS:
        return (0, 0, MONTH_SPELLINGS[t], t)
    m = re.match(_YEAR_MONTH[0], t)
    if m:
        return (0, int(m.group(1)), int(m.group(2)), t)
    for pattern, (gy, gq) in zip(_QUARTER, ((1, 2), (2, 1)), strict=True):
        m = re.match(pattern, t)
        if m:
            return (0, int(m.group(gy)), 3 * int(m.group(gq)) - 2, t)
    return (1, 0, 0, t)


def period_sort_text(key: str) -> str:
    """:func:`period_sort_key` as text that sorts the same way (for a table's text sort role)."""
    rank, number, text = period_sort_key(key)
    return f"{rank}{number:02d}{text}"


def label_sort_text(text: str) -> str:
    """:func:`label_sort_key` as text that sorts the same way (for a table's text sort role)."""
    rank, year, month, low = label_sort_key(text)
    return f"{rank}{year:04d}{month:02d}{low}"
