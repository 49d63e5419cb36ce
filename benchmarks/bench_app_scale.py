"""The app on a large Parquet file (offscreen Qt): is the GUI thread free, and how fast are edits?

Opens ``DATA`` the way the import wizard does (``import_data`` on the database thread: a Parquet
file past ``PARQUET_LOAD_MAX_ROWS`` rows is read in place), adopts it with the mapping
``score``/``label``, then:

1. counts a 20 ms GUI-thread timer during the import and the first sweep (the longest gap between
   ticks is how long the GUI could not paint or take input);
2. moves the threshold 50 times (``set_threshold``: the curve is re-read, no query) and counts
   the jobs submitted to the database thread (must be 0);
3. edits the payoff (affine in ``amount``) a few times and times each edit until the new analysis
   arrives: the first builds the per-score column sums (a scan), the next ones sweep from them.
   Each edit is split into the core path (``analyse`` on the database thread: wall time and that
   thread's CPU time) and the GUI publish (the document making the analysis current and every
   view redrawing, on the GUI thread).

With ``--window`` the whole main window is shown (offscreen), so the threshold moves and the
publish include every view's redraw; without it, only the document.

Usage: ``python benchmarks/bench_app_scale.py /tmp/roistudio-scale/rows100000000.parquet [--window]``.
CPU times are printed beside wall times: on a shared machine the wall time includes waiting.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--edits", type=int, default=4)
    parser.add_argument("--window", action="store_true", help="show the main window (views redraw)")
    parser.add_argument("--screenshot", help="with --window: save the window here at the end (PNG)")
    parser.add_argument(
        "--view",
        default="threshold",
        help="with --window: the tab shown during the moves and edits (e.g. payoff: where edits are made)",
    )
    parser.add_argument(
        "--stalls",
        type=float,
        metavar="MS",
        help="print where every thread is whenever the GUI thread goes MS ms without a timer tick",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="write cProfile stats of the GUI thread per phase (open, moves, edits) into DIR",
    )
    args = parser.parse_args()

    from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Slot
    from PySide6.QtWidgets import QApplication

    import roistudio.core.engine.analysis as analysis_module
    from roistudio.core.data.mapping import ColumnMapping
    from roistudio.gui.document import ProjectDocument, import_data
    from roistudio.gui.workers import DatabaseWorker

    app = QApplication([])
    worker = DatabaseWorker()
    worker.start()

    # The core path: every analyse() the database thread runs (wall, and that thread's CPU).
    core: list[tuple[float, float]] = []
    real_analyse = analysis_module.analyse

    def timed_analyse(*a, **k):
        t, c = time.perf_counter(), time.thread_time()
        try:
            return real_analyse(*a, **k)
        finally:
            core.append((time.perf_counter() - t, time.thread_time() - c))

    analysis_module.analyse = timed_analyse

    class Ticker(QObject):
        """Counts a GUI-thread timer's ticks and the longest gap between two."""

        def __init__(self) -> None:
            super().__init__()
            self.gaps: list[int] = []
            self.clock = QElapsedTimer()
            self.clock.start()
            self.last = 0

        @Slot()
        def tick(self) -> None:
            now = self.clock.elapsed()
            self.gaps.append(now - self.last)
            self.last = now
            self.last_tick = time.monotonic()

    # The window exists before the file is opened, as in the app (its construction, which loads
    # matplotlib, is not part of opening a file).
    window = None
    t_window = time.perf_counter()
    if args.window:
        import tempfile

        from PySide6.QtCore import QSettings

        from roistudio.gui.main_window import MainWindow
        from roistudio.gui.settings import Settings

        ini = os.path.join(tempfile.mkdtemp(), "settings.ini")
        window = MainWindow(worker, Settings(QSettings(ini, QSettings.Format.IniFormat)))
        window.show()
        doc = window.doc
    else:
        doc = ProjectDocument(worker)
    for _ in range(5):
        app.processEvents()  # the first paint
    t_window = time.perf_counter() - t_window
    ticker = Ticker()
    gaps = ticker.gaps
    timer = QTimer()
    timer.timeout.connect(ticker.tick)
    timer.start(20)
    stalls: list[str] = []
    if args.stalls:
        import threading
        import traceback

        ticker.last_tick = time.monotonic()
        gui_thread = threading.get_ident()

        def watch() -> None:
            """Where every thread is when the GUI thread has not ticked for a while (a stall)."""
            seen = 0.0
            while True:
                time.sleep(0.02)
                late = time.monotonic() - ticker.last_tick
                if late > args.stalls / 1000 and ticker.last_tick != seen:
                    seen = ticker.last_tick
                    frames = sys._current_frames()
                    text = [f"GUI thread {late * 1000:.0f} ms without a tick:"]
                    for ident, frame in frames.items():
                        if ident == threading.get_ident():
                            continue
                        who = "GUI" if ident == gui_thread else f"thread {ident}"
                        stack = traceback.extract_stack(frame)[-6:]
                        text.append(
                            f"  {who}: "
                            + " <- ".join(
                                f"{f.name} ({os.path.basename(f.filename)}:{f.lineno})"
                                for f in reversed(stack)
                            )
                        )
                    stalls.append("\n".join(text))

        threading.Thread(target=watch, daemon=True).start()

    def wait(predicate, what: str, timeout: float = 3600.0) -> None:
        end = time.monotonic() + timeout
        while not predicate():
            app.processEvents()
            time.sleep(0.002)
            if time.monotonic() > end:
                raise SystemExit(f"timed out waiting for {what}")

    import cProfile

    profiles: dict[str, cProfile.Profile] = {}

    def profile(phase: str) -> None:
        """Profile the GUI thread (cProfile sees only the thread it is enabled on) from here on."""
        for running in profiles.values():
            running.disable()
        if args.profile:
            profiles[phase] = cProfile.Profile()
            profiles[phase].enable()

    box: dict = {}
    profile("open")
    t0 = time.perf_counter()
    worker.submit(
        lambda con, p: import_data(con, args.data, p),
        kind="load",
        on_done=lambda r: box.setdefault("import", r),
        on_error=lambda e: box.setdefault("error", e),
    )
    wait(lambda: box, "the import")
    if "error" in box:
        raise SystemExit(f"import failed: {box['error']}")
    t_import = time.perf_counter() - t0
    result = box["import"]
    # The GUI publish: the document adopting a finished analysis and every view redrawing.
    publish: list[tuple[float, float]] = []
    shown: list[float] = []  # when each publish was over (the new figures painted)
    real_done = doc._analysis_done
    # Full chart draws (which view, GUI-thread CPU): the bulk of a publish.
    from roistudio.gui.mpl_canvas import MplCanvas

    draws: list[tuple[str, float]] = []
    real_draw = MplCanvas.draw

    def counted_draw(canvas) -> None:
        c = time.thread_time()
        real_draw(canvas)
        owner = canvas.parentWidget()
        while owner is not None and type(owner).__module__.startswith("PySide6"):
            owner = owner.parentWidget()
        draws.append((type(owner).__name__ if owner is not None else "?", time.thread_time() - c))

    MplCanvas.draw = counted_draw
    publish_draws: list[list[tuple[str, float]]] = []

    def timed_done(analysis) -> None:
        t, c, n = time.perf_counter(), time.thread_time(), len(draws)
        real_done(analysis)
        app.processEvents()  # deferred redraws
        publish.append((time.perf_counter() - t, time.thread_time() - c))
        shown.append(time.perf_counter())
        publish_draws.append(draws[n:])

    doc._analysis_done = timed_done
    analyses: list = []
    doc.analysisChanged.connect(lambda a: a is not None and analyses.append((time.perf_counter(), a)))
    doc.analysisFailed.connect(lambda m: box.setdefault("error", m))
    # As the import wizard proposes it: "amount" is a money column, so the suggested payoff uses it.
    doc.adopt_import(result, ColumnMapping(score="score", label="label", money=("amount",)))
    wait(lambda: analyses or "error" in box, "the first analysis")
    if "error" in box:
        raise SystemExit(f"analysis failed: {box['error']}")
    t_first = analyses[-1][0] - t0 - t_import
    max_gap_open = max(gaps)
    ticks_open = len(gaps)

    if window is not None:
        from roistudio.core.project.project import VIEWS

        window.tabs.setCurrentIndex(VIEWS.index(args.view))
        app.processEvents()
    submitted: list = []
    original = worker.submit
    worker.submit = lambda *a, **k: submitted.append(k.get("kind")) or original(*a, **k)
    curve = doc.analysis.champion.curve
    moves = []
    profile("moves")
    gaps_before_moves = len(gaps)
    moves_cpu = time.thread_time()
    for i in range(50):
        t = time.perf_counter()
        doc.set_threshold(float(curve.thresholds[1 + (i * 7919) % (len(curve.thresholds) - 1)]))
        app.processEvents()
        moves.append(time.perf_counter() - t)
    moves_cpu = (time.thread_time() - moves_cpu) / 50
    jobs_for_moves = len(submitted)
    worker.submit = original

    max_gap_moves = max(gaps[gaps_before_moves:], default=0)
    first_publish = list(publish)
    profile("edits")
    gaps_before_edits = len(gaps)
    edits = []
    edits_shown = []
    core.clear()
    publish.clear()
    publish_draws.clear()
    for i in range(args.edits):
        n, n_shown = len(analyses), len(shown)
        t = time.perf_counter()
        doc.set_payoff(
            {"tp": "amount * 0.9 - review_cost", "fp": "-review_cost", "fn": "-amount"},
            {"review_cost": 5.0 + i},
            {},
        )
        wait(lambda n=n: len(analyses) > n or "error" in box, "the re-sweep")
        edits.append(analyses[-1][0] - t)
        wait(lambda n_shown=n_shown: len(shown) > n_shown, "the publish")
        edits_shown.append(shown[-1] - t)
    profile("")
    max_gap_edits = max(gaps[gaps_before_edits:], default=0)
    timer.stop()
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
        for phase, stats in profiles.items():
            if phase:
                path = os.path.join(args.profile, f"{phase}.pstats")
                stats.dump_stats(path)
                print(f"GUI-thread profile of the {phase}: {path} (python3 -m pstats {path})")
    if window is not None and args.screenshot:
        window.grab().save(args.screenshot)
    worker.stop()
    rows = doc.analysis.rows
    print(
        f"data: {args.data} ({rows:,} rows swept, {len(curve):,} curve points; {f'main window, {args.view} tab shown' if window else 'document only'})"
    )
    print(f"window built and shown (GUI thread, before the open): {t_window:.2f} s")
    print(f"open (fingerprint + view + distinct counts, database thread): {t_import:.2f} s")
    print(f"first analysis (validation + sweep + column sums): {t_first:.2f} s")
    print(
        "first analysis published (document + views, GUI thread), wall/CPU: "
        + ", ".join(f"{w:.2f}/{c:.2f} s" for w, c in first_publish)
    )
    print(
        f"GUI timer during open + first sweep: {ticks_open} ticks of 20 ms, longest gap {max_gap_open:.0f} ms"
    )
    print(
        f"GUI timer's longest gap: during the threshold moves {max_gap_moves:.0f} ms, during the edits {max_gap_edits:.0f} ms"
    )
    print(
        f"threshold moves: median {statistics.median(moves) * 1000:.1f} ms wall, {moves_cpu * 1000:.1f} ms GUI-thread CPU, jobs submitted: {jobs_for_moves} {submitted}"
    )
    print("payoff edits (affine), until the new analysis: " + ", ".join(f"{e:.2f} s" for e in edits))
    print(
        f"  median {statistics.median(edits):.3f} s (sums built by the first analysis when it could; else by the first edit)"
    )
    print(
        "  core path (analyse on the database thread), wall/CPU: "
        + ", ".join(f"{w:.2f}/{c:.2f} s" for w, c in core)
    )
    print(
        "  GUI publish (document + views, GUI thread), wall/CPU: "
        + ", ".join(f"{w:.2f}/{c:.2f} s" for w, c in publish)
    )
    print("  until shown (analysis published and painted): " + ", ".join(f"{e:.2f} s" for e in edits_shown))
    print(
        "  full chart draws per publish (view: GUI-thread CPU): "
        + "; ".join(", ".join(f"{v} {c * 1000:.0f} ms" for v, c in d) or "none" for d in publish_draws)
    )
    print(f"  load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for stall in stalls:
        print(stall)
    print(f"peak memory of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    sys.stdout.flush()
    # A decision job may still be running on the database thread: leave without finalising Qt
    # objects from the interpreter's teardown (as the test suite does).
    os._exit(0)


if __name__ == "__main__":
    main()
