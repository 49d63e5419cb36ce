"""The filter bar: which segment values and which dates an analysis looks at.

One drop-down multi-select per segment column and an optional date range. Every value checked
(the default) means "no filter on this column"; unchecking values narrows the rows. The date range
is inclusive on both ends for the user ("from 1 Mar to 31 Mar") and stored as the core's
half-open range (``start`` inclusive, ``end`` exclusive = the day after the "to" date).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence

from PySide6.QtCore import QDate, QObject, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from roistudio.core.engine.filters import Filters

__all__ = ["FilterBar", "MultiSelectButton"]

DEBOUNCE_MS = 250
_MAX_LISTED = 2  # values named on the button before it says "3 of 7"


def _to_qdate(text: str | None) -> QDate | None:
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None
    return QDate(day.year, day.month, day.day)


def _iso(date: QDate) -> str:
    return dt.date(date.year(), date.month(), date.day()).isoformat()


class MultiSelectButton(QPushButton):
    """A button opening a checkable list of values that stays open while values are ticked.

    Signals
    -------
    selectionChanged()
        After the user ticks or unticks a value (not after :meth:`set_selected`).
    """

    selectionChanged = Signal()

    def __init__(self, column: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.column = column
        # A push button with a menu keeps its drop-down arrow beside the text; a tool button's
        # instant-popup arrow is painted over the end of the text.
        self._list = QListWidget()
        self._list.setMinimumWidth(200)
        self._list.itemChanged.connect(self._on_item_changed)
        all_button, none_button = QPushButton("All"), QPushButton("None")
        all_button.clicked.connect(lambda: self._set_all(True))
        none_button.clicked.connect(lambda: self._set_all(False))
        buttons = QHBoxLayout()
        buttons.addWidget(all_button)
        buttons.addWidget(none_button)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._list)
        layout.addLayout(buttons)
        action = QWidgetAction(self)
        action.setDefaultWidget(box)
        menu = QMenu(self)
        menu.addAction(action)
        self.setMenu(menu)
        self._update_text()

    def set_values(self, values: Sequence[str]) -> None:
        """The values to choose from; all start checked."""
        with _silent(self._list):
            self._list.clear()
            for value in values:
                item = QListWidgetItem(str(value))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked)
                self._list.addItem(item)
        self._update_text()

    def values(self) -> list[str]:
        return [self._list.item(i).text() for i in range(self._list.count())]

    def selected(self) -> tuple[str, ...]:
        """Checked values; empty when all (or none) are checked, i.e. no filter."""
        checked = [
            self._list.item(i).text()
            for i in range(self._list.count())
            if self._list.item(i).checkState() == Qt.CheckState.Checked
        ]
        return () if len(checked) in (0, self._list.count()) else tuple(checked)

    def set_selected(self, values: Sequence[str]) -> None:
        """Check exactly ``values`` (empty: all). Does not emit ``selectionChanged``."""
        wanted = set(values)
        with _silent(self._list):
            for i in range(self._list.count()):
                item = self._list.item(i)
                on = not wanted or item.text() in wanted
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self._update_text()

    def set_checked(self, value: str, checked: bool) -> None:
        """Tick or untick one value as the user would (emits ``selectionChanged``)."""
        for i in range(self._list.count()):
            item = self._list.item(i)
            if item.text() == value:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def _set_all(self, checked: bool) -> None:
        with _silent(self._list):  # one selectionChanged for the lot, not one per value
            for i in range(self._list.count()):
                state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
                self._list.item(i).setCheckState(state)
        self._update_text()
        self.selectionChanged.emit()

    def _on_item_changed(self, _item: QListWidgetItem) -> None:
        self._update_text()
        self.selectionChanged.emit()

    def _update_text(self) -> None:
        chosen = self.selected()
        if not chosen:
            summary = "all"
        elif len(chosen) <= _MAX_LISTED:
            summary = ", ".join(chosen)
        else:
            summary = f"{len(chosen)} of {self._list.count()}"
        self.setText(f"{self.column}: {summary}")
        self.setToolTip(f"Rows whose {self.column} is " + (", ".join(chosen) if chosen else "anything"))


class FilterBar(QWidget):
    """Segment multi-selects and a date range.

    Signals
    -------
    filtersChanged(object)
        A :class:`roistudio.core.engine.filters.Filters`, ~250 ms after the user's last change (so
        ticking several values starts one analysis, not several). Never emitted by
        :meth:`set_options` or :meth:`set_filters`.
    """

    filtersChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._buttons: dict[str, MultiSelectButton] = {}
        # The filters last shown (set_options, set_filters) or sent: only a change from them is
        # sent, so showing filters never comes back as an edit.
        self._shown = Filters()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._emit)

        self._segments_layout = QHBoxLayout()
        self._segments_layout.setContentsMargins(0, 0, 0, 0)
        self._use_dates = QCheckBox("Dates")
        self._use_dates.setToolTip("Only rows whose time is within the range (both days included)")
        self._from = QDateEdit()
        self._to = QDateEdit()
        for edit in (self._from, self._to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
            edit.dateChanged.connect(self._on_changed)
        self._use_dates.toggled.connect(self._on_dates_toggled)
        self._clear = QPushButton("Clear filters")
        self._clear.clicked.connect(self._on_clear)
        self._empty = QLabel("No segment columns mapped")
        self._empty.setEnabled(False)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(QLabel("<b>Filter</b>"))
        layout.addWidget(self._empty)
        layout.addLayout(self._segments_layout)
        layout.addSpacing(12)
        layout.addWidget(self._use_dates)
        layout.addWidget(self._from)
        self._to_label = QLabel("to")
        layout.addWidget(self._to_label)
        layout.addWidget(self._to)
        layout.addStretch(1)
        layout.addWidget(self._clear)
        self._dates_available = False
        self._set_dates_available(False)

    # -- public API ---------------------------------------------------------------------------------
    def set_options(
        self, segments: Mapping[str, Sequence[str]], date_min: str | None, date_max: str | None
    ) -> None:
        """The segment columns with their values, and the data's date span (None: no time column).

        Resets the bar to "no filter"; call :meth:`set_filters` afterwards to restore a saved one.
        """
        self._timer.stop()
        for button in self._buttons.values():
            self._segments_layout.removeWidget(button)
            button.deleteLater()
        self._buttons = {}
        for column, values in segments.items():
            button = MultiSelectButton(column, self)
            button.set_values([str(v) for v in values])
            button.selectionChanged.connect(self._on_changed)
            self._segments_layout.addWidget(button)
            self._buttons[column] = button
        self._empty.setVisible(not self._buttons)
        low, high = _to_qdate(date_min), _to_qdate(date_max)
        self._set_dates_available(low is not None and high is not None)
        if low is not None and high is not None:
            for edit in (self._from, self._to):
                edit.setDateRange(low, high)
            with _silent(self._from), _silent(self._to):
                self._from.setDate(low)
                self._to.setDate(high)
        with _silent(self._use_dates):
            self._use_dates.setChecked(False)
        self._show_date_inputs()
        self._shown = self.filters()

    def set_filters(self, filters: Filters) -> None:
        """Show ``filters`` (e.g. from a project). Does not emit ``filtersChanged``."""
        self._timer.stop()
        for column, button in self._buttons.items():
            button.set_selected(filters.segments.get(column, ()))
        start, end = _to_qdate(filters.start), _to_qdate(filters.end)
        use = self._dates_available and (start is not None or end is not None)
        with _silent(self._use_dates), _silent(self._from), _silent(self._to):
            self._use_dates.setChecked(use)
            if use:
                self._from.setDate(start if start is not None else self._from.minimumDate())
                self._to.setDate(end.addDays(-1) if end is not None else self._to.maximumDate())
        self._show_date_inputs()
        self._shown = self.filters()

    def filters(self) -> Filters:
        """The filters as currently set."""
        segments = {c: b.selected() for c, b in self._buttons.items() if b.selected()}
        start = end = None
        if self._use_dates.isChecked() and self._dates_available:
            start = _iso(self._from.date())
            end = _iso(self._to.date().addDays(1))  # the core's end is exclusive
        return Filters(segments, start, end)

    def segment_button(self, column: str) -> MultiSelectButton:
        return self._buttons[column]

    def date_edits(self) -> tuple[QCheckBox, QDateEdit, QDateEdit]:
        return self._use_dates, self._from, self._to

    # -- internals ------------------------------------------------------------------------------------
    def _set_dates_available(self, available: bool) -> None:
        self._dates_available = available
        self._use_dates.setEnabled(available)
        self._use_dates.setToolTip(
            "Only rows whose time is within the range (both days included)"
            if available
            else "Map a time column to filter by date"
        )
        for edit in (self._from, self._to):
            edit.setEnabled(available and self._use_dates.isChecked())
        # Without a time column there is no date range to show: hide it rather than show a
        # meaningless placeholder date.
        for widget in (self._use_dates, self._from, self._to_label, self._to):
            widget.setVisible(available)

    def _show_date_inputs(self) -> None:
        for edit in (self._from, self._to):
            edit.setEnabled(self._use_dates.isChecked() and self._dates_available)

    def _on_dates_toggled(self, _checked: bool) -> None:
        self._show_date_inputs()
        self._on_changed()

    def _on_clear(self) -> None:
        shown = self._shown
        self.set_filters(Filters())
        self._shown = shown  # what the document holds: clearing is an edit of it
        self._on_changed()

    def _on_changed(self, *_args: object) -> None:
        if self._to.date() < self._from.date():
            # Keep the range valid while the user drags one end past the other.
            sender = self.sender()
            other = self._to if sender is self._from else self._from
            with _silent(other):
                other.setDate(sender.date() if isinstance(sender, QDateEdit) else self._from.date())
        self._timer.start()

    def _emit(self) -> None:
        filters = self.filters()
        if filters != self._shown:
            self._shown = filters
            self.filtersChanged.emit(filters)


@contextlib.contextmanager
def _silent(widget: QObject) -> Iterator[None]:
    """Write into ``widget`` without its change signals (the program, not the user, is changing it)."""
    blocker = QSignalBlocker(widget)
    try:
        yield
    finally:
        blocker.unblock()
