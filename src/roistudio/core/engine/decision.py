"""Decision-grade figures in one call: bootstrap, verdict, walk-forward, coverage, sensitivity.

:func:`decide` runs, after an analysis, whatever the options ask for and returns a
:class:`Decision` that the CLI's JSON (the ``uncertainty``, ``recommendation``, ``backtest``,
``sensitivity`` and ``coverage`` blocks), the reports and the app read. The analysis's own figures
are never changed: these blocks sit beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb

from roistudio.core.engine.aggregator import RowAggregator
from roistudio.core.engine.analysis import Analysis, analyse
from roistudio.core.engine.backtest import Backtest, Coverage, coverage, walk_forward
from roistudio.core.engine.bootstrap import (
    DEFAULT_CONFIDENCE,
    DEFAULT_SEED,
    PROMOTE_AT,
    BootstrapResult,
    bootstrap,
)
from roistudio.core.engine.group_bootstrap import group_intervals
from roistudio.core.engine.intervals import check_options
from roistudio.core.engine.parameter_ranges import ParameterRange, check_ranges
from roistudio.core.engine.sensitivity import DEFAULT_DRAWS, Sensitivity, sensitivity
from roistudio.core.engine.sweep import ColumnSumsCache
from roistudio.core.errors import RoiError
from roistudio.core.progress import Progress, ScaledProgress

BACKTEST_PERIOD = "month"


@dataclass(frozen=True)
class DecisionOptions:
    """What to compute: ``replicates`` 0 = no bootstrap; no ``ranges`` = no sensitivity."""

    replicates: int = 0
    seed: int = DEFAULT_SEED
    confidence: float = DEFAULT_CONFIDENCE
    ranges: tuple[ParameterRange, ...] = ()
    promote_at: float = PROMOTE_AT
    draws: int = DEFAULT_DRAWS

    def check(self, analysis: Analysis | None = None) -> None:
        """Refuse bad values with one line (before any work starts)."""
        check_options(self.replicates, self.confidence)
        check_promote_at(self.promote_at)
        if analysis is not None:
            check_ranges(analysis, self.ranges)


@dataclass(frozen=True, eq=False)
class Decision:
    """The decision-grade figures of one analysis (each ``None`` when not asked or not possible)."""

    options: DecisionOptions
    uncertainty: BootstrapResult | None
    backtest: Backtest | None
    coverage: Coverage | None
    sensitivity: Sensitivity | None
    recommendation: dict[str, Any]

    @property
    def has_figures(self) -> bool:
        """True when anything beyond the recommendation was computed (reports show a section then)."""
        return any(x is not None for x in (self.uncertainty, self.backtest, self.coverage, self.sensitivity))

    def to_json_blocks(self) -> dict[str, Any]:
        """The JSON contract's decision blocks; ``recommendation`` always, the others when computed."""
        out: dict[str, Any] = {"recommendation": self.recommendation}
        if self.uncertainty is not None:
            out["uncertainty"] = self.uncertainty.to_dict()
        if self.backtest is not None:
            out["backtest"] = self.backtest.to_dict()
        if self.sensitivity is not None:
            out["sensitivity"] = self.sensitivity.to_dict()
        if self.coverage is not None:
            out["coverage"] = self.coverage.to_dict()
        return out


def _part(progress: Progress | None, start: float, width: float) -> Progress | None:
    return None if progress is None else ScaledProgress(progress, start, start + width)


