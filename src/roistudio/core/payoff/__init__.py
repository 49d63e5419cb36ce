"""The payoff language: what each outcome of one row is worth, parsed with an allow-list, compiled to bound SQL.

Modules: :mod:`.source` (scanning, backtick names), :mod:`.check` (ast -> typed Expr, limits),
:mod:`.compile` (Expr -> SQL with bound placeholders, per dialect), :mod:`.terms` (the parameter
and column decompositions), :mod:`.language` (the :class:`Payoff` front), :mod:`.presets`.
"""

from roistudio.core.errors import PayoffError
from roistudio.core.payoff.language import (
    ALLOWED_FUNCTIONS,
    OUTCOMES,
    CompiledExpr,
    Expr,
    Payoff,
    check_expression,
    parse_expression,
    parse_parameter_assignment,
    parse_payoff,
    payoff_from_dict,
)

__all__ = [
    "ALLOWED_FUNCTIONS",
    "OUTCOMES",
    "CompiledExpr",
    "Expr",
    "Payoff",
    "PayoffError",
    "check_expression",
    "parse_expression",
    "parse_parameter_assignment",
    "parse_payoff",
    "payoff_from_dict",
]
