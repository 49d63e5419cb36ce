"""Page 1's four answers in words: what the model is worth, what to do, how sure, what changed.

A CFO reads page 1 for thirty seconds. This module turns a :class:`ReportModel` into the plain
sentences and small tables that answer the four questions, so the wording is decided once
(and tested) apart from how a writer lays it out. Pure: no reportlab, openpyxl or Qt.

Conventions:

- What the model adds is framed as the payoff frames it: when the reference policy (the better
  baseline) and the model's policy both cost money, the model *saves* part of that cost (a
  costs-only payoff never reads like a loss) and the savings ratio is shown; otherwise the model
  *adds* value.
- The span is the labelled span: the first to the last labelled period (``core.engine.backtest.
  coverage``), never the unlabelled month, so "per month" divides by months whose outcomes are known.
- Every threshold goes through :func:`format_threshold`, the one precision of the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from roistudio.charts.breakdown import period_label
from roistudio.core.data.profile import MISSING_KEY
from roistudio.core.engine.backtest import Coverage, coverage, labelled_periods
from roistudio.core.engine.decision import BACKTEST_PERIOD
from roistudio.core.engine.results import GroupResult
from roistudio.core.glossary import format_threshold
from roistudio.reports.model import ReportModel

__all__ = [
    "Briefing",
    "Change",
    "Span",
    "brief",
]


def _pct(value: float | None, decimals: int = 1) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value * 100:.{decimals}f}%"


@dataclass(frozen=True)
class Span:
    """The labelled span the figures cover.

    Attributes
    ----------
    first, last
        Readable names of the first and last labelled periods (``Dec 2025``), or ISO days.
    months
        Months from the start of ``first`` to the end of ``last`` (None when unknown).
    periods
        Labelled periods (None for a span read off a date range).
    """

    first: str
    last: str
    months: float | None
    periods: int | None

    @property
    def text(self) -> str:
        """``Dec 2025 to Oct 2026 (11 months)``."""
        span = self.first if self.first == self.last else f"{self.first} to {self.last}"
        if self.months is not None and self.months >= 1:
            months = f"{self.months:g}" if self.months == round(self.months) else f"{self.months:.1f}"
            return f"{span} ({months} month{'' if months == '1' else 's'})"
        return span


@dataclass(frozen=True)
class Change:
    """One line of "what changed": a figure in the period before and in the latest one."""

    label: str
    before: str
    latest: str
    change: str


@dataclass(frozen=True)
class Briefing:
    """The words of page 1 (see the module docstring)."""

    verb: str  # "saves" or "adds" (or "loses" when the model does not beat the baseline)
    worth: str  # the headline amount, e.g. "$156,433"
    worth_sentence: str
    against: str  # "doing nothing (flagging no row)"
    savings: float | None
    per_month: float | None
    span: Span | None
    action: str
    gap: str | None
    verdict: str | None
    sure: tuple[str, ...]
    changes: tuple[Change, ...]
    change_periods: tuple[str, str] | None  # (before, latest)
    change_note: str | None
    # The savings ratio's bootstrap interval, as "36.1% to 41.2% (90% interval)", when both are shown.
    savings_range: str | None = None


_AGAINST = {
    "flag_nobody": "doing nothing (flagging no row)",
    "flag_everyone": "flagging every row",
}


def report_span(model: ReportModel) -> tuple[Span | None, Coverage | None]:
    """The labelled span of the report, and the coverage it was read from (None without periods).

    Prefers the decision's coverage (``roistudio report`` computes it by month even without a
    period breakdown); else the analysis's own periods; else the data's date range, but only when
    every row is labelled (a range that includes unlabelled rows is not the span the figures cover).
    """
    cover = model.decision.coverage if model.decision is not None else None
    period = model.analysis.request.period
    if cover is None and period:
        cover = coverage(model.analysis)
    if cover is not None:
        shown = period or BACKTEST_PERIOD
        return (
            Span(period_label(cover.first, shown), period_label(cover.last, shown), cover.months,
                 cover.labelled_periods),
            cover,
        )  # fmt: skip
    src = model.source
    if src.date_min and src.date_max and model.quality.unlabeled == 0:
        return Span(src.date_min, src.date_max, None, None), None
    return None, None


def _about(n: float) -> str:
    """A monthly count as people say it: ``~625``, ``~1,250``, ``~12,300``."""
    if n >= 1000:
        digits = 3 - len(str(int(n)))  # three significant digits
        return f"~{round(n, digits):,.0f}"
    if n >= 10:
        return f"~{round(n):,}"
    return f"~{n:.1f}".rstrip("0").rstrip(".")


def _action(model: ReportModel, span: Span | None) -> str:
    h, champ = model.headline, model.champion
    if h.value_of_model <= 0.5:
        return (
            f"Do not act on {champ.name} as it stands: no threshold on these rows beats "
            f"{_AGAINST.get(champ.better_baseline.kind, champ.better_baseline.label)} under this payoff. "
            "Revisit the payoff or the model."
        )
    if h.threshold is None or h.flagged == 0:
        return "Flag no row: under this payoff the model's best use is to flag nothing."
    share = _pct(h.flag_rate)
    t = format_threshold(h.threshold)
    if h.flagged == h.rows:
        return f"Flag every row (every score is {t} or more)."
    caught = f"{_pct(h.precision)} of them positive, catching {_pct(h.recall)} of all positives"
    if span is not None and span.months is not None and span.months >= 1:
        per_month = h.flagged / span.months
        return (
            f"Flag the {_about(per_month)} highest-scoring rows a month: every row scoring {t} or more, "
            f"{share} of rows ({caught})."
        )
    return (
        f"Flag the {share} of rows scoring {t} or more: {h.flagged:,} of {h.rows:,} labelled rows ({caught})."
    )


def _gap(model: ReportModel) -> str | None:
    champ = model.champion
    best, op = champ.optimum, champ.operating
    gap = best.value - op.value
    if best.index == op.index or round(gap) <= 0:
        return None
    at_best = best.value - champ.better_baseline.value
    # As a share of what the model adds at its best; a gap larger than that (the operating
    # threshold loses to the baseline) is not given as a share over 100%.
    share = f" ({gap / at_best:.0%} of what the model adds at its best)" if 0 < gap < at_best else ""
    why = model.threshold_reason
    return (
        f"The operating threshold {format_threshold(op.threshold)} ({why}) is {model.money(gap)} short of the "
        f"best policy, threshold {format_threshold(best.threshold)}{share}."
    )


def _verdict(model: ReportModel) -> str | None:
    comp = model.analysis.comparison
    if comp is None:
        return None
    decision = model.decision
    u = decision.uncertainty if decision is not None else None
    which = decision.recommendation.get("challenger_verdict") if decision is not None else None
    champion, challenger = comp.champion.name, comp.challenger.name
    per = comp.difference_per_period_at_best if model.analysis.request.period else None
    amount = per if per is not None else comp.difference_at_best
    when = f" a {model.analysis.request.period}" if per is not None else " in total"
    more = "more" if amount > 0 else "less"
    diff = f"{model.money(abs(amount))} {more}{when}"
    if which is None or u is None or u.p_challenger_better is None:
        return (
            f"Challenger {challenger} earns {diff} than {champion}, each at its best threshold; without a "
            "bootstrap it is not known whether that is more than luck."
        )
    p = u.p_challenger_better
    options = decision.options if decision is not None else None
    cut = options.promote_at if options is not None else 0.95
    if which == "promote":
        return (
            f"Promote {challenger}: at its best threshold ({format_threshold(comp.challenger.optimum.threshold)}) "
            f"it earns {diff} than {champion}, and beat it in {p:.0%} of {u.replicates:,} resamples."
        )
    if which == "keep":
        return (
            f"Keep {champion}: challenger {challenger} earns {diff} at its best threshold, and beat the "
            f"champion in only {p:.0%} of {u.replicates:,} resamples."
        )
    return (
        f"Do not switch yet: challenger {challenger} earns {diff} than {champion}, but beat it in "
        f"{p:.0%} of {u.replicates:,} resamples, short of the {cut:.0%} needed; collect more labelled rows."
    )


def _sure(model: ReportModel) -> tuple[str, ...]:
    lines: list[str] = []
    decision = model.decision
    u = decision.uncertainty if decision is not None else None
    if u is not None:
        level = f"{u.confidence:.0%}"
        lines.append(
            f"What the model adds: {model.money(u.value_of_model.low)} to {model.money(u.value_of_model.high)} "
            f"({level} interval, {u.replicates:,} bootstrap resamples of the labelled rows)."
        )
        lo, hi = u.optimal_threshold.low, u.optimal_threshold.high
        lines.append(
            f"The best threshold lies between {format_threshold(lo)} and {format_threshold(hi)} ({level})."
        )
        if u.p_challenger_better is not None:
            lines.append(f"P(challenger better) = {u.p_challenger_better:.2f}.")
    else:
        lines.append("No bootstrap was run, so the figures carry no interval.")
    tuned = model.analysis.policy != "user"
    bt = decision.backtest if decision is not None else None
    if tuned:
        lines.append(
            "The threshold was tuned on the same rows it is scored on, which flatters it"
            + ("." if bt is not None else "; no time column, so no walk-forward check.")
        )
    else:
        lines.append("The threshold was set by the analyst, not tuned on these rows.")
    if bt is not None:
        lines.append(
            f"Walk-forward (each {bt.period}'s threshold chosen on earlier {bt.period}s only): "
            f"{model.money(bt.value)} over the last {len(bt.rows)} {bt.period}s, against "
            f"{model.money(bt.in_sample_value)} tuned on all rows: {model.money(bt.optimism)} of in-sample optimism."
        )
    return tuple(lines)


def _group_value_of_model(group: GroupResult, kind: str) -> float | None:
    """Operating value minus the group's own value under the report's better baseline."""
    curve = group.curve
    if kind == "flag_nobody":
        return group.operating.value - curve.flag_nobody().value
    if kind == "flag_everyone":
        return group.operating.value - curve.flag_everyone().value
    return None


def _per_1000(value: float | None, rows: int) -> float | None:
    return None if value is None or rows == 0 else value / rows * 1000


def _changes(model: ReportModel, verb: str) -> tuple[tuple[Change, ...], tuple[str, str] | None, str | None]:
    periods = labelled_periods(model.analysis)
    period = model.analysis.request.period
    note = None
    pending = [g for g in model.periods if g.key != MISSING_KEY and g.fully_unlabeled]
    if pending:
        names = ", ".join(period_label(g.key, period) for g in pending)
        note = f"{names}: {sum(g.unlabeled for g in pending):,} rows not yet labelled, left out."
    if len(periods) < 2:
        return (), None, note
    before, latest = periods[-2], periods[-1]
    kind = model.champion.better_baseline.kind
    money, signed = model.money, (lambda v: model.money(v, signed=True))

    def row(
        label: str,
        a: float | None,
        b: float | None,
        fmt: Callable[[float | None], str],
        diff: Callable[[float], str],
    ) -> Change:
        change = "" if a is None or b is None else diff(b - a)
        return Change(label, fmt(a), fmt(b), change)

    def pts(v: float) -> str:
        return f"{v * 100:+.1f} pts"

    a_vm = _per_1000(_group_value_of_model(before, kind), before.rows)
    b_vm = _per_1000(_group_value_of_model(latest, kind), latest.rows)
    a_op, b_op = before.operating, latest.operating
    changes = [
        Change("Labelled rows", f"{before.rows:,}", f"{latest.rows:,}", f"{latest.rows - before.rows:+,}"),
        row("Value per 1,000 rows", a_op.value_per_1000, b_op.value_per_1000, money, signed),
    ]
    if a_vm is not None and b_vm is not None:
        changes.append(row(f"Model {verb} per 1,000 rows", a_vm, b_vm, money, signed))
    changes += [
        row("Flagged", a_op.flag_rate, b_op.flag_rate, _pct, pts),
        row("Precision", a_op.precision, b_op.precision, _pct, pts),
        row("Recall", a_op.recall, b_op.recall, _pct, pts),
    ]
    shown = (period_label(before.key, period), period_label(latest.key, period))
    return tuple(changes), shown, note


def costs_money(model: ReportModel) -> bool:
    """True when the payoff is framed as a cost: the better baseline and the operating policy both
    cost money (a costs-only payoff). Then the model *saves* part of a cost, and a policy's value is
    told as what it costs; otherwise the model *adds* value (and the savings ratio is no share of a
    cost). Page 1 and the estimate box use this one rule."""
    return model.champion.better_baseline.value < 0 and model.headline.value <= 0


def brief(model: ReportModel) -> Briefing:
    """Page 1's answers for ``model`` (see the module docstring)."""
    h, champ = model.headline, model.champion
    base = champ.better_baseline
    span, _ = report_span(model)
    against = _AGAINST.get(base.kind, f"flagging {base.flagged:,} rows at random")
    shown = round(h.value_of_model)
    saves = shown > 0 and costs_money(model)
    verb = "loses" if shown < 0 else "saves" if saves else "adds"
    amount = model.money(abs(h.value_of_model))
    savings = h.savings if verb == "saves" else None
    per_month = h.value_of_model / span.months if span is not None and span.months else None
    ratio = f" ({_pct(savings)})" if savings is not None else ""
    over = f" over {span.text}" if span is not None else f" on {h.rows:,} labelled rows"
    if verb == "saves":
        sentence = (
            f"The model saves {amount}{ratio} against {against}{over}: the cost falls from "
            f"{model.money(-base.value)} to {model.money(-h.value)}."
        )
    elif verb == "adds":
        sentence = (
            f"The model adds {amount} against {against}{over}: {model.money(h.value)} instead of "
            f"{model.money(base.value)}."
        )
    else:
        sentence = (
            f"The model loses {amount} against {against}{over}: it does not earn its keep under this payoff."
        )
    changes, names, note = _changes(model, "saves" if verb == "saves" else "adds")
    return Briefing(
        verb=verb,
        worth=amount,
        worth_sentence=sentence,
        against=against,
        savings=savings,
        per_month=per_month,
        span=span,
        action=_action(model, span),
        gap=_gap(model),
        verdict=_verdict(model),
        sure=_sure(model),
        changes=changes,
        change_periods=names,
        change_note=note,
        savings_range=_savings_range(model) if savings is not None else None,
    )


def _savings_range(model: ReportModel) -> str | None:
    """The savings ratio's interval from the bootstrap (same replicates as the money figures)."""
    u = model.decision.uncertainty if model.decision is not None else None
    interval = u.savings if u is not None else None
    if interval is None or interval.low is None or interval.high is None:
        return None
    return f"{_pct(interval.low)} to {_pct(interval.high)} ({u.confidence:.0%} interval)"  # type: ignore[union-attr]
