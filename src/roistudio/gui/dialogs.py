"""Small modal questions the main window asks: report title and currency, a moved data file.

Each builds its dialog, runs it, reads the answer and disposes of the dialog on the GUI thread
(:func:`roistudio.gui.lifetime.dispose`): a dialog run with ``exec()`` belongs to Python
afterwards and must not be left to the cyclic collector.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from roistudio.gui.lifetime import dispose

# The files the app opens as data (the import wizard's Browse, a moved data file).
FILE_FILTER = "Prediction exports (*.csv *.tsv *.txt *.csv.gz *.parquet *.pq *.xlsx *.xlsm);;All files (*)"


def ask_report_details(parent: QWidget, title: str, currency: str) -> tuple[str, str] | None:
    """Ask for the report title and the currency code; None when cancelled.

    Returns
    -------
    tuple or None
        ``(title, currency)`` stripped, the code upper-cased (either may be empty).
    """
    from roistudio.core.money import CURRENCY_SYMBOLS

    dialog = QDialog(parent)
    dialog.setWindowTitle("Report title and currency")
    title_edit = QLineEdit(title)
    title_edit.setMinimumWidth(380)
    currency_box = QComboBox()
    currency_box.setEditable(True)
    currency_box.addItems(sorted(CURRENCY_SYMBOLS))
    currency_box.setCurrentText(currency)
    currency_box.setToolTip("ISO code of the currency the payoff is in; used to format every amount")
    form = QFormLayout(dialog)
    form.addRow("Title", title_edit)
    form.addRow("Currency", currency_box)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    try:
        if not dialog.exec():
            return None
        return title_edit.text().strip(), currency_box.currentText().strip().upper()
    finally:
        dispose(dialog)


def locate_missing_source(parent: QWidget, project_path: str, file_filter: str) -> str | None:
    """If the project's data file is gone, ask where it is now (None: it is where it was, or no answer)."""
    from roistudio.core.project.project import load_project

    project = load_project(project_path)
    if not project.sources or Path(project.sources[0].path).exists():
        return None
    name = project.sources[0].name
    answer = QMessageBox.question(
        parent,
        "Data file not found",
        f"{project.sources[0].path}: the project's data file is not there any more.\n\nLocate {name}?",
        QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Open,
    )
    if answer != QMessageBox.StandardButton.Open:
        return None
    found, _ = QFileDialog.getOpenFileName(
        parent, f"Locate {name}", str(Path(project_path).parent), file_filter
    )
    return found or None
