"""Scale benchmark: cold sweeps at 10M, 100M (and a multi-file dataset of 300M-1B rows).

Prints, side by side in one run, for each size: the cold ``roistudio sweep`` wall time, CPU
time (user + system over all threads) and peak resident memory (a fresh process per run), and
the same for the hand-written pandas + numpy sweep of ``bench_sweep.py``; optionally the same
sweep from another checkout (``--baseline-src /work/main/src``), alternated run by run. The pandas
reference holds every row in memory several times over (about 40 bytes a row per array it
touches), so it is run only up to ``--reference-max-rows`` (100M by default): past that it does
not fit in this machine's memory, and the multi-file dataset is compared with the 100M figures.

Data are generated once under ``--data-dir`` (default ``/tmp/roistudio-scale``) and reused:
10M and 100M rows in one Parquet file each, and ``--dataset-rows`` rows as a directory of
100M-row files (the shape a log of that size has). Scores have 6 decimals (about 600k distinct
scores), payoff per row: ``tp = amount * 0.9 - 5``, ``fp = -5``, ``fn = -amount``.

Usage::

    python benchmarks/bench_scale.py [--sizes 10000000 100000000] [--dataset-rows 300000000]
                                     [--repeat 3] [--data-dir /tmp/roistudio-scale]
                                     [--baseline-src /work/main/src] [--dataset-links]

The machines are shared and noisy: read medians and ratios, and on a loaded machine the CPU
times rather than the wall times. The reference runs once per size (minutes, ~9 GB at 100M).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sweep import CLI_SCRIPT, PANDAS_SCRIPT, PAYOFF_ARGS, run_process

SRC = Path(__file__).resolve().parent.parent / "src"  # this checkout's code, whatever is installed
CHUNK_ROWS = 5_000_000  # rows generated at a time: bounded memory whatever the size
ROW_GROUP_ROWS = 1_000_000


def _chunk(rows: int, seed: int, decimals: int) -> pa.Table:
    """Rows with the distribution of ``bench_sweep.make_data`` (seeded per chunk)."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=rows).astype(np.float32)
    label = (rng.random(rows, dtype=np.float32) < 1 / (1 + np.exp(-(2.5 * latent - 6)))).astype(np.int8)
    noise = rng.normal(scale=0.8, size=rows)
    score = np.round(1 / (1 + np.exp(-(latent * 1.8 - 4 + noise))), decimals)
    amount = np.round(rng.lognormal(3.8, 1.1, rows), 2)
    return pa.table({"score": score, "label": label, "amount": amount})


def make_parquet(path: Path, rows: int, *, decimals: int = 6, seed: int = 0) -> None:
    """Write ``rows`` rows to one zstd Parquet file, ``CHUNK_ROWS`` at a time (atomic rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    writer = None
    try:
        done = 0
        while done < rows:
            n = min(CHUNK_ROWS, rows - done)
            table = _chunk(n, seed * 100_000 + done // CHUNK_ROWS, decimals)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            done += n
    finally:
        if writer is not None:
            writer.close()
    os.replace(tmp, path)


def ensure_file(path: Path, rows: int, seed: int) -> Path:
    if not path.exists():
        t0 = time.perf_counter()
        make_parquet(path, rows, seed=seed)
        print(f"made {path} ({rows:,} rows) in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


def ensure_dataset(directory: Path, rows: int, per_file: int = 100_000_000, link: Path | None = None) -> Path:
    """A folder of ``per_file``-row files; with ``link``, hard links to that one file (no disk, no
    generation time: the same rows repeated, so the same distinct scores, read from the page cache)."""
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(-(-rows // per_file)):
        target = directory / f"part-{i:04d}.parquet"
        if link is not None:
            if not target.exists():
                os.link(link, target)
            continue
        ensure_file(target, min(per_file, rows - i * per_file), seed=1000 + i)
    return directory


Run = tuple[float, float, float]  # wall seconds, CPU seconds (user + system, every thread), peak MB


def measured(args: list[str], env: dict[str, str] | None = None) -> Run:
    """One fresh process: wall time, its CPU time (from the rusage of waited-for children), peak RSS.

    On a shared machine the wall time says how busy the machine was as much as how fast the
    code is; the CPU time is what the process itself spent, load or not.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    old_env = dict(os.environ)
    try:
        if env is not None:
            os.environ.update(env)
        elapsed, peak, _ = run_process(args)
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, peak


