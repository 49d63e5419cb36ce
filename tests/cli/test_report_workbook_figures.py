"""`roistudio report` reads the workbook's own figures on a thread while the decision is computed.

The thread's figures are the ones read in line; an error reading them reaches the user as the
command's one line, with nothing written; a failure elsewhere stops the thread.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from roistudio.cli.main import main
from roistudio.cli.report_output import WorkbookFigures
from roistudio.core.data.importer import import_file
from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.engine.filters import Filters
from roistudio.core.errors import RoiError
from roistudio.core.payoff.language import parse_payoff
from roistudio.core.project.demo import DEMO_PARAMETERS, DEMO_PAYOFF, demo_data_path
from roistudio.reports import workbook_figures as figures_module
from roistudio.reports.workbook_figures import workbook_figures


@pytest.fixture(scope="module")
def demo():
    con = duckdb.connect()
    import_file(con, demo_data_path(), table="data", materialize=False)
    payoff = parse_payoff(DEMO_PAYOFF, DEMO_PARAMETERS, table_columns(con, "data"))
    mapping = ColumnMapping(score="champion_score", label="is_fraud", positive="1",
                            challenger_score="challenger_score", timestamp="event_time",
                            segments=("channel",))  # fmt: skip
    analysis = analyse(con, "data", AnalysisRequest(mapping=mapping, payoff=payoff, period="month"))
    yield con, analysis
    con.close()


def _same(a: object, b: object) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray) or isinstance(a, float):
        # DuckDB sums in parallel: two reads may differ in the last bits (a millionth of a cent here).
        return np.allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-6)
    if hasattr(a, "terms") and hasattr(b, "terms"):  # LinearAggregates
        return np.array_equal(a.indices, b.indices) and _same(a.terms, b.terms)
    return a == b


def test_the_thread_reads_the_figures_read_in_line(demo):
    con, analysis = demo
    background = WorkbookFigures(con, analysis)
    in_line = workbook_figures(analysis, con, "data")
    found = background.result()
    assert in_line["linear"] is not None and in_line["curve_terms"]  # the demo's payoff is linear
    assert found.keys() == in_line.keys()
    assert all(_same(found[k], in_line[k]) for k in found)
    background.cancel()  # after the result: nothing left to stop


def test_an_error_reading_the_figures_is_the_commands_one_line(tmp_path, capsys, monkeypatch):
    def failing(*args, **kwargs):
        raise RoiError("the workbook's figures could not be read: disk full")

    monkeypatch.setattr(figures_module, "workbook_figures", failing)
    xlsx, pdf = tmp_path / "r.xlsx", tmp_path / "r.pdf"
    code = main(["report", "--demo", "--bootstrap", "50", "--xlsx", str(xlsx), "--pdf", str(pdf)])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "roistudio report: the workbook's figures could not be read: disk full"
    assert not xlsx.exists() and not pdf.exists()


def test_a_failure_before_the_figures_are_used_stops_the_thread(tmp_path, capsys, monkeypatch):
    started: list[WorkbookFigures] = []
    cancelled: list[WorkbookFigures] = []

    class Recorded(WorkbookFigures):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

        def cancel(self):
            super().cancel()
            cancelled.append(self)

    def no_decision(*args, **kwargs):
        raise RoiError("no decision today")

    import roistudio.cli.commands as commands
    import roistudio.core.engine.decision as decision

    monkeypatch.setattr(commands, "WorkbookFigures", Recorded)
    monkeypatch.setattr(decision, "decide", no_decision)
    code = main(["report", "--demo", "--xlsx", str(tmp_path / "r.xlsx")])
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == "roistudio report: no decision today"
    assert len(started) == 1 and cancelled == started
    assert not started[0]._thread.is_alive()


def test_a_pdf_alone_reads_no_workbook_figures(tmp_path, monkeypatch):
    def unexpected(*args, **kwargs):
        raise AssertionError("a PDF alone needs no workbook figures")

    import roistudio.cli.commands as commands

    monkeypatch.setattr(commands, "WorkbookFigures", unexpected)
    monkeypatch.setattr(figures_module, "live_breakdown_terms", unexpected)
    monkeypatch.setattr(figures_module, "live_curve_terms", unexpected)
    assert main(["report", "--demo", "--bootstrap", "50", "--pdf", str(tmp_path / "r.pdf")]) == 0


def test_the_thread_reads_in_the_connections_time_zone():
    """The cursor is a new session: it must take the connection's pinned zone, not the machine's."""
    import pandas as pd

    from tests.helpers import table_from_frame

    rng = np.random.default_rng(11)
    n = 600
    # Times an hour or two either side of midnight UTC at month ends: the month depends on the zone.
    days = pd.DatetimeIndex(rng.choice(pd.to_datetime(["2026-01-31", "2026-02-28", "2026-03-31"]), n))
    at = (days + pd.to_timedelta(rng.choice([-2, -1, 22, 23], n), unit="h")).tz_localize("UTC")
    frame = pd.DataFrame({"score": rng.random(n).round(3), "label": rng.integers(0, 2, n),
                          "amount": rng.random(n) * 100, "at": at})  # fmt: skip
    con = table_from_frame(frame)
    con.execute("SET TimeZone = 'Asia/Tokyo'")  # as pin_session_time_zone pins UTC, another zone here
    payoff = parse_payoff({"tp": "amount * rate", "fp": "-cost"}, {"rate": 0.9, "cost": 5.0},
                          table_columns(con, "data"))  # fmt: skip
    mapping = ColumnMapping(score="score", label="label", positive="1", timestamp="at")
    # A date filter compares zone-aware times with dates in the session's zone.
    request = AnalysisRequest(mapping=mapping, payoff=payoff, period="month",
                              filters=Filters({}, "2026-02-01", "2026-03-01"))  # fmt: skip
    analysis = analyse(con, "data", request)
    in_line = workbook_figures(analysis, con, "data")
    assert in_line["linear"] is not None and in_line["curve_terms"]["champion"]
    found = WorkbookFigures(con, analysis).result()
    assert _same(found["curve_terms"], in_line["curve_terms"])
    assert _same(found["breakdown_terms"], in_line["breakdown_terms"])
