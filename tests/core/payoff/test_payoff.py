"""The payoff language: exact user-visible messages, and compiled SQL checked against numpy in DuckDB."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from roistudio.core.errors import PayoffError
from roistudio.core.payoff.language import (
    ALLOWED_FUNCTIONS,
    OUTCOMES,
    Payoff,
    check_expression,
    parse_expression,
    parse_parameter_assignment,
    parse_payoff,
    payoff_from_dict,
)

COLUMNS = {
    "amount": "DOUBLE",
    "channel": "VARCHAR",
    "Transaction Amount": "DOUBLE",
    'we"ird`col': "DOUBLE",
    "select": "BIGINT",
    "flag": "BOOLEAN",
    "ts": "TIMESTAMP",
    "café": "DOUBLE",  # in the checks only, not in the table
}
PARAMETERS = {"recovery": 0.9, "review_cost": 5.0}

# The same rows as numpy arrays (NaN where SQL has NULL) and as a DuckDB table.
AMOUNT = np.array([100.0, 250.5, np.nan, 0.0, -40.0])
CHANNEL = ["branch", "online", "branch", "o'neil", None]
TRANSACTION = np.array([1000.0, 20.0, 0.0, 5.5, 12.0])
WEIRD = np.array([1.5, -2.0, 0.0, 4.0, 1.0])
SELECT = np.array([3, -1, 0, 10, 7])
FLAG = [True, False, None, True, False]


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute(
        'CREATE TABLE t (rid INTEGER, amount DOUBLE, channel VARCHAR, "Transaction Amount" DOUBLE, '
        '"we""ird`col" DOUBLE, "select" BIGINT, flag BOOLEAN, ts TIMESTAMP)'
    )
    for i in range(len(AMOUNT)):
        connection.execute(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            [
                i,
                None if np.isnan(AMOUNT[i]) else float(AMOUNT[i]),
                CHANNEL[i],
                float(TRANSACTION[i]),
                float(WEIRD[i]),
                int(SELECT[i]),
                FLAG[i],
            ],
        )
    yield connection
    connection.close()


def run(con, compiled) -> np.ndarray:
    """Evaluate a compiled expression per row; NULL becomes NaN, checked apart with ``nulls``."""
    rows = con.execute(f"SELECT {compiled.sql} FROM t ORDER BY rid", compiled.params).fetchall()
    return np.array([np.nan if v is None else v for (v,) in rows], dtype=float)


def nulls(con, compiled) -> list[bool]:
    rows = con.execute(f"SELECT ({compiled.sql}) IS NULL FROM t ORDER BY rid", compiled.params).fetchall()
    return [v for (v,) in rows]


def value(con, text: str, parameters=PARAMETERS) -> np.ndarray:
    return run(con, parse_payoff({"tp": text}, parameters, COLUMNS).compile("tp"))


# ------------------------------------------------------------------------------------------------
# Refused input, with the exact message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("amout", "unknown column 'amout' at 1:1, did you mean 'amount'?"),
        ("1 + foo", "unknown name 'foo' at 1:5"),
        ("recovry * 2", "unknown parameter 'recovry' at 1:1, did you mean 'recovery'?"),
        (
            "`Transaction Amont`",
            "unknown column 'Transaction Amont' at 1:1, did you mean `Transaction Amount`?",
        ),
        ("`nothing like it`", "unknown column 'nothing like it' at 1:1"),
        (
            "open('x')",
            "unknown function 'open' at 1:1; allowed: abs, clip, coalesce, exp, log, max, min, round, sqrt",
        ),
        (
            "__import__('os')",
            "unknown function '__import__' at 1:1; allowed: abs, clip, coalesce, exp, log, max, min, round, sqrt",
        ),
        ("amount * (1 +", "syntax error at 1:10: '(' was never closed"),
        ("amount )", "syntax error at 1:8: unmatched ')'"),
        ("amount 2", "syntax error at 1:8: an operator is missing before '2'"),
        ("amount *", "syntax error at 1:9: a value is missing after '*'"),
        ("`net amount` amount", "syntax error at 1:14: an operator is missing before 'amount'"),
        ("1 if amount > 0", "syntax error at 1:1: this is not a valid expression here"),
        ("'abc", "syntax error at 1:1: unterminated text literal"),
        ("x.y", "'x.y' attribute access is not allowed at 1:1"),
        ("2 * amount.real", "'amount.real' attribute access is not allowed at 1:5"),
        ("().__class__.__bases__", "'().__class__.__bases__' attribute access is not allowed at 1:1"),
        ("amount[0]", "subscripts are not allowed at 1:1"),
        ("(lambda: 1)()", "only functions called by name are allowed at 1:1"),
        ("lambda: 1", "lambda is not allowed at 1:1"),
        ("[x for x in amount]", "comprehensions are not allowed at 1:1"),
        ("sum(x for x in amount)", "unknown function 'sum' at 1:1; allowed: " + ", ".join(ALLOWED_FUNCTIONS)),
        ("max(x for x in amount)", "max expects at least 2 arguments, got 1, at 1:1"),
        ("f'{amount}'", "f-strings are not allowed at 1:1"),
        ("(x := 1)", "assignment (:=) is not allowed at 1:2"),
        ("amount; 1", "';' is not allowed at 1:7; write a single expression"),
        ("amount --1", "'--' is not allowed; write -(-x) if you mean a double negative"),
        ("1 -- drop table t", "'--' is not allowed; write -(-x) if you mean a double negative"),
        ("amount" + " + amount" * 1200, "expression is 10806 characters long; the limit is 1000"),
        ("(" * 60 + "1" + ")" * 60, "expression nests deeper than 50 levels at 1:51"),
        ("9**9**9", "exponent 9**9 is too large; exponents must be constants between -10 and 10"),
        ("amount ** 11", "exponent 11 is too large; exponents must be constants between -10 and 10"),
        ("amount ** -11", "exponent -11 is too large; exponents must be constants between -10 and 10"),
        (
            "amount ** recovery",
            "exponent recovery is not a constant; exponents must be constants between -10 and 10",
        ),
        ("channel + 1", "column 'channel' is text (VARCHAR), not a number, at 1:1"),
        ("ts * 2", "column 'ts' is TIMESTAMP, not a number, at 1:1"),
        ("'branch' * 2", "text 'branch' can only be compared with == or != at 1:1"),
        ("channel < 'b'", "column 'channel' is text (VARCHAR), not a number, at 1:1"),
        ("amount == 'x'", "cannot compare text with a number at 1:11"),
        ("1 if amount else 0", "expected a true/false condition (a comparison such as amount > 0) at 1:6"),
        ("amount % 3", "operator '%' is not allowed at 1:1; use + - * / **"),
        ("amount // 3", "operator '//' is not allowed at 1:1; use + - * / **"),
        ("~amount", "operator '~' is not allowed at 1:1; use + - * / **"),
        ("amount in (1, 2)", "operator 'in' is not allowed at 1:1; use == != < <= > >="),
        (
            "1,000",
            "a comma is only allowed between function arguments at 1:1; write 1000 or 1_000, not 1,000",
        ),
        ("max(amount, key=abs)", "keyword arguments are not allowed at 1:17"),
        ("abs(amount, 1)", "abs expects 1 argument, got 2, at 1:1"),
        ("round(amount, 1, 2)", "round expects 1 or 2 arguments, got 3, at 1:1"),
        ("round(amount, 0.5)", "round's second argument must be a whole number between -10 and 10 at 1:15"),
        ("round(amount, 1/0)", "round's second argument must be a whole number between -10 and 10 at 1:15"),
        ("round(amount, 0/0)", "round's second argument must be a whole number between -10 and 10 at 1:15"),
        ("max", "'max' is a function; call it like max(...) at 1:1"),
        ("None", "None is not allowed at 1:1; use coalesce() for missing values"),
        ("1e999", "number 1e999 is too large at 1:1"),
        ("2j", "imaginary numbers are not allowed at 1:1"),
        ("b'x' == channel", "bytes literals are not allowed at 1:1"),
        ("``", "empty column name in backticks at 1:1"),
        ("`amount", "syntax error at 1:1: the backtick name is not closed"),
        ("2`amount`", "syntax error at 1:2: missing operator next to a `name`"),
        ("amount\x00", "character '\\x00' is not allowed at 1:7"),
        ("amount +\n  amout", "unknown column 'amout' at 2:3, did you mean 'amount'?"),
        ("  'é' + )", "syntax error at 1:9: unmatched ')'"),
        ("café + amout", "unknown column 'amout' at 1:8, did you mean 'amount'?"),
        ('"""a\nb""" == 1 + amout', "unknown column 'amout' at 2:13, did you mean 'amount'?"),
        ("amount # note", "'#' comments are not allowed at 1:8"),
        ("amount \\\n + 1", "'\\' is not allowed at 1:8; an expression may simply go on over several lines"),
        ("channel == 1", "cannot compare text with a number at 1:12"),
    ],
)
def test_refused_with_exact_message(text, message):
    with pytest.raises(PayoffError) as caught:
        parse_expression(text, columns=COLUMNS, parameters=PARAMETERS)
    assert caught.value.message == message


def test_several_lines_and_leading_spaces_are_fine(con):
    np.testing.assert_array_equal(value(con, "  amount\n  * 2\n"), AMOUNT * 2)


def test_parse_expression_returns_a_checked_tree():
    tree = parse_expression("amount > 3", columns=COLUMNS, parameters=())
    assert (tree.op, tree.kind, tree.args[0].value) == ("cmp", "bool", "amount")


def test_payoffs_with_equal_content_are_equal_and_hash_alike():
    one = parse_payoff({"tp": "amount"}, {"x": 1}, COLUMNS)
    two = parse_payoff({"tp": "amount", "fn": ""}, {"x": 1.0}, COLUMNS)
    assert one == two and hash(one) == hash(two) and len({one, two}) == 1
    assert one != one.with_parameters(x=2)


def test_error_position_points_into_the_original_text():
    # The backtick name before the error is 20 characters in the text; the position must not shift.
    with pytest.raises(PayoffError) as caught:
        parse_expression("`Transaction Amount` + amout", columns=COLUMNS, parameters=PARAMETERS)
    assert caught.value.position == (1, 24)
    assert str(caught.value) == "unknown column 'amout' at 1:24, did you mean 'amount'?"


def test_blank_is_an_error_for_parse_expression_but_zero_for_a_payoff():
    with pytest.raises(PayoffError, match=r"^empty expression$"):
        parse_expression("   ", columns=COLUMNS, parameters=())
    payoff = parse_payoff({"tp": "amount", "fp": None, "tn": ""}, {}, COLUMNS)
    assert payoff.expressions == {"tp": "amount", "fp": "0", "tn": "0", "fn": "0"}


def test_parse_payoff_names_the_outcome():
    with pytest.raises(PayoffError) as caught:
        parse_payoff({"tp": "amount", "fn": "-amout"}, PARAMETERS, COLUMNS)
    assert caught.value.outcome == "fn"
    assert str(caught.value) == "fn: unknown column 'amout' at 1:2, did you mean 'amount'?"


def test_unknown_outcome():
    with pytest.raises(PayoffError) as caught:
        parse_payoff({"tpp": "1"}, {}, COLUMNS)
    assert str(caught.value) == "unknown outcome 'tpp'; use tp, fp, tn or fn"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"review_cost": "abc"}, "parameter 'review_cost' is not a finite number: 'abc'"),
        ({"review_cost": float("nan")}, "parameter 'review_cost' is not a finite number: nan"),
        ({"review_cost": True}, "parameter 'review_cost' is not a finite number: True"),
        (
            {"cost; drop": 1.0},
            "parameter name 'cost; drop' is not valid: use up to 64 letters, digits and _, not starting with a digit",
        ),
        ({"if": 1.0}, "parameter name 'if' is a reserved word"),
        ({"max": 1.0}, "parameter name 'max' is a function name"),
    ],
)
def test_bad_parameters(parameters, message):
    with pytest.raises(PayoffError) as caught:
        parse_payoff({"tp": "1"}, parameters, COLUMNS)
    assert str(caught.value) == message


def test_parameter_values_given_as_text_are_read_as_numbers():
    assert parse_payoff({}, {"review_cost": " 1_000.5 "}, COLUMNS).parameters == {"review_cost": 1000.5}


def test_name_that_is_both_column_and_parameter():
    with pytest.raises(PayoffError) as caught:
        parse_payoff({"tp": "amount * 2"}, {"amount": 3.0}, COLUMNS)
    assert caught.value.message == (
        "'amount' is both a column and a parameter at 1:1; write `amount` for the column or rename the parameter"
    )
    # Backticks mean the column; a parameter that is never referenced bare is not ambiguous.
    payoff = parse_payoff({"tp": "`amount` * 2"}, {"amount": 3.0}, COLUMNS)
    assert payoff.columns_used() == {"amount"}
    assert payoff.parameters_used() == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("review_cost=5", ("review_cost", 5.0)),
        (" recovery = 0.9 ", ("recovery", 0.9)),
        ("big=1e3", ("big", 1000.0)),
    ],
)
def test_parameter_assignment(text, expected):
    assert parse_parameter_assignment(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("review_cost", "--param expects NAME=VALUE, got 'review_cost'"),
        ("review_cost=", "--param expects NAME=VALUE, got 'review_cost='"),
        ("review_cost=abc", "parameter 'review_cost' is not a finite number: 'abc'"),
        ("review_cost=inf", "parameter 'review_cost' is not a finite number: 'inf'"),
        (
            "1x=3",
            "parameter name '1x' is not valid: use up to 64 letters, digits and _, not starting with a digit",
        ),
    ],
)
def test_parameter_assignment_errors(text, message):
    with pytest.raises(PayoffError) as caught:
        parse_parameter_assignment(text)
    assert str(caught.value) == message


def test_check_expression_returns_the_error_or_none():
    assert check_expression("amount * recovery", columns=COLUMNS, parameters=PARAMETERS) is None
    assert check_expression("", columns=COLUMNS, parameters=PARAMETERS) is None
    error = check_expression("amount +", columns=COLUMNS, parameters=PARAMETERS)
    assert isinstance(error, PayoffError)
    assert error.position == (1, 9)


# ------------------------------------------------------------------------------------------------
# Compiled SQL against numbers computed another way


def test_the_worked_example(con):
    payoff = parse_payoff(
        {"tp": "amount * recovery - review_cost", "fp": "-review_cost", "fn": "-amount", "tn": "0"},
        PARAMETERS,
        COLUMNS,
    )
    np.testing.assert_allclose(run(con, payoff.compile("tp")), AMOUNT * 0.9 - 5, rtol=1e-12)
    # Row 0 by hand: 100 * 0.9 - 5 = 85.
    assert run(con, payoff.compile("tp"))[0] == pytest.approx(85.0)
    np.testing.assert_array_equal(run(con, payoff.compile("fp")), np.full(5, -5.0))
    np.testing.assert_array_equal(run(con, payoff.compile("fn")), -AMOUNT)
    np.testing.assert_array_equal(run(con, payoff.compile("tn")), np.zeros(5))


def test_backtick_and_keyword_column_names(con):
    np.testing.assert_allclose(
        value(con, '`Transaction Amount` * 0.01 + `we"ird``col`'), TRANSACTION * 0.01 + WEIRD, rtol=1e-12
    )
    np.testing.assert_array_equal(value(con, "select * 2"), SELECT * 2.0)


def test_text_comparison_is_bound_not_pasted(con):
    np.testing.assert_array_equal(value(con, "-5 if channel == 'branch' else -2"), [-5, -2, -5, -2, np.nan])
    # A quote inside the literal reaches DuckDB as a bound value, so it matches row 3 exactly.
    np.testing.assert_array_equal(value(con, '1 if channel == "o\'neil" else 0'), [0, 0, 0, 1, np.nan])
    compiled = parse_payoff({"tp": "channel != 'online'"}, {}, COLUMNS).compile("tp")
    assert "online" not in compiled.sql
    assert list(compiled.params.values()) == ["online"]


def test_unary_minus_binds_looser_than_power(con):
    assert value(con, "-2**2")[0] == -4.0
    assert value(con, "(-2)**2")[0] == 4.0
    assert value(con, "2**-1")[0] == 0.5
    assert value(con, "2**3**2")[0] == 512.0  # right-associative, as in Python
    assert value(con, "-amount**2")[1] == -(250.5**2)


def test_conditions_case_and_nulls(con):
    # A missing amount gives a missing result, never the else branch.
    assert nulls(con, parse_payoff({"tp": "1 if amount > 50 else 0"}, {}, COLUMNS).compile("tp")) == [
        False,
        False,
        True,
        False,
        False,
    ]
    np.testing.assert_array_equal(value(con, "1 if amount > 50 else 0"), [1, 1, np.nan, 0, 0])
    np.testing.assert_array_equal(value(con, "(amount > 50) * 10"), [10, 10, np.nan, 0, 0])
    np.testing.assert_array_equal(value(con, "0 <= amount < 200"), [1, 0, np.nan, 1, 0])
    np.testing.assert_array_equal(value(con, "flag and not amount < 0 or select == 7"), [1, 0, np.nan, 1, 1])
    np.testing.assert_array_equal(value(con, "flag * 3"), [3, 0, np.nan, 3, 0])
    np.testing.assert_array_equal(value(con, "coalesce(amount, 0) * 2"), [200, 501, 0, 0, -80])
    np.testing.assert_array_equal(value(con, "coalesce(amount, select, 1)"), [100, 250.5, 0, 0, -40])


def test_functions_match_numpy(con):
    amount = AMOUNT
    with np.errstate(divide="ignore", invalid="ignore"):
        cases = {
            "abs(amount)": np.abs(amount),
            "max(amount, 50, select)": np.maximum(np.maximum(amount, 50), SELECT),
            "min(amount, 50)": np.minimum(amount, 50),
            "clip(amount, 0, 200)": np.clip(amount, 0, 200),
            "round(amount / 3, 2)": np.array([33.33, 83.5, np.nan, 0.0, -13.33]),
            "round(250.5)": np.full(5, 251.0),  # SQL rounds halves away from zero
            "log(`Transaction Amount`)": np.log(TRANSACTION),
            'exp(`we"ird``col`)': np.exp(WEIRD),
            "sqrt(`Transaction Amount`)": np.sqrt(TRANSACTION),
        }
    for text, expected in cases.items():
        got = value(con, text)
        known = ~np.isnan(amount) | ("amount" not in text)
        np.testing.assert_allclose(got[known], expected[known], rtol=1e-12, err_msg=text)


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "amount > 1",
        "select",
        "flag",
        "round(amount)",
        "coalesce(amount, flag)",
        "True",
        "0 if flag else 1",
    ],
)
def test_every_outcome_is_a_double(con, text):
    compiled = parse_payoff({"tp": text}, {}, COLUMNS).compile("tp")
    (kind,) = con.execute(f"SELECT typeof({compiled.sql}) FROM t LIMIT 1", compiled.params).fetchone()
    assert kind == "DOUBLE"


def test_division_by_zero_is_not_silently_zero(con):
    got = value(con, "amount / 0")
    assert got[0] == np.inf and got[4] == -np.inf and np.isnan(got[3])


def test_parameters_are_bound_with_only_the_placeholders_used(con):
    payoff = parse_payoff({"tp": "amount * recovery", "fp": "-review_cost"}, PARAMETERS, COLUMNS)
    fp = payoff.compile("fp", prefix="fp_")
    assert list(fp.params) == ["fp_p1_review_cost"] and fp.params["fp_p1_review_cost"] == 5.0
    assert "$fp_p1_review_cost" in fp.sql
    tp = payoff.compile("tp", prefix="tp_")
    # Two pieces in one query: prefixes keep the placeholders apart.
    rows = con.execute(f"SELECT SUM({tp.sql}), SUM({fp.sql}) FROM t", {**tp.params, **fp.params}).fetchone()
    assert rows == pytest.approx((np.nansum(AMOUNT) * 0.9, -25.0))


def test_parameter_names_differing_only_in_case_stay_apart(con):
    # DuckDB matches $names case-insensitively; placeholders must not collide.
    payoff = parse_payoff({"tp": "Rate * 10 + rate"}, {"Rate": 1.0, "rate": 2.0}, COLUMNS)
    assert run(con, payoff.compile("tp"))[0] == 12.0


def test_with_parameters_changes_values_only(con):
    payoff = parse_payoff({"tp": "amount * recovery - review_cost"}, PARAMETERS, COLUMNS)
    cheaper = payoff.with_parameters(review_cost=1)
    assert cheaper.expressions == payoff.expressions
    assert cheaper.parameters == {"recovery": 0.9, "review_cost": 1.0}
    assert run(con, cheaper.compile("tp"))[0] == pytest.approx(89.0)
    with pytest.raises(PayoffError, match="is not a finite number"):
        payoff.with_parameters(review_cost="x")


def test_to_dict_describe_and_round_trip():
    payoff = parse_payoff({"tp": "amount  *  recovery - review_cost", "fn": "-amount"}, PARAMETERS, COLUMNS)
    assert payoff.to_dict() == {
        "tp": "amount  *  recovery - review_cost",
        "fp": "0",
        "tn": "0",
        "fn": "-amount",
        "parameters": {"recovery": 0.9, "review_cost": 5.0},
    }
    assert payoff.describe().splitlines() == [
        "tp = amount * recovery - review_cost",
        "fp = 0",
        "tn = 0",
        "fn = -amount",
    ]
    assert payoff_from_dict(payoff.to_dict(), COLUMNS) == payoff
    assert payoff.columns_used() == {"amount"}
    assert payoff.parameters_used() == {"recovery", "review_cost"}
    assert OUTCOMES == ("tp", "fp", "tn", "fn")


def test_direct_construction_is_checked_too():
    with pytest.raises(PayoffError, match=r"^tp: unknown name 'nope' at 1:1$"):
        Payoff({"tp": "nope"}, {}, ("amount",))


# ------------------------------------------------------------------------------------------------
# Linear decomposition in the parameters


def _sum(con, compiled) -> float:
    return con.execute(
        f"SELECT SUM({compiled.sql}) FROM t WHERE amount IS NOT NULL", compiled.params
    ).fetchone()[0]


def test_linear_terms_of_the_worked_example(con):
    payoff = parse_payoff({"tp": "amount * recovery - review_cost"}, PARAMETERS, COLUMNS)
    terms = payoff.parameter_terms("tp")
    assert list(terms) == [None, "recovery", "review_cost"]
    known = AMOUNT[~np.isnan(AMOUNT)]
    assert _sum(con, terms[None]) == 0.0
    assert _sum(con, terms["recovery"]) == pytest.approx(known.sum())
    assert _sum(con, terms["review_cost"]) == -len(known)
    assert all(not t.params for t in terms.values())


@pytest.mark.parametrize(
    "text",
    [
        "amount * recovery - review_cost",
        "-(amount - 3) * recovery / 2 + review_cost * select - 7",
        "(recovery * amount if channel == 'branch' else -review_cost) + 2 * (recovery + review_cost)",
        "abs(amount) * recovery - recovery * `Transaction Amount` / 4",
        "+review_cost",
    ],
)
def test_linear_terms_reproduce_the_expression(con, text):
    payoff = parse_payoff({"tp": text}, PARAMETERS, COLUMNS)
    terms = payoff.parameter_terms("tp", prefix="lt_")
    assert terms is not None and payoff.is_linear_in_parameters()
    rng = np.random.default_rng(7)
    for _ in range(3):
        values = {"recovery": float(rng.uniform(-2, 2)), "review_cost": float(rng.uniform(-10, 10))}
        expected = _sum(con, payoff.with_parameters(**values).compile("tp"))
        rebuilt = _sum(con, terms[None]) + sum(values[p] * _sum(con, c) for p, c in terms.items() if p)
        assert rebuilt == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    "text",
    [
        "amount * recovery * recovery",
        "max(amount * recovery, review_cost)",
        "amount / recovery",
        "amount if recovery > 0.5 else 0",
        "recovery ** 2",
        "(amount > review_cost) * 1",
    ],
)
def test_nonlinear_expressions_have_no_linear_terms(text):
    payoff = parse_payoff({"tp": text}, PARAMETERS, COLUMNS)
    assert payoff.parameter_terms("tp") is None
    assert not payoff.is_linear_in_parameters()
