"""The checked form of a payoff expression: a tree of :class:`Expr` nodes, and compiled SQL.

The checker (:mod:`.check`) builds it, the compiler (:mod:`.compile`) and the decompositions
(:mod:`.terms`) read it. Node and value kinds are closed sets (``Literal`` types), so a typo in a
node name is a type error, not a silent fall-through.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from roistudio.core.glossary import OUTCOMES, Outcome

__all__ = ["OUTCOMES", "CompiledExpr", "Expr", "ExprKind", "ExprOp", "Outcome", "names", "walk"]

ExprOp = Literal[
    "num", "bool", "str", "col", "param", "neg", "pos", "not",
    "+", "-", "*", "/", "**", "cmp", "and", "or", "if", "call",
]  # fmt: skip
ExprKind = Literal["num", "bool", "str", "other"]
ArithmeticOp = Literal["+", "-", "*", "/", "**"]


@dataclass(frozen=True)
class Expr:
    """One node of a checked payoff expression.

    ``op`` is one of ``num``, ``bool``, ``str``, ``col``, ``param``, ``neg``, ``pos``, ``not``,
    ``+``, ``-``, ``*``, ``/``, ``**``, ``cmp``, ``and``, ``or``, ``if``, ``call``. ``value`` holds the
    number, text, column/parameter/function name, or the tuple of comparison operators. ``kind`` is
    the value type: ``num``, ``bool``, ``str`` or ``other`` (a column of an unusable type).
    """

    op: ExprOp
    args: tuple[Expr, ...] = ()
    value: object = None
    kind: ExprKind = "num"
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


def walk(e: Expr) -> Iterator[Expr]:
    """Every node of the tree, without recursion (a long sum is as deep as it has terms)."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.args)


def names(e: Expr, op: ExprOp) -> set[Any]:
    """The values of the nodes of one kind, e.g. ``names(e, "col")`` are the columns used."""
    return {node.value for node in walk(e) if node.op == op}
