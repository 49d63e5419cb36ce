"""Page 1, the executive summary a busy reader can stop after: what the model is worth, what to
do, how sure we are and what changed (the words from :mod:`roistudio.reports.briefing`), then
the value curve filling the rest of the page."""

from __future__ import annotations

from xml.sax.saxutils import escape

from matplotlib.axes import Axes
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import (
    Flowable,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from roistudio.charts.curves import draw_value_curve, zoom_range
from roistudio.core.glossary import format_threshold
from roistudio.reports.briefing import Briefing, brief
from roistudio.reports.model import EXAMPLE_PAYOFF_NOTE, EXAMPLE_PAYOFF_STAMP, ReportModel
from roistudio.reports.pdf.chart_images import FillChart
from roistudio.reports.pdf.estimate import estimate_box
from roistudio.reports.pdf.layout import (
    BOX_BG,
    NAVY,
    STAMP,
    STAMP_BG,
    TEXT_WIDTH,
    Styles,
    data_table,
    fmt_int,
    fmt_pct,
    paragraph_text,
)


def summary_page(model: ReportModel, s: Styles) -> list[Flowable]:
    """Page 1: the four questions a CFO asks, answered in the order they ask them.

    What is it worth (what the model adds, in the payoff's own framing, the savings ratio, per
    month over the labelled span), what should we do (one action sentence, the gap to the best
    policy, the champion/challenger verdict), how sure are we (intervals, walk-forward) and what
    changed (the latest labelled period against the one before); then the value chart, sized to
    fill the page.
    """
    b = brief(model)
    champ = model.champion
    src = model.source
    subtitle = [f"Prepared {model.created[:10]}", f"model: {champ.name}", f"data: {src.name}"]
    if b.span is not None:
        subtitle.append(f"labelled {b.span.first} to {b.span.last}")
    story: list[Flowable] = [
        Paragraph(paragraph_text(model.title), s.title),
        Spacer(1, 2),
        Paragraph(" \u00b7 ".join(paragraph_text(p) for p in subtitle), s.subtitle),
        Spacer(1, 10),
    ]
    if model.payoff_suggested:
        story += [_example_stamp(s), Spacer(1, 8)]
    story += [
        _worth_band(model, b, s),
        Spacer(1, 7),
        Paragraph(paragraph_text(b.worth_sentence, 1000), s.lead),
    ]

    section = ParagraphStyle("section", s.label, textColor=NAVY, fontSize=7.5, spaceBefore=9, spaceAfter=3)
    story += [Paragraph("WHAT TO DO", section), Paragraph(f"<b>{paragraph_text(b.action, 1000)}</b>", s.body)]
    for text in (b.gap, b.verdict):
        if text:
            story += [Spacer(1, 2), Paragraph(paragraph_text(text, 1000), s.body)]

    story += [Spacer(1, 4), _sure_and_changed(b, s, section)]
    story += estimate_box(model, s)
    champion = model.champion
    zoomed = zoom_range([champion.curve], [champion.optimum, champion.operating])
    shown = (
        "The value of every threshold"
        if zoomed is None
        # The chart narrows its x axis to where the value changes (charts.curves.draw_value_curve).
        else f"The value of the thresholds up to {format_threshold(zoomed[1])}, where it changes (the inset "
        "shows every threshold)"
    )
    caption = (
        f"{shown}: the dot is the best threshold, the dashed line the operating threshold, "
        "the grey lines the policies that need no model."
    )
    if model.quality.unlabeled:
        caption += (
            f" {fmt_int(model.quality.unlabeled)} rows have no label yet: not yet known, left out of every "
            "figure, never counted as negatives."
        )
    story += [Spacer(1, 6), Paragraph(escape(caption), s.small), Spacer(1, 2)]
    story.append(FillChart(lambda ax: _value_chart(ax, model), TEXT_WIDTH, 1.5 * inch, 6 * inch))
    return story


def _worth_band(model: ReportModel, b: Briefing, s: Styles) -> Table:
    """Three boxes: what the model adds (or saves), the savings ratio, and per month."""
    h = model.headline
    label = {"saves": "WHAT THE MODEL SAVES", "adds": "WHAT THE MODEL ADDS", "loses": "WHAT THE MODEL LOSES"}[
        b.verb
    ]
    span = f"over {b.span.text}" if b.span is not None else f"on {fmt_int(h.rows)} labelled rows"
    boxes = [(label, b.worth, f"against {b.against}, {span}")]
    if b.savings is not None:
        boxes.append(
            ("SAVINGS RATIO", fmt_pct(b.savings), f"of the cost of {b.against.split(' (')[0]} that the model saves "
             "(1 \u2212 cost with it \u00f7 cost without)" + (f"; {b.savings_range}" if b.savings_range else ""))
        )  # fmt: skip
    else:
        boxes.append(("NET VALUE", model.money(h.value), "at the operating threshold, all outcomes"))
    # "loses" carries the sign in the word: the amounts are shown without it.
    sign = -1.0 if b.verb == "loses" else 1.0
    if b.per_month is not None:
        what = f"what the model {b.verb}, averaged over the span"
        boxes.append(("PER MONTH", model.money(sign * b.per_month), what))
    else:
        per_1000 = sign * h.value_of_model / h.rows * 1000 if h.rows else None
        boxes.append(
            ("PER 1,000 ROWS", model.money(per_1000), f"what the model {b.verb}, per 1,000 labelled rows")
        )
    cells = [
        [Paragraph(escape(lab), s.label), Paragraph(escape(value), s.big if i == 0 else s.kpi_big),
         Paragraph(paragraph_text(sub), s.small)]
        for i, (lab, value, sub) in enumerate(boxes)
    ]  # fmt: skip
    gap = 8
    first = TEXT_WIDTH * 0.42
    rest = (TEXT_WIDTH - first - 2 * gap) / 2
    table = Table(
        [[cells[0], "", cells[1], "", cells[2]]], colWidths=[first, gap, rest, gap, rest], hAlign="LEFT"
    )
    commands: list[tuple[object, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
    ]
    for i in (0, 2, 4):
        commands += [("BACKGROUND", (i, 0), (i, 0), BOX_BG), ("LINEABOVE", (i, 0), (i, 0), 1.6, NAVY)]
    table.setStyle(TableStyle(commands))
    return table


def _sure_and_changed(b: Briefing, s: Styles, section: ParagraphStyle) -> Table:
    """Two columns: how sure (left) and what changed (right)."""
    half = (TEXT_WIDTH - 14) / 2
    left: list[Flowable] = [Paragraph("HOW SURE", section)]
    left += [Paragraph(paragraph_text(line, 1000), s.small_ink, bulletText="\u2022") for line in b.sure]
    right: list[Flowable] = [Paragraph("WHAT CHANGED", section)]
    if b.changes and b.change_periods is not None:
        before, latest = b.change_periods
        rows = [[c.label, c.before, c.latest, c.change] for c in b.changes]
        right.append(
            data_table(
                s, ["", before, latest, "Change"], rows, [half * 0.4, half * 0.2, half * 0.2, half * 0.2]
            )
        )
        right.append(Paragraph(escape(f"{latest}, the latest labelled period, against {before}."), s.small))
    else:
        right.append(
            Paragraph(
                "Fewer than two labelled periods (a time column broken down by period): nothing to compare.",
                s.small,
            )
        )
    if b.change_note:
        right.append(Paragraph(paragraph_text(b.change_note), s.small))
    table = Table([[left, "", right]], colWidths=[half, 14, half], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _example_stamp(s: Styles) -> Table:
    """A boxed warning: the payoff is the app's example, not the analyst's."""
    cell = [
        Paragraph(f"<b>{escape(EXAMPLE_PAYOFF_STAMP.upper())}</b>", s.stamp),
        Paragraph(escape(EXAMPLE_PAYOFF_NOTE), s.small),
    ]
    table = Table([[cell]], colWidths=[TEXT_WIDTH], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, STAMP),
                ("BACKGROUND", (0, 0), (-1, -1), STAMP_BG),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _value_chart(ax: Axes, model: ReportModel) -> None:
    # No legend: the note under the chart names the marks in words.
    draw_value_curve(ax, model.champion, symbol=model.symbol)
