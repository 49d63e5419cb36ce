"""The demo report (PDF + workbook, bootstrap on): wall, CPU and peak memory, this checkout beside another.

Runs ``python -m roistudio report --demo --pdf X.pdf --xlsx X.xlsx`` (the bootstrap is on by
default: 1,000 replicates) as a fresh process, alternately with ``PYTHONPATH`` set to this
checkout's ``src`` and, with ``--baseline-src DIR``, to another source tree (e.g. ``/work/main/src``),
so both see the same machine load. Prints the median of ``--runs`` runs of each, side by side:

- wall: what the user waits for, from start to exit (on a shared machine it includes waiting);
- CPU: user + system time of the process and of any process it started and waited for (the
  forked workbook writer), from ``wait4``;
- peak: the largest resident set size of the process or of such a child (not their sum).

The load average is printed before and after: a wall time means little above a load of 1 on
2 cores. ``--bytecode`` runs with compiled bytecode, as an installed app has it (a private
``PYTHONPYCACHEPREFIX`` directory, filled by one untimed run per side); by default the
environment's own setting is used (``PYTHONDONTWRITEBYTECODE=1`` here: every module is compiled
from source on every run).

Usage: ``python benchmarks/bench_report.py [--baseline-src /work/main/src] [--runs 5] [--bytecode]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "src"


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: float


def run_once(src: Path, out: Path, env: dict[str, str]) -> Run:
    """One ``report --demo`` with ``src`` first on the path; its wall, CPU and peak memory."""
    command = [sys.executable, "-m", "roistudio", "report", "--demo", "--force",
               "--pdf", str(out / "r.pdf"), "--xlsx", str(out / "r.xlsx")]  # fmt: skip
    run_env = {**env, "PYTHONPATH": str(src)}
    if not (src.parent / "resources").is_dir():  # a bare copy of src: this checkout's demo data
        run_env.setdefault("ROISTUDIO_RESOURCES", str(HERE.parent / "resources"))
    start = time.perf_counter()
    process = subprocess.Popen(command, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    err = process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{src}: exit {process.returncode}\n{err.decode(errors='replace')[-2000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, help="another checkout's src directory to compare with")
    parser.add_argument("--runs", type=int, default=5, help="runs of each (median shown)")
    parser.add_argument("--bytecode", action="store_true", help="run with compiled bytecode (.pyc)")
    args = parser.parse_args()

    sides = {"this checkout": HERE}
    if args.baseline_src:
        sides["baseline"] = args.baseline_src.resolve()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="roistudio-bench-report-") as tmp:
        if args.bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        outs = {name: Path(tmp) / f"out{i}" for i, name in enumerate(sides)}
        for out in outs.values():
            out.mkdir()
        for name, src in sides.items():  # warm the file cache (and the bytecode) once, untimed
            run_once(src, outs[name], env)
        load_before = os.getloadavg()
        runs: dict[str, list[Run]] = {name: [] for name in sides}
        for _ in range(args.runs):
            for name, src in sides.items():
                runs[name].append(run_once(src, outs[name], env))
        load_after = os.getloadavg()

    bytecode = "with bytecode (.pyc)" if args.bytecode else (
        "no bytecode (compiled from source each run)" if env.get("PYTHONDONTWRITEBYTECODE") else "bytecode as the environment has it"
    )  # fmt: skip
    print(f"roistudio report --demo --pdf --xlsx (bootstrap 1,000 replicates), {bytecode}")
    print(f"medians of {args.runs} runs, sides alternating; {os.cpu_count()} cores; "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")  # fmt: skip
    print(f"{'':16s}{'wall s':>9s}{'CPU s':>9s}{'peak MB':>10s}   runs (wall)")
    medians = {}
    for name, rs in runs.items():
        wall = statistics.median(r.wall for r in rs)
        cpu = statistics.median(r.cpu for r in rs)
        peak = statistics.median(r.peak_mb for r in rs)
        medians[name] = (wall, cpu)
        walls = ", ".join(f"{r.wall:.2f}" for r in rs)
        print(f"{name:16s}{wall:9.2f}{cpu:9.2f}{peak:10.0f}   {walls}")
    if "baseline" in medians:
        (w, c), (bw, bc) = medians["this checkout"], medians["baseline"]
        print(f"{'ratio':16s}{w / bw:9.2f}{c / bc:9.2f}")


if __name__ == "__main__":
    main()
