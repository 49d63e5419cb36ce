"""Decision figures in the reports: the PDF section and the workbook sheet show the core's numbers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from roistudio.core.engine.decision import DecisionOptions, decide
from roistudio.core.engine.parameter_ranges import ParameterRange
from roistudio.reports import pdf
from roistudio.reports.model import SourceFacts, build_report_model
from roistudio.reports.xlsx import write_xlsx
from tests.helpers import run_analysis

PAYOFF = {"tp": "amount * recovery - review", "fp": "-review", "tn": "0", "fn": "-amount"}
PARAMS = {"recovery": 0.8, "review": 5.0}
CREATED = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def _frame(n: int = 3000, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    label = (rng.random(n) < 1 / (1 + np.exp(-(2 * latent - 2.5)))).astype(float)
    return pd.DataFrame(
        {
            "score": np.round(1 / (1 + np.exp(-(latent + rng.normal(scale=0.8, size=n)))), 3),
            "challenger": np.round(1 / (1 + np.exp(-(latent + rng.normal(scale=0.5, size=n)))), 3),
            "label": label,
            "amount": np.round(rng.lognormal(4.0, 0.8, n), 2),
            "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D"),
        }
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    frame = _frame()
    analysis, con = run_analysis(
        frame, PAYOFF, PARAMS, challenger_score="challenger", timestamp="ts", period="month"
    )
    options = DecisionOptions(replicates=300, ranges=(ParameterRange("review", 1.0, 80.0),), draws=500)
    decision = decide(con, analysis, options)
    source = SourceFacts("export.csv", "/data/export.csv", "ab" * 32, 1, len(frame), 0)
    model = build_report_model(analysis, source, created=CREATED, con=con, decision=decision)
    folder = tmp_path_factory.mktemp("unc")
    pdf.write_pdf(model, folder / "r.pdf")
    write_xlsx(model, folder / "r.xlsx")
    text = "\n".join(p.extract_text() for p in PdfReader(folder / "r.pdf").pages)
    return model, decision, text, openpyxl.load_workbook(folder / "r.xlsx")


def test_pdf_section_shows_the_intervals_and_verdict(written):
    model, decision, text, _ = written
    u = decision.uncertainty
    assert "How sure, and what if" in text
    assert (
        f"{model.money(u.operating_value.low)}" in text and f"{model.money(u.operating_value.high)}" in text
    )
    assert f"{u.p_challenger_better:.3f}" in text
    assert "Walk-forward" in text and "Sensitivity to the payoff" in text
    assert decision.recommendation["challenger_verdict"] is not None


def test_workbook_sheet_holds_the_numbers(written):
    _, decision, _, book = written
    ws = book["Uncertainty"]
    rows = {r[0].value: [c.value for c in r[1:4]] for r in ws.iter_rows(min_col=1, max_col=4) if r[0].value}
    u = decision.uncertainty
    assert rows["Value at the operating threshold"][1:] == [pytest.approx(u.operating_value.low),
                                                            pytest.approx(u.operating_value.high)]  # fmt: skip
    assert rows["P(challenger better)"][0] == pytest.approx(u.p_challenger_better)
    assert rows["Walk-forward total"][1] == pytest.approx(decision.backtest.value)
    bar = decision.sensitivity.parameters[0]
    assert rows["review"][2] == pytest.approx(bar.value_at_low)


def test_break_even_rows_are_exact_and_pay(written):
    """The PDF's break-even rows print the exact score, and that policy is worth the baseline or more."""
    model, _, text, _ = written
    champ = model.champion
    for t in champ.break_even:
        assert repr(t) in text
        assert champ.curve.at(t).value >= champ.better_baseline.value


def test_no_decision_no_section(tmp_path):
    frame = _frame(400)
    analysis, _ = run_analysis(frame, PAYOFF, PARAMS)
    model = build_report_model(
        analysis, SourceFacts("e.csv", "/e.csv", "ab" * 32, 1, 400, 0), created=CREATED
    )
    pdf.write_pdf(model, tmp_path / "r.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages)
    assert "How sure" not in text
    write_xlsx(model, tmp_path / "r.xlsx")
    assert "Uncertainty" not in openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames


def test_nothing_computed_no_section(tmp_path):
    """`roistudio report --bootstrap 0` without ranges or time: no empty section, no empty sheet."""
    frame = _frame(400)
    analysis, con = run_analysis(frame, PAYOFF, PARAMS)
    decision = decide(con, analysis, DecisionOptions(replicates=0))
    assert not decision.has_figures
    model = build_report_model(analysis, SourceFacts("e.csv", "/e.csv", "ab" * 32, 1, 400, 0), created=CREATED,
                               decision=decision)  # fmt: skip
    pdf.write_pdf(model, tmp_path / "r.pdf")
    assert "How sure" not in "\n".join(p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages)
    write_xlsx(model, tmp_path / "r.xlsx")
    assert "Uncertainty" not in openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames
