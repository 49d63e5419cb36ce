"""A payoff that is linear in its parameters, split into per-parameter aggregates along a curve.

When every outcome's payoff is ``c0(row) + sum_j p_j * c_j(row)`` (see
:meth:`roistudio.core.payoff.language.Payoff.parameter_terms`), the value of a policy is

    ``value(index) = A0[index] + sum_j p_j * Aj[index]``

where ``Aj[index]`` sums coefficient ``c_j`` over the rows with each outcome at that curve point
(TP and FN over positives, FP and TN over negatives). The workbook stores the ``Aj`` and writes
every money figure as that formula over the parameter cells, so a reader who changes
``review_cost`` in Excel sees every money figure move, exactly.

The aggregation mirrors :func:`roistudio.core.engine.sweep.run_sweep` (same filter, label rule and score
validity rule) and uses :meth:`Curve.from_score_aggregates` for the cumulative sums, so its points
line up index for index with the champion curve of the analysis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import analysis_query
from roistudio.core.engine.curve import Curve
from roistudio.core.engine.results import GroupResult, ModelResult
from roistudio.core.engine.sweep import ColumnSumsCache, SweepResult, run_sweep
from roistudio.core.payoff.language import OUTCOMES, Payoff
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
        Result of :func:`roistudio.core.engine.analysis.analyse` on ``table``.
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
    split = _split(analysis)
    if split is None:
        return None
    keys = _term_keys(split)
    champion = analysis.champion
    score, label_sql, conds, params = _model_rows(analysis, champion)
    columns, aggregates = _coefficient_sums(split, keys, params)
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
            tp_value=np.asarray(arrays[f"tp_{j}"], dtype=np.float64),
            fp_value=np.asarray(arrays[f"fp_{j}"], dtype=np.float64),
            tn_value=np.asarray(arrays[f"tn_{j}"], dtype=np.float64),
            fn_value=np.asarray(arrays[f"fn_{j}"], dtype=np.float64),
            unlabeled=arrays["unl"],
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


def aggregates_from_column_sums(
    con: duckdb.DuckDBPyConnection, analysis: Analysis, cache: ColumnSumsCache
) -> LinearAggregates | None:
    """Per-parameter aggregates along the champion curve from cached per-score column sums.

    For a payoff linear in its parameters and affine in the row's columns, the curve's value is
    ``A0 + sum_j p_j Aj``: ``A0`` is the curve with every parameter at 0 and ``Aj`` the change
    when ``p_j`` is 1. Each is a sweep from the sums the analysis cached (numpy over the
    distinct scores, no scan). ``None`` when the payoff is not affine in its columns or the
    curves do not line up with the analysis's.
    """
    payoff = analysis.request.payoff
    if payoff.column_terms() is None:
        return None
    # The very query analyse() ran, so the sums it cached are found.
    built = analysis_query(analysis)
    query, sources = built.query, list(built.sources)

    def sweep(changed: Payoff) -> SweepResult:
        return run_sweep(con, replace(query, payoff=changed), sources, cache=cache)

    return aggregates_from_sweeps(analysis, sweep)


def aggregates_from_sweeps(
    analysis: Analysis, sweep: Callable[[Payoff], SweepResult]
) -> LinearAggregates | None:
    """Per-parameter aggregates along the champion curve from sweeps at unit parameter values.

    For a payoff linear in its parameters, the curve's value is ``A0 + sum_j p_j Aj``: ``A0``
    is the curve with every parameter at 0 and ``Aj`` the change when ``p_j`` is 1. ``sweep``
    sweeps the analysis's rows under another payoff (from cached column sums on DuckDB, an
    aggregation on Spark). ``None`` when the curves do not line up with the analysis's, or the
    recomposed values do not match it.
    """
    payoff = analysis.request.payoff
    names = sorted(payoff.parameters_used())
    champion = analysis.champion
    zero = dict.fromkeys(payoff.parameters, 0.0)

    def curve_values(values: dict[str, float]) -> np.ndarray | None:
        curve = sweep(payoff.with_parameters(**values)).overall[champion.name]
        same = len(curve) == len(champion.curve) and np.array_equal(
            curve.thresholds[1:], champion.curve.thresholds[1:]
        )
        return curve.value if same else None

    base = curve_values(zero)
    if base is None:
        return None
    terms: dict[str | None, np.ndarray] = {None: base}
    for name in names:
        one = curve_values({**zero, name: 1.0})
        if one is None:
            return None
        terms[name] = one - base
    result = LinearAggregates(np.arange(len(champion.curve)), terms, dict(payoff.parameters))
    expected = champion.curve.value
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    return result if np.allclose(result.value(), expected, rtol=0.0, atol=1e-9 * scale) else None


def _split(analysis: Analysis) -> dict[str, dict[str | None, Any]] | None:
    """Each outcome's payoff split into its parameter-free part and per-parameter coefficients."""
    payoff = analysis.request.payoff
    split = {o: payoff.parameter_terms(o, prefix="lin_") for o in OUTCOMES}
    return None if any(t is None for t in split.values()) else split  # type: ignore[return-value]


