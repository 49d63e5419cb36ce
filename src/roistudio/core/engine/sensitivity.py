"""Assumption sensitivity: tornado, break-even parameter values and a Monte Carlo over ranges.

Semantics (``docs/uncertainty.md``; fixed, tests pin them), for the champion:

- Tornado: each ranged parameter at its low and its high end, the others at their base values:
  the value at the operating threshold (held fixed) and the best value (re-optimised), with the
  best threshold (``None`` = flag nobody).
- Break-even of a parameter: every value in its range at which the value of the model at the
  operating threshold (operating value minus the better baseline, both under that parameter
  value) crosses zero, the other parameters at base. There can be none, one or several.
- Monte Carlo: independent uniform draws over all ranges; per draw the value at the operating
  threshold and the value of the model; 5th/50th/95th percentiles and the share of draws in
  which the model pays off (value of the model > 0).

Payoffs linear in their parameters (``c0(row) + sum_j p_j c_j(row)``) are handled exactly from
per-parameter aggregates along the curve (:func:`~roistudio.core.engine.linear.linear_aggregates`,
one scan): every figure is then numpy over those arrays, and break-even values are the roots of
piecewise-linear functions, exact. Other payoffs are evaluated in DuckDB, many parameter settings
per scan at the held policies (outcome counts at a fixed threshold do not change, only the payoff
sums do), with the break-even values bracketed on a grid and refined by repeated k-section.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import numpy as np

from roistudio.core.engine.aggregator import DuckDBAggregator, RowAggregator
from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.baselines import baseline_fractions, better_baseline_values
from roistudio.core.engine.bootstrap import DEFAULT_SEED
from roistudio.core.engine.break_even_values import bracketed_roots, piecewise_linear_roots
from roistudio.core.engine.curve import TIE_TOLERANCE, Curve
from roistudio.core.engine.linear import (
    LinearAggregates,
    aggregates_from_column_sums,
    aggregates_from_sweeps,
    linear_aggregates,
)
from roistudio.core.engine.parameter_ranges import ParameterRange, check_ranges
from roistudio.core.engine.sweep import ColumnSumsCache, payoff_row_values
from roistudio.core.errors import RoiError
from roistudio.core.progress import Progress, check_cancelled

DEFAULT_DRAWS = 5000
_BATCH = 48  # parameter settings per scan for payoffs that are not linear in their parameters


@dataclass(frozen=True)
class TornadoBar:
    """One parameter at its range ends, the others at base."""

    name: str
    low: float
    high: float
    value_at_low: float
    value_at_high: float
    best_value_at_low: float
    best_value_at_high: float
    best_threshold_at_low: float | None
    best_threshold_at_high: float | None

    @property
    def swing(self) -> float:
        return abs(self.value_at_high - self.value_at_low)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """Tornado bars (largest swing first), break-even values and the Monte Carlo draws."""

    base_value: float
    base_value_of_model: float
    parameters: tuple[TornadoBar, ...]
    break_even: dict[str, tuple[float, ...]]
    draws: int
    values: np.ndarray = field(repr=False)
    values_of_model: np.ndarray = field(repr=False)
    exact: bool = True

    @property
    def p_positive(self) -> float:
        return float(np.mean(self.values_of_model > 0)) if self.draws else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """The ``sensitivity`` block of the JSON contract."""

        def pct(x: np.ndarray) -> dict[str, Any]:
            p5, p50, p95 = np.percentile(x, [5, 50, 95]) if len(x) else (None, None, None)
            return {"p5": p5, "p50": p50, "p95": p95}

        return {
            "parameters": [b.to_dict() for b in self.parameters],
            "break_even": [{"name": k, "values": list(v)} for k, v in self.break_even.items()],
            "monte_carlo": {
                "draws": self.draws,
                "value": pct(self.values),
                "value_of_model": pct(self.values_of_model),
                "p_positive": self.p_positive if self.draws else None,
            },
        }


def _best(values: np.ndarray, thresholds: np.ndarray) -> tuple[float, float | None]:
    """Best value and its threshold with the curve's tie rule (NaN threshold = flag nobody)."""
    best = float(values.max())
    index = int(np.argmax(values >= best - TIE_TOLERANCE))
    return best, (None if index == 0 else float(thresholds[index]))


# -- linear payoffs: exact, from per-parameter aggregates -------------------------------------------


