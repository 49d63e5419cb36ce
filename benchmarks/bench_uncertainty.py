"""Uncertainty benchmark: the bootstrap and the sensitivity block next to a plain sweep, one run.

On the Parquet file of ``bench_sweep.py`` (same data, same per-row payoff ``tp = amount * 0.9 - 5``,
``fp = -5``, ``fn = -amount``), medians of several fresh processes:

1. ``roistudio sweep FILE --bootstrap 1000 --json OUT`` (cold: start-up, import, validation, sweep,
   1,000 bootstrap replicates, walk-forward off: no time column);
2. the same without ``--bootstrap`` (today's plain sweep);
3. the hand-written pandas + numpy exact sweep (``bench_sweep.PANDAS_SCRIPT``);

then, in one process with the data in DuckDB, the sensitivity block for a payoff linear in two
ranged parameters (``tp = amount * recovery - review``, ``fp = -review``, ``fn = -amount``) with
5,000 Monte Carlo draws: the time it adds after the analysis.

Usage: ``python benchmarks/bench_uncertainty.py [--rows 10000000] [--decimals 4] [--repeat 3]``.
The machines are shared and noisy: read the ratios and medians, not single figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sweep import CLI_SCRIPT, PANDAS_SCRIPT, PAYOFF_ARGS, make_data, run_process


def sensitivity_times(path: Path, repeat: int) -> dict[str, list[float]]:
    """Time of ``sensitivity()`` (2 ranged parameters, 5,000 draws) after a warm analysis."""
    import duckdb

    from roistudio.core.data.importer import import_file
    from roistudio.core.data.mapping import ColumnMapping, table_columns
    from roistudio.core.engine.analysis import AnalysisRequest, analyse
    from roistudio.core.engine.parameter_ranges import ParameterRange
    from roistudio.core.engine.sensitivity import sensitivity
    from roistudio.core.engine.sweep import ColumnSumsCache
    from roistudio.core.payoff.language import parse_payoff

    con = duckdb.connect()
    import_file(con, path, table="data", materialize=True)
    payoff = parse_payoff(
        {"tp": "amount * recovery - review", "fp": "-review", "fn": "-amount"},
        {"recovery": 0.9, "review": 5.0},
        table_columns(con, "data"),
    )
    request = AnalysisRequest(mapping=ColumnMapping(score="score", label="label"), payoff=payoff)
    ranges = [ParameterRange("recovery", 0.6, 0.98), ParameterRange("review", 2.0, 25.0)]
    out: dict[str, list[float]] = {"analyse": [], "sensitivity": [], "sensitivity_scan": []}
    for _ in range(repeat):
        # As the CLI runs it with --range: the sweep keeps its per-score column sums.
        cache = ColumnSumsCache()
        t = time.perf_counter()
        analysis = analyse(con, "data", request, cache=cache)
        out["analyse"].append(time.perf_counter() - t)
        t = time.perf_counter()
        result = sensitivity(con, analysis, ranges, draws=5000, cache=cache)
        out["sensitivity"].append(time.perf_counter() - t)
        assert result.exact and result.draws == 5000
        t = time.perf_counter()
        sensitivity(con, analysis, ranges, draws=5000)  # without the sums: one aggregation scan
        out["sensitivity_scan"].append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--decimals", type=int, default=4, help="score rounding (distinct scores)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "bench.parquet"
        t0 = time.perf_counter()
        make_data(data, args.rows, args.decimals)
        print(
            f"data: {args.rows:,} rows, scores rounded to {args.decimals} decimals, "
            f"{data.stat().st_size / 1e6:.0f} MB parquet (made in {time.perf_counter() - t0:.1f} s)"
        )
        cli = [sys.executable, "-c", CLI_SCRIPT, "sweep", str(data), "--score", "score", "--label", "label",
               *PAYOFF_ARGS, "--json", os.path.join(tmp, "out.json")]  # fmt: skip
        boot, plain, pandas_runs = [], [], []
        for _ in range(args.repeat):
            boot.append(run_process([*cli, "--bootstrap", "1000"])[0])
            plain.append(run_process(cli)[0])
            pandas_runs.append(run_process([sys.executable, "-c", PANDAS_SCRIPT, str(data)])[0])
        sens = sensitivity_times(data, args.repeat)

    med = statistics.median
    print()
    print(f"{'measure':<64} {'median':>9} {'runs':>26}")
    for name, runs in (
        ("cold `roistudio sweep --bootstrap 1000` (fresh process)", boot),
        ("cold `roistudio sweep` (fresh process)", plain),
        ("pandas + numpy exact sweep script (fresh process)", pandas_runs),
        ("warm analyse() keeping column sums (payoff linear in 2 params)", sens["analyse"]),
        ("sensitivity: 2 ranges, tornado, break-even, 5,000 Monte Carlo", sens["sensitivity"]),
        ("the same without the sweep's column sums (one scan)", sens["sensitivity_scan"]),
    ):
        print(f"{name:<64} {med(runs):>8.3f}s {', '.join(f'{x:.3f}' for x in runs):>26}")
    print()
    print(f"ratio sweep --bootstrap 1000 / pandas script: {med(boot) / med(pandas_runs):.2f} (target <= 2)")
    print(f"ratio plain sweep / pandas script: {med(plain) / med(pandas_runs):.2f}")
    print(
        f"bootstrap adds {med(boot) - med(plain):.2f} s; sensitivity adds {med(sens['sensitivity']):.2f} s (target < 1)"
    )


if __name__ == "__main__":
    main()
