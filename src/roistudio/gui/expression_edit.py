"""The payoff editor's expression field: completion of the word under the cursor, an underlined error.

:class:`ExpressionEdit` completes column names, parameters and functions; :class:`ErrorLine` is the
one line reserved under a field for its error; :class:`PopupClickThrough` lets a click outside an
open completion popup reach what was clicked.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, QStringListModel, Qt
from PySide6.QtGui import (
    QFontDatabase,
    QInputMethodEvent,
    QKeyEvent,
    QMouseEvent,
    QResizeEvent,
    QTextCharFormat,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCompleter,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QWidget,
)

_IDENTIFIER_BEFORE_CURSOR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


def column_reference(name: str) -> str:
    """How the payoff language names a column: as is, or in backticks when it is no identifier."""
    return name if name.isidentifier() else "`" + name.replace("`", "``") + "`"


class PopupClickThrough(QObject):
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
            or not isinstance(event, QMouseEvent)
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


class ErrorLine(QLabel):
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

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.setFixedHeight(self.fontMetrics().height() + 2)

    def _elide(self) -> None:
        width = max(self.width(), 1)
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width))


class ExpressionEdit(QLineEdit):
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
        self._click_through = PopupClickThrough(self._popup(), self)
        self.textEdited.connect(self._maybe_complete)

    def _popup(self) -> QAbstractItemView:
        popup = self._completer.popup()
        assert popup is not None  # a completer always has its popup
        return popup

    def set_completion_words(self, words: list[str]) -> None:
        self._words.setStringList(sorted(set(words), key=str.lower))

    def _maybe_complete(self, _text: str) -> None:
        prefix = self._prefix()
        if not prefix:
            self._popup().hide()
            return
        self._completer.setCompletionPrefix(prefix)
        if self._completer.completionCount() == 0 or (
            self._completer.completionCount() == 1 and self._completer.currentCompletion() == prefix
        ):
            self._popup().hide()
            return
        rect = self.cursorRect()
        rect.setWidth(
            self._popup().sizeHintForColumn(0) + self._popup().verticalScrollBar().sizeHint().width()
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
        popup = self._popup()
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
