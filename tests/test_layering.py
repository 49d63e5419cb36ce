"""The core works without Qt, matplotlib or report libraries (checked in fresh processes)."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import roistudio.core

ROOT = Path(__file__).resolve().parents[1]
# Test folders that exercise only the core (and the CLI's sweep command).
CORE_TESTS = ["tests/core", "tests/cli"]

BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'matplotlib', 'openpyxl', 'reportlab'):
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, Block())
"""


def test_every_core_module_imports_without_presentation_libraries():
    modules = [m.name for m in pkgutil.walk_packages(roistudio.core.__path__, "roistudio.core.")]
    code = BLOCKER + "".join(f"import {m}\n" for m in modules) + "print('ok', len(sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(modules) >= 10


def test_core_tests_pass_without_pyside6():
    tests = [t for t in CORE_TESTS if (ROOT / t).exists()]
    env = dict(os.environ, ROISTUDIO_BLOCK_QT="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:pytest-qt", "-p", "no:cacheprovider", *tests],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
