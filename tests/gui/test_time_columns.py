"""The wizard offers period-label columns (the bank file's month names) for Time and says why
other columns cannot be the time column; Trends and Segments follow the calendar."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from roistudio.gui.import_wizard import NONE, ImportWizard

pytestmark = pytest.mark.gui

BANK = Path("/work/shared/data/bank_marketing_scored.csv")
REJECTED = {
    # about 22,600 distinct ids (an approximate count): rejected without a scan
    "client_id": r"time column 'client_id' holds about 2\d,\d{3} distinct text values, too many for period labels",
    "subscribed": "time column 'subscribed' holds text that is not a date or a period label "
    "(first unreadable value 'no' on data row 1)",
    "job": "time column 'job' holds text that is not a date or a period label "
    "(first unreadable value 'management' on data row 1)",
    "contact_channel": "time column 'contact_channel' holds text that is not a date or a period label "
    "(first unreadable value 'unknown' on data row 1)",
}


def _combo_items(combo) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def _to_mapping_page(qtbot, wizard) -> None:
    wizard.show()
    with qtbot.waitSignal(wizard.importFinished, timeout=20_000) as finished:
        wizard.next()  # preview -> import
    assert finished.args == ["done"]
    wizard.next()  # -> mapping
    assert wizard.currentPage() is wizard.mapping_page


@pytest.fixture
def bank():
    if not BANK.exists():
        pytest.skip("the shared bank marketing file is not on this machine")
    return BANK


def test_the_wizard_offers_month_names_for_time_and_says_why_not_the_others(qtbot, worker, bank):
    wizard = ImportWizard(worker, str(bank))
    qtbot.addWidget(wizard)
    _to_mapping_page(qtbot, wizard)
    page = wizard.mapping_page
    assert _combo_items(page.timestamp) == [NONE, "campaign_month"]
    assert page.timestamp.currentText() == "campaign_month"  # proposed: the file has no date column
    assert "campaign_month" not in wizard.mapping().segments
    assert page.time_note.text() == (
        "4 text columns cannot be the time column (client_id, subscribed, job, contact_channel); hover for why"
    )
    reasons = page.time_note.toolTip().split("\n")
    assert len(reasons) == 4
    assert re.fullmatch(REJECTED["client_id"], reasons[0])
    assert reasons[1:] == list(REJECTED.values())[1:]
    # Month names carry no year: the analyst may give it; left alone it is "year not given".
    assert page.time_year.isVisibleTo(page)
    assert wizard.mapping().time_year is None
    page.time_year.setValue(2009)
    assert wizard.mapping().time_year == 2009
    page.timestamp.setCurrentText(NONE)
    assert not page.time_year.isVisibleTo(page)
    assert wizard.mapping().timestamp is None and wizard.mapping().time_year is None


def test_change_mapping_inspects_the_time_columns_on_the_worker(qtbot, worker, tmp_path):
    from roistudio.core.data.mapping import ColumnMapping
    from roistudio.gui.document import ImportResult, import_data

    path = tmp_path / "weeks.csv"
    path.write_text(
        "score,y,week,region\n0.9,1,2026-W05,north\n0.2,0,2026-W06,south\n0.4,1,2026-W05,x1\n",
        encoding="utf-8",
    )
    box = []
    worker.submit(lambda con, p: import_data(con, str(path), p, table="weeks"), on_done=box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    # As Edit > Change column mapping builds it: no distinct counts, no time candidates yet.
    existing = ImportResult(box[0].report, {})
    wizard = ImportWizard(
        worker, existing=existing, initial_mapping=ColumnMapping("score", "y", timestamp="week")
    )
    qtbot.addWidget(wizard)
    wizard.show()
    page = wizard.mapping_page
    qtbot.waitUntil(lambda: "week" in _combo_items(page.timestamp), timeout=5000)
    assert page.timestamp.currentText() == "week"
    assert not page.time_year.isVisibleTo(page)  # ISO weeks carry their year
    assert page.time_note.toolTip() == (
        "time column 'region' holds text that is not a date or a period label "
        "(first unreadable value 'north' on data row 1)"
    )


def test_trends_and_segments_follow_the_calendar(qtbot):
    import duckdb

    from roistudio.core.data.mapping import ColumnMapping
    from roistudio.core.engine.analysis import AnalysisRequest, analyse
    from roistudio.core.payoff.language import parse_payoff
    from roistudio.gui.segments_view import SegmentsView
    from roistudio.gui.trends_view import TrendsView

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES (0.9, 1, 'may', 'oct'), (0.2, 0, 'jan', 'jan'), "
        "(0.7, 1, 'dec', 'may'), (0.6, 0, 'apr', 'apr'), (0.1, 1, 'aug', 'aug')) v(score, y, month, seg)"
    )
    mapping = ColumnMapping("score", "y", timestamp="month", segments=("seg",))
    payoff = parse_payoff({"tp": "10", "fp": "-1", "tn": "0", "fn": "-10"}, {}, {"score": "DOUBLE"})
    analysis = analyse(con, "t", AnalysisRequest(mapping, payoff, period="month"))
    assert [g.key for g in analysis.periods] == ["Jan", "Apr", "May", "Aug", "Dec"]

    trends = TrendsView()
    qtbot.addWidget(trends)
    trends.set_analysis(analysis, "EUR")
    assert [trends.table.displayed(r, 0) for r in range(5)] == ["Jan", "Apr", "May", "Aug", "Dec"]
    assert "year not given" in trends.caption.text()

    segments = SegmentsView()
    qtbot.addWidget(segments)
    segments.set_analysis(analysis, "EUR")
    segments.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert [segments.table.displayed(r, 0) for r in range(5)] == ["jan", "apr", "may", "aug", "oct"]


def test_the_window_on_month_names_offers_only_the_periods_they_allow(
    qtbot, worker, bank, tmp_path, monkeypatch
):
    import gc

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    import roistudio.gui.main_window as main_window
    from roistudio.core.data.mapping_proposal import propose_mapping
    from roistudio.gui.document import import_data
    from roistudio.gui.settings import Settings

    # Wizards of earlier tests can sit in reference cycles; freeing them while the worker runs
    # a job crashes Qt (issue 7, item 1, fixed elsewhere). Free them now, with the worker idle.
    gc.collect()
    monkeypatch.setattr(main_window, "recovery_folder", lambda: tmp_path / "recovery")
    window = main_window.MainWindow(
        worker, Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    )
    window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    window.show()
    box = []
    worker.submit(lambda con, p: import_data(con, str(bank), p, table="bank"), on_done=box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=20_000)
    result = box[0]
    columns = dict(result.report.columns)
    mapping = propose_mapping(columns, result.distinct, tuple(result.time_candidates[0])).mapping
    assert mapping.timestamp == "campaign_month"
    with qtbot.waitSignal(
        window.doc.analysisChanged, timeout=30_000, check_params_cb=lambda a: a is not None
    ):
        window.doc.adopt_import(result, mapping.with_changes(positive="yes"))
    analysis = window.doc.analysis
    assert [g.key for g in analysis.periods] == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                                                 "Oct", "Nov", "Dec"]  # fmt: skip
    window._update_actions()
    enabled = {p for p, action in window.period_actions.items() if action.isEnabled()}
    assert enabled == {"month", "quarter"}
    assert window.period_actions["month"].isChecked()
    # The filter bar offers no date range for month names (their min and max are no dates).
    qtbot.waitUntil(lambda: bool(window.doc.options.segments), timeout=10_000)
    assert window.doc.options.date_min is None and window.doc.options.date_max is None
