"""Compiling a checked :class:`~.expr.Expr` to a spreadsheet formula (Excel's syntax, as stored in .xlsx).

The workbook carries one formula per row and outcome when a payoff is not linear in its
parameters, so a reader who changes a parameter cell sees every money figure follow. Columns
become cell references of the row (the caller says which), parameters the workbook's defined
names; numbers are rendered from the parsed float, text literals are quoted, never user text.

What a spreadsheet cannot say exactly, decided construct by construct (the rule: a formula
either gives the language's number or an error, never another number):

- **Missing values.** A spreadsheet has no NULL: an empty cell reads as 0. The compiler assumes
  the cells it references are never empty; the caller must refuse formulas when a used column
  has missing values (the workbook then keeps fixed values and says so). Under that assumption
  ``coalesce(a, ...)`` is ``a``.
- **NaN and infinities.** None exist in a spreadsheet: where the language gives ``inf`` or NaN
  (``x / 0``, ``log(0)``, ``sqrt(-1)``, a negative base to a non-integer power, overflow) the
  formula gives an error (``#DIV/0!``, ``#NUM!``, ``#N/A``), and so does every sum over it. The
  analysis refuses non-finite payoffs too, so the workbook can only meet them after a reader
  changes a parameter. One difference: where the language turns an infinite intermediate back
  into a number (``min(1 / 0, 5)`` is 5, ``exp(-1 / 0)`` is 0, ``(1 / 0) > 3`` is true), the
  formula shows an error; an error, not a different number.
- **Powers.** ``POWER`` (not ``^``: Excel reads ``-2^2`` as 4, the language as -4). A negative base
  to a non-integer power is ``#N/A`` (LibreOffice would give ``(-8)^(1/3) = -2``); ``x ** 0`` is 1,
  as in the language (Excel's ``POWER(0, 0)`` is ``#NUM!``).
- **Text.** ``==`` is ``EXACT`` (Excel's ``=`` ignores case, the language does not). Text literals
  longer than 255 characters, or holding control characters, are refused (Excel's limit).
- **true/false** used as a number is ``IF(x, 1, 0)`` (``MIN``/``MAX`` skip booleans in cells).
- **round.** ``round(x)`` is ``ROUND(x, 0)``: halves away from zero, as the language. Spreadsheet
  engines round their 15 significant digits, so a value within about 1e-15 (relative) of a half
  may round the other way. ``round(x, d)`` is refused: engines round the decimal text
  (``2.675`` -> 2.68) where the language rounds the binary value (2.67); the message says to
  write ``round(x * 100) / 100``.
- **Numbers** with more than 15 significant digits (Excel reads only 15) are written as the sum
  of two literals that add up to the same double.
- **Limits.** A formula longer than 8,192 characters or nesting functions more than 64 deep
  (Excel's limits) is refused.

Refusals raise :class:`ExcelFormulaError` (a :class:`~roistudio.core.errors.PayoffError`)
naming the construct and its position.
"""

from __future__ import annotations

from collections.abc import Mapping

from roistudio.core.errors import PayoffError
from roistudio.core.payoff.check import constant_value
from roistudio.core.payoff.expr import Expr

__all__ = ["MAX_FORMULA_LENGTH", "MAX_NESTING", "ExcelFormulaError", "excel_formula", "number_literal"]

MAX_FORMULA_LENGTH = 8192  # Excel's limit on a formula's text
MAX_NESTING = 64  # Excel's limit on nested function calls
_MAX_TEXT = 255  # Excel's limit on a text literal inside a formula

_COMPARE = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_FUNCTIONS = {"abs": "ABS", "exp": "EXP", "log": "LN", "sqrt": "SQRT", "min": "MIN", "max": "MAX"}


class ExcelFormulaError(PayoffError):
    """The expression cannot be written as a spreadsheet formula with the language's meaning."""


def excel_formula(e: Expr, *, columns: Mapping[str, str], parameters: Mapping[str, str]) -> str:
    """The spreadsheet formula (without the leading ``=``) of a numeric expression.

    Parameters
    ----------
    e
        A checked expression (:func:`~.check.parse_expression`).
    columns
        Column name -> cell reference of the row, e.g. ``{"amount": "D5"}``. Those cells must
        never be empty (see the module's notes on missing values).
    parameters
        Parameter name -> the workbook's defined name holding its value.

    Returns
    -------
    str
        E.g. ``-MAX(((r*d)*D5),c)`` for ``-max(r * d * balance, c)``.

    Raises
    ------
    ExcelFormulaError
        For a construct a spreadsheet cannot compute with the language's meaning, or a formula
        over Excel's limits; the message names the construct and its position.
    """
    writer = _Writer(columns, parameters)
    text = writer.num(e, 0)
    if len(text) + 1 > MAX_FORMULA_LENGTH:
        raise ExcelFormulaError(
            f"the expression's spreadsheet formula would be {len(text) + 1:,} characters long; "
            f"spreadsheets allow {MAX_FORMULA_LENGTH:,}",
            position=e.pos,
        )
    return text


def _where(e: Expr) -> str:
    return f"{e.pos[0]}:{e.pos[1]}"


def number_literal(value: float) -> str:
    """A number as Excel reads it: up to 15 significant digits, else an exact sum of two literals."""
    short = _upper_e(f"{value:.15g}")
    if float(short) == value:
        return short
    head = float(f"{value:.15g}")
    tail = value - head  # exact: head is within a relative 1e-15 of value (Sterbenz)
    sign = "-" if tail < 0 else "+"
    return f"({short}{sign}{_upper_e(f'{abs(tail):.15g}')})"


def _upper_e(text: str) -> str:
    return text.replace("e", "E")


