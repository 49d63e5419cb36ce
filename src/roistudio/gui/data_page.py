"""The Data page: the import summary, data-quality counts and column mapping, or a welcome text.

Before any data is open it shows what the app does and links to the first steps; afterwards the
same data-check summary the import wizard ends with, the mapping, and how many rows the
analysis uses under the current filters.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from roistudio.gui.widgets import error_color

if TYPE_CHECKING:
    from roistudio.gui.document import ProjectDocument
    from roistudio.gui.main_window import MainWindow


class DataPage(QWidget):
    """Import summary and data-quality counts, or a welcome text before any data is open."""

    def __init__(self, window: MainWindow) -> None:  # the window's actions behind the buttons
        super().__init__()
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(lambda url: window.handle_welcome_link(url.toString()))
        self.open_button = QPushButton("Open data…")
        self.open_button.clicked.connect(window.open_data)
        self.mapping_button = QPushButton("Change column mapping…")
        self.mapping_button.clicked.connect(window.change_mapping)
        self.demo_button = QPushButton("Open the demo")
        self.demo_button.clicked.connect(window.open_demo)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.mapping_button, self.demo_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.text, 1)
        self.show_welcome()

    def show_welcome(self) -> None:
        self.mapping_button.setEnabled(False)
        self.text.setHtml(
            "<h2>Model ROI Studio</h2>"
            "<p>What is your classifier worth in money? Open a prediction export (CSV, Parquet or Excel) "
            "with a score and the actual outcome, say what each outcome is worth, and pick the threshold "
            "that earns the most.</p>"
            "<ul><li><a href='action:open-data'>Open data…</a> (Ctrl+O) or drop a file on this window</li>"
            "<li><a href='action:open-project'>Open a project…</a></li>"
            "<li><a href='action:demo'>Try the demo</a>: card-fraud predictions, champion vs challenger</li></ul>"
        )

    def show_data(self, document: ProjectDocument) -> None:
        from roistudio.gui.validation_page import validation_html

        self.mapping_button.setEnabled(document.has_data)
        analysis = document.analysis
        red = error_color(self.palette()).name()
        parts = [
            validation_html(analysis.validation if analysis else None, document.import_report, error=red)
        ]
        mapping = document.mapping
        if mapping is not None:
            roles = [(k, v) for k, v in mapping.to_dict().items() if v not in (None, [], False)]
            rows = "".join(
                f"<tr><td>{k.replace('_', ' ')}</td><td><b>{_html(v)}</b></td></tr>" for k, v in roles
            )
            parts.append(f"<h3>Column mapping</h3><table cellpadding='3'>{rows}</table>")
        if analysis is not None:
            a = analysis
            parts.append(
                "<h3>Rows analysed</h3>"
                f"<p title='Rows after filters, labelled or not'>{a.rows:,} rows after filters "
                f"({document.project.filters.describe()}); {a.excluded_rows:,} left out for unusable scores.</p>"
            )
        if document.analysis_error:
            parts.append(f"<p style='color:{red}'><b>{_html(document.analysis_error)}</b></p>")
        self.text.setHtml("\n".join(parts))


def _html(value: object) -> str:
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    return html.escape(str(value))
