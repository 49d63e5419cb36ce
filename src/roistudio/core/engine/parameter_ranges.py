"""A payoff parameter's plausible low and high values (``--range NAME=LOW:HIGH``, ``Project.ranges``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from roistudio.core.engine.analysis import Analysis
from roistudio.core.errors import RoiError


@dataclass(frozen=True)
class ParameterRange:
    """A parameter's plausible low and high values."""

    name: str
    low: float
    high: float


def parse_range(text: str) -> ParameterRange:
    """``NAME=LOW:HIGH`` -> :class:`ParameterRange` (one clear line when malformed)."""
    name, sep, rest = text.partition("=")
    low_text, colon, high_text = rest.partition(":")
    if not sep or not colon or not name.strip():
        raise RoiError(f"--range expects NAME=LOW:HIGH, got '{text}'")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise RoiError(f"--range expects numbers in NAME=LOW:HIGH, got '{text}'") from None
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise RoiError(f"--range needs finite LOW < HIGH, got '{text}'")
    return ParameterRange(name.strip(), low, high)


def check_ranges(analysis: Analysis, ranges: Sequence[ParameterRange]) -> None:
    """Refuse a range for a parameter the payoff does not have, or a parameter ranged twice."""
    known = analysis.request.payoff.parameters
    seen = set()
    for r in ranges:
        if r.name not in known:
            names = ", ".join(sorted(known)) or "none"
            raise RoiError(f"--range {r.name}: no such parameter (the payoff's parameters: {names})")
        if r.name in seen:
            raise RoiError(f"--range {r.name} is given twice")
        seen.add(r.name)
