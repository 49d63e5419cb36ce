"""One analysis: validate a mapping, sweep every model, pick the operating threshold, break down.

:func:`analyse` is the single entry point the CLI, the reports and the GUI call. It returns an
:class:`Analysis`, a frozen object holding curves and the points read off them; nothing in it
touches the database again, so the GUI can read any threshold from it at slider speed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import duckdb

from roistudio.core.column_types import is_temporal_type
from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.data.period_order import period_sort_key
from roistudio.core.data.validation import ValidationReport, validate_mapping
from roistudio.core.engine.analysis_query import (
    PERIOD_BREAKDOWN,
    build_analysis_query,
    segment_breakdown,
)
from roistudio.core.engine.baselines import better_allowed_baseline
from roistudio.core.engine.comparison import Comparison
from roistudio.core.engine.constraints import Constraints, constrained_optimum, feasible
from roistudio.core.engine.curve import Curve, CurvePoint
from roistudio.core.engine.filters import Filters
from roistudio.core.engine.results import GroupResult, ModelResult
from roistudio.core.engine.sweep import ColumnSumsCache, ModelSource, SweepResult, run_sweep
from roistudio.core.errors import MappingError
from roistudio.core.payoff.language import Payoff
from roistudio.core.progress import Progress

PolicyKind = Literal["optimal", "constrained", "user"]


@dataclass(frozen=True)
class AnalysisRequest:
    """What to analyse.

    Attributes
    ----------
    threshold, use_threshold
        With ``use_threshold`` the operating threshold is ``threshold`` as the user set it
        (``None`` = flag nobody). Otherwise it is the constrained optimum when constraints are
        given, else the free optimum.
    at
        Extra thresholds to report (``--at``).
    period
        ``day``/``week``/``month``/``quarter``/``year`` breakdown on the mapping's time column
        (which of them a column allows: :mod:`roistudio.core.data.periods`).
    """

    mapping: ColumnMapping
    payoff: Payoff
    constraints: Constraints = field(default_factory=Constraints)
    threshold: float | None = None
    use_threshold: bool = False
    at: tuple[float | None, ...] = ()
    period: str | None = None
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True, eq=False)
class Analysis:
    """The result of :func:`analyse`: everything the CLI, reports and GUI show."""

    request: AnalysisRequest
    table: str
    validation: ValidationReport
    champion: ModelResult
    challenger: ModelResult | None
    models: dict[str, ModelResult]
    policy: PolicyKind
    segments: dict[str, tuple[GroupResult, ...]]
    periods: tuple[GroupResult, ...]
    excluded_rows: int

    @property
    def comparison(self) -> Comparison | None:
        if self.challenger is None:
            return None
        labelled = sum(1 for p in self.periods if not p.fully_unlabeled) if self.periods else 0
        return Comparison(self.champion, self.challenger, labelled)

    @property
    def operating(self) -> CurvePoint:
        return self.champion.operating

    @property
    def rows(self) -> int:
        """Rows analysed (after filters), labelled or not, excluding rows with unusable scores."""
        return self.champion.curve.rows + self.champion.curve.unlabeled

    def policy_description(self) -> str:
        """Why the operating threshold is what it is, in words."""
        if self.policy == "user":
            constraints = self.request.constraints
            point = self.champion.operating
            if not constraints.is_empty() and not bool(
                feasible(self.champion.curve, constraints)[point.index]
            ):
                # Kept as the analyst set it, and said to break the limits rather than moved.
                return f"set by the analyst; it does not meet the constraints ({constraints.describe()})"
            return "set by the analyst"
        if self.policy == "constrained":
            return f"best threshold under the constraints ({self.request.constraints.describe()})"
        return "the threshold with the highest value"


def _policy_kind(request: AnalysisRequest) -> PolicyKind:
    """Why the operating threshold is what it is: set by the user, constrained or optimal."""
    if request.use_threshold:
        return "user"
    return "optimal" if request.constraints.is_empty() else "constrained"


def _model_result(name: str, column: str, curve: Curve, request: AnalysisRequest) -> ModelResult:
    optimum = curve.optimum()
    constrained = None if request.constraints.is_empty() else constrained_optimum(curve, request.constraints)
    if request.use_threshold:
        operating = curve.at(request.threshold)
    elif constrained is not None:
        operating = constrained
    elif not request.constraints.is_empty():
        operating = curve.flag_nobody()
    else:
        operating = optimum
    return ModelResult(
        name=name,
        score_column=column,
        curve=curve,
        optimum=optimum,
        constrained=constrained,
        operating=operating,
        at=tuple(curve.at(t) for t in request.at),
        break_even=tuple(
            curve.break_even_thresholds(better_allowed_baseline(curve, request.constraints).value)
        ),
        constraints=request.constraints,
    )


GroupCurves = tuple[Mapping[str, Curve], Mapping[str, Curve]]  # champion's, challenger's; by key


def _group_results(
    curves: GroupCurves, champion: ModelResult, challenger: ModelResult | None
) -> list[GroupResult]:
    """Each group read at the models' operating thresholds.

    The champion's threshold for the champion, the challenger's for the challenger, as the
    overall comparison reads them.
    """
    champion_curves, challenger_curves = curves
    threshold = champion.operating.threshold
    out = []
    for key, curve in champion_curves.items():
        other = challenger_curves.get(key) if challenger is not None else None
        out.append(
            GroupResult(
                key=key,
                curve=curve,
                operating=curve.at(threshold),
                optimum=curve.optimum(),
                challenger_operating=None if other is None else other.at(challenger.operating.threshold),  # type: ignore[union-attr]
                challenger_optimum=None if other is None else other.optimum(),
                challenger_curve=other,
            )
        )
    return out


def _breakdowns(
    curves: Mapping[str, GroupCurves],
    segment_columns: Sequence[str],
    with_periods: bool,
    champion: ModelResult,
    challenger: ModelResult | None,
) -> tuple[dict[str, tuple[GroupResult, ...]], tuple[GroupResult, ...]]:
    """The one builder of segment and period results, used by :func:`analyse` and :func:`reread`.

    Segments are ordered by money lost (most first), periods in calendar order.
    """
    segments = {
        s: tuple(
            sorted(
                _group_results(curves[segment_breakdown(s)], champion, challenger),
                key=lambda g: (-g.money_lost, g.key),
            )
        )
        for s in segment_columns
    }
    periods: tuple[GroupResult, ...] = ()
    if with_periods:
        periods = tuple(
            sorted(
                _group_results(curves[PERIOD_BREAKDOWN], champion, challenger),
                key=lambda g: period_sort_key(g.key),
            )
        )
    return segments, periods


def _group_curves(groups: Sequence[GroupResult]) -> GroupCurves:
    """The curves an analysis's groups were built from, for :func:`_breakdowns`."""
    return (
        {g.key: g.curve for g in groups},
        {g.key: g.challenger_curve for g in groups if g.challenger_curve is not None},
    )


