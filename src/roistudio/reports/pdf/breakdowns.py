"""The value by segment and by period, each group with its bootstrap interval when there is one."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, Paragraph, Spacer

from roistudio.charts.breakdown import draw_value_by_period, draw_value_by_segment, period_label
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN
from roistudio.core.engine.intervals import Interval
from roistudio.core.engine.results import GroupResult
from roistudio.reports.model import ReportModel
from roistudio.reports.pdf.chart_images import chart_image
from roistudio.reports.pdf.layout import (
    TEXT_WIDTH,
    Styles,
    data_table,
    fmt_int,
    fmt_pct,
    paragraph_text,
)


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
) -> list[list[object]]:
    """Table rows, ranked by money lost; with ``intervals``, the value's interval after the value."""
    ranked = sorted(groups, key=lambda g: (-g.money_lost, g.key))
    shown, rest = ranked[:MAX_PDF_SEGMENTS], ranked[MAX_PDF_SEGMENTS:]
    rows: list[list[object]] = []
    for g in shown:
        p = g.operating
        row: list[object] = [
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


def _other_row(model: ReportModel, rest: Sequence[GroupResult]) -> list[object]:
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


def segments_section(model: ReportModel, s: Styles) -> list[Flowable]:
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
    story: list[Flowable] = [Paragraph("Segments", s.h1), Paragraph(body, s.body)]
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
            Paragraph(f"By {paragraph_text(column)}", s.h2),
            chart_image(
                partial(draw_value_by_segment, groups=groups, symbol=model.symbol), TEXT_WIDTH, height
            ),
            Spacer(1, 6),
            data_table(
                s,
                header,
                _segment_rows(model, groups, intervals or None, unknown=unknown, styles=s),
            ),
        ]
    return story


def periods_section(model: ReportModel, s: Styles) -> list[Flowable]:
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
    rows: list[list[object]] = []
    extra: list[tuple[object, ...]] = []
    for r, g in enumerate(periods, start=1):
        p = g.operating
        row: list[object] = [period_label(g.key, period), fmt_int(g.rows), fmt_int(g.unlabeled)]
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
