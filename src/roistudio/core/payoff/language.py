"""The payoff language: what each outcome (TP, FP, TN, FN) of one row is worth in money.

The user writes one expression per outcome over row columns and named parameters, for example
``tp = amount * recovery - review_cost``, ``fp = -review_cost``, ``fn = -amount``, ``tn = 0``.
Gains are positive, costs negative.

Conventions
-----------
- The pieces: :mod:`.source` scans the text, :mod:`.check` turns the :mod:`ast` tree into a typed
  :class:`~.expr.Expr`, :mod:`.compile` writes SQL, :mod:`.terms` holds the two decompositions.
  This module is the front: :class:`Payoff`, :func:`parse_payoff` and parameter names and values.
- Syntax is a small subset of Python expressions: numbers (``1e3``, ``1_000``), ``+ - * / **``,
  unary ``-``/``+``, parentheses, comparisons (chains allowed), ``and``/``or``/``not``,
  ``a if cond else b`` and the functions in :data:`ALLOWED_FUNCTIONS`. Text literals may only be
  compared with ``==``/``!=``. Column names that are not identifiers are written in backticks,
  ``` `Transaction Amount` ```, with a literal backtick doubled.
- The text is parsed with :mod:`ast` and walked with an allow-list of node types; nothing is ever
  evaluated by Python. Expressions compile to DuckDB SQL in which every column is a quoted
  identifier and every parameter and text literal is a bound placeholder.
- Arithmetic is IEEE double arithmetic as DuckDB does it: ``1 / 0`` is ``inf``, ``0 / 0`` is NaN,
  ``log(0)`` is ``-inf``. Nothing silently becomes 0; the sweep counts non-finite payoffs.
- Missing values (NULL) propagate through arithmetic, comparisons and ``a if c else b`` (a missing
  condition gives a missing result). ``min``/``max``/``clip`` follow SQL ``LEAST``/``GREATEST`` and
  ignore missing arguments; use ``coalesce(amount, 0)`` to say what a missing value means.
- ``round`` rounds halves away from zero (SQL), not to even (Python).
- Conditions (``if``, ``and``, ``or``, ``not``) need true/false values such as comparisons; a
  comparison used as a number is 1 or 0.
"""

from __future__ import annotations

import contextlib
import keyword
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from roistudio.core.errors import PayoffError
from roistudio.core.payoff.check import ALLOWED_FUNCTIONS, FUNCTION_ARITY, check_expression, parse_expression
from roistudio.core.payoff.compile import DUCKDB, Compiler, Dialect
from roistudio.core.payoff.expr import OUTCOMES, CompiledExpr, Expr, names
from roistudio.core.payoff.terms import ColumnTerms, column_terms, parameter_terms

__all__ = [
    "ALLOWED_FUNCTIONS",
    "OUTCOMES",
    "CompiledExpr",
    "Expr",
    "Payoff",
    "check_expression",
    "parse_expression",
    "parse_parameter_assignment",
    "parse_payoff",
    "payoff_from_dict",
]

_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _check_parameter_name(name: object) -> str:
    if not isinstance(name, str) or not _PARAMETER_NAME.fullmatch(name):
        raise PayoffError(
            f"parameter name {name!r} is not valid: use up to 64 letters, digits and _, not starting with a digit"
        )
    if keyword.iskeyword(name):
        raise PayoffError(f"parameter name '{name}' is a reserved word")
    if name in FUNCTION_ARITY:
        raise PayoffError(f"parameter name '{name}' is a function name")
    return name


def _parameter_value(name: str, value: object) -> float:
    number = math.nan
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = float(value.strip())
    if not math.isfinite(number):
        raise PayoffError(f"parameter '{name}' is not a finite number: {value!r}")
    return number


def parse_parameter_assignment(text: str) -> tuple[str, float]:
    """Read ``NAME=VALUE`` (the CLI ``--param`` option), e.g. ``"review_cost=5"`` -> ``("review_cost", 5.0)``.

    Raises
    ------
    PayoffError
        ``--param expects NAME=VALUE, got 'review_cost'`` and the name/value errors of :func:`parse_payoff`.
    """
    name, equals, value = text.partition("=")
    if not equals or not name.strip() or not value.strip():
        raise PayoffError(f"--param expects NAME=VALUE, got {text!r}")
    name = _check_parameter_name(name.strip())
    return name, _parameter_value(name, value.strip())


# --------------------------------------------------------------------------------------------------
# The payoff