def _term_keys(split: Mapping[str, Mapping[str | None, Any]]) -> list[str | None]:
    """``None`` (the parameter-free part) then every parameter with a coefficient, sorted."""
    return [None, *sorted({k for t in split.values() for k in t if k is not None})]


def _coefficient_sums(
    split: Mapping[str, Mapping[str | None, Any]], term_keys: Sequence[str | None], params: dict[str, object]
) -> tuple[list[str], list[str]]:
    """SQL for the per-row coefficient columns and their sums per outcome.

    Returns the ``base`` columns (``c_<outcome>_<j>``, the coefficient of term ``j`` in that
    outcome's payoff) and the aggregates ``<outcome>_<j>``: TP and FN summed over positives, FP
    and TN over negatives. The coefficients' bound parameters are added to ``params``.
    """
    columns, sums = [], []
    for outcome in OUTCOMES:
        terms = split[outcome]
        which = "y" if outcome in ("tp", "fn") else "NOT y"
        for j, key in enumerate(term_keys):
            alias = f"{outcome}_{j}"
            if key in terms:
                columns.append(f"({terms[key].sql}) AS c_{alias}")
                params.update(terms[key].params)
                sums.append(f"coalesce(sum(c_{alias}) FILTER (WHERE {which}), 0) AS {alias}")
            else:
                sums.append(f"0.0 AS {alias}")
    return columns, sums


def _model_rows(analysis: Analysis, model: ModelResult) -> tuple[str, str, list[str], dict[str, object]]:
    """SQL pieces selecting one model's rows exactly as :func:`~roistudio.core.engine.analysis.analyse` did.

    Returns the score expression, the label condition (TRUE positive, FALSE negative, NULL
    unlabelled), the WHERE conditions and their bound parameters.
    """
    built = analysis_query(analysis)
    rows = built.model_rows(model.name)
    return rows.score_sql, built.query.label_sql, list(rows.conditions), rows.params


PERFECT = "perfect"
"""Policy "threshold" meaning perfect knowledge: every positive flagged, no negative flagged."""

Terms = dict[str | None, float]
"""Aggregates of one policy: ``None`` -> the parameter-free part, parameter name -> its coefficient sum."""


def breakdown_key_sql(analysis: Analysis, breakdown: str | None) -> str:
    """SQL of a breakdown's group key, the same expression the sweep grouped by.

    ``None`` is the whole filtered table, as one group keyed ``"all"``.
    """
    if breakdown is None:
        return "'all'"
    breakdowns = analysis_query(analysis).query.breakdowns or {}
    if breakdown not in breakdowns:
        raise ValueError(f"unknown breakdown {breakdown!r}")
    return breakdowns[breakdown]


GroupRef = tuple[str | None, str]
"""A group: its breakdown (``"segment:COLUMN"``, ``"period"``, or ``None`` for all rows) and its key."""


