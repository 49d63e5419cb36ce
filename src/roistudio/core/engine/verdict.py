"""The comparison's verdict in one sentence, written once for the app's Comparison view and both reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from roistudio.core.glossary import PERIODS
from roistudio.core.money import format_money

if TYPE_CHECKING:
    from roistudio.core.engine.comparison import Comparison

__all__ = ["comparison_verdict"]


def comparison_verdict(comparison: Comparison, currency: str, period: str | None) -> str:
    """The verdict, e.g. ``The challenger (v2) earns $3,041 more per month at its best threshold.``.

    Parameters
    ----------
    comparison
        Champion vs challenger on the same rows.
    currency
        ISO code of the project's currency.
    period
        The analysis's period breakdown (``"month"``...), or None. The difference is given per
        period when there is one with labelled periods, else in total.
    """
    name = comparison.challenger.name
    per_period = comparison.difference_per_period_at_best if period in PERIODS else None
    amount = per_period if per_period is not None else comparison.difference_at_best
    when = f" per {period}" if per_period is not None else " in total over the analysed rows"
    if abs(amount) < 0.005:
        return f"The challenger ({name}) earns the same as the champion at its best threshold."
    more = "more" if amount > 0 else "less"
    return f"The challenger ({name}) earns {format_money(abs(amount), currency)} {more}{when} at its best threshold."
