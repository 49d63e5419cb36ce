"""Where an analysis's rows are aggregated again: the seam between the figures and the engine.

The sensitivity (other payoffs), the label-delay estimate and the walk-forward read an
analysis's rows again, but only ever as aggregates: per-score sums, a few sums at held
policies, or a whole sweep under another payoff. A :class:`RowAggregator` runs those
aggregations on the analysis's engine. Its :attr:`~RowAggregator.built` query is written in that
engine's SQL dialect (:mod:`.sweep_sql`), so the callers build one SQL text for either engine
and the numpy code after it is the same. :class:`DuckDBAggregator` is the DuckDB one; the Spark
one is :class:`roistudio.core.engine.spark_decision.SparkAggregator`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

import duckdb
import numpy as np

from roistudio.core.data.validation import ValidationReport
from roistudio.core.engine.analysis import Analysis, AnalysisRequest, analyse
from roistudio.core.engine.analysis_query import AnalysisQuery, analysis_query
from roistudio.core.engine.column_sums import fetch_arrays
from roistudio.core.engine.sweep import SweepResult, run_sweep
from roistudio.core.payoff.language import Payoff
from roistudio.core.progress import Progress


class RowAggregator(Protocol):
    """Aggregations over one analysis's rows, on the engine that swept them."""

    @property
    def built(self) -> AnalysisQuery:
        """The analysis's own query (every model and breakdown), in the engine's SQL dialect."""
        ...

    def fetch(self, sql: str, params: Mapping[str, object]) -> dict[str, np.ndarray]:
        """Run ``sql`` (the engine's dialect, bound ``params``) and return its columns as arrays."""
        ...

    def sweep(self, payoff: Payoff) -> SweepResult:
        """Every model's overall curve under ``payoff`` (no breakdowns), on the analysis's rows."""
        ...

    def reanalyse(
        self, request: AnalysisRequest, validation: ValidationReport, progress: Progress | None
    ) -> Analysis:
        """The analysis of ``request`` (same mapping and filters, validation reused) on the same data."""
        ...


@dataclass
class DuckDBAggregator:
    """:class:`RowAggregator` on the DuckDB connection the analysis ran on."""

    con: duckdb.DuckDBPyConnection
    analysis: Analysis
    _built: AnalysisQuery | None = field(default=None, repr=False)

    @property
    def built(self) -> AnalysisQuery:
        """The analysis's own query, in DuckDB SQL."""
        if self._built is None:
            self._built = analysis_query(self.analysis)
        return self._built

    def fetch(self, sql: str, params: Mapping[str, object]) -> dict[str, np.ndarray]:
        """Run ``sql`` on the connection; an interrupt is :class:`~roistudio.core.errors.Cancelled`."""
        return fetch_arrays(self.con, sql, params)

    def sweep(self, payoff: Payoff) -> SweepResult:
        """The sweep of every model under ``payoff``, without breakdowns."""
        query, sources = self.built.for_models(list(self.analysis.models), breakdowns=())
        return run_sweep(self.con, replace(query, payoff=payoff), sources)

    def reanalyse(
        self, request: AnalysisRequest, validation: ValidationReport, progress: Progress | None
    ) -> Analysis:
        """:func:`~roistudio.core.engine.analysis.analyse` on the same table, validation reused."""
        return analyse(self.con, self.analysis.table, request, validation=validation, progress=progress)
