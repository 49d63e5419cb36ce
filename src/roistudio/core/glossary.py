"""The words every view and report uses: outcomes and their meanings, periods, metric definitions.

One place, so the app's help and tooltips, the workbook and the PDF say the same thing in the same
words; changing a definition here changes it everywhere. Plain text (no HTML, no formulas): each
front end escapes it as its medium needs.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "METRICS",
    "OUTCOMES",
    "OUTCOME_MEANINGS",
    "OUTCOME_NAMES",
    "PERIODS",
    "THRESHOLD_DIGITS",
    "Outcome",
    "Period",
    "definition",
    "format_threshold",
    "outcome_sentence",
]

Outcome = Literal["tp", "fp", "tn", "fn"]
# The order every table, chart and file lists the outcomes in.
OUTCOMES: tuple[Outcome, ...] = ("tp", "fp", "tn", "fn")

OUTCOME_NAMES: dict[str, str] = {
    "tp": "True positive",
    "fp": "False positive",
    "tn": "True negative",
    "fn": "False negative",
}
OUTCOME_MEANINGS: dict[str, str] = {
    "tp": "flagged, and the label is positive",
    "fp": "flagged, but the label is negative (a false alarm)",
    "tn": "not flagged, and the label is negative",
    "fn": "not flagged, but the label is positive (missed)",
}

Period = Literal["day", "week", "month", "quarter", "year"]
# The periods a time column can be broken down by, shortest first.
PERIODS: tuple[Period, ...] = ("day", "week", "month", "quarter", "year")

# (term, definition) in the order the reports' definition pages list them.
METRICS: tuple[tuple[str, str], ...] = (
    (
        "Decision rule",
        "A row is flagged if and only if its score is greater than or equal to the threshold. "
        "\u201cFlag nobody\u201d is a policy too; it has no threshold.",
    ),
    (
        "TP / FP / TN / FN",
        "The four outcomes of a labelled row: flagged and positive / flagged and negative / "
        "not flagged and negative / not flagged and positive.",
    ),
    (
        "Value",
        "The sum over labelled rows of the payoff of each row\u2019s outcome (TP, FP, TN or FN). "
        "Gains are positive and costs negative, so a value below zero is a net cost.",
    ),
    (
        "Baselines",
        "Policies that need no model: flag nobody and flag everyone. Under a constraint that forbids "
        "flagging everyone, the comparison is with flag nobody and flagging as many rows as allowed at "
        "random (its expected value).",
    ),
    (
        "vs flag nobody / everyone",
        "The value at a threshold minus the value of flagging no row / every row.",
    ),
    (
        "Value of the model",
        "The value at the operating threshold minus the better of the baselines the constraints allow. "
        "Positive means the model earns its keep.",
    ),
    (
        "Best threshold",
        "The threshold with the highest value among every distinct score and flag nobody; "
        "ties go to the higher threshold (fewer rows flagged).",
    ),
    ("Flagged rows", "Labelled rows whose score is at or above the threshold: TP + FP."),
    ("Precision", "Of the rows flagged, the share whose label is positive: TP / (TP + FP)."),
    ("Recall", "Of the positive rows, the share flagged: TP / (TP + FN)."),
    ("False positive rate", "Of the negative rows, the share flagged: FP / (FP + TN)."),
    ("Flag rate", "Of the labelled rows, the share flagged: (TP + FP) / labelled rows."),
    ("Value per 1,000 rows", "Value divided by the number of labelled rows, times 1,000."),
    (
        "Money lost",
        "What errors cost at the operating threshold: the value with perfect knowledge (every "
        "positive flagged, no negative flagged) minus the value achieved.",
    ),
    (
        "Savings",
        "As in the cost-sensitive literature: 1 \u2212 cost(model) / min(cost(flag nobody), "
        "cost(flag everyone)), where cost is minus value. Undefined when the better baseline costs nothing.",
    ),
    (
        "Not yet known",
        "Rows without a label are never counted as negatives. They are "
        "\u201cnot yet known\u201d: left out of every value, count and rate, and shown apart (for example the "
        "latest month, whose outcomes have not matured).",
    ),
)


def definition(term: str) -> str:
    """The definition of one term of :data:`METRICS`, e.g. ``definition("Recall")``.

    Raises
    ------
    KeyError
        For a term the glossary does not define.
    """
    for name, text in METRICS:
        if name == term:
            return text
    raise KeyError(term)


def outcome_sentence(outcome: str) -> str:
    """``"True positive: flagged, and the label is positive"``, as the reports list the payoff."""
    return f"{OUTCOME_NAMES[outcome]}: {OUTCOME_MEANINGS[outcome]}"


# Six significant digits: the CLI's precision, and enough to tell apart the scores real exports
# carry (0.101302, not 0.1013, which would flag rows the figures beside it do not count).
THRESHOLD_DIGITS = 6


def format_threshold(threshold: float | None) -> str:
    """A threshold as every view, chart and report prints it: one precision, or "flag nobody".

    Parameters
    ----------
    threshold
        The score at or above which rows are flagged; ``None`` is the policy that flags no row.

    Returns
    -------
    str
        Six significant digits (``0.101302``, ``0.0552``), or ``"flag nobody"``.
    """
    return "flag nobody" if threshold is None else f"{threshold:.{THRESHOLD_DIGITS}g}"
