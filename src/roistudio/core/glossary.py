"""The words every view and report uses: outcomes and their meanings, periods, metric definitions.

One place, so the app's help, its tooltips, the workbook and the PDF say the same thing in the
same words. Changing a definition here changes it everywhere.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["OUTCOMES", "Outcome"]

Outcome = Literal["tp", "fp", "tn", "fn"]
# The order every table, chart and file lists the outcomes in.
OUTCOMES: tuple[Outcome, ...] = ("tp", "fp", "tn", "fn")
