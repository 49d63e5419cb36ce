"""The sections after page 1: threshold analysis, champion vs challenger, segments, trend,
assumptions and methodology, data quality and provenance."""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

import numpy as np
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import (
    CondPageBreak,
    PageBreak,
    Paragraph,
    Spacer,
)

from roistudio.charts.breakdown import draw_value_by_period, draw_value_by_segment, period_label
from roistudio.charts.comparison import draw_comparison, draw_rates
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN
from roistudio.core.engine.curve import CurvePoint
from roistudio.core.engine.intervals import Interval
from roistudio.core.engine.results import GroupResult, ModelResult
from roistudio.core.glossary import METRICS, outcome_sentence
from roistudio.reports.model import ReportModel
from roistudio.reports.pdf.layout import (
    TEXT_WIDTH,
    Styles,
    chart_image,
    data_table,
    fmt_int,
    fmt_pct,
    fmt_threshold,
    key_value_table,
    paragraph_text,
)

DEFINITIONS = METRICS  # the glossary, in the order the methodology page lists it


def _key_points(model: ModelResult) -> list[tuple[str, CurvePoint]]:
    """The thresholds worth a row in the table, named, in curve order (high threshold first)."""
    curve = model.curve
    named: list[tuple[str, CurvePoint]] = [("flag nobody", curve.flag_nobody())]
    if curve.rows and len(curve) > 1:
        shares = (0.01, 0.05, 0.10, 0.25, 0.50)
        # The first point flagging at least each share of rows (one vectorised search).
        idx = np.searchsorted(curve.flagged, np.asarray(shares) * curve.rows, side="left")
        for share, k in zip(shares, idx, strict=True):
            if 0 < k < len(curve) - 1:
                named.append((f"top {share:.0%} of rows", curve.point(int(k))))
    named += [("best threshold", model.optimum), ("operating threshold", model.operating)]
    if model.constrained is not None:
        named.append(("best under constraints", model.constrained))
    named += [("requested", p) for p in model.at]
    named += [("break-even", curve.at(t)) for t in model.break_even]
    named.append(("flag everyone", curve.flag_everyone()))
    merged: dict[tuple[int, float | None], list] = {}
    for name, point in named:
        entry = merged.setdefault((point.index, point.threshold), [[], point])
        if name not in entry[0]:
            entry[0].append(name)
    ordered = sorted(merged.values(), key=lambda e: (e[1].index, -(e[1].threshold or 0.0)))
    return [(", ".join(names), point) for names, point in ordered]


def threshold_section(model: ReportModel, s: Styles) -> list:
    """The threshold analysis: the key policies (best, operating, break-even, baselines) and the rate curves."""
    champ = model.champion
    baseline = champ.better_baseline.value
    points = _key_points(champ)
    rows = []
    highlight = []
    for i, (name, p) in enumerate(points):
        if p.index == champ.operating.index and p.threshold == champ.operating.threshold:
            highlight.append(i)
        rows.append(
            [
                name,
                fmt_threshold(p.threshold),
                fmt_int(p.flagged),
                fmt_int(p.tp),
                fmt_int(p.fp),
                fmt_int(p.fn),
                fmt_pct(p.precision),
                fmt_pct(p.recall),
                model.money(p.value),
                model.money(p.value - baseline, signed=True),
            ]
        )
    header = [
        "Policy",
        "Threshold",
        "Flagged",
        "Caught (TP)",
        "False alarms (FP)",
        "Missed (FN)",
        "Precision",
        "Recall",
        "Value",
        f"vs {model.headline.better_baseline}",
    ]
    return [
        Paragraph("Threshold analysis", s.h1),
        Paragraph(
            f"How the value, the workload and the error rates change with the threshold for "
            f"<b>{paragraph_text(champ.name)}</b>. The operating threshold ({paragraph_text(fmt_threshold(champ.operating.threshold))}) "
            f"is {paragraph_text(model.threshold_reason)}; it is set in bold below. \u201cTop 5% of rows\u201d is the "
            "threshold that flags the 5% highest-scoring labelled rows.",
            s.body,
        ),
        Spacer(1, 6),
        chart_image(lambda ax: draw_rates(ax, champ), TEXT_WIDTH, 2.5 * inch),
        Spacer(1, 8),
        data_table(s, header, rows, highlight=highlight),
    ]


