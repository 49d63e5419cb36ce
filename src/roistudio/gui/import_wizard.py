"""The import wizard: file -> preview -> import -> column mapping -> validation summary.

Every read of the file or the database runs on the database worker (:mod:`roistudio.gui.operations`):
the preview of the first rows, the import (with a progress bar and a Cancel button), the label
values and the data check; the wizard never touches DuckDB on the GUI thread. A cancelled import
is rolled back by the core, so no partial table is left. The mapping page starts from :func:`roistudio.core.data.mapping_proposal.propose_mapping` on the real
columns and distinct counts; the validation page shows what the core counted: rejected rows with
their line numbers, label values, unlabelled rows and unusable scores.
"""

from __future__ import annotations

import numbers
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from roistudio.core.column_types import is_numeric_type, is_temporal_type
from roistudio.core.data.loading import TABLE, ImportResult
from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.errors import RoiError
from roistudio.gui import operations
from roistudio.gui.widgets import error_color

if TYPE_CHECKING:
    import pandas as pd

    from roistudio.core.data.importer import ImportReport
    from roistudio.core.data.validation import ValidationReport
    from roistudio.gui.workers import DatabaseWorker, Job

NONE = "(none)"
AUTO = "(automatic)"
FILE_FILTER = "Prediction exports (*.csv *.tsv *.txt *.csv.gz *.parquet *.pq *.xlsx *.xlsm);;All files (*)"
PREVIEW_ROWS = 50
_NO_YEAR = 999  # the year spin box's "year not given"


class FrameModel(QAbstractTableModel):
    """A read-only table model over a small pandas DataFrame (the preview)."""

    def __init__(self, frame: pd.DataFrame | None = None, parent=None) -> None:
        super().__init__(parent)
        self._frame = frame

    def set_frame(self, frame: pd.DataFrame | None) -> None:
        self.beginResetModel()
        self._frame = frame
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if self._frame is None or parent.isValid() else len(self._frame)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if self._frame is None or parent.isValid() else len(self._frame.columns)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self._frame is None or not index.isValid():
            return None
        value = self._frame.iat[index.row(), index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            import pandas as pd

            return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
        if (
            role == Qt.ItemDataRole.TextAlignmentRole
            and isinstance(value, numbers.Number)
            and not isinstance(value, bool)
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole or self._frame is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return str(self._frame.columns[section])
        return str(section + 1)


class _Page(QWizardPage):
    """A wizard page that reaches its wizard through a weak reference.

    A strong one (page -> wizard -> page) would put the whole widget tree in a reference cycle
    that only Python's cyclic collector frees, and that collector runs on whichever thread
    happens to allocate, the database worker included: Qt widgets must never be finalised
    there. The wizard owns its pages (``addPage``); the pages only look it up.
    """

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard_ref = weakref.ref(wizard)

    @property
    def _wizard(self) -> ImportWizard:
        wizard = self._wizard_ref()
        assert wizard is not None, "the wizard is gone"
        return wizard


class FilePage(_Page):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Choose a prediction export")
        self.setSubTitle(
            "CSV, TSV, Parquet or Excel; one row per prediction, with the score and the actual outcome."
        )
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("/path/to/predictions.csv")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {error_color(self.palette()).name()}")
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.path_edit.textChanged.connect(self._changed)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open prediction export", self.path_edit.text(), FILE_FILTER
        )
        if path:
            self.path_edit.setText(path)

    def _changed(self) -> None:
        self.error.clear()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return bool(self.path_edit.text().strip())

    def validatePage(self) -> bool:
        from roistudio.core.data.importer import detect_format

        path = self.path_edit.text().strip()
        if not Path(path).is_file():
            self.error.setText(f"{path}: file not found")
            return False
        try:
            detect_format(path)
        except RoiError as exc:
            self.error.setText(str(exc))
            return False
        self._wizard.path = path
        return True


class PreviewPage(_Page):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Preview")
        self.model = FrameModel(parent=self)  # owned by the page: deleted with it, on the GUI thread
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.error = QLabel()
        self.error.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)

    def initializePage(self) -> None:
        path = self._wizard.path
        self.setSubTitle(f"The first rows of {Path(path).name}, typed as they will be imported.")
        self.error.setText("Reading the first rows…")
        self.model.set_frame(None)
        # On the worker: the preview sniffs the file and types its head with DuckDB.
        operations.read_preview(
            self._wizard.worker, path, PREVIEW_ROWS, on_done=self._show, on_failure=self._failed, owner=self
        )

    def _show(self, frame: pd.DataFrame) -> None:
        self.error.clear()
        self.model.set_frame(frame)
        self.table.resizeColumnsToContents()
        self._wizard.previewed.emit()

    def _failed(self, message: str) -> None:
        self.model.set_frame(None)
        self.error.setText(message)
        self._wizard.previewed.emit()


