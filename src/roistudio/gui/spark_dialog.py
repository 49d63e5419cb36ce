"""File > Open from Spark…: where Spark reads the predictions (master URL, a path or a catalog table) and the columns' roles.

The dialog only collects text; nothing runs here. The document then connects to Spark on the
worker thread (:func:`roistudio.gui.spark_source.open_spark`), and a column that does not exist,
a label that is not binary or a time column Spark cannot read is refused by the first analysis
in one line, in the window's error banner, as for a file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from roistudio.core.engine.spark_source import DEFAULT_MASTER, SparkSource, shown_master
from roistudio.core.project.project import VIEWS
from roistudio.gui.lifetime import dispose

if TYPE_CHECKING:
    from roistudio.core.data.mapping import ColumnMapping
    from roistudio.gui.main_window import MainWindow

PATH, TABLE = "Parquet or CSV path", "Table in Spark's catalog"


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


class SparkDialog(QDialog):
    """Master URL, source (path or table) and the column mapping; :meth:`answer` reads them."""

    def __init__(
        self,
        parent: QWidget | None = None,
        source: SparkSource | None = None,
        mapping: ColumnMapping | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open from Spark")
        self.master = QLineEdit(source.master if source else DEFAULT_MASTER)
        self.master.setToolTip("local[*], spark://host:7077, yarn, k8s://…, sc://host:15002 (Spark Connect)")
        self.kind = QComboBox()
        self.kind.addItems([PATH, TABLE])
        self.where = QLineEdit()
        self.where.setMinimumWidth(420)
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        self.kind.currentTextChanged.connect(self._on_kind)
        if source is not None and source.table is not None:
            self.kind.setCurrentText(TABLE)
            self.where.setText(source.table)
        elif source is not None:
            self.where.setText(str(source.path))
        self._on_kind(self.kind.currentText())
        where_row = QHBoxLayout()
        where_row.addWidget(self.where, 1)
        where_row.addWidget(self.browse)
        m = self._mapping = mapping
        self.score = QLineEdit(m.score if m else "")
        self.label = QLineEdit(m.label if m else "")
        self.positive = QLineEdit(m.positive or "" if m else "")
        self.positive.setPlaceholderText("inferred for 0/1, true/false, yes/no")
        self.challenger = QLineEdit(m.challenger_score or "" if m else "")
        self.challenger.setPlaceholderText("a second score column to compare (optional)")
        self.time = QLineEdit(m.timestamp or "" if m else "")
        self.time.setPlaceholderText("dates, timestamps or period labels such as 2026-Q1 (optional)")
        self.segments = QLineEdit(", ".join(m.segments) if m else "")
        self.segments.setPlaceholderText("columns, separated by commas (optional)")
        self.money = QLineEdit(", ".join(m.money) if m else "")
        self.money.setPlaceholderText("amount columns the suggested payoff uses (optional)")
        self.error = QLabel()
        self.error.setStyleSheet("color: #8e1c14;")
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout(self)
        form.addRow("Master URL", self.master)
        form.addRow("Source", self.kind)
        form.addRow("", where_row)
        for text, field in (
            ("Score column", self.score),
            ("Label column", self.label),
            ("Positive label value", self.positive),
            ("Challenger score", self.challenger),
            ("Time column", self.time),
            ("Segment columns", self.segments),
            ("Money columns", self.money),
        ):
            form.addRow(text, field)
        note = QLabel(
            "Spark aggregates per score where the data lives; only the aggregates come back. "
            "Intervals, walk-forward, sensitivity and the label-delay estimate are not computed on Spark."
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(mid);")
        form.addRow(note)
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Open")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _on_kind(self, kind: str) -> None:
        self.browse.setVisible(kind == PATH)
        self.where.setPlaceholderText(
            "/data/preds.parquet, a folder of Parquet files, s3a://bucket/preds/, a .csv"
            if kind == PATH
            else "database.table"
        )

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Data for Spark",
            self.where.text(),
            "Parquet or CSV (*.parquet *.pq *.csv *.tsv);;All files (*)",
        )
        if path:
            self.where.setText(path)

    def answer(self) -> tuple[SparkSource, ColumnMapping]:
        """The source and mapping typed in.

        Raises
        ------
        ValueError
            One line naming the field that is missing.
        """
        from roistudio.core.data.mapping import ColumnMapping

        where, master = self.where.text().strip(), self.master.text().strip()
        for value, what in ((master, "the master URL"), (where, "a path or a table"),
                            (self.score.text().strip(), "the score column"),
                            (self.label.text().strip(), "the label column")):  # fmt: skip
            if not value:
                raise ValueError(f"Give {what}.")
        path = where if self.kind.currentText() == PATH else None
        source = SparkSource(master=master, path=path, table=None if path is not None else where)
        # The fields not in the dialog (a model column, raw scores, the year of month names...)
        # stay as they were when the dialog edits an existing mapping.
        mapping = replace(
            self._mapping or ColumnMapping("", ""),
            score=self.score.text().strip(),
            label=self.label.text().strip(),
            positive=self.positive.text().strip() or None,
            challenger_score=self.challenger.text().strip() or None,
            timestamp=self.time.text().strip() or None,
            segments=_names(self.segments.text()),
            money=_names(self.money.text()),
        )
        return source, mapping

    def _accept(self) -> None:
        try:
            self.answer()
        except ValueError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()


def ask_spark_source(
    parent: QWidget, source: SparkSource | None = None, mapping: ColumnMapping | None = None
) -> tuple[SparkSource, ColumnMapping] | None:
    """Run the dialog; the source and mapping, or None when cancelled."""
    dialog = SparkDialog(parent, source, mapping)
    try:
        return dialog.answer() if dialog.exec() else None
    finally:
        dispose(dialog)


def open_from_spark(window: MainWindow) -> None:
    """File > Open from Spark…: without PySpark, one line saying how to install it."""
    from roistudio.gui.spark_source import install_line, open_spark

    missing = install_line()
    if missing is not None:
        window.statusBar().showMessage(missing, 15000)
        QMessageBox.information(window, "Open from Spark", missing)
        return
    window.finish_startup()
    if not window.maybe_save():
        return
    answer = ask_spark_source(window)
    if answer is None:
        return
    source, mapping = answer

    def done() -> None:
        window.remove_recovery()
        window.statusBar().showMessage(f"Opened {source.name} on Spark ({shown_master(source.master)})", 8000)
        window.tabs.setCurrentIndex(VIEWS.index("threshold"))

    open_spark(window.doc, source, mapping=mapping, on_done=done)


def change_spark_mapping(window: MainWindow) -> None:
    """Edit > Change column mapping… on a Spark project: the same dialog, its source fixed."""
    doc = window.doc
    source = doc.project.spark
    answer = ask_spark_source(window, source, doc.mapping)
    if answer is None:
        return
    new_source, mapping = answer
    if new_source == source:
        doc.set_mapping(mapping)  # one undoable step, re-aggregated on the cluster
        return
    from roistudio.gui.spark_source import open_spark

    # Another source: reconnect, keeping the payoff and the rest of the project.
    project = doc.project.with_changes(spark=new_source, mapping=mapping)
    open_spark(doc, new_source, project=project, path=doc.path)
