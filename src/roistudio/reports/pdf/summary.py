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
from roistudio.reports.model import EXAMPLE_PAYOFF_NOTE, EXAMPLE_PAYOFF_STAMP, ReportModel
from roistudio.reports.pdf.estimate import estimate_box
from roistudio.reports.pdf.layout import (
    BOX_BG,
    NAVY,
    RULE,
    STAMP,
    STAMP_BG,
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
    if model.payoff_suggested:
        story += [_example_stamp(s), Spacer(1, 10)]

    # Compared as the reader sees it: a gain that rounds to zero is no gain.
    shown = round(h.value_of_model)
    better = "better" if shown > 0 else "worse" if shown < 0 else "no better"
    policy = "flag nobody" if h.threshold is None else f"threshold {fmt_threshold(h.threshold)}"
    # The other baseline compared: under a constraint that forbids flagging everyone, only the
    # baselines the constraint allows (flag nobody, flag N at random) are named.
    others = [(label, h.value - value) for label, value in h.baselines if label != h.better_baseline]
    if not h.baselines:  # a model built before baselines were recorded
        others = [("flag everyone", h.vs_flag_everyone) if h.better_baseline == "flag nobody"
                  else ("flag nobody", h.vs_flag_nobody)]  # fmt: skip
    compared = (
        "the better of the two policies that need no model"
        if not h.everyone_forbidden
        else "the better policy needing no model that the constraints allow (they forbid flagging everyone)"
        if others
        else "the only policy needing no model that the constraints allow (they forbid flagging everyone)"
    )
    vs_other = "".join(
        f" (vs {paragraph_text(label)}: {escape(model.money(delta, signed=True))})" for label, delta in others
    )
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
            f"{better} than {paragraph_text(h.better_baseline)}, {compared}{vs_other}",
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