def comparison_section(model: ReportModel, s: Styles) -> list:
    """Champion vs challenger on the same rows (empty without a challenger)."""
    comp = model.analysis.comparison
    if comp is None:
        return []
    ch, cl = comp.champion, comp.challenger
    period = model.analysis.request.period
    metrics: list[tuple[str, str, str, str]] = []

    def money_row(name: str, a: float, b: float) -> None:
        metrics.append((name, model.money(a), model.money(b), model.money(b - a, signed=True)))

    def pct_row(name: str, a: float | None, b: float | None) -> None:
        diff = "n/a" if a is None or b is None else f"{(b - a) * 100:+.1f} pts"
        metrics.append((name, fmt_pct(a), fmt_pct(b), diff))

    metrics.append(
        ("Best threshold", fmt_threshold(ch.optimum.threshold), fmt_threshold(cl.optimum.threshold), "")
    )
    money_row("Value at best threshold", ch.optimum.value, cl.optimum.value)
    if comp.difference_per_period_at_best is not None and period:
        metrics.append(
            (
                f"Difference per {period} at best",
                "",
                "",
                model.money(comp.difference_per_period_at_best, signed=True),
            )
        )
    money_row(
        f"Value at common threshold {fmt_threshold(comp.common_threshold)}",
        ch.operating.value,
        comp.challenger_at_common.value,
    )
    pct_row("Precision at best threshold", ch.optimum.precision, cl.optimum.precision)
    pct_row("Recall at best threshold", ch.optimum.recall, cl.optimum.recall)
    metrics.append(
        (
            "Flagged at best threshold",
            fmt_int(ch.optimum.flagged),
            fmt_int(cl.optimum.flagged),
            f"{cl.optimum.flagged - ch.optimum.flagged:+,}",
        )
    )
    money_row(
        "Value at best minus better baseline",
        ch.optimum.value - ch.better_baseline.value,
        cl.optimum.value - cl.better_baseline.value,
    )
    w = TEXT_WIDTH
    story = [
        CondPageBreak(5.8 * inch),
        Paragraph("Champion vs challenger", s.h1),
        Paragraph(
            f"Both models scored the same rows: champion <b>{paragraph_text(ch.name)}</b>, challenger "
            f"<b>{paragraph_text(cl.name)}</b>. Each is read at its own best threshold and at the champion\u2019s "
            "operating threshold (the common threshold).",
            s.body,
        ),
    ]
    if model.comparison_sentence:
        story += [Spacer(1, 4), Paragraph(paragraph_text(model.comparison_sentence), s.body)]
    story += [
        Spacer(1, 6),
        chart_image(lambda ax: draw_comparison(ax, ch, cl, symbol=model.symbol), TEXT_WIDTH, 4.2 * inch),
        Spacer(1, 8),
        data_table(
            s, ["", "Champion", "Challenger", "Difference"], metrics, [0.4 * w, 0.2 * w, 0.2 * w, 0.2 * w]
        ),
    ]
    others = [m for name, m in model.analysis.models.items() if name not in (ch.name, cl.name)]
    if others:
        rows = [
            [
                m.name,
                fmt_threshold(m.optimum.threshold),
                model.money(m.optimum.value),
                model.money(m.value_of_model),
            ]
            for m in model.analysis.models.values()
        ]
        story += [
            Paragraph("All models", s.h2),
            data_table(
                s,
                ["Model", "Best threshold", "Value at best", "Value of the model"],
                rows,
                [0.4 * w, 0.2 * w, 0.2 * w, 0.2 * w],
            ),
        ]
    return story


def group_intervals(model: ReportModel, breakdown: str) -> tuple[dict[str, Interval], float | None]:
    """Each group's bootstrap interval of its value (key -> interval) and the confidence.

    ``breakdown`` is ``"segment:COLUMN"`` or ``"period"``, as in the JSON's ``uncertainty``
    block (:mod:`roistudio.core.engine.group_bootstrap`). Empty without a bootstrap.
    """
    u = None if model.decision is None else model.decision.uncertainty
    if u is None:
        return {}, None
    return dict(u.groups.get(breakdown, ())), u.confidence


def interval_header(confidence: float) -> str:
    """The interval column's title, one word so the column is as wide as ``-$23,407 to``."""
    return f"{confidence:.0%}-interval"


