"""Best thresholds found again by formula: change an assumption in the workbook, recalculate with
LibreOffice, and compare the challenger's, each segment's and period's, and the best threshold
within a review capacity / minimum precision with a fresh ``analyse`` at the new parameter.

Two payoffs: the demo's (linear in its parameters: the Curves sheet carries per-parameter
aggregates) and the bank data's published cost model (``fn = -max(r*d*balance_eur, c)``, not
linear: the Curves sheet reads running values of the hidden Rows sheet). The expected numbers come
from the core, which re-aggregates the rows in DuckDB at the new parameter, another way than the
workbook's formulas. With the formulas replaced by their cached values every comparison fails
(``test_..._fails_with_values`` checks the premise on one figure per kind).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import range_boundaries

from roistudio.cli.main import build_parser
from roistudio.cli.options import TABLE, build_request, load_data
from roistudio.core.data.importer import import_file
from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.engine.constraints import Constraints
from roistudio.core.payoff.language import parse_payoff
from roistudio.reports.model import SourceFacts, build_report_model
from roistudio.reports.xlsx import write_xlsx
from tests.helpers import libreoffice_profile

SOFFICE = shutil.which("soffice")
BANK = Path("/work/shared/data/bank_marketing_scored.csv")
CENT = 0.005

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed"),
]


def recalc(path: Path, profile: Path) -> Path:
    out = path.parent / "recalc"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={libreoffice_profile(profile)}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    result = out / path.name
    assert result.exists(), "LibreOffice wrote no file"
    return result


def edit(path: Path, cells: dict[str, float], target: Path) -> Path:
    """Set Assumptions cells (by defined name, or by the label in column A for limits) and save."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Assumptions"]
    for name, value in cells.items():
        if name in wb.defined_names:
            (sheet, coord), *_ = wb.defined_names[name].destinations
            wb[sheet][coord.replace("$", "")].value = value
        else:
            row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == name)
            assert ws.cell(row, 3).value is not None
            ws.cell(row, 3).value = value
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def frozen(path: Path, target: Path) -> Path:
    """The workbook with every formula replaced by its cached value (what a dead workbook holds)."""
    values = openpyxl.load_workbook(path, data_only=True)
    wb = openpyxl.load_workbook(path)
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" or type(c.value).__name__ == "ArrayFormula":
                    c.value = values[ws.title][c.coordinate].value
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def summary_of(wb) -> dict[str, object]:
    return {r[0].value: r[1].value for r in wb["Summary"].iter_rows(min_col=1, max_col=2) if r[0].value}


def table(ws) -> tuple[dict[str, int], range]:
    (t,) = ws.tables.values()
    _, first, last_col, last = range_boundaries(t.ref)
    return {ws.cell(first, c).value: c for c in range(1, last_col + 1)}, range(first + 1, last + 1)


def threshold_of(point) -> object:
    return "flag nobody" if point.threshold is None else pytest.approx(point.threshold, abs=1e-12)


def check_against(values, fresh, *, segments: dict[str, str], period: bool) -> int:
    """Every best-by-formula figure of the recalculated workbook against ``fresh``; returns how many."""
    checked = 0
    summary = summary_of(values)
    champ = fresh.champion
    assert summary["Best threshold"] == threshold_of(champ.optimum)
    assert summary["Best possible value"] == pytest.approx(champ.optimum.value, abs=CENT)
    checked += 2
    if fresh.request.constraints.is_empty() is False:
        assert summary["Best threshold within the limits"] == threshold_of(champ.constrained)
        assert summary["Value within the limits"] == pytest.approx(champ.constrained.value, abs=CENT)
        checked += 2
    comp = fresh.comparison
    if comp is not None:
        ws = values["Comparison"]
        rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value}
        assert ws.cell(rows["Best threshold"], 3).value == threshold_of(comp.challenger.optimum)
        assert ws.cell(rows["Value at best threshold"], 3).value == pytest.approx(
            comp.challenger.optimum.value, abs=CENT
        )
        assert ws.cell(rows["Value at best threshold"], 4).value == pytest.approx(
            comp.challenger.optimum.value - champ.optimum.value, abs=CENT
        )
        checked += 3
    sheets = [(title, fresh.segments[column]) for title, column in segments.items()]
    if period:
        sheets.append(("Trend", fresh.periods))
    for title, groups in sheets:
        ws = values[title]
        col, rows = table(ws)
        by_key = {g.key: g for g in groups if not g.fully_unlabeled}
        seen = 0
        for r in rows:
            key = ws.cell(r, 1).value
            if title == "Trend":  # a date cell, or a month label
                if hasattr(key, "date"):
                    key = next((k for k in by_key if k[:10] == key.date().isoformat()), None)
                else:
                    key = next((k for k in by_key if k.lower()[:3] == str(key).lower()[:3]), None)
            if key not in by_key:
                continue
            g = by_key[key]
            assert ws.cell(r, col["Best threshold"]).value == threshold_of(g.optimum), (title, key)
            assert ws.cell(r, col["Value at best"]).value == pytest.approx(g.optimum.value, abs=CENT), (
                title,
                key,
            )
            seen += 1
        assert seen == len(by_key), title
        checked += 2 * seen
    return checked


# -- the demo: linear payoff, 200,000 rows, a challenger, two segments, months, a capacity ---------


def demo_run(args: list[str]):
    parsed = build_parser().parse_args(["report", "--demo", *args])
    con = duckdb.connect()
    load_data(con, parsed)
    request, _ = build_request(parsed, table_columns(con, TABLE), con)
    return con, request


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    con, request = demo_run(["--capacity", "2%"])
    analysis = analyse(con, TABLE, request)
    model = build_report_model(
        analysis, SourceFacts("demo", "demo", "0" * 64, 1, 200000, 0), con=con, table=TABLE
    )
    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    write_xlsx(model, path)
    yield con, request, analysis, path
    con.close()


