"""Checking a payoff expression: :mod:`ast` tree -> typed :class:`~.expr.Expr`, with the language's limits.

Only the node types of the allow-list below become :class:`~.expr.Expr` nodes; anything else is
refused with a one-line message naming the position. Types are checked here (text only compared
with ``==``/``!=``, conditions must be true/false), so the compiler never sees an ill-typed tree.
Nothing is ever evaluated by Python.
"""

from __future__ import annotations

import ast
import difflib
import io
import itertools
import keyword
import math
import tokenize
import warnings
from collections.abc import Collection, Mapping

from roistudio.core.column_types import column_kind
from roistudio.core.errors import PayoffError
from roistudio.core.payoff.compile import Compiler
from roistudio.core.payoff.expr import ArithmeticOp, Expr, ExprKind, ExprOp, names
from roistudio.core.payoff.source import MAX_LENGTH, Source, at

__all__ = [
    "ALLOWED_FUNCTIONS",
    "FUNCTION_ARITY",
    "MAX_EXPONENT",
    "MAX_TREE_DEPTH",
    "check_expression",
    "constant_value",
    "parse_expression",
]

# name -> (minimum, maximum) number of arguments; None means "no maximum".
FUNCTION_ARITY: dict[str, tuple[int, int | None]] = {
    "abs": (1, 1),
    "clip": (3, 3),
    "coalesce": (2, None),
    "exp": (1, 1),
    "log": (1, 1),
    "max": (2, None),
    "min": (2, None),
    "round": (1, 2),
    "sqrt": (1, 1),
}
ALLOWED_FUNCTIONS: tuple[str, ...] = tuple(sorted(FUNCTION_ARITY))

MAX_TREE_DEPTH = 200  # syntax-tree depth; a long sum a+b+c+... is as deep as it has terms
MAX_EXPONENT = 10