@dataclass(frozen=True)
class Payoff:
    """The four outcome expressions with their parameters, checked against the data's columns.

    Build it with :func:`parse_payoff`. Constructing it directly also checks everything; without
    ``column_types`` every column is taken to be numeric.
    """

    expressions: dict[str, str]
    parameters: dict[str, float]
    columns: tuple[str, ...]
    column_types: dict[str, str] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        expressions = {}
        for outcome in OUTCOMES:
            text = self.expressions.get(outcome)
            expressions[outcome] = "0" if text is None or not str(text).strip() else str(text)
        parameters = {
            _check_parameter_name(name): _parameter_value(name, value)
            for name, value in self.parameters.items()
        }
        columns = tuple(self.columns)
        types = dict(self.column_types) if self.column_types is not None else dict.fromkeys(columns, "DOUBLE")
        trees: dict[str, Expr] = {}
        for outcome in OUTCOMES:
            try:
                trees[outcome] = parse_expression(expressions[outcome], columns=types, parameters=parameters)
            except PayoffError as error:
                raise PayoffError(error.message, position=error.position, outcome=outcome) from None
        object.__setattr__(self, "expressions", expressions)
        object.__setattr__(self, "parameters", parameters)
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "column_types", types)
        object.__setattr__(self, "_trees", trees)

    def __hash__(self) -> int:  # usable as a cache key although its fields are dicts
        return hash((tuple(self.expressions.items()), tuple(sorted(self.parameters.items())), self.columns))

    def _compiler(self, prefix: str, dialect: Dialect = DUCKDB) -> Compiler:
        strings = set().union(*(names(t, "str") for t in self._trees.values()))  # type: ignore[attr-defined]
        return Compiler(prefix=prefix, parameters=self.parameters, strings=strings, dialect=dialect)

    def tree(self, outcome: str) -> Expr:
        """The checked expression tree of one outcome."""
        tree: Expr = self._trees[_check_outcome(outcome)]  # type: ignore[attr-defined]
        return tree

    def columns_used(self) -> set[str]:
        """Names of the data columns any outcome refers to."""
        return set().union(*(names(t, "col") for t in self._trees.values()))  # type: ignore[attr-defined]

    def parameters_used(self) -> set[str]:
        """Names of the parameters any outcome refers to."""
        return set().union(*(names(t, "param") for t in self._trees.values()))  # type: ignore[attr-defined]

    def compile(self, outcome: str, *, prefix: str = "", dialect: Dialect = DUCKDB) -> CompiledExpr:
        """SQL for one outcome's value per row (DOUBLE), with its bound values.

        Placeholder names start with ``prefix``; with one prefix the same parameter or text always
        gets the same placeholder, so pieces of several outcomes can share one query. ``dialect``
        is the engine (DuckDB by default, :data:`~.compile.SPARK` for Spark SQL).
        """
        return self._compiler(prefix, dialect).compile(self.tree(outcome))

    def with_parameters(self, /, **values: float) -> Payoff:
        """A new payoff with some parameter values replaced (or added); the expressions are unchanged."""
        return Payoff(self.expressions, {**self.parameters, **values}, self.columns, self.column_types)

    def is_linear_in_parameters(self) -> bool:
        """True if every outcome is ``c0(row) + sum_j p_j * c_j(row)`` (see :meth:`parameter_terms`)."""
        return all(parameter_terms(self.tree(o)) is not None for o in OUTCOMES)

    def parameter_terms(self, outcome: str, *, prefix: str = "") -> dict[str | None, CompiledExpr] | None:
        """The expression as ``c0 + sum_j p_j * c_j`` with row-only coefficients, or None if not affine.

        Parameters
        ----------
        outcome
            ``tp``, ``fp``, ``tn`` or ``fn``.
        prefix
            Placeholder name prefix, as in :meth:`compile`.

        Returns
        -------
        dict or None
            ``{None: c0, "p_j": c_j, ...}`` compiled without parameter placeholders (text literals
            are still bound). ``c0`` is always present. Note that ``SUM`` skips NULLs, so summing the
            coefficients separately equals summing the expression only where no coefficient is NULL.
        """
        terms = parameter_terms(self.tree(outcome))
        if terms is None:
            return None
        terms.setdefault(None, Expr("num", value=0.0))
        compiler = self._compiler(prefix)
        ordered = [None, *sorted(k for k in terms if k is not None)]
        return {k: compiler.compile(terms[k]) for k in ordered}

    def column_terms(self) -> dict[str, ColumnTerms] | None:
        """Every outcome as ``constant + sum_j coefficient_j * column_j`` at the current parameter values.

        Returns
        -------
        dict or None
            Outcome -> :class:`~.terms.ColumnTerms`; None if any outcome is not affine in its columns.
        """
        out: dict[str, ColumnTerms] = {}
        for outcome in OUTCOMES:
            terms = column_terms(self.tree(outcome), self.parameters)
            if terms is None:
                return None
            out[outcome] = terms
        return out

    def to_dict(self) -> dict[str, Any]:
        """``{"tp": ..., "fp": ..., "tn": ..., "fn": ..., "parameters": {...}}`` for JSON files."""
        return {**self.expressions, "parameters": dict(self.parameters)}

    def describe(self) -> str:
        """One line per outcome, e.g. ``tp = amount * recovery - review_cost``."""
        return "\n".join(f"{o} = {' '.join(self.expressions[o].split())}" for o in OUTCOMES)


def _check_outcome(outcome: str) -> str:
    if outcome not in OUTCOMES:
        raise PayoffError(f"unknown outcome {outcome!r}; use tp, fp, tn or fn")
    return outcome


def parse_payoff(
    expressions: Mapping[str, str | None], parameters: Mapping[str, float], columns: Mapping[str, str]
) -> Payoff:
    """Check a payoff against the data's columns.

    Parameters
    ----------
    expressions
        Outcome (``tp``, ``fp``, ``tn``, ``fn``) -> expression text; missing, None or blank means ``0``.
    parameters
        Parameter name -> value (a finite number, or text that reads as one).
    columns
        Column name -> DuckDB type name, e.g. ``{"amount": "DOUBLE", "channel": "VARCHAR"}``.

    Raises
    ------
    PayoffError
        With ``outcome`` set when an expression is at fault.
    """
    for key in expressions:
        _check_outcome(key)
    return Payoff(dict(expressions), dict(parameters), tuple(columns), dict(columns))  # type: ignore[arg-type]


def payoff_from_dict(data: Mapping[str, object], columns: Mapping[str, str]) -> Payoff:
    """Rebuild a payoff from :meth:`Payoff.to_dict` output (e.g. a project file)."""
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise PayoffError("payoff 'parameters' must be a mapping of name to number")
    expressions = {k: v for k, v in data.items() if k != "parameters"}
    for outcome, text in expressions.items():
        if text is not None and not isinstance(text, str):
            raise PayoffError(f"expression must be text, got {type(text).__name__}", outcome=outcome)
    return parse_payoff(expressions, parameters, columns)  # type: ignore[arg-type]
