"""The undoable edit of the open project: set some fields, undo sets them back.

Every user edit is an :class:`EditCommand` on the document's ``QUndoStack``; threshold moves a
moment apart merge into one step (one slider drag), and a drag that ends where it started is no
edit at all.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

if TYPE_CHECKING:
    from roistudio.gui.document import ProjectDocument

# Threshold moves closer together than this merge into one undo step (one slider drag).
MERGE_SECONDS = 1.5
_THRESHOLD_COMMAND_ID = 1001
CLUSTER_MIN_ROWS = 1_000_000  # below this a sweep is fast enough without reordering the table


class EditCommand(QUndoCommand):
    """Set some project fields; undo sets them back. Threshold moves merge while dragging."""

    def __init__(
        self,
        document: ProjectDocument,
        text: str,
        before: dict[str, Any],
        after: dict[str, Any],
        *,
        merge: bool = False,
    ) -> None:
        super().__init__(text)
        self._doc = document
        self.before, self.after = before, after
        self._merge = merge
        self._last = time.monotonic()

    def id(self) -> int:
        return _THRESHOLD_COMMAND_ID if self._merge else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditCommand) or other.id() != self.id():
            return False
        if other._last - self._last > MERGE_SECONDS:
            return False
        self.after, self._last = other.after, other._last
        # A drag that ends where it started is no edit at all.
        self.setObsolete(self.after == self.before)
        return True

    def redo(self) -> None:
        self._doc.last_edit = f'"{self.text()}"'  # named if the edit moves the automatic threshold
        self._doc._apply(self.after)

    def undo(self) -> None:
        self._doc.last_edit = f'undoing "{self.text()}"'
        self._doc._apply(self.before)
