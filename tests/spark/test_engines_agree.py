"""The same ``roistudio sweep`` on DuckDB and on Spark gives the same JSON, figure for figure.

Each case runs the real CLI entry point twice over the same small files, once per engine, and
compares the whole ``--json`` document except ``source`` and ``app`` (which name the engine):
counts exactly, money and rates to 1e-6 (well inside "to the cent").
"""

from __future__ import annotations

import json
import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from roistudio.cli.main import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    rng = np.random.default_rng(13)
    n = 1500
    y = rng.random(n) < 0.25
    score = np.round(np.clip(0.3 + 0.35 * y + rng.normal(0, 0.18, n), 0, 1), 3)
    label = np.where(y, "yes", "no").astype(object)
    label[rng.random(n) < 0.04] = None  # not yet known
    noisy = score.copy()
    noisy[:7] = np.nan
    noisy[7:10] = 1.4
    frame = pd.DataFrame(
        {
            "score": score,
            "score2": np.round(np.clip(score + rng.normal(0, 0.1, n), 0, 1), 2),
            "noisy": noisy,
            "label": label,
            "amount": np.round(rng.lognormal(4, 1, n), 2),
            "region": rng.choice(["north", "south", "", None], n, p=[0.45, 0.45, 0.05, 0.05]),
            "channel": rng.choice(["web", "shop"], n),
            "day": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 180, n), unit="D"),
        }
    )
    frame["eid"] = np.arange(n)  # one event scored by both models of the long file
    # Text period labels of the same days (read by periods.py's rules on both engines).
    day = frame["day"]
    frame["quarter_label"] = day.dt.year.astype(str) + "-Q" + day.dt.quarter.astype(str)
    frame["month_name"] = day.dt.strftime("%B").str.lower()
    frame["fiscal"] = (
        "FY"
        + (day.dt.year % 100 + (day.dt.month >= 4)).astype(str)
        + " Q"
        + (((day.dt.month - 4) % 12) // 3 + 1).astype(str)
    )
    folder = tmp_path_factory.mktemp("engines")
    con = duckdb.connect()
    con.register("frame", frame)
    wide = folder / "wide.parquet"
    con.execute(
        f"COPY (SELECT * EXCLUDE (day), CAST(day AS DATE) AS day FROM frame) TO '{wide}' (FORMAT parquet)"
    )
    long = folder / "long.parquet"
    con.execute(
        f"""COPY (SELECT 'v1' AS model_name, score AS s, label, amount, CAST(day AS DATE) AS day,
                         CAST(score * 1000 AS BIGINT) AS event, 'E' || CAST(eid AS VARCHAR) AS eid FROM frame
                  UNION ALL SELECT 'v2', score2, label, amount, CAST(day AS DATE),
                         CAST(score * 1000 AS BIGINT), 'E' || CAST(eid AS VARCHAR) FROM frame)
            TO '{long}' (FORMAT parquet)"""
    )
    odd = folder / "odd.csv"
    frame.rename(columns={"score": "Fraud Prob.", "label": "Is Fraud?", "amount": "Amount (€)"}).assign(
        day=frame["day"].dt.strftime("%Y-%m-%d")
    ).to_csv(odd, index=False)
    return {"wide": str(wide), "long": str(long), "odd": str(odd)}


PAYOFF = ["--tp", "amount * 0.9 - cost", "--fp=-cost", "--fn=-amount", "--param", "cost=5"]
CASES = {
    "payoff and --at": ["wide", "--score", "score", "--label", "label", *PAYOFF, "--at", "0.5", "--at", "0.21"],
    "segments and capacity": [
        "wide", "--score", "score", "--label", "label", *PAYOFF, "--segment", "region", "--segment", "channel",
        "--capacity", "10%",
    ],
    "months and min precision": [
        "wide", "--score", "score", "--label", "label", *PAYOFF, "--time", "day", "--period", "month",
        "--min-precision", "0.4",
    ],
    "weeks and filters": [
        "wide", "--score", "score", "--label", "label", *PAYOFF, "--time", "day", "--period", "week",
        "--from", "2026-02-01", "--until", "2026-05-01", "--segment-filter", "region=north,south",
    ],
    "challenger by quarter": [
        "wide", "--score", "score", "--label", "label", *PAYOFF, "--challenger-score", "score2",
        "--time", "day", "--period", "quarter", "--segment", "channel",
    ],
    "model column": [
        "long", "--score", "s", "--label", "label", *PAYOFF, "--model", "model_name", "--champion", "v2",
        "--segment", "model_name",
    ],
    "nonlinear payoff, user threshold, max fpr": [
        "wide", "--score", "score", "--label", "label", "--positive", "YES",
        "--tp", "max(amount * 0.9, 10) if channel == 'web' else round(amount / 3)",
        "--fp", "-min(5, amount / 10) - (2 if channel == 'web' else 0)", "--tn", "0.1", "--fn", "-sqrt(amount) * 4",
        "--threshold", "0.4", "--max-fpr", "0.3",
    ],
    "bad scores excluded": [
        "wide", "--score", "noisy", "--label", "label", *PAYOFF, "--exclude-bad-scores", "--min-recall", "0.5",
    ],
    "quarter labels by year": [
        "wide", "--score", "score", "--label", "label", *PAYOFF, "--time", "quarter_label", "--period", "year",
    ],
    "month names with a year, by quarter": [
        "wide", "--score", "score", "--label", "label", *PAYOFF, "--time", "month_name", "--time-year", "2026",
        "--period", "quarter", "--segment", "channel",
    ],
    "fiscal quarters": [
        "wide", "--score", "score", "--label", "label", *PAYOFF, "--time", "fiscal", "--period", "quarter",
    ],
    "CSV with odd names": [
        "odd", "--score", "Fraud Prob.", "--label", "Is Fraud?", "--positive", "yes",
        "--tp", "`Amount (€)` * 0.9 - 5", "--fp=-5", "--fn=-`Amount (€)`", "--time", "day", "--period", "month",
    ],
}  # fmt: skip


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _sweep(capsys, files, case: list[str], *engine: str) -> dict:
    code, out, err = _run(capsys, ["sweep", files[case[0]], *case[1:], *engine, "--json", "-"])
    assert code == 0, err
    doc = json.loads(out)
    doc.pop("source")
    doc.pop("app")
    # The label-delay estimate and the decision blocks beyond the recommendation (walk-forward
    # backtest, coverage) run on DuckDB only.
    for key in ("calibration", "backtest", "coverage"):
        doc.pop(key, None)
    doc.pop("unlabeled_estimate", None)
    for row in (doc.get("periods") or {}).get("rows", []):
        for key in [k for k in row if k.startswith("estimated_")]:
            row.pop(key)
    return doc


def assert_same(duck, spark, path: str = "") -> None:
    """Equal documents: same keys, same lengths, equal ints and text, floats to 1e-6."""
    if isinstance(duck, dict):
        assert isinstance(spark, dict) and sorted(duck) == sorted(spark), path
        for key in duck:
            assert_same(duck[key], spark[key], f"{path}/{key}")
    elif isinstance(duck, list):
        assert isinstance(spark, list) and len(duck) == len(spark), path
        for i, (a, b) in enumerate(zip(duck, spark, strict=True)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(duck, float) and not isinstance(spark, bool) and isinstance(spark, (int, float)):
        assert math.isclose(duck, spark, rel_tol=1e-9, abs_tol=1e-6), f"{path}: DuckDB {duck}, Spark {spark}"
    else:
        assert duck == spark and type(duck) is type(spark), f"{path}: DuckDB {duck!r}, Spark {spark!r}"


@pytest.mark.parametrize("name", list(CASES))
def test_same_json_on_both_engines(name, files, spark, capsys):
    case = CASES[name]
    duck = _sweep(capsys, files, case)
    other = _sweep(capsys, files, case, "--engine", "spark", "--spark-master", "local[2]")
    assert duck["rows"] > 0
    assert_same(duck, other)


def test_table_from_the_catalog(files, spark, capsys):
    spark.read.parquet(files["wide"]).where("channel = 'web'").createOrReplaceTempView("web_predictions")
    duck_case = ["wide", "--score", "score", "--label", "label", *PAYOFF, "--segment-filter", "channel=web"]
    duck = _sweep(capsys, files, duck_case)
    code, out, err = _run(
        capsys,
        ["sweep", "--engine", "spark", "--table", "web_predictions", *duck_case[1:], "--json", "-"],
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["source"]["table"] == "web_predictions" and doc["source"]["engine"] == "spark"
    for key in ("rows", "positives", "negatives", "unlabeled", "optimal", "operating", "baselines"):
        assert_same(duck[key], doc[key], key)


@pytest.mark.parametrize(
    ("option", "expression"),
    [("--tp", "amount / (amount - amount)"), ("--fp", "-(2 if region == 'north' else 0)")],
)
def test_a_bad_payoff_gives_the_same_line_on_both_engines(option, expression, files, spark, capsys):
    """A division by zero (inf) and a NULL (missing region) are counted and refused alike."""
    case = [files["wide"], "--score", "score", "--label", "label", f"{option}={expression}"]
    results = [_run(capsys, ["sweep", *case, *engine]) for engine in ((), ("--engine", "spark"))]
    assert [code for code, _, _ in results] == [2, 2]
    lines = [err.strip().splitlines()[-1] for _, _, err in results]
    assert lines[0] == lines[1]
    assert f"= {expression} is missing or not a finite number on " in lines[0]


def test_report_on_spark_writes_both_files_with_the_spark_provenance(files, spark, capsys, tmp_path):
    from openpyxl import load_workbook

    xlsx, pdf = tmp_path / "r.xlsx", tmp_path / "r.pdf"
    case = CASES["months and min precision"]
    code, _, err = _run(
        capsys,
        ["report", files[case[0]], *case[1:], "--engine", "spark", "--xlsx", str(xlsx), "--pdf", str(pdf)],
    )
    assert code == 0, err
    assert pdf.read_bytes().startswith(b"%PDF")
    cells = {
        str(c.value)
        for ws in load_workbook(xlsx, read_only=True).worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }
    assert "not computed (read by Spark)" in cells
    assert "2026-01-01" in "".join(cells)  # the date range, read by Spark


BOOTSTRAP = ["--bootstrap", "200", "--seed", "11"]
BOOTSTRAP_CASES = {
    "challenger column": [
        "wide", "--score", "score", "--label", "label", *PAYOFF, "--challenger-score", "score2", *BOOTSTRAP,
    ],
    "challenger with unusable scores left out": [
        "wide", "--score", "score", "--label", "label", *PAYOFF, "--challenger-score", "noisy",
        "--exclude-bad-scores", "--capacity", "30%", *BOOTSTRAP,
    ],
    "model column, pooled rows": [
        "long", "--score", "s", "--label", "label", *PAYOFF, "--model", "model_name", "--champion", "v2", *BOOTSTRAP,
    ],
    "model column paired by --id": [
        "long", "--score", "s", "--label", "label", *PAYOFF, "--model", "model_name", "--champion", "v2",
        "--id", "eid", *BOOTSTRAP,
    ],
    "an --id that names no event: pooled rows": [
        "long", "--score", "s", "--label", "label", *PAYOFF, "--model", "model_name", "--champion", "v2",
        "--id", "event", *BOOTSTRAP,
    ],
    "segments and months": [
        "wide", "--score", "score", "--label", "label", *PAYOFF, "--segment", "region", "--segment", "channel",
        "--time", "day", "--period", "month", "--capacity", "20%", *BOOTSTRAP,
    ],
    "text quarters with a challenger and a filter": [
        "wide", "--score", "score", "--label", "label", *PAYOFF, "--challenger-score", "score2",
        "--time", "fiscal", "--period", "quarter", "--segment", "channel", "--segment-filter", "region=north,south",
        *BOOTSTRAP,
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", list(BOOTSTRAP_CASES))
def test_the_bootstrap_draws_the_same_figures_on_both_engines(name, files, spark, capsys):
    """Same seed, same intervals, P(challenger better) and verdict: only the cell aggregation runs on Spark.

    The cells' counts are exact on both engines; their payoff sums and squares are float sums
    whose order differs (Spark's partitions, DuckDB's threads), so the figures agree to 1e-9
    relative (1e-6 absolute), far inside a cent, not bit for bit.
    """
    case = BOOTSTRAP_CASES[name]
    duck = _sweep(capsys, files, case)
    other = _sweep(capsys, files, case, "--engine", "spark", "--spark-master", "local[2]")
    uncertainty = duck["uncertainty"]
    assert uncertainty["replicates"] == 200
    low, high = uncertainty["operating_value"]["low"], uncertainty["operating_value"]["high"]
    assert low < high  # a real interval, not a point
    if "comparison" in uncertainty:
        assert 0.0 <= uncertainty["comparison"]["p_challenger_better"] <= 1.0
    if "--segment" in case:
        segments = [case[i + 1] for i, a in enumerate(case) if a == "--segment"]
        assert sorted(uncertainty["segments"]) == sorted(segments)
        for column in segments:  # an interval per group the analysis shows, in its order
            keys = [g["key"] for g in uncertainty["segments"][column]]
            assert keys == [g["key"] for g in duck["segments"][column] if g["rows"] > g["unlabeled"]]
    if "--period" in case:
        keys = [p["key"] for p in uncertainty["periods"]]
        assert keys == [r["key"] for r in duck["periods"]["rows"] if r["rows"] > r["unlabeled"]]
    if "eid" in case:
        # Paired by event, the two models' difference is far narrower than with pooled rows:
        # the pairing really ran (on both engines, since the documents are equal).
        pooled = _sweep(capsys, files, BOOTSTRAP_CASES["model column, pooled rows"])
        width = [d["uncertainty"]["comparison"]["difference_at_best"] for d in (duck, pooled)]
        assert width[0]["high"] - width[0]["low"] < 0.5 * (width[1]["high"] - width[1]["low"])
    assert_same(duck, other)
