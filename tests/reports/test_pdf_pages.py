"""The PDF after page 1: intervals per segment and period as in the JSON, the value bridge page."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from roistudio.core.engine.bridge import value_bridge
from roistudio.core.engine.decision import DecisionOptions, decide
from roistudio.reports import pdf
from roistudio.reports.model import SourceFacts, build_report_model
from roistudio.reports.pdf.sensitivity import bridge_rows
from tests.helpers import brute_force_value, run_analysis

PAYOFF = {"tp": "amount * 0.8 - 5", "fp": "-5", "tn": "0", "fn": "-amount"}
CREATED = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def _frame(n: int = 3000, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    label = (rng.random(n) < 1 / (1 + np.exp(-(2 * latent - 2.5)))).astype(float)
    return pd.DataFrame(
        {
            "score": np.round(1 / (1 + np.exp(-(latent + rng.normal(scale=0.8, size=n)))), 3),
            "label": label,
            "amount": np.round(rng.lognormal(4.0, 0.8, n), 2),
            "city": rng.choice(["Lyon", "Paris", "Nice"], n),
            "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D"),
        }
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    frame = _frame()
    analysis, con = run_analysis(frame, PAYOFF, segments=("city",), timestamp="ts", period="month")
    decision = decide(con, analysis, DecisionOptions(replicates=200, seed=3))
    source = SourceFacts("export.csv", "/data/export.csv", "ab" * 32, 1, len(frame), 0)
    model = build_report_model(analysis, source, created=CREATED, con=con, decision=decision, currency="EUR")
    path = tmp_path_factory.mktemp("pages") / "r.pdf"
    pdf.write_pdf(model, path)
    pages = [p.extract_text() for p in PdfReader(path).pages]
    block = json.loads(json.dumps(decision.to_json_blocks()))["uncertainty"]
    return frame, model, pages, block


def _flat(text: str) -> str:
    return " ".join(text.split())


def _section(pages: list[str], heading: str, until: str) -> str:
    """The text from ``heading`` to ``until`` (a table may run over a page break)."""
    text = _flat("\n".join(pages))
    start = text.index(heading)
    return text[start : text.index(until, start)]


def test_segment_table_shows_each_segments_interval_from_the_json(written):
    _, model, pages, block = written
    text = _section(pages, "By city", "Trend by period")
    rows = block["segments"]["city"]
    assert {r["key"] for r in rows} == {"Lyon", "Paris", "Nice"}
    for r in rows:
        assert f"{model.money(r['low'])} to {model.money(r['high'])}" in text, r
    assert "90%-interval" in text


def test_period_table_shows_each_periods_interval_from_the_json(written):
    _, model, pages, block = written
    text = _section(pages, "Trend by period", "Assumptions and methodology")
    assert len(block["periods"]) == 4
    for r in block["periods"]:
        assert f"{model.money(r['low'])} to {model.money(r['high'])}" in text, r
    # The value per 1,000 labelled rows the chart draws is in the table too.
    for g in model.periods:
        assert model.money(g.operating.value_per_1000) in text


def test_bridge_page_adds_up_to_the_operating_value_row_by_row(written):
    frame, model, pages, _ = written
    text = _section(pages, "What moves the value", "Segments")
    champ = model.champion
    y = frame.label.to_numpy(dtype=bool)
    amount = frame.amount.to_numpy()
    n = len(frame)
    value = brute_force_value(frame.score, y, champ.operating.threshold, amount * 0.8 - 5, np.full(n, -5.0),
                              np.zeros(n), -amount)  # fmt: skip
    rows = bridge_rows(model)
    assert [r[0] for r in rows][1:3] == [s.label for s in value_bridge(champ).steps]
    assert rows[-1][-1] == model.money(round(value))
    for row in rows:
        assert " ".join(str(c) for c in row if c) in text

    # The printed figures add up: the steps' text is parsed back and summed.
    def number(cell: str) -> int:
        return int(cell.replace("€", "").replace(",", "").replace("+", "").replace("\u2212", "-"))

    assert number(rows[0][-1]) + number(rows[1][-1]) + number(rows[2][-1]) == number(rows[3][-1])
    # No ranges: the page says how to get the tornado chart instead of leaving a gap.
    assert "No parameter ranges were given" in text
