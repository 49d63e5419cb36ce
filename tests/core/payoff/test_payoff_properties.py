"""Property tests of the payoff language.

Random expression trees are rendered to text with Python's precedence rules (so ``-a ** 2`` and
``(-a) ** 2`` both occur), compiled to SQL and run in DuckDB, and compared with a reference evaluator
over numpy written here from the tree (never from the text). Random junk must only ever raise
PayoffError, and whatever it accepts must run in DuckDB.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roistudio.core.errors import PayoffError
from roistudio.core.payoff.language import check_expression, parse_payoff

A = np.array([-3.0, -1.5, 0.0, 0.5, 2.0, 7.0, 1e6, -0.25])
B = np.array([2.0, 0.0, -0.25, 4.0, -7.0, 3.0, 1e-3, 0.0])
COLUMNS = {"a": "DOUBLE", "b": "DOUBLE", "s": "VARCHAR"}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (rid INTEGER, a DOUBLE, b DOUBLE, s VARCHAR)")
    connection.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?)",
        [[i, float(A[i]), float(B[i]), f"v{i % 3}"] for i in range(len(A))],
    )
    yield connection
    connection.close()


# ------------------------------------------------------------------------------------------------
# Trees, their text, and their reference value

# (value, spelling): several spellings of the same number, all valid in the language.
NUMBER_SPELLINGS = [
    (0.0, "0"), (1.0, "1"), (2.0, "2.0"), (3.0, "3"), (0.5, "0.5"), (0.5, ".5"), (1000.0, "1_000"),
    (1000.0, "1e3"), (2.5, "25e-1"), (7.0, "7"),
]  # fmt: skip
NUMBERS = st.sampled_from(NUMBER_SPELLINGS)
EXPONENTS = st.sampled_from(
    [(0.0, "0"), (1.0, "1"), (2.0, "2"), (3.0, "3"), (-1.0, "-1"), (-2.0, "-2"), (0.5, "0.5")]
)
LEAVES = st.one_of(
    st.sampled_from([("col", "a", "a"), ("col", "b", "b"), ("col", "a", "`a`")]),
    NUMBERS.map(lambda n: ("num", n[0], n[1])),
)
CONDITION_LEAVES = st.sampled_from(
    [("col", "a", "a"), ("col", "b", "b"), ("num", 0.0, "0"), ("num", 2.0, "2")]
)


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(["neg", "pos"]), children),
        st.tuples(st.just("bin"), st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.tuples(st.just("pow"), children, EXPONENTS),
        st.tuples(st.just("call"), st.sampled_from(["min", "max"]), children, children),
        st.tuples(st.just("call"), st.just("abs"), children),
        st.tuples(
            st.just("if"),
            st.tuples(
                CONDITION_LEAVES, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), CONDITION_LEAVES
            ),
            children,
            children,
        ),
    )


TREES = st.recursive(LEAVES, _extend, max_leaves=12)
PRECEDENCE = {"if": 0, "+": 1, "-": 1, "*": 2, "/": 2, "unary": 3, "pow": 4, "atom": 5}


def render(node) -> tuple[str, int]:
    """Text of a tree with only the parentheses Python's precedence requires, and its precedence."""
    kind = node[0]
    if kind in ("col", "num"):
        return node[2], PRECEDENCE["atom"]
    if kind in ("neg", "pos"):
        text, prec = render(node[1])
        if prec < PRECEDENCE["unary"] or text[0] in "+-":  # also avoids writing '--'
            text = f"({text})"
        return ("-" if kind == "neg" else "+") + text, PRECEDENCE["unary"]
    if kind == "bin":
        op = node[1]
        (left, lp), (right, rp) = render(node[2]), render(node[3])
        mine = PRECEDENCE[op]
        left = f"({left})" if lp < mine else left
        right = f"({right})" if rp <= mine else right  # float + and * are not associative: keep the tree
        return f"{left} {op} {right}", mine
    if kind == "pow":
        base, bp = render(node[1])
        base = f"({base})" if bp <= PRECEDENCE["pow"] else base
        return f"{base} ** {node[2][1]}", PRECEDENCE["pow"]
    if kind == "call":
        return f"{node[1]}({', '.join(render(a)[0] for a in node[2:])})", PRECEDENCE["atom"]
    (left, op, right), body, orelse = node[1], node[2], node[3]
    body_text, body_prec = render(body)
    orelse_text, orelse_prec = render(orelse)
    body_text = f"({body_text})" if body_prec == 0 else body_text
    orelse_text = f"({orelse_text})" if orelse_prec == 0 else orelse_text
    return f"{body_text} if {left[2]} {op} {right[2]} else {orelse_text}", PRECEDENCE["if"]