_BINARY_OPS: dict[type, ArithmeticOp] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}
_REFUSED_BINARY_OPS: dict[type, str] = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&",
}  # fmt: skip
_COMPARE_OPS: dict[type, str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}  # fmt: skip
_REFUSED_COMPARE_OPS: dict[type, str] = {ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _kind_of_type(type_name: str) -> ExprKind:
    kind = column_kind(type_name)
    if kind == "num" or kind == "str" or kind == "bool":
        return kind
    return "other"


def _display_name(name: str) -> str:
    if name.isidentifier() and not keyword.iskeyword(name):
        return f"'{name}'"
    return "`" + name.replace("`", "``") + "`"


class _Checker:
    def __init__(self, source: Source, columns: Mapping[str, str], parameters: Collection[str]):
        self.source = source
        self.columns = columns
        self.parameters = set(parameters)

    def fail(self, message: str, node: ast.AST) -> PayoffError:
        line, column = self.source.node_pos(node)
        return PayoffError(at(message, f"{line}:{column}"), position=(line, column))

    def pos(self, node: ast.AST) -> tuple[int, int]:
        return self.source.node_pos(node)

    # type requirements -----------------------------------------------------------------------
    def need_num(self, e: Expr) -> Expr:
        if e.kind in ("num", "bool"):
            return e
        where = f"{e.pos[0]}:{e.pos[1]}"
        if e.op == "str":
            message = f"text {e.value!r} can only be compared with == or != at {where}"
        elif e.kind == "str":
            message = f"column '{e.value}' is text ({e.type_name}), not a number, at {where}"
        else:
            message = f"column '{e.value}' is {e.type_name}, not a number, at {where}"
        raise PayoffError(message, position=e.pos)

    def need_bool(self, e: Expr) -> Expr:
        if e.kind == "bool":
            return e
        where = f"{e.pos[0]}:{e.pos[1]}"
        raise PayoffError(
            f"expected a true/false condition (a comparison such as amount > 0) at {where}", position=e.pos
        )

    # conversion ------------------------------------------------------------------------------
    def convert(self, node: ast.AST) -> Expr:
        pos = self.pos(node)
        if isinstance(node, ast.Constant):
            return self.constant(node, pos)
        if isinstance(node, ast.Name):
            return self.name(node, pos)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return Expr("not", (self.need_bool(self.convert(node.operand)),), kind="bool", pos=pos)
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                sign: ExprOp = "neg" if isinstance(node.op, ast.USub) else "pos"
                return Expr(sign, (self.need_num(self.convert(node.operand)),), pos=pos)
            raise self.fail("operator '~' is not allowed at {pos}; use + - * / **", node)
        if isinstance(node, ast.BinOp):
            return self.binary(node, pos)
        if isinstance(node, ast.BoolOp):
            logic: ExprOp = "and" if isinstance(node.op, ast.And) else "or"
            values = tuple(self.need_bool(self.convert(v)) for v in node.values)
            return Expr(logic, values, kind="bool", pos=pos)
        if isinstance(node, ast.Compare):
            return self.compare(node, pos)
        if isinstance(node, ast.IfExp):
            body = self.need_num(self.convert(node.body))
            test = self.need_bool(self.convert(node.test))
            orelse = self.need_num(self.convert(node.orelse))
            return Expr("if", (test, body, orelse), pos=pos)
        if isinstance(node, ast.Call):
            return self.call(node, pos)
        raise self.refusal(node)

    def refusal(self, node: ast.AST) -> PayoffError:
        if isinstance(node, ast.Attribute):
            return self.fail(
                f"'{self.source.segment(node)}' attribute access is not allowed at {{pos}}", node
            )
        if isinstance(node, ast.Subscript):
            return self.fail("subscripts are not allowed at {pos}", node)
        if isinstance(node, ast.Lambda):
            return self.fail("lambda is not allowed at {pos}", node)
        if isinstance(node, _COMPREHENSIONS):
            return self.fail("comprehensions are not allowed at {pos}", node)
        if isinstance(node, (ast.JoinedStr, ast.FormattedValue)):
            return self.fail("f-strings are not allowed at {pos}", node)
        if isinstance(node, ast.NamedExpr):
            return self.fail("assignment (:=) is not allowed at {pos}", node)
        if isinstance(node, ast.Tuple):
            return self.fail(
                "a comma is only allowed between function arguments at {pos}; write 1000 or 1_000, not 1,000",
                node,
            )
        if isinstance(node, (ast.List, ast.Set, ast.Dict)):
            return self.fail("lists, sets and dicts are not allowed at {pos}", node)
        if isinstance(node, ast.Starred):
            return self.fail("'*' unpacking is not allowed at {pos}", node)
        return self.fail(f"'{self.source.segment(node, 30)}' is not allowed at {{pos}}", node)

    def constant(self, node: ast.Constant, pos: tuple[int, int]) -> Expr:
        value = node.value
        if isinstance(value, bool):
            return Expr("bool", value=value, kind="bool", pos=pos)
        if isinstance(value, (int, float)):
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                raise self.fail(f"number {self.source.segment(node, 20)} is too large at {{pos}}", node)
            return Expr("num", value=number, pos=pos)
        if isinstance(value, str):
            return Expr("str", value=value, kind="str", pos=pos)
        if isinstance(value, bytes):
            raise self.fail("bytes literals are not allowed at {pos}", node)
        if isinstance(value, complex):
            raise self.fail("imaginary numbers are not allowed at {pos}", node)
        if value is None:
            raise self.fail("None is not allowed at {pos}; use coalesce() for missing values", node)
        raise self.fail(f"'{self.source.segment(node, 30)}' is not allowed at {{pos}}", node)

    def column(self, name: str, pos: tuple[int, int]) -> Expr:
        type_name = str(self.columns[name])
        return Expr("col", value=name, kind=_kind_of_type(type_name), pos=pos, type_name=type_name)

    def name(self, node: ast.Name, pos: tuple[int, int]) -> Expr:
        where = f"{pos[0]}:{pos[1]}"
        backticked = self.source.placeholders.get(node.id)
        if backticked is not None:
            if backticked in self.columns:
                return self.column(backticked, pos)
            matches = difflib.get_close_matches(backticked, list(self.columns), n=1)
            hint = f", did you mean {_display_name(matches[0])}?" if matches else ""
            raise PayoffError(f"unknown column '{backticked}' at {where}{hint}", position=pos)
        # The text as typed: ast normalises identifiers (NFKC), column names are matched exactly.
        name = self.source.segment(node, 10_000)
        is_column, is_parameter = name in self.columns, name in self.parameters
        if is_column and is_parameter:
            raise PayoffError(
                f"'{name}' is both a column and a parameter at {where}; "
                f"write `{name}` for the column or rename the parameter",
                position=pos,
            )
        if is_column:
            return self.column(name, pos)
        if is_parameter:
            return Expr("param", value=name, pos=pos)
        if name in FUNCTION_ARITY:
            raise PayoffError(f"'{name}' is a function; call it like {name}(...) at {where}", position=pos)
        candidates = [*self.columns, *sorted(self.parameters)]
        matches = difflib.get_close_matches(name, candidates, n=1)
        if matches:
            what = "column" if matches[0] in self.columns else "parameter"
            message = f"unknown {what} '{name}' at {where}, did you mean {_display_name(matches[0])}?"
        else:
            message = f"unknown name '{name}' at {where}"
        raise PayoffError(message, position=pos)

    def binary(self, node: ast.BinOp, pos: tuple[int, int]) -> Expr:
        op = _BINARY_OPS.get(type(node.op))
        if op is None:
            symbol = _REFUSED_BINARY_OPS.get(type(node.op), "?")
            raise self.fail(f"operator '{symbol}' is not allowed at {{pos}}; use + - * / **", node)
        left = self.need_num(self.convert(node.left))
        right = self.need_num(self.convert(node.right))
        if op == "**":
            exponent = constant_value(right)
            text = self.source.segment(node.right, 30)
            limits = f"exponents must be constants between -{MAX_EXPONENT} and {MAX_EXPONENT}"
            if exponent is None:
                raise PayoffError(
                    f"exponent {text} is not a constant; {limits}", position=self.pos(node.right)
                )
            if not abs(exponent) <= MAX_EXPONENT:
                raise PayoffError(f"exponent {text} is too large; {limits}", position=self.pos(node.right))
        return Expr(op, (left, right), pos=pos)

    def compare(self, node: ast.Compare, pos: tuple[int, int]) -> Expr:
        ops: list[str] = []
        for node_op in node.ops:
            if type(node_op) not in _COMPARE_OPS:
                symbol = _REFUSED_COMPARE_OPS.get(type(node_op), "?")
                raise self.fail(f"operator '{symbol}' is not allowed at {{pos}}; use == != < <= > >=", node)
            ops.append(_COMPARE_OPS[type(node_op)])
        operands = [self.convert(node.left), *(self.convert(c) for c in node.comparators)]
        for op, left, right in zip(ops, operands, operands[1:], strict=False):
            texts = (left.kind == "str", right.kind == "str")
            if texts == (True, True) and op in ("==", "!="):
                continue
            if any(texts) and op in ("==", "!=") and left.kind != "other" and right.kind != "other":
                where = f"{right.pos[0]}:{right.pos[1]}"
                raise PayoffError(f"cannot compare text with a number at {where}", position=right.pos)
            self.need_num(left)
            self.need_num(right)
        return Expr("cmp", tuple(operands), value=tuple(ops), kind="bool", pos=pos)

    def call(self, node: ast.Call, pos: tuple[int, int]) -> Expr:
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute):
                raise self.refusal(node.func)
            raise self.fail("only functions called by name are allowed at {pos}", node)
        name = node.func.id
        where = f"{pos[0]}:{pos[1]}"
        if name not in FUNCTION_ARITY:
            raise PayoffError(
                f"unknown function '{name}' at {where}; allowed: {', '.join(ALLOWED_FUNCTIONS)}", position=pos
            )
        if node.keywords:
            raise self.fail("keyword arguments are not allowed at {pos}", node.keywords[0].value)
        low, high = FUNCTION_ARITY[name]
        count = len(node.args)
        if count < low or (high is not None and count > high):
            if high is None:
                expected = f"at least {low} arguments"
            elif low == high:
                expected = f"{low} argument" + ("s" if low > 1 else "")
            else:
                expected = f"{low} or {high} arguments"
            raise PayoffError(f"{name} expects {expected}, got {count}, at {where}", position=pos)
        args = [self.need_num(self.convert(a)) for a in node.args]
        if name == "round" and count == 2:
            digits = constant_value(args[1])
            # isfinite first: int() of inf (round(x, 1/0)) raises OverflowError, of NaN ValueError.
            if (
                digits is None
                or not math.isfinite(digits)
                or digits != int(digits)
                or abs(digits) > MAX_EXPONENT
            ):
                raise self.fail(
                    f"round's second argument must be a whole number between -{MAX_EXPONENT} "
                    f"and {MAX_EXPONENT} at {{pos}}",
                    node.args[1],
                )
            args[1] = Expr("num", value=float(int(digits)), pos=args[1].pos)
        return Expr("call", tuple(args), value=name, pos=pos)


