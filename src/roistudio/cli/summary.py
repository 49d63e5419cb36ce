"""The short human summary ``roistudio sweep`` and ``roistudio report`` print: policies, comparison,
breakdowns, label delay and the decision-grade figures, in a few lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.curve import CurvePoint
from roistudio.core.glossary import format_threshold
from roistudio.core.money import format_money

if TYPE_CHECKING:
    from roistudio.cli.spark import SparkReadReport
    from roistudio.core.data.import_report import ImportReport
    from roistudio.core.engine.decision import Decision
    from roistudio.core.engine.estimate import LabelDelay


def _money(v: float | None) -> str:
    return format_money(v, None, decimals=2)


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 100:.1f}%"


def _point_line(p: CurvePoint) -> str:
    return (
        f"value {_money(p.value)}; flags {p.flagged:,} rows ({_pct(p.flag_rate)}), "
        f"precision {_pct(p.precision)}, recall {_pct(p.recall)}"
    )


def format_summary(
    analysis: Analysis,
    report: ImportReport | SparkReadReport,
    decision: Decision | None = None,
    label_delay: LabelDelay | None = None,
) -> str:
    """The short human summary printed by ``roistudio sweep`` without ``--json``."""
    champ = analysis.champion
    curve = champ.curve
    lines = [
        f"{report.source.name}: {report.rows:,} rows; swept {curve.rows:,} labelled rows "
        f"({curve.positives:,} positive '{analysis.validation.label.positive_text}'), "
        f"{curve.unlabeled:,} not yet known"
        + (f", {analysis.excluded_rows:,} excluded for bad scores" if analysis.excluded_rows else ""),
    ]
    if report.rejected_count:
        details = report.summary_lines()
        lines.extend(f"  {line}" for line in details[:6])
        if len(details) > 6:
            lines.append("  (all rejected rows: --json, under source.rejected)")
    nobody, everyone = champ.flag_nobody, champ.flag_everyone
    opt = champ.optimum
    lines.append(f"Best threshold {format_threshold(opt.threshold)} ({champ.name}): {_point_line(opt)}")
    lines.append(
        f"  vs flag nobody {_money(opt.value - nobody.value)} (flag nobody: {_money(nobody.value)}); "
        f"vs flag everyone {_money(opt.value - everyone.value)} (flag everyone: {_money(everyone.value)})"
    )
    if champ.constrained is not None or not analysis.request.constraints.is_empty():
        c = champ.constrained
        desc = analysis.request.constraints.describe()
        lines.append(
            f"Under {desc}: "
            + (
                "no threshold satisfies the constraints"
                if c is None
                else f"threshold {format_threshold(c.threshold)}: {_point_line(c)}"
            )
        )
        if c is not None:
            # Only the baselines the constraints allow (core rule: core.engine.baselines).
            allowed = champ.baselines
            compared = "; ".join(f"vs {b.label} {_money(c.value - b.value)}" for b in allowed)
            forbidden = all(b.kind != "flag_everyone" for b in allowed)
            lines.append(
                f"  {compared}" + (" (the constraints do not allow flagging everyone)" if forbidden else "")
            )
    if analysis.policy == "user":
        lines.append(
            f"At operating threshold {format_threshold(champ.operating.threshold)}: {_point_line(champ.operating)}"
        )
    for p in champ.at:
        lines.append(f"At {format_threshold(p.threshold)}: {_point_line(p)}")
    if champ.break_even:
        lines.append(
            "Break-even thresholds (value of the model crosses zero; the side that pays): "
            + ", ".join(repr(t) for t in champ.break_even)
        )
    comp = analysis.comparison
    if comp is not None:
        lines.append(
            f"Challenger {comp.challenger.name}: best threshold {format_threshold(comp.challenger.optimum.threshold)}, "
            f"value {_money(comp.challenger.optimum.value)} ({_money(comp.difference_at_best)} vs champion at each "
            f"one's best; {_money(comp.difference_at_common)} at the common threshold {format_threshold(comp.common_threshold)})"
        )
    for col, groups in analysis.segments.items():
        worst = groups[:3]
        lines.append(
            f"Segments by {col} (money lost at the operating threshold): "
            + "; ".join(f"{g.key} {_money(g.money_lost)}" for g in worst)
            + (" ..." if len(groups) > 3 else "")
        )
    if analysis.periods:
        known = [p for p in analysis.periods if not p.fully_unlabeled]
        unknown = [p for p in analysis.periods if p.fully_unlabeled]
        lines.append(
            f"By {analysis.request.period}: {len(known)} period{'s' * (len(known) != 1)} with labels"
            + (f", {len(unknown)} not yet known ({', '.join(p.key for p in unknown)})" if unknown else "")
            + _periods_note(analysis)
        )
    if label_delay is not None:
        lines.extend(label_delay_lines(analysis, label_delay))
    if decision is not None:
        lines.extend(decision_lines(decision))
    return "\n".join(lines)


def label_delay_lines(analysis: Analysis, label_delay: LabelDelay) -> list[str]:
    """Summary lines of the calibration check and the estimate for rows not yet labelled."""
    from roistudio.core.engine.estimate import estimate_summary

    cal = label_delay.calibration
    brier = "n/a (raw scores)" if cal.brier is None else f"{cal.brier:.4f}"
    fitted = f"{cal.fitted_on_rows:,} labelled rows" + (
        f" of {', '.join(cal.fitted_on_periods)}" if cal.fitted_on_periods else ""
    )
    calibrated = "n/a" if cal.brier_calibrated is None else f"{cal.brier_calibrated:.4f}"
    ece = "n/a" if cal.ece is None else f"{cal.ece:.4f}"
    lines = [
        f"Calibration: {cal.method} on {fitted}; Brier score {brier} raw, {calibrated} calibrated; "
        f"expected calibration error {ece}"
    ]
    lines.extend(f"  {text}" for text in (*cal.notes, cal.warning) if text)
    threshold = analysis.operating.threshold
    summary = estimate_summary(label_delay, threshold)
    if summary:
        lines.append(summary)
    estimates = label_delay.periods_at(threshold)
    for period in analysis.periods:
        est = estimates.get(period.key)
        if period.fully_unlabeled and est is not None:
            lines.append(
                f"  {period.key} (labels not yet known): estimated value {_money(est.value)} "
                f"({round(label_delay.confidence * 100)}% interval {_money(est.low)} to {_money(est.high)})"
            )
    return lines


def _periods_note(analysis: Analysis) -> str:
    """How periods were formed, when it is not plain dates: year not given, or the time zone."""
    time = analysis.validation.time
    if time is None or time.form.name == "date":
        return ""
    return f" ({time.describe()})"


def _span(low: float | None, high: float | None) -> str:
    return f"{_money(low)} to {_money(high)}"


def decision_lines(decision: Decision) -> list[str]:
    """The decision-grade figures in a few lines (intervals, verdict, backtest, sensitivity)."""
    lines = []
    u = decision.uncertainty
    if u is not None:
        thr = u.optimal_threshold
        lines.append(
            f"{u.confidence:.0%} intervals ({u.replicates:,} bootstrap replicates, seed {u.seed}): "
            f"value at the operating threshold {_span(u.operating_value.low, u.operating_value.high)}; "
            f"value of the model {_span(u.value_of_model.low, u.value_of_model.high)}; "
            f"best threshold {format_threshold(thr.low)} to {format_threshold(thr.high)}"
        )
        best, common = u.difference_at_best, u.difference_at_common
        if u.p_challenger_better is not None and best is not None and common is not None:
            lines.append(
                f"Challenger minus champion: {_span(best.low, best.high)} at each "
                f"one's best threshold, {_span(common.low, common.high)} at the "
                f"common threshold; P(challenger better) = {u.p_challenger_better:.3f}"
            )
    if decision.recommendation.get("challenger_verdict") is not None or u is not None:
        lines.append(decision.recommendation["text"])
    cov = decision.coverage
    if cov is not None:
        lines.append(
            f"Covers {cov.first} to {cov.last} ({cov.labelled_periods} labelled periods; "
            f"{cov.unlabelled_rows:,} rows not yet labelled): {_money(cov.value_per_month)} per month, "
            f"{_money(cov.value_per_year)} per year"
        )
    bt = decision.backtest
    if bt is not None:
        lines.append(
            f"Walk-forward ({len(bt.rows)} {bt.period}s, threshold tuned on earlier {bt.period}s): "
            f"{_money(bt.value)} vs {_money(bt.in_sample_value)} tuned in-sample "
            f"({_money(bt.optimism)} optimism); a stale threshold {format_threshold(bt.stale_threshold)} "
            f"would have cost {_money(bt.stale_cost)}"
        )
    sens = decision.sensitivity
    if sens is not None:
        for bar in sens.parameters:
            lines.append(
                f"{bar.name} {bar.low:g} to {bar.high:g}: value {_money(bar.value_at_low)} to "
                f"{_money(bar.value_at_high)} at the operating threshold; best {_money(bar.best_value_at_low)} "
                f"to {_money(bar.best_value_at_high)}"
                + (
                    "; break-even at " + ", ".join(f"{v:.6g}" for v in sens.break_even[bar.name])
                    if sens.break_even.get(bar.name)
                    else "; no break-even in range"
                )
            )
        if sens.draws:
            doc = sens.to_dict()["monte_carlo"]
            lines.append(
                f"Monte Carlo ({sens.draws:,} draws): value of the model p5 {_money(doc['value_of_model']['p5'])}, "
                f"median {_money(doc['value_of_model']['p50'])}, p95 {_money(doc['value_of_model']['p95'])}; "
                f"pays off in {sens.p_positive:.0%} of draws"
            )
    return lines
