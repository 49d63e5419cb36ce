"""The analysis request of a project: mapping, parsed payoff, constraints, filters, period."""

from __future__ import annotations

import pytest

from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.filters import Filters
from roistudio.core.errors import MappingError, PayoffError
from roistudio.core.project.project import Project
from roistudio.core.project.request import analysis_request

COLUMNS = {"score": "DOUBLE", "label": "BIGINT", "amount": "DOUBLE", "at": "DATE"}
PAYOFF = {"tp": "amount - cost", "fp": "-cost", "tn": "0", "fn": "-amount"}


def test_the_request_carries_the_projects_choices_and_the_period_only_with_a_time_column():
    constraints = Constraints(max_flag_rate=0.1)
    filters = Filters(segments={"channel": ("web",)})
    project = Project(
        mapping=ColumnMapping("score", "label", money=("amount",), timestamp="at"),
        payoff=PAYOFF, parameters={"cost": 5.0}, constraints=constraints, filters=filters, period="week",
    )  # fmt: skip
    request = analysis_request(project, COLUMNS)
    assert request.mapping is project.mapping
    assert (request.constraints, request.filters, request.period) == (constraints, filters, "week")
    assert request.payoff.parameters == {"cost": 5.0}
    untimed = project.with_changes(mapping=ColumnMapping("score", "label", money=("amount",)))
    assert analysis_request(untimed, COLUMNS).period is None


def test_no_mapping_or_a_payoff_naming_a_missing_column_is_one_line():
    with pytest.raises(MappingError, match="no column mapping"):
        analysis_request(Project(payoff=PAYOFF), COLUMNS)
    project = Project(mapping=ColumnMapping("score", "label"), payoff=PAYOFF, parameters={"cost": 5.0})
    with pytest.raises(PayoffError, match="amount"):
        analysis_request(project, {"score": "DOUBLE", "label": "BIGINT"})