def constant_value(e: Expr) -> float | None:
    """The value of a sub-expression made only of number literals and arithmetic, else None.

    Safe to compute: every exponent inside has already been checked to be a small constant.
    """
    if e.op == "num":
        return float(e.value)  # type: ignore[arg-type]
    if e.op in ("neg", "pos"):
        inner = constant_value(e.args[0])
        return None if inner is None else (-inner if e.op == "neg" else inner)
    if e.op in ("+", "-", "*", "/", "**"):
        a, b = constant_value(e.args[0]), constant_value(e.args[1])
        if a is None or b is None:
            return None
        try:
            if e.op == "+":
                return a + b
            if e.op == "-":
                return a - b
            if e.op == "*":
                return a * b
            if e.op == "/":
                return a / b
            result = a**b
            return result if isinstance(result, float) else math.nan  # complex for (-8) ** 0.5
        except (OverflowError, ZeroDivisionError):
            return math.inf
    return None


def _tree_depth_check(tree: ast.AST, source: Source) -> None:
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            line, column = source.node_pos(node) if hasattr(node, "lineno") else (1, 1)
            raise PayoffError(
                f"expression is nested too deeply (more than {MAX_TREE_DEPTH} levels) at {line}:{column}",
                position=(line, column),
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def parse_expression(text: str, *, columns: Mapping[str, str], parameters: Collection[str]) -> Expr:
    """Parse and check one payoff expression.

    Parameters
    ----------
    text
        The expression, e.g. ``"amount * recovery - review_cost"``. Blank text is an error here
        (:func:`parse_payoff` reads a blank outcome as ``0``).
    columns
        Column name -> DuckDB type name, e.g. ``{"amount": "DOUBLE", "channel": "VARCHAR"}``.
    parameters
        Names of the parameters the expression may use.

    Returns
    -------
    Expr
        The checked tree; its value is numeric (a condition at the top is read as 1 or 0).

    Raises
    ------
    PayoffError
        With a one-line message and the 1-based (line, column) of the problem.
    """
    if not isinstance(text, str):
        raise PayoffError(f"expression must be text, got {type(text).__name__}")
    if not text.strip():
        raise PayoffError("empty expression")
    if len(text) > MAX_LENGTH:
        raise PayoffError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    source = Source(text)
    try:
        with warnings.catch_warnings():
            # e.g. "'\\d'" warns about its escape; the text is data here, not code to fix.
            warnings.simplefilter("ignore")
            tree = ast.parse(source.translated, mode="eval")
    except SyntaxError as error:
        # Our own words, not CPython's: its messages and offsets change between releases.
        index, reason = _diagnose_syntax(source, error)
        line, column = source.pos_of_index(index)
        raise PayoffError(f"syntax error at {line}:{column}: {reason}", position=(line, column)) from None
    except (RecursionError, MemoryError, ValueError):
        raise PayoffError("expression is too complex to parse") from None
    _tree_depth_check(tree.body, source)
    try:
        return _check_and_trial_compile(source, tree.body, columns, parameters)
    except RecursionError:  # only when called from an already deep stack
        raise PayoffError("expression is too complex to check") from None


def _check_and_trial_compile(
    source: Source, body: ast.AST, columns: Mapping[str, str], parameters: Collection[str]
) -> Expr:
    checker = _Checker(source, columns, parameters)
    root = checker.need_num(checker.convert(body))
    # A trial compile bounds the SQL size now, so an accepted expression always compiles.
    trial = Compiler(
        prefix="", parameters=dict.fromkeys(names(root, "param"), 0.0), strings=names(root, "str")
    )
    trial.sql(root)
    return root


def check_expression(
    text: str | None, *, columns: Mapping[str, str], parameters: Collection[str]
) -> PayoffError | None:
    """Validate an expression as the user types: the error it would raise, or None if it is valid.

    Blank text is valid (an outcome left blank is worth 0), as in :func:`parse_payoff`.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        parse_expression(text, columns=columns, parameters=parameters)
    except PayoffError as error:
        return error
    return None


_OPERAND_TOKENS = (tokenize.NAME, tokenize.NUMBER, tokenize.STRING)
_KEYWORDS = {"if", "else", "and", "or", "not", "in", "is"}


def _diagnose_syntax(source: Source, error: SyntaxError) -> tuple[int, str]:
    """Where the text stops being an expression, and why, in the language's own words.

    Brackets, quotes and backticks are already checked by the scanner, so what is left is a
    missing operator between two operands, an operator with nothing after it, or a token that
    cannot stand where it is. Returns an index into the original text and the reason.
    """
    body = source.translated[1:-2]  # without the wrapping "(" and "\n)"
    try:
        tokens = [
            tok
            for tok in tokenize.generate_tokens(io.StringIO(body).readline)
            if tok.type
            not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT)
        ]
    except (tokenize.TokenError, SyntaxError):
        tokens = []

    def index(tok: tokenize.TokenInfo) -> int:
        row, col = tok.start
        return source.index_of(row, col + (1 if row == 1 else 0))

    def shown(tok: tokenize.TokenInfo) -> str:
        return source.placeholders.get(tok.string, tok.string)

    def is_operand_end(tok: tokenize.TokenInfo) -> bool:
        return (tok.type in _OPERAND_TOKENS and tok.string not in _KEYWORDS) or tok.string in ")]}"

    def is_operand_start(tok: tokenize.TokenInfo) -> bool:
        return (tok.type in _OPERAND_TOKENS and tok.string not in _KEYWORDS) or tok.string in "([{"

    for before, after in itertools.pairwise(tokens):
        if (
            is_operand_end(before)
            and is_operand_start(after)
            and not (before.type == tokenize.NAME and after.string == "(")
        ):
            return index(after), f"an operator is missing before {shown(after)!r}"
    if tokens and tokens[-1].type == tokenize.OP and tokens[-1].string not in ")]}":
        last = tokens[-1]
        return index(last) + len(last.string), f"a value is missing after {last.string!r}"
    lineno = error.lineno or 1
    at_index = source.index_of(lineno, max((error.offset or 1) - 1, 0))
    return at_index, "this is not a valid expression here"
