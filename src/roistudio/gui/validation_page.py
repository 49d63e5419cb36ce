"""The import wizard's last page, and the data-check summary it shows (the Data page shows it too)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout

from roistudio.gui import operations
from roistudio.gui.widgets import error_color
from roistudio.gui.wizard_pages import _Page

if TYPE_CHECKING:
    from roistudio.core.data.importer import ImportReport
    from roistudio.core.data.validation import ValidationReport
    from roistudio.gui.import_wizard import ImportWizard


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
        result = self._wizard.import_result
        self.text.setHtml(validation_html(report, result.report if result else None, error=red))
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
