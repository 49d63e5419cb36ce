"""The threshold explorer's constraint inputs: review capacity, minimum precision and recall, maximum FPR.

The panel binds its boxes to a plain :class:`~roistudio.gui.explorer_state.ConstraintInputs`:
:meth:`ConstraintsPanel.show_constraints` writes the boxes (their change signals silent: the
program, not the analyst, is changing them) and remembers the constraints shown; an edit by the
analyst is read back from the boxes and sent (``edited``) only when the constraints it means
differ from those, so constraints shown never come back as an edit.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QWidget

from roistudio.core.engine.constraints import Constraints
from roistudio.gui.explorer_state import ConstraintInputs

ROWS, PERCENT = 0, 1  # the capacity unit box's entries


def _percent_spin() -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, 100.0)
    spin.setDecimals(1)
    spin.setSuffix(" %")
    spin.setSingleStep(1.0)
    spin.setKeyboardTracking(False)
    return spin


class ConstraintsPanel(QWidget):
    """Check boxes and numbers for the constraints.

    Signals
    -------
    edited(object)
        The :class:`~roistudio.core.engine.curve.Constraints` the analyst's edit means, at once
        (the explorer debounces). Never emitted by :meth:`show_constraints`.
    """

    edited = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows = 0
        self._shown = ConstraintInputs()
        self.capacity_on = QCheckBox("Review capacity")
        self.capacity_on.setToolTip("At most this many rows (or this share of rows) may be flagged")
        self.capacity = QDoubleSpinBox()
        self.capacity_unit = QComboBox()
        self.capacity_unit.addItems(["rows", "% of rows"])
        self.precision_on = QCheckBox("Min precision")
        self.precision = _percent_spin()
        self.recall_on = QCheckBox("Min recall")
        self.recall = _percent_spin()
        self.fpr_on = QCheckBox("Max false positive rate")
        self.fpr = _percent_spin()
        self.fpr_on.setToolTip(
            "False positive rate: share of actual negatives that are flagged (FP / negatives)"
        )
        self._configure_capacity(in_percent=False)
        capacity_row = QHBoxLayout()
        capacity_row.addWidget(self.capacity, 1)
        capacity_row.addWidget(self.capacity_unit)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.capacity_on, capacity_row)
        form.addRow(self.precision_on, self.precision)
        form.addRow(self.recall_on, self.recall)
        form.addRow(self.fpr_on, self.fpr)
        for check, spin in self.pairs():
            check.toggled.connect(self._on_edited)
            # A value typed into a switched-off constraint switches it on: that is what the user means.
            spin.valueChanged.connect(lambda _v, c=check: self._on_value(c))
        self.capacity_unit.currentIndexChanged.connect(self._on_unit)

    def pairs(self) -> tuple[tuple[QCheckBox, QDoubleSpinBox], ...]:
        """Each constraint's check box and number."""
        return (
            (self.capacity_on, self.capacity),
            (self.precision_on, self.precision),
            (self.recall_on, self.recall),
            (self.fpr_on, self.fpr),
        )

    def inputs(self) -> ConstraintInputs:
        """What the boxes show now."""
        return ConstraintInputs(
            capacity_on=self.capacity_on.isChecked(),
            capacity_in_percent=self.capacity_unit.currentIndex() == PERCENT,
            capacity=self.capacity.value(),
            precision_on=self.precision_on.isChecked(),
            precision=self.precision.value(),
            recall_on=self.recall_on.isChecked(),
            recall=self.recall.value(),
            fpr_on=self.fpr_on.isChecked(),
            fpr=self.fpr.value(),
        )

    def constraints(self) -> Constraints:
        """The constraints the boxes describe (unchecked ones are no limit)."""
        return self.inputs().constraints()

    def show_constraints(self, constraints: Constraints, rows: int) -> None:
        """Show ``constraints`` on data of ``rows`` rows (no ``edited``)."""
        self._rows = rows
        state = ConstraintInputs.showing(constraints, rows, keep=self.inputs())
        widgets = [w for pair in self.pairs() for w in pair]
        blockers = [QSignalBlocker(w) for w in (*widgets, self.capacity_unit)]
        self.capacity_unit.setCurrentIndex(PERCENT if state.capacity_in_percent else ROWS)
        self._configure_capacity(in_percent=state.capacity_in_percent)
        self.capacity.setValue(state.capacity)
        for (check, spin), on, value in zip(
            self.pairs()[1:],
            (state.precision_on, state.recall_on, state.fpr_on),
            (state.precision, state.recall, state.fpr),
            strict=True,
        ):
            spin.setValue(value)
            check.setChecked(on)
        self.capacity_on.setChecked(state.capacity_on)
        for blocker in blockers:
            blocker.unblock()
        self._shown = self.inputs()

    def set_inputs_enabled(self, enabled: bool) -> None:
        for check, spin in self.pairs():
            check.setEnabled(enabled)
            spin.setEnabled(enabled)
        self.capacity_unit.setEnabled(enabled)

    # -- the analyst's edits --------------------------------------------------------------------------
    def _configure_capacity(self, *, in_percent: bool) -> None:
        if in_percent:
            self.capacity.setDecimals(2)
            self.capacity.setRange(0.0, 100.0)
            self.capacity.setSuffix(" %")
            self.capacity.setSingleStep(0.5)
        else:
            self.capacity.setDecimals(0)
            self.capacity.setRange(0, max(self._rows, 1))
            self.capacity.setSuffix("")
            self.capacity.setSingleStep(max(1, self._rows // 100))

    def _on_unit(self, index: int) -> None:
        with_blocker = QSignalBlocker(self.capacity)  # the range change clamps: not an edit by itself
        self._configure_capacity(in_percent=index == PERCENT)
        with_blocker.unblock()
        self._on_edited()

    def _on_value(self, check: QCheckBox) -> None:
        if not check.isChecked():
            check.setChecked(True)  # emits toggled -> _on_edited
            return
        self._on_edited()

    def _on_edited(self, *_args: object) -> None:
        inputs = self.inputs()
        if inputs.constraints() == self._shown.constraints():
            return
        self._shown = inputs
        self.edited.emit(inputs.constraints())
