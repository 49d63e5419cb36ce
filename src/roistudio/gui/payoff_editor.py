"""The payoff editor: what each outcome is worth, typed in the payoff language, checked as you type.

Four one-line editors (TP, FP, TN, FN) and a parameter table. Each keystroke re-checks its field
with :func:`roistudio.core.payoff.language.check_expression`; an error is shown where it is (a wavy
underline under the offending name or character) and, in words, in red under the field, exactly
as the core words it. ``payoffEdited`` fires ~300 ms after the last edit, and only when the whole
payoff parses, so the shell never starts an analysis on a half-typed expression.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QFontDatabase,
    QInputMethodEvent,
    QKeyEvent,
    QMouseEvent,
    QPalette,
    QTextCharFormat,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCompleter,
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
from roistudio.gui.widgets import error_color

__all__ = ["PayoffEditor"]

DEBOUNCE_MS = 300
_OUTCOME_LABELS = {o: (o.upper(), OUTCOME_MEANINGS[o]) for o in OUTCOME_MEANINGS}
_NAME, _VALUE, _LOW, _HIGH = range(4)
_IDENTIFIER_BEFORE_CURSOR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_TOKEN = re.compile(r"`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_]*|\d[\d_.eE]*|\S")


def _column_reference(name: str) -> str:
    return name if name.isidentifier() else "`" + name.replace("`", "``") + "`"


def _parse_number(text: str) -> float | None:
    """A finite float from cell text (``1,000.5`` and ``1_000`` accepted), or None."""
    try:
        value = float(text.strip().replace(",", "").replace("_", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _format_number(value: float) -> str:
    return f"{value:.10g}"


class _PopupClickThrough(QObject):
    """While a completion popup is open, a click outside it closes it *and* reaches its target.

    A Qt popup grabs the mouse: by default a click elsewhere only closes it and is swallowed, and
    the keyboard stays with the field that opened it, so what the analyst then types for FN
    lands in TP. Installed on the application only while the popup is visible.
    """

    def __init__(self, popup: QWidget, parent: QObject) -> None:
        super().__init__(parent)
        self._popup = popup
        popup.installEventFilter(self)  # to see it hide

    def watch(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
            app.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self._popup and event.type() == QEvent.Type.Hide:
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            return False
        if (
            event.type() != QEvent.Type.MouseButtonPress
            or not self._popup.isVisible()
            or not isinstance(obj, QWidget)  # the window-level copy of the event comes first
        ):
            return False
        where = event.globalPosition().toPoint()
        if self._popup.rect().contains(self._popup.mapFromGlobal(where)):
            return False  # a click on a completion: the completer handles it
        self._popup.hide()
        grabbed = obj is self._popup or (isinstance(obj, QWidget) and self._popup.isAncestorOf(obj))
        target = QApplication.widgetAt(where) if grabbed else obj
        if target is None:
            return grabbed
        if target.focusPolicy() & Qt.FocusPolicy.ClickFocus:
            target.setFocus(Qt.FocusReason.MouseFocusReason)
        if grabbed:  # the popup caught the press: deliver it where the analyst clicked
            local = QPointF(target.mapFromGlobal(where))
            press = QMouseEvent(
                event.type(),
                local,
                event.globalPosition(),
                event.button(),
                event.buttons(),
                event.modifiers(),
            )
            QCoreApplication.sendEvent(target, press)
            return True
        return False


class _ErrorLine(QLabel):
    """One line always reserved under a field for its error, so the fields below never jump.

    A message longer than the line is elided; the whole message is in the tooltip and in the
    field's own tooltip.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() + 2)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def set_message(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def message(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.setFixedHeight(self.fontMetrics().height() + 2)

    def _elide(self) -> None:
        width = max(self.width(), 1)
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width))


