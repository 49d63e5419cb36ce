"""Two-way binding of the editing widgets to the document: payoff editor, filter bar, constraints.

The widgets report edits (signals) and the document turns them into undoable edits; the
document's change signals (undo, redo, opening a project) put the values back into the widgets.
The edit the widget itself just made is not written back into it, so the text under the
analyst's cursor is never reset while they type.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from roistudio.core.engine.constraints import Constraints
    from roistudio.core.engine.filters import Filters
    from roistudio.gui.document import ProjectDocument
    from roistudio.gui.explorer import ThresholdExplorer
    from roistudio.gui.filter_bar import FilterBar
    from roistudio.gui.payoff_editor import PayoffEditor


class EditorSync:
    """Keeps ``payoff_editor``, ``filter_bar`` and the explorer's constraints in step with ``document``."""

    def __init__(
        self,
        document: ProjectDocument,
        payoff_editor: PayoffEditor,
        filter_bar: FilterBar,
        explorer: ThresholdExplorer,
    ) -> None:
        self.doc = document
        self.payoff_editor = payoff_editor
        self.filter_bar = filter_bar
        self.explorer = explorer
        self._editing = False  # a widget's own edit is being applied to the document
        document.constraintsChanged.connect(self.show_constraints)
        document.payoffChanged.connect(self.show_payoff)
        document.filtersChanged.connect(self.show_filters)
        explorer.thresholdChanged.connect(document.set_threshold)
        explorer.constraintsChanged.connect(document.set_constraints)
        payoff_editor.payoffEdited.connect(self._payoff_edited)
        filter_bar.filtersChanged.connect(self._filters_edited)

    @contextlib.contextmanager
    def _applying_widget_edit(self) -> Iterator[None]:
        self._editing = True
        try:
            yield
        finally:
            self._editing = False

    # -- document -> widgets -------------------------------------------------------------------
    def show_payoff(self) -> None:
        if self._editing:
            return  # the editor itself made this change; do not reset its text under the cursor
        p = self.doc.project
        self.payoff_editor.set_payoff(dict(p.payoff), dict(p.parameters), dict(p.ranges))

    def show_filters(self, filters: Filters) -> None:
        if not self._editing and self.filter_bar.filters() != filters:
            self.filter_bar.set_filters(filters)

    def show_constraints(self, constraints: Constraints) -> None:
        if self.explorer.constraints() != constraints:
            self.explorer.set_constraints(constraints)

    # -- widgets -> document -------------------------------------------------------------------
    def _payoff_edited(
        self,
        expressions: dict[str, str],
        parameters: dict[str, float],
        ranges: dict[str, tuple[float, float]],
    ) -> None:
        with self._applying_widget_edit():
            self.doc.set_payoff(expressions, parameters, ranges)

    def _filters_edited(self, filters: Filters) -> None:
        with self._applying_widget_edit():
            self.doc.set_filters(filters)
