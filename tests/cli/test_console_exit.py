"""The ``roistudio`` command ends a batch command with ``os._exit`` (no interpreter teardown).

Nothing may be lost that way: the output written to a pipe, the files, the exit code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from pypdf import PdfReader

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _roistudio(*argv: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "roistudio", *argv], cwd=cwd, env=env, capture_output=True,
                          timeout=300, check=False)  # fmt: skip


def test_a_sweep_to_a_pipe_is_whole_and_its_code_is_kept(tmp_path):
    done = _roistudio("sweep", "--demo", "--json", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)  # the whole document reached the pipe
    assert doc["mapping"]["score"] == "champion_score" and doc["coverage"]  # its last key too
    failed = _roistudio("sweep", "missing.csv", "--score", "s", "--label", "y", cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.decode().strip().splitlines()[-1].startswith("roistudio sweep: ")


def test_a_report_ends_with_both_files_whole(tmp_path):
    done = _roistudio("report", "--demo", "--bootstrap", "100", "--xlsx", "r.xlsx", "--pdf", "r.pdf",
                      cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert b"Best threshold" in done.stdout  # the summary printed after the files
    assert zipfile.ZipFile(tmp_path / "r.xlsx").testzip() is None
    assert len(PdfReader(tmp_path / "r.pdf").pages) > 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.pdf", "r.xlsx"]  # no temporary left
