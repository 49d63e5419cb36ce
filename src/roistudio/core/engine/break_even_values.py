"""Where the value of the model crosses zero as one parameter moves over its range.

Two root finders behind a parameter's break-even values (:mod:`roistudio.core.engine.sensitivity`):
exact for payoffs linear in the parameter (the value of the model is then the minimum of a few
lines, so concave, and crosses zero at most twice), and a grid bracketing refined by repeated
k-section for other payoffs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_GRID = 48  # bracketing grid for break-even values of payoffs not linear in their parameters


def piecewise_linear_roots(lines: list[tuple[float, float]], low: float, high: float) -> tuple[float, ...]:
    """Where ``op - max(baselines)`` crosses zero on [low, high]; each line is ``a + b p``.

    The function is the minimum of the lines ``op - baseline``, so it is concave and crosses zero
    at most twice. A stretch where it is identically zero is no crossing.
    """
    (a_op, b_op), *baselines = lines
    gaps = [(a_op - a, b_op - b) for a, b in baselines]
    found = []
    for i, (a, b) in enumerate(gaps):
        if b == 0.0:
            continue
        p = -a / b
        if not low - 1e-12 * max(1.0, abs(low)) <= p <= high + 1e-12 * max(1.0, abs(high)):
            continue
        scale = max(1.0, abs(a), abs(b * p))
        # A root of this line is a root of the minimum only where no other line is below zero.
        if all(oa + ob * p >= -1e-9 * scale for j, (oa, ob) in enumerate(gaps) if j != i):
            found.append(p)
    found.sort()
    out: list[float] = []
    for p in found:
        if not out or abs(p - out[-1]) > 1e-9 * max(1.0, abs(p)):
            out.append(float(p))
    return tuple(out)


def bracketed_roots(
    evaluate: Callable[[np.ndarray], np.ndarray], low: float, high: float
) -> tuple[float, ...]:
    """Sign changes of ``evaluate`` on a grid over [low, high], each narrowed by k-section."""
    grid = np.linspace(low, high, _GRID + 1)
    g = evaluate(grid)
    roots = [float(grid[i]) for i in np.flatnonzero(g == 0.0)]
    brackets = [(grid[i], grid[i + 1]) for i in np.flatnonzero(g[:-1] * g[1:] < 0)]
    for a, b in brackets:
        for _ in range(12):  # each round shrinks the bracket 17-fold
            points = np.linspace(a, b, 18)
            values = evaluate(points)
            change = np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:]))
            if len(change) == 0:
                break
            k = int(change[0])
            a, b = points[k], points[k + 1]
            if b - a <= 1e-12 * max(1.0, abs(a)):
                break
        roots.append(float((a + b) / 2))
    return tuple(sorted(roots))
