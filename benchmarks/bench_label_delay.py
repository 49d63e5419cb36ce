"""Label-delay benchmark: what the estimate adds to a sweep, printed side by side (medians).

On one in-memory DuckDB table (scores rounded to 4 decimals, a month column, the last month
unlabelled, per-row payoff tp = amount * 0.9 - 5, fp = -5, fn = -amount), times:

1. ``analyse()`` with the month breakdown (validation, aggregation, curves);
2. ``estimate_label_delay()`` on that analysis (one more aggregation per month, score and
   class, the calibration fit and the estimates) with isotonic and with Platt;
3. re-reading the estimate at another threshold (numpy over per-score sums, no query).

Usage: ``python benchmarks/bench_label_delay.py [--rows 2000000] [--repeat 3]``. These machines
are shared and noisy: read the ratios, not single figures.
"""

from __future__ import annotations

import argparse
import statistics
import time

import duckdb
import numpy as np
import pandas as pd

from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.engine.estimate import estimate_label_delay
from roistudio.core.payoff.language import parse_payoff


def _table(rows: int) -> duckdb.DuckDBPyConnection:
    rng = np.random.default_rng(0)
    latent = rng.normal(size=rows)
    score = np.round(1 / (1 + np.exp(-(latent * 1.5 - 3))), 4)
    month = rng.integers(0, 12, rows)
    label = (rng.random(rows) < score).astype(float)
    label[month == 11] = np.nan
    frame = pd.DataFrame(
        {
            "score": score,
            "label": label,
            "amount": np.round(rng.lognormal(4, 1, rows), 2),
            "ts": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(month * 30 + rng.integers(0, 28, rows), unit="D"),
        }
    )
    con = duckdb.connect()
    con.register("f", frame)
    con.execute("CREATE TABLE data AS SELECT * FROM f")
    con.unregister("f")
    return con


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    con = _table(args.rows)
    payoff = parse_payoff(
        {"tp": "amount * 0.9 - 5", "fp": "-5", "tn": "0", "fn": "-amount"}, {}, table_columns(con, "data")
    )
    request = AnalysisRequest(
        mapping=ColumnMapping(score="score", label="label", timestamp="ts"), payoff=payoff, period="month"
    )
    analysis = analyse(con, "data", request)
    t_sweep = _median(lambda: analyse(con, "data", request), args.repeat)
    t_iso = _median(lambda: estimate_label_delay(con, analysis, method="isotonic"), args.repeat)
    t_platt = _median(lambda: estimate_label_delay(con, analysis, method="platt"), args.repeat)
    ld = estimate_label_delay(con, analysis)
    t_read = _median(lambda: (ld.unlabeled_at(0.05), ld.periods_at(0.05)), args.repeat)
    print(f"{args.rows:,} rows, {len(np.unique(ld.sums.score)):,} distinct scores, medians of {args.repeat}")
    print(f"{'analyse() with months':<40} {t_sweep:8.3f} s   1.00")
    print(f"{'estimate, isotonic':<40} {t_iso:8.3f} s   {t_iso / t_sweep:.2f}")
    print(f"{'estimate, platt':<40} {t_platt:8.3f} s   {t_platt / t_sweep:.2f}")
    print(f"{'estimate read at a new threshold':<40} {t_read:8.3f} s   {t_read / t_sweep:.4f}")


if __name__ == "__main__":
    main()
