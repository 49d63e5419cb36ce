"""Compiling a checked :class:`~.expr.Expr` to SQL: quoted identifiers, bound placeholders, never user text.

Every column becomes a quoted identifier, every parameter and text literal a named placeholder
whose value travels beside the SQL; numbers are rendered from the parsed float. What differs
between SQL engines (quoting, casts, placeholder syntax, function names) is a :class:`Dialect`;
DuckDB is the default (:data:`DUCKDB`); Apache Spark SQL is :data:`SPARK`. Another engine is a new
``Dialect`` instance, not a new compiler.

Both engines give the same value on every row (``tests/core/payoff/test_spark_dialect.py`` runs
every construct on both, NaN, NULL and infinite inputs included): NULL propagates through
arithmetic and functions (``min``/``max``/``clip`` skip a NULL argument on both, as SQL's
``LEAST``/``GREATEST`` do); ``x / 0`` is IEEE (``inf``, ``-inf``, ``NaN`` for ``0 / 0``) although
Spark's own division gives NULL there; ``round`` halves away from zero; ``log(0)`` is ``-inf``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from roistudio.core.errors import PayoffError
from roistudio.core.payoff.expr import CompiledExpr, Expr

__all__ = ["DUCKDB", "MAX_SQL_LENGTH", "SPARK", "Compiler", "Dialect"]

MAX_SQL_LENGTH = 200_000  # chained comparisons repeat their middle operand; keep the SQL bounded

_PREFIX = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*)?")
_FUNCTIONS = {"abs": "ABS", "exp": "EXP", "log": "LN", "sqrt": "SQRT", "min": "LEAST", "max": "GREATEST"}
_SQL_COMPARE = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class Dialect:
    """How one SQL engine spells what the payoff language needs.

    Attributes
    ----------
    name
        The engine, for messages.
    placeholder
        Template of a named placeholder, ``{name}`` replaced by its name (DuckDB: ``$name``).
    number_type, text_type, boolean_type
        Type names for casts.
    functions
        Payoff function -> SQL function, for those that map one to one.
    quote
        Identifier quote character (``"`` standard SQL and DuckDB, a backtick in Spark SQL).
    isnan_of_null_is_false
        True when the engine's ``isnan(NULL)`` is FALSE (Spark) rather than NULL (DuckDB).
    has_isfinite
        True when the engine has ``isfinite()`` (DuckDB); Spark has not, so it is spelled out.
    whole_part
        Template of the whole part of a number (Spark's ``TRUNC`` truncates dates).
    ieee_division
        True when ``x / 0`` already gives ``inf``/``NaN`` (DuckDB); False when the engine gives
        NULL (Spark), in which case the compiler spells the IEEE result out.
    """

    name: str
    placeholder: str = "${name}"
    isnan_function: str = "isnan"
    number_type: str = "DOUBLE"
    text_type: str = "VARCHAR"
    boolean_type: str = "BOOLEAN"
    functions: Mapping[str, str] = field(default_factory=lambda: dict(_FUNCTIONS))
    quote: str = '"'
    ieee_division: bool = True
    whole_part: str = "TRUNC({x})"
    isnan_of_null_is_false: bool = False
    has_isfinite: bool = True

    def quote_identifier(self, name: str) -> str:
        """``a"b`` -> ``"a""b"`` (standard SQL quoting; a backtick doubled in Spark SQL)."""
        if "\x00" in name:
            raise PayoffError("a column name contains a NUL character")
        q = self.quote
        return q + name.replace(q, q + q) + q

    def number(self, value: float) -> str:
        """A number literal rendered from the parsed float, never from user text."""
        # The string cast is exactly rounded, so the value survives unchanged.
        if value == int(value) and abs(value) < 2**53:
            return f"CAST({int(value)} AS {self.number_type})"
        return f"CAST('{value!r}' AS {self.number_type})"

    def is_nan(self, sql: str) -> str:
        """SQL that is TRUE for NaN, FALSE for any other number and NULL for NULL, on every engine."""
        if self.isnan_of_null_is_false:
            return f"(CASE WHEN {sql} IS NULL THEN NULL ELSE {self.isnan_function}({sql}) END)"
        return f"{self.isnan_function}({sql})"

    def is_finite(self, sql: str) -> str:
        """SQL that is TRUE for a finite number and FALSE for NULL, NaN and +-inf, on every engine."""
        if self.has_isfinite:
            return f"({sql} IS NOT NULL AND isfinite({sql}))"
        # NaN compares above +inf in Spark, so it is tested on its own.
        inf = self.cast("'Infinity'", "num")
        return f"({sql} IS NOT NULL AND NOT {self.isnan_function}({sql}) AND abs({sql}) < {inf})"

    def nan(self) -> str:
        """The NaN literal."""
        return self.cast("'NaN'", "num")

    def cast(self, sql: str, kind: str) -> str:
        """Cast an SQL expression to the type of a payoff value kind (``num``, ``str``, ``bool``)."""
        target = {"str": self.text_type, "bool": self.boolean_type}.get(kind, self.number_type)
        return f"CAST({sql} AS {target})"


DUCKDB = Dialect(name="DuckDB")
# Spark SQL (3.5 and 4.x): named parameters ``:name`` bound by ``spark.sql(query, args=...)``,
# backtick identifiers, STRING for text. Division by zero is NULL there, so it is spelled out.
SPARK = Dialect(
    name="Spark",
    placeholder=":{name}",
    text_type="STRING",
    quote="`",
    ieee_division=False,
    whole_part="CAST({x} AS BIGINT)",  # exponents are constants within [-10, 10]: no overflow
    isnan_of_null_is_false=True,
    has_isfinite=False,
)


class Compiler:
    """Compiles expression trees to one dialect's SQL, naming placeholders consistently.

    Parameters
    ----------
    prefix
        Placeholder names start with it, so pieces compiled with different prefixes can share
        one query; with one prefix the same parameter or text always gets the same placeholder.
    parameters
        Parameter name -> value (bound, never pasted into the SQL).
    strings
        Text literals the trees may contain.
    dialect
        The SQL engine; DuckDB by default.
    """

    def __init__(
        self,
        *,
        prefix: str,
        parameters: Mapping[str, float],
        strings: Collection[str],
        dialect: Dialect = DUCKDB,
    ):
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"placeholder prefix must be an identifier, got {prefix!r}")
        self.dialect = dialect
        # DuckDB matches $names case-insensitively, so placeholders are numbered, not only named.
        self.parameter_names = {name: f"{prefix}p{i}_{name}" for i, name in enumerate(sorted(parameters))}
        self.parameter_values = parameters
        self.string_names = {value: f"{prefix}s{i}" for i, value in enumerate(sorted(strings))}
        self.used: dict[str, object] = {}

    def compile(self, e: Expr) -> CompiledExpr:
        """SQL for a numeric expression and the values of exactly the placeholders it uses."""
        self.used = {}
        return CompiledExpr(self.sql(e), dict(self.used))

    def sql(self, e: Expr, want: str = "num") -> str:
        """SQL text of a sub-expression, as a number (``want="num"``), text or condition."""
        text = self._sql(e, want)
        if want == "num" and e.kind == "bool":
            text = self.dialect.cast(text, "num")
        if len(text) > MAX_SQL_LENGTH:
            raise PayoffError(
                f"expression is too complex at {e.pos[0]}:{e.pos[1]}: its SQL would exceed "
                f"{MAX_SQL_LENGTH} characters (chained comparisons repeat their middle terms)",
                position=e.pos,
            )
        return text

    def _placeholder(self, name: str, value: object) -> str:
        self.used[name] = value
        return self.dialect.placeholder.format(name=name)

    def _sql(self, e: Expr, want: str) -> str:
        op = e.op
        d = self.dialect
        if op == "num":
            return d.number(float(e.value))  # type: ignore[arg-type]
        if op == "bool":
            return "TRUE" if e.value else "FALSE"
        if op == "str":
            return self._placeholder(self.string_names[str(e.value)], e.value)
        if op == "col":
            return d.cast(d.quote_identifier(str(e.value)), e.kind)
        if op == "param":
            name = str(e.value)
            return d.cast(self._placeholder(self.parameter_names[name], self.parameter_values[name]), "num")
        if op == "neg":
            return f"(-{self.sql(e.args[0])})"
        if op == "pos":
            return self.sql(e.args[0])
        if op == "not":
            return f"(NOT {self.sql(e.args[0], 'bool')})"
        divisor = e.args[1] if op == "/" else None
        constant_divisor = divisor is not None and divisor.op == "num" and float(divisor.value) != 0  # type: ignore[arg-type]
        if op == "/" and not d.ieee_division and not constant_divisor:
            return self._ieee_divide(self.sql(e.args[0]), self.sql(e.args[1]))
        if op in ("+", "-", "*", "/"):
            return f"({self.sql(e.args[0])} {op} {self.sql(e.args[1])})"
        if op == "**":  # a function, so SQL precedence cannot differ from Python's (-2**2 == -4)
            return self._power(e)
        if op in ("and", "or"):
            return "(" + f" {op.upper()} ".join(self.sql(a, "bool") for a in e.args) + ")"
        if op == "cmp":
            pairs = []
            operators: tuple[str, ...] = e.value  # type: ignore[assignment]
            for sql_op, left, right in zip(operators, e.args, e.args[1:], strict=False):
                kind = "str" if left.kind == "str" and right.kind == "str" else "num"
                lhs, rhs = self.sql(left, kind), self.sql(right, kind)
                if kind == "num":
                    # A comparison with NaN is unknown (NULL), so an `if` on it, or the comparison
                    # used as a number, is NULL and the sweep refuses it with its count. DuckDB
                    # alone would order NaN above every number ('NaN' > 5 is true).
                    lhs, rhs = self._nan_to_null(lhs), self._nan_to_null(rhs)
                pairs.append(f"({lhs} {_SQL_COMPARE[sql_op]} {rhs})")
            return pairs[0] if len(pairs) == 1 else "(" + " AND ".join(pairs) + ")"
        if op == "if":
            test, body, orelse = (self.sql(e.args[0], "bool"), self.sql(e.args[1]), self.sql(e.args[2]))
            # The simple CASE form mentions the condition once and gives NULL when it is NULL.
            return f"(CASE {test} WHEN TRUE THEN {body} WHEN FALSE THEN {orelse} END)"
        if op == "call":
            return self._call(str(e.value), [self.sql(a) for a in e.args], e)
        raise AssertionError(f"unknown node {op}")

    def _nan_to_null(self, x: str) -> str:
        # NaN = NaN holds in DuckDB's total order, so NULLIF maps exactly NaN to NULL.
        return f"NULLIF({x}, {self.dialect.nan()})"

    def _nan_propagating(self, args: list[str], body: str) -> str:
        """Make ``body`` (a LEAST/GREATEST over ``args``) NaN when an argument is NaN, NULL when one is NULL.

        NULL wins only when no argument is NaN. SQL's LEAST/GREATEST skip NULLs, and DuckDB orders NaN above every number, so
        ``min(NaN, 500)`` would be 500: a value that is not a number would silently become one.
        """
        test = " OR ".join(self.dialect.is_nan(a) for a in args)
        return f"(CASE ({test}) WHEN FALSE THEN {body} WHEN TRUE THEN {self.dialect.nan()} END)"

    def _call(self, name: str, args: list[str], e: Expr) -> str:
        if name == "clip":
            return self._nan_propagating(args, f"LEAST(GREATEST({args[0]}, {args[1]}), {args[2]})")
        if name in ("min", "max"):
            return self._nan_propagating(args, f"{self.dialect.functions[name]}({', '.join(args)})")
        if name == "coalesce":
            return f"COALESCE({', '.join(args)})"
        if name == "round":
            if len(args) == 1:
                return f"ROUND({args[0]})" if self.dialect.ieee_division else self._round_half_away(args[0])
            digits = int(e.args[1].value)  # type: ignore[call-overload]
            if not self.dialect.ieee_division:
                # Spark rounds the shortest decimal text of a double (round(2.675, 2) = 2.68),
                # DuckDB its binary value (2.67, as numpy): refused rather than differ.
                raise PayoffError(
                    f"round(..., {digits}) at {e.pos[0]}:{e.pos[1]} is not supported on the "
                    f"{self.dialect.name} engine: it rounds 2.675 to 2.68 where DuckDB gives 2.67; "
                    f"write round(x * {10.0**digits:g}) / {10.0**digits:g} instead (the same on both engines)",
                    position=e.pos,
                )
            return f"ROUND({args[0]}, {digits})"
        if name in ("log", "sqrt"):
            return self._domain_guarded(name, args[0])
        return f"{self.dialect.functions[name]}({', '.join(args)})"

    def _round_half_away(self, x: str) -> str:
        """``round(x)``: C's ``round`` (halves away from zero) spelled out, as DuckDB computes it.

        Spark's ``ROUND`` goes through the double's decimal text; this works on the double itself.
        The fraction ``|x| - floor(|x|)`` is exact; from 2**52 on every double is whole (and
        ``FLOOR``, a BIGINT in Spark, must not overflow). NaN, infinities and NULL pass unchanged.
        """
        a = f"abs({x})"
        return (
            f"(CASE WHEN {a} >= CAST(4503599627370496 AS {self.dialect.number_type}) OR isnan({x}) THEN {x} "
            f"ELSE SIGN({x}) * (CASE WHEN {a} - FLOOR({a}) >= 0.5 THEN CEIL({a}) ELSE FLOOR({a}) END) END)"
        )

    def _ieee_divide(self, a: str, b: str) -> str:
        """``a / b`` with IEEE answers for a zero divisor, for engines that give NULL there.

        ``a / 0`` is ``inf`` with the sign of ``a`` (and of a negative zero divisor), ``0 / 0`` and
        ``NaN / 0`` are NaN, and NULL stays NULL: what DuckDB and numpy give. (Spark orders NaN
        above every number, so NaN is tested before the sign; ``isnan`` is Spark's spelling.)
        """
        num = self.dialect.number_type
        inf, nan = f"CAST('Infinity' AS {num})", f"CAST('NaN' AS {num})"
        # The sign of a zero divisor: 1 / -0.0 is -inf. Only its text shows it (Spark's atan2 and
        # sign normalise -0.0 to 0.0); evaluated only on rows whose divisor is zero.
        sign = f"(CASE WHEN CAST({b} AS {self.dialect.text_type}) LIKE '-%' THEN -1 ELSE 1 END)"
        return (
            f"(CASE WHEN {b} = 0 THEN (CASE WHEN {a} IS NULL THEN NULL WHEN isnan({a}) THEN {nan} "
            f"WHEN {a} > 0 THEN {sign} * {inf} WHEN {a} < 0 THEN -{sign} * {inf} ELSE {nan} END) "
            f"ELSE {a} / {b} END)"
        )

    def _power(self, e: Expr) -> str:
        """``x ** y``; a negative ``x`` (``-inf`` too) to a non-integer power is NaN, as in numpy.

        C's ``pow`` (and so some engines) gives ``(-inf) ** 0.5 == inf``; the language has one answer.
        """
        base, exponent = self.sql(e.args[0]), self.sql(e.args[1])
        power = f"POWER({base}, {exponent})"
        y = e.args[1]
        if y.op == "num" and float(y.value) == int(float(y.value)):  # type: ignore[arg-type]
            return power
        nan = self.dialect.cast("'NaN'", "num")
        if y.op == "num":
            return f"(CASE WHEN {base} < 0 THEN {nan} ELSE {power} END)"
        whole = self.dialect.whole_part.format(x=exponent)
        return f"(CASE WHEN {base} < 0 AND {exponent} <> {whole} THEN {nan} ELSE {power} END)"

    def _domain_guarded(self, name: str, x: str) -> str:
        """``log``/``sqrt`` with numpy's answers outside their domain, whatever the engine's release.

        ``log(0)`` is ``-inf``, ``log`` and ``sqrt`` of a negative number NaN. Some engines
        (DuckDB 1.3 and 1.4) raise there instead, so the function only ever sees its domain; NaN
        and NULL pass through the ``ELSE`` branch unchanged.
        """
        function = self.dialect.functions[name]
        nan = self.dialect.cast("'NaN'", "num")
        if name == "log":
            minus_inf = self.dialect.cast("'-Infinity'", "num")
            return f"(CASE WHEN {x} > 0 THEN {function}({x}) WHEN {x} = 0 THEN {minus_inf} WHEN {x} < 0 THEN {nan} ELSE {x} END)"
        return f"(CASE WHEN {x} >= 0 THEN {function}({x}) WHEN {x} < 0 THEN {nan} ELSE {x} END)"
