"""The payoff language: what each outcome (TP, FP, TN, FN) of one row is worth in money.

The user writes one expression per outcome over row columns and named parameters, for example
``tp = amount * recovery - review_cost``, ``fp = -review_cost``, ``fn = -amount``, ``tn = 0``.
Gains are positive, costs negative.

Conventions
-----------
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

import ast
import contextlib
import difflib
import keyword
import math
import numbers
import re
import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from roistudio.core.errors import PayoffError

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

OUTCOMES: tuple[str, ...] = ("tp", "fp", "tn", "fn")

# name -> (minimum, maximum) number of arguments; None means "no maximum".
_ARITY: dict[str, tuple[int, int | None]] = {
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
ALLOWED_FUNCTIONS: tuple[str, ...] = tuple(sorted(_ARITY))

MAX_LENGTH = 1000
MAX_NESTING = 50  # brackets, checked by scanning before ast.parse (which recurses in C)
MAX_TREE_DEPTH = 200  # syntax-tree depth; a long sum a+b+c+... is as deep as it has terms
MAX_EXPONENT = 10
MAX_SQL_LENGTH = 200_000  # chained comparisons repeat their middle operand; keep the SQL bounded

_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_PREFIX = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*)?")
_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

_NUMERIC_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
    "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "REAL", "DOUBLE", "DECIMAL", "NUMERIC", "INT1",
    "INT2", "INT4", "INT8", "FLOAT4", "FLOAT8", "SIGNED", "LONG", "SHORT",
}  # fmt: skip
_TEXT_TYPES = {"VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "NVARCHAR", "ENUM"}
_BOOLEAN_TYPES = {"BOOLEAN", "BOOL", "LOGICAL"}

_BINARY_OPS: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED_BINARY_OPS: dict[type, str] = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&",
}  # fmt: skip
_COMPARE_OPS: dict[type, str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}  # fmt: skip
_REFUSED_COMPARE_OPS: dict[type, str] = {ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
_SQL_COMPARE = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_SQL_FUNCTIONS = {"abs": "ABS", "exp": "EXP", "log": "LN", "sqrt": "SQRT", "min": "LEAST", "max": "GREATEST"}
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


# --------------------------------------------------------------------------------------------------
# Public data types


@dataclass(frozen=True)
class Expr:
    """One node of a checked payoff expression.

    ``op`` is one of ``num``, ``bool``, ``str``, ``col``, ``param``, ``neg``, ``pos``, ``not``,
    ``+``, ``-``, ``*``, ``/``, ``**``, ``cmp``, ``and``, ``or``, ``if``, ``call``. ``value`` holds the
    number, text, column/parameter/function name, or the tuple of comparison operators. ``kind`` is
    the value type: ``num``, ``bool``, ``str`` or ``other`` (a column of an unusable type).
    """

    op: str
    args: tuple[Expr, ...] = ()
    value: object = None
    kind: str = "num"
    pos: tuple[int, int] = (1, 1)
    type_name: str = ""  # DuckDB type of a column, for messages


@dataclass(frozen=True)
class CompiledExpr:
    """A DuckDB SQL expression (DOUBLE-valued) and the values of the placeholders it uses.

    Attributes
    ----------
    sql
        SQL text; placeholders are DuckDB named parameters ``$name``.
    params
        Placeholder name (without ``$``) -> value, exactly the placeholders used in ``sql``.
    """

    sql: str
    params: dict[str, object]


# --------------------------------------------------------------------------------------------------
# Scanning: length, brackets, backtick names, refused characters


class _Source:
    """The original text, its translation for :func:`ast.parse`, and position mapping between them.

    The translation is ``"(" + body + "\\n)"`` where ``body`` is the original text with every backtick
    name replaced by an identifier of exactly the same length, so character positions in the body are
    those of the original text. The wrapping parentheses allow leading spaces and several lines; the
    scanner has already checked that brackets balance, so they cannot change the meaning.
    """

    def __init__(self, text: str):
        self.text = text
        self.placeholders: dict[str, str] = {}  # placeholder identifier -> column name
        self.translated = "(" + self._scan(text) + "\n)"
        self._line_starts = [0]
        for i, ch in enumerate(self.translated):
            if ch == "\n":
                self._line_starts.append(i + 1)
        self._lines = self.translated.split("\n")

    # positions -------------------------------------------------------------------------------
    def pos_of_index(self, index: int) -> tuple[int, int]:
        """1-based (line, column) of a character index into the original text."""
        index = max(0, min(index, len(self.text)))
        line = self.text.count("\n", 0, index) + 1
        column = index - (self.text.rfind("\n", 0, index) + 1) + 1
        return line, column

    def index_of(self, lineno: int, char_col: int) -> int:
        """Index into the original text of a 1-based line and 0-based character column of the translation."""
        lineno = max(1, min(lineno, len(self._line_starts)))
        return max(0, min(self._line_starts[lineno - 1] + char_col - 1, len(self.text)))

    def _char_col(self, lineno: int, byte_col: int) -> int:
        lineno = max(1, min(lineno, len(self._lines)))
        return len(self._lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def node_pos(self, node: ast.AST) -> tuple[int, int]:
        return self.pos_of_index(self.index_of(node.lineno, self._char_col(node.lineno, node.col_offset)))

    def segment(self, node: ast.AST, limit: int = 60) -> str:
        start = self.index_of(node.lineno, self._char_col(node.lineno, node.col_offset))
        end = self.index_of(node.end_lineno, self._char_col(node.end_lineno, node.end_col_offset))
        piece = " ".join(self.text[start:end].split())
        return piece if len(piece) <= limit else piece[: limit - 3] + "..."

    # scanning --------------------------------------------------------------------------------
    def _fail(self, message: str, index: int) -> PayoffError:
        line, column = self.pos_of_index(index)
        return PayoffError(_at(message, f"{line}:{column}"), position=(line, column))

    def _scan(self, text: str) -> str:
        identifiers = set(re.findall(r"[^\W\d]\w*", text))
        pieces: list[str] = []
        brackets: list[tuple[str, int]] = []
        counter = 0
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch in "'\"":
                j = self._string_end(text, i)
            elif ch == "`":
                j, name = self._backtick_end(text, i)
                before = text[i - 1] if i > 0 else " "
                after = text[j] if j < n else " "
                if before.isalnum() or before == "_" or after.isalnum() or after == "_":
                    raise self._fail("syntax error at {pos}: missing operator next to a `name`", i)
                while True:
                    placeholder = self._placeholder(counter, j - i)
                    counter += 1
                    if placeholder not in identifiers:
                        break
                self.placeholders[placeholder] = name
                pieces.append(placeholder)
                i = j
                continue
            elif ch.isalnum() or ch == "_":
                j = i
                while j < n and (text[j].isalnum() or text[j] == "_"):
                    j += 1
            else:
                j = i + 1
                if ch in "([{":
                    brackets.append((ch, i))
                    if len(brackets) > MAX_NESTING:
                        raise self._fail(f"expression nests deeper than {MAX_NESTING} levels at {{pos}}", i)
                elif ch in ")]}":
                    if not brackets:
                        raise self._fail(f"syntax error at {{pos}}: unmatched '{ch}'", i)
                    brackets.pop()
                elif ch == "#":
                    # A comment would vanish from the one-line form shown in reports; refuse it.
                    raise self._fail("'#' comments are not allowed at {pos}", i)
                elif ch == "\\":
                    raise self._fail(
                        "'\\' is not allowed at {pos}; an expression may simply go on over several lines", i
                    )
                elif ch == ";":
                    raise self._fail("';' is not allowed at {pos}; write a single expression", i)
                elif ch == "-" and text.startswith("--", i):
                    raise self._fail("'--' is not allowed; write -(-x) if you mean a double negative", i)
                elif (ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127:
                    raise self._fail(f"character {ch!r} is not allowed at {{pos}}", i)
            pieces.append(text[i:j])
            i = j
        if brackets:
            ch, index = brackets[-1]
            raise self._fail(f"syntax error at {{pos}}: '{ch}' was never closed", index)
        return "".join(pieces)

    def _string_end(self, text: str, i: int) -> int:
        quote = text[i]
        delimiter = quote * 3 if text.startswith(quote * 3, i) else quote
        j = i + len(delimiter)
        while j < len(text):
            if text[j] == "\\":
                j += 2
            elif text.startswith(delimiter, j):
                return j + len(delimiter)
            elif text[j] == "\n" and len(delimiter) == 1:
                break
            else:
                j += 1
        raise self._fail("syntax error at {pos}: unterminated text literal", i)

    def _backtick_end(self, text: str, i: int) -> tuple[int, str]:
        j = i + 1
        name: list[str] = []
        while j < len(text):
            if text[j] == "`":
                if text.startswith("``", j):
                    name.append("`")
                    j += 2
                    continue
                if not name:
                    raise self._fail("empty column name in backticks at {pos}", i)
                return j + 1, "".join(name)
            if text[j] == "\n":
                break
            name.append(text[j])
            j += 1
        raise self._fail("syntax error at {pos}: the backtick name is not closed", i)

    @staticmethod
    def _placeholder(counter: int, length: int) -> str:
        digits = ""
        while True:
            counter, rest = divmod(counter, 62)
            digits = _BASE62[rest] + digits
            if counter == 0:
                break
        name = "_" + digits
        if len(name) > length:  # cannot happen within the length limit; refuse rather than misplace
            raise PayoffError("too many backtick names")
        return name.ljust(length, "_")


# --------------------------------------------------------------------------------------------------
# Checking: ast -> Expr with types


def _at(message: str, where: str) -> str:
    """Put the position into a message template's last ``{pos}`` (any earlier one is user text)."""
    head, found, tail = message.rpartition("{pos}")
    return head + where + tail if found else message


