"""A payoff that is not linear in its parameters still gives a live workbook: per-row formulas.

The bank-marketing cost model (``fn = -max(r * d * balance_eur, c)``) cannot be split into
per-parameter aggregates. The workbook carries one payoff formula per labelled row on a hidden
Rows sheet and sums them. Here the contact cost ``c`` is changed from 1 to 2 in the workbook,
LibreOffice recalculates it, and the sweep, Summary, segment and trend figures are compared, to
the cent, with the core's ``analyse`` at ``c = 2`` and with a plain pandas row-level computation.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import range_boundaries

from roistudio.core.data.importer import import_file
from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine import payoff_rows as payoff_rows_module
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.payoff.language import parse_payoff
from roistudio.reports.model import SourceFacts, build_report_model
from roistudio.reports.xlsx import write_xlsx
from tests.helpers import libreoffice_profile

BANK = Path("/work/shared/data/bank_marketing_scored.csv")
SOFFICE = shutil.which("soffice")
PAYOFF = {"tp": "-c", "fp": "-c", "tn": "0", "fn": "-max(r * d * balance_eur, c)"}
PARAMS = {"c": 1.0, "r": 0.02463333, "d": 0.25}
MAPPING = ColumnMapping(score="p_subscribe", label="subscribed", positive="yes", id="client_id",
                        segments=("job", "contact_channel"), timestamp="campaign_month")  # fmt: skip
CENT = 0.005
MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                      "nov", "dec"], start=1)}  # fmt: skip

pytestmark = pytest.mark.skipif(
    not BANK.exists(), reason="the shared bank marketing file is not on this machine"
)


@pytest.fixture(scope="module")
def bank():
    con = duckdb.connect()
    import_file(con, BANK, table="data")
    frame = pd.read_csv(BANK, dtype={"client_id": str})
    yield con, frame
    con.close()


def analysis_of(con, params, threshold=None):
    request = AnalysisRequest(
        mapping=MAPPING,
        payoff=parse_payoff(PAYOFF, params, table_columns(con, "data")),
        period="month",
        threshold=threshold,
        use_threshold=threshold is not None,
    )
    return analyse(con, "data", request)


def row_values(frame: pd.DataFrame, threshold: float | None, c: float) -> np.ndarray:
    """Each row's payoff under the published cost model, flagged iff score >= threshold (pandas, row by row)."""
    flagged = np.zeros(len(frame), bool) if threshold is None else (frame.p_subscribe >= threshold).to_numpy()
    positive = (frame.subscribed == "yes").to_numpy()
    fn = -np.maximum(PARAMS["r"] * PARAMS["d"] * frame.balance_eur.to_numpy(), c)
    return np.where(flagged, -c, np.where(positive, fn, 0.0))


def perfect_values(frame: pd.DataFrame, c: float) -> np.ndarray:
    return np.where((frame.subscribed == "yes").to_numpy(), -c, 0.0)


def recalc(path: Path, profile: Path) -> Path:
    out = path.parent / "recalc"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={libreoffice_profile(profile)}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return out / path.name


def table_rows(ws) -> tuple[dict[str, int], range]:
    (table,) = ws.tables.values()
    _, first, last_col, last = range_boundaries(table.ref)
    return {ws.cell(first, c).value: c for c in range(1, last_col + 1)}, range(first + 1, last + 1)


@pytest.fixture(scope="module")
def written(bank, tmp_path_factory):
    con, _ = bank
    analysis = analysis_of(con, PARAMS)
    source = SourceFacts("bank_marketing_scored.csv", str(BANK), "0" * 64, 1, 22606, 0)
    started = time.perf_counter()
    model = build_report_model(analysis, source, currency="EUR", con=con, table="data")
    built = time.perf_counter()
    path = tmp_path_factory.mktemp("bank") / "bank.xlsx"
    write_xlsx(model, path)
    done = time.perf_counter()
    print(f"\nbank workbook: report model {built - started:.2f} s, writing {done - built:.2f} s")
    return model, path


