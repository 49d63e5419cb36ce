"""The payoff the app suggests for new data, and how to recognise it later.

:func:`project_for_import` starts a project on data just imported: that payoff, parameter ranges,
the currency the money columns' names suggest and a trend period.

A suggested payoff is an example the app made up from the mapping (a money column, a review cost
of 10), not what the analyst said outcomes are worth. The project records whether the analyst
has confirmed or edited it (``Project.payoff_suggested``); until then every view and every
export says the figures rest on an example payoff.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from roistudio.core.project.project import DataSource, Project

if TYPE_CHECKING:
    from roistudio.core.data.loading import ImportResult
    from roistudio.core.data.mapping import ColumnMapping

DEFAULT_PAYOFF = {"tp": "value_caught - review_cost", "fp": "-review_cost", "tn": "0", "fn": "0"}
DEFAULT_PARAMETERS = {"value_caught": 100.0, "review_cost": 10.0}
SUGGESTED_REVIEW_COST = 10.0


def suggested_payoff(money_columns: Sequence[str]) -> tuple[dict[str, str], dict[str, float]]:
    """A starting payoff: per-row money when a money column is mapped, else flat amounts.

    Parameters
    ----------
    money_columns
        The mapping's money columns; the first one that is a plain identifier is used.

    Returns
    -------
    tuple
        ``(expressions, parameters)``.
    """
    money = next((m for m in money_columns if m.isidentifier()), None)
    if money is None:
        return dict(DEFAULT_PAYOFF), dict(DEFAULT_PARAMETERS)
    return (
        {"tp": f"{money} - review_cost", "fp": "-review_cost", "tn": "0", "fn": f"-{money}"},
        {"review_cost": SUGGESTED_REVIEW_COST},
    )


def is_suggested_payoff(
    expressions: Mapping[str, str], parameters: Mapping[str, float], money_columns: Sequence[str]
) -> bool:
    """True when a payoff is exactly what :func:`suggested_payoff` proposes for these columns.

    Used to classify projects saved before the app recorded whether a payoff was confirmed.
    """
    expected, params = suggested_payoff(money_columns)
    same_expressions = {k: str(v).strip() for k, v in expressions.items()} == expected
    return same_expressions and {k: float(v) for k, v in parameters.items()} == params


def default_ranges(parameters: Mapping[str, float]) -> dict[str, tuple[float, float]]:
    """Half to one and a half times each parameter (a starting point for sensitivity)."""
    out = {}
    for name, value in parameters.items():
        low, high = sorted((value * 0.5, value * 1.5)) if value else (-1.0, 1.0)
        out[name] = (low, high)
    return out


def project_for_import(
    result: ImportResult, mapping: ColumnMapping, *, period: str | None = "month"
) -> Project:
    """A new project on data just imported: the mapping, the suggested payoff and ranges, a currency.

    Parameters
    ----------
    result
        The import (its report names the source and the table).
    mapping
        The column roles the analyst chose.
    period
        The trend period, used only when a time column is mapped (the first period the time
        column allows when it does not allow this one).

    Returns
    -------
    Project
        Marked ``payoff_suggested``: the payoff is the app's example until the analyst confirms
        or edits it.
    """
    from roistudio.core.data.mapping_proposal import guess_currency

    payoff, parameters = suggested_payoff(mapping.money)
    time = (result.time_candidates or ({}, {}))[0].get(mapping.timestamp or "")
    if time is not None and period is not None and period not in time.periods:
        period = time.periods[0]  # e.g. ISO week labels allow only weeks
    return Project(
        sources=(DataSource(result.report.source, result.report.table),),
        mapping=mapping,
        payoff=payoff,
        parameters=parameters,
        ranges=default_ranges(parameters),
        payoff_suggested=True,
        period=period if mapping.timestamp else None,
        currency=guess_currency(mapping.money) or Project().currency,
    )


def project_for_demo(result: ImportResult) -> Project:
    """A new project on the bundled demo data just imported: its mapping, payoff, ranges and title.

    Parameters
    ----------
    result
        The import of :func:`~roistudio.core.project.demo.demo_data_path` (its report names the
        source and the table).

    Returns
    -------
    Project
        The demo's own payoff (not marked suggested: the demo says what its outcomes are worth).
    """
    from roistudio.core.data.mapping import ColumnMapping
    from roistudio.core.project.demo import demo_defaults

    defaults = demo_defaults()
    return Project(
        sources=(DataSource(result.report.source, result.report.table),),
        mapping=ColumnMapping(**defaults.mapping_fields()),
        payoff=dict(defaults.payoff),
        parameters=dict(defaults.parameters),
        ranges=default_ranges(dict(defaults.parameters)),
        currency=defaults.currency,
        title=defaults.title,
        period=defaults.period,
    )
