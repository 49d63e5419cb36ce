"""Which edit re-runs what (the rule the app follows after every project change)."""

from __future__ import annotations

import dataclasses

import pytest

from roistudio.core.project.edits import FIELD_RERUN, Rerun, rerun_for
from roistudio.core.project.project import Project


@pytest.mark.parametrize(
    ("changed", "rerun"),
    [
        ({"threshold", "threshold_user_set"}, Rerun.REREAD),  # a slider move: no query
        ({"constraints", "threshold_user_set"}, Rerun.REREAD),  # a constraint edit: no query
        ({"payoff"}, Rerun.REAGGREGATE),
        ({"parameters"}, Rerun.REAGGREGATE),
        ({"period"}, Rerun.REAGGREGATE),
        ({"mapping"}, Rerun.RESWEEP),
        ({"filters"}, Rerun.RESWEEP),
        ({"payoff", "filters"}, Rerun.RESWEEP),  # the costlier wins
        ({"constraints", "payoff"}, Rerun.REAGGREGATE),
        ({"currency"}, Rerun.REDRAW),
        ({"title", "ranges", "view"}, Rerun.NOTHING),
        (set(), Rerun.NOTHING),
    ],
)
def test_each_edit_reruns_the_least_it_can(changed, rerun):
    assert rerun_for(changed) is rerun


def test_every_rule_names_a_project_field():
    fields = {f.name for f in dataclasses.fields(Project)}
    assert set(FIELD_RERUN) <= fields
