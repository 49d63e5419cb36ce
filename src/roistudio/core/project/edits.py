"""Which edit re-runs what: the rule the app follows after every change to the project.

Cheapest first:

- ``REDRAW``: the numbers stand, only their presentation changed (the currency).
- ``REREAD``: a threshold move or a constraint edit; the curves already computed answer it
  (:func:`roistudio.core.engine.analysis.reread`, :func:`~roistudio.core.engine.analysis.reread_at`),
  no query runs.
- ``REAGGREGATE``: a payoff, parameter or period edit; the same rows are aggregated again with
  the new payoff or breakdown, reusing the cached validation of the mapping.
- ``RESWEEP``: a mapping, filter or data change; the rows themselves differ, so the mapping is
  validated again and everything is swept.

An edit touching several fields needs the most expensive of their reruns. Fields that feed no
number (title, parameter ranges, the open view) need ``NOTHING``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class Rerun(IntEnum):
    """What an edit re-runs, ordered by cost."""

    NOTHING = 0
    REDRAW = 1
    REREAD = 2
    REAGGREGATE = 3
    RESWEEP = 4


FIELD_RERUN: dict[str, Rerun] = {
    "currency": Rerun.REDRAW,
    "threshold": Rerun.REREAD,
    "threshold_user_set": Rerun.REREAD,
    "constraints": Rerun.REREAD,
    "payoff": Rerun.REAGGREGATE,
    "parameters": Rerun.REAGGREGATE,
    "period": Rerun.REAGGREGATE,
    "mapping": Rerun.RESWEEP,
    "filters": Rerun.RESWEEP,
    "sources": Rerun.RESWEEP,
}


def rerun_for(changed: Iterable[str]) -> Rerun:
    """The rerun the changed :class:`~roistudio.core.project.project.Project` fields need.

    Parameters
    ----------
    changed
        Names of the project fields whose value changed.

    Returns
    -------
    Rerun
        The most expensive rerun among the fields (``NOTHING`` for none, or fields that feed no
        number: ``title``, ``ranges``, ``view``).
    """
    return max((FIELD_RERUN.get(name, Rerun.NOTHING) for name in changed), default=Rerun.NOTHING)
