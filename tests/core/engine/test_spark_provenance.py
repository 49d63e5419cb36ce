"""What reports and messages print of a Spark source: the engine, the master and no credentials."""

from __future__ import annotations

import pytest

from roistudio.core.engine.spark_source import SparkSource, shown_master


@pytest.mark.parametrize(
    ("master", "shown"),
    [
        ("local[*]", "local[*]"),
        ("spark://head:7077", "spark://head:7077"),
        ("yarn", "yarn"),
        ("k8s://https://api.example:6443", "k8s://https://api.example:6443"),
        ("sc://localhost:15002", "sc://localhost:15002"),
        ("sc://dbc.example:443/;token=dapi123;x-databricks-cluster-id=0101", "sc://dbc.example:443/"),
        ("sc://alice:s3cret@connect.example:15002/;use_ssl=true", "sc://connect.example:15002/"),
    ],
)
def test_the_master_is_shown_without_its_credentials(master, shown):
    assert shown_master(master) == shown


def test_the_engine_line_names_master_and_path_or_table():
    assert SparkSource("local[2]", path="/data/p.parquet").engine_line == (
        "Apache Spark, master local[2], path /data/p.parquet"
    )
    assert SparkSource("sc://h:15002/;token=abc", table="risk.scored").engine_line == (
        "Apache Spark, master sc://h:15002/, table risk.scored"
    )
