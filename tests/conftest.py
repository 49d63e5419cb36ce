"""Suite-wide setup.

With ``ROISTUDIO_BLOCK_QT=1`` every import of PySide6/shiboken6 fails, as on a machine without
Qt installed: ``tests/test_layering.py`` runs the core tests that way.
"""

from __future__ import annotations

import importlib.abc
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BLOCKED = ("PySide6", "shiboken6")


class _BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named '{fullname}' (blocked: core tests run without Qt)")
        return None


if os.environ.get("ROISTUDIO_BLOCK_QT") == "1":
    sys.meta_path.insert(0, _BlockQt())


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session, exitstatus):
    _EXIT_STATUS.append(int(exitstatus))


def pytest_unconfigure(config):
    """Leave without interpreter finalisation once Qt has been loaded in this process.

    Every test has run and pytest has printed its summary by now. What remains is CPython tearing
    down modules, and with PySide6 loaded that teardown has aborted now and then inside the cyclic
    collector ("bool_dealloc: deallocating True or False", exit 134) after a fully passing run: a
    shutdown-order problem between shiboken and the interpreter, not in any test. The app's own
    exit is checked separately (the bundle's smoke test opens the window and quits with status 0).
    """
    if "PySide6" in sys.modules and _EXIT_STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])