def reference(node) -> np.ndarray:
    """Value per row with IEEE arithmetic, and DuckDB's LEAST/GREATEST (NaN is the largest value,
    ties keep the first argument)."""
    kind = node[0]
    if kind == "col":
        return {"a": A, "b": B}[node[1]]
    if kind == "num":
        return np.full(len(A), node[1])
    if kind == "neg":
        return -reference(node[1])
    if kind == "pos":
        return reference(node[1])
    if kind == "bin":
        left, right = reference(node[2]), reference(node[3])
        return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[node[1]](left, right)
    if kind == "pow":
        return np.power(reference(node[1]), node[2][0])
    if kind == "call":
        args = [reference(a) for a in node[2:]]
        if node[1] == "abs":
            return np.abs(args[0])
        x, y = args
        if node[1] == "min":
            return np.where(np.isnan(x), y, np.where(y < x, y, x))
        return np.where(np.isnan(x) | np.isnan(y), np.nan, np.where(y > x, y, x))
    (left, op, right), body, orelse = node[1], node[2], node[3]
    compare = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
    compare |= {"==": np.equal, "!=": np.not_equal}
    return np.where(compare[op](reference(left), reference(right)), reference(body), reference(orelse))


def duckdb_values(con, text: str) -> np.ndarray:
    compiled = parse_payoff({"tp": text}, {}, COLUMNS).compile("tp")
    rows = con.execute(f"SELECT {compiled.sql} FROM t ORDER BY rid", compiled.params).fetchall()
    return np.array([np.nan if v is None else v for (v,) in rows], dtype=float)


@SETTINGS
@given(TREES)
def test_random_arithmetic_matches_the_numpy_reference(con, tree):
    text, _ = render(tree)
    with np.errstate(all="ignore"):
        expected = reference(tree)
    got = duckdb_values(con, text)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=text)


def test_rendering_follows_python_precedence(con):
    # Guards the generator: the tree neg(pow(a, 2)) must print without parentheses.
    tree = ("neg", ("pow", ("col", "a", "a"), (2.0, "2")))
    assert render(tree)[0] == "-a ** 2"
    np.testing.assert_array_equal(duckdb_values(con, "-a ** 2"), -(A**2))


# ------------------------------------------------------------------------------------------------
# Junk never raises anything but PayoffError, and what is accepted runs

TOKENS = st.sampled_from(
    [
        "a", "b", "s", "p", "`a`", "`x y`", "``", "`", "'v1'", '"v2"', "'", '"', "1", "0", "1e3", "1_0", ".5",
        "+", "-", "*", "/", "**", "%", "//", "==", "!=", "<", ">=", "(", ")", "[", "]", "{", "}", ",", ".",
        ":", ";", "=", ":=", " ", "\n", "\t", "#", "\\", "if", "else", "and", "or", "not", "lambda", "for",
        "in", "is", "None", "True", "max(", "min(", "abs(", "clip(", "round(", "log(", "coalesce(", "open(",
        "__import__", "f'", "b'", "é", "$", "@", "~", "\x00", "9**9", "j",
    ]
)  # fmt: skip


def _accepts_or_refuses_cleanly(con, text: str) -> None:
    live = check_expression(text, columns=COLUMNS, parameters={"p"})
    try:
        payoff = parse_payoff({"tp": text}, {"p": 1.5}, COLUMNS)
    except PayoffError as error:
        # The GUI's live check and the real parse agree, on a one-line message.
        assert live is not None and live.message == error.message
        assert error.message and "\n" not in error.message
        return
    assert live is None
    compiled = payoff.compile("tp", prefix="j_")
    con.execute(f"SELECT {compiled.sql} FROM t", compiled.params).fetchall()
    terms = payoff.parameter_terms("tp")
    for piece in (terms or {}).values():
        con.execute(f"SELECT {piece.sql} FROM t", piece.params).fetchall()


@SETTINGS
@given(st.lists(TOKENS, max_size=25).map("".join))
def test_token_junk_only_raises_payoff_error(con, text):
    _accepts_or_refuses_cleanly(con, text)


@SETTINGS
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40))
def test_character_junk_only_raises_payoff_error(con, text):
    _accepts_or_refuses_cleanly(con, text)