def test_the_rows_sheet_is_hidden_and_every_row_carries_its_payoff_formulas(written):
    model, path = written
    wb = openpyxl.load_workbook(path)
    ws = wb["Rows"]
    assert ws.sheet_state == "hidden"
    # No print area: LibreOffice prints a hidden sheet's print area (the workbook prints without it).
    assert not ws.print_area
    values = openpyxl.load_workbook(path, data_only=True)["Rows"]
    headers = {ws.cell(5, c).value: c for c in range(1, ws.max_column + 1)}
    flag, keep = headers["If flagged"], headers["If not flagged"]
    assert ws.max_row == 6 + 22606
    # The formulas are the payoff's, over the row's cells and the named parameters...
    assert ws.cell(7, flag).value == "=(-p_c)"
    assert ws.cell(7, keep).value.startswith("=IF(")
    assert "MAX(((p_r*d)*" in ws.cell(7, keep).value
    # ...and carry their values, for readers that do not recalculate: every formula of the workbook.
    cached = openpyxl.load_workbook(path, data_only=True)
    for sheet in wb:
        for row in sheet.iter_rows():
            for c in row:
                if c.data_type == "f" or type(c.value).__name__ == "ArrayFormula":
                    assert cached[sheet.title][c.coordinate].value is not None, (
                        f"{sheet.title}!{c.coordinate}"
                    )
    assert values.cell(7, flag).value == -1.0
    assert values.cell(ws.max_row, headers["Value at this threshold"]).value == pytest.approx(
        model.champion.flag_everyone.value, abs=CENT
    )


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")
def test_changing_c_in_the_workbook_reprices_sweep_summary_segments_and_trend(bank, written, tmp_path):
    con, frame = bank
    model, path = written
    wb = openpyxl.load_workbook(path)
    (sheet, coord), *_ = wb.defined_names["p_c"].destinations
    assert wb[sheet][coord.replace("$", "")].value == 1
    wb[sheet][coord.replace("$", "")].value = 2
    edited = tmp_path / "edited" / "bank.xlsx"
    edited.parent.mkdir()
    wb.save(edited)
    values = openpyxl.load_workbook(recalc(edited, tmp_path / "profile"), data_only=True)

    exported = model.analysis
    operating = exported.champion.operating.threshold
    fresh = analysis_of(con, {**PARAMS, "c": 2.0}, threshold=operating)
    free = analysis_of(con, {**PARAMS, "c": 2.0})
    at_operating = row_values(frame, operating, 2.0).sum()
    assert fresh.champion.operating.value == pytest.approx(at_operating, abs=CENT)
    assert at_operating == pytest.approx(-22039.41, abs=CENT)  # the figure

    summary = {r[0].value: r[1].value for r in values["Summary"].iter_rows(min_col=1, max_col=2)}
    assert summary["Value at operating threshold"] == pytest.approx(at_operating, abs=CENT)
    assert summary["Best threshold"] == free.champion.optimum.threshold == pytest.approx(0.147347)
    assert summary["Best possible value"] == pytest.approx(row_values(frame, 0.147347, 2.0).sum(), abs=CENT)
    # The sentence under the recommendation follows too (a formula over the Summary's cells).
    texts = [
        c.value for row in values["Summary"].iter_rows(max_col=1) for c in row if isinstance(c.value, str)
    ]
    gap = row_values(frame, 0.147347, 2.0).sum() - at_operating
    assert f"€{gap:,.0f} more than the operating threshold." in " ".join(texts)
    assert any(t.startswith("The best threshold, 0.1473") for t in texts)
    nobody, everyone = row_values(frame, None, 2.0).sum(), row_values(frame, -1.0, 2.0).sum()
    assert summary["vs flag nobody"] == pytest.approx(at_operating - nobody, abs=CENT)
    assert summary["vs flag everyone"] == pytest.approx(at_operating - everyone, abs=CENT)
    assert summary["Value of the model"] == pytest.approx(at_operating - max(nobody, everyone), abs=CENT)

    ws = values["Threshold sweep"]
    col, rows = table_rows(ws)
    thresholds = [ws.cell(r, col["Threshold"]).value for r in rows]
    got = [ws.cell(r, col["Value"]).value for r in rows]
    assert len(got) > 1000
    for t, v in zip(thresholds, got, strict=True):
        assert v == pytest.approx(fresh.champion.curve.at(t).value, abs=CENT), t
    for k in np.linspace(0, len(got) - 1, 40).astype(int):  # row by row in pandas, for a spread of rows
        assert got[k] == pytest.approx(row_values(frame, thresholds[k], 2.0).sum(), abs=CENT), thresholds[k]

    frame = frame.assign(
        now=row_values(frame, operating, 2.0), perfect=perfect_values(frame, 2.0), month=frame.campaign_month
    )
    for title, column, groups in (("By job", "job", fresh.segments["job"]),
                                  ("By contact_channel", "contact_channel", fresh.segments["contact_channel"]),
                                  ("Trend", "month", fresh.periods)):  # fmt: skip
        ws = values[title]
        col, rows = table_rows(ws)
        # The groups at c = 2: each one's best threshold moves with c (found again by formula).
        by_key = {g.key: g for g in groups}
        seen = 0
        for r in rows:
            key = ws.cell(r, 1).value
            if title == "Trend":
                key = next(k for k in by_key if k.lower() == str(key).lower()[:3])
            part = (
                frame[frame[column].str.lower() == key.lower()]
                if title == "Trend"
                else frame[frame[column] == key]
            )
            best = row_values(part, by_key[key].optimum.threshold, 2.0).sum()
            value_col = col.get("Value") or col["Champion value"]
            assert ws.cell(r, value_col).value == pytest.approx(part.now.sum(), abs=CENT), (title, key)
            assert ws.cell(r, col["Money lost"]).value == pytest.approx(
                part.perfect.sum() - part.now.sum(), abs=CENT
            )
            assert ws.cell(r, col["Value at best"]).value == pytest.approx(best, abs=CENT), (title, key)
            seen += 1
        assert seen == len(groups)