def policy_terms(
    con: duckdb.DuckDBPyConnection,
    table: str,
    analysis: Analysis,
    model: ModelResult,
    policies: Mapping[str, Mapping[GroupRef, float | str | None]],
    expected: Mapping[str, Mapping[GroupRef, float]],
) -> dict[GroupRef, dict[str, Terms]] | None:
    """Per-parameter aggregates of fixed-threshold policies, for groups of several breakdowns.

    Where :func:`linear_aggregates` follows the champion along its whole curve, this reads a few
    policies per group (the value at the operating threshold of each segment, its best
    threshold, perfect knowledge, a challenger's policy), so a workbook can write each of those
    money figures as ``constant + sum(parameter * aggregate)`` too. All breakdowns are read in
    one scan of the model's rows (``GROUPING SETS``), as the sweep does.

    Parameters
    ----------
    con, table
        The connection and table the analysis ran on.
    analysis
        Result of :func:`roistudio.core.engine.analysis.analyse` (its payoff must be linear in its parameters).
    model
        Whose rows and scores (the champion or the challenger of ``analysis``).
    policies
        Policy name -> group -> threshold (a row is flagged iff ``score >= threshold``), ``None``
        for flag nobody, or :data:`PERFECT` (then for every group of that policy). A group is
        ``(breakdown, key)``: ``("segment:channel", "web")``, ``("period", "2026-03-01")`` or
        ``(None, "all")`` for all rows.
    expected
        Policy name -> group -> the value the analysis found. Every recomposed value must agree
        with it, or the result is ``None``.

    Returns
    -------
    dict or None
        Group -> policy name -> :data:`Terms`; ``None`` when the payoff is not linear in its
        parameters or a recomposed value disagrees with ``expected``.
    """
    payoff = analysis.request.payoff
    split = _split(analysis)
    if split is None:
        return None
    term_keys = _term_keys(split)
    names = list(policies)
    groups = sorted(
        {g for per_group in policies.values() for g in per_group}, key=lambda g: (g[0] or "", g[1])
    )
    if not names or not groups:
        return {}
    breakdowns = sorted({b for b, _ in groups}, key=lambda b: b or "")
    ids = {b: n for n, b in enumerate(breakdowns)}

    score, label_sql, conds, params = _model_rows(analysis, model)
    coefficients, per_score = _coefficient_sums(split, term_keys, params)
    columns = [
        *(f"{breakdown_key_sql(analysis, b)} AS k{n}" for n, b in enumerate(breakdowns)),
        *coefficients,
    ]

    # One row per group with one threshold column per policy; +inf flags nobody.
    params["sel_breakdowns"] = [ids[b] for b, _ in groups]
    params["sel_keys"] = [k for _, k in groups]
    wanted = ["unnest($sel_breakdowns) AS b", "unnest($sel_keys) AS k"]
    aggregates = []
    for i, name in enumerate(names):
        per_group = policies[name]
        perfect = all(per_group.get(g) == PERFECT for g in per_group)
        if not perfect:
            params[f"sel_t{i}"] = [_threshold_value(per_group.get(g)) for g in groups]
            wanted.append(f"unnest($sel_t{i}) AS t{i}")
        for j in range(len(term_keys)):
            # Flagged: TP for positives, FP for negatives; not flagged: FN and TN.
            if perfect:
                summed = f"p.tp_{j} + p.tn_{j}"
            else:
                summed = f"CASE WHEN p.s >= w.t{i} THEN p.tp_{j} + p.fp_{j} ELSE p.fn_{j} + p.tn_{j} END"
            aggregates.append(f"coalesce(sum({summed}), 0) AS a_{i}_{j}")
    keys = [f"k{n}" for n in range(len(breakdowns))]
    # GROUPING(kn) is 0 in the set grouped by kn: that tells a per-score row's breakdown.
    which_set = " + ".join(f"(1 - GROUPING({k})) * {n}" for n, k in enumerate(keys))
    # Rows are summed per (group, score) first, so the thresholds meet distinct scores, not rows.
    sql = f"""
        WITH base AS (
            SELECT {score} AS s, ({label_sql}) AS y, {", ".join(columns)}
            FROM {quote_ident(table)} WHERE {" AND ".join(conds)}
        ),
        per_score AS (
            SELECT {which_set} AS b, coalesce({", ".join(keys)}) AS k, s, {", ".join(per_score)}
            FROM base WHERE y IS NOT NULL
            GROUP BY GROUPING SETS ({", ".join(f"({k}, s)" for k in keys)})
        ),
        wanted AS (SELECT {", ".join(wanted)})
        SELECT w.b AS b, w.k AS k, {", ".join(aggregates)}
        FROM wanted w LEFT JOIN per_score p ON p.b = w.b AND p.k = w.k
        GROUP BY w.b, w.k
    """
    arrays = con.execute(sql, params).fetchnumpy()
    values = dict(payoff.parameters)
    out: dict[GroupRef, dict[str, Terms]] = {}
    for row, (b, key) in enumerate(zip(arrays["b"], arrays["k"], strict=True)):
        group = (breakdowns[int(b)], str(key))
        out[group] = {}
        for i, name in enumerate(names):
            if group not in policies[name]:
                continue
            terms = {tk: float(arrays[f"a_{i}_{j}"][row]) for j, tk in enumerate(term_keys)}
            recomposed = terms[None] + sum(values[tk] * v for tk, v in terms.items() if tk is not None)
            want = float(expected[name][group])
            if not math.isclose(
                recomposed, want, rel_tol=0.0, abs_tol=_AGREEMENT * max(1.0, abs(want)) + 1e-9
            ):
                return None
            out[group][name] = terms
    return out


