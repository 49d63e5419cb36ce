"""PDF section "How sure, and what if": intervals, verdict, walk-forward, coverage.

The sensitivity to the payoff's assumptions is on its own page (:mod:`.sensitivity`).

Rendered only when the report model carries decision figures
(:class:`roistudio.core.engine.decision.Decision`); the charts are the app's
(:mod:`roistudio.charts.uncertainty`).
"""

from __future__ import annotations

from reportlab.platypus import Flowable, Paragraph, Spacer

from roistudio.reports.model import ReportModel
from roistudio.reports.pdf.layout import (
    TEXT_WIDTH,
    Styles,
    data_table,
    fmt_threshold,
    paragraph_text,
)


def uncertainty_section(model: ReportModel, s: Styles) -> list[Flowable]:
    """The decision-grade figures (empty when the report has none)."""
    decision = model.decision
    if decision is None or not decision.has_figures:
        return []
    w = TEXT_WIDTH
    story: list[Flowable] = [Paragraph("How sure, and what if", s.h1)]
    u = decision.uncertainty
    if u is not None:
        story.append(
            Paragraph(
                f"Intervals from {u.replicates:,} bootstrap resamples of the labelled rows at {u.confidence:.0%} "
                f"confidence (seed {u.seed}); thresholds held at this report\u2019s values except for the best "
                "threshold, which is re-chosen in each resample. They say how much of each figure could be luck "
                "of the rows at hand.",
                s.body,
            )
        )
        head = model.headline
        rows = [
            ["Value at the operating threshold", model.money(head.value),
             model.money(u.operating_value.low), model.money(u.operating_value.high)],
            ["Value of the model (vs the better baseline)", model.money(head.value_of_model),
             model.money(u.value_of_model.low), model.money(u.value_of_model.high)],
            ["Best threshold", fmt_threshold(head.optimum_threshold),
             fmt_threshold(u.optimal_threshold.low), fmt_threshold(u.optimal_threshold.high)],
        ]  # fmt: skip
        comp = model.analysis.comparison
        d, c = u.difference_at_best, u.difference_at_common
        if u.p_challenger_better is not None and comp is not None and d is not None and c is not None:
            rows += [
                ["Challenger minus champion, each at its best", model.money(comp.difference_at_best, signed=True),
                 model.money(d.low, signed=True), model.money(d.high, signed=True)],
                ["Challenger minus champion, common threshold", model.money(comp.difference_at_common, signed=True),
                 model.money(c.low, signed=True), model.money(c.high, signed=True)],
                ["P(challenger better)", f"{u.p_challenger_better:.3f}", "", ""],
            ]  # fmt: skip
        story += [
            Spacer(1, 4),
            data_table(s, ["", "Figure", "Low", "High"], rows, [0.46 * w, 0.18 * w, 0.18 * w, 0.18 * w]),
        ]
    if decision.recommendation.get("challenger_verdict") is not None:
        story += [
            Spacer(1, 6),
            Paragraph(f"<b>{paragraph_text(decision.recommendation['text'])}</b>", s.body),
        ]
    cov, bt = decision.coverage, decision.backtest
    if cov is not None:
        story += [
            Spacer(1, 6),
            Paragraph(
                f"The figures cover {paragraph_text(cov.first)} to {paragraph_text(cov.last)} "
                f"({cov.labelled_periods} labelled periods, {cov.months:g} months; {cov.unlabelled_rows:,} rows not "
                f"yet labelled): {model.money(cov.value_per_month)} per month, {model.money(cov.value_per_year)} "
                "per year at the operating threshold.",
                s.body,
            ),
        ]
    if bt is not None:
        story += [
            Paragraph("Walk-forward: the threshold as it would have been chosen at the time", s.h2),
            Paragraph(
                f"Each {bt.period} is scored at the best threshold on all earlier {bt.period}s: "
                f"{model.money(bt.value)} in total, against {model.money(bt.in_sample_value)} with the threshold "
                f"tuned on all rows (in-sample optimism {model.money(bt.optimism)}). Never re-tuning the first "
                f"{bt.period}\u2019s threshold {fmt_threshold(bt.stale_threshold)} would have cost "
                f"{model.money(bt.stale_cost)}.",
                s.body,
            ),
            Spacer(1, 4),
            data_table(
                s,
                ["Period", "Threshold (earlier periods)", "Value", "Best value in hindsight"],
                [
                    [
                        r.key,
                        fmt_threshold(r.threshold),
                        model.money(r.value),
                        model.money(r.best_value),
                    ]
                    for r in bt.rows
                ],
                [0.25 * w, 0.25 * w, 0.25 * w, 0.25 * w],
            ),
        ]
    return story
