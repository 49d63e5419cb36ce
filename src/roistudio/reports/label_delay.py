"""What the reports say about rows not yet labelled: the latest period's estimate, in words.

Both writers render these; the figures come from ``core.engine.estimate.LabelDelay`` held by the
report model. An estimate is always called one and never added to realised value.
"""

from __future__ import annotations

from roistudio.charts.breakdown import period_label
from roistudio.core.data.profile import MISSING_KEY
from roistudio.core.engine.estimate import ValueEstimate
from roistudio.core.engine.results import GroupResult
from roistudio.reports.briefing import costs_money
from roistudio.reports.model import ReportModel


def period_estimates(model: ReportModel) -> dict[str, ValueEstimate]:
    """Per period key, the estimate at the operating threshold ({} without label delay)."""
    ld = model.label_delay
    if ld is None or not model.periods:
        return {}
    return ld.periods_at(model.headline.threshold)


def latest_estimate(model: ReportModel) -> tuple[GroupResult, ValueEstimate] | None:
    """The latest period, when none of its labels are known yet, with its estimate."""
    dated = [g for g in model.periods if g.key != MISSING_KEY]  # in calendar order
    if not dated or not dated[-1].fully_unlabeled:
        return None
    est = period_estimates(model).get(dated[-1].key)
    return None if est is None else (dated[-1], est)


def unlabeled_estimate(model: ReportModel) -> ValueEstimate | None:
    """The estimate for every row not yet labelled, when there are such rows."""
    ld = model.label_delay
    if ld is None:
        return None
    est = ld.unlabeled_at(model.headline.threshold)
    return est if est.rows else None


def estimate_sentence(model: ReportModel) -> str | None:
    """Page 1's sentence on the latest period's estimated value, or on all unlabelled rows."""
    ld = model.label_delay
    if ld is None:
        return None
    pct = f"{round(ld.confidence * 100)}%"
    how = (
        f"from {ld.calibration.method}-calibrated scores"
        if ld.calibration.method != "none"
        else ("from the scores taken as probabilities")
    )
    latest = latest_estimate(model)
    if latest is not None:
        group, est = latest
        name = period_label(group.key, model.analysis.request.period)
        return (
            f"ESTIMATE, not realised: the labels of {name} are not known yet. {how[0].upper()}{how[1:]}, its "
            f"{est.rows:,} rows {_worth(model, est, pct)}. It is not included in the figures above."
        )
    overall = unlabeled_estimate(model)
    if overall is None:
        return None
    return (
        f"ESTIMATE, not realised: {overall.rows:,} rows have no label yet; {how}, they "
        f"{_worth(model, overall, pct)}. It is not included in the figures above."
    )


def _worth(model: ReportModel, est: ValueEstimate, pct: str) -> str:
    """``are worth an estimated $X ...`` or, for a payoff framed as a cost (page 1's rule,
    :func:`roistudio.reports.briefing.costs_money`), ``would cost an estimated $X ...``."""
    if costs_money(model) and est.value <= 0:
        # Costs as positive amounts; the interval's ends swap (the lowest value is the highest cost).
        low, high = -est.high, -est.low
        verb = f"would cost an estimated {model.money(-est.value)}"
    else:
        low, high = est.low, est.high
        verb = f"are worth an estimated {model.money(est.value)}"
    return (
        f"{verb} at the operating threshold ({pct} interval {model.money(low)} to {model.money(high)}; "
        "outcome randomness only)"
    )
