"""Smoke test of a built bundle: ``python3 installers/smoke_test.py dist/roistudio [--out DIR]``.

The bundle is copied to a temporary folder and run from another folder with a clean environment
(no PYTHONPATH, no virtualenv, a fresh HOME), so it can only use what it carries. Checks:

1. ``roistudio --version`` prints the version of ``src/roistudio/__init__.py``;
2. ``roistudio report --demo`` writes the demo workbook and PDF;
3. ``roistudio sweep`` imports a small CSV written here and finds the optimum worked out by hand;
4. bad input gives one line on stderr and exit code 2, no traceback;
5. without a display the app says so in one line and exits 2;
6. the app opens its window offscreen and quits (``ROISTUDIO_SMOKE``; the start-up time is
   measured), then opens the demo, analyses it, saves a picture of the window and quits.

Prints the bundle's size and the timings; exits 1 if any check fails. Standard library only, so CI
runs it with any Python.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# On Windows the app (roistudio.exe) has no console; its console twin prints what the checks read.
EXE_NAME = "roistudio-cli.exe" if sys.platform == "win32" else "roistudio"

# Six rows, worked by hand: payoff tp = amount, fp = -10, tn = fn = 0.
# Descending scores: 0.9 (pos, 100), 0.8 (neg), 0.7 (pos, 50), 0.4 (neg), 0.3 (neg), 0.2 (pos, 5).
# Cumulative value when flagging down to each score: 100, 90, 140, 130, 120, 125; flag nobody 0.
# Best: 140 at threshold 0.7 (2 TP, 1 FP).
SMALL_CSV = """customer,score,churned,amount,region
a,0.9,yes,100,north
b,0.8,no,20,south
c,0.7,yes,50,north
d,0.4,no,30,south
e,0.3,no,10,north
f,0.2,yes,5,south
"""
EXPECTED_BEST = (0.7, 140.0)


def version_in_source() -> str:
    text = (REPO / "src" / "roistudio" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'__version__ = "([^"]+)"', text).group(1)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment: nothing that points at the project or a Python installation."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_RUNTIME_DIR": str(home / "runtime"),
    }
    if sys.platform == "win32":
        env.update({k: os.environ[k] for k in ("SYSTEMROOT", "TEMP", "TMP") if k in os.environ})
    env.update(extra)
    return env


class Smoke:
    def __init__(self, exe: Path, cwd: Path, home: Path) -> None:
        self.exe, self.cwd, self.home = exe, cwd, home
        self.failures: list[str] = []
        self.checks = 0

    def run(
        self, args: list[str], timeout: float = 300, **env: str
    ) -> tuple[subprocess.CompletedProcess, float]:
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [str(self.exe), *args],
                cwd=self.cwd,
                env=clean_env(self.home, **env),
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            stderr = (
                exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or ""
            )
            done = subprocess.CompletedProcess(exc.cmd, -1, "", f"{stderr}\ntimed out after {timeout:.0f} s")
        return done, time.perf_counter() - started

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks += 1
        print(f"smoke: {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
        if not ok:
            self.failures.append(name)
        return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="the one-folder bundle, e.g. dist/roistudio")
    parser.add_argument("--out", type=Path, help="keep the window picture and reports here")
    args = parser.parse_args(argv)
    if not (args.bundle / EXE_NAME).is_file():
        print(
            f"smoke: no {EXE_NAME} in {args.bundle}; build it first (installers/linux/build.sh)",
            file=sys.stderr,
        )
        return 2

    with tempfile.TemporaryDirectory(prefix="roistudio-smoke-") as tmp:
        tmp = Path(tmp)
        bundle = tmp / "bundle" / "roistudio"
        shutil.copytree(args.bundle, bundle, symlinks=True)
        work, home = tmp / "work", tmp / "home"
        work.mkdir()
        (home / "runtime").mkdir(parents=True, mode=0o700)
        smoke = Smoke(bundle / EXE_NAME, work, home)
        size = folder_size(bundle)
        print(f"smoke: bundle {size / 1e6:.0f} MB in {sum(1 for _ in bundle.rglob('*'))} files", flush=True)

        done, _ = smoke.run(["--version"], timeout=120)
        expected = f"roistudio {version_in_source()}"
        smoke.check(
            "--version",
            done.returncode == 0 and done.stdout.strip() == expected,
            f"{done.stdout.strip() or done.stderr.strip()[-300:]!r} (expected {expected!r})",
        )

        done, seconds = smoke.run(["report", "--demo", "--xlsx", "demo.xlsx", "--pdf", "demo.pdf"])
        pdf, xlsx = work / "demo.pdf", work / "demo.xlsx"
        pdf_ok = pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
        try:
            with zipfile.ZipFile(xlsx) as z:
                xlsx_ok = "xl/workbook.xml" in z.namelist() and len(z.namelist()) > 5
        except (OSError, zipfile.BadZipFile):
            xlsx_ok = False
        smoke.check(
            "report --demo",
            done.returncode == 0 and pdf_ok and xlsx_ok,
            f"{seconds:.1f} s, PDF {pdf.stat().st_size if pdf.is_file() else 0:,} bytes, "
            f"workbook {xlsx.stat().st_size if xlsx.is_file() else 0:,} bytes"
            + ("" if done.returncode == 0 else f"; exit {done.returncode}: {done.stderr.strip()[-500:]}"),
        )

        (work / "small.csv").write_text(SMALL_CSV, encoding="utf-8")
        done, _ = smoke.run(
            [
                "sweep",
                "small.csv",
                "--score",
                "score",
                "--label",
                "churned",
                "--positive",
                "yes",
                "--tp",
                "amount",
                "--fp",
                "-10",
                "--segment",
                "region",
                "--json",
                "-",
            ]
        )
        try:
            best = json.loads(done.stdout)["optimal"]
            got = (best["threshold"], best["value"])
        except (ValueError, KeyError, TypeError):
            got = None
        smoke.check(
            "sweep of a CSV",
            done.returncode == 0
            and got is not None
            and abs(got[0] - EXPECTED_BEST[0]) < 1e-12
            and abs(got[1] - EXPECTED_BEST[1]) < 1e-9,
            f"best {got} (expected {EXPECTED_BEST})"
            + ("" if done.returncode == 0 else f"; exit {done.returncode}: {done.stderr.strip()[-500:]}"),
        )

        done, _ = smoke.run(["sweep", "missing.csv", "--score", "s", "--label", "y"])
        lines = done.stderr.strip().splitlines()
        smoke.check(
            "bad input: one line, exit 2",
            done.returncode == 2
            and len(lines) == 1
            and "missing.csv" in lines[0]
            and "Traceback" not in done.stderr,
            f"exit {done.returncode}: {done.stderr.strip()[-300:]!r}",
        )

        if sys.platform.startswith("linux"):
            done, _ = smoke.run([], timeout=120)
            smoke.check(
                "no display: one line, exit 2",
                done.returncode == 2 and done.stderr.strip().startswith("roistudio: no display found"),
                f"exit {done.returncode}: {done.stderr.strip()[-300:]!r}",
            )

        blank = work / "start.png"
        done, seconds = smoke.run([], timeout=240, QT_QPA_PLATFORM="offscreen", ROISTUDIO_SMOKE=str(blank))
        timing = dict(re.findall(r"roistudio: (window painted|views ready) after ([0-9.]+) s", done.stderr))
        smoke.check(
            "window opens offscreen and quits",
            done.returncode == 0 and len(timing) == 2 and blank.is_file(),
            f"start-up: window painted after {timing.get('window painted', '?')} s, views ready after "
            f"{timing.get('views ready', '?')} s, process {seconds:.1f} s"
            + ("" if done.returncode == 0 else f"; exit {done.returncode}: {done.stderr.strip()[-800:]}"),
        )

        picture = work / "window.png"
        done, seconds = smoke.run(
            ["--demo"], timeout=240, QT_QPA_PLATFORM="offscreen", ROISTUDIO_SMOKE=str(picture)
        )
        png_ok = (
            picture.is_file()
            and picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            and picture.stat().st_size > 30_000
        )
        smoke.check(
            "window analyses the demo, saves a picture, quits",
            done.returncode == 0 and png_ok,
            f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'no output'}; "
            f"process {seconds:.1f} s",
        )

        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            for name in ("start.png", "window.png", "demo.pdf", "demo.xlsx"):
                if (work / name).is_file():
                    shutil.copy2(work / name, args.out / name)
            print(f"smoke: window picture and reports kept in {args.out}")

    print(f"smoke: bundle size {size / 1e6:.0f} MB ({size:,} bytes)")
    if smoke.failures:
        print(f"smoke: {len(smoke.failures)} of {smoke.checks} checks FAILED: {', '.join(smoke.failures)}")
        return 1
    print(f"smoke: all {smoke.checks} checks ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
