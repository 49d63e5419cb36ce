"""Two-way binding of the editing widgets to the document: payoff editor, filter bar, constraints.

The widgets report edits (signals) and the document turns them into undoable edits; the
document's change signals (undo, redo, opening a project) put the values back into the widgets.
No echo guard is needed: each widget keeps the value it last showed or sent as plain state and
compares (:mod:`roistudio.gui.payoff_state`; the filter bar's and the constraints panel's
``shown`` values), so a value coming back from the document that the widget already shows
leaves it untouched (the text under the analyst's cursor is never reset while they type) and is
never sent again as an edit.
"""

from __future__ import annotations

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
        document.constraintsChanged.connect(self.show_constraints)
        document.payoffChanged.connect(self.show_payoff)
        document.filtersChanged.connect(self.show_filters)
        explorer.thresholdChanged.connect(document.set_threshold)
        explorer.constraintsChanged.connect(document.set_constraints)
        payoff_editor.payoffEdited.connect(document.set_payoff)
        filter_bar.filtersChanged.connect(document.set_filters)

    # -- document -> widgets -------------------------------------------------------------------
    def show_payoff(self) -> None:
        p = self.doc.project
        self.payoff_editor.set_payoff(dict(p.payoff), dict(p.parameters), dict(p.ranges))

    def show_filters(self, filters: Filters) -> None:
        if self.filter_bar.filters() != filters:
            self.filter_bar.set_filters(filters)

    def show_constraints(self, constraints: Constraints) -> None:
        if self.explorer.constraints() != constraints:
            self.explorer.set_constraints(constraints)
