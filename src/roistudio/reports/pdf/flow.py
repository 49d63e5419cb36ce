"""How the PDF's sections flow from page to page after page 1.

Two rules, applied to the whole story rather than section by section:

- **A heading stays with what it introduces.** :func:`keep_headings` puts a :class:`KeepStart`
  before every heading: the heading, the text under it and the first chart or table after it
  (for a table, its header and first :attr:`KeptTable.min_rows` rows; a short table whole) move
  to the next page together when they do not fit on this one. Otherwise the section starts
  where the previous one ended, so no page is left half empty before a section that fits.
- **A table splits only where it reads well** (:class:`KeptTable`): a short table moves whole
  to the next page; a long one leaves at least :attr:`KeptTable.min_rows` rows on each side,
  with its header repeated.

The measuring costs one extra wrap of each heading's group (about twenty flowables in a
report), never a pass over every flowable of the story.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib.units import inch
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
)

# The body paragraphs a heading may carry along before its first chart or table: enough for an
# introduction and a note; a heading over a list (the definitions) keeps its first items only.
MAX_LEAD_PARAGRAPHS = 3


class KeptTable(Table):  # type: ignore[misc]  # reportlab has no type stubs
    """A report table that splits across pages only where it reads well.

    A table no taller than :attr:`whole_height` is never split: too little room here and it
    moves whole to the next page (a seven-line provenance table split 6 + 1 leaves a stray row).
    A longer one leaves no fewer than :attr:`min_rows` body rows on either side: too few rows fit,
    the whole table moves; too few would follow, more rows go with them. The header repeats
    on the next page.
    """

    min_rows = 3
    whole_height = 3 * inch

    def _head_rows(self) -> int:
        repeat = self.repeatRows
        return repeat if isinstance(repeat, int) else len(repeat)

    def start_height(self, avail_width: float) -> float:
        """The height this table needs on a page to start there: whole, or header + first rows."""
        _, height = self.wrap(avail_width, 1e9)
        if height <= self.whole_height:
            return float(height)
        return float(sum(self._rowHeights[: self._head_rows() + self.min_rows]))

    def split(self, availWidth: float, availHeight: float) -> list[Any]:  # reportlab's names
        parts: list[Any] = super().split(availWidth, availHeight)
        if len(parts) != 2:
            return parts
        if self._height <= self.whole_height and not _at_top(self):
            return []  # short: moves whole to the next page
        head = self._head_rows()
        first, second = len(parts[0]._cellvalues) - head, len(parts[1]._cellvalues) - head
        if first < self.min_rows:
            return []  # nothing worth leaving here: the table starts on the next page
        if second < self.min_rows:
            # Leave the rows the second part lacks off this page (their heights, measured by split).
            heights = self._rowHeights[head + first - (self.min_rows - second) : head + first]
            parts = super().split(availWidth, availHeight - sum(heights) - 0.5)
            if len(parts) == 2 and len(parts[0]._cellvalues) - head < self.min_rows:
                return []
        return parts


def _at_top(flowable: Flowable) -> bool:
    """Whether the frame being filled is still empty (a break there would leave a blank page)."""
    frame = getattr(flowable, "_frame", None) or flowable._doctemplateAttr("frame")
    return bool(getattr(frame, "_atTop", False))


class KeepStart(CondPageBreak):  # type: ignore[misc]  # reportlab has no type stubs
    """A page break taken only when ``group`` (a heading and the start of what follows) does
    not fit in the space left on the page.

    The height is measured when the page is laid out: the flowables of ``group`` whole, except
    the last, of which only its start counts (:meth:`KeptTable.start_height` for a table).
    Never breaks at the top of a page, nor for more than a page's height.
    """

    def __init__(self, group: Sequence[Flowable]):
        super().__init__(0)
        self._group = list(group)

    def __repr__(self) -> str:
        return f"KeepStart({len(self._group)} flowables)"

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # reportlab's names
        frame = self._doctemplateAttr("frame")
        if frame is None or getattr(frame, "_atTop", False):
            return 0, 0
        self.height = min(self.needed(availWidth), frame._aH)
        return super().wrap(availWidth, availHeight)  # type: ignore[no-any-return]

    def needed(self, width: float) -> float:
        """The height of the group as it would be laid out (space between flowables included)."""
        total = 0.0
        last = len(self._group) - 1
        for i, f in enumerate(self._group):
            # The first one's too: this break is zero-sized, so the frame is not at its top here.
            total += f.getSpaceBefore()
            if i == last and isinstance(f, KeptTable):
                total += f.start_height(width)
            else:
                total += f.wrap(width, 1e9)[1]
            if i < last:
                total += f.getSpaceAfter()
        return total


def _heading_level(flowable: Flowable, levels: dict[str, int]) -> int | None:
    """0 for a section heading, 1 for a subheading...; None for anything else."""
    if not isinstance(flowable, Paragraph):
        return None
    return levels.get(getattr(flowable.style, "name", ""))


def _is_block(flowable: Flowable) -> bool:
    """A chart, a table or a kept group: what a heading's start reaches to."""
    return not isinstance(flowable, Paragraph | Spacer | PageBreak | CondPageBreak)


def keep_headings(story: Sequence[Flowable], headings: Sequence[str]) -> list[Flowable]:
    """``story`` with a :class:`KeepStart` before each heading (paragraphs styled as one of
    ``headings``, section headings first, then subheadings), keeping it with its text and its
    first chart or table.

    A section's introduction and its first subsection share one group (a section heading and
    its introduction alone at the foot of a page, its first chart overleaf, read as an orphan).
    A group ends at its first chart or table, at a page break, at the next heading of the same
    level or higher once text came between, or after :data:`MAX_LEAD_PARAGRAPHS` body paragraphs.
    """
    levels = {name: level for level, name in enumerate(headings)}
    out: list[Flowable] = []
    i, n = 0, len(story)
    while i < n:
        level = _heading_level(story[i], levels)
        if level is None:
            out.append(story[i])
            i += 1
            continue
        end, paragraphs = i, 0
        while end < n:
            f = story[end]
            if isinstance(f, PageBreak | CondPageBreak):
                break
            sub = _heading_level(f, levels)
            if sub is not None:
                if paragraphs and sub <= level:
                    break
            elif isinstance(f, Paragraph):
                paragraphs += 1
            end += 1
            if _is_block(f) or paragraphs == MAX_LEAD_PARAGRAPHS:
                break
        group = list(story[i:end])
        while group and isinstance(group[-1], Spacer):
            group.pop()  # a trailing gap need not fit
        out += [KeepStart(group), *story[i:end]]
        i = end
    return out


__all__ = ["KeepStart", "KeptTable", "keep_headings"]
