"""Payoffs that are affine in the row's columns: ``constant + sum_j coefficient_j * column_j``.

Most payoffs are (``tp = -amount * (1 - recovery) - review_cost``). Summed over the rows at one
score, such a payoff is ``constant * rows + sum_j coefficient_j * sum(column_j)``, so the sweep
can reuse per-score column sums across payoff edits instead of scanning the rows again (see
``roistudio.core.engine.sweep.ColumnSumsCache``). Anything else (``max``, ``if``, comparisons, a
column times a column, division by a column) is reported as not affine and takes the SQL path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from roistudio.core.payoff.language import OUTCOMES, Expr, Payoff


@dataclass(frozen=True)
class AffineTerms:
    """``constant + sum(coefficients[c] * column c)`` with plain-number coefficients."""

    constant: float
    coefficients: Mapping[str, float]


def _combine(a: AffineTerms, b: AffineTerms, sign: float) -> AffineTerms:
    coefficients = dict(a.coefficients)
    for col, coef in b.coefficients.items():
        coefficients[col] = coefficients.get(col, 0.0) + sign * coef
    return AffineTerms(a.constant + sign * b.constant, coefficients)


def _scale(a: AffineTerms, factor: float) -> AffineTerms:
    return AffineTerms(a.constant * factor, {c: v * factor for c, v in a.coefficients.items()})


def affine_terms(expr: Expr, parameters: Mapping[str, float]) -> AffineTerms | None:
    """Reduce a checked payoff expression to affine terms in its columns, or None.

    Parameters are replaced by their values. Only numbers, parameters, numeric columns, unary
    +/-, +, -, a product with a constant side and a division by a non-zero constant are affine.
    """
    op = expr.op
    if op == "num":
        value = float(expr.value)  # type: ignore[arg-type]
        return AffineTerms(value, {}) if math.isfinite(value) else None
    if op == "param":
        return AffineTerms(float(parameters[str(expr.value)]), {})
    if op == "col":
        return AffineTerms(0.0, {str(expr.value): 1.0}) if expr.kind == "num" else None
    if op in ("neg", "pos"):
        inner = affine_terms(expr.args[0], parameters)
        if inner is None:
            return None
        return _scale(inner, -1.0) if op == "neg" else inner
    if op in ("+", "-", "*", "/"):
        left = affine_terms(expr.args[0], parameters)
        right = affine_terms(expr.args[1], parameters)
        if left is None or right is None:
            return None
        if op == "+":
            return _combine(left, right, 1.0)
        if op == "-":
            return _combine(left, right, -1.0)
        if op == "*":
            if not left.coefficients:
                return _scale(right, left.constant)
            if not right.coefficients:
                return _scale(left, right.constant)
            return None
        # Division: only by a non-zero constant (x / 0 is inf in SQL; the SQL path reports it).
        if right.coefficients or right.constant == 0.0:
            return None
        return _scale(left, 1.0 / right.constant)
    return None


def affine_payoff(payoff: Payoff) -> dict[str, AffineTerms] | None:
    """Affine terms of all four outcomes, or None if any outcome is not affine in its columns."""
    out = {}
    for outcome in OUTCOMES:
        terms = affine_terms(payoff.tree(outcome), payoff.parameters)
        if terms is None:
            return None
        out[outcome] = terms
    return out
