"""File > Open from Spark…: the one line without PySpark, and the dialog's answer (no JVM here)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

import roistudio.gui.main_window as main_window
from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.engine.spark_source import SparkSource
from roistudio.gui import spark_source
from roistudio.gui.settings import Settings
from roistudio.gui.spark_dialog import TABLE, SparkDialog

pytestmark = pytest.mark.gui


def test_without_pyspark_the_menu_item_says_how_to_install_it(qtbot, worker, tmp_path, monkeypatch):
    monkeypatch.setattr(main_window, "recovery_folder", lambda: tmp_path / "recovery")
    monkeypatch.setattr(spark_source, "pyspark_available", lambda: False)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: shown.append(text))
    window = main_window.MainWindow(
        worker, Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    )
    qtbot.addWidget(window)
    file_menu = window.menuBar().actions()[0].menu()
    names = [a.text() for a in file_menu.actions()]
    assert names.index("Open from &Spark…") == names.index("&Open data…") + 1
    window.open_spark_action.trigger()
    assert shown == ["Open from Spark needs PySpark, which is not installed: pip install 'roistudio[spark]'"]
    assert window.statusBar().currentMessage() == shown[0]
    assert window.doc.project.spark is None


def test_the_dialog_reads_a_table_source_and_the_mapping(qtbot):
    dialog = SparkDialog()
    qtbot.addWidget(dialog)
    assert dialog.master.text() == "local[*]"
    with pytest.raises(ValueError, match=r"^Give a path or a table\.$"):
        dialog.answer()
    dialog.master.setText(" spark://head:7077 ")
    dialog.kind.setCurrentText(TABLE)
    assert not dialog.browse.isVisibleTo(dialog)
    dialog.where.setText("lake.scored")
    dialog.score.setText("p")
    dialog.label.setText("y")
    dialog.segments.setText("region, , channel")
    dialog.time.setText("day")
    source, mapping = dialog.answer()
    assert source == SparkSource("spark://head:7077", table="lake.scored")
    assert mapping == ColumnMapping("p", "y", timestamp="day", segments=("region", "channel"))
    # Reopened on a saved project, the dialog shows its source and mapping again.
    again = SparkDialog(None, source, mapping)
    qtbot.addWidget(again)
    assert again.answer() == (source, mapping)


def test_editing_a_mapping_keeps_the_fields_the_dialog_does_not_show(qtbot):
    mapping = ColumnMapping("p", "y", timestamp="month", time_year=2026, raw_scores=True, id="tx")
    dialog = SparkDialog(None, SparkSource(path="/data/p.parquet"), mapping)
    qtbot.addWidget(dialog)
    dialog.score.setText("p2")
    _source, edited = dialog.answer()
    assert edited == ColumnMapping("p2", "y", timestamp="month", time_year=2026, raw_scores=True, id="tx")
