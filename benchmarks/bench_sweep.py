"""Sweep benchmark: 10M rows, printed side by side in one run (medians of several runs).

Compares, on the same Parquet file with a per-row payoff (tp = amount * 0.9 - 5, fp = -5,
fn = -amount):

1. cold ``roistudio sweep FILE.parquet ... --json OUT`` in a fresh process (Python start-up,
   imports, reading the file, validation, aggregation, JSON);
2. a hand-written pandas + numpy script in a fresh process (read, per-row payoff, sort,
   cumulative sums, argmax): the obvious way to do it without this app;
3. a warm re-sweep after a payoff change in one process (data already in DuckDB), as imported,
   clustered by score, and from cached per-score column sums (affine payoffs): the full
   ``analyse()`` call with the validation cached, as the app runs it on a payoff edit;
4. peak resident memory of 1 and 2.

Usage: ``python benchmarks/bench_sweep.py [--rows 10000000] [--decimals 4] [--repeat 3]``.
These machines are shared and noisy: read the ratios and medians, not single figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

PAYOFF_ARGS = ["--tp", "amount * 0.9 - 5", "--fp=-5", "--fn=-amount"]

PANDAS_SCRIPT = textwrap.dedent(
    """
    import resource, sys, time
    import numpy as np, pandas as pd
    t0 = time.perf_counter()
    df = pd.read_parquet(sys.argv[1], columns=["score", "label", "amount"])
    y = df["label"].to_numpy() == 1
    amount = df["amount"].to_numpy()
    flagged_value = np.where(y, amount * 0.9 - 5, -5.0)   # payoff if flagged (TP or FP)
    unflagged_value = np.where(y, -amount, 0.0)            # payoff if not flagged (FN or TN)
    order = np.argsort(-df["score"].to_numpy(), kind="stable")
    s = df["score"].to_numpy()[order]
    gain = np.cumsum((flagged_value - unflagged_value)[order])
    last = np.r_[s[1:] != s[:-1], True]                    # end of each distinct score
    values = unflagged_value.sum() + np.r_[0.0, gain[last]]
    best = int(np.argmax(values))
    print(f"RESULT {values[best]:.2f}", flush=True)
    print(f"PEAK_KB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
    """
)

CLI_SCRIPT = textwrap.dedent(
    """
    import resource, sys
    from roistudio.cli.main import main
    code = main(sys.argv[1:])
    print(f"PEAK_KB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
    raise SystemExit(code)
    """
)


def make_data(path: Path, rows: int, decimals: int) -> None:
    rng = np.random.default_rng(42)
    latent = rng.normal(size=rows).astype(np.float32)
    label = (rng.random(rows, dtype=np.float32) < 1 / (1 + np.exp(-(2.5 * latent - 6)))).astype(np.int8)
    score = np.round(1 / (1 + np.exp(-(latent * 1.8 - 4 + rng.normal(scale=0.8, size=rows)))), decimals)
    amount = np.round(rng.lognormal(3.8, 1.1, rows), 2)
    frame = pd.DataFrame({"score": score, "label": label, "amount": amount})
    frame.to_parquet(path, compression="zstd", index=False)


def run_process(args: list[str]) -> tuple[float, float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(args[:4])}...\n{proc.stderr}")
    peak = next(int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("PEAK_KB"))
    return elapsed, peak / 1024.0, proc.stdout


def warm_resweep(path: Path, repeat: int) -> dict[str, list[float] | float]:
    """Re-sweeps after payoff changes with the data already in DuckDB, as the app does."""
    import duckdb

    from roistudio.core.data.importer import import_file
    from roistudio.core.data.mapping import ColumnMapping, table_columns
    from roistudio.core.engine.analysis import AnalysisRequest, analyse
    from roistudio.core.engine.sweep import ColumnSumsCache, cluster_by_score
    from roistudio.core.payoff.language import parse_payoff

    con = duckdb.connect()
    t0 = time.perf_counter()
    import_file(con, path, table="data", materialize=True)
    out: dict[str, list[float] | float] = {"import": time.perf_counter() - t0}
    columns = table_columns(con, "data")
    mapping = ColumnMapping(score="score", label="label")

    def rounds(name: str, cache: ColumnSumsCache | None = None) -> None:
        validation = None
        times = []
        for i in range(repeat + 1):
            cost = 5.0 + i  # a changed payoff every time
            payoff = parse_payoff(
                {"tp": "amount * 0.9 - c", "fp": "-c", "fn": "-amount"}, {"c": cost}, columns
            )
            t = time.perf_counter()
            # The app keeps the validation of the current mapping: a payoff edit only re-aggregates.
            validation = analyse(
                con,
                "data",
                AnalysisRequest(mapping=mapping, payoff=payoff),
                validation=validation,
                cache=cache,
            ).validation
            if i:  # the first round warms caches and validates
                times.append(time.perf_counter() - t)
        out[name] = times

    rounds("warm")
    t0 = time.perf_counter()
    cluster_by_score(con, "data", "score")
    out["cluster"] = time.perf_counter() - t0
    rounds("warm_clustered")
    rounds("warm_sums", cache=ColumnSumsCache())
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
        env_cmd = [sys.executable, "-c"]
        cli, pandas_runs = [], []
        for _ in range(args.repeat):
            cli.append(
                run_process(
                    [
                        *env_cmd,
                        CLI_SCRIPT,
                        "sweep",
                        str(data),
                        "--score",
                        "score",
                        "--label",
                        "label",
                        *PAYOFF_ARGS,
                        "--json",
                        os.path.join(tmp, "out.json"),
                    ]
                )
            )
            pandas_runs.append(run_process([*env_cmd, PANDAS_SCRIPT, str(data)]))
        warm = warm_resweep(data, args.repeat)

    def med(xs):
        return statistics.median(xs)

    cli_t, pandas_t = med([r[0] for r in cli]), med([r[0] for r in pandas_runs])
    print()
    print(f"{'measure':<58} {'median':>9} {'runs':>28}")
    rows = [
        ("cold `roistudio sweep` (fresh process, parquet)", cli_t, [r[0] for r in cli]),
        ("pandas + numpy sort/cumsum script (fresh process)", pandas_t, [r[0] for r in pandas_runs]),
        ("warm re-sweep, payoff changed (table as imported)", med(warm["warm"]), warm["warm"]),
        (
            "warm re-sweep, payoff changed (table clustered by score)",
            med(warm["warm_clustered"]),
            warm["warm_clustered"],
        ),
        ("warm re-sweep, payoff changed (cached column sums)", med(warm["warm_sums"]), warm["warm_sums"]),
    ]
    for name, m, runs in rows:
        print(f"{name:<58} {m:>8.3f}s {', '.join(f'{x:.3f}' for x in runs):>28}")
    print(f"{'peak memory, roistudio sweep':<58} {med([r[1] for r in cli]):>8.0f}MB")
    print(f"{'peak memory, pandas script':<58} {med([r[1] for r in pandas_runs]):>8.0f}MB")
    print(f"{'one-off import into a DuckDB table (for warm sweeps)':<58} {warm['import']:>8.3f}s")
    print(f"{'one-off clustering of that table by score':<58} {warm['cluster']:>8.3f}s")
    print()
    print(f"ratio cold roistudio / pandas script: {cli_t / pandas_t:.2f}")


if __name__ == "__main__":
    main()