def _linear(
    analysis: Analysis,
    aggregates: LinearAggregates,
    ranges: Sequence[ParameterRange],
    draws: int,
    rng: np.random.Generator,
) -> Sensitivity:
    champion = analysis.champion
    fractions = baseline_fractions(champion.curve, champion.constraints)
    names = aggregates.parameter_names
    base = dict(analysis.request.payoff.parameters)
    thresholds = champion.curve.thresholds
    op, last = champion.operating.index, len(champion.curve) - 1
    terms = aggregates.terms

    def policy(index: int) -> tuple[float, dict[str, float]]:
        """A policy's value as ``a0 + sum(p * a_p)``: its parameter-free part and coefficients."""
        return float(terms[None][index]), {n: float(terms[n][index]) for n in names}

    bars, roots = [], {}
    for r in ranges:
        ends = []
        for value in (r.low, r.high):
            curve_values = aggregates.value({r.name: value})
            ends.append((float(curve_values[op]), *_best(curve_values, thresholds)))
        bars.append(
            TornadoBar(
                r.name, r.low, r.high, ends[0][0], ends[1][0], ends[0][1], ends[1][1], ends[0][2], ends[1][2]
            )
        )
        lines = []
        for index in (op, 0, last):
            a0, coefficients = policy(index)
            fixed = a0 + sum(base[n] * c for n, c in coefficients.items() if n != r.name)
            lines.append((fixed, coefficients.get(r.name, 0.0)))
        (a_op, b_op), (a_no, b_no), (a_all, b_all) = lines
        # Value of the model = op - the better allowed baseline; each baseline is a line too.
        baselines = [(a_no + f * (a_all - a_no), b_no + f * (b_all - b_no)) for f in fractions]
        roots[r.name] = piecewise_linear_roots([(a_op, b_op), *baselines], r.low, r.high)
    draw_matrix = np.column_stack([rng.uniform(r.low, r.high, draws) for r in ranges]) if draws else None

    def policy_draws(index: int) -> np.ndarray:
        a0, coefficients = policy(index)
        fixed = a0 + sum(base[n] * c for n, c in coefficients.items() if n not in {r.name for r in ranges})
        slope = np.array([coefficients.get(r.name, 0.0) for r in ranges])
        assert draw_matrix is not None
        out: np.ndarray = fixed + draw_matrix @ slope
        return out

    if draws:
        values = policy_draws(op)
        of_model = values - better_baseline_values(policy_draws(0), policy_draws(last), fractions)
    else:
        values = of_model = np.zeros(0)
    return _result(analysis, bars, roots, draws, values, of_model, exact=True)


# -- other payoffs: many parameter settings per scan -----------------------------------------------


class _HeldPolicies:
    """Values at the operating threshold, flag nobody and flag everyone for parameter settings."""

    def __init__(self, rows: RowAggregator, analysis: Analysis, progress: Progress | None):
        self.rows, self.analysis, self.progress = rows, analysis, progress
        built = rows.built
        self.query = built.query
        model = built.model_rows(analysis.champion.name)
        self.params = model.params
        dialect = self.query.dialect
        conds = [*model.conditions, f"({self.query.label_sql}) IS NOT NULL"]
        self.source = f"FROM {dialect.quote_identifier(self.query.table)} WHERE {' AND '.join(conds)}"
        threshold = analysis.champion.operating.threshold
        # No threshold = flag nobody: a FALSE condition (no infinite value to bind on any engine).
        self.flagged = "FALSE"
        if threshold is not None:
            self.params["hp_t"] = float(threshold)
            self.flagged = f"{model.score_sql} >= {dialect.placeholder.format(name='hp_t')}"

    def __call__(self, settings: list[dict[str, float]]) -> np.ndarray:
        """``len(settings)`` x 3 array: (operating, flag nobody, flag everyone) values."""
        payoff = self.analysis.request.payoff
        out = []
        # An engine whose every job costs a fixed start-up (Spark) takes more settings per scan.
        batch = getattr(self.rows, "settings_per_scan", _BATCH)
        for start in range(0, len(settings), batch):
            check_cancelled(self.progress)
            params = dict(self.params)
            sums = []
            for j, setting in enumerate(settings[start : start + batch]):
                query = replace(self.query, payoff=payoff.with_parameters(**setting))
                v = payoff_row_values(query, params, prefix=f"hp{j}_")
                # coalesce: a sum over no rows is 0, as the policy's value is.
                sums += [
                    f"coalesce(sum(CASE WHEN {self.flagged} THEN {v['v_flag']} ELSE {v['v_keep']} END), 0)",
                    f"coalesce(sum({v['v_keep']}), 0)",
                    f"coalesce(sum({v['v_flag']}), 0)",
                ]
            select = ", ".join(f"{sql} AS h{i}" for i, sql in enumerate(sums))
            arrays = self.rows.fetch(f"SELECT {select} {self.source}", params)
            row = [float(np.asarray(arrays[f"h{i}"], dtype=np.float64)[0]) for i in range(len(sums))]
            out.append(np.asarray(row, dtype=np.float64).reshape(-1, 3))
        return np.concatenate(out) if out else np.zeros((0, 3))