def _threshold_value(threshold: float | str | None) -> float:
    if threshold is None:
        return math.inf  # flag nobody: no finite score reaches it
    if threshold == PERFECT:
        raise ValueError("a policy is either perfect knowledge for every group or for none")
    return float(threshold)


def group_terms(
    con: duckdb.DuckDBPyConnection,
    table: str,
    analysis: Analysis,
    breakdowns: Mapping[str, Sequence[GroupResult]],
) -> dict[str, dict[str, dict[str, Terms]]] | None:
    """The aggregates behind every money figure of the breakdown tables, per group.

    Policies: ``value`` (the champion at the overall operating threshold), ``best`` (at the
    group's own best threshold), ``perfect`` (perfect knowledge, for money lost) and, with a
    challenger, ``challenger`` (the challenger at its operating threshold). One scan per model.

    Parameters
    ----------
    breakdowns
        Breakdown name (``"segment:COLUMN"``, ``"period"``) -> its groups in ``analysis``.

    Returns
    -------
    dict or None
        Breakdown -> group key -> policy -> :data:`Terms`; ``None`` as for :func:`policy_terms`.
    """
    groups = {(b, g.key): g for b, gs in breakdowns.items() for g in gs}
    if not groups:
        return {}
    champion_policies: dict[str, dict[GroupRef, float | str | None]] = {
        "value": {ref: g.operating.threshold for ref, g in groups.items()},
        "best": {ref: g.optimum.threshold for ref, g in groups.items()},
        "perfect": {ref: PERFECT for ref in groups},
    }
    expected: dict[str, dict[GroupRef, float]] = {
        "value": {ref: g.operating.value for ref, g in groups.items()},
        "best": {ref: g.optimum.value for ref, g in groups.items()},
        "perfect": {ref: g.perfect_value for ref, g in groups.items()},
    }
    found = policy_terms(con, table, analysis, analysis.champion, champion_policies, expected)
    with_challenger = {
        ref: g.challenger_operating for ref, g in groups.items() if g.challenger_operating is not None
    }
    if found is not None and analysis.challenger is not None and with_challenger:
        challenger = policy_terms(
            con, table, analysis, analysis.challenger,
            {"challenger": {ref: p.threshold for ref, p in with_challenger.items()}},
            {"challenger": {ref: p.value for ref, p in with_challenger.items()}},
        )  # fmt: skip
        if challenger is None:
            return None
        for ref, per in challenger.items():
            found.setdefault(ref, {}).update(per)
    if found is None:
        return None
    out: dict[str, dict[str, dict[str, Terms]]] = {b: {} for b in breakdowns}
    for (b, key), per in found.items():
        out[b][key] = per  # type: ignore[index]
    return out


def comparison_terms(
    con: duckdb.DuckDBPyConnection, table: str, analysis: Analysis
) -> dict[str, Terms] | None:
    """The challenger's aggregates at its best threshold (``best``) and at the common one (``common``).

    The champion's are among :func:`linear_aggregates`' key policies already. ``None`` without a
    challenger, or as for :func:`policy_terms`.
    """
    comp = analysis.comparison
    if comp is None:
        return None
    everything = (None, "all")
    terms = policy_terms(
        con, table, analysis, comp.challenger,
        {"best": {everything: comp.challenger.optimum.threshold},
         "common": {everything: comp.challenger_at_common.threshold}},
        {"best": {everything: comp.challenger.optimum.value}, "common": {everything: comp.challenger_at_common.value}},
    )  # fmt: skip
    return None if terms is None else terms[everything]


CurveTerms = dict[str | None, np.ndarray]
"""Aggregates along one whole curve: ``None`` -> the parameter-free part, parameter -> its sums,
each a float64 array aligned with the curve's points (flag nobody first)."""


