"""The one builder of an analysis's sweep query: which rows each model's figures come from.

Everything that reads an analysis's rows again (the bootstrap, the per-group intervals, the
sensitivity, the label-delay estimate, the live-formula aggregates) builds its query here from
the analysis's own table, mapping, validated label, filters and breakdowns, so it selects
exactly the rows :func:`~roistudio.core.engine.analysis.analyse` swept. The row rule itself is
:func:`~roistudio.core.engine.sweep.model_rows_sql`: models in separate score columns share
their rows (a row with any unusable score is on no curve), models split by a model column each
have their own. :meth:`AnalysisQuery.for_models` keeps that rule when only some models are
aggregated, and the full query is the very one ``analyse`` ran, so a column-sums cache it filled
is hit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.data.profile import segment_key_sql
from roistudio.core.data.validation import ValidationReport
from roistudio.core.engine.sweep import (
    ModelSource,
    SweepQuery,
    model_rows_sql,
    period_key_sql,
    valid_score_sql,
)
from roistudio.core.errors import MappingError

if TYPE_CHECKING:  # the analysis imports this module to build its query
    from roistudio.core.engine.analysis import Analysis, AnalysisRequest

PERIOD_BREAKDOWN: Final = "period"
_SEGMENT_PREFIX: Final = "segment:"


def segment_breakdown(column: str) -> str:
    """The breakdown name of a segment column, ``"segment:<column>"`` (the one place it is spelt)."""
    return _SEGMENT_PREFIX + column


def breakdown_segment(name: str) -> str | None:
    """The segment column of a breakdown name, or None for :data:`PERIOD_BREAKDOWN`."""
    return name.removeprefix(_SEGMENT_PREFIX) if name.startswith(_SEGMENT_PREFIX) else None


def model_sources(mapping: ColumnMapping, validation: ValidationReport) -> list[ModelSource]:
    """The models of an analysis, champion first, and where their scores are."""
    if mapping.challenger_score:
        return [
            ModelSource(mapping.score, mapping.score),
            ModelSource(mapping.challenger_score, mapping.challenger_score),
        ]
    if mapping.model:
        if not validation.models:
            raise MappingError(f"model column '{mapping.model}' has no values")
        champion = mapping.champion or validation.models[0]
        others = [m for m in validation.models if m != champion]
        return [ModelSource(name, mapping.score, mapping.model, name) for name in [champion, *others]]
    return [ModelSource(mapping.score, mapping.score)]


def sweep_breakdowns(request: AnalysisRequest, validation: ValidationReport) -> dict[str, str]:
    """Breakdown name -> DuckDB SQL of its key: every segment column, and the period when asked."""
    breakdowns = {segment_breakdown(s): segment_key_sql(s) for s in request.mapping.segments}
    if request.period:
        assert validation.time is not None  # validate_mapping inspects the mapped time column
        breakdowns[PERIOD_BREAKDOWN] = period_key_sql(validation.time, request.period)
    return breakdowns


@dataclass(frozen=True)
class ModelRows:
    """One model's rows as SQL pieces: its score, the WHERE conditions and their bound values.

    ``params`` holds every placeholder the conditions and the query's label use (label, filter
    and model value), so ``conditions`` can be joined with AND into any statement over the table.
    """

    score_sql: str
    conditions: tuple[str, ...]
    params: dict[str, object]

    @property
    def where_sql(self) -> str:
        """The conditions joined with AND."""
        return " AND ".join(self.conditions)


@dataclass(frozen=True)
class AnalysisQuery:
    """An analysis's sweep query and its models, as :func:`~roistudio.core.engine.analysis.analyse` ran them.

    Attributes
    ----------
    query
        Table, label, payoff, filter and every breakdown of the analysis.
    sources
        Every model of the analysis, champion first (the sweep's model indices).
    """

    query: SweepQuery
    sources: tuple[ModelSource, ...]

    @property
    def params(self) -> dict[str, object]:
        """A fresh dict of the label's and the filter's bound values."""
        return {**self.query.label_params, **(self.query.where_params or {})}

    def index(self, name: str) -> int:
        """The sweep's index of the model called ``name``."""
        return next(i for i, s in enumerate(self.sources) if s.name == name)

    def model_rows(self, name: str) -> ModelRows:
        """The rows of model ``name`` (labelled or not), exactly those on its curve."""
        i = self.index(name)
        score, conds, model_params = model_rows_sql(
            self.sources, i, where_sql=self.query.where_sql, raw_scores=self.query.raw_scores,
            dialect=self.query.dialect,
        )  # fmt: skip
        return ModelRows(score, tuple(conds), {**self.params, **model_params})

    def for_models(
        self, names: Sequence[str], *, breakdowns: Iterable[str] | None = None
    ) -> tuple[SweepQuery, list[ModelSource]]:
        """The query and sources to aggregate only the models ``names``, on their analysis rows.

        ``model_rows_sql`` decides the shared rows from the models it is given; the score
        columns of the models left out are therefore kept in the filter, so a row that any
        model's score makes unusable stays out. ``breakdowns`` keeps only those breakdowns
        (``None``: all of them, ``()``: none). With every model and every breakdown this is
        the analysis's own query.
        """
        chosen = [self.sources[self.index(n)] for n in names]
        shared = {s.score_column for s in self.sources if s.model_column is None}
        left_out = sorted(shared - {s.score_column for s in chosen})
        query = self.query
        if left_out:
            valid = " AND ".join(valid_score_sql(c, query.raw_scores, query.dialect) for c in left_out)
            query = replace(query, where_sql=f"({query.where_sql}) AND {valid}")
        if breakdowns is not None:
            keep = set(breakdowns)
            query = replace(
                query, breakdowns={k: v for k, v in (query.breakdowns or {}).items() if k in keep}
            )
        return query, chosen


def build_analysis_query(table: str, request: AnalysisRequest, validation: ValidationReport) -> AnalysisQuery:
    """The sweep query of ``request`` on ``table``, given its validation (the one builder).

    Parameters
    ----------
    table
        Table or view of the prediction export.
    request
        Mapping, payoff, filters and period of the analysis.
    validation
        The validation of the mapping on the filtered table: the label's positive value, the
        time column's form and the model column's values.
    """
    mapping = request.mapping
    where_sql, where_params = request.filters.to_sql(mapping.timestamp)
    label_sql, label_params = validation.label.condition_sql()
    query = SweepQuery(
        table=table,
        label_sql=label_sql,
        label_params=label_params,
        payoff=request.payoff,
        where_sql=where_sql,
        where_params=where_params,
        raw_scores=mapping.raw_scores,
        breakdowns=sweep_breakdowns(request, validation),
    )
    return AnalysisQuery(query, tuple(model_sources(mapping, validation)))


def analysis_query(analysis: Analysis) -> AnalysisQuery:
    """The query ``analysis`` was swept with (same rows, payoff and breakdowns)."""
    return build_analysis_query(analysis.table, analysis.request, analysis.validation)
