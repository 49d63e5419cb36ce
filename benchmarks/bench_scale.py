"""Scale benchmark: cold sweeps at 10M, 100M (and a multi-file dataset of 300M-1B rows).

Prints, side by side in one run, for each size: the cold ``roistudio sweep`` time and peak
resident memory (a fresh process per run, the figure from ``resource.getrusage`` in that child),
and the same for the hand-written pandas + numpy sweep of ``bench_sweep.py``. The pandas
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

The machines are shared and noisy: read medians and ratios, not single figures.
"""

from __future__ import annotations

import argparse
import os
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


def cold_runs(data: str, repeat: int, reference: bool) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {"cli": [], "pandas": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            args = [sys.executable, "-c", CLI_SCRIPT, "sweep", data, "--score", "score", "--label", "label"]
            elapsed, peak, _ = run_process([*args, *PAYOFF_ARGS, "--json", os.path.join(tmp, "out.json")])
            out["cli"].append((elapsed, peak))
            if reference:
                elapsed, peak, _ = run_process([sys.executable, "-c", PANDAS_SCRIPT, data])
                out["pandas"].append((elapsed, peak))
    return out


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
    print()
    print(f"{'data':<30} {'roistudio sweep':>17} {'peak':>8} {'pandas+numpy':>14} {'peak':>8} {'ratio':>6}")
    for label, data, rows in targets:
        reference = rows <= args.reference_max_rows
        runs = cold_runs(data, args.repeat if rows <= 100_000_000 else 1, reference)
        cli_t = statistics.median(r[0] for r in runs["cli"])
        cli_m = statistics.median(r[1] for r in runs["cli"])
        if reference:
            pd_t = statistics.median(r[0] for r in runs["pandas"])
            pd_m = statistics.median(r[1] for r in runs["pandas"])
            ref = f"{pd_t:>13.2f}s {pd_m:>6.0f}MB {cli_t / pd_t:>6.2f}"
        else:
            ref = f"{'(does not fit)':>14} {'':>8} {'':>6}"
        print(f"{label:<30} {cli_t:>16.2f}s {cli_m:>6.0f}MB {ref}", flush=True)
        print(f"{'':<30} runs: {', '.join(f'{r[0]:.2f}s/{r[1]:.0f}MB' for r in runs['cli'])}", flush=True)


if __name__ == "__main__":
    main()
