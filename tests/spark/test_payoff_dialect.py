"""Every construct of the payoff language, compiled for DuckDB and for Spark, gives the same value on every row.

The inputs hold the awkward values on purpose: NULL, NaN, +-inf, +-0.0, halves (round), huge
numbers (exp overflow), negatives (log, sqrt), text and NULL text, true/false/NULL booleans.
Both engines read the same Parquet file, so they see identical inputs.
"""

from __future__ import annotations

import math

import duckdb
import pytest

from roistudio.core.errors import PayoffError
from roistudio.core.payoff.compile import SPARK
from roistudio.core.payoff.language import parse_payoff

X = [
    1.5,
    -2.5,
    0.0,
    -0.0,
    float("nan"),
    float("inf"),
    float("-inf"),
    None,
    2.675,
    0.125,
    1e308,
    3.0,
    -7.25,
    2.5,
]
Y = [2.0, 0.0, 0.0, -0.0, 1.0, float("nan"), 0.0, 1.0, None, -3.0, 10.0, -0.0, 4.0, float("inf")]
S = ["a", "b", None, "a", "", "b", "a", "b", "a", None, "b", "a", "b", "a"]
FLAG = [True, False, None, True, False, True, False, None, True, False, True, False, True, None]
COLUMNS = {"x": "DOUBLE", "y": "DOUBLE", "s": "VARCHAR", "flag": "BOOLEAN"}
PARAMETERS = {"p": 0.5, "q": -3.0}

EXPRESSIONS = [
    "x", "-x", "+x", "7", "0.1", "p", "q * x",
    "x + y", "x - y", "x * y", "x / y", "x / 0", "-x / 0", "x / (y - y)", "1 / y",
    "x ** 2", "y ** 3", "x ** 0.5", "y ** 2", "x ** (1/3)", "x ** -0.5", "y ** (2 - 2.5)", "x / 4",
    "abs(x)", "exp(x)", "exp(y)", "log(x)", "log(y)", "sqrt(x)", "sqrt(y)",
    "min(x, y)", "max(x, y)", "min(x, y, 1)", "max(x, 0)", "clip(x, -1, 1)", "clip(y, 0, p)",
    "coalesce(x, 0)", "coalesce(x, y, 3)",
    "round(x)", "round(y)", "round(x * 100) / 100", "round(y * 1000) / 1000", "round(x / 10) * 10",
    "x if flag else y", "x if x > y else y", "1 if s == 'a' else 2", "1 if s != 'b' else 0",
    "(x > 0) * 2", "x > y", "x >= y", "x < y", "x <= y", "x == y", "x != y",
    "0 < x < 2", "not (x > 0)", "x > 0 and y > 0", "x > 0 or y > 0", "flag", "not flag",
    "True", "False",
]  # fmt: skip


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, spark):
    path = tmp_path_factory.mktemp("dialect") / "inputs.parquet"
    con = duckdb.connect()
    rows = list(zip(range(len(X)), X, Y, S, FLAG, strict=True))
    con.execute("CREATE TABLE t (id INTEGER, x DOUBLE, y DOUBLE, s VARCHAR, flag BOOLEAN)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    spark.read.parquet(str(path)).createOrReplaceTempView("dialect_inputs")
    return con


@pytest.fixture(scope="module")
def results(inputs, spark):
    """Every expression's values per row on both engines: one query per engine, one column each."""
    duck_cols, spark_cols, duck_params, spark_params = [], [], {}, {}
    for i, expression in enumerate(EXPRESSIONS):
        payoff = parse_payoff({"tp": expression}, PARAMETERS, COLUMNS)
        duck = payoff.compile("tp", prefix=f"e{i}_")
        spk = payoff.compile("tp", prefix=f"e{i}_", dialect=SPARK)
        duck_cols.append(duck.sql)
        spark_cols.append(spk.sql)
        duck_params.update(duck.params)
        spark_params.update(spk.params)
    duck_rows = inputs.execute(f"SELECT {', '.join(duck_cols)} FROM t ORDER BY id", duck_params).fetchall()
    spark_rows = spark.sql(
        f"SELECT {', '.join(spark_cols)} FROM dialect_inputs ORDER BY id", args=spark_params
    ).collect()
    return {e: ([r[i] for r in duck_rows], [r[i] for r in spark_rows]) for i, e in enumerate(EXPRESSIONS)}


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_duckdb_and_spark_agree_row_by_row(expression, results):
    duck_rows, spark_rows = results[expression]
    assert len(duck_rows) == len(spark_rows) == len(X)
    for i, (d, s) in enumerate(zip(duck_rows, spark_rows, strict=True)):
        where = f"{expression!r} on row {i} (x={X[i]}, y={Y[i]}, s={S[i]!r}, flag={FLAG[i]})"
        if d is None or s is None:
            assert d is None and s is None, f"{where}: DuckDB {d!r}, Spark {s!r}"
            continue
        d, s = float(d), float(s)
        if math.isnan(d) or math.isnan(s):
            assert math.isnan(d) and math.isnan(s), f"{where}: DuckDB {d!r}, Spark {s!r}"
        elif math.isinf(d) or d == 0:
            assert d == s, f"{where}: DuckDB {d!r}, Spark {s!r}"
        else:
            assert s == pytest.approx(d, rel=1e-12), f"{where}: DuckDB {d!r}, Spark {s!r}"


def test_spark_sql_quotes_identifiers_and_binds_values():
    payoff = parse_payoff(
        {"tp": '`a``b` * p if kind == "x\' OR 1=1 --" else 0'},
        {"p": 2.0},
        {"a`b": "DOUBLE", "kind": "VARCHAR"},
    )
    compiled = payoff.compile("tp", prefix="t_", dialect=SPARK)
    assert "`a``b`" in compiled.sql
    assert "OR 1=1" not in compiled.sql  # the text travels as a bound value
    assert sorted(compiled.params.values(), key=str) == [2.0, "x' OR 1=1 --"]
    assert all(f":{name}" in compiled.sql for name in compiled.params)


def test_two_argument_round_is_refused_on_spark_with_the_portable_spelling():
    payoff = parse_payoff({"tp": "round(x, 2)"}, {}, COLUMNS)
    assert payoff.compile("tp").sql.startswith("ROUND(")  # DuckDB keeps it
    with pytest.raises(PayoffError) as error:
        payoff.compile("tp", dialect=SPARK)
    assert str(error.value) == (
        "round(..., 2) at 1:1 is not supported on the Spark engine: it rounds 2.675 to 2.68 where DuckDB "
        "gives 2.67; write round(x * 100) / 100 instead (the same on both engines)"
    )
