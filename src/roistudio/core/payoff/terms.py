"""The two decompositions of a payoff expression, named for what they are linear in.

- :func:`parameter_terms`: affine in the **parameters**, ``c0(row) + sum_j p_j * c_j(row)`` with
  row-level coefficients. The workbook uses it for live formulas: the per-threshold sums of each
  ``c_j`` are written once, and Excel recomputes the value when a parameter cell changes.
- :func:`column_terms`: affine in the row's **columns**, ``constant + sum_j coefficient_j * column_j``
  with plain-number coefficients (parameters substituted). Most payoffs are
  (``tp = -amount * (1 - recovery) - review_cost``). Summed over the rows at one score, such a
  payoff is ``constant * rows + sum_j coefficient_j * sum(column_j)``, so the sweep can reuse
  per-score column sums across payoff edits instead of scanning the rows again (see
  ``roistudio.core.engine.sweep.ColumnSumsCache``). Anything else (``max``, ``if``, comparisons, a
  column times a column, division by a column) is reported as not affine and takes the SQL path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from roistudio.core.payoff.expr import Expr, names

__all__ = ["ColumnTerms", "column_terms", "parameter_terms"]


# --------------------------------------------------------------------------------------------------
# Affine in the parameters


def _num(value: float) -> Expr:
    return Expr("num", value=float(value))


def _is_number(e: Expr, value: float) -> bool:
    return e.op == "num" and e.value == value


def _mul(a: Expr, b: Expr) -> Expr:
    if _is_number(a, 1.0):
        return b
    if _is_number(b, 1.0):
        return a
    return Expr("*", (a, b), pos=a.pos)


def _add(a: Expr, b: Expr) -> Expr:
    return Expr("+", (a, b), pos=a.pos)


def _neg(a: Expr) -> Expr:
    if a.op == "num":
        return _num(-a.value)  # type: ignore[operator]
    return Expr("neg", (a,), pos=a.pos)


def parameter_terms(e: Expr) -> dict[str | None, Expr] | None:
    """Split an expression into ``c0(row) + sum_j p_j * c_j(row)``: affine in its *parameters*.

    Returns
    -------
    dict or None
        ``{None: c0, "p_j": c_j, ...}`` whose coefficients are parameter-free expressions over the
        row's columns; None if a parameter enters in any other way (``p * p``, ``max(p, x)``...).
    """
    if not names(e, "param"):
        return {None: e}
    if e.op == "param":
        return {str(e.value): _num(1.0)}
    if e.op in ("neg", "pos"):
        inner = parameter_terms(e.args[0])
        if inner is None or e.op == "pos":
            return inner
        return {k: _neg(v) for k, v in inner.items()}
    if e.op in ("+", "-", "*", "/"):
        left, right = parameter_terms(e.args[0]), parameter_terms(e.args[1])
        if left is None or right is None:
            return None
        if e.op in ("+", "-"):
            if e.op == "-":
                right = {k: _neg(v) for k, v in right.items()}
            merged = dict(left)
            for k, v in right.items():
                merged[k] = _add(merged[k], v) if k in merged else v
            return merged
        if e.op == "*" and set(left) == {None}:
            return {k: _mul(left[None], v) for k, v in right.items()}
        if set(right) == {None}:
            if e.op == "*":
                return {k: _mul(v, right[None]) for k, v in left.items()}
            return {k: Expr("/", (v, right[None]), pos=v.pos) for k, v in left.items()}
        return None
    if e.op == "if" and not names(e.args[0], "param"):
        body, orelse = parameter_terms(e.args[1]), parameter_terms(e.args[2])
        if body is None or orelse is None:
            return None
        zero = _num(0.0)
        return {
            k: Expr("if", (e.args[0], body.get(k, zero), orelse.get(k, zero)), pos=e.pos)
            for k in {*body, *orelse}
        }
    return None


# --------------------------------------------------------------------------------------------------
# Affine in the columns


@dataclass(frozen=True)
class ColumnTerms:
    """``constant + sum(coefficients[c] * column c)`` with plain-number coefficients."""

    constant: float
    coefficients: Mapping[str, float]


def _combine(a: ColumnTerms, b: ColumnTerms, sign: float) -> ColumnTerms:
    coefficients = dict(a.coefficients)
    for col, coef in b.coefficients.items():
        coefficients[col] = coefficients.get(col, 0.0) + sign * coef
    return ColumnTerms(a.constant + sign * b.constant, coefficients)


def _scale(a: ColumnTerms, factor: float) -> ColumnTerms:
    return ColumnTerms(a.constant * factor, {c: v * factor for c, v in a.coefficients.items()})


def column_terms(expr: Expr, parameters: Mapping[str, float]) -> ColumnTerms | None:
    """Reduce a checked payoff expression to ``constant + sum_j coefficient_j * column_j``, or None.

    Parameters are replaced by their values. Only numbers, parameters, numeric columns, unary
    +/-, +, -, a product with a constant side and a division by a non-zero constant are affine.
    """
    op = expr.op
    if op == "num":
        value = float(expr.value)  # type: ignore[arg-type]
        return ColumnTerms(value, {}) if math.isfinite(value) else None
    if op == "param":
        return ColumnTerms(float(parameters[str(expr.value)]), {})
    if op == "col":
        return ColumnTerms(0.0, {str(expr.value): 1.0}) if expr.kind == "num" else None
    if op in ("neg", "pos"):
        inner = column_terms(expr.args[0], parameters)
        if inner is None:
            return None
        return _scale(inner, -1.0) if op == "neg" else inner
    if op in ("+", "-", "*", "/"):
        left = column_terms(expr.args[0], parameters)
        right = column_terms(expr.args[1], parameters)
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
