"""Walk-forward, sensitivity and the label-delay estimate on Spark: the same JSON blocks as DuckDB.

The real CLI runs twice over the same demo-like file (months, a segment, labels missing in the
latest month), once per engine; the whole ``--json`` documents (``backtest``, ``coverage``,
``sensitivity``, ``calibration``, ``unlabeled_estimate`` and the per-period estimates included)
must be equal: counts exactly, money to 1e-6. ``report`` writes the same blocks from Spark.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from roistudio.cli.main import main
from tests.spark.test_engines_agree import assert_same

SPARK = ["--engine", "spark", "--spark-master", "local[2]"]


@pytest.fixture(scope="module")
def demo_like(tmp_path_factory):
    """Six months of scored rows; the last month mostly unlabelled (labels arrive late)."""
    rng = np.random.default_rng(29)
    n = 1200
    day = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 181, n), unit="D")
    y = rng.random(n) < 0.2
    score = np.round(np.clip(0.25 + 0.4 * y + rng.normal(0, 0.17, n), 0, 1), 2)
    label = np.where(y, 1, 0).astype(float)
    late = (day >= pd.Timestamp("2026-06-01")) & (rng.random(n) < 0.8)
    label[late] = np.nan
    frame = pd.DataFrame(
        {
            "score": score,
            "label": label,
            "amount": np.round(rng.lognormal(4, 0.8, n), 2),
            "region": rng.choice(["north", "south", "east"], n),
            "day": day,
        }
    )
    path = tmp_path_factory.mktemp("decision") / "demo_like.parquet"
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute(
        f"COPY (SELECT * EXCLUDE (day, label), CAST(label AS INTEGER) AS label, CAST(day AS DATE) AS day "
        f"FROM frame) TO '{path}' (FORMAT parquet)"
    )
    return str(path)


BASE = ["--score", "score", "--label", "label", "--time", "day", "--segment", "region"]
CASES = {
    # Linear in its parameters: exact aggregates; by month, the estimate fitted on 3 months.
    "linear payoff by month": [
        *BASE, "--period", "month", "--tp", "amount * share - cost", "--fp=-cost", "--fn=-amount",
        "--param", "share=0.9", "--param", "cost=5", "--range", "cost=1:20", "--range", "share=0.5:1",
        "--calibration-periods", "3",
    ],
    # No period breakdown: the walk-forward's monthly analysis is one more Spark sweep.
    "linear payoff, walk-forward by month": [
        *BASE, "--tp", "amount * 0.9 - cost", "--fp=-cost", "--fn=-amount", "--param", "cost=5",
        "--range", "cost=0:40",
    ],
}  # fmt: skip


def _json(capsys, argv: list[str]) -> dict:
    code = main(argv)
    out = capsys.readouterr()
    assert code == 0, out.err
    doc = json.loads(out.out)
    doc.pop("source")
    doc.pop("app")
    return doc


@pytest.mark.parametrize("name", list(CASES))
def test_decision_blocks_are_the_same_on_both_engines(name, demo_like, spark, capsys):
    case = CASES[name]
    duck = _json(capsys, ["sweep", demo_like, *case, "--json", "-"])
    other = _json(capsys, ["sweep", demo_like, *case, *SPARK, "--json", "-"])
    for key in ("backtest", "coverage", "sensitivity", "calibration", "unlabeled_estimate"):
        assert key in duck, key  # the case exercises every block
    assert_same(duck, other)


def test_the_sensitivity_of_a_payoff_not_linear_in_its_parameters_is_the_same_on_spark(demo_like, spark):
    """Sums at the held policies (and a sweep per range end) aggregated by Spark: DuckDB's figures."""
    from roistudio.core.data.mapping import ColumnMapping, table_columns
    from roistudio.core.engine.analysis import AnalysisRequest, analyse
    from roistudio.core.engine.parameter_ranges import ParameterRange
    from roistudio.core.engine.sensitivity import sensitivity
    from roistudio.core.engine.spark import analyse_spark, load_source
    from roistudio.core.engine.spark_decision import SparkAggregator
    from roistudio.core.engine.spark_source import SparkSource
    from roistudio.core.payoff.language import parse_payoff

    con = duckdb.connect()
    con.execute(f"CREATE VIEW data AS SELECT * FROM read_parquet('{demo_like}')")
    payoff = parse_payoff(
        {"tp": "max(amount * share, floor) - 5", "fp": "-5", "tn": "0", "fn": "-amount"},
        {"share": 0.9, "floor": 20.0},
        table_columns(con, "data"),
    )
    assert not payoff.is_linear_in_parameters()
    request = AnalysisRequest(mapping=ColumnMapping("score", "label", segments=("region",)), payoff=payoff)
    ranges = [ParameterRange("floor", 0.0, 400.0), ParameterRange("share", 0.5, 1.0)]
    duck = sensitivity(con, analyse(con, "data", request), ranges, draws=150, seed=4)
    view = load_source(spark, SparkSource("local[2]", path=demo_like))
    analysis = analyse_spark(spark, view, request)
    rows = SparkAggregator(spark, view, analysis)
    rows.settings_per_scan = 64  # the 150 draws in three Spark jobs
    other = sensitivity(None, analysis, ranges, draws=150, seed=4, rows=rows)
    assert not duck.exact and not other.exact
    assert duck.break_even["floor"]  # a root was bracketed and refined (on Spark: one job per round)
    assert_same(duck.to_dict(), other.to_dict())


def test_report_from_spark_carries_the_decision_blocks(demo_like, spark, capsys, tmp_path):
    case = [*CASES["linear payoff by month"], "--bootstrap", "0"]  # the blocks of this module only
    duck = _json(capsys, ["report", demo_like, *case, "--json", "-"])
    pdf = tmp_path / "spark.pdf"
    code = main(["report", demo_like, *case, *SPARK, "--json", str(tmp_path / "r.json"), "--pdf", str(pdf)])
    err = capsys.readouterr().err
    assert code == 0, err
    other = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    other.pop("source")
    other.pop("app")
    assert_same(duck, other)
    assert pdf.stat().st_size > 0