def decide(
    con: duckdb.DuckDBPyConnection,
    analysis: Analysis,
    options: DecisionOptions,
    *,
    progress: Progress | None = None,
    only: Sequence[str] | None = None,
    cache: ColumnSumsCache | None = None,
    rows: RowAggregator | None = None,
) -> Decision:
    """Compute the decision-grade figures the options ask for.

    Parameters
    ----------
    con
        The connection the analysis ran on.
    analysis
        Result of :func:`roistudio.core.engine.analysis.analyse`.
    options
        Replicates, seed, confidence, parameter ranges, promotion cut-off, Monte Carlo draws.
    progress
        Optional progress/cancel object.
    only
        Restrict to some of ``"uncertainty"``, ``"backtest"``, ``"sensitivity"`` (the app runs
        them as separate background jobs).
    cache
        The column-sums cache the analysis ran with (lets the sensitivity skip its scan).
    rows
        Another engine's aggregator (Spark): the walk-forward's per-month analysis and the
        sensitivity's aggregations run there (the bootstrap is the caller's, with that engine's
        cells). Default: DuckDB on ``con``.

    Notes
    -----
    The walk-forward and the coverage need a time column. Without a period breakdown in the
    analysis they use months (one more aggregation, with the validation reused).
    """
    options.check(analysis)
    wanted = set(only) if only is not None else {"uncertainty", "backtest", "sensitivity"}
    result = None
    if "uncertainty" in wanted and options.replicates > 0:
        result = bootstrap(
            con,
            analysis,
            replicates=options.replicates,
            confidence=options.confidence,
            seed=options.seed,
            progress=_part(progress, 0.0, 0.5),
        )
        groups = group_intervals(
            con,
            analysis,
            replicates=options.replicates,
            confidence=options.confidence,
            seed=options.seed,
            progress=_part(progress, 0.5, 0.1),
        )
        result = replace(result, groups=groups)
    backtest = cover = None
    if "backtest" in wanted and analysis.request.mapping.timestamp:
        by_period = analysis
        if not analysis.request.period:
            request = replace(analysis.request, period=BACKTEST_PERIOD)
            part = _part(progress, 0.6, 0.1)
            by_period = (
                rows.reanalyse(request, analysis.validation, part)
                if rows is not None
                else analyse(con, analysis.table, request, validation=analysis.validation, progress=part)
            )
        backtest, cover = walk_forward(by_period), coverage(by_period)
    sens = None
    if "sensitivity" in wanted and options.ranges:
        sens = sensitivity(
            con,
            analysis,
            options.ranges,
            draws=options.draws,
            seed=options.seed,
            progress=_part(progress, 0.7, 0.3),
            cache=cache,
            rows=rows,
        )
    return Decision(
        options=options,
        uncertainty=result,
        backtest=backtest,
        coverage=cover,
        sensitivity=sens,
        recommendation=recommendation(analysis, result, options.promote_at),
    )


# -- the verdict --------------------------------------------------------------------------------------


def verdict(p_challenger_better: float | None, promote_at: float = PROMOTE_AT) -> str | None:
    """``promote`` when P >= promote_at, ``keep`` when P <= 1 - promote_at, else ``inconclusive``.

    ``None`` without a challenger (or without a bootstrap).
    """
    if p_challenger_better is None:
        return None
    if p_challenger_better >= promote_at:
        return "promote"
    if p_challenger_better <= 1.0 - promote_at:
        return "keep"
    return "inconclusive"


def check_promote_at(promote_at: float) -> None:
    """Refuse a promotion cut-off outside (0.5, 1) with one line."""
    if not 0.5 < promote_at < 1.0:
        raise RoiError(
            f"--promote-at expects a probability above 0.5 and below 1 (e.g. 0.95), got {promote_at:g}"
        )


def recommendation(
    analysis: Analysis, result: BootstrapResult | None, promote_at: float = PROMOTE_AT
) -> dict[str, Any]:
    """The ``recommendation`` block: ``{challenger_verdict, text}`` with one plain sentence."""
    comp = analysis.comparison
    p = None if result is None else result.p_challenger_better
    which = verdict(p, promote_at)
    if comp is None:
        text = "No challenger to compare."
    elif which is None:
        text = (
            f"Challenger {comp.challenger.name} differs by {comp.difference_at_best:,.2f} at each model's best "
            "threshold; run a bootstrap (--bootstrap N) to know whether that is more than luck."
        )
    else:
        assert result is not None and result.difference_at_best is not None and p is not None
        diff = result.difference_at_best
        span = f"{result.confidence:.0%} interval {diff.low:,.2f} to {diff.high:,.2f}"
        chance = f"P(challenger better) = {p:.2f}"
        text = {
            "promote": f"Promote {comp.challenger.name}: it beats {comp.champion.name} in {p:.0%} of resamples "
            f"({span}).",
            "keep": f"Keep {comp.champion.name}: the challenger {comp.challenger.name} is worse in "
            f"{1 - p:.0%} of resamples ({span}).",
            "inconclusive": f"Inconclusive: {chance}, short of {promote_at:.0%} either way ({span}); "
            "collect more labelled rows before switching.",
        }[which]
    return {"challenger_verdict": which, "text": text}
