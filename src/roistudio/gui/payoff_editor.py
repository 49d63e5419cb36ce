"""The payoff editor: what each outcome is worth, typed in the payoff language, checked as you type.

Four one-line editors (TP, FP, TN, FN) and a parameter table. Each keystroke re-checks its field
with :func:`roistudio.core.payoff.language.check_expression`; an error is shown where it is (a wavy
underline under the offending name or character) and, in words, in red under the field, exactly
as the core words it. ``payoffEdited`` fires ~300 ms after the last edit, and only when the whole
payoff parses, so the shell never starts an analysis on a half-typed expression.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from PySide6.QtCore import QEvent, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QPalette,
    QTextCharFormat,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from roistudio.core.errors import PayoffError
from roistudio.core.glossary import OUTCOME_MEANINGS
from roistudio.core.payoff.language import ALLOWED_FUNCTIONS, OUTCOMES, check_expression, parse_payoff
from roistudio.core.payoff.presets import PRESETS, apply_preset
from roistudio.gui.expression_edit import ErrorLine, ExpressionEdit, column_reference
from roistudio.gui.payoff_state import (
    PayoffInputs,
    PayoffValue,
    format_number,
    parameter_problem,
    payoff_of,
    shown_as,
)
from roistudio.gui.widgets import error_color

__all__ = ["PayoffEditor"]

DEBOUNCE_MS = 300
_OUTCOME_LABELS = {o: (o.upper(), OUTCOME_MEANINGS[o]) for o in OUTCOME_MEANINGS}
_NAME, _VALUE, _LOW, _HIGH = range(4)
_TOKEN = re.compile(r"`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_]*|\d[\d_.eE]*|\S")


class PayoffEditor(QWidget):
    """Edit the four outcome expressions, their parameters and the parameters' plausible ranges.

    Signals
    -------
    payoffEdited(dict, dict, dict)
        ``(expressions, parameters, ranges)`` after the user stops typing for ~300 ms, only when
        every expression and parameter is valid. ``ranges`` maps a parameter to ``(low, high)``
        when both are given.
    validityChanged(bool)
        The payoff as typed became valid (True) or invalid (False): while it is invalid the
        figures shown are those of the previous valid payoff.
    """

    payoffEdited = Signal(dict, dict, dict)
    validityChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._columns: dict[str, str] = {}
        self._errors: dict[str, PayoffError | None] = dict.fromkeys(OUTCOMES)
        self._parameter_error: str | None = None
        self._valid = True
        # The payoff the document last showed or the editor last sent: only a different one is
        # sent (see roistudio.gui.payoff_state), so a payoff shown is never echoed back as an edit.
        self._shown = PayoffValue()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._emit_if_valid)

        # Presets ---------------------------------------------------------------------------------
        # A push button with a menu draws its arrow beside the text, not over it.
        self._presets_button = QPushButton("Presets", self)
        self._presets_button.setToolTip("Start from a ready-made payoff; your money column is put in")
        menu = QMenu(self._presets_button)
        menu.setToolTipsVisible(True)
        for name, preset in PRESETS.items():
            action = QAction(name, menu)
            action.setToolTip(preset.description)
            action.triggered.connect(lambda _checked=False, n=name: self.apply_preset(n))
            menu.addAction(action)
        self._presets_button.setMenu(menu)
        help_label = QLabel(
            "Gains positive, costs negative, per row. Use columns (in `backticks` if they contain "
            f"spaces), parameters, + - * / **, comparisons, a if c else b, {', '.join(ALLOWED_FUNCTIONS)}."
        )
        help_label.setWordWrap(True)
        help_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        top = QHBoxLayout()
        top.addWidget(help_label, 1)
        top.addWidget(self._presets_button, 0, Qt.AlignmentFlag.AlignTop)

        # Expressions ------------------------------------------------------------------------------
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        self._edits: dict[str, ExpressionEdit] = {}
        self._error_labels: dict[str, ErrorLine] = {}
        for i, outcome in enumerate(OUTCOMES):
            short, long = _OUTCOME_LABELS[outcome]
            label = QLabel(f"<b>{short}</b><br><small>{long}</small>")
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            edit = ExpressionEdit(self)
            edit.setPlaceholderText("0")
            edit.setAccessibleName(f"{short} payoff")
            edit.textChanged.connect(lambda _t, o=outcome: self._on_expression_changed(o))
            error = ErrorLine(self)
            self._set_error_style(error)
            label.setBuddy(edit)
            box = QVBoxLayout()
            box.setSpacing(1)
            box.addWidget(edit)
            box.addWidget(error)
            grid.addWidget(label, i, 0)
            grid.addLayout(box, i, 1)
            self._edits[outcome] = edit
            self._error_labels[outcome] = error
        grid.setColumnStretch(1, 1)

        # Parameters ---------------------------------------------------------------------------------
        self._table = QTableWidget(0, 4, self)
        self._table.setHorizontalHeaderLabels(["Parameter", "Value", "Low", "High"])
        for col, tip in ((_LOW, "lowest"), (_HIGH, "highest")):
            header_item = self._table.horizontalHeaderItem(col)
            assert header_item is not None  # set by setHorizontalHeaderLabels
            header_item.setToolTip(f"Optional: {tip} plausible value (sensitivity)")
        header = self._table.horizontalHeader()
        header.setSectionResizeMode(_NAME, QHeaderView.ResizeMode.Stretch)
        for col in (_VALUE, _LOW, _HIGH):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
            header.setMinimumSectionSize(80)
        self._table.verticalHeader().setVisible(False)
        self._table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self._table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._table.itemChanged.connect(self._on_parameters_changed)
        add = QPushButton("Add")
        add.setToolTip("Add a parameter")
        add.clicked.connect(self.add_parameter_row)
        remove = QPushButton("Remove")
        remove.setToolTip("Remove the selected parameters")
        remove.clicked.connect(self._remove_selected_rows)
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        params_row = QHBoxLayout()
        params_row.addWidget(self._table, 1)
        params_row.addLayout(buttons)
        self._parameter_error_label = ErrorLine(self)
        self._set_error_style(self._parameter_error_label)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(grid)
        layout.addSpacing(6)
        layout.addWidget(QLabel("<b>Parameters</b>"))
        layout.addLayout(params_row, 1)
        layout.addWidget(self._parameter_error_label)
        self._update_completions()

    # -- public API ---------------------------------------------------------------------------------
    def set_columns(self, columns: Mapping[str, str]) -> None:
        """The data's columns (name -> DuckDB type) that expressions may use; re-checks every field."""
        self._columns = dict(columns)
        self._update_completions()
        self._check_all()

    def set_payoff(
        self,
        expressions: Mapping[str, str],
        parameters: Mapping[str, float],
        ranges: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        """Show a payoff (e.g. loaded from a project). Does not emit ``payoffEdited``.

        Fields that already mean this payoff are left as typed (the analyst's own edit coming
        back from the document must not reset the text under the cursor).
        """
        target = shown_as(expressions, parameters, ranges or {}, OUTCOMES)
        if not payoff_of(self._inputs(), OUTCOMES).same_as(target):
            self._fill(expressions, parameters, ranges or {})
        self._timer.stop()
        self._shown = payoff_of(self._inputs(), OUTCOMES)

    def _fill(
        self,
        expressions: Mapping[str, str],
        parameters: Mapping[str, float],
        ranges: Mapping[str, tuple[float, float]],
    ) -> None:
        """Write a payoff into the fields; the fields' change signals stay silent meanwhile."""
        blockers = [QSignalBlocker(edit) for edit in self._edits.values()]
        blockers.append(QSignalBlocker(self._table))
        for outcome in OUTCOMES:
            self._edits[outcome].setText(str(expressions.get(outcome) or ""))
        self._table.setRowCount(0)
        for name, value in parameters.items():
            low, high = ranges.get(name, (None, None))
            self._append_row(name, value, low, high)
        for blocker in blockers:
            blocker.unblock()
        self._timer.stop()
        self._update_completions()
        self._check_all()

    def _inputs(self) -> PayoffInputs:
        """The fields as typed."""
        rows = tuple(
            (self._cell(r, _NAME), self._cell(r, _VALUE), self._cell(r, _LOW), self._cell(r, _HIGH))
            for r in range(self._table.rowCount())
        )
        return PayoffInputs({o: self._edits[o].text() for o in OUTCOMES}, rows)

    def payoff_state(self) -> tuple[dict[str, str], dict[str, float], dict[str, tuple[float, float]]]:
        """``(expressions, parameters, ranges)`` as currently typed (rows with bad numbers left out)."""
        value = payoff_of(self._inputs(), OUTCOMES)
        return value.expressions, value.parameters, value.ranges

    def is_valid(self) -> bool:
        """True when every expression and the parameter table are valid."""
        return not any(self._errors.values()) and self._parameter_error is None

    def error_text(self, outcome: str) -> str:
        """The message shown under an outcome's field ('' when valid)."""
        error = self._errors[outcome]
        return "" if error is None else error.message

    def parameter_error_text(self) -> str:
        return self._parameter_error or ""

    def expression_edit(self, outcome: str) -> QLineEdit:
        """The line edit of one outcome (for the shell's focus handling and for tests)."""
        return self._edits[outcome]

    def focus_first_problem(self) -> None:
        """Put the cursor in the first field with an error (the TP field when all are valid)."""
        outcome = next((o for o in OUTCOMES if self._errors[o] is not None), OUTCOMES[0])
        if self._parameter_error is not None and all(self._errors[o] is None for o in OUTCOMES):
            self._table.setFocus()
            return
        self._edits[outcome].setFocus()

    def parameter_table(self) -> QTableWidget:
        return self._table

    def apply_preset(self, name: str) -> None:
        """Replace the payoff with a preset using the data's money column; counts as a user edit."""
        expressions, parameters = apply_preset(PRESETS[name], self._columns)
        self._fill(expressions, parameters, {})
        self._timer.start()  # sent once checked, unless it is the payoff already shown

    def add_parameter_row(self) -> None:
        """Append an empty parameter row and start editing its name."""
        self._append_row("", None, None, None)
        row = self._table.rowCount() - 1
        self._table.setCurrentCell(row, _NAME)
        item = self._table.item(row, _NAME)
        assert item is not None  # _append_row sets every cell
        self._table.editItem(item)

    # -- parameters -------------------------------------------------------------------------------------
    def _append_row(self, name: str, value: float | None, low: float | None, high: float | None) -> None:
        row = self._table.rowCount()
        self._table.insertRow(row)
        for col, content in ((_NAME, name), (_VALUE, value), (_LOW, low), (_HIGH, high)):
            text = (
                content if isinstance(content, str) else ("" if content is None else format_number(content))
            )
            item = QTableWidgetItem(text)
            if col != _NAME:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._table.setItem(row, col, item)

    def _remove_selected_rows(self) -> None:
        rows = sorted({index.row() for index in self._table.selectedIndexes()}, reverse=True)
        if not rows and self._table.currentRow() >= 0:
            rows = [self._table.currentRow()]
        for row in rows:
            self._table.removeRow(row)
        self._on_parameters_changed()

    def _cell(self, row: int, col: int) -> str:
        item = self._table.item(row, col)
        return item.text() if item is not None else ""

    def _parameter_problem(self) -> str | None:
        return parameter_problem(self._inputs().rows, self._columns)

    def _on_parameters_changed(self, _item: QTableWidgetItem | None = None) -> None:
        self._update_completions()
        self._check_all()
        self._timer.start()

    # -- expressions -------------------------------------------------------------------------------------
    def _on_expression_changed(self, outcome: str) -> None:
        self._check(outcome)
        self._timer.start()

    def _parameter_names(self) -> list[str]:
        names = (self._cell(r, _NAME).strip() for r in range(self._table.rowCount()))
        return [n for n in names if n]

    def _check_all(self) -> None:
        for outcome in OUTCOMES:
            self._check_field(outcome)
        self._parameter_error = self._parameter_problem()
        self._parameter_error_label.set_message(self._parameter_error or "")
        self._report_validity()

    def _report_validity(self) -> None:
        valid = self.is_valid()
        if valid != self._valid:
            self._valid = valid
            self.validityChanged.emit(valid)

    def _check(self, outcome: str) -> None:
        self._check_field(outcome)
        self._report_validity()

    def _check_field(self, outcome: str) -> None:
        edit = self._edits[outcome]
        error = check_expression(edit.text(), columns=self._columns, parameters=self._parameter_names())
        self._errors[outcome] = error
        label = self._error_labels[outcome]
        if error is None:
            label.set_message("")
            edit.underline(None, 0)
            edit.setToolTip("")
            return
        label.set_message(error.message)
        edit.setToolTip(error.message)
        start, length = self._error_span(edit.text(), error.position)
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(error_color(self.palette()))
        fmt.setForeground(error_color(self.palette()))
        edit.underline(start, length, fmt)

    @staticmethod
    def _error_span(text: str, position: tuple[int, int] | None) -> tuple[int | None, int]:
        """Character index and length of the token at a 1-based (line, column) position."""
        if position is None:
            return None, 0
        line, column = position
        lines = text.split("\n")
        index = sum(len(s) + 1 for s in lines[: line - 1]) + column - 1
        index = max(0, min(index, len(text)))
        if index >= len(text):  # "unexpected end": mark the last character
            return max(0, len(text) - 1), 1
        match = _TOKEN.match(text, index)
        return index, len(match.group(0)) if match else 1

    def _update_completions(self) -> None:
        words = [column_reference(c) for c in self._columns]
        words += self._parameter_names()
        words += list(ALLOWED_FUNCTIONS)
        for edit in self._edits.values():
            edit.set_completion_words(words)

    def _set_error_style(self, label: QLabel) -> None:
        palette = label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, error_color(self.palette()))
        label.setPalette(palette)

    def changeEvent(self, event: QEvent) -> None:
        # Follow a switch between light and dark themes: error red is derived from the palette.
        if event.type() == QEvent.Type.PaletteChange:
            for label in (*self._error_labels.values(), self._parameter_error_label):
                self._set_error_style(label)
            self._check_all()
        super().changeEvent(event)

    # -- emitting -------------------------------------------------------------------------------------------
    def _emit_if_valid(self) -> None:
        if not self.is_valid():
            return
        value = payoff_of(self._inputs(), OUTCOMES)
        if value.same_as(self._shown):
            return  # what the document holds already: no edit
        try:
            parse_payoff(value.expressions, value.parameters, self._columns)
        except PayoffError as error:  # e.g. a parameter name the language reserves
            self._parameter_error = str(error)
            self._parameter_error_label.set_message(self._parameter_error)
            self._report_validity()
            return
        self._shown = value
        self.payoffEdited.emit(value.expressions, value.parameters, value.ranges)
