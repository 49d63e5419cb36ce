"""Page 1, the executive summary a busy reader can stop after: the money at the operating
threshold in large type, the comparison with doing nothing, the value curve and four KPIs."""

from __future__ import annotations

from xml.sax.saxutils import escape

from matplotlib.axes import Axes
from reportlab.lib.units import inch
from reportlab.platypus import (
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from roistudio.charts.curves import draw_value_curve
from roistudio.reports.model import ReportModel
from roistudio.reports.pdf.estimate import estimate_box
from roistudio.reports.pdf.layout import (
    BOX_BG,
    NAVY,
    RULE,
    TEXT_WIDTH,
    Styles,
    chart_image,
    fmt_int,
    fmt_pct,
    fmt_threshold,
    paragraph_text,
)


def summary_page(model: ReportModel, s: Styles) -> list:
    """Page 1: what a busy reader needs, and nothing they must read further to understand."""
    h = model.headline
    champ = model.champion
    src = model.source
    subtitle = [f"Prepared {model.created[:10]}", f"model: {champ.name}", f"data: {src.name}"]
    if src.date_min and src.date_max:
        subtitle.append(f"{src.date_min} to {src.date_max}")
    story: list = [
        Paragraph(paragraph_text(model.title), s.title),
        Spacer(1, 2),
        Paragraph(" \u00b7 ".join(paragraph_text(p) for p in subtitle), s.subtitle),
        Spacer(1, 14),
    ]

    # Compared as the reader sees it: a gain that rounds to zero is no gain.
    shown = round(h.value_of_model)
    better = "better" if shown > 0 else "worse" if shown < 0 else "no better"
    policy = "flag nobody" if h.threshold is None else f"threshold {fmt_threshold(h.threshold)}"
    if h.better_baseline == "flag nobody":
        other, other_delta = "flag everyone", h.vs_flag_everyone
    else:
        other, other_delta = "flag nobody", h.vs_flag_nobody
    left = [
        Paragraph("NET VALUE AT THE OPERATING THRESHOLD", s.label),
        Paragraph(escape(model.money(h.value)), s.big),
        Paragraph(
            f"{paragraph_text(policy)}: {paragraph_text(model.threshold_reason)}; {fmt_int(h.rows)} labelled rows",
            s.small,
        ),
    ]
    right = [
        Paragraph("VALUE ADDED BY THE MODEL", s.label),
        Paragraph(escape(model.money(h.value_of_model, signed=True)), s.big2),
        Paragraph(
            f"{better} than {paragraph_text(h.better_baseline)}, the better of the two policies that need no model "
            f"(vs {paragraph_text(other)}: {escape(model.money(other_delta, signed=True))})",
            s.small,
        ),
    ]
    headline = Table([[left, right]], colWidths=[TEXT_WIDTH * 0.5, TEXT_WIDTH * 0.5], hAlign="LEFT")
    headline.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("LEFTPADDING", (1, 0), (1, 0), 14),
                ("LINEBEFORE", (1, 0), (1, 0), 0.8, RULE),
            ]
        )
    )
    story += [headline, Spacer(1, 12), Paragraph(paragraph_text(model.recommendation), s.lead)]
    if model.comparison_sentence:
        story += [Spacer(1, 4), Paragraph(paragraph_text(model.comparison_sentence), s.lead)]
    story += estimate_box(model, s)
    story += [Spacer(1, 12), _kpis(model, s), Spacer(1, 12)]
    story.append(
        chart_image(lambda ax: _value_chart(ax, model), TEXT_WIDTH, 3.5 * inch),
    )
    notes = [
        "The chart shows the value of every threshold: the dot is the best threshold, the dashed vertical "
        "line the operating threshold, the grey lines the two policies that need no model."
    ]
    if model.quality.unlabeled:
        notes.append(
            f"{fmt_int(model.quality.unlabeled)} rows have no label yet; they are not yet known and are left out "
            "of every figure, never counted as negatives."
        )
    story += [Spacer(1, 4), Paragraph(" ".join(notes), s.small)]
    return story


def _value_chart(ax: Axes, model: ReportModel) -> None:
    # No legend: the note under the chart names the marks in words.
    draw_value_curve(ax, model.champion, symbol=model.symbol)


def _kpis(model: ReportModel, s: Styles) -> Table:
    h = model.headline
    boxes = [
        ("PRECISION", fmt_pct(h.precision), "of flagged rows are positive"),
        ("RECALL", fmt_pct(h.recall), "of positives are caught"),
        ("FLAGGED ROWS", fmt_int(h.flagged), f"{fmt_pct(h.flag_rate)} of labelled rows"),
        ("VALUE PER 1,000 ROWS", model.money(h.value_per_1000), "net, at the operating threshold"),
    ]
    cells = [
        [Paragraph(label, s.label), Paragraph(escape(value), s.kpi), Paragraph(escape(sub), s.small)]
        for label, value, sub in boxes
    ]
    gap = 8
    width = (TEXT_WIDTH - gap * (len(cells) - 1)) / len(cells)
    row: list = []
    widths: list[float] = []
    for i, cell in enumerate(cells):
        if i:
            row.append("")
            widths.append(gap)
        row.append(cell)
        widths.append(width)
    table = Table([row], colWidths=widths, hAlign="LEFT")
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
    ]
    for i in range(0, len(row), 2):
        commands += [("BACKGROUND", (i, 0), (i, 0), BOX_BG), ("LINEABOVE", (i, 0), (i, 0), 1.6, NAVY)]
    table.setStyle(TableStyle(commands))
    return table