def _model_value(held: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    out: np.ndarray = held[:, 0] - better_baseline_values(held[:, 1], held[:, 2], fractions)
    return out


def _generic(
    rows: RowAggregator,
    analysis: Analysis,
    ranges: Sequence[ParameterRange],
    draws: int,
    rng: np.random.Generator,
    progress: Progress | None,
) -> Sensitivity:
    champion = analysis.champion
    fractions = baseline_fractions(champion.curve, champion.constraints)
    base = dict(analysis.request.payoff.parameters)
    held = _HeldPolicies(rows, analysis, progress)
    bars, roots = [], {}
    for r in ranges:
        ends = []
        for value in (r.low, r.high):
            check_cancelled(progress)
            payoff = analysis.request.payoff.with_parameters(**{r.name: value})
            curve: Curve = rows.sweep(payoff).overall[champion.name]
            best = curve.optimum()
            ends.append((curve.at(champion.operating.threshold).value, best.value, best.threshold))
        bars.append(
            TornadoBar(
                r.name, r.low, r.high, ends[0][0], ends[1][0], ends[0][1], ends[1][1], ends[0][2], ends[1][2]
            )
        )

        def evaluate(points: np.ndarray, name: str = r.name) -> np.ndarray:
            return _model_value(held([{**base, name: float(p)} for p in points]), fractions)

        roots[r.name] = bracketed_roots(evaluate, r.low, r.high)
    draw_matrix = (
        np.column_stack([rng.uniform(r.low, r.high, draws) for r in ranges]) if draws else np.zeros((0, 0))
    )
    settings = [
        {**base, **{r.name: float(v) for r, v in zip(ranges, row, strict=True)}} for row in draw_matrix
    ]
    values = held(settings)
    return _result(analysis, bars, roots, draws, values[:, 0], _model_value(values, fractions), exact=False)


def _result(
    analysis: Analysis,
    bars: Sequence[TornadoBar],
    roots: dict[str, tuple[float, ...]],
    draws: int,
    values: np.ndarray,
    of_model: np.ndarray,
    *,
    exact: bool,
) -> Sensitivity:
    champion = analysis.champion
    return Sensitivity(
        base_value=champion.operating.value,
        base_value_of_model=champion.value_of_model,
        parameters=tuple(sorted(bars, key=lambda b: -b.swing)),
        break_even=roots,
        draws=draws,
        values=np.asarray(values, dtype=np.float64),
        values_of_model=np.asarray(of_model, dtype=np.float64),
        exact=exact,
    )


def sensitivity(
    con: duckdb.DuckDBPyConnection,
    analysis: Analysis,
    ranges: Sequence[ParameterRange],
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    cache: ColumnSumsCache | None = None,
    rows: RowAggregator | None = None,
) -> Sensitivity:
    """Tornado, break-even values and Monte Carlo of the champion over parameter ranges.

    Parameters
    ----------
    con
        The connection the analysis ran on.
    analysis
        Result of :func:`roistudio.core.engine.analysis.analyse`.
    ranges
        Parameters of the payoff with their low and high values.
    draws
        Monte Carlo draws (uniform, independent over the ranges); 0 skips the Monte Carlo.
    seed
        Random seed of the draws.
    progress
        Optional progress/cancel object.
    cache
        The column-sums cache the analysis was run with: a payoff linear in its parameters and
        affine in its columns then needs no scan at all.
    rows
        Where the analysis's rows are aggregated again (default: DuckDB on ``con``). Another
        engine's aggregator (Spark) gives the same figures: linear payoffs from its sweeps at
        unit parameter values, others from its sums at the held policies.

    Raises
    ------
    RoiError
        When a range names no parameter of the payoff.
    """
    check_ranges(analysis, ranges)
    if draws < 0:
        raise RoiError(f"Monte Carlo draws must not be negative, got {draws}")
    rng = np.random.default_rng(seed)
    # Draws are made in parameter-name order, so the same ranges give the same figures whatever
    # order they were given in (command line or project file).
    ranges = sorted(ranges, key=lambda r: r.name)
    if not ranges:
        return _result(analysis, [], {}, 0, np.zeros(0), np.zeros(0), exact=True)
    if progress is not None:
        progress.progress(0.05, "Sensitivity: per-parameter aggregates")
    aggregates = None
    if rows is not None and analysis.request.payoff.is_linear_in_parameters():
        aggregates = aggregates_from_sweeps(analysis, rows.sweep)
    elif analysis.request.payoff.is_linear_in_parameters():
        if cache is not None:
            aggregates = aggregates_from_column_sums(con, analysis, cache)
        if aggregates is None:
            aggregates = linear_aggregates(
                con, analysis.table, analysis, np.arange(len(analysis.champion.curve))
            )
    check_cancelled(progress)
    if aggregates is not None:
        result = _linear(analysis, aggregates, ranges, draws, rng)
    else:
        result = _generic(rows or DuckDBAggregator(con, analysis), analysis, ranges, draws, rng, progress)
    if progress is not None:
        progress.progress(1.0, "Sensitivity done")
    return result
