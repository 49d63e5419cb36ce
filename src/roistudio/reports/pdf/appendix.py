"""The closing pages: assumptions and methodology, data quality and provenance."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.platypus import Flowable, Paragraph, Spacer

from roistudio.core.glossary import METRICS, outcome_sentence
from roistudio.reports.model import ReportModel
from roistudio.reports.pdf.layout import (
    TEXT_WIDTH,
    Styles,
    data_table,
    fmt_int,
    fmt_threshold,
    key_value_table,
    paragraph_text,
)

DEFINITIONS = METRICS  # the glossary, in the order the methodology page lists it


def methodology_section(model: ReportModel, s: Styles) -> list[Flowable]:
    """Assumptions and methodology: the payoff, its parameters and the definitions."""
    w = TEXT_WIDTH
    payoff_rows = [
        [
            Paragraph(f"<b>{paragraph_text(o.upper())}</b>", s.cell),
            outcome_sentence(o),
            Paragraph(paragraph_text(expr), s.cell),
        ]
        for o, expr in model.payoff_rows
    ]
    story: list[Flowable] = [
        Paragraph("Assumptions and methodology", s.h1),
        Paragraph(
            "<b>Decision rule.</b> A row is flagged if and only if score \u2265 threshold. "
            f"The operating threshold {paragraph_text(fmt_threshold(model.headline.threshold))} is {paragraph_text(model.threshold_reason)}.",
            s.body,
        ),
        Paragraph("Payoff per row", s.h2),
        Paragraph(
            "What each outcome is worth, per row, in the report currency "
            f"({paragraph_text(model.currency)}); gains positive, costs negative. Expressions may use the row\u2019s "
            "columns and the named parameters below.",
            s.body,
        ),
        Spacer(1, 4),
        data_table(
            s,
            ["Outcome", "Meaning", "Payoff expression"],
            payoff_rows,
            [0.1 * w, 0.45 * w, 0.45 * w],
            numeric_from=3,
        ),
    ]
    if model.parameters:
        rows = [[name, f"{value:,.10g}"] for name, value in model.parameters]
        story += [
            Paragraph("Parameters", s.h2),
            data_table(s, ["Parameter", "Value"], rows, [0.4 * w, 0.2 * w]),
        ]
    story += [Paragraph("Columns used", s.h2), key_value_table(s, model.mapping_rows)]
    story += [
        Paragraph("Rows analysed", s.h2),
        Paragraph(f"Filter: {paragraph_text(model.filters)}.", s.body),
    ]
    if model.periods_note:
        story.append(Paragraph(f"{paragraph_text(model.periods_note)}.", s.body))
    story.append(Paragraph("Definitions", s.h2))
    for term, text in DEFINITIONS:
        story.append(Paragraph(f"<b>{escape(term)}.</b> {escape(text)}", s.bullet, bulletText="\u2022"))
    if model.notes:
        story.append(Paragraph("Notes", s.h2))
        story += [Paragraph(paragraph_text(n), s.bullet, bulletText="\u2022") for n in model.notes]
    return story


def quality_section(model: ReportModel, s: Styles) -> list[Flowable]:
    """Data quality: rows read, rejected, left out and not yet known, and the warnings."""
    q = model.quality
    rows = [
        ("Rows in the file", fmt_int(q.rows_in_file)),
        ("Rows rejected on import", fmt_int(q.rejected_rows)),
        ("Rows left out for unusable scores", fmt_int(q.excluded_scores)),
        ("Labelled rows", fmt_int(q.labelled)),
        ("Positives", fmt_int(q.positives)),
        ("Negatives", fmt_int(q.negatives)),
        ("Rows without a label (not yet known)", fmt_int(q.unlabeled)),
    ]
    story: list[Flowable] = [
        Paragraph("Data quality", s.h1),
        key_value_table(s, rows),
    ]
    if q.rejected_examples:
        story += [Paragraph("Examples of rejected rows", s.h2)]
        story += [Paragraph(paragraph_text(e), s.bullet, bulletText="\u2022") for e in q.rejected_examples]
    if q.warnings:
        story += [Paragraph("Warnings", s.h2)]
        story += [Paragraph(paragraph_text(wn), s.bullet, bulletText="\u2022") for wn in q.warnings]
    else:
        story += [Spacer(1, 4), Paragraph("No warnings were raised while checking the data.", s.small)]
    return story


def provenance_section(model: ReportModel, s: Styles) -> list[Flowable]:
    """Provenance: the source file's fingerprint, the mapping and the filters."""
    src = model.source
    rows = [
        ("Source file", src.name),
        ("Path", src.path),
        (src.fingerprint_label, src.sha256),
        ("Size", f"{fmt_int(src.size)} bytes"),
        ("Rows in file", fmt_int(src.rows_in_file)),
        ("Engine", src.engine),
    ]
    if src.date_min or src.date_max:
        rows.append(("Time range", f"{src.date_min or '?'} to {src.date_max or '?'}"))
    rows += [
        ("Report title", model.title),
        ("Currency", model.currency),
        ("App version", f"Model ROI Studio {model.app_version}"),
        ("Created (UTC)", model.created),
    ]
    return [
        Paragraph("Provenance", s.h1),
        Paragraph(
            "Where every number in this report came from. The fingerprint identifies the exact data: "
            "recomputing it the same way (its label says what it covers: every byte, or for Parquet "
            "the file's size and footer) tells whether the data is still the same.",
            s.body,
        ),
        Spacer(1, 4),
        key_value_table(s, rows),
    ]
