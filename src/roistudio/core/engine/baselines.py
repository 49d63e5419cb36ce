"""Policies that need no model, and the one the value of a model is measured against.

Conventions (fixed; tests pin them): flag nobody (doing nothing) is always a baseline. Flag
everyone is compared only when it meets the constraints; when it does not, but flagging fewer
rows at random would, "flag N at random" is compared, N the most labelled rows the limits allow,
whose expected value is exact from the totals, ``nobody + N / R * (everyone - nobody)``, since
each labelled row is flagged with probability ``N / R``. The better baseline is the most
valuable of those allowed; flag nobody wins a tie. The value of the model is the value at the
operating threshold minus the better allowed baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from roistudio.core.engine.constraints import Constraints, feasible
from roistudio.core.engine.curve import TIE_TOLERANCE, Curve


@dataclass(frozen=True)
class Baseline:
    """A policy that needs no model: flag nobody, flag everyone, or flag N rows at random.

    Attributes
    ----------
    kind
        ``"flag_nobody"``, ``"flag_everyone"`` or ``"flag_random"``.
    value
        Its value (for ``flag_random`` the expected value over random draws of N rows).
    flagged
        Labelled rows it flags (N for ``flag_random``).
    threshold
        The curve threshold that realises it (``None`` for flag nobody and flag at random).
    """

    kind: str
    value: float
    flagged: int
    threshold: float | None = None

    @property
    def label(self) -> str:
        """The policy in words: ``flag nobody``, ``flag everyone``, ``flag 1,000 at random``."""
        if self.kind == "flag_random":
            return f"flag {self.flagged:,} at random"
        return self.kind.replace("_", " ")


def random_capacity(curve: Curve, constraints: Constraints) -> int | None:
    """The most labelled rows a random pick may flag and still meet ``constraints`` in expectation.

    Flagging ``n`` of ``R`` labelled rows at random flags each row with probability
    ``n / R``: expected precision is the base rate ``positives / R``, expected recall and
    false positive rate are both ``n / R``. ``None`` when no ``n >= 1`` meets the limits.
    """
    rows = curve.rows
    if rows == 0:
        return None
    n = rows
    c = constraints
    if c.max_flagged is not None:
        n = min(n, int(c.max_flagged))
    if c.max_flag_rate is not None:
        n = min(n, math.floor(c.max_flag_rate * rows + 1e-9))
    if c.max_fpr is not None:
        n = min(n, math.floor(c.max_fpr * rows + 1e-9))
    if c.min_precision is not None and curve.positives / rows < c.min_precision - 1e-12:
        return None
    if c.min_recall is not None and n / rows < c.min_recall - 1e-12:
        return None
    return n if n >= 1 else None


def allowed_baselines(curve: Curve, constraints: Constraints | None = None) -> tuple[Baseline, ...]:
    """The policies that need no model and that ``constraints`` allow, flag nobody first.

    See the module docstring for which are compared and the expected value of "flag N at
    random".
    """
    nobody = Baseline("flag_nobody", float(curve.value[0]), 0)
    everyone_point = curve.flag_everyone()
    everyone = Baseline(
        "flag_everyone", everyone_point.value, everyone_point.flagged, everyone_point.threshold
    )
    if constraints is None or constraints.is_empty() or bool(feasible(curve, constraints)[-1]):
        return (nobody, everyone)
    n = random_capacity(curve, constraints)
    if n is None or n >= curve.rows:
        return (nobody,)
    expected = nobody.value + n / curve.rows * (everyone.value - nobody.value)
    return (nobody, Baseline("flag_random", expected, n))


def better_allowed_baseline(curve: Curve, constraints: Constraints | None = None) -> Baseline:
    """The most valuable of :func:`allowed_baselines`; flag nobody wins a tie."""
    options = allowed_baselines(curve, constraints)
    best = options[0]
    for option in options[1:]:
        if option.value > best.value + TIE_TOLERANCE:
            best = option
    return best


def baseline_fractions(curve: Curve, constraints: Constraints | None = None) -> np.ndarray:
    """The allowed baselines as shares of the way from flag nobody to flag everyone.

    Flag nobody is 0, flag everyone 1, flag N at random N / rows (its expected value is
    ``nobody + N / rows * (everyone - nobody)``). The share is held at the analysis's value when
    the payoff or the rows are resampled or varied (bootstrap, sensitivity).
    """
    rows = max(curve.rows, 1)
    share = {"flag_nobody": 0.0, "flag_everyone": 1.0}
    return np.asarray(
        [share.get(b.kind, b.flagged / rows) for b in allowed_baselines(curve, constraints)], dtype=np.float64
    )


def better_baseline_values(nobody: np.ndarray, everyone: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Value of the better allowed baseline for each replicate or draw (see :func:`baseline_fractions`)."""
    nobody, everyone = np.asarray(nobody, dtype=np.float64), np.asarray(everyone, dtype=np.float64)
    best: np.ndarray = np.max(nobody[..., None] + fractions * (everyone - nobody)[..., None], axis=-1)
    return best