class _ExpressionEdit(QLineEdit):
    """A line edit that completes the word under the cursor and can underline a span of its text."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._words = QStringListModel(self)
        self._completer = QCompleter(self._words, self)
        self._completer.setWidget(self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self._completer.activated.connect(self._insert_completion)
        # A short list: the popup opens over the fields below, so it covers as few as it can.
        self._completer.setMaxVisibleItems(6)
        self._click_through = _PopupClickThrough(self._completer.popup(), self)
        self.textEdited.connect(self._maybe_complete)

    def set_completion_words(self, words: list[str]) -> None:
        self._words.setStringList(sorted(set(words), key=str.lower))

    def _maybe_complete(self, _text: str) -> None:
        prefix = self._prefix()
        if not prefix:
            self._completer.popup().hide()
            return
        self._completer.setCompletionPrefix(prefix)
        if self._completer.completionCount() == 0 or (
            self._completer.completionCount() == 1 and self._completer.currentCompletion() == prefix
        ):
            self._completer.popup().hide()
            return
        rect = self.cursorRect()
        rect.setWidth(
            self._completer.popup().sizeHintForColumn(0)
            + self._completer.popup().verticalScrollBar().sizeHint().width()
        )
        self._completer.complete(rect)
        self._click_through.watch()

    def _prefix(self) -> str:
        match = _IDENTIFIER_BEFORE_CURSOR.search(self.text()[: self.cursorPosition()])
        return match.group(0) if match else ""

    def _insert_completion(self, word: str) -> None:
        cursor = self.cursorPosition()
        prefix = self._prefix()
        text = self.text()
        self.setText(text[: cursor - len(prefix)] + word + text[cursor:])
        self.setCursorPosition(cursor - len(prefix) + len(word))
        # setText is not an edit signal; tell the editor the user changed the text.
        self.textEdited.emit(self.text())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self._completer.popup()
        keys = (Qt.Key.Key_Enter, Qt.Key.Key_Return, Qt.Key.Key_Escape, Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
        if popup.isVisible() and event.key() in keys:
            event.ignore()  # the completer's popup handles these
            return
        super().keyPressEvent(event)

    def underline(self, start: int | None, length: int, fmt: QTextCharFormat | None = None) -> None:
        """Underline ``length`` characters from ``start`` (``None`` removes the underline).

        QLineEdit has no public per-character formatting; an input-method event carrying only
        text formats is the documented way to style part of its text without changing it.
        """
        attributes = []
        if start is not None and fmt is not None:
            attributes.append(
                QInputMethodEvent.Attribute(
                    QInputMethodEvent.AttributeType.TextFormat,
                    start - self.cursorPosition(),
                    max(1, length),
                    fmt,
                )
            )
        QCoreApplication.sendEvent(self, QInputMethodEvent("", attributes))


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
        self._loading = False
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
        self._edits: dict[str, _ExpressionEdit] = {}
        self._error_labels: dict[str, _ErrorLine] = {}
        for i, outcome in enumerate(OUTCOMES):
            short, long = _OUTCOME_LABELS[outcome]
            label = QLabel(f"<b>{short}</b><br><small>{long}</small>")
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            edit = _ExpressionEdit(self)
            edit.setPlaceholderText("0")
            edit.setAccessibleName(f"{short} payoff")
            edit.textChanged.connect(lambda _t, o=outcome: self._on_expression_changed(o))
            error = _ErrorLine(self)
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
        self._table.horizontalHeaderItem(_LOW).setToolTip("Optional: lowest plausible value (sensitivity)")
        self._table.horizontalHeaderItem(_HIGH).setToolTip("Optional: highest plausible value (sensitivity)")
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
        self._parameter_error_label = _ErrorLine(self)
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
        """Show a payoff (e.g. loaded from a project). Does not emit ``payoffEdited``."""
        self._loading = True
        try:
            for outcome in OUTCOMES:
                self._edits[outcome].setText(str(expressions.get(outcome) or ""))
            self._table.blockSignals(True)
            self._table.setRowCount(0)
            for name, value in parameters.items():
                low, high = (ranges or {}).get(name, (None, None))
                self._append_row(name, value, low, high)
            self._table.blockSignals(False)
        finally:
            self._loading = False
        self._timer.stop()
        self._update_completions()
        self._check_all()

    def payoff_state(self) -> tuple[dict[str, str], dict[str, float], dict[str, tuple[float, float]]]:
        """``(expressions, parameters, ranges)`` as currently typed (rows with bad numbers left out)."""
        expressions = {o: self._edits[o].text().strip() or "0" for o in OUTCOMES}
        parameters: dict[str, float] = {}
        ranges: dict[str, tuple[float, float]] = {}
        for row in range(self._table.rowCount()):
            name = self._cell(row, _NAME).strip()
            value = _parse_number(self._cell(row, _VALUE))
            if not name or value is None:
                continue
            parameters[name] = value
            low, high = _parse_number(self._cell(row, _LOW)), _parse_number(self._cell(row, _HIGH))
            if low is not None and high is not None:
                ranges[name] = (low, high)
        return expressions, parameters, ranges

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
        self.set_payoff(expressions, parameters, {})
        self._timer.start()

    def add_parameter_row(self) -> None:
        """Append an empty parameter row and start editing its name."""
        self._append_row("", None, None, None)
        row = self._table.rowCount() - 1
        self._table.setCurrentCell(row, _NAME)
        self._table.editItem(self._table.item(row, _NAME))

    # -- parameters -------------------------------------------------------------------------------------
    def _append_row(self, name: str, value: float | None, low: float | None, high: float | None) -> None:
        row = self._table.rowCount()
        self._table.insertRow(row)
        for col, content in ((_NAME, name), (_VALUE, value), (_LOW, low), (_HIGH, high)):
            text = (
                content if isinstance(content, str) else ("" if content is None else _format_number(content))
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
        """The first problem of the parameter table, in one line naming the row."""
        seen: set[str] = set()
        for row in range(self._table.rowCount()):
            name = self._cell(row, _NAME).strip()
            texts = [self._cell(row, c).strip() for c in (_VALUE, _LOW, _HIGH)]
            if not name and not any(texts):
                continue  # a blank row being filled in
            if not name:
                return f"row {row + 1}: the parameter needs a name"
            if name in seen:
                return f"parameter '{name}' is defined twice"
            seen.add(name)
            if name in self._columns:
                return f"parameter '{name}' has the name of a column; rename it"
            value = _parse_number(texts[0])
            if value is None:
                return f"parameter '{name}': value {texts[0]!r} is not a number"
            low = _parse_number(texts[1]) if texts[1] else None
            high = _parse_number(texts[2]) if texts[2] else None
            if (texts[1] and low is None) or (texts[2] and high is None):
                return f"parameter '{name}': the range must be numbers"
            if (low is None) != (high is None):
                return f"parameter '{name}': give both low and high, or neither"
            if low is not None and high is not None and not low <= value <= high:
                return f"parameter '{name}': the range {_format_number(low)} to {_format_number(high)} must contain the value {_format_number(value)}"
        return None

    def _on_parameters_changed(self, _item: QTableWidgetItem | None = None) -> None:
        if self._loading:
            return
        self._update_completions()
        self._check_all()
        self._timer.start()

    # -- expressions -------------------------------------------------------------------------------------
    def _on_expression_changed(self, outcome: str) -> None:
        if self._loading:
            return
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
        words = [_column_reference(c) for c in self._columns]
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
        expressions, parameters, ranges = self.payoff_state()
        try:
            parse_payoff(expressions, parameters, self._columns)
        except PayoffError as error:  # e.g. a parameter name the language reserves
            self._parameter_error = str(error)
            self._parameter_error_label.set_message(self._parameter_error)
            self._report_validity()
            return
        self.payoffEdited.emit(expressions, parameters, ranges)
