"""Threshold-explorer slider speed on a large curve (offscreen Qt), medians printed.

Builds a curve of about 670k distinct scores from 2M rows, shows the explorer offscreen and
moves the slider 60 times across the range: each move reads the point off the curve (binary
search) and blits the marker. Usage: ``python benchmarks/bench_slider.py [--rows 2000000]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--moves", type=int, default=60)
    args = parser.parse_args()

    import duckdb
    import numpy as np
    import pandas as pd
    from PySide6.QtWidgets import QApplication

    from roistudio.core.data.mapping import ColumnMapping, table_columns
    from roistudio.core.engine.analysis import AnalysisRequest, analyse
    from roistudio.core.payoff.language import parse_payoff
    from roistudio.gui.explorer import ThresholdExplorer

    app = QApplication([])
    rng = np.random.default_rng(0)
    y = (rng.random(args.rows) < 0.05).astype(int)
    score = np.round(np.clip(0.3 + 0.3 * y + rng.normal(0, 0.2, args.rows), 0, 1), 6)
    frame = pd.DataFrame({"score": score, "label": y, "amount": rng.random(args.rows) * 100})
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute('CREATE TABLE "data" AS SELECT * FROM frame')
    payoff = parse_payoff(
        {"tp": "amount * 0.9 - 5", "fp": "-5", "fn": "-amount"}, {}, table_columns(con, "data")
    )
    analysis = analyse(con, "data", AnalysisRequest(mapping=ColumnMapping("score", "label"), payoff=payoff))

    explorer = ThresholdExplorer()
    explorer.resize(1200, 800)
    explorer.show()
    explorer.set_analysis(analysis, "USD")
    app.processEvents()
    times = []
    for value in np.linspace(0, explorer.slider.maximum(), args.moves).astype(int):
        t0 = time.perf_counter()
        explorer.slider.setValue(int(value))
        app.processEvents()
        times.append(time.perf_counter() - t0)
    print(f"curve points: {len(analysis.champion.curve):,} from {args.rows:,} rows")
    print(f"slider move: median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
    print(f"full redraws during {args.moves} moves: {explorer.canvas.full_draws - 1}")


if __name__ == "__main__":
    main()
