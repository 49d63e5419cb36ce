"""The import wizard's mapping page: which column is the score, the label, the challenger...

It starts from :func:`roistudio.core.data.mapping.propose_mapping` on the real columns and their
distinct counts; the label values and the time-column candidates are read on the database worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
)

from roistudio.core.column_types import is_numeric_type, is_temporal_type
from roistudio.core.data.mapping import ColumnMapping
from roistudio.gui import operations
from roistudio.gui.wizard_pages import _Page

if TYPE_CHECKING:
    from roistudio.core.data.periods import TimeColumn
    from roistudio.gui.import_wizard import ImportWizard

NONE = "(none)"
AUTO = "(automatic)"
_NO_YEAR = 999  # the year spin box's "year not given"


def _checklist() -> QListWidget:
    widget = QListWidget()
    widget.setMaximumHeight(110)
    return widget


class MappingPage(_Page):
    """Which column is the score, the label, the challenger... starting from the core's proposal."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Column roles")
        self.setSubTitle("Proposed from the column names and contents; change anything that is wrong.")
        self.score = QComboBox()
        self.label = QComboBox()
        self.positive = QComboBox()
        self.positive.setEditable(True)
        self.challenger = QComboBox()
        self.model = QComboBox()
        self.id = QComboBox()
        self.timestamp = QComboBox()
        # Month names carry no year: the analyst may give it (the minimum means "not given").
        self.time_year = QSpinBox()
        self.time_year.setRange(_NO_YEAR, 9999)
        self.time_year.setSpecialValueText("year not given")
        self.time_year.setToolTip(
            "The year the month names belong to. Without it they are treated as one calendar year "
            "in month order, and the outputs say 'year not given'."
        )
        self.time_note = QLabel()  # why columns cannot be the time column (tooltip lists each)
        self.time_note.setEnabled(False)
        self.time_note.setWordWrap(True)
        self._time_columns: dict[str, TimeColumn] = {}
        self.segments = _checklist()
        self.money = _checklist()
        self.raw_scores = QCheckBox("Scores are raw margins or logits (values outside 0-1 are allowed)")
        self.exclude_bad = QCheckBox("Leave out rows whose score is missing or unusable")
        self.reasons = QLabel()
        self.reasons.setWordWrap(True)
        self.reasons.setEnabled(False)
        self.score.setToolTip(
            "The model's score; a row is flagged when its score is at or above the threshold."
        )
        self.label.setToolTip("What actually happened (two values; empty = not yet known).")
        self.positive.setToolTip("Which label value is the positive class (e.g. fraud = 1).")
        self.challenger.setToolTip(
            "A second model's score on the same rows, to compare against the champion."
        )
        self.model.setToolTip("Or: a column naming the model of each row (one row per model and prediction).")
        self.segments.setToolTip("Columns to break the value down by (channel, region...).")
        self.money.setToolTip("Money columns the payoff can use per row (amount, customer value...).")
        form = QFormLayout(self)
        form.addRow("Score", self.score)
        form.addRow("Label (actual outcome)", self.label)
        form.addRow("Positive value", self.positive)
        form.addRow("Challenger score", self.challenger)
        form.addRow("Model column", self.model)
        form.addRow("Row id", self.id)
        time_row = QHBoxLayout()
        time_row.addWidget(self.timestamp, 1)
        time_row.addWidget(self.time_year)
        form.addRow("Time", time_row)
        form.addRow("", self.time_note)
        form.addRow("Segments", self.segments)
        form.addRow("Money columns", self.money)
        form.addRow("", self.raw_scores)
        form.addRow("", self.exclude_bad)
        form.addRow("", self.reasons)
        self.label.currentTextChanged.connect(self._load_label_values)
        self.timestamp.currentTextChanged.connect(self._show_time_year)
        for combo in (self.score, self.label, self.positive, self.challenger, self.model):
            combo.currentTextChanged.connect(self.completeChanged)

    def initializePage(self) -> None:
        from roistudio.core.data.mapping_proposal import propose_mapping

        result = self._wizard.import_result
        assert result is not None
        columns = dict(result.report.columns)
        candidates = result.time_candidates
        proposal = propose_mapping(columns, result.distinct, tuple(candidates[0]) if candidates else ())
        mapping = self._wizard.initial_mapping or proposal.mapping
        names = list(columns)
        numeric = [c for c in names if is_numeric_type(columns[c])]
        text_like = [c for c in names if not is_numeric_type(columns[c]) and not is_temporal_type(columns[c])]
        temporal = [c for c in names if is_temporal_type(columns[c])]
        self._fill(self.score, numeric, mapping.score if mapping else None, none=False)
        self._fill(self.label, names, mapping.label if mapping else None, none=False)
        self._fill(self.challenger, numeric, mapping.challenger_score if mapping else None)
        self._fill(self.model, text_like, mapping.model if mapping else None)
        self._fill(self.id, names, mapping.id if mapping else None)
        self._fill(self.timestamp, temporal, mapping.timestamp if mapping else None)
        self.time_year.setValue(mapping.time_year if mapping and mapping.time_year else _NO_YEAR)
        self._load_time_columns(mapping.timestamp if mapping else None)
        chosen_segments = set(mapping.segments) if mapping else set()
        # Columns with another role are not offered as segments or money.
        taken = {mapping.score, mapping.label, mapping.challenger_score, mapping.id} if mapping else set()
        segment_candidates = [
            c
            for c in names
            if c not in taken and not is_temporal_type(columns[c]) and result.distinct.get(c, 0) <= 200
        ]
        self._fill_list(self.segments, segment_candidates, chosen_segments)
        money = [c for c in numeric if c not in taken]
        self._fill_list(self.money, money, set(mapping.money) if mapping else set())
        self.raw_scores.setChecked(bool(mapping and mapping.raw_scores))
        self.exclude_bad.setChecked(bool(mapping and mapping.exclude_bad_scores))
        self._wanted_positive = mapping.positive if mapping else None
        self.reasons.setText(
            "\n".join(proposal.reasons.values()) if self._wizard.initial_mapping is None else ""
        )
        self._load_label_values()

    @staticmethod
    def _fill(combo: QComboBox, items: list[str], current: str | None, none: bool = True) -> None:
        combo.blockSignals(True)
        combo.clear()
        if none:
            combo.addItem(NONE)
        combo.addItems(items)
        if current in items:
            combo.setCurrentText(current)
        combo.blockSignals(False)

    @staticmethod
    def _fill_list(widget: QListWidget, items: list[str], checked: set[str]) -> None:
        widget.clear()
        for name in items:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
            widget.addItem(item)

    @staticmethod
    def _checked(widget: QListWidget) -> tuple[str, ...]:
        return tuple(
            widget.item(i).text()
            for i in range(widget.count())
            if widget.item(i).checkState() == Qt.CheckState.Checked
        )

    def _load_time_columns(self, current: str | None) -> None:
        """Offer every column that can be the time column (dates and period labels such as ``may``)
        and say why the others cannot; inspected on the worker when the import did not."""

        def done(candidates: tuple[dict[str, TimeColumn], dict[str, str]]) -> None:
            accepted, rejected = candidates
            self._time_columns = accepted
            wanted = self.timestamp.currentText() if self.timestamp.count() else current
            self._fill(self.timestamp, list(accepted), wanted if wanted != NONE else current)
            if rejected:
                n = len(rejected)
                self.time_note.setText(
                    f"{n} text column{'s' * (n != 1)} cannot be the time column "
                    f"({', '.join(rejected)}); hover for why"
                )
                self.time_note.setToolTip("\n".join(rejected.values()))
            else:
                self.time_note.setText("")
                self.time_note.setToolTip("")
            self._show_time_year()

        result = self._wizard.import_result
        if result is not None and result.time_candidates is not None:
            done(result.time_candidates)
            return
        table, columns = self._wizard.table, dict(result.report.columns) if result else {}
        distinct = dict(result.distinct) if result else {}
        operations.read_time_columns(
            self._wizard.worker, table, columns, distinct, on_done=done, owner=self
        )  # skipped if the wizard is closed and deleted first

    def _time_zone(self, column: str | None) -> str | None:
        """The zone to form periods in: the one the file records, else the current mapping's."""
        result, initial = self._wizard.import_result, self._wizard.initial_mapping
        zone = result.time_zones.get(column or "") if result is not None else None
        if zone is None and initial is not None and column and initial.timestamp == column:
            zone = initial.time_zone
        return zone

    def _show_time_year(self, *_args: object) -> None:
        time = self._time_columns.get(self.timestamp.currentText())
        self.time_year.setVisible(time is not None and time.form.name == "month_name")

    def _load_label_values(self) -> None:
        label = self.label.currentText()
        if not label:
            return
        table = self._wizard.table
        wanted = getattr(self, "_wanted_positive", None)

        def done(values: list[tuple[object, int]]) -> None:
            if self.label.currentText() != label:
                return
            self.positive.clear()
            self.positive.addItem(AUTO)
            self.positive.addItems([str(v) for v, _ in values[:10]])
            if wanted is not None:
                self.positive.setCurrentText(str(wanted))

        operations.read_label_values(self._wizard.worker, table, label, on_done=done, owner=self)

    def mapping(self) -> ColumnMapping:
        def opt(combo: QComboBox) -> str | None:
            text = combo.currentText()
            return None if text in ("", NONE) else text

        positive = self.positive.currentText().strip()
        return ColumnMapping(
            score=self.score.currentText(),
            label=self.label.currentText(),
            positive=None if positive in ("", AUTO) else positive,
            challenger_score=opt(self.challenger),
            model=opt(self.model) if opt(self.challenger) is None else None,
            id=opt(self.id),
            timestamp=opt(self.timestamp),
            time_year=(
                self.time_year.value()
                if self.time_year.isVisibleTo(self) and self.time_year.value() != _NO_YEAR
                else None
            ),
            time_zone=self._time_zone(opt(self.timestamp)),
            segments=self._checked(self.segments),
            money=self._checked(self.money),
            raw_scores=self.raw_scores.isChecked(),
            exclude_bad_scores=self.exclude_bad.isChecked(),
        )

    def isComplete(self) -> bool:
        return bool(self.score.currentText()) and bool(self.label.currentText())
