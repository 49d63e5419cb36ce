"""The import wizard: proposal, validation summary, import, and a cancel that leaves no table."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from roistudio.core.data.mapping import ColumnMapping
from roistudio.gui.import_wizard import ImportWizard

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _discard_without_asking(monkeypatch):
    """Closing a wizard that holds an import asks first; tests that do not look at that say yes."""
    monkeypatch.setattr(ImportWizard, "confirm_discard", lambda _self: True)


def _tables(worker) -> list[str]:
    return [
        r[0] for r in worker.connection.execute("SELECT table_name FROM information_schema.tables").fetchall()
    ]


def _next(qtbot, wizard):
    page = wizard.currentPage()
    assert page.isComplete(), type(page).__name__
    wizard.next()
    assert wizard.currentPage() is not page


@pytest.fixture(scope="session")
def big_csv(tmp_path_factory):
    """About 3M rows (100 MB): the import's DuckDB statement runs for a good fraction of a second."""
    import duckdb

    path = tmp_path_factory.mktemp("big") / "big.csv"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT range AS id, random() AS score, (random() < 0.1)::INT AS label, "
        f"round(random() * 100, 2) AS amount FROM range(3000000)) TO '{path}' (HEADER)"
    )
    con.close()
    return path


def test_wizard_proposes_the_mapping_checks_the_data_and_imports(qtbot, worker, small_csv, tmp_path):
    path, frame = small_csv
    # Two bad rows: a score that is not a number (rejected by the import) and a blank label.
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[1], "abc", 1)
    parts = lines[9].split(",")
    parts[2] = ""
    lines[9] = ",".join(parts)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    wizard = ImportWizard(worker)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path_edit.setText(str(path))
    with qtbot.waitSignal(wizard.previewed, timeout=10_000):  # read on the worker
        _next(qtbot, wizard)  # -> preview
    assert wizard.preview_page.model.rowCount() == 50
    assert wizard.preview_page.model.headerData(1, Qt.Orientation.Horizontal) == "fraud_score"
    with qtbot.waitSignal(wizard.importFinished, timeout=10_000) as finished:
        _next(qtbot, wizard)  # -> import
    assert finished.args == ["done"]
    assert wizard.import_result.report.rows == 399
    assert wizard.import_page.isComplete()
    _next(qtbot, wizard)  # -> mapping
    qtbot.waitUntil(lambda: wizard.mapping_page.positive.count() == 3, timeout=5000)
    assert wizard.mapping() == ColumnMapping(
        score="fraud_score", label="is_fraud", id="transaction_id", timestamp="event_time",
        segments=("channel",), money=("amount",),
    )  # fmt: skip
    wizard.mapping_page.positive.setCurrentText("1")
    with qtbot.waitSignal(wizard.validated, timeout=10_000):
        _next(qtbot, wizard)  # -> validation
    page = wizard.validation_page
    text = page.text.toPlainText()
    assert "Rows imported\n399\n" in text
    assert "Rows rejected\n1\n" in text
    assert "line 6, column 'fraud_score': could not convert 'abc' to DOUBLE" in text
    positives = int((frame.is_fraud.drop(index=[4, 8]) == 1).sum())
    assert f"Positives\n{positives}\nlabel 'is_fraud' = 1 (values: 0, 1)" in text
    assert f"Negatives\n{398 - positives}\n" in text
    assert "Without a label yet\n1\n" in text
    assert page.isComplete()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.result() == QWizard.DialogCode.Accepted
    assert wizard.mapping().positive == "1"


def test_a_bad_mapping_blocks_finish_with_the_core_message(qtbot, worker, small_csv):
    path, _ = small_csv
    wizard = ImportWizard(worker, str(path))
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.currentPage() is wizard.preview_page
    with qtbot.waitSignal(wizard.importFinished, timeout=10_000):
        _next(qtbot, wizard)
    _next(qtbot, wizard)
    wizard.mapping_page.label.setCurrentText("channel")  # three values: not a label
    with qtbot.waitSignal(wizard.validated, timeout=10_000):
        _next(qtbot, wizard)
    assert not wizard.validation_page.isComplete()
    assert "label column 'channel' has 3 distinct values" in wizard.validation_page.text.toPlainText()


