"""Under a real X server (Xvfb) with the keyboard: import through the wizard, export, three times.

Runs ``scripts/xvfb_keyboard_export.py`` (which starts the app in its own process and types with
``xdotool``) under ``xvfb-run -a``. Before the fix of issue 7 item 1 the app died with SIGSEGV
during the first export.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.conftest import small_frame

pytestmark = [
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("xvfb-run") is None or shutil.which("xdotool") is None,
        reason="needs xvfb-run and xdotool (apt-get install xvfb xdotool)",
    ),
]
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "xvfb_keyboard_export.py"


def test_import_then_export_three_times_with_the_keyboard_keeps_the_app_alive(tmp_path):
    csv = tmp_path / "predictions.csv"
    small_frame(rows=400).to_csv(csv, index=False)
    out = tmp_path / "exports"
    run = subprocess.run(
        ["xvfb-run", "-a", sys.executable, str(SCRIPT), str(csv), "--rounds", "3", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert [line for line in run.stdout.splitlines() if line.startswith("round")] == [
        f"round {n}: app alive; round-{n}.pdf and round-{n}.xlsx open" for n in (1, 2, 3)
    ]
