"""``ROISTUDIO_SMOKE=PATH.png``: the app opens, saves a picture of its window and quits (installers' smoke test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from roistudio.gui.app import SMOKE_ENV

pytestmark = pytest.mark.gui
SRC = Path(__file__).resolve().parents[2] / "src"


def _run(tmp_path: Path, picture: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(
        PYTHONPATH=str(SRC),
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"),
        XDG_CACHE_HOME=str(tmp_path / "home" / ".cache"),
        **{SMOKE_ENV: str(picture)},
    )
    return subprocess.run(
        [sys.executable, "-m", "roistudio", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_smoke_mode_saves_the_window_and_exits_0(tmp_path):
    picture = tmp_path / "window.png"
    done = _run(tmp_path, picture)
    assert done.returncode == 0, done.stderr
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "roistudio: window painted after" in done.stderr
    assert "roistudio: views ready after" in done.stderr


def test_smoke_mode_fails_when_the_picture_cannot_be_saved(tmp_path):
    picture = tmp_path / "no such folder" / "window.png"
    done = _run(tmp_path, picture)
    assert done.returncode == 1
    assert f"roistudio: could not save {picture}" in done.stderr