def cold_runs(
    data: str, repeat: int, reference: bool, baseline: str | None
) -> tuple[dict[str, list[Run]], str]:
    """Cold runs, alternated (this code, the baseline, the reference) so load hits each alike.

    Also returns whether this code's JSON result agrees with the baseline's (same optimum and
    curve, money to the cent): a faster sweep must give the same figures.
    """
    out: dict[str, list[Run]] = {"cli": [], "baseline": [], "pandas": []}
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-c", CLI_SCRIPT, "sweep", data, "--score", "score", "--label", "label"]
        args = [*args, *PAYOFF_ARGS, "--json"]
        for i in range(repeat):
            out["cli"].append(measured([*args, os.path.join(tmp, "cli.json")], {"PYTHONPATH": str(SRC)}))
            if baseline is not None:
                out["baseline"].append(
                    measured([*args, os.path.join(tmp, "baseline.json")], {"PYTHONPATH": baseline})
                )
            if reference and i == 0:  # minutes and ~9 GB per run at 100M: once
                out["pandas"].append(measured([sys.executable, "-c", PANDAS_SCRIPT, data]))
        same = _same_result(Path(tmp, "cli.json"), Path(tmp, "baseline.json")) if baseline else ""
    return out, same


def _same_result(a: Path, b: Path) -> str:
    """Whether two ``--json`` results have the same counts and thresholds, and money to the cent."""
    docs = [json.loads(p.read_text()) for p in (a, b)]
    for doc in docs:
        doc.pop("source", None)  # read times and durations differ

    def same(x: object, y: object) -> bool:
        if isinstance(x, dict) and isinstance(y, dict):
            return x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
        if isinstance(x, list) and isinstance(y, list):
            return len(x) == len(y) and all(same(p, q) for p, q in zip(x, y, strict=True))
        if isinstance(x, float) and isinstance(y, (int, float)):
            return abs(x - y) <= max(0.005, 1e-12 * abs(y))
        return x == y

    return "yes" if same(*docs) else "NO"


def _median(runs: list[Run], j: int) -> float:
    return statistics.median(r[j] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000_000, 100_000_000])
    parser.add_argument(
        "--dataset-rows", type=int, default=0, help="rows of the multi-file dataset (0: skip)"
    )
    parser.add_argument("--reference-max-rows", type=int, default=100_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/roistudio-scale"))
    parser.add_argument("--make-only", action="store_true", help="generate the data and stop")
    parser.add_argument(
        "--dataset-links", action="store_true", help="build the dataset from hard links to the 100M-row file"
    )
    parser.add_argument(
        "--baseline-src", help="another checkout's src/ (e.g. main's) to run alternately, for a before/after"
    )
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    targets = [
        (f"{n:,} rows, one file", str(ensure_file(args.data_dir / f"rows{n}.parquet", n, seed=n % 997)), n)
        for n in args.sizes
    ]
    if args.dataset_rows:
        link = ensure_file(args.data_dir / "rows100000000.parquet", 100_000_000, seed=100_000_000 % 997)
        name = f"dataset{args.dataset_rows}{'-links' if args.dataset_links else ''}"
        d = ensure_dataset(args.data_dir / name, args.dataset_rows, link=link if args.dataset_links else None)
        targets.append(
            (f"{args.dataset_rows:,} rows, {len(list(d.glob('*.parquet')))} files", str(d), args.dataset_rows)
        )
    if args.make_only:
        return
    print(f"\n{os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.1f}")
    print("wall = elapsed seconds, cpu = user+system seconds of the process (all threads), peak = max RSS")
    head = f"{'data':<26} {'roistudio wall/cpu':>19} {'peak':>8}"
    if args.baseline_src:
        head += f" {'baseline wall/cpu':>18} {'peak':>8}"
    print(head + f" {'pandas+numpy wall/cpu':>22} {'peak':>8} {'ratio wall':>10} {'ratio cpu':>9}")
    for label, data, rows in targets:
        reference = rows <= args.reference_max_rows
        runs, same = cold_runs(data, args.repeat if rows <= 100_000_000 else 1, reference, args.baseline_src)
        cli = runs["cli"]
        line = f"{label:<26} {_median(cli, 0):>9.1f}s/{_median(cli, 1):>7.1f}s {_median(cli, 2):>6.0f}MB"
        if args.baseline_src:
            base = runs["baseline"]
            line += f" {_median(base, 0):>8.1f}s/{_median(base, 1):>7.1f}s {_median(base, 2):>6.0f}MB"
        if reference:
            ref = runs["pandas"]
            line += (
                f" {_median(ref, 0):>12.1f}s/{_median(ref, 1):>7.1f}s {_median(ref, 2):>6.0f}MB"
                f" {_median(cli, 0) / _median(ref, 0):>10.2f} {_median(cli, 1) / _median(ref, 1):>9.2f}"
            )
        else:
            why = "does not fit in memory" if rows > 100_000_000 else "not run (max rows)"
            line += f" {why:>22}"
        print(line, flush=True)
        for name in ("cli", "baseline", "pandas"):
            if runs[name]:
                shown = ", ".join(f"{r[0]:.1f}s/{r[1]:.1f}s/{r[2]:.0f}MB" for r in runs[name])
                print(f"{'':<26} {name} runs (wall/cpu/peak): {shown}", flush=True)
        if same:
            print(f"{'':<26} same result as the baseline (counts, thresholds, money to the cent): {same}")
        print(f"{'':<26} load average now {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