def _kind_of_type(type_name: str) -> str:
    base = re.split(r"[\s(]", type_name.strip().upper(), maxsplit=1)[0]
    if base in _NUMERIC_TYPES:
        return "num"
    if base in _TEXT_TYPES:
        return "str"
    if base in _BOOLEAN_TYPES:
        return "bool"
    return "other"


def _display_name(name: str) -> str:
    if name.isidentifier() and not keyword.iskeyword(name):
        return f"'{name}'"
    return "`" + name.replace("`", "``") + "`"


class _Checker:
    def __init__(self, source: _Source, columns: Mapping[str, str], parameters: Collection[str]):
        self.source = source
        self.columns = columns
        self.parameters = set(parameters)

    def fail(self, message: str, node: ast.AST) -> PayoffError:
        line, column = self.source.node_pos(node)
        return PayoffError(_at(message, f"{line}:{column}"), position=(line, column))

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
                op = "neg" if isinstance(node.op, ast.USub) else "pos"
                return Expr(op, (self.need_num(self.convert(node.operand)),), pos=pos)
            raise self.fail("operator '~' is not allowed at {pos}; use + - * / **", node)
        if isinstance(node, ast.BinOp):
            return self.binary(node, pos)
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            values = tuple(self.need_bool(self.convert(v)) for v in node.values)
            return Expr(op, values, kind="bool", pos=pos)
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
        if name in _ARITY:
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
            exponent = _constant_value(right)
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
        for op in node.ops:
            if type(op) not in _COMPARE_OPS:
                symbol = _REFUSED_COMPARE_OPS.get(type(op), "?")
                raise self.fail(f"operator '{symbol}' is not allowed at {{pos}}; use == != < <= > >=", node)
            ops.append(_COMPARE_OPS[type(op)])
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
        if name not in _ARITY:
            raise PayoffError(
                f"unknown function '{name}' at {where}; allowed: {', '.join(ALLOWED_FUNCTIONS)}", position=pos
            )
        if node.keywords:
            raise self.fail("keyword arguments are not allowed at {pos}", node.keywords[0].value)
        low, high = _ARITY[name]
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
            digits = _constant_value(args[1])
            if digits is None or digits != int(digits) or abs(digits) > MAX_EXPONENT:
                raise self.fail(
                    f"round's second argument must be a whole number between -{MAX_EXPONENT} "
                    f"and {MAX_EXPONENT} at {{pos}}",
                    node.args[1],
                )
            args[1] = Expr("num", value=float(int(digits)), pos=args[1].pos)
        return Expr("call", tuple(args), value=name, pos=pos)