def curve_terms(
    con: duckdb.DuckDBPyConnection,
    table: str,
    analysis: Analysis,
    model: ModelResult,
    breakdown: str | None,
    curves: Mapping[str, Curve],
) -> dict[str, CurveTerms] | None:
    """Per-parameter aggregates along whole curves: a model's overall curve or each group's.

    Where :func:`linear_aggregates` reads the champion at some indices, this follows every
    point of ``model``'s curve in each group of ``breakdown`` (``None``: all rows, keyed
    ``"all"``), so a workbook can find a best threshold again by formula after a parameter
    change: the challenger's, each segment's or period's, or the best under a constraint.
    One scan of the model's rows, grouped by (group, score).

    Parameters
    ----------
    con, table, analysis
        As for :func:`linear_aggregates`.
    model
        Whose rows and scores (the champion or the challenger of ``analysis``).
    breakdown
        ``"segment:COLUMN"``, ``"period"`` or ``None``.
    curves
        Group key -> the curve the analysis found for it (``{"all": model.curve}`` for ``None``).
        Groups not listed are skipped.

    Returns
    -------
    dict or None
        Group key -> :data:`CurveTerms`; ``None`` when the payoff is not linear in its
        parameters, or when a group's recomposed values or thresholds disagree with ``curves``.
    """
    split = _split(analysis)
    if split is None:
        return None
    keys = _term_keys(split)
    score, label_sql, conds, params = _model_rows(analysis, model)
    columns, aggregates = _coefficient_sums(split, keys, params)
    select_cols = ", ".join(columns)
    sql = f"""
        WITH base AS (
            SELECT CAST({breakdown_key_sql(analysis, breakdown)} AS VARCHAR) AS k, {score} AS s,
                   ({label_sql}) AS y{", " + select_cols if select_cols else ""}
            FROM {quote_ident(table)} WHERE {" AND ".join(conds)}
        )
        SELECT k, s,
               count(*) FILTER (WHERE y) AS pos,
               count(*) FILTER (WHERE NOT y) AS neg,
               count(*) FILTER (WHERE y IS NULL) AS unl,
               {", ".join(aggregates)}
        FROM base GROUP BY k, s ORDER BY k, s DESC
    """
    arrays = con.execute(sql, params).fetchnumpy()
    group_keys = np.asarray(arrays["k"], dtype=object)
    values = dict(analysis.request.payoff.parameters)
    out: dict[str, CurveTerms] = {}
    # One pass per group (not per row or threshold): each group's rows are contiguous.
    starts: list[int] = (
        np.flatnonzero(np.r_[True, group_keys[1:] != group_keys[:-1]]).tolist() if len(group_keys) else []
    )
    bounds = list(zip(starts, [*starts[1:], len(group_keys)], strict=True))
    for a, b in bounds:
        key = str(group_keys[a])
        reference = curves.get(key)
        if reference is None:
            continue
        terms: CurveTerms = {}
        for j, term in enumerate(keys):
            curve = Curve.from_score_aggregates(
                np.asarray(arrays["s"][a:b], dtype=np.float64),
                arrays["pos"][a:b],
                arrays["neg"][a:b],
                tp_value=np.asarray(arrays[f"tp_{j}"][a:b], dtype=np.float64),
                fp_value=np.asarray(arrays[f"fp_{j}"][a:b], dtype=np.float64),
                tn_value=np.asarray(arrays[f"tn_{j}"][a:b], dtype=np.float64),
                fn_value=np.asarray(arrays[f"fn_{j}"][a:b], dtype=np.float64),
                unlabeled=arrays["unl"][a:b],
                descending=True,
            )
            if len(curve) != len(reference) or not np.array_equal(
                curve.thresholds[1:], reference.thresholds[1:]
            ):
                return None
            terms[term] = np.asarray(curve.value, dtype=np.float64)
        recomposed = np.array(terms[None], dtype=np.float64)
        for name in keys[1:]:
            assert name is not None
            recomposed = recomposed + values[name] * terms[name]
        scale = max(1.0, float(np.max(np.abs(reference.value), initial=0.0)))
        if not np.allclose(recomposed, reference.value, rtol=0.0, atol=_AGREEMENT * scale + 1e-9):
            return None
        out[key] = terms
    return out