def test_past_the_row_limit_the_assumptions_sheet_says_which_figures_are_fixed(bank, tmp_path, monkeypatch):
    con, _ = bank
    monkeypatch.setattr(payoff_rows_module, "MAX_WORKBOOK_ROWS", 10_000)
    analysis = analysis_of(con, PARAMS)
    source = SourceFacts("bank_marketing_scored.csv", str(BANK), "0" * 64, 1, 22606, 0)
    model = build_report_model(analysis, source, currency="EUR", con=con, table="data")
    path = tmp_path / "bank.xlsx"
    write_xlsx(model, path)
    wb = openpyxl.load_workbook(path)
    assert "Rows" not in wb.sheetnames
    text = " ".join(str(c.value) for row in wb["Assumptions"].iter_rows() for c in row if c.value)
    assert (
        "The analysis has 22,606 labelled rows over its models; per-row formulas are written for at most 10,000"
        in text
    )
    assert "money figures are fixed values" in text


# -- two models, segments and months: the challenger's figures sum the same rows ----------------

TWO_PAYOFF = {"tp": "amount * k - cost", "fp": "-cost", "tn": "0", "fn": "-max(amount, fee)"}
TWO_PARAMS = {"k": 0.8, "cost": 5.0, "fee": 30.0}


def two_model_frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 900
    y = rng.random(n) < 0.15
    label = y.astype(float)
    label[rng.random(n) < 0.05] = np.nan  # not yet labelled: never counted
    return pd.DataFrame(
        {
            "score": np.clip(rng.normal(0.3 + 0.35 * y, 0.2), 0, 1).round(2),  # ties
            "challenger": np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1).round(3),
            "is_fraud": label,
            "amount": rng.gamma(2.0, 40.0, n).round(2),
            "segment": rng.choice(["web", "Web", "=1+1", "store*"], n),  # case, formula and pattern text
            "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
        }
    )


