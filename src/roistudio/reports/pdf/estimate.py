"""PDF pieces for label delay: page 1's estimate box and the calibration section."""

from __future__ import annotations

from reportlab.lib.units import inch
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from roistudio.charts.breakdown import period_label
from roistudio.charts.calibration import calibration_caption, draw_estimate_by_period, draw_reliability
from roistudio.reports.label_delay import estimate_sentence, period_estimates, unlabeled_estimate
from roistudio.reports.model import ReportModel
from roistudio.reports.pdf.chart_images import chart_image
from roistudio.reports.pdf.layout import (
    BOX_BG,
    RULE,
    TEXT_WIDTH,
    Styles,
    data_table,
    fmt_int,
    fmt_pct,
    paragraph_text,
)


def estimate_box(model: ReportModel, s: Styles) -> list[Flowable]:
    """Page 1: the latest period's estimated value, boxed and marked as an estimate."""
    sentence = estimate_sentence(model)
    if sentence is None:
        return []
    assert model.label_delay is not None  # a sentence needs an estimate
    # Our own sentence (only a period's name in it comes from the data): escaped, never cut
    # (the data-text limit once cut it to "It ...").
    parts: list[Flowable] = [Paragraph(paragraph_text(sentence, limit=2000), s.body)]
    warning = model.label_delay.calibration.warning
    if warning:
        parts.append(Paragraph(paragraph_text(warning), s.small))
    box = Table([[parts]], colWidths=[TEXT_WIDTH], hAlign="LEFT")
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), BOX_BG),
                ("BOX", (0, 0), (-1, -1), 0.8, RULE, None, (3, 2)),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return [Spacer(1, 6), box]


def calibration_section(model: ReportModel, s: Styles) -> list[Flowable]:
    """The calibration check, and realised value beside the estimate per period."""
    ld = model.label_delay
    if ld is None:
        return []
    check = ld.calibration
    fitted = f"{fmt_int(check.fitted_on_rows)} labelled rows" + (
        f" of {', '.join(check.fitted_on_periods)}" if check.fitted_on_periods else ""
    )
    intro = (
        f"How far the scores can be read as probabilities. {calibration_caption(check)}. The estimate for rows "
        f"not yet labelled uses the {check.method} calibration fitted on {fitted}: each row counts as positive "
        f"with its calibrated probability, with its own payoffs; the interval covers the randomness of the "
        "outcomes, not the calibration's own error nor a change in the data since the fit."
    )
    story: list[Flowable] = [
        Paragraph("Calibration and estimates", s.h1),
        # Our sentence with period names in it: escaped, not cut at the data-text limit (it read "each row c...").
        Paragraph(paragraph_text(intro, limit=2000), s.body),
    ]
    for text in (*check.notes, check.warning):
        if text:
            story.append(Paragraph(paragraph_text(text), s.small))
    story += [
        Spacer(1, 6),
        chart_image(lambda ax: draw_reliability(ax, check, title=False), TEXT_WIDTH * 0.62, 2.9 * inch),
        Spacer(1, 6),
        data_table(
            s,
            [
                "Bin",
                "Mean " + ("score" if check.bins_of == "score" else "probability"),
                "Observed rate",
                "Rows",
            ],
            [
                [str(i), f"{b.mean_score:.4g}", fmt_pct(b.observed_rate, 2), fmt_int(b.rows)]
                for i, b in enumerate(check.bins, start=1)
            ],
        ),
    ]
    estimates = period_estimates(model)
    periods = model.periods
    period = model.analysis.request.period
    if estimates:
        chart = chart_image(
            lambda ax: draw_estimate_by_period(ax, periods, estimates, symbol=model.symbol, period=period),
            TEXT_WIDTH,
            2.8 * inch,
        )
        story += [
            Spacer(1, 8),
            Paragraph("Realised value and estimate per period", s.h2),
            Paragraph(
                "The chart is per 1,000 rows (realised: labelled rows; estimate: all of the period\u2019s "
                "rows), so a busy period is not judged by its volume; the table gives the totals.",
                s.body,
            ),
            chart,
        ]
        rows: list[list[object]] = []
        for g in periods:
            est = estimates.get(g.key)
            rows.append(
                [
                    period_label(g.key, period),
                    "not yet known" if g.fully_unlabeled else model.money(g.operating.value),
                    "" if est is None else model.money(est.value),
                    "" if est is None else f"{model.money(est.low)} to {model.money(est.high)}",
                ]
            )
        story += [Spacer(1, 6), data_table(s, ["Period", "Realised", "Estimate", "Interval"], rows)]
    else:
        est = unlabeled_estimate(model)
        if est is not None:
            story.append(Paragraph(paragraph_text(estimate_sentence(model)), s.body))
    return story
