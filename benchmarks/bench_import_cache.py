"""Reopening a CSV: a full import against attaching the cached copy, medians side by side.

Writes a CSV of ``--rows`` predictions (score, label, amount, channel, timestamp), then times,
in one run: importing it (sniff, parse, load: what every reopen cost before the cache), the first
import that also stores the copy, and loading the cached copy (fingerprint + attach + view).
Usage: ``python benchmarks/bench_import_cache.py [--rows 2000000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import duckdb

    from roistudio.core.data.import_cache import ImportCache
    from roistudio.core.data.importer import import_file
    from roistudio.core.data.provenance import SourceInfo

    folder = Path(tempfile.mkdtemp(prefix="roistudio-bench-"))
    csv = folder / "predictions.csv"
    duckdb.connect().execute(
        f"""COPY (SELECT round(random(), 6) AS score, (random() < 0.05)::INT AS label,
                  round(random() * 300, 2) AS amount, ['web', 'store', 'phone'][1 + (range % 3)::INT] AS channel,
                  TIMESTAMP '2026-01-01' + to_seconds(range) AS created_at
           FROM range({args.rows})) TO '{csv}' (HEADER)"""
    )
    size_mb = csv.stat().st_size / 1e6

    def timed(fn) -> list[float]:
        out = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
        return out

    def full_import() -> None:
        import_file(duckdb.connect(), csv, table="data")

    def import_and_store() -> None:
        cache = ImportCache(folder / f"cache-{time.perf_counter_ns()}")
        con = duckdb.connect()
        cache.store(con, import_file(con, csv, table="data"))

    warm = ImportCache(folder / "warm")
    con = duckdb.connect()
    warm.store(con, import_file(con, csv, table="data"))

    def load_cached() -> None:
        c = duckdb.connect()
        assert warm.load(c, SourceInfo.of(csv), "data") is not None
        c.execute("SELECT count(*) FROM data").fetchone()

    results = {
        "import (every reopen before)": timed(full_import),
        "first import + store copy": timed(import_and_store),
        "reopen from cache": timed(load_cached),
    }
    base = statistics.median(results["import (every reopen before)"])
    print(f"{args.rows:,} rows, CSV {size_mb:.0f} MB, medians of {args.repeat}")
    for name, times in results.items():
        median = statistics.median(times)
        print(f"  {name:<30} {median:7.2f} s   ratio {median / base:5.2f}")


if __name__ == "__main__":
    main()
