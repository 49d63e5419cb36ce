"""The TrueType font embedded in PDF reports (DejaVu Sans, bundled under ``resources/fonts``).

The PDF base-14 fonts only cover Latin-1 (plus the euro sign): a Cyrillic or Greek segment name,
``₹`` or ``zł`` would print as black boxes. DejaVu Sans covers all of these and is the font the
charts already use (matplotlib's default), so text and charts match.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from roistudio.core.errors import DataError

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}


def _has_fonts(folder: Path) -> bool:
    return all((folder / name).is_file() for name in _FILES.values())


def _candidates() -> list[Path]:
    """Font folders, best first: the app's resources, the source checkout, matplotlib's copy."""
    out: list[Path] = []
    try:
        from roistudio.core.project.demo import resources_dir

        out.append(resources_dir() / "fonts")
    except (ImportError, DataError):
        pass
    here = Path(__file__).resolve()
    out += [parent / "resources" / "fonts" for parent in here.parents]
    try:
        # matplotlib (a dependency of the charts) ships the same DejaVu files: a last resort
        # that keeps reports working when the resources folder was not installed.
        import matplotlib

        out.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:
        pass
    return out


def fonts_dir() -> Path:
    """The folder holding ``DejaVuSans.ttf`` and ``DejaVuSans-Bold.ttf``.

    Raises
    ------
    DataError
        If no candidate folder has both files.
    """
    for folder in _candidates():
        if _has_fonts(folder):
            return folder
    raise DataError("report font DejaVuSans.ttf not found; reinstall the app or set ROISTUDIO_RESOURCES")


def register_fonts() -> tuple[str, str]:
    """Register DejaVu Sans (regular and bold) with reportlab, once; return their names.

    ``<b>`` in a Paragraph maps to the bold face through the registered family.
    """
    registered = pdfmetrics.getRegisteredFontNames()
    if FONT not in registered or FONT_BOLD not in registered:
        folder = fonts_dir()
        for name, file_name in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(folder / file_name)))
        for bold, italic, face in ((0, 0, FONT), (1, 0, FONT_BOLD), (0, 1, FONT), (1, 1, FONT_BOLD)):
            addMapping(FONT, bold, italic, face)
    return FONT, FONT_BOLD
