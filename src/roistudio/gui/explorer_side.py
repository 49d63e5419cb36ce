"""The threshold explorer's side panel: its layout, and its lines on the best threshold and the
best one under the constraints (Qt rich text made from a curve's points).
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.curve import CurvePoint
from roistudio.gui.constraints_panel import ConstraintsPanel
from roistudio.gui.widgets import ConfusionMatrixWidget, format_money, format_threshold

SIDE_WIDTH = 340


def side_panel(
    matrix: ConfusionMatrixWidget, constraints: ConstraintsPanel
) -> tuple[QWidget, QLabel, QLabel]:
    """The panel beside the chart: the outcomes at the threshold, the constraints, the best points.

    Returns the panel and its "Best" and "Best under constraints" labels (filled in with
    :func:`best_text` and :func:`constrained_text`).
    """
    matrix_box = QGroupBox("Outcomes at this threshold")
    QVBoxLayout(matrix_box).addWidget(matrix)
    best, constrained = QLabel(""), QLabel("")
    constraints_box = QGroupBox("Constraints")
    box = QVBoxLayout(constraints_box)
    box.addWidget(constraints)
    for label in (best, constrained):
        label.setWordWrap(True)
        box.addWidget(label)
    side = QVBoxLayout()
    side.addWidget(matrix_box)
    side.addWidget(constraints_box)
    side.addStretch(1)
    side.setContentsMargins(0, 0, 0, 0)
    panel = QWidget()
    panel.setLayout(side)
    panel.setFixedWidth(SIDE_WIDTH)
    return panel, best, constrained


def describe_point(point: CurvePoint, currency: str) -> str:
    """``$12,345 at 0.4099 (1,234 flagged)``, never wrapped inside a number."""
    # <nobr> keeps "-$203,135" from being wrapped after its minus sign.
    return (
        f"<nobr>{format_money(point.value, currency)}</nobr> at "
        f"<nobr>{format_threshold(point.threshold)}</nobr> (<nobr>{point.flagged:,} flagged</nobr>)"
    )


def best_text(optimum: CurvePoint, currency: str) -> str:
    """The "Best:" line of the side panel."""
    return f"<b>Best:</b> {describe_point(optimum, currency)}"


def constrained_text(
    constraints: Constraints,
    constrained: CurvePoint | None,
    currency: str,
    *,
    breaking: CurvePoint | None = None,
) -> str:
    """The "Best under constraints:" line.

    Parameters
    ----------
    constraints
        The constraints set (empty: "no constraint set").
    constrained
        The best point under them (``None``: no threshold meets them).
    currency
        The currency values are shown in.
    breaking
        The threshold in use when it does not meet the constraints: a threshold the analyst set
        is kept under a new constraint, and the line says that it breaks it.
    """
    if constraints.is_empty():
        text = "<b>Best under constraints:</b> no constraint set"
    elif constrained is None:
        text = "<b>Best under constraints:</b> no threshold meets the constraints"
    else:
        text = f"<b>Best under constraints:</b> {describe_point(constrained, currency)}"
    if breaking is not None:
        text += (
            f"<br>The threshold in use (<nobr>{format_threshold(breaking.threshold)}</nobr>) does not meet "
            "the constraints; <i>Use best</i> moves to the best one that does."
        )
    return text