def test_cancel_during_a_long_import_leaves_no_table(qtbot, worker, big_csv):
    wizard = ImportWizard(worker, str(big_csv))
    qtbot.addWidget(wizard)
    wizard.show()
    cancelled_at = []

    def cancel_when_reading(fraction, text):
        # Cancel while DuckDB's CREATE TABLE ... FROM read_csv statement is running.
        if text == "reading rows" and not cancelled_at:
            cancelled_at.append(fraction)
            wizard.import_page.cancel()

    worker.jobProgress.connect(cancel_when_reading)
    _next(qtbot, wizard)
    qtbot.waitUntil(lambda: bool(cancelled_at), timeout=20_000)
    qtbot.waitUntil(lambda: wizard.import_page.state != "running", timeout=2000)
    assert wizard.import_page.state == "cancelled"
    assert wizard.import_page.status.text() == "Import cancelled; nothing was imported."
    assert not wizard.import_page.isComplete()
    assert "data" not in _tables(worker)


def test_mapping_only_mode_starts_from_the_current_mapping(qtbot, worker, small_csv):
    from roistudio.gui.document import import_data

    path, _ = small_csv
    box = []
    worker.submit(lambda con, p: import_data(con, str(path), p, table="mapped"), on_done=box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    current = ColumnMapping("fraud_score", "is_fraud", positive="1", segments=("channel",))
    wizard = ImportWizard(worker, existing=box[0], initial_mapping=current)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.currentPage() is wizard.mapping_page and len(wizard.pageIds()) == 2
    qtbot.waitUntil(lambda: wizard.mapping_page.positive.currentText() == "1", timeout=5000)
    assert wizard.mapping() == current
    wizard.mapping_page.timestamp.setCurrentText("event_time")
    with qtbot.waitSignal(wizard.validated, timeout=10_000):
        _next(qtbot, wizard)
    assert wizard.validation_page.isComplete()
    assert wizard.mapping() == current.with_changes(timestamp="event_time")
    assert "Rows imported\n400\n" in wizard.validation_page.text.toPlainText()


def _imported_wizard(qtbot, worker, path) -> ImportWizard:
    wizard = ImportWizard(worker, str(path))
    qtbot.addWidget(wizard)
    wizard.show()
    with qtbot.waitSignal(wizard.importFinished, timeout=10_000):
        _next(qtbot, wizard)  # preview -> import
    return wizard


def test_the_import_page_names_the_file_not_the_internal_table(qtbot, worker, small_csv):
    path, _ = small_csv
    wizard = _imported_wizard(qtbot, worker, path)
    assert wizard.import_page.status.text() == "400 rows imported from predictions.csv"


def test_escape_with_an_import_loaded_asks_before_throwing_it_away(qtbot, worker, small_csv, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    path, _ = small_csv
    wizard = _imported_wizard(qtbot, worker, path)
    monkeypatch.undo()  # the real question this time
    asked, answer = [], [QMessageBox.StandardButton.Cancel]

    def question(_parent, title, text, *_args):
        asked.append((title, text))
        return answer[0]

    monkeypatch.setattr(QMessageBox, "question", question)
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert asked == [("Discard the import?",
                      "predictions.csv is imported but not opened yet. Close the wizard and discard it?")]  # fmt: skip
    assert wizard.isVisible() and wizard.import_result is not None  # kept
    answer[0] = QMessageBox.StandardButton.Discard
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert len(asked) == 2
    assert not wizard.isVisible() and wizard.result() == QWizard.DialogCode.Rejected


def test_escape_before_anything_is_imported_closes_without_asking(qtbot, worker, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.undo()
    monkeypatch.setattr(QMessageBox, "question", lambda *a: pytest.fail("asked with nothing to lose"))
    wizard = ImportWizard(worker)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert not wizard.isVisible() and wizard.result() == QWizard.DialogCode.Rejected
