"""Property tests of the payoff language.

Random expression trees are rendered to text with Python's precedence rules (so ``-a ** 2`` and
``(-a) ** 2`` both occur), compiled to SQL and run in DuckDB, and compared with a reference evaluator
over numpy written here from the tree (never from the text). The rows include NaN, +-inf and
NULL: the reference states the language's rules for them (IEEE arithmetic; NULL in, NULL out;
``min``/``max`` are NaN when an argument is NaN; a comparison with NaN or NULL is unknown, and an
``if`` on an unknown condition is NULL), so the sweep refuses such rows rather than reading NaN
as the largest number. Random junk must only ever raise PayoffError, and whatever it accepts must
run in DuckDB.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roistudio.core.errors import PayoffError
from roistudio.core.payoff.language import check_expression, parse_payoff

NAN, INF = float("nan"), float("inf")
A = np.array([-3.0, -1.5, 0.0, 0.5, 2.0, 7.0, 1e6, -0.25, NAN, INF, -INF, 0.0, 1.0, NAN, 3.0])
B = np.array([2.0, 0.0, -0.25, 4.0, -7.0, 3.0, 1e-3, 0.0, 1.0, NAN, INF, 5.0, 0.0, -INF, 3.0])
# NULL cells (the value in A/B there is a placeholder, never read).
A_NULL = np.zeros(len(A), bool)
B_NULL = np.zeros(len(B), bool)
A_NULL[11] = True
B_NULL[12] = True
COLUMNS = {"a": "DOUBLE", "b": "DOUBLE", "s": "VARCHAR"}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (rid INTEGER, a DOUBLE, b DOUBLE, s VARCHAR)")
    connection.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?)",
        [
            [i, None if A_NULL[i] else float(A[i]), None if B_NULL[i] else float(B[i]), f"v{i % 3}"]
            for i in range(len(A))
        ],
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
        st.tuples(st.just("call"), st.just("clip"), children, children, children),
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


def reference(node) -> tuple[np.ndarray, np.ndarray]:
    """(value, is NULL) per row, from the tree: IEEE arithmetic, NULL in -> NULL out, NaN-propagating
    ``min``/``max``, comparisons with NaN or NULL unknown, ``if`` on an unknown condition NULL."""
    kind = node[0]
    if kind == "col":
        return ({"a": A, "b": B}[node[1]], {"a": A_NULL, "b": B_NULL}[node[1]])
    if kind == "num":
        return np.full(len(A), node[1]), np.zeros(len(A), bool)
    if kind == "neg":
        v, n = reference(node[1])
        return -v, n
    if kind == "pos":
        return reference(node[1])
    if kind == "bin":
        (lv, ln), (rv, rn) = reference(node[2]), reference(node[3])
        return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[node[1]](lv, rv), ln | rn
    if kind == "pow":
        v, n = reference(node[1])
        # numpy computes x ** 0.5 as sqrt(x), so (-0.0) ** 0.5 is -0.0 there; Python and C's pow
        # (the language's meaning) give +0.0, which decides the sign of a later 1 / 0.
        exponent = node[2][0]
        if exponent != int(exponent):
            v = np.where(v == 0, 0.0, v)
        return np.power(v, exponent), n
    if kind == "call":
        args = [reference(a) for a in node[2:]]
        if node[1] == "abs":
            return np.abs(args[0][0]), args[0][1]
        any_nan = np.any([np.isnan(v) & ~n for v, n in args], axis=0)
        any_null = np.any([n for _, n in args], axis=0)
        # Of two equal values (0.0 and -0.0) Python's min/max, the language's meaning, keep the
        # first, as SQL's LEAST/GREATEST do; numpy's minimum/maximum keep the second, and the sign
        # of that zero decides a later x / 0.
        if node[1] == "clip":
            (x, _), (lo, _), (hi, _) = args
            floor = np.where(lo > x, lo, x)
            value = np.where(hi < floor, hi, floor)
        else:
            (x, _), (y, _) = args
            value = np.where(y < x, y, x) if node[1] == "min" else np.where(y > x, y, x)
        return np.where(any_nan, np.nan, value), any_null & ~any_nan
    (left, op, right), body, orelse = node[1], node[2], node[3]
    compare = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
    compare |= {"==": np.equal, "!=": np.not_equal}
    (lv, ln), (rv, rn) = reference(left), reference(right)
    unknown = ln | rn | np.isnan(lv) | np.isnan(rv)
    (bv, bn), (ov, on) = reference(body), reference(orelse)
    test = compare[op](lv, rv)
    return np.where(test, bv, ov), unknown | np.where(test, bn, on)


def duckdb_values(con, text: str) -> tuple[np.ndarray, np.ndarray]:
    compiled = parse_payoff({"tp": text}, {}, COLUMNS).compile("tp")
    rows = con.execute(f"SELECT {compiled.sql} FROM t ORDER BY rid", compiled.params).fetchall()
    values = np.array([np.nan if v is None else v for (v,) in rows], dtype=float)
    return values, np.array([v is None for (v,) in rows])


@SETTINGS
@given(TREES)
def test_random_arithmetic_matches_the_numpy_reference(con, tree):
    text, _ = render(tree)
    with np.errstate(all="ignore"):
        expected, expected_null = reference(tree)
    got, got_null = duckdb_values(con, text)
    np.testing.assert_array_equal(got_null, expected_null, err_msg=f"NULL rows differ: {text}")
    keep = ~expected_null
    np.testing.assert_allclose(got[keep], expected[keep], rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=text)


def test_rendering_follows_python_precedence(con):
    # Guards the generator: the tree neg(pow(a, 2)) must print without parentheses.
    tree = ("neg", ("pow", ("col", "a", "a"), (2.0, "2")))
    assert render(tree)[0] == "-a ** 2"
    values, null = duckdb_values(con, "-a ** 2")
    np.testing.assert_array_equal(values[~null], -(A**2)[~A_NULL])


@pytest.mark.parametrize(
    ("text", "row", "expected"),
    [
        ("min(a, 500)", 8, "nan"),  # a is NaN: never read as 500
        ("max(a, -500)", 8, "nan"),
        ("clip(a, 0, 100)", 8, "nan"),
        ("clip((a - a) / (a - a), 0, 100)", 0, "nan"),  # 0/0 inside clip
        ("1 if a > 5 else 0", 8, "null"),  # DuckDB alone: 'NaN' > 5 is true
        ("a > 5", 8, "null"),
        ("min(a, 500)", 11, "null"),  # a is NULL: LEAST would skip it
        ("min(a, 500)", 9, 500.0),  # inf is a number: min(inf, 500) is 500
        ("max(a, b)", 10, INF),
    ],
)
def test_nan_and_null_never_become_numbers(con, text, row, expected):
    """The cases of issue 9, row by row (row 8: a is NaN, 9: inf, 10: -inf, 11: NULL)."""
    values, null = duckdb_values(con, text)
    if expected == "null":
        assert null[row]
    elif expected == "nan":
        assert not null[row] and np.isnan(values[row])
    else:
        assert values[row] == expected


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
