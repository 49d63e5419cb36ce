"""The PDF report, read back with pypdf: metadata, page 1, fonts, escaping, long tables, atomicity."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Spacer

from roistudio import __version__
from roistudio.core.errors import DataError
from roistudio.reports import pdf
from roistudio.reports.fonts import fonts_dir
from roistudio.reports.model import SourceFacts, build_report_model
from roistudio.reports.pdf import breakdowns as pdf_breakdowns
from roistudio.reports.pdf import summary as pdf_summary
from roistudio.reports.pdf import threshold as pdf_threshold
from tests.helpers import brute_force_value, run_analysis

CYRILLIC = "Москва"
GREEK = "Αθήνα"
MARKUP = "<b>Bold</b> & Co"
PAYOFF = {"tp": "amount * recovery - review", "fp": "-review", "tn": "0", "fn": "-amount"}
PARAMS = {"recovery": 0.8, "review": 5.0}
CREATED = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def _source(rows: int) -> SourceFacts:
    return SourceFacts(
        name="export <v2>.csv", path="/data/export <v2>.csv", sha256="ab" * 32, size=12_345,
        rows_in_file=rows, rejected_rows=0, date_min="2026-01-01", date_max="2026-03-31",
    )  # fmt: skip


SHOPS = 500


def _frame(n: int = 2000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    label = pd.array((rng.random(n) < 1 / (1 + np.exp(-(2 * latent - 2.5)))).astype(int), dtype="Int8")
    ts = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D")
    label[ts >= pd.Timestamp("2026-03-01")] = pd.NA  # the last month has no label yet
    return pd.DataFrame(
        {
            "score": np.round(1 / (1 + np.exp(-(latent + rng.normal(scale=0.8, size=n)))), 3),
            "challenger": np.round(1 / (1 + np.exp(-(latent + rng.normal(scale=0.5, size=n)))), 3),
            "label": label,
            "amount": np.round(rng.lognormal(4.0, 0.8, n), 2),
            "city": rng.choice([CYRILLIC, GREEK, MARKUP, "Paris"], n),
            "shop": [f"shop-{i % SHOPS:03d}" for i in range(n)],
            "ts": ts,
        }
    )


def _pages_text(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    frame = _frame()
    analysis, _ = run_analysis(
        frame,
        PAYOFF,
        PARAMS,
        segments=("city", "shop"),
        challenger_score="challenger",
        timestamp="ts",
        period="month",
    )
    model = build_report_model(analysis, _source(len(frame)), title="Rapport «Fraude» €", currency="EUR",
                               created=CREATED)  # fmt: skip
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    pdf.write_pdf(model, path)
    return frame, model, path, _pages_text(path)


def test_metadata(report):
    _, model, path, _ = report
    meta = PdfReader(path).metadata
    assert meta.title == "Rapport «Fraude» €"
    assert meta.author == f"Model ROI Studio {__version__}"
    assert (
        meta.subject
        == f"Value of model score at threshold {model.headline.threshold:.6g}: "
        + model.money(model.headline.value)
    )
    assert meta.creator == f"Model ROI Studio {__version__}"


def test_page_one_states_the_headline_computed_row_by_row(report):
    frame, model, _, pages = report
    assert len(pages) > 1
    labelled = frame[frame["label"].notna()]
    amount = labelled["amount"].to_numpy()
    expected = brute_force_value(
        labelled["score"], labelled["label"].to_numpy(dtype=int) == 1, model.headline.threshold,
        amount * 0.8 - 5, np.full(len(amount), -5.0), np.zeros(len(amount)), -amount,
    )  # fmt: skip
    assert model.headline.value == pytest.approx(expected)
    figure = model.money(model.headline.value)
    assert figure.startswith(("€", "-€"))
    assert figure in pages[0]
    # Here the better baseline (flag everyone) earns money: the model adds to it.
    assert model.champion.better_baseline.kind == "flag_everyone"
    assert model.champion.better_baseline.value > 0
    assert "WHAT THE MODEL ADDS" in pages[0]
    assert model.money(model.headline.value_of_model) in pages[0]
    assert "Page 1 of " in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_running_header_on_later_pages_only(report):
    _, _, _, pages = report
    # Page 1 shows the title once, in large type; later pages carry it with the date.
    assert pages[0].count("Rapport «Fraude» €") == 1
    assert all("Rapport «Fraude» €" in p and "2026-03-04" in p for p in pages[1:])


def test_non_latin_text_and_markup_print_as_typed(report):
    _, _, path, pages = report
    text = "\n".join(pages)
    assert CYRILLIC in text
    assert GREEK in text
    assert MARKUP in text  # escaped, not bold
    assert "export <v2>.csv" in text
    fonts = PdfReader(path).pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert any("DejaVuSans" in n for n in names), names


def test_methodology_lists_payoff_and_parameters(report):
    _, _, _, pages = report
    text = "\n".join(pages)
    assert "amount * recovery - review" in text
    assert "score ≥ threshold" in text
    assert re.search(r"recovery\s+0\.8", text)


def test_not_yet_known_period_is_marked(report):
    _, _, _, pages = report
    text = "\n".join(pages)
    assert "Mar 2026" in text
    assert "labels not yet known" in text


def test_long_segment_table_shows_the_top_segments_and_sums_the_rest(report):
    frame, model, _, pages = report
    with_rows = [p for p in pages if re.search(r"shop-\d{3}", p)]
    for page in with_rows:
        assert "Segment" in page and "Positives" in page and "Precision" in page
    ranked = sorted(model.segments["shop"], key=lambda g: (-g.money_lost, g.key))
    top = ranked[: pdf_breakdowns.MAX_PDF_SEGMENTS]
    found = set(re.findall(r"shop-\d{3}", "\n".join(with_rows)))
    assert found == {g.key for g in top}
    hidden = SHOPS - pdf_breakdowns.MAX_PDF_SEGMENTS
    assert f"other ({hidden} segments; all in the workbook)" in re.sub(r"\s+", " ", "\n".join(pages))
    # The "other" row counts the rows of every hidden shop, from the data.
    rest = {g.key for g in ranked[pdf_breakdowns.MAX_PDF_SEGMENTS :]}
    labelled = frame[frame["shop"].isin(rest) & frame["label"].notna()]
    row = pdf_breakdowns._other_row(model, ranked[pdf_breakdowns.MAX_PDF_SEGMENTS :])
    assert row[1] == f"{len(labelled):,}"
    assert row[2] == f"{int(labelled['label'].sum()):,}"


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(report, tmp_path, monkeypatch):
    _, model, _, _ = report
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old report")

    class Exploding(Canvas):
        def save(self):  # the PDF is fully laid out, then writing fails
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(pdf, "numbered_canvas", lambda *_args: Exploding)
    for charted in (pdf_threshold, pdf_breakdowns):  # charts are not the point
        monkeypatch.setattr(charted, "chart_image", lambda *_args: Spacer(1, 1))
    monkeypatch.setattr(pdf_summary, "FillChart", lambda *_args: Spacer(1, 1))
    with pytest.raises(DataError) as err:
        pdf.write_pdf(model, target)
    assert str(err.value) == f"cannot write the PDF report to {target}: No space left on device"
    assert target.read_bytes() == b"old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def _chart_pixels(path) -> list[bytes]:
    return [image.data for page in PdfReader(path).pages for image in page.images]


def test_charts_rendered_by_a_forked_copy_are_the_charts_rendered_in_process(report, tmp_path, monkeypatch):
    """``parallel=True`` (the CLI) renders the later charts in a forked copy: the same images,
    and the same images again when that copy fails (the parent then renders them itself)."""
    import os
    import sys

    from roistudio.reports.pdf import chart_images

    monkeypatch.setattr(
        chart_images, "spare_core", lambda: sys.platform.startswith("linux")
    )  # even when busy
    _, model, path, _ = report
    expected = _chart_pixels(path)
    assert len(expected) >= 6
    pdf.write_pdf(model, tmp_path / "parallel.pdf", parallel=True)
    assert _chart_pixels(tmp_path / "parallel.pdf") == expected
    assert _pages_text(tmp_path / "parallel.pdf") == _pages_text(path)

    parent, pixels, forked = os.getpid(), chart_images._ChartImage.pixels, []

    def fails_in_the_copy(self):
        if os.getpid() != parent:
            raise MemoryError("the copy fails")
        forked.append(self)
        return pixels(self)

    monkeypatch.setattr(chart_images._ChartImage, "pixels", fails_in_the_copy)
    pdf.write_pdf(model, tmp_path / "fallback.pdf", parallel=True)
    assert _chart_pixels(tmp_path / "fallback.pdf") == expected
    # Every chart but page 1's (a FillChart, always rendered here) was rendered in this process.
    assert len(forked) == len(expected) - 1
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".pdf"]


def test_a_copy_failing_midway_hands_over_the_charts_it_finished(report, tmp_path, monkeypatch):
    """The copy reports each chart as it is done: those are used, the rest rendered here."""
    import os
    import sys

    from roistudio.reports.pdf import chart_images

    monkeypatch.setattr(chart_images, "spare_core", lambda: sys.platform.startswith("linux"))
    _, model, path, _ = report
    expected = _chart_pixels(path)
    parent, pixels, here, in_copy = os.getpid(), chart_images._ChartImage.pixels, [], []

    def fails_after_two(self):
        if os.getpid() != parent:
            in_copy.append(self)  # the copy's own list
            if len(in_copy) > 2:
                raise MemoryError("the copy fails on its third chart")
        else:
            here.append(self)
        return pixels(self)

    monkeypatch.setattr(chart_images._ChartImage, "pixels", fails_after_two)
    pdf.write_pdf(model, tmp_path / "midway.pdf", parallel=True)
    assert _chart_pixels(tmp_path / "midway.pdf") == expected
    if sys.platform.startswith("linux"):
        # Page 1's FillChart is always rendered here; of the rest, the copy finished two.
        assert len(here) == len(expected) - 1 - 2


def test_a_chart_placed_in_the_pdf_holds_exactly_its_rendered_pixels(tmp_path):
    import numpy as np
    from reportlab.pdfgen.canvas import Canvas

    from roistudio.reports.pdf.chart_images import ChartStream, draw_stream

    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    canvas = Canvas(str(tmp_path / "one.pdf"))
    draw_stream(canvas, ChartStream.of(pixels), 200, 140)
    canvas.save()
    (image,) = PdfReader(tmp_path / "one.pdf").pages[0].images
    assert np.array_equal(np.asarray(image.image.convert("RGB")), pixels)


def test_unwritable_folder_is_one_clear_line(report, tmp_path):
    _, model, _, _ = report
    target = tmp_path / "missing" / "report.pdf"
    with pytest.raises(DataError) as err:
        pdf.write_pdf(model, target)
    assert str(err.value) == f"cannot write the PDF report to {target}: No such file or directory"


def test_fonts_are_bundled_with_their_licence():
    folder = fonts_dir()
    assert folder.name == "fonts" and folder.parent.name == "resources"
    assert (folder / "DejaVuSans.ttf").is_file()
    assert (folder / "DejaVuSans-Bold.ttf").is_file()
    assert "Bitstream" in (folder / "LICENSE").read_text(encoding="utf-8")


@pytest.mark.parametrize(("currency", "size"), [("EUR", (595, 842)), ("GBP", (595, 842)), ("USD", (612, 792)),
                                                ("CAD", (612, 792))])  # fmt: skip
def test_pages_are_a4_unless_the_currency_is_us_or_canadian(currency, size, tmp_path):
    frame = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.4, 0.2], "label": [1, 0, 1, 0, 1],
                          "amount": [100.0, 50.0, 20.0, 10.0, 3.0]})  # fmt: skip
    analysis, _ = run_analysis(frame, PAYOFF, PARAMS)
    model = build_report_model(analysis, _source(len(frame)), currency=currency, created=CREATED)
    path = tmp_path / "r.pdf"
    pdf.write_pdf(model, path)
    for page in PdfReader(path).pages:
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == size


def test_an_example_payoff_is_stamped_on_page_one_and_every_footer(tmp_path):
    frame = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.4, 0.2], "label": [1, 0, 1, 0, 1],
                          "amount": [100.0, 50.0, 20.0, 10.0, 3.0]})  # fmt: skip
    analysis, _ = run_analysis(frame, PAYOFF, PARAMS)
    for suggested in (True, False):
        model = build_report_model(analysis, _source(len(frame)), currency="EUR", created=CREATED,
                                   payoff_suggested=suggested)  # fmt: skip
        path = tmp_path / f"r{suggested}.pdf"
        pdf.write_pdf(model, path)
        pages = _pages_text(path)
        assert ("EXAMPLE PAYOFF, NOT CONFIRMED" in pages[0]) is suggested
        assert ("has not confirmed or edited it" in pages[0]) is suggested
        assert all(("EXAMPLE PAYOFF, NOT CONFIRMED" in p) is suggested for p in pages)


def test_under_a_capacity_page_one_compares_with_allowed_baselines_only(tmp_path):
    from roistudio.core.engine.constraints import Constraints

    frame = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.4, 0.2], "label": [1, 0, 1, 0, 1],
                          "amount": [100.0, 50.0, 20.0, 10.0, 3.0]})  # fmt: skip
    payoff = {"tp": "amount * 0.9 - 5", "fp": "-5", "fn": "-amount"}
    analysis, _ = run_analysis(frame, payoff, constraints=Constraints(max_flagged=2))
    model = build_report_model(analysis, _source(len(frame)), currency="EUR", created=CREATED)
    pdf.write_pdf(model, tmp_path / "c.pdf")
    page = " ".join(_pages_text(tmp_path / "c.pdf")[0].split())
    # Best under the capacity, t=0.9, is worth 62; flag 2 at random expects -39.52 (test_curve.py).
    assert "adds €102 against flagging 2 rows at random" in page
    assert "flagging every row" not in page
