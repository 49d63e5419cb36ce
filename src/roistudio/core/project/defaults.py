"""A starting project for data just imported: an example payoff, parameter ranges, currency, period.

The payoff is a guess, to be confirmed or edited by the analyst: with a money column mapped, a
caught positive is worth its amount less a review and a missed one loses the amount; otherwise
flat amounts per outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roistudio.core.project.project import DataSource, Project

if TYPE_CHECKING:
    from roistudio.core.data.loading import ImportResult
    from roistudio.core.data.mapping import ColumnMapping

DEFAULT_PAYOFF = {"tp": "value_caught - review_cost", "fp": "-review_cost", "tn": "0", "fn": "0"}
DEFAULT_PARAMETERS = {"value_caught": 100.0, "review_cost": 10.0}


def default_ranges(parameters: dict[str, float]) -> dict[str, tuple[float, float]]:
    """Half to one and a half times each parameter (a starting point for sensitivity); -1 to 1 for 0."""
    out = {}
    for name, value in parameters.items():
        low, high = sorted((value * 0.5, value * 1.5)) if value else (-1.0, 1.0)
        out[name] = (low, high)
    return out


def default_payoff(mapping: ColumnMapping) -> tuple[dict[str, str], dict[str, float]]:
    """A starting payoff ``(expressions, parameters)``: per-row money when a money column is mapped."""
    money = next((m for m in mapping.money if m.isidentifier()), None)
    if money is None:
        return dict(DEFAULT_PAYOFF), dict(DEFAULT_PARAMETERS)
    return (
        {"tp": f"{money} - review_cost", "fp": "-review_cost", "tn": "0", "fn": f"-{money}"},
        {"review_cost": 10.0},
    )


def project_for_import(
    result: ImportResult, mapping: ColumnMapping, *, period: str | None = "month"
) -> Project:
    """A new project on data just imported: the mapping, the default payoff and ranges, a currency.

    Parameters
    ----------
    result
        The import (its report names the source and the table).
    mapping
        The column roles the analyst chose.
    period
        The trend period, used only when a time column is mapped.
    """
    from roistudio.core.data.mapping import guess_currency

    payoff, parameters = default_payoff(mapping)
    return Project(
        sources=(DataSource(result.report.source, result.report.table),),
        mapping=mapping,
        payoff=payoff,
        parameters=parameters,
        ranges=default_ranges(parameters),
        period=period if mapping.timestamp else None,
        currency=guess_currency(mapping.money) or Project().currency,
    )
