"""Decision-grade figures in one call: bootstrap, verdict, walk-forward, coverage, sensitivity.

:func:`decide` runs, after an analysis, whatever the options ask for and returns a
:class:`Decision` that the CLI's JSON (the ``uncertainty``, ``recommendation``, ``backtest``,
``sensitivity`` and ``coverage`` blocks), the reports and the app read. The analysis's own figures
are never changed: these blocks sit beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import duckdb

from roistudio.core.engine.analysis import Analysis, analyse
from roistudio.core.engine.backtest import Backtest, Coverage, coverage, walk_forward
from roistudio.core.engine.bootstrap import (
    DEFAULT_CONFIDENCE,
    DEFAULT_SEED,
    PROMOTE_AT,
    BootstrapResult,
    bootstrap,
    check_options,
    check_promote_at,
    recommendation,
)
from roistudio.core.engine.sensitivity import (
    DEFAULT_DRAWS,
    ParameterRange,
    Sensitivity,
    check_ranges,
    sensitivity,
)
from roistudio.core.engine.sweep import ColumnSumsCache
from roistudio.core.progress import Progress

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
    recommendation: dict

    def to_json_blocks(self) -> dict:
        """The JSON contract's decision blocks; ``recommendation`` always, the others when computed."""
        out: dict = {"recommendation": self.recommendation}
        if self.uncertainty is not None:
            out["uncertainty"] = self.uncertainty.to_dict()
        if self.backtest is not None:
            out["backtest"] = self.backtest.to_dict()
        if self.sensitivity is not None:
            out["sensitivity"] = self.sensitivity.to_dict()
        if self.coverage is not None:
            out["coverage"] = self.coverage.to_dict()
        return out


class _Part:
    """Progress of one step, mapped into [start, start + width] of the whole."""

    def __init__(self, outer: Progress | None, start: float, width: float):
        self.outer, self.start, self.width = outer, start, width

    def progress(self, fraction: float, text: str = "") -> None:
        if self.outer is not None:
            self.outer.progress(self.start + self.width * fraction, text)

    def cancelled(self) -> bool:
        return self.outer is not None and self.outer.cancelled()


def decide(
    con: duckdb.DuckDBPyConnection,
    analysis: Analysis,
    options: DecisionOptions,
    *,
    progress: Progress | None = None,
    only: Sequence[str] | None = None,
    cache: ColumnSumsCache | None = None,
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
            progress=_Part(progress, 0.0, 0.6),
        )
    backtest = cover = None
    if "backtest" in wanted and analysis.request.mapping.timestamp:
        by_period = analysis
        if not analysis.request.period:
            request = replace(analysis.request, period=BACKTEST_PERIOD)
            by_period = analyse(
                con,
                analysis.table,
                request,
                validation=analysis.validation,
                progress=_Part(progress, 0.6, 0.1),
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
            progress=_Part(progress, 0.7, 0.3),
        )
    return Decision(
        options=options,
        uncertainty=result,
        backtest=backtest,
        coverage=cover,
        sensitivity=sens,
        recommendation=recommendation(analysis, result, options.promote_at),
    )
