"""The value bridge: from the policy without a model to the operating policy, one step per class.

Going from a baseline (flag nobody, or flag everyone) to the operating threshold changes the
outcome of two kinds of rows only:

- positives whose flag changes: from flag nobody they are caught instead of missed (FN -> TP);
  from flag everyone they are missed instead of caught (TP -> FN);
- negatives whose flag changes: from flag nobody they become false alarms (TN -> FP); from flag
  everyone their false alarms are saved (FP -> TN).

Each step's money is the difference of the class's payoff sums between the two policies, so
``start + positives + negatives == end`` holds by construction (up to floating-point rounding,
which :meth:`Bridge.rounded` removes for display). The words are the glossary's outcome meanings
(:data:`roistudio.core.glossary.OUTCOME_MEANINGS`).

When the better baseline is "flag N at random" (a capacity forbids flagging everyone), the
bridge starts from flag nobody: doing nothing is always a policy one can point to.
"""

from __future__ import annotations

from dataclasses import dataclass

from roistudio.core.engine.curve import CurvePoint
from roistudio.core.engine.results import ModelResult
from roistudio.core.glossary import OUTCOME_NAMES

__all__ = ["Bridge", "BridgeStep", "value_bridge"]


@dataclass(frozen=True)
class BridgeStep:
    """One class's change of outcome between the two policies.

    Attributes
    ----------
    label
        What happened, in words: ``"missed positives caught"``, ``"false alarms added"``,
        ``"false alarms saved"``, ``"misses added"``.
    change
        ``"FN \u2192 TP"`` and the like: the outcomes the rows move between.
    rows
        Labelled rows whose outcome changes.
    value
        Money this step adds (negative: it costs).
    """

    label: str
    change: str
    rows: int
    value: float


@dataclass(frozen=True)
class Bridge:
    """From the no-model policy's value to the operating policy's value, in two steps."""

    start_label: str  # "flag nobody" | "flag everyone"
    start: float
    steps: tuple[BridgeStep, BridgeStep]
    end_label: str  # "with the model"
    end: float
    threshold: float | None = None  # the end policy's threshold (None: flag nobody)

    def rounded(self, decimals: int = 0) -> tuple[float, tuple[float, float], float]:
        """Start, steps and end rounded to ``decimals`` so that the printed figures add up.

        The start and the end are rounded on their own (they are figures printed elsewhere in
        the report); the first step is rounded on its own and the second takes what is left,
        so ``start + step 1 + step 2 == end`` holds exactly for the printed figures (the second
        step can differ from its own rounding by one unit of the last digit).
        """
        unit = 10.0**-decimals
        start, end = round(self.start, decimals), round(self.end, decimals)
        total = round((end - start) / unit)
        first = round(self.steps[0].value / unit)
        return start, (round(first * unit, decimals), round((total - first) * unit, decimals)), end


def _change(a: str, b: str) -> str:
    return f"{a.upper()} \u2192 {b.upper()}"


def value_bridge(model: ModelResult, point: CurvePoint | None = None) -> Bridge:
    """The bridge from the model's no-model baseline to ``point`` (its operating point by default).

    Parameters
    ----------
    model
        One model's result; its better allowed baseline decides where the bridge starts (flag
        everyone when that is the better baseline, flag nobody otherwise).
    point
        The policy the bridge ends at.

    Returns
    -------
    Bridge
        Steps: the positives first, then the negatives.
    """
    point = model.operating if point is None else point
    everyone = model.better_baseline.kind == "flag_everyone"
    base = model.flag_everyone if everyone else model.flag_nobody
    positives = (point.tp_value + point.fn_value) - (base.tp_value + base.fn_value)
    negatives = (point.fp_value + point.tn_value) - (base.fp_value + base.tn_value)
    if everyone:
        steps = (
            BridgeStep("misses added", _change("tp", "fn"), point.fn - base.fn, positives),
            BridgeStep("false alarms saved", _change("fp", "tn"), point.tn - base.tn, negatives),
        )
    else:
        steps = (
            BridgeStep("missed positives caught", _change("fn", "tp"), point.tp - base.tp, positives),
            BridgeStep("false alarms added", _change("tn", "fp"), point.fp - base.fp, negatives),
        )
    return Bridge(
        start_label="flag everyone" if everyone else "flag nobody",
        start=base.value,
        steps=steps,
        end_label="with the model",
        end=point.value,
        threshold=point.threshold,
    )


# The glossary's outcome names, for the step explanations the reports print under the chart.
STEP_MEANINGS = {
    "missed positives caught": f"{OUTCOME_NAMES['fn']}s that become {OUTCOME_NAMES['tp'].lower()}s",
    "false alarms added": f"{OUTCOME_NAMES['tn']}s that become {OUTCOME_NAMES['fp'].lower()}s (false alarms)",
    "misses added": f"{OUTCOME_NAMES['tp']}s that become {OUTCOME_NAMES['fn'].lower()}s (missed)",
    "false alarms saved": f"{OUTCOME_NAMES['fp']}s (false alarms) that become {OUTCOME_NAMES['tn'].lower()}s",
}
