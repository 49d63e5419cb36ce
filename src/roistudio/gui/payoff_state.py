"""What the payoff editor holds, as plain values: the rule for reading its table, tested without Qt.

The editor's widgets show a :class:`PayoffInputs` (the texts as typed); :func:`payoff_of` reads
the payoff out of it and :func:`parameter_problem` says, in one line naming the row, what keeps
the parameter table from being read; :func:`shown_as` is what the fields mean once they show a
given payoff (exactly), so the editor leaves its fields alone (the text under the analyst's cursor) when
they mean the payoff already. The editor remembers the last payoff the document showed
it or it sent (:class:`PayoffValue`) and sends a payoff only when it differs from that one, so a
payoff shown by the document never comes back to it as an edit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

Row = tuple[str, str, str, str]  # name, value, low, high: the texts of one parameter row


def parse_number(text: str) -> float | None:
    """A finite float from cell text (``1,000.5`` and ``1_000`` accepted), or None."""
    try:
        value = float(text.strip().replace(",", "").replace("_", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def format_number(value: float) -> str:
    """A parameter as a cell shows it (10 significant digits)."""
    return f"{value:.10g}"


@dataclass(frozen=True)
class PayoffValue:
    """A payoff as the document holds it: expressions, parameters (in the analyst's order), ranges."""

    expressions: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, float] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    def same_as(self, other: PayoffValue) -> bool:
        """Equal, parameter order included (the table's order is the analyst's and is saved as is)."""
        return self == other and list(self.parameters) == list(other.parameters)


@dataclass(frozen=True)
class PayoffInputs:
    """The editor's fields as typed: one text per outcome, and the parameter table's rows."""

    expressions: dict[str, str]
    rows: tuple[Row, ...]


def payoff_of(inputs: PayoffInputs, outcomes: tuple[str, ...]) -> PayoffValue:
    """The payoff the inputs describe: an empty expression is ``0``; rows without a name or a
    number are left out; a range only when both ends are numbers."""
    expressions = {o: inputs.expressions.get(o, "").strip() or "0" for o in outcomes}
    parameters: dict[str, float] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for name_text, value_text, low_text, high_text in inputs.rows:
        name, value = name_text.strip(), parse_number(value_text)
        if not name or value is None:
            continue
        parameters[name] = value
        low, high = parse_number(low_text), parse_number(high_text)
        if low is not None and high is not None:
            ranges[name] = (low, high)
    return PayoffValue(expressions, parameters, ranges)


def shown_as(
    expressions: Mapping[str, str | None],
    parameters: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]],
    outcomes: tuple[str, ...],
) -> PayoffValue:
    """The payoff as the editor's fields mean one: an empty expression is ``0``, a range only for
    a parameter. The numbers are kept exact: fields mean this payoff only when what is typed is
    exactly it (as after the analyst's own edit comes back from the document)."""
    return PayoffValue(
        {o: (expressions.get(o) or "").strip() or "0" for o in outcomes},
        dict(parameters),
        {n: (lo, hi) for n, (lo, hi) in ranges.items() if n in parameters},
    )


def parameter_problem(rows: tuple[Row, ...], columns: Mapping[str, str]) -> str | None:
    """The first problem of the parameter table, in one line naming the row (None: none)."""
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        name = row[0].strip()
        texts = [text.strip() for text in row[1:]]
        if not name and not any(texts):
            continue  # a blank row being filled in
        if not name:
            return f"row {number}: the parameter needs a name"
        if name in seen:
            return f"parameter '{name}' is defined twice"
        seen.add(name)
        if name in columns:
            return f"parameter '{name}' has the name of a column; rename it"
        value = parse_number(texts[0])
        if value is None:
            return f"parameter '{name}': value {texts[0]!r} is not a number"
        low = parse_number(texts[1]) if texts[1] else None
        high = parse_number(texts[2]) if texts[2] else None
        if (texts[1] and low is None) or (texts[2] and high is None):
            return f"parameter '{name}': the range must be numbers"
        if (low is None) != (high is None):
            return f"parameter '{name}': give both low and high, or neither"
        if low is not None and high is not None and not low <= value <= high:
            return (
                f"parameter '{name}': the range {format_number(low)} to {format_number(high)} "
                f"must contain the value {format_number(value)}"
            )
    return None
