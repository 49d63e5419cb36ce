"""A payoff that is linear in its parameters, split into per-parameter aggregates along a curve.

When every outcome's payoff is ``c0(row) + sum_j p_j * c_j(row)`` (see
:meth:`roistudio.core.payoff.Payoff.linear_terms`), the value of a policy is

    ``value(index) = A0[index] + sum_j p_j * Aj[index]``

where ``Aj[index]`` sums coefficient ``c_j`` over the rows with each outcome at that curve point
(TP and FN over positives, FP and TN over negatives). The workbook stores the ``Aj`` and writes
every dollar figure as that formula over the parameter cells, so a reader who changes
``review_cost`` in Excel sees every dollar figure move, exactly.

The aggregation mirrors :func:`roistudio.core.sweep.run_sweep` (same filter, label rule and score
validity rule) and uses :meth:`Curve.from_score_aggregates` for the cumulative sums, so its points
line up index for index with the champion curve of the analysis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from roistudio.core.analysis import Analysis
from roistudio.core.curve import Curve
from roistudio.core.mapping import label_condition_sql
from roistudio.core.payoff import OUTCOMES
from roistudio.core.sql import quote_ident

# Relative agreement required between the recomposed and the swept values before a report may
# rely on the split (guards against NULL coefficients that SUM would silently skip).
_AGREEMENT = 1e-9


@dataclass(frozen=True, eq=False)
class LinearAggregates:
    """Per-parameter aggregates of the champion curve at some curve indices.

    Attributes
    ----------
    indices
        Champion curve indices (ascending) the arrays are given at.
    terms
        ``None`` (the parameter-free part ``A0``) and each parameter name used by the payoff ->
        float64 array aligned with ``indices``.
    parameters
        The parameter values of the analysis.
    """

    indices: np.ndarray
    terms: dict[str | None, np.ndarray]
    parameters: dict[str, float]

    @property
    def parameter_names(self) -> list[str]:
        """The parameters with a coefficient, in a stable (sorted) order."""
        return sorted(k for k in self.terms if k is not None)

    def value(self, parameters: Mapping[str, float] | None = None) -> np.ndarray:
        """``A0 + sum_j p_j * Aj`` at every index, with the analysis' or the given parameters."""
        values = {**self.parameters, **(parameters or {})}
        out = self.terms[None].copy()
        for name in self.parameter_names:
            out += values[name] * self.terms[name]
        return out

    def at(self, index: int) -> dict[str | None, float]:
        """The aggregates at one curve index (which must be among :attr:`indices`)."""
        pos = int(np.searchsorted(self.indices, index))
        if pos >= len(self.indices) or self.indices[pos] != index:
            raise KeyError(f"curve index {index} was not aggregated")
        return {k: float(v[pos]) for k, v in self.terms.items()}


def linear_aggregates(
    con: duckdb.DuckDBPyConnection, table: str, analysis: Analysis, indices: Sequence[int] | np.ndarray
) -> LinearAggregates | None:
    """Split the champion curve's value into per-parameter aggregates at ``indices``.

    Parameters
    ----------
    con
        The connection that owns ``table`` (the one the analysis ran on).
    table
        The table the analysis swept.
    analysis
        Result of :func:`roistudio.core.analysis.analyse` on ``table``.
    indices
        Champion curve indices to report (any order, duplicates allowed).

    Returns
    -------
    LinearAggregates or None
        ``None`` when the payoff is not linear in its parameters, or when the recomposed values
        do not match the analysis (e.g. a coefficient is missing on some rows, or the table
        changed since the analysis): the caller then shows fixed values.
    """
    payoff = analysis.request.payoff
    split = {o: payoff.linear_terms(o, prefix="lin_") for o in OUTCOMES}
    if any(t is None for t in split.values()):
        return None
    keys: list[str | None] = [None, *sorted({k for t in split.values() for k in t if k is not None})]  # type: ignore[union-attr]

    mapping = analysis.request.mapping
    champion = analysis.champion
    where_sql, params = analysis.request.filters.to_sql(mapping.timestamp)
    params = dict(params)
    label_sql, label_params = label_condition_sql(mapping.label, analysis.validation.label.positive_value)
    params.update(label_params)
    score = f"CAST({quote_ident(champion.score_column)} AS DOUBLE)"
    conds = [f"({where_sql})", f"{score} IS NOT NULL AND isfinite({score})"]
    if not mapping.raw_scores:
        conds.append(f"{score} BETWEEN 0 AND 1")
    if mapping.model and not mapping.challenger_score:
        # Long format: the champion's rows are those whose model column names it (as in analyse()).
        params["lin_model"] = champion.name
        conds.append(f"CAST({quote_ident(mapping.model)} AS VARCHAR) = $lin_model")

    columns = []
    aggregates = []
    for outcome in OUTCOMES:
        terms = split[outcome]
        assert terms is not None
        which = "y" if outcome in ("tp", "fn") else "NOT y"
        for j, key in enumerate(keys):
            alias = f"c_{outcome}_{j}"
            if key in terms:
                columns.append(f"({terms[key].sql}) AS {alias}")
                params.update(terms[key].params)
                aggregates.append(f"coalesce(sum({alias}) FILTER (WHERE {which}), 0) AS {alias}")
            else:
                aggregates.append(f"0.0 AS {alias}")
    select_cols = ", ".join(columns)
    sql = f"""
        WITH base AS (
            SELECT {score} AS s, ({label_sql}) AS y{", " + select_cols if select_cols else ""}
            FROM {quote_ident(table)} WHERE {" AND ".join(conds)}
        )
        SELECT s,
               count(*) FILTER (WHERE y) AS pos,
               count(*) FILTER (WHERE NOT y) AS neg,
               count(*) FILTER (WHERE y IS NULL) AS unl,
               {", ".join(aggregates)}
        FROM base GROUP BY s
    """
    arrays = con.execute(sql, params).fetchnumpy()
    scores = np.asarray(arrays["s"], dtype=np.float64)
    idx = np.unique(np.asarray(indices, dtype=np.int64))
    reference = champion.curve
    terms_out: dict[str | None, np.ndarray] = {}
    for j, key in enumerate(keys):
        curve = Curve.from_score_aggregates(
            scores,
            arrays["pos"],
            arrays["neg"],
            *(np.asarray(arrays[f"c_{o}_{j}"], dtype=np.float64) for o in ("tp", "fp", "fn", "tn")),
            arrays["unl"],
        )
        if len(curve) != len(reference) or not np.array_equal(curve.thresholds[1:], reference.thresholds[1:]):
            return None
        terms_out[key] = np.asarray(curve.value[idx], dtype=np.float64)
    result = LinearAggregates(idx, terms_out, dict(payoff.parameters))
    expected = reference.value[idx]
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    if not np.allclose(result.value(), expected, rtol=0.0, atol=_AGREEMENT * scale + 1e-9):
        return None
    return result
