"""The one DuckDB type classifier: every caller agrees, on the type names DuckDB itself reports."""

import duckdb
import pytest

from roistudio.core.column_types import column_kind, is_numeric_type, is_temporal_type
from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.data.validation import validate_mapping
from roistudio.core.errors import PayoffError
from roistudio.core.payoff.language import parse_payoff
from roistudio.core.payoff.presets import PRESETS, find_money_column

# (SQL type as written, kind); DuckDB reports its own spelling of each (NUMERIC -> DECIMAL(18,3)...).
TYPES = [
    ("TINYINT", "num"), ("INT", "num"), ("INTEGER", "num"), ("BIGINT", "num"), ("HUGEINT", "num"),
    ("UBIGINT", "num"), ("REAL", "num"), ("DOUBLE", "num"), ("NUMERIC", "num"), ("DECIMAL(10,2)", "num"),
    ("VARCHAR", "str"), ("BOOLEAN", "bool"), ("DATE", "time"), ("TIMESTAMP", "time"),
    ("TIMESTAMPTZ", "time"), ("TIMESTAMP_NS", "time"), ("BLOB", "other"), ("INTEGER[]", "other"),
]  # fmt: skip


@pytest.mark.parametrize(("sql_type", "kind"), TYPES)
def test_declared_and_reported_type_names_classify_alike(sql_type, kind):
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (c {sql_type})")
    reported = con.execute("DESCRIBE t").fetchall()[0][1]
    assert column_kind(sql_type) == kind
    assert column_kind(reported) == kind, reported


def test_aliases_that_the_old_lists_disagreed_on():
    # The mapping's list had neither NUMERIC nor INT; the importer's had no unsigned types.
    for name in ("NUMERIC", "numeric(18, 3)", "INT", "int8", "UINTEGER", "FLOAT4"):
        assert is_numeric_type(name) and not is_temporal_type(name)
    assert is_temporal_type("TIMESTAMP WITH TIME ZONE")
    assert column_kind("INTERVAL") == "other" and column_kind("TIME") == "other"


def test_payoff_mapping_and_presets_read_a_numeric_alias_the_same_way():
    columns = {"score": "DOUBLE", "label": "INTEGER", "amount": "NUMERIC(12,2)", "note": "VARCHAR"}
    parse_payoff({"fn": "-amount"}, {}, columns)  # a number to the payoff language
    with pytest.raises(PayoffError, match="column 'note' is text"):
        parse_payoff({"fn": "-note"}, {}, columns)
    preset = next(iter(PRESETS.values()))
    assert find_money_column(preset, columns) == "amount"  # a number to the presets
    mapping = ColumnMapping("score", "label", money=("amount",))
    con = duckdb.connect()
    con.execute("CREATE TABLE data (score DOUBLE, label INTEGER, amount NUMERIC(12,2), note VARCHAR)")
    con.execute("INSERT INTO data VALUES (0.9, 1, 10.5, 'a'), (0.1, 0, 2.25, 'b')")
    report = validate_mapping(con, "data", mapping)  # a number to the mapping (money column accepted)
    assert report.label.positives == 1
