"""PDF page "What moves the value": the value bridge, the tornado chart and the break-even table.

The bridge (:func:`roistudio.core.engine.bridge.value_bridge`) goes from the policy without a
model to the operating policy in two steps, one per class of rows whose outcome changes; its
printed figures add up exactly. The tornado chart, the break-even values and the Monte Carlo
histogram come from :mod:`roistudio.core.engine.sensitivity` when parameter ranges were given.
The charts are the app's (:mod:`roistudio.charts.bridge`, :mod:`roistudio.charts.uncertainty`).
"""

from __future__ import annotations

from reportlab.lib.units import inch
from reportlab.platypus import Flowable, Paragraph, Spacer

from roistudio.charts.bridge import draw_value_bridge, end_text
from roistudio.charts.uncertainty import draw_monte_carlo, draw_tornado
from roistudio.core.engine.bridge import STEP_MEANINGS, value_bridge
from roistudio.reports.model import ReportModel
from roistudio.reports.pdf.chart_images import chart_image
from roistudio.reports.pdf.layout import (
    TEXT_WIDTH,
    Styles,
    data_table,
    fmt_int,
    fmt_threshold,
    paragraph_text,
)

__all__ = ["bridge_rows", "sensitivity_page"]


def bridge_rows(model: ReportModel) -> list[list[str]]:
    """The bridge table: policy or step, rows whose outcome changes, the change, the money.

    Money is printed from :meth:`~roistudio.core.engine.bridge.Bridge.rounded` at whole units,
    the precision of :meth:`ReportModel.money`, so the column adds up as printed.
    """
    bridge = value_bridge(model.champion)
    start, (a, b), end = bridge.rounded(0)
    s1, s2 = bridge.steps
    return [
        [f"Without the model: {bridge.start_label}", "", "", model.money(start)],
        [s1.label, fmt_int(s1.rows), s1.change, model.money(a, signed=True)],
        [s2.label, fmt_int(s2.rows), s2.change, model.money(b, signed=True)],
        [end_text(bridge, fmt_threshold(bridge.threshold)), "", "", model.money(end)],
    ]


def _bridge(model: ReportModel, s: Styles) -> list[Flowable]:
    bridge = value_bridge(model.champion)
    _start, (a, b), _end = bridge.rounded(0)
    s1, s2 = bridge.steps
    w = TEXT_WIDTH
    intro = (
        f"From the value without the model ({paragraph_text(bridge.start_label)}) to the value at the operating "
        f"threshold: {fmt_int(s1.rows)} {paragraph_text(s1.label)} ({model.money(a, signed=True)}) and "
        f"{fmt_int(s2.rows)} {paragraph_text(s2.label)} ({model.money(b, signed=True)}). No other row changes "
        "outcome, so the two steps are the whole difference."
    )
    return [
        Paragraph("Where the value comes from", s.h2),
        Paragraph(intro, s.body),
        Spacer(1, 4),
        chart_image(
            lambda ax: draw_value_bridge(
                ax, bridge, symbol=model.symbol, threshold_text=fmt_threshold(bridge.threshold)
            ),
            w,
            2.6 * inch,
        ),
        Spacer(1, 4),
        data_table(
            s,
            ["", "Rows", "Outcomes", "Value"],
            bridge_rows(model),
            [0.46 * w, 0.16 * w, 0.18 * w, 0.2 * w],
            highlight=[3],
        ),
        Spacer(1, 4),
        *(
            Paragraph(
                f"<b>{paragraph_text(step.label.capitalize())}</b>: {paragraph_text(STEP_MEANINGS[step.label])}.",
                s.small,
            )
            for step in bridge.steps
        ),
    ]


def _tornado(model: ReportModel, s: Styles) -> list[Flowable]:
    decision = model.decision
    sens = None if decision is None else decision.sensitivity
    if sens is None or not sens.parameters:
        return [
            Paragraph("Sensitivity to the payoff\u2019s assumptions", s.h2),
            Paragraph(
                "No parameter ranges were given, so there is no tornado chart or break-even table: give each "
                "uncertain parameter a low and a high value (roistudio report --range NAME=LOW:HIGH, or the "
                "ranges in the app\u2019s payoff editor).",
                s.body,
            ),
        ]
    w = TEXT_WIDTH
    # The heading stays with its text and the chart; the table follows on the next page when the
    # page is full, whole (a short table never splits) with its header (see .flow).
    story: list[Flowable] = [
        Paragraph("Sensitivity to the payoff\u2019s assumptions", s.h2),
        Paragraph(
            "Each parameter over its plausible range, the others at their values, at the operating threshold. "
            "Break-even: a parameter value at which the model\u2019s value (operating value minus the better "
            "baseline) crosses zero."
            + (
                ""
                if sens.exact
                else " (This payoff is not linear in its parameters: values found by bisection.)"
            ),
            s.body,
        ),
        Spacer(1, 4),
        chart_image(
            lambda ax: draw_tornado(ax, sens, symbol=model.symbol),
            w,
            0.5 * inch + 0.45 * inch * len(sens.parameters),
        ),
        Spacer(1, 4),
        data_table(
            s,
            [
                "Parameter",
                "Range",
                "Value at low",
                "Value at high",
                "Best at low / high",
                "Break-even values",
            ],
            [
                [
                    b.name,
                    f"{b.low:g} to {b.high:g}",
                    model.money(b.value_at_low),
                    model.money(b.value_at_high),
                    f"{model.money(b.best_value_at_low)} / {model.money(b.best_value_at_high)}",
                    ", ".join(f"{v:.6g}" for v in sens.break_even.get(b.name, ())) or "none in range",
                ]
                for b in sens.parameters
            ],
            [0.17 * w, 0.15 * w, 0.15 * w, 0.15 * w, 0.2 * w, 0.18 * w],
            numeric_from=2,
        ),
    ]
    if sens.draws:
        story += [
            Spacer(1, 6),
            chart_image(lambda ax: draw_monte_carlo(ax, sens, symbol=model.symbol), w, 2.2 * inch),
        ]
    return story


def sensitivity_page(model: ReportModel, s: Styles) -> list[Flowable]:
    """The page: the value bridge, then the sensitivity to the payoff's parameters."""
    return [Paragraph("What moves the value", s.h1), *_bridge(model, s), *_tornado(model, s)]
