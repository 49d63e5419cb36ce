"""What a project asks the engine: the :class:`~roistudio.core.engine.analysis.AnalysisRequest` of its state.

The app builds every sweep of the open project from here (the automatic threshold: a threshold
the analyst set is read off the curves afterwards, with
:func:`~roistudio.core.engine.analysis.reread_at`).
"""

from __future__ import annotations

from collections.abc import Mapping

from roistudio.core.engine.analysis import AnalysisRequest
from roistudio.core.errors import MappingError
from roistudio.core.payoff.language import parse_payoff
from roistudio.core.project.project import Project


def analysis_request(project: Project, columns: Mapping[str, str]) -> AnalysisRequest:
    """The analysis request of ``project`` on a table with ``columns``.

    Parameters
    ----------
    project
        The project: its mapping, payoff and parameters, constraints, filters and period.
    columns
        Column names and DuckDB types of the project's table (the payoff may use them).

    Returns
    -------
    AnalysisRequest
        The period only when a time column is mapped.

    Raises
    ------
    MappingError
        The project has no mapping yet.
    PayoffError
        The payoff does not parse or check against the columns (one line).
    """
    mapping = project.mapping
    if mapping is None:
        raise MappingError("the project has no column mapping yet")
    payoff = parse_payoff(dict(project.payoff), dict(project.parameters), dict(columns))
    return AnalysisRequest(
        mapping=mapping,
        payoff=payoff,
        constraints=project.constraints,
        period=project.period if mapping.timestamp else None,
        filters=project.filters,
    )