def two_values(frame: pd.DataFrame, column: str, threshold: float | None, params: dict) -> float:
    known = frame[frame.is_fraud.notna()]
    flagged = np.zeros(len(known), bool) if threshold is None else (known[column] >= threshold).to_numpy()
    pos = (known.is_fraud == 1).to_numpy()
    amount = known.amount.to_numpy()
    tp = amount * params["k"] - params["cost"]
    fn = -np.maximum(amount, params["fee"])
    return float(np.where(flagged, np.where(pos, tp, -params["cost"]), np.where(pos, fn, 0.0)).sum())


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")
def test_a_challenger_s_figures_follow_the_parameters_too(tmp_path):
    frame = two_model_frame()
    con = duckdb.connect()
    con.register("frame_view", frame)
    con.execute("CREATE TABLE data AS SELECT * FROM frame_view")
    request = AnalysisRequest(
        mapping=ColumnMapping("score", "is_fraud", segments=("segment",), challenger_score="challenger",
                              timestamp="ts"),
        payoff=parse_payoff(TWO_PAYOFF, TWO_PARAMS, table_columns(con, "data")),
        period="month",
    )  # fmt: skip
    analysis = analyse(con, "data", request)
    model = build_report_model(
        analysis, SourceFacts("p.csv", "/p.csv", "0" * 64, 1, 900, 0), con=con, table="data"
    )
    path = tmp_path / "two.xlsx"
    write_xlsx(model, path)
    wb = openpyxl.load_workbook(path)
    assert wb["Rows"].sheet_state == "hidden" and wb.sheetnames[-1] == "Rows"
    (sheet, coord), *_ = wb.defined_names["fee"].destinations
    wb[sheet][coord.replace("$", "")].value = 55
    edited = tmp_path / "edited" / "two.xlsx"
    edited.parent.mkdir()
    wb.save(edited)
    values = openpyxl.load_workbook(recalc(edited, tmp_path / "profile"), data_only=True)
    params = {**TWO_PARAMS, "fee": 55.0}

    comp = analysis.comparison
    lines = {r[0].value: r for r in values["Comparison"].iter_rows(min_col=1, max_col=4) if r[0].value}
    for label, champion_t, challenger_t in (
        ("Value at best threshold", comp.champion.optimum.threshold, comp.challenger.optimum.threshold),
        ("Value at common threshold", comp.common_threshold, comp.challenger_at_common.threshold),
    ):
        champion = two_values(frame, "score", champion_t, params)
        challenger = two_values(frame, "challenger", challenger_t, params)
        got = [c.value for c in lines[label][1:4]]
        assert got == pytest.approx([champion, challenger, challenger - champion], abs=CENT), label

    operating = analysis.champion.operating.threshold
    chall_operating = analysis.challenger.operating.threshold
    ws = values["By segment"]
    col, rows = table_rows(ws)
    keys = []
    for r in rows:
        key = ws.cell(r, 1).value
        keys.append(key)
        part = frame[frame.segment == key]
        assert ws.cell(r, col["Champion value"]).value == pytest.approx(
            two_values(part, "score", operating, params), abs=CENT
        ), key
        assert ws.cell(r, col["Challenger value"]).value == pytest.approx(
            two_values(part, "challenger", chall_operating, params), abs=CENT
        ), key
    assert sorted(keys) == sorted(["web", "Web", "=1+1", "store*"])
    summary = {r[0].value: r[1].value for r in values["Summary"].iter_rows(min_col=1, max_col=2)}
    fresh = analyse(con, "data", AnalysisRequest(mapping=request.mapping, period="month",
                    payoff=parse_payoff(TWO_PAYOFF, params, table_columns(con, "data"))))  # fmt: skip
    assert summary["Best threshold"] == fresh.champion.optimum.threshold
    assert summary["Best possible value"] == pytest.approx(fresh.champion.optimum.value, abs=CENT)
    assert summary["Value at operating threshold"] == pytest.approx(
        two_values(frame, "score", operating, params), abs=CENT
    )