class _Writer:
    def __init__(self, columns: Mapping[str, str], parameters: Mapping[str, str]):
        self.columns = columns
        self.parameters = parameters

    def call(self, function: str, args: list[str], depth: int, e: Expr) -> str:
        if depth > MAX_NESTING:
            raise ExcelFormulaError(
                f"the expression at {_where(e)} nests functions more than {MAX_NESTING} deep in a "
                "spreadsheet formula (Excel's limit)",
                position=e.pos,
            )
        return f"{function}({','.join(args)})"

    def num(self, e: Expr, depth: int) -> str:
        """The expression as a number (true/false read as 1/0)."""
        if e.kind == "bool":
            return self.call("IF", [self.cond(e, depth + 1), "1", "0"], depth + 1, e)
        return self.value(e, depth)

    def cond(self, e: Expr, depth: int) -> str:
        """A true/false expression as a condition."""
        return self.value(e, depth)

    def text(self, e: Expr) -> str:
        if e.op == "col":
            return self.column(e)
        value = str(e.value)
        if len(value) > _MAX_TEXT or any(ord(ch) < 32 for ch in value):
            raise ExcelFormulaError(
                f"text {value[:20]!r}... at {_where(e)} cannot be written in a spreadsheet formula "
                f"(at most {_MAX_TEXT} characters, no line breaks)",
                position=e.pos,
            )
        return '"' + value.replace('"', '""') + '"'

    def column(self, e: Expr) -> str:
        name = str(e.value)
        if name not in self.columns:
            raise ExcelFormulaError(f"column '{name}' has no cell in the workbook", position=e.pos)
        return self.columns[name]

    def value(self, e: Expr, depth: int) -> str:
        op = e.op
        if op == "num":
            return number_literal(float(e.value))  # type: ignore[arg-type]
        if op == "bool":
            return "TRUE()" if e.value else "FALSE()"
        if op == "col":
            return self.column(e)
        if op == "param":
            name = str(e.value)
            if name not in self.parameters:
                raise ExcelFormulaError(f"parameter '{name}' has no name in the workbook", position=e.pos)
            return self.parameters[name]
        if op == "str":
            return self.text(e)
        if op == "neg":
            return f"(-{self.num(e.args[0], depth)})"
        if op == "pos":
            return self.num(e.args[0], depth)
        if op == "not":
            return self.call("NOT", [self.cond(e.args[0], depth + 1)], depth + 1, e)
        if op in ("+", "-", "*", "/"):
            return f"({self.num(e.args[0], depth)}{op}{self.num(e.args[1], depth)})"
        if op == "**":
            return self.power(e, depth)
        if op in ("and", "or"):
            return self.call(op.upper(), [self.cond(a, depth + 1) for a in e.args], depth + 1, e)
        if op == "cmp":
            return self.compare(e, depth)
        if op == "if":
            test, body, orelse = e.args
            args = [self.cond(test, depth + 1), self.num(body, depth + 1), self.num(orelse, depth + 1)]
            return self.call("IF", args, depth + 1, e)
        if op == "call":
            return self.function(e, depth)
        raise AssertionError(f"unknown node {op}")

    def compare(self, e: Expr, depth: int) -> str:
        operators: tuple[str, ...] = e.value  # type: ignore[assignment]
        chained = len(operators) > 1
        inner = depth + 1 if chained else depth
        pairs = []
        for op, left, right in zip(operators, e.args, e.args[1:], strict=False):
            if left.kind == "str" and right.kind == "str":
                exact = self.call("EXACT", [self.text(left), self.text(right)], inner + 1, e)
                pairs.append(exact if op == "==" else self.call("NOT", [exact], inner + 1, e))
            else:
                pairs.append(f"({self.num(left, inner)}{_COMPARE[op]}{self.num(right, inner)})")
        return self.call("AND", pairs, depth + 1, e) if chained else pairs[0]

    def power(self, e: Expr, depth: int) -> str:
        base_expr, exponent_expr = e.args
        exponent = constant_value(exponent_expr)  # the checker only lets constant exponents through
        if exponent is None:
            raise AssertionError("exponents are constants")
        if exponent == 0:
            return "1"  # x ** 0 is 1 whatever x is (NaN too), as in the language
        whole = exponent == int(exponent)
        base = self.num(base_expr, depth + (1 if whole else 2))
        power = self.call("POWER", [base, self.num(exponent_expr, depth + 1)], depth + (1 if whole else 2), e)
        if whole:
            return power
        # A negative base to a non-integer power is NaN in the language: an error here.
        return self.call("IF", [f"({base}<0)", "NA()", power], depth + 1, e)

    def function(self, e: Expr, depth: int) -> str:
        name = str(e.value)
        if name == "coalesce":
            # Referenced cells are never empty (the caller's guarantee), so the first argument is
            # never missing: SQL's COALESCE returns it.
            return self.num(e.args[0], depth)
        if name == "round":
            if len(e.args) == 2:
                digits = int(float(e.args[1].value))  # type: ignore[arg-type]
                scale = f"{10.0**digits:g}"
                raise ExcelFormulaError(
                    f"round(..., {digits}) at {_where(e)} cannot be a spreadsheet formula: spreadsheets "
                    f"round 2.675 to 2.68 where the payoff language gives 2.67; write round(x * {scale}) "
                    f"/ {scale} instead",
                    position=e.pos,
                )
            return self.call("ROUND", [self.num(e.args[0], depth + 1), "0"], depth + 1, e)
        if name == "clip":
            x, low, high = (self.num(a, depth + 2) for a in e.args)
            inner = self.call("MAX", [x, low], depth + 2, e)
            return self.call("MIN", [inner, high], depth + 1, e)
        args = [self.num(a, depth + 1) for a in e.args]
        return self.call(_FUNCTIONS[name], args, depth + 1, e)
