"""The sweep's aggregation SQL (core/engine/sweep_sql.py) written for Spark gives DuckDB's aggregates.

The same :func:`aggregate_sql` and :func:`payoff_row_values`, with ``SweepQuery.dialect`` set to
Spark, run on a local Spark session; the per-(set, model, key, score, class) rows must equal the
DuckDB ones, and the count of rows with a missing payoff too.
"""

from __future__ import annotations

import duckdb
import numpy as np

from roistudio.core.data.profile import segment_key_sql
from roistudio.core.engine.spark import segment_key
from roistudio.core.engine.sweep_sql import (
    PAYOFF_AGGREGATES,
    ModelSource,
    SweepQuery,
    aggregate_sql,
    bad_payoff_counts_sql,
    labelled_sums_finite,
    payoff_row_values,
)
from roistudio.core.payoff.compile import DUCKDB, SPARK
from roistudio.core.payoff.language import parse_payoff

ROWS = [  # score, label, amount, region: a NULL amount on a positive, an unlabelled row, bad scores
    (0.9, 1, 100.0, "n"), (0.9, 0, 20.0, "s"), (0.7, 1, None, "n"), (0.7, None, 5.0, "n"),
    (0.5, 0, 40.0, None), (0.3, 1, 12.5, "s"), (None, 0, 3.0, "n"), (1.5, 1, 8.0, "s"),
    (0.3, 0, 60.0, " "), (0.1, 0, 1.0, "n"),
]  # fmt: skip
COLUMNS = {"score": "DOUBLE", "label": "BIGINT", "amount": "DOUBLE", "region": "VARCHAR"}


def _aggregates(dialect, run, table, payoff_text):
    payoff = parse_payoff(payoff_text, {"c": 5.0}, COLUMNS)
    label = f"({dialect.quote_identifier('label')} = {dialect.placeholder.format(name='pos')})"
    key = segment_key_sql("region") if dialect is DUCKDB else segment_key("region")
    query = SweepQuery(table, label, {"pos": 1}, payoff, breakdowns={"region": key}, dialect=dialect)
    params: dict[str, object] = {"pos": 1}
    values = payoff_row_values(query, params)
    sql, selects = aggregate_sql(query, [ModelSource("m", "score")], values, PAYOFF_AGGREGATES, params)
    return run(sql, params), run(bad_payoff_counts_sql(selects, dialect), params)


def test_spark_and_duckdb_aggregate_alike(spark):
    con = duckdb.connect()
    con.execute("CREATE TABLE data (score DOUBLE, label BIGINT, amount DOUBLE, region VARCHAR)")
    con.executemany("INSERT INTO data VALUES (?, ?, ?, ?)", ROWS)
    schema = "score double, label bigint, amount double, region string"
    spark.createDataFrame(ROWS, schema=schema).createOrReplaceTempView("sweep_sql_data")

    def on_duckdb(sql, params):
        return con.execute(sql, params).df()

    def on_spark(sql, params):
        return spark.sql(sql, args=params).toPandas()

    for payoff in ({"tp": "amount * 0.9 - c", "fp": "-c", "fn": "-amount"}, {"tp": "coalesce(amount, 0)"}):
        duck, duck_bad = _aggregates(DUCKDB, on_duckdb, "data", payoff)
        spk, spk_bad = _aggregates(SPARK, on_spark, "sweep_sql_data", payoff)
        assert list(spk.columns) == list(duck.columns)
        assert len(spk) == len(duck) > 0
        for col in duck.columns:
            a, b = duck[col].to_numpy(), spk[col].to_numpy()
            if col in ("v_flag", "v_keep"):
                np.testing.assert_allclose(b.astype(float), a.astype(float), rtol=1e-12, equal_nan=True)
            else:
                assert [str(x) for x in b] == [str(x) for x in a], col
        assert [int(x) for x in spk_bad.iloc[0]] == [int(x) for x in duck_bad.iloc[0]]
        arrays = {c: spk[c].to_numpy() for c in spk.columns}
        # The NULL amount on a labelled positive: caught by the sums in both, counted once.
        missing = payoff.get("tp") == "amount * 0.9 - c"
        assert labelled_sums_finite(arrays) is not missing
        assert int(duck_bad.iloc[0, 0]) == (1 if missing else 0)