class ImportPage(_Page):
    """Runs the import on the worker; Next is enabled once it is done."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Import")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel import")
        self.cancel_button.clicked.connect(self.cancel)
        self.retry_button = QPushButton("Try again")
        self.retry_button.clicked.connect(self.initializePage)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.job: Job | None = None
        self.state = "idle"  # running, done, cancelled, failed

    def initializePage(self) -> None:
        path = self._wizard.path
        self._wizard.import_result = None
        self.setSubTitle(f"Reading {Path(path).name} into the analysis database.")
        self.bar.setValue(0)
        self.status.setText("Starting…")
        self.state = "running"
        self.cancel_button.setEnabled(True)
        self.retry_button.setVisible(False)
        self.completeChanged.emit()
        self.job = operations.load_data(
            self._wizard.worker, path, table=self._wizard.table, cache_dir=self._wizard.cache_dir,
            kind="import", description=f"Importing {Path(path).name}", on_done=self._done,
            on_failure=self._failed, on_cancel=self._cancelled, on_progress=self._progress, owner=self,
        )  # fmt: skip

    def cancel(self) -> None:
        if self.job is not None and self.state == "running":
            self.status.setText("Cancelling…")
            self._wizard.worker.cancel(self.job)

    def _progress(self, fraction: float, text: str) -> None:
        self.bar.setValue(int(fraction * 1000))
        if text:
            self.status.setText(text[:1].upper() + text[1:] + "…")

    def _finish(self, state: str, text: str) -> None:
        self.state = state
        self.status.setText(text)
        self.cancel_button.setEnabled(False)
        self.retry_button.setVisible(state != "done")
        self.completeChanged.emit()
        self._wizard.importFinished.emit(state)

    def _done(self, result: ImportResult) -> None:
        self._wizard.import_result = result
        self.bar.setValue(1000)
        self._finish("done", "\n".join(result.report.summary_lines(max_details=3, with_table=False)))

    def _failed(self, message: str) -> None:
        self.bar.setValue(0)
        self._finish("failed", message)

    def _cancelled(self) -> None:
        self.bar.setValue(0)
        self._finish("cancelled", "Import cancelled; nothing was imported.")

    def isComplete(self) -> bool:
        return self.state == "done"

    def cleanupPage(self) -> None:
        self.cancel()


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
        self._time_columns: dict = {}
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
        candidates = [
            c
            for c in names
            if c not in taken and not is_temporal_type(columns[c]) and result.distinct.get(c, 0) <= 200
        ]
        self._fill_list(self.segments, candidates, chosen_segments)
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
        from roistudio.core.data.periods import time_column_candidates

        def done(candidates: tuple[dict, dict]) -> None:
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
        self._wizard.worker.submit(
            lambda con, _p: time_column_candidates(con, table, columns, distinct),
            kind="time-columns",
            on_done=done,
            owner=self,  # skipped if the wizard is closed and deleted first
        )

    def _time_zone(self, column: str | None) -> str | None:
        """The zone to form periods in: the one the file records, else the current mapping's."""
        result, initial = self._wizard.import_result, self._wizard.initial_mapping
        zone = result.time_zones.get(column or "") if result is not None else None
        if zone is None and initial is not None and column and initial.timestamp == column:
            zone = initial.time_zone
        return zone

    def _show_time_year(self, *_args) -> None:
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


