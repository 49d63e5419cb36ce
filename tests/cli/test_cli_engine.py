"""``--engine``: the options' contract when Spark is not used or not installed (no JVM needed)."""

from __future__ import annotations

import sys

import pytest

from roistudio.cli.main import main


def _csv(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("score,label\n0.9,1\n0.2,0\n")
    return str(path)


def test_without_pyspark_the_spark_engine_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    # None in sys.modules makes any import of the package fail, as on a machine without it.
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    code = main(["sweep", _csv(tmp_path), "--score", "score", "--label", "label", "--engine", "spark"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        "roistudio sweep: the spark engine needs PySpark, which is not installed: pip install 'roistudio[spark]'\n"
    )


@pytest.mark.parametrize("option", [["--spark-master", "local[2]"], ["--table", "predictions"]])
def test_spark_options_need_the_spark_engine(option, tmp_path, capsys):
    code = main(["sweep", _csv(tmp_path), "--score", "score", "--label", "label", *option])
    assert code == 2
    assert capsys.readouterr().err == "roistudio sweep: --spark-master and --table need --engine spark\n"


def test_the_spark_engine_needs_data_or_a_table(capsys):
    code = main(["sweep", "--score", "score", "--label", "label", "--engine", "spark"])
    assert code == 2
    assert capsys.readouterr().err == (
        "roistudio sweep: no data given; pass a Parquet/CSV path Spark can read, or --table NAME\n"
    )


def test_the_sensitivity_on_spark_is_refused_in_one_line(tmp_path, capsys):
    code = main(
        [
            "sweep",
            _csv(tmp_path),
            "--score",
            "score",
            "--label",
            "label",
            "--engine",
            "spark",
            "--range",
            "c=1:2",
        ]
    )
    assert code == 2
    assert capsys.readouterr().err == (
        "roistudio sweep: --range (sensitivity) runs on the duckdb engine; the spark engine computes the "
        "recommendation and the bootstrap (--bootstrap N, per-segment and per-period intervals included); "
        "walk-forward, sensitivity and the label-delay estimate are DuckDB queries (run with --engine duckdb "
        "for them)\n"
    )
