"""Banners above every view that say when the figures rest on a payoff the analyst has not given.

Two notices, each shown only while it is true:

- *suggested*: the payoff is the app's example for new data (``Project.payoff_suggested``); the
  analyst confirms it as it is or edits it. Every view shows numbers from it, so the notice sits
  above the tabs, not inside one view.
- *stale*: the payoff being edited has errors, so the figures shown are still those of the
  previous valid payoff. It clears as soon as the payoff is valid again.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

__all__ = ["PayoffBanners", "payoff_summary"]

_OUTCOME_NAMES = {"tp": "TP", "fp": "FP", "tn": "TN", "fn": "FN"}
_STYLES = {
    "suggested": "QFrame#notice { background: #fff4ce; border: 1px solid #e0c36a; border-radius: 3px; }"
    " QFrame#notice QLabel { color: #4d3c00; }",
    "stale": "QFrame#notice { background: #eceff3; border: 1px solid #b8c0cc; border-radius: 3px; }"
    " QFrame#notice QLabel { color: #2b3440; }",
}


def payoff_summary(expressions: Mapping[str, str], parameters: Mapping[str, float]) -> str:
    """``TP = balance_eur - review_cost, FN = -balance_eur; review_cost = 10`` (zero outcomes left out)."""
    parts = [
        f"{_OUTCOME_NAMES.get(o, o)} = {e}" for o, e in expressions.items() if str(e).strip() not in ("", "0")
    ]
    text = ", ".join(parts) or "every outcome worth 0"
    if parameters:
        text += "; " + ", ".join(f"{k} = {v:g}" for k, v in parameters.items())
    return text


class _Notice(QFrame):
    def __init__(self, kind: str, buttons: list[QPushButton]) -> None:
        super().__init__()
        self.setObjectName("notice")
        self.setStyleSheet(_STYLES[kind])
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 6, 4)
        row.addWidget(self.label, 1)
        for button in buttons:
            row.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()


class PayoffBanners(QWidget):
    """The "suggested payoff" and "stale figures" notices.

    Signals
    -------
    confirmRequested()
        The analyst accepts the suggested payoff as it is.
    editRequested()
        The analyst wants to edit the payoff (the shell opens the payoff editor).
    """

    confirmRequested = Signal()
    editRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.confirm_button = QPushButton("Confirm payoff")
        self.confirm_button.setToolTip(
            "Use this payoff as it is; the reports then stop calling it an example"
        )
        self.confirm_button.clicked.connect(self.confirmRequested)
        self.edit_button = QPushButton("Edit payoff…")
        self.edit_button.clicked.connect(self.editRequested)
        self.fix_button = QPushButton("Show the errors")
        self.fix_button.clicked.connect(self.editRequested)
        self.suggested = _Notice("suggested", [self.confirm_button, self.edit_button])
        self.stale = _Notice("stale", [self.fix_button])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.suggested)
        layout.addWidget(self.stale)

    def show_suggested(self, suggested: bool, summary: str = "") -> None:
        """Show or hide the "example payoff" notice; ``summary`` names the payoff in one line."""
        self.suggested.label.setText(
            "<b>Example payoff, not confirmed.</b> Every figure shown comes from a payoff the app "
            f"suggested: {_html(summary)}. Confirm it or edit it to say what each outcome is worth; "
            "until then the exported reports are stamped “example payoff, not confirmed”."
        )
        self.suggested.setVisible(suggested)

    def show_stale(self, stale: bool) -> None:
        """Show or hide the notice that the figures are from the previous valid payoff."""
        self.stale.label.setText(
            "<b>The payoff has errors.</b> The figures shown are from the previous valid payoff; "
            "they update once every outcome and parameter is valid again."
        )
        self.stale.setVisible(stale)

    def is_suggested_shown(self) -> bool:
        return not self.suggested.isHidden()

    def is_stale_shown(self) -> bool:
        return not self.stale.isHidden()


def _html(text: str) -> str:
    import html

    return html.escape(text)