def analyse(
    con: duckdb.DuckDBPyConnection,
    table: str,
    request: AnalysisRequest,
    *,
    progress: Progress | None = None,
    validation: ValidationReport | None = None,
    cache: ColumnSumsCache | None = None,
) -> Analysis:
    """Validate, sweep every model with all breakdowns in one pass, and read off the policies.

    Parameters
    ----------
    con
        Connection owning ``table``.
    table
        Table or view of the prediction export.
    request
        Mapping, payoff, constraints, operating threshold, breakdowns and filters.
    progress
        Optional progress/cancel object (see :mod:`roistudio.core.progress`).
    validation
        The validation report of an earlier call with the same table, mapping and filters.
        Passing it skips the validation queries: a payoff or constraint change re-runs only
        the aggregation.
    cache
        Column sums kept between calls on the same table (the app keeps one per open project):
        a payoff edit with a payoff affine in the row's columns then needs no scan at all. Create
        a new cache whenever the table's content changes.

    Raises
    ------
    MappingError, PayoffError
        With one line naming the problem (bad column, labels, scores or payoff rows).
    """
    mapping = request.mapping
    if request.period and not mapping.timestamp:
        raise MappingError(f"a breakdown by {request.period} needs a time column (--time COL)")
    if (request.filters.start or request.filters.end) and mapping.timestamp:
        duck_type = table_columns(con, table).get(mapping.timestamp)
        if duck_type is not None and not is_temporal_type(duck_type):
            # Comparing period labels with a date as text would keep the wrong rows.
            raise MappingError(
                f"a date range (--from/--until) needs a date or timestamp time column; "
                f"'{mapping.timestamp}' is {duck_type}"
            )
    where_sql, where_params = request.filters.to_sql(mapping.timestamp)
    if progress is not None:
        progress.progress(0.0, "Checking the data")
    if validation is None:
        # A cold sweep counts the validation in its own scan where it can (reads the data once).
        from roistudio.core.engine.one_pass import analyse_in_one_pass

        once = analyse_in_one_pass(
            con,
            table,
            request,
            where_sql=where_sql,
            where_params=where_params,
            progress=progress,
            cache=cache,
        )
        if once is not None:
            return once
    if validation is None:
        validation = validate_mapping(con, table, mapping, where_sql=where_sql, where_params=where_params)
    validation.raise_for_problems()
    built = build_analysis_query(table, request, validation)
    result = run_sweep(con, built.query, built.sources, progress=progress, cache=cache)
    return assemble_analysis(request, table, validation, list(built.sources), result)