def test_demo_best_thresholds_follow_a_parameter_and_a_limit_change(demo, tmp_path):
    from dataclasses import replace

    con, request, exported, path = demo
    assert exported.request.constraints.max_flag_rate == pytest.approx(0.02)
    edited = edit(
        path, {"review_cost": 15.0, "Most of the labelled rows flagged": 0.05}, tmp_path / "e" / "d.xlsx"
    )
    values = openpyxl.load_workbook(recalc(edited, tmp_path / "profile"), data_only=True)
    payoff = request.payoff.with_parameters(**{**request.payoff.parameters, "review_cost": 15.0})
    fresh = analyse(con, TABLE, replace(request, payoff=payoff, constraints=Constraints(max_flag_rate=0.05)))
    # The change moves what is tested (else the test could pass on the exported values).
    assert fresh.comparison.challenger.optimum.threshold != exported.comparison.challenger.optimum.threshold
    assert fresh.champion.constrained.threshold != exported.champion.constrained.threshold
    moved = [g.key for g in fresh.segments["channel"] if g.optimum.threshold != next(
        h for h in exported.segments["channel"] if h.key == g.key).optimum.threshold]  # fmt: skip
    assert moved
    checked = check_against(
        values, fresh, segments={"By channel": "channel", "By region": "region"}, period=True
    )
    assert checked > 40
    # The recommendation follows the search within the limits (the operating policy is that best).
    texts = " ".join(str(c.value) for row in values["Summary"].iter_rows(max_col=1) for c in row if c.value)
    assert f"Flag rows scoring {fresh.champion.constrained.threshold:.4g}"[:22] in texts


def test_the_demo_check_fails_with_the_formulas_replaced_by_values(demo, tmp_path):
    from dataclasses import replace

    con, request, _, path = demo
    dead = frozen(path, tmp_path / "f" / "demo.xlsx")
    edited = edit(
        dead, {"review_cost": 15.0, "Most of the labelled rows flagged": 0.05}, tmp_path / "e" / "d.xlsx"
    )
    # No formula is left, so recalculating would change nothing: the values are read as they are.
    assert not any(
        c.data_type == "f" for ws in openpyxl.load_workbook(edited) for row in ws.iter_rows() for c in row
    )
    values = openpyxl.load_workbook(edited, data_only=True)
    payoff = request.payoff.with_parameters(**{**request.payoff.parameters, "review_cost": 15.0})
    fresh = analyse(con, TABLE, replace(request, payoff=payoff, constraints=Constraints(max_flag_rate=0.05)))
    with pytest.raises(AssertionError):
        check_against(values, fresh, segments={}, period=False)


# -- the bank data: not linear in its parameters; a challenger added, a minimum precision ---------

BANK_PAYOFF = {"tp": "-c", "fp": "-c", "tn": "0", "fn": "-max(r * d * balance_eur, c)"}
BANK_PARAMS = {"c": 1.0, "r": 0.02463333, "d": 0.25}


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    if not BANK.exists():
        pytest.skip("the shared bank marketing file is not on this machine")
    frame = pd.read_csv(BANK, dtype={"client_id": str})
    # A second model on the same clients: the score blurred with fixed noise, on 3 decimals.
    rng = np.random.default_rng(5)
    noisy = np.clip(frame.p_subscribe + rng.normal(0, 0.05, len(frame)), 0, 1).round(3)
    csv = tmp_path_factory.mktemp("bankdata") / "bank2.csv"
    frame.assign(challenger=noisy).to_csv(csv, index=False)
    con = duckdb.connect()
    import_file(con, csv, table="data")
    mapping = ColumnMapping(score="p_subscribe", label="subscribed", positive="yes", challenger_score="challenger",
                            segments=("job", "contact_channel"), timestamp="campaign_month")  # fmt: skip

    def run(params, constraints):
        request = AnalysisRequest(mapping=mapping, payoff=parse_payoff(BANK_PAYOFF, params, table_columns(con, "data")),
                                  period="month", constraints=constraints)  # fmt: skip
        return analyse(con, "data", request)

    exported = run(BANK_PARAMS, Constraints(min_precision=0.2))
    model = build_report_model(exported, SourceFacts("bank2.csv", str(csv), "0" * 64, 1, len(frame), 0),
                               currency="EUR", con=con, table="data")  # fmt: skip
    path = tmp_path_factory.mktemp("bank") / "bank.xlsx"
    write_xlsx(model, path)
    yield run, exported, path
    con.close()


def test_bank_best_thresholds_follow_c_and_a_minimum_precision(bank, tmp_path):
    run, exported, path = bank
    wb = openpyxl.load_workbook(path)
    assert "Rows" in wb.sheetnames and "Curves" in wb.sheetnames  # per-row formulas: not linear
    edited = edit(path, {"p_c": 2.0, "Least precision (share of flagged rows that are positive)": 0.3},
                  tmp_path / "e" / "bank.xlsx")  # fmt: skip
    values = openpyxl.load_workbook(recalc(edited, tmp_path / "profile"), data_only=True)
    fresh = run({**BANK_PARAMS, "c": 2.0}, Constraints(min_precision=0.3))
    assert fresh.champion.optimum.threshold == pytest.approx(0.147347)  # the figure
    assert fresh.comparison.challenger.optimum.threshold != exported.comparison.challenger.optimum.threshold
    assert fresh.champion.constrained.threshold != exported.champion.constrained.threshold
    checked = check_against(values, fresh, segments={"By job": "job", "By contact_channel": "contact_channel"},
                            period=True)  # fmt: skip
    assert checked > 40