def _constant_value(e: Expr) -> float | None:
    """The value of a sub-expression made only of number literals and arithmetic, else None.

    Safe to compute: every exponent inside has already been checked to be a small constant.
    """
    if e.op == "num":
        return float(e.value)  # type: ignore[arg-type]
    if e.op in ("neg", "pos"):
        inner = _constant_value(e.args[0])
        return None if inner is None else (-inner if e.op == "neg" else inner)
    if e.op in ("+", "-", "*", "/", "**"):
        a, b = _constant_value(e.args[0]), _constant_value(e.args[1])
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


def _tree_depth_check(tree: ast.AST, source: _Source) -> None:
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
    source = _Source(text)
    try:
        with warnings.catch_warnings():
            # e.g. "'\\d'" warns about its escape; the text is data here, not code to fix.
            warnings.simplefilter("ignore")
            tree = ast.parse(source.translated, mode="eval")
    except SyntaxError as error:
        lineno = error.lineno or 1
        index = source.index_of(lineno, max((error.offset or 1) - 1, 0))
        line, column = source.pos_of_index(index)
        reason = str(error.msg or "invalid syntax")
        for placeholder, name in source.placeholders.items():
            reason = reason.replace(placeholder, f"`{name}`")
        raise PayoffError(f"syntax error at {line}:{column}: {reason}", position=(line, column)) from None
    except (RecursionError, MemoryError, ValueError):
        raise PayoffError("expression is too complex to parse") from None
    _tree_depth_check(tree.body, source)
    try:
        return _check_and_trial_compile(source, tree.body, columns, parameters)
    except RecursionError:  # only when called from an already deep stack
        raise PayoffError("expression is too complex to check") from None


