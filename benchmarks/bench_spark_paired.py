"""The paired bootstrap's cells on Spark: per distinct score pair (collected) vs bucketed in Spark.

Two score columns with 6-decimal scores make almost every row its own (champion score,
challenger score) pair, so grouping by the pair and bucketing on the driver brings back about
one row per data row. ``SparkCells.paired`` buckets in Spark instead (bound edge thresholds),
so only the joint cells come back. This prints both side by side: time of the cell query, rows
collected, and the driver's peak memory (the Python process and the local JVM), each variant in
its own process so the peaks do not mix.

Usage::

    python benchmarks/bench_spark_paired.py [--rows 10000000] [--master local[2]]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_data(path: Path, rows: int) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SELECT setseed(0.42)")
    con.execute(
        f"""COPY (
            WITH b AS (SELECT random() < 0.2 AS y, random() AS u, random() AS w, range AS i FROM range({rows}))
            SELECT round(least(greatest(0.3 + 0.3 * y::INT + 0.25 * (u - 0.5), 0), 1), 6) AS score,
                   round(least(greatest(0.3 + 0.3 * y::INT + 0.25 * (w - 0.5), 0), 1), 6) AS score2,
                   CASE WHEN y THEN 'yes' ELSE 'no' END AS label,
                   round(20 + (i % 997) * 1.5, 2) AS amount
            FROM b
        ) TO '{path}' (FORMAT parquet)"""
    )


def _jvm_peak_kb() -> int:
    """Peak resident memory of this process's java children (the local driver JVM), in kB."""
    peak = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if f"PPid:\t{os.getpid()}" not in status and not _descends(int(pid)):
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak


def _descends(pid: int) -> bool:
    me = os.getpid()
    for _ in range(4):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return False
        pid = int(fields[1])
        if pid == me:
            return True
    return False


def run_variant(path: str, variant: str, master: str) -> dict[str, float]:
    import numpy as np

    from roistudio.core.data.mapping import ColumnMapping
    from roistudio.core.engine.analysis import AnalysisRequest
    from roistudio.core.engine.bootstrap import MAX_BUCKETS
    from roistudio.core.engine.bootstrap_cells import MOMENTS, bucket_edges, merge_cells, score_bucket
    from roistudio.core.engine.spark import (
        SparkSource,
        analyse_spark,
        load_source,
        spark_columns,
        spark_session,
    )
    from roistudio.core.engine.spark_bootstrap import SparkCells, spark_analysis_query
    from roistudio.core.engine.spark_source import q
    from roistudio.core.engine.sweep_sql import payoff_row_values
    from roistudio.core.payoff.language import parse_payoff

    spark = spark_session(master, config={"spark.driver.memory": "4g", "spark.ui.enabled": "false"})
    spark.sparkContext.setLogLevel("ERROR")
    view = load_source(spark, SparkSource(master=master, path=path))
    mapping = ColumnMapping(score="score", label="label", positive="yes", challenger_score="score2")
    expressions = {"tp": "amount * 0.9 - 5", "fp": "-5", "tn": "0", "fn": "-amount"}
    payoff = parse_payoff(expressions, {}, spark_columns(spark, view))
    analysis = analyse_spark(spark, view, AnalysisRequest(mapping=mapping, payoff=payoff))
    models = [analysis.champion, analysis.challenger]
    common = analysis.champion.operating.threshold
    forced = [
        [analysis.champion.operating.index, analysis.champion.optimum.index],
        [analysis.challenger.optimum.index, analysis.challenger.curve.index_at(common)],
    ]
    coarse = max(8, int((2 * MAX_BUCKETS) ** 0.5))
    edges = [bucket_edges(m.curve, f, coarse) for m, f in zip(models, forced, strict=True)]
    start = time.perf_counter()
    if variant == "bucketed in Spark":
        cells = SparkCells(spark, view, analysis).paired(models, edges)
        collected = len(cells.n)
    else:  # the previous query: one row per distinct (score, score2, class)
        built = spark_analysis_query(view, analysis)
        query = built.query
        rows = built.model_rows(models[0].name)
        params = rows.params
        values = payoff_row_values(query, params)
        y = f"({query.label_sql})"
        sql = f"""
            WITH r AS (
                SELECT CAST(`score` AS DOUBLE) AS s0, CAST(`score2` AS DOUBLE) AS s1,
                       CASE WHEN {y} THEN 1 ELSE 0 END AS c,
                       {values["v_flag"]} AS v_flag, {values["v_keep"]} AS v_keep
                FROM {q(query.table)} WHERE {rows.where_sql} AND ({y}) IS NOT NULL
            )
            SELECT s0, s1, c, {MOMENTS} FROM r GROUP BY s0, s1, c
        """
        pdf = spark.sql(sql, args=params).toPandas()
        raw = {str(c): pdf[c].to_numpy() for c in pdf.columns}
        collected = len(pdf)
        buckets = [
            score_bucket(m, e, np.asarray(raw[f"s{i}"], dtype=np.float64))
            for i, (m, e) in enumerate(zip(models, edges, strict=True))
        ]
        cells = merge_cells(raw, buckets)
    seconds = time.perf_counter() - start
    out = {
        "seconds": seconds,
        "collected_rows": collected,
        "cells": len(cells.n),
        "rows": float(cells.n.sum()),
        "python_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "jvm_peak_mb": _jvm_peak_kb() / 1024,
    }
    spark.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--variant")
    parser.add_argument("--data")
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.data, args.variant, args.master)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "paired.parquet"
        make_data(path, args.rows)
        print(f"{args.rows:,} rows, two 6-decimal score columns, {args.master}")
        results = {}
        for variant in ("per score pair (before)", "bucketed in Spark"):
            done = subprocess.run(
                [sys.executable, __file__, "--variant", variant, "--data", str(path), "--master", args.master],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            results[variant] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"{'':28}{'cell query s':>14}{'rows collected':>16}{'cells':>8}{'Python peak MB':>16}{'JVM peak MB':>13}"
    )
    for variant, r in results.items():
        print(
            f"{variant:28}{r['seconds']:14.1f}{r['collected_rows']:16,}{r['cells']:8,}"
            f"{r['python_peak_mb']:16,.0f}{r['jvm_peak_mb']:13,.0f}"
        )
    a, b = results.values()
    assert a["rows"] == b["rows"] and a["cells"] == b["cells"], "the two variants built different cells"
    print(f"time ratio (bucketed / before): {b['seconds'] / a['seconds']:.2f}")


if __name__ == "__main__":
    main()
