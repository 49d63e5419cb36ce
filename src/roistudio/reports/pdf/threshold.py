"""The threshold analysis and the champion-vs-challenger comparison, right after page 1."""

from __future__ import annotations

import numpy as np
from reportlab.lib.units import inch
from reportlab.platypus import (
    Flowable,
    Paragraph,
    Spacer,
)

from roistudio.charts.comparison import draw_comparison, draw_rates
from roistudio.core.engine.curve import CurvePoint
from roistudio.core.engine.results import ModelResult
from roistudio.reports.model import ReportModel
from roistudio.reports.pdf.chart_images import chart_image
from roistudio.reports.pdf.layout import (
    TEXT_WIDTH,
    Styles,
    data_table,
    fmt_int,
    fmt_pct,
    fmt_threshold,
    paragraph_text,
)


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
    merged: dict[tuple[int, float | None], tuple[list[str], CurvePoint]] = {}
    for name, point in named:
        entry = merged.setdefault((point.index, point.threshold), ([], point))
        if name not in entry[0]:
            entry[0].append(name)
    ordered = sorted(merged.values(), key=lambda e: (e[1].index, -(e[1].threshold or 0.0)))
    return [(", ".join(names), point) for names, point in ordered]


def threshold_section(model: ReportModel, s: Styles) -> list[Flowable]:
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


def comparison_section(model: ReportModel, s: Styles) -> list[Flowable]:
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