def _interval_cell(model: ReportModel, intervals: dict[str, Interval], key: str, s: Styles) -> object:
    """``-$23,407 to -$17,842``, wrapping after "to" in its narrow column; "n/a" without one."""
    interval = intervals.get(key)
    if interval is None or interval.low is None or interval.high is None:
        return "n/a"
    style = ParagraphStyle("interval", s.cell, alignment=TA_RIGHT)
    return Paragraph(f"{model.money(interval.low)} to {model.money(interval.high)}", style)


# A PDF is read, not searched: past this many segments of one column the rest is one "other" row
# (the workbook keeps every segment). 155,000 segment tables took minutes to lay out.
MAX_PDF_SEGMENTS = 40


def _segment_rows(
    model: ReportModel,
    groups: Sequence[GroupResult],
    intervals: dict[str, Interval] | None = None,
    *,
    unknown: bool = True,
    styles: Styles | None = None,
) -> list[list]:
    """Table rows, ranked by money lost; with ``intervals``, the value's interval after the value."""
    ranked = sorted(groups, key=lambda g: (-g.money_lost, g.key))
    shown, rest = ranked[:MAX_PDF_SEGMENTS], ranked[MAX_PDF_SEGMENTS:]
    rows = []
    for g in shown:
        p = g.operating
        row = [
            g.key,
            fmt_int(g.rows),
            fmt_int(g.positives),
            fmt_int(p.flagged),
            fmt_pct(p.precision),
            fmt_pct(p.recall),
            model.money(p.value),
        ]
        if intervals is not None and styles is not None:
            row.append(_interval_cell(model, intervals, g.key, styles))
        row.append(model.money(g.money_lost))
        if unknown:
            row.append(fmt_int(g.unlabeled))
        rows.append(row)
    if rest:
        other = _other_row(model, rest)
        if intervals is not None:  # a sum of segments drawn apart has no interval of its own
            other[7:7] = [""]
        rows.append(other if unknown else other[:-1])
    return rows


def _other_row(model: ReportModel, rest: Sequence[GroupResult]) -> list:
    """The segments past the first :data:`MAX_PDF_SEGMENTS`, summed into one row."""
    tp = sum(g.operating.tp for g in rest)
    fp = sum(g.operating.fp for g in rest)
    fn = sum(g.operating.fn for g in rest)
    flagged = sum(g.operating.flagged for g in rest)
    return [
        f"other ({len(rest):,} segments; all in the workbook)",
        fmt_int(sum(g.rows for g in rest)),
        fmt_int(sum(g.positives for g in rest)),
        fmt_int(flagged),
        fmt_pct(tp / (tp + fp) if tp + fp else None),
        fmt_pct(tp / (tp + fn) if tp + fn else None),
        model.money(math.fsum(g.operating.value for g in rest)),
        model.money(math.fsum(g.money_lost for g in rest)),
        fmt_int(sum(g.unlabeled for g in rest)),
    ]


def segments_section(model: ReportModel, s: Styles) -> list:
    """Segments ranked by money lost: a chart of the top ones and a table of the top
    :data:`MAX_PDF_SEGMENTS`, the rest summed into one "other" row."""
    if not model.segments:
        return []
    body = (
        "Each segment read at the overall operating threshold, ranked by money lost: what errors cost "
        "there compared with perfect knowledge (missed positives and false alarms, in money). The value "
        "and the money lost have their own panels: a value can be negative, money lost never is."
    )
    found = [group_intervals(model, f"segment:{c}") for c in model.segments]
    confidence = next((conf for intervals, conf in found if intervals), None)
    if confidence is not None:
        body += (
            f" The {confidence:.0%}-interval is the bootstrap interval of each segment\u2019s value, at the same "
            "threshold (each segment resampled on its own)."
        )
    story: list = [PageBreak(), Paragraph("Segments", s.h1), Paragraph(body, s.body)]
    for column, groups in model.segments.items():
        intervals, confidence = group_intervals(model, f"segment:{column}")
        unknown = any(g.unlabeled for g in groups)  # an all-zero column says nothing
        header = ["Segment", "Labelled rows", "Positives", "Flagged", "Precision", "Recall", "Value"]
        if intervals and confidence is not None:
            header.append(interval_header(confidence))
        header.append("Money lost")
        if unknown:
            header.append("Not yet known")
        shown = min(len(groups), 12)
        height = (0.75 + 0.28 * shown) * inch
        story += [
            CondPageBreak(height + 1.2 * inch),
            Paragraph(f"By {paragraph_text(column)}", s.h2),
            chart_image(
                lambda ax, g=groups: draw_value_by_segment(ax, g, symbol=model.symbol), TEXT_WIDTH, height
            ),
            Spacer(1, 6),
            data_table(
                s,
                header,
                _segment_rows(model, groups, intervals or None, unknown=unknown, styles=s),
            ),
        ]
    return story


