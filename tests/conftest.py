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
