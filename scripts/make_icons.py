"""Render the app icon's PNG sizes from ``resources/icons/roistudio.svg`` (the one drawn source).

The PNGs are committed beside the SVG: the Linux desktop entry, the window icon and the
installers use them, and PyInstaller turns a PNG into the executable's ``.ico`` or ``.icns`` on
Windows and macOS. Run after editing the SVG::

    python scripts/make_icons.py
    python scripts/make_icons.py --ico installers/windows/roistudio.ico   # for Inno Setup (Pillow)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def write_ico(path: Path) -> None:
    """A multi-size Windows icon from the committed PNGs (Pillow, a dependency of matplotlib)."""
    from PIL import Image

    largest = Image.open(ICONS / "roistudio-256.png")
    largest.save(path, format="ICO", sizes=[(s, s) for s in SIZES if s <= 256])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ico", type=Path, help="only write a Windows .ico here from the PNGs")
    args = parser.parse_args(argv)
    if args.ico:
        write_ico(args.ico)
        print(args.ico)
        return 0

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "roistudio.svg"))
    if not renderer.isValid():
        print(f"make_icons: {ICONS / 'roistudio.svg'} is not a valid SVG", file=sys.stderr)
        return 2
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = ICONS / f"roistudio-{size}.png"
        image.save(str(path))
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
