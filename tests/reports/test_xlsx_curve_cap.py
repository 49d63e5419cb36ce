"""Curves past the workbook's budget (``MAX_CURVE_POINTS``) are left off the Curves sheet, and the
sheets that show their best thresholds say those are fixed as exported.

The budget is lowered so that the champion's, the challenger's and the channel segments' curves
fit and the regions' and months' do not: the first follow the parameters (formulas over the Curves
sheet), the others are the core's numbers as plain values, and each sheet's note says which.
"""

from __future__ import annotations

import duckdb
import openpyxl
import pytest
from openpyxl.utils import range_boundaries

from roistudio.cli.main import build_parser
from roistudio.cli.options import TABLE, build_request, load_data
from roistudio.core.data.mapping import table_columns
from roistudio.core.engine import whole_curves
from roistudio.core.engine.analysis import analyse
from roistudio.reports.model import SourceFacts, build_report_model
from roistudio.reports.xlsx import curves as curves_sheet
from roistudio.reports.xlsx import write_xlsx

FIXED = "fixed as exported (the groups' curves did not fit the workbook)"


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    parsed = build_parser().parse_args(["report", "--demo"])
    con = duckdb.connect()
    load_data(con, parsed)
    request, _ = build_request(parsed, table_columns(con, TABLE), con)
    analysis = analyse(con, TABLE, request)
    fits = (
        len(analysis.champion.curve)
        + len(analysis.challenger.curve)
        + sum(len(g.curve) for g in analysis.segments["channel"] if not g.fully_unlabeled)
    )
    regions = sum(len(g.curve) for g in analysis.segments["region"] if not g.fully_unlabeled)
    assert regions > 1  # the next curves in line cannot fit in what is left
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(whole_curves, "MAX_CURVE_POINTS", fits)
        patch.setattr(curves_sheet, "MAX_CURVE_POINTS", fits)
        model = build_report_model(analysis, SourceFacts("demo", "demo", "0" * 64, 1, 200000, 0), con=con,
                                   table=TABLE)  # fmt: skip
        path = tmp_path_factory.mktemp("cap") / "capped.xlsx"
        write_xlsx(model, path)
    yield analysis, openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)
    con.close()


def _table(ws) -> tuple[dict[str, int], range]:
    (t,) = ws.tables.values()
    _, first, last_col, last = range_boundaries(t.ref)
    return {ws.cell(first, c).value: c for c in range(1, last_col + 1)}, range(first + 1, last + 1)


def _is_formula(cell) -> bool:
    return cell.data_type == "f" or type(cell.value).__name__ == "ArrayFormula"


def _texts(ws) -> str:
    return " ".join(str(c.value) for row in ws.iter_rows() for c in row if isinstance(c.value, str))


def test_curves_that_fit_follow_the_parameters_and_the_rest_are_said_to_be_fixed(capped):
    analysis, formulas, values = capped
    labels = {str(c.value) for c in formulas["Curves"]["A"] if c.value}
    assert any(label.startswith("channel = ") for label in labels)
    assert not any(label.startswith(("region = ", "month ")) for label in labels)
    for title, column, follows in (("By channel", "channel", True), ("By region", "region", False)):
        ws, shown = formulas[title], values[title]
        assert (FIXED in _texts(ws)) is not follows, title
        col, rows = _table(ws)
        by_key = {g.key: g for g in analysis.segments[column] if not g.fully_unlabeled}
        seen = 0
        for r in rows:
            group = by_key.get(ws.cell(r, 1).value)
            if group is None:
                continue
            best = ws.cell(r, col["Best threshold"])
            assert _is_formula(best) is follows, (title, group.key)
            assert shown.cell(r, col["Best threshold"]).value == pytest.approx(
                group.optimum.threshold, abs=1e-12
            )
            assert shown.cell(r, col["Value at best"]).value == pytest.approx(group.optimum.value, abs=0.005)
            seen += 1
        assert seen == len(by_key)
    assert FIXED in _texts(formulas["Trend"])