def assemble_analysis(
    request: AnalysisRequest,
    table: str,
    validation: ValidationReport,
    sources: list[ModelSource],
    result: SweepResult,
) -> Analysis:
    """The policies, comparison and breakdowns read off swept curves, whichever engine swept them.

    ``result`` holds a curve per model (``sources`` order, champion first) and per breakdown
    named as in :func:`sweep_breakdowns`. :func:`analyse` (DuckDB) and
    :func:`roistudio.core.engine.spark.analyse_spark` both end here.
    """
    mapping = request.mapping
    champion_src = sources[0]
    champion = _model_result(
        champion_src.name, champion_src.score_column, result.overall[champion_src.name], request
    )
    models = {champion.name: champion}
    for src in sources[1:]:
        models[src.name] = _model_result(src.name, src.score_column, result.overall[src.name], request)
    challenger = models[sources[1].name] if len(sources) > 1 else None
    policy = _policy_kind(request)

    curves = {
        name: (
            result.by[name][champion.name],
            result.by[name][challenger.name] if challenger is not None else {},
        )
        for name in result.by
    }
    segments, periods = _breakdowns(curves, mapping.segments, bool(request.period), champion, challenger)
    excluded = 0
    if mapping.exclude_bad_scores:
        # Separate score columns share their rows, so the rows left out are exactly those not on
        # the champion's curve; with a model column each model has its own rows.
        analysed = champion.curve.rows + champion.curve.unlabeled
        excluded = validation.excluded_scores if mapping.model else validation.rows - analysed
    return Analysis(
        request=request,
        table=table,
        validation=validation,
        champion=champion,
        challenger=challenger,
        models=models,
        policy=policy,
        segments=segments,
        periods=periods,
        excluded_rows=excluded,
    )


def reread(analysis: Analysis, request: AnalysisRequest) -> Analysis:
    """The same curves read under a new operating policy, without any query.

    ``request`` may differ from ``analysis.request`` only in ``threshold``, ``use_threshold``,
    ``constraints`` and ``at``: those are read off the existing curves (binary searches). The
    GUI calls this on slider moves and constraint edits.

    Raises
    ------
    ValueError
        When the request changes anything that needs a new sweep (mapping, payoff, filters...).
    """
    old = analysis.request
    same = (old.mapping, old.payoff, old.period, old.filters.to_dict()) == (
        request.mapping, request.payoff, request.period, request.filters.to_dict(),
    )  # fmt: skip
    if not same:
        raise ValueError(
            "reread() only changes the threshold, constraints or asked thresholds; run analyse()"
        )
    champion_name = analysis.champion.name
    champion = _model_result(champion_name, analysis.champion.score_column, analysis.champion.curve, request)
    models = {champion_name: champion}
    for name, m in analysis.models.items():
        if name != champion_name:
            models[name] = _model_result(name, m.score_column, m.curve, request)
    challenger = models[analysis.challenger.name] if analysis.challenger else None
    curves = {segment_breakdown(s): _group_curves(gs) for s, gs in analysis.segments.items()}
    if old.period:
        curves[PERIOD_BREAKDOWN] = _group_curves(analysis.periods)
    segments, periods = _breakdowns(curves, tuple(analysis.segments), bool(old.period), champion, challenger)
    policy = _policy_kind(request)
    return Analysis(
        request, analysis.table, analysis.validation, champion, challenger, models, policy,
        segments, periods, analysis.excluded_rows,
    )  # fmt: skip


def reread_at(analysis: Analysis, threshold: float | None) -> Analysis:
    """The same analysis with a user-set operating threshold, read off the existing curves."""
    return reread(analysis, replace(analysis.request, threshold=threshold, use_threshold=True))