class ValidationPage(_Page):
    """What the core found in the data under the chosen mapping; Finish only without blocking problems."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Data check")
        self.setSubTitle("What the data holds under this mapping, counted by the analysis engine.")
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        self.report: ValidationReport | None = None
        self.error: str | None = None
        self._checked = False

    def initializePage(self) -> None:
        mapping = self._wizard.mapping()
        table = self._wizard.table
        self.report, self.error, self._checked = None, None, False
        self.text.setPlainText("Checking the data…")
        self.completeChanged.emit()
        operations.check_mapping(
            self._wizard.worker, table, mapping, on_done=self._done, on_failure=self._failed, owner=self
        )

    def _done(self, report: ValidationReport) -> None:
        self.report, self._checked = report, True
        red = error_color(self.palette()).name()
        self.text.setHtml(validation_html(report, self._wizard.import_result.report, error=red))
        self.completeChanged.emit()
        self._wizard.validated.emit()

    def _failed(self, message: str) -> None:
        self.error, self._checked = message, True
        red = error_color(self.palette()).name()
        self.text.setHtml(
            f"<p style='color:{red}'><b>{_esc(message)}</b></p><p>Go back and change the mapping.</p>"
        )
        self.completeChanged.emit()
        self._wizard.validated.emit()

    def isComplete(self) -> bool:
        return self._checked and self.report is not None and not self.report.problems


def _esc(text: str) -> str:
    import html

    return html.escape(text)


def _row(name: str, value: str, note: str = "") -> str:
    note_html = f"<td style='color:gray'>{note}</td>" if note else "<td></td>"
    return f"<tr><td>{name}</td><td align='right'><b>{value}</b></td>{note_html}</tr>"


def validation_html(
    report: ValidationReport | None, imported: ImportReport | None, *, error: str = "#b3261e"
) -> str:
    """The data-check summary as HTML: a table of counts, then rejected rows, problems and notes.

    Used by the wizard's last page and the main window's Data page; ``error`` is the colour of
    problems (pass :func:`~roistudio.gui.widgets.error_color` of the widget showing it).
    """
    rows: list[str] = []
    details: list[str] = []
    title = ""
    if imported is not None:
        imp = imported
        title = (
            f"<h3>{_esc(imp.source.name)}</h3><p style='color:gray'>{imp.format.upper()}, "
            f"{imp.source.size:,} bytes, {imp.source.fingerprint_label} {imp.source.sha256[:12]}…</p>"
        )
        rows.append(_row("Rows imported", f"{imp.rows:,}"))
        rows.append(
            _row(
                "Rows rejected",
                f"{imp.rejected_count:,}",
                "not in the table; listed below" if imp.rejected_count else "",
            )
        )
        if imp.rejected_count:
            details.append(f"<p><b>Rejected rows</b> ({imp.rejected_count:,} in all):</p><ul>")
            details += [f"<li>{_esc(r.describe())}</li>" for r in imp.rejected[:10]]
            if imp.rejected_count > min(10, len(imp.rejected)):
                details.append("<li>…</li>")
            details.append("</ul>")
    if report is not None:
        label = report.label
        values = ", ".join(_esc(v) for v in label.values) or "none"
        positive = _esc(label.positive_text) or "?"
        rows.append(
            _row(
                "Positives",
                f"{label.positives:,}",
                f"label '{_esc(label.column)}' = {positive} (values: {values})",
            )
        )
        rows.append(_row("Negatives", f"{label.negatives:,}"))
        rows.append(_row("Without a label yet", f"{label.unlabeled:,}", "never counted as negatives"))
        for s in report.scores:
            low = "n/a" if s.minimum is None else f"{s.minimum:.4g}"
            high = "n/a" if s.maximum is None else f"{s.maximum:.4g}"
            why = _esc(s.describe_bad()) if s.bad else ""
            note = f"range {low} to {high}" + (f"; {why}" if why else "")
            rows.append(_row(f"Unusable scores in '{_esc(s.column)}'", f"{s.bad:,}", note))
        if report.models:
            rows.append(_row("Models", str(len(report.models)), ", ".join(_esc(m) for m in report.models)))
        if report.problems:
            details.append(f"<p style='color:{error}'><b>Problems to fix before analysing:</b></p><ul>")
            details += [f"<li style='color:{error}'>{_esc(p)}</li>" for p in report.problems]
            details.append("</ul>")
        if report.warnings:
            details.append(
                "<p><b>Notes:</b></p><ul>" + "".join(f"<li>{_esc(w)}</li>" for w in report.warnings) + "</ul>"
            )
        if not report.problems:
            details.append("<p>Ready to analyse.</p>")
    table = f"<table cellpadding='4' cellspacing='0'>{''.join(rows)}</table>" if rows else ""
    return title + table + "\n".join(details)


class ImportWizard(QWizard):
    """Import a prediction export and map its columns.

    Parameters
    ----------
    worker
        The database worker; the import replaces table ``table`` in its database.
    path
        Start with this file chosen (the wizard opens on the preview).
    initial_mapping
        Start the mapping page from this mapping instead of the proposal.
    existing
        Data already imported: show only the mapping and validation pages.
    cache_dir
        Folder of imports kept between sessions (:mod:`roistudio.core.data.import_cache`): a file
        imported before and unchanged since is attached from there instead of read again.

    After ``accepted``, :attr:`import_result` and :meth:`mapping` hold the outcome.
    """

    importFinished = Signal(str)  # "done", "failed" or "cancelled"
    previewed = Signal()  # the preview page shows the first rows (or why it cannot)
    validated = Signal()

    def __init__(
        self,
        worker: DatabaseWorker,
        path: str | None = None,
        *,
        initial_mapping: ColumnMapping | None = None,
        existing: ImportResult | None = None,
        table: str = TABLE,
        cache_dir: str | Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.cache_dir = cache_dir  # imports kept between sessions (see core.import_cache)
        self.setWindowTitle("Open prediction data")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.resize(820, 600)
        self.worker = worker
        self.table = table
        self.path = path or ""
        self.initial_mapping = initial_mapping
        self.import_result: ImportResult | None = existing
        # Every page is added, hence owned by the wizard: a page built and never added would be a
        # parentless widget left for Python's collector (see _Page). Mapping only: the data is
        # already imported into ``table``, so there are no file, preview and import pages.
        self.file_page: FilePage | None = None
        self.preview_page: PreviewPage | None = None
        self.import_page: ImportPage | None = None
        if existing is None:
            self.file_page = FilePage(self)
            self.preview_page = PreviewPage(self)
            self.import_page = ImportPage(self)
            for page in (self.file_page, self.preview_page, self.import_page):
                self.addPage(page)
        else:
            self.setWindowTitle("Change column mapping")
            self.table = existing.report.table
        self.mapping_page = MappingPage(self)
        self.validation_page = ValidationPage(self)
        self.addPage(self.mapping_page)
        self.addPage(self.validation_page)
        if path and self.file_page is not None:
            self.file_page.path_edit.setText(path)
            self.setStartId(self.pageIds()[1])

    def mapping(self) -> ColumnMapping:
        return self.mapping_page.mapping()

    def has_import(self) -> bool:
        """True while this wizard's import is being read or is read (and not yet adopted)."""
        return self.import_page is not None and self.import_page.state in ("running", "done")

    def confirm_discard(self) -> bool:
        """Ask before Escape or Cancel throws an import away (tests replace this)."""
        name = Path(self.path).name or "the file"
        if self.import_page is not None and self.import_page.state == "running":
            text = f"{name} is being read. Stop reading it and close the wizard?"
        else:
            text = f"{name} is imported but not opened yet. Close the wizard and discard it?"
        answer = QMessageBox.question(
            self,
            "Discard the import?",
            text,
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def reject(self) -> None:
        # Escape, Cancel and the close button all land here: an import is not thrown away
        # without asking. Closing stops a running import; the core rolls it back.
        if self.has_import() and not self.confirm_discard():
            return
        if self.import_page is not None:
            self.import_page.cancel()
        super().reject()
