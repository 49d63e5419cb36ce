"""The CLI against a corpus of hostile and careless input, run as a real subprocess.

The contract (issue 9): every case ends with exit 0, or exit 2 and exactly one line on stderr;
never a traceback, never a hang; no input file and no non-regular file is modified. Each case runs
in its own temporary folder; every file there is fingerprinted (stat + SHA-256) before and after
the run, and only the case's declared outputs may change.

The cases run concurrently (a module fixture starts them all, a few at a time), so the module
costs about as much as its slowest few cases; the time limit is a hang detector, not a timing test.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import gzip
import hashlib
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import roistudio

SRC = str(Path(roistudio.__file__).resolve().parents[1])
HANG_LIMIT = 90.0  # seconds; a hang detector on a noisy shared machine
GOOD = [
    "--score",
    "score",
    "--label",
    "label",
    "--positive",
    "1",
    "--tp",
    "amount - 5",
    "--fp",
    "-5",
    "--fn",
    "-amount",
]


@dataclasses.dataclass
class Case:
    name: str
    build: Callable[[Path], list[str]]  # writes files into the folder, returns the CLI arguments
    exits: tuple[int, ...] = (0, 2)
    outputs: tuple[str, ...] = ()  # files the case may create or change
    shell: str | None = None  # run through sh with this redirection suffix (stdout closed/full)
    stderr_contains: str | None = None


def _frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    return pd.DataFrame(
        {
            "score": np.round(np.clip(0.3 + 0.4 * y + rng.normal(0, 0.2, n), 0, 1), 3),
            "label": y.astype(int),
            "amount": np.round(rng.lognormal(3, 1, n), 2),
            "seg": rng.choice(["north", "south", "(missing)"], n),
            "ts": pd.date_range("2025-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        }
    )


def _csv(folder: Path, name: str = "data.csv", frame: pd.DataFrame | None = None) -> Path:
    path = folder / name
    (frame if frame is not None else _frame()).to_csv(path, index=False)
    return path


def _parquet(folder: Path) -> Path:
    path = folder / "data.parquet"
    _frame().to_parquet(path, index=False)
    return path


def _sweep(*extra: str) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        _csv(folder)
        return ["sweep", "data.csv", *GOOD, *extra]

    return build


def _report(*extra: str) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        _csv(folder)
        return ["report", "data.csv", *GOOD, *extra]

    return build


def _with(setup: Callable[[Path], object], argv: list[str]) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        _csv(folder)
        setup(folder)
        return argv

    return build


def _fifo(folder: Path, name: str) -> None:
    os.mkfifo(folder / name)


def _long_text_csv(folder: Path) -> None:
    frame = _frame()
    frame["seg"] = ["x" * 3000, "y" * 3000, "z"] * 100
    frame = frame.rename(columns={"seg": "segment " + "w" * 400})
    frame.to_csv(folder / "long.csv", index=False)


def _huge_scores_csv(folder: Path) -> None:
    frame = _frame()
    frame.loc[0, "score"], frame.loc[1, "score"] = 1e308, -1e308
    frame.to_csv(folder / "huge.csv", index=False)


def _many_segments_csv(folder: Path) -> None:
    frame = _frame(5_000, seed=4)
    frame["seg"] = [f"s{i}" for i in range(len(frame))]
    frame.to_csv(folder / "many.csv", index=False)


def _wide_csv(folder: Path) -> None:
    rng = np.random.default_rng(1)
    frame = _frame(200)
    extra = pd.DataFrame(rng.random((200, 3000)).round(3), columns=[f"c{i}" for i in range(3000)])
    pd.concat([frame, extra], axis=1).to_csv(folder / "wide.csv", index=False)


def _utf16_csv(folder: Path) -> None:
    text = _frame().to_csv(index=False, sep="\t")
    (folder / "unicode.txt").write_bytes(text.encode("utf-16"))


def _european_csv(folder: Path) -> None:
    frame = _frame()
    frame["amount"] = frame["amount"] * 1000
    text = frame.to_csv(index=False, sep=";", decimal=",")
    # Thousands separators as Excel writes them in a German locale: 1.234,56.
    lines = text.splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(";")
        whole, _, frac = cells[2].partition(",")
        cells[2] = f"{int(whole):,}".replace(",", ".") + ("," + frac if frac else "")
        out.append(";".join(cells))
    (folder / "euro.csv").write_text("\n".join(out) + "\n", encoding="utf-8")


def _readonly_out(folder: Path) -> None:
    out = folder / "out.json"
    out.write_text("precious\n")
    out.chmod(0o444)


def _symlink_out(folder: Path) -> None:
    (folder / "real").mkdir()
    (folder / "real" / "out.json").write_text("old\n")
    (folder / "link.json").symlink_to(folder / "real" / "out.json")


def _symlink_to_input(folder: Path) -> None:
    (folder / "alias.json").symlink_to(folder / "data.csv")


def _hardlink_to_input(folder: Path) -> None:
    os.link(folder / "data.csv", folder / "hard.json")


CASES = [
    # Data loss: an output on an input, two outputs on one path, non-regular and protected targets.
    Case("json-onto-input", _sweep("--json", "data.csv"), exits=(2,)),
    Case(
        "json-onto-input-other-spelling",
        _with(lambda f: (f / "sub").mkdir(), ["sweep", "data.csv", *GOOD, "--json", "sub/../data.csv"]),
        exits=(2,),
    ),
    Case(
        "json-onto-input-symlink",
        _with(_symlink_to_input, ["sweep", "data.csv", *GOOD, "--json", "alias.json"]),
        exits=(2,),
    ),
    Case(
        "json-onto-input-hardlink",
        _with(_hardlink_to_input, ["sweep", "data.csv", *GOOD, "--json", "hard.json"]),
        exits=(2,),
    ),
    Case("xlsx-onto-input", _report("--xlsx", "data.csv"), exits=(2,)),
    Case(
        "pdf-onto-parquet-input",
        lambda f: (_parquet(f), ["report", "data.parquet", *GOOD, "--pdf", "data.parquet"])[1],
        exits=(2,),
    ),
    Case("pdf-to-dash", _report("--pdf", "-"), exits=(2,)),
    Case("xlsx-and-pdf-same-path", _report("--xlsx", "out.bin", "--pdf", "out.bin"), exits=(2,)),
    Case(
        "json-onto-fifo",
        _with(lambda f: _fifo(f, "out.json"), ["sweep", "data.csv", *GOOD, "--json", "out.json"]),
        exits=(2,),
    ),
    Case("json-onto-dev-null", _sweep("--json", "/dev/null"), exits=(2,)),
    Case(
        "json-onto-readonly",
        _with(_readonly_out, ["sweep", "data.csv", *GOOD, "--json", "out.json"]),
        exits=(2,),
        stderr_contains="--force",
    ),
    Case(
        "json-onto-readonly-forced",
        _with(_readonly_out, ["sweep", "data.csv", *GOOD, "--json", "out.json", "--force"]),
        exits=(0,),
        outputs=("out.json",),
    ),
    Case(
        "json-through-symlink",
        _with(_symlink_out, ["sweep", "data.csv", *GOOD, "--json", "link.json"]),
        exits=(0,),
        outputs=("real/out.json",),
    ),
    # Options that would be silently ignored.
    Case("from-without-time", _sweep("--from", "2025-03-01"), exits=(2,)),
    Case("until-without-time", _sweep("--until", "2025-03-01"), exits=(2,)),
    Case("segment-filter-empty", _sweep("--segment-filter", "seg="), exits=(2,)),
    # Targets that cannot be written.
    Case("json-missing-folder", _sweep("--json", "nowhere/out.json"), exits=(2,)),
    Case("xlsx-missing-folder", _report("--xlsx", "nowhere/out.xlsx"), exits=(2,)),
    Case(
        "xlsx-onto-folder",
        _with(lambda f: (f / "dir.xlsx").mkdir(), ["report", "data.csv", *GOOD, "--xlsx", "dir.xlsx"]),
        exits=(2,),
    ),
    Case("json-name-too-long", _sweep("--json", "o" * 300 + ".json"), exits=(2,)),
    Case("xlsx-name-too-long", _report("--xlsx", "o" * 300 + ".xlsx"), exits=(2,)),
    # Reports of awkward data.
    Case(
        "long-text-report",
        lambda f: (
            _long_text_csv(f),
            [
                "report",
                "long.csv",
                *GOOD,
                "--segment",
                "segment " + "w" * 400,
                "--currency",
                "Q" * 3000,
                "--xlsx",
                "r.xlsx",
                "--pdf",
                "r.pdf",
            ],
        )[1],
        outputs=("r.xlsx", "r.pdf"),
    ),
    Case(
        "huge-raw-scores-report",
        lambda f: (_huge_scores_csv(f), ["report", "huge.csv", *GOOD, "--raw-scores", "--pdf", "r.pdf"])[1],
        outputs=("r.pdf",),
    ),
    Case(
        "many-segments-pdf",
        lambda f: (
            _many_segments_csv(f),
            ["report", "many.csv", *GOOD, "--segment", "seg", "--pdf", "r.pdf"],
        )[1],
        exits=(0,),
        outputs=("r.pdf",),
    ),
    # Input files that are not what they say.
    Case("fifo-named-csv", lambda f: (_fifo(f, "pipe.csv"), ["sweep", "pipe.csv", *GOOD])[1], exits=(2,)),
    Case(
        "dev-zero-named-csv",
        lambda f: ((f / "zero.csv").symlink_to("/dev/zero"), ["sweep", "zero.csv", *GOOD])[1],
        exits=(2,),
    ),
    Case(
        "truncated-gz",
        lambda f: (
            (f / "t.csv.gz").write_bytes(gzip.compress(_frame().to_csv().encode())[:200]),
            ["sweep", "t.csv.gz", *GOOD],
        )[1],
        exits=(2,),
    ),
    Case(
        "not-gzip-gz",
        lambda f: ((f / "n.csv.gz").write_text("score,label\n1,0\n"), ["sweep", "n.csv.gz", *GOOD])[1],
        exits=(2,),
    ),
    Case("input-path-too-long", lambda f: ["sweep", "d" * 5000 + ".csv", *GOOD], exits=(2,)),
    Case("input-name-too-long", lambda f: ["sweep", "d" * 300 + ".csv", *GOOD], exits=(2,)),
    Case("wide-csv", lambda f: (_wide_csv(f), ["sweep", "wide.csv", *GOOD])[1], exits=(0,)),
    # Formats analysts export.
    Case("utf16-unicode-text", lambda f: (_utf16_csv(f), ["sweep", "unicode.txt", *GOOD])[1], exits=(0,)),
    Case("european-numbers", lambda f: (_european_csv(f), ["sweep", "euro.csv", *GOOD])[1], exits=(0,)),
    # Usage errors and the console.
    Case("usage-unknown-option", _sweep("--bogus"), exits=(2,), stderr_contains="--help"),
    Case("usage-missing-value", lambda f: ["sweep", "data.csv", "--capacity"], exits=(2,)),
    Case("usage-bad-choice", _sweep("--period", "fortnight"), exits=(2,)),
    Case(
        "guessed-mapping-then-error",
        lambda f: (_csv(f), ["sweep", "data.csv", "--tp", "nosuchcol"])[1],
        exits=(2,),
    ),
    Case("stdout-closed", _sweep(), shell=">&-"),
    Case("stdout-full", _sweep(), shell=">/dev/full"),
    Case("payoff-overflow-round", _sweep("--tp", "round(amount, 1/0)"), exits=(2,)),
    Case("payoff-nan-clip", _sweep("--tp", "clip((amount-amount)/(amount-amount), 0, 100)"), exits=(2,)),
]


@dataclasses.dataclass
class Outcome:
    code: int | None
    stderr: str
    timed_out: bool
    before: dict
    after: dict


def _snapshot(folder: Path) -> dict:
    """Every entry under ``folder``: (kind, mode, inode, size, SHA-256 of regular files), no following."""
    shot = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            st = path.lstat()
            digest = None
            if stat.S_ISREG(st.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                digest = os.readlink(path)
            shot[str(path.relative_to(folder))] = (
                stat.S_IFMT(st.st_mode),
                st.st_mode,
                st.st_ino,
                st.st_size,
                digest,
            )
    return shot


def _run(case: Case, folder: Path) -> Outcome:
    folder.mkdir(parents=True)
    argv = case.build(folder)
    before = _snapshot(folder)
    env = {**os.environ, "PYTHONPATH": SRC, "QT_QPA_PLATFORM": "offscreen"}
    cmd = [sys.executable, "-m", "roistudio", *argv]
    if case.shell:
        cmd = ["sh", "-c", 'exec "$0" "$@" ' + case.shell, *cmd]
    try:
        proc = subprocess.run(
            cmd,
            cwd=folder,
            env=env,
            capture_output=case.shell is None,
            stderr=subprocess.PIPE if case.shell else None,
            timeout=HANG_LIMIT,
        )
        code, err, timed_out = proc.returncode, proc.stderr.decode("utf-8", "replace"), False
    except subprocess.TimeoutExpired as exc:
        code, err, timed_out = None, (exc.stderr or b"").decode("utf-8", "replace"), True
    return Outcome(code, err, timed_out, before, _snapshot(folder))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    base = tmp_path_factory.mktemp("hostile")
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = {case.name: pool.submit(_run, case, base / case.name) for case in CASES}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_case(case: Case, outcomes):
    out = outcomes[case.name]
    assert not out.timed_out, f"hung for more than {HANG_LIMIT:.0f} s"
    assert "Traceback" not in out.stderr, out.stderr
    assert out.code in case.exits, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    if out.code != 0:
        assert len(lines) == 1, out.stderr
    if case.stderr_contains:
        assert case.stderr_contains in out.stderr
    for name, entry in out.before.items():
        if name in case.outputs:
            continue
        assert out.after.get(name) == entry, f"{name} was modified or removed"
    created = set(out.after) - set(out.before) - set(case.outputs)
    assert not created, f"unexpected files left behind: {sorted(created)}"