def _check_and_trial_compile(
    source: _Source, body: ast.AST, columns: Mapping[str, str], parameters: Collection[str]
) -> Expr:
    checker = _Checker(source, columns, parameters)
    root = checker.need_num(checker.convert(body))
    # A trial compile bounds the SQL size now, so an accepted expression always compiles.
    trial = _Compiler(
        prefix="", parameters=dict.fromkeys(_names(root, "param"), 0.0), strings=_names(root, "str")
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


# --------------------------------------------------------------------------------------------------
# Compilation to DuckDB SQL


def _walk(e: Expr):
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.args)


def _names(e: Expr, op: str) -> set:
    return {node.value for node in _walk(e) if node.op == op}


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _number_sql(value: float) -> str:
    # Rendered from the parsed float, never from user text; the string cast is exactly rounded.
    if value == int(value) and abs(value) < 2**53:
        return f"CAST({int(value)} AS DOUBLE)"
    return f"CAST('{value!r}' AS DOUBLE)"


class _Compiler:
    def __init__(self, *, prefix: str, parameters: Mapping[str, float], strings: Collection[str]):
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"placeholder prefix must be an identifier, got {prefix!r}")
        # DuckDB matches $names case-insensitively, so placeholders are numbered, not only named.
        self.parameter_names = {name: f"{prefix}p{i}_{name}" for i, name in enumerate(sorted(parameters))}
        self.parameter_values = parameters
        self.string_names = {value: f"{prefix}s{i}" for i, value in enumerate(sorted(strings))}
        self.used: dict[str, object] = {}

    def compile(self, e: Expr) -> CompiledExpr:
        self.used = {}
        return CompiledExpr(self.sql(e), dict(self.used))

    def sql(self, e: Expr, want: str = "num") -> str:
        text = self._sql(e, want)
        if want == "num" and e.kind == "bool":
            text = f"CAST({text} AS DOUBLE)"
        if len(text) > MAX_SQL_LENGTH:
            raise PayoffError(
                f"expression is too complex at {e.pos[0]}:{e.pos[1]}: its SQL would exceed "
                f"{MAX_SQL_LENGTH} characters (chained comparisons repeat their middle terms)",
                position=e.pos,
            )
        return text

    def _sql(self, e: Expr, want: str) -> str:
        op = e.op
        if op == "num":
            return _number_sql(e.value)  # type: ignore[arg-type]
        if op == "bool":
            return "TRUE" if e.value else "FALSE"
        if op == "str":
            name = self.string_names[e.value]  # type: ignore[index]
            self.used[name] = e.value
            return f"${name}"
        if op == "col":
            quoted = _quote_identifier(str(e.value))
            if e.kind == "str":
                return f"CAST({quoted} AS VARCHAR)"
            if e.kind == "bool":
                return f"CAST({quoted} AS BOOLEAN)"
            return f"CAST({quoted} AS DOUBLE)"
        if op == "param":
            name = self.parameter_names[e.value]  # type: ignore[index]
            self.used[name] = self.parameter_values[e.value]  # type: ignore[index]
            return f"CAST(${name} AS DOUBLE)"
        if op == "neg":
            return f"(-{self.sql(e.args[0])})"
        if op == "pos":
            return self.sql(e.args[0])
        if op == "not":
            return f"(NOT {self.sql(e.args[0], 'bool')})"
        if op in ("+", "-", "*", "/"):
            return f"({self.sql(e.args[0])} {op} {self.sql(e.args[1])})"
        if op == "**":  # a function, so SQL precedence cannot differ from Python's (-2**2 == -4)
            return f"POWER({self.sql(e.args[0])}, {self.sql(e.args[1])})"
        if op in ("and", "or"):
            return "(" + f" {op.upper()} ".join(self.sql(a, "bool") for a in e.args) + ")"
        if op == "cmp":
            pairs = []
            for sql_op, left, right in zip(e.value, e.args, e.args[1:], strict=False):  # type: ignore[call-overload]
                kind = "str" if left.kind == "str" and right.kind == "str" else "num"
                pairs.append(f"({self.sql(left, kind)} {_SQL_COMPARE[sql_op]} {self.sql(right, kind)})")
            return pairs[0] if len(pairs) == 1 else "(" + " AND ".join(pairs) + ")"
        if op == "if":
            test, body, orelse = (self.sql(e.args[0], "bool"), self.sql(e.args[1]), self.sql(e.args[2]))
            # The simple CASE form mentions the condition once and gives NULL when it is NULL.
            return f"(CASE {test} WHEN TRUE THEN {body} WHEN FALSE THEN {orelse} END)"
        if op == "call":
            return self._call(str(e.value), [self.sql(a) for a in e.args], e)
        raise AssertionError(f"unknown node {op}")

    @staticmethod
    def _call(name: str, args: list[str], e: Expr) -> str:
        if name == "clip":
            return f"LEAST(GREATEST({args[0]}, {args[1]}), {args[2]})"
        if name == "coalesce":
            return f"COALESCE({', '.join(args)})"
        if name == "round":
            if len(args) == 1:
                return f"ROUND({args[0]})"
            return f"ROUND({args[0]}, {int(e.args[1].value)})"  # type: ignore[arg-type]
        return f"{_SQL_FUNCTIONS[name]}({', '.join(args)})"