def periods_section(model: ReportModel, s: Styles) -> list:
    """Value per period, with the periods whose labels are not yet known shown as such."""
    periods = model.periods
    if not periods:
        return []
    period = model.analysis.request.period
    intervals, confidence = group_intervals(model, PERIOD_BREAKDOWN)
    if not intervals:
        confidence = None
    with_challenger = any(g.challenger_operating is not None for g in periods)
    # Recall is left to the app and the workbook: with the interval and the value per 1,000 rows
    # one more column would break the headers' words on a portrait page.
    header = ["Period", "Labelled rows", "Not yet known", "Flagged", "Precision", "Value"]
    if confidence is not None:
        header.append(interval_header(confidence))
    header.append("Per 1,000 rows")
    if with_challenger:
        header.append("Challenger value")
    header.append("Money lost")
    rows: list[list] = []
    extra: list[tuple] = []
    for r, g in enumerate(periods, start=1):
        p = g.operating
        row: list = [period_label(g.key, period), fmt_int(g.rows), fmt_int(g.unlabeled)]
        if g.fully_unlabeled:
            row += [Paragraph("labels not yet known: no realised value", s.cell_unknown)]
            row += [""] * (len(header) - len(row))
            extra.append(("SPAN", (3, r), (-1, r)))
        else:
            row += [fmt_int(p.flagged), fmt_pct(p.precision), model.money(p.value)]
            if confidence is not None:
                row.append(_interval_cell(model, intervals, g.key, s))
            row.append(model.money(p.value_per_1000))
            if with_challenger:
                co = g.challenger_operating
                row.append("n/a" if co is None else model.money(co.value))
            row.append(model.money(g.money_lost))
        rows.append(row)
    note = (
        "Value per period at the overall operating threshold. The chart shows it per 1,000 labelled rows, "
        "so a busy period does not look better or worse for its volume alone; the dashed line is the "
        "same over all labelled periods. Periods whose rows have no label yet are drawn hatched: their "
        "outcomes are not yet known, so they have no realised value (not zero)."
    )
    if confidence is not None:
        note += (
            f" The {confidence:.0%}-interval is the bootstrap interval of each period\u2019s value (each "
            "period resampled on its own)."
        )
    if model.periods_note:
        note += f" {paragraph_text(model.periods_note)}."
    return [
        CondPageBreak(4.5 * inch),
        Paragraph("Trend by period", s.h1),
        Paragraph(note, s.body),
        Spacer(1, 6),
        chart_image(
            lambda ax: draw_value_by_period(ax, periods, symbol=model.symbol, period=period),
            TEXT_WIDTH,
            2.8 * inch,
        ),
        Spacer(1, 8),
        data_table(s, header, rows, extra=extra),
    ]


def methodology_section(model: ReportModel, s: Styles) -> list:
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
    story: list = [
        PageBreak(),
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


def quality_section(model: ReportModel, s: Styles) -> list:
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
    story: list = [CondPageBreak(2.5 * inch), Paragraph("Data quality", s.h1), key_value_table(s, rows)]
    if q.rejected_examples:
        story += [Paragraph("Examples of rejected rows", s.h2)]
        story += [Paragraph(paragraph_text(e), s.bullet, bulletText="\u2022") for e in q.rejected_examples]
    if q.warnings:
        story += [Paragraph("Warnings", s.h2)]
        story += [Paragraph(paragraph_text(wn), s.bullet, bulletText="\u2022") for wn in q.warnings]
    else:
        story += [Spacer(1, 4), Paragraph("No warnings were raised while checking the data.", s.small)]
    return story


def provenance_section(model: ReportModel, s: Styles) -> list:
    """Provenance: the source file's fingerprint, the mapping and the filters."""
    src = model.source
    rows = [
        ("Source file", src.name),
        ("Path", src.path),
        (src.fingerprint_label, src.sha256),
        ("Size", f"{fmt_int(src.size)} bytes"),
        ("Rows in file", fmt_int(src.rows_in_file)),
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
        CondPageBreak(2.5 * inch),
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
