"""Page geometry: the text block is centred on A4 and on US Letter (equal left and right margins)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from pypdf import PdfReader

from roistudio.reports import pdf
from roistudio.reports.model import SourceFacts, build_report_model
from roistudio.reports.pdf.layout import TEXT_WIDTH
from tests.helpers import run_analysis


@pytest.mark.parametrize(("currency", "width"), [("EUR", 595.276), ("USD", 612.0)])
def test_text_block_is_centred_on_the_page(currency, width, tmp_path):
    frame = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.4, 0.2], "label": [1, 0, 1, 0, 1],
                          "amount": [100.0, 50.0, 20.0, 10.0, 3.0]})  # fmt: skip
    analysis, _ = run_analysis(frame, {"tp": "amount - 5", "fp": "-5", "fn": "-amount"})
    source = SourceFacts(
        name="s.csv", path="/s.csv", sha256="0" * 64, size=1, rows_in_file=5, rejected_rows=0
    )
    model = build_report_model(
        analysis, source, currency=currency, created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    path = tmp_path / "g.pdf"
    pdf.write_pdf(model, path)
    page = PdfReader(path).pages[0]
    assert float(page.mediabox.width) == pytest.approx(width, abs=0.01)
    xs: list[float] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            xs.append(cm[4] + tm[4])

    page.extract_text(visitor_text=visit)
    # The title starts at the left margin, which is half of what the text block leaves.
    assert min(xs) == pytest.approx((width - TEXT_WIDTH) / 2, abs=0.5)