# --------------------------------------------------------------------------------------------------
# Linear decomposition in the parameters


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


def _affine(e: Expr) -> dict[str | None, Expr] | None:
    """``{None: c0, p: c_p, ...}`` with parameter-free coefficients, or None if not affine."""
    if not _names(e, "param"):
        return {None: e}
    if e.op == "param":
        return {str(e.value): _num(1.0)}
    if e.op in ("neg", "pos"):
        inner = _affine(e.args[0])
        if inner is None or e.op == "pos":
            return inner
        return {k: _neg(v) for k, v in inner.items()}
    if e.op in ("+", "-", "*", "/"):
        left, right = _affine(e.args[0]), _affine(e.args[1])
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
    if e.op == "if" and not _names(e.args[0], "param"):
        body, orelse = _affine(e.args[1]), _affine(e.args[2])
        if body is None or orelse is None:
            return None
        zero = _num(0.0)
        return {
            k: Expr("if", (e.args[0], body.get(k, zero), orelse.get(k, zero)), pos=e.pos)
            for k in {*body, *orelse}
        }
    return None


# --------------------------------------------------------------------------------------------------
# Parameters


def _check_parameter_name(name: object) -> str:
    if not isinstance(name, str) or not _PARAMETER_NAME.fullmatch(name):
        raise PayoffError(
            f"parameter name {name!r} is not valid: use up to 64 letters, digits and _, not starting with a digit"
        )
    if keyword.iskeyword(name):
        raise PayoffError(f"parameter name '{name}' is a reserved word")
    if name in _ARITY:
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

    def _compiler(self, prefix: str) -> _Compiler:
        strings = set().union(*(_names(t, "str") for t in self._trees.values()))  # type: ignore[attr-defined]
        return _Compiler(prefix=prefix, parameters=self.parameters, strings=strings)

    def tree(self, outcome: str) -> Expr:
        """The checked expression tree of one outcome."""
        return self._trees[_check_outcome(outcome)]  # type: ignore[attr-defined]

    def columns_used(self) -> set[str]:
        """Names of the data columns any outcome refers to."""
        return set().union(*(_names(t, "col") for t in self._trees.values()))  # type: ignore[attr-defined]

    def parameters_used(self) -> set[str]:
        """Names of the parameters any outcome refers to."""
        return set().union(*(_names(t, "param") for t in self._trees.values()))  # type: ignore[attr-defined]

    def compile(self, outcome: str, *, prefix: str = "") -> CompiledExpr:
        """DuckDB SQL for one outcome's value per row (DOUBLE), with its bound values.

        Placeholder names start with ``prefix``; with one prefix the same parameter or text always
        gets the same placeholder, so pieces of several outcomes can share one query.
        """
        return self._compiler(prefix).compile(self.tree(outcome))

    def with_parameters(self, /, **values: float) -> Payoff:
        """A new payoff with some parameter values replaced (or added); the expressions are unchanged."""
        return Payoff(self.expressions, {**self.parameters, **values}, self.columns, self.column_types)

    def is_linear_in_parameters(self) -> bool:
        """True if every outcome is ``c0(row) + sum_j p_j * c_j(row)`` (see :meth:`linear_terms`)."""
        return all(_affine(self.tree(o)) is not None for o in OUTCOMES)

    def linear_terms(self, outcome: str, *, prefix: str = "") -> dict[str | None, CompiledExpr] | None:
        """The expression as ``c0 + sum_j p_j * c_j`` with row-only coefficients, or None if not affine.

        Returns
        -------
        dict or None
            ``{None: c0, "p_j": c_j, ...}`` compiled without parameter placeholders (text literals
            are still bound). ``c0`` is always present. Note that ``SUM`` skips NULLs, so summing the
            coefficients separately equals summing the expression only where no coefficient is NULL.
        """
        terms = _affine(self.tree(outcome))
        if terms is None:
            return None
        terms.setdefault(None, _num(0.0))
        compiler = self._compiler(prefix)
        ordered = [None, *sorted(k for k in terms if k is not None)]
        return {k: compiler.compile(terms[k]) for k in ordered}

    def to_dict(self) -> dict:
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
