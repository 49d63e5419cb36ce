"""Formats, fonts, fills and fixed texts of the workbook (one look for every sheet)."""

from __future__ import annotations

import numpy as np

from roistudio.core.glossary import METRICS
from roistudio.reports.xlsx.book import Alignment, Border, Fill, Font

MAX_SWEEP_ROWS = 2000
MAX_GROUP_ROWS = 5000  # segment values listed per segment column
MAX_CHART_BARS = 15

# Fixed table names, reserved so no parameter's defined name can take them (Excel keeps table
# names and defined names in one namespace).
TABLE_NAMES = ("tblSweep", "tblTrend", *(f"tblSegments{n}" for n in range(1, 100)))
VALUE = "Value"

DECISION_RULE = "a row is flagged iff score >= threshold"
NOT_YET_KNOWN = "labels not yet known"

NAVY = "1F3864"
HEADER_FILL = Fill("1F4E78")
KPI_FILL = Fill("EAF1FB")
INPUT_FILL = Fill("FFF2CC")
TITLE_FONT = Font(name="Calibri", size=18, bold=True, color=NAVY)
SUBTITLE_FONT = Font(name="Calibri", size=10, italic=True, color="595959")
SECTION_FONT = Font(name="Calibri", size=12, bold=True, color=NAVY)
HEADER_FONT = Font(name="Calibri", size=10, bold=True, color="FFFFFF")
LABEL_FONT = Font(name="Calibri", size=10, color="262626")
VALUE_FONT = Font(name="Calibri", size=10, color="000000")
KPI_FONT = Font(name="Calibri", size=12, bold=True, color="000000")
NOTE_FONT = Font(name="Calibri", size=9, italic=True, color="595959")
MUTED_FONT = Font(name="Calibri", size=9, color="7F7F7F")
SECTION_BORDER = Border("medium", NAVY)
THIN_BOTTOM = Border("thin", "D9D9D9")
WRAP = Alignment(wrap_text=True, vertical="top")

PERCENT = "0.0%"
INTEGER = "#,##0"
THRESHOLD = "0.0000##"
PLAIN_NUMBER = "#,##0.00##"

DEFINITIONS = METRICS  # the glossary, in the order the About sheet lists it


def parameter_format(value: float) -> str:
    """Number format showing a parameter with the digits it was entered with (at least 2 decimals).

    ``0.02463333`` keeps its 8 decimals; ``4.5`` shows ``4.50``; trailing ``#`` let a value typed
    later with more digits show them too.
    """
    text = np.format_float_positional(float(value), trim="-")  # shortest round-trip digits, no exponent
    decimals = min(max(len(text.partition(".")[2]), 2), 15)
    return "#,##0." + "0" * decimals + "#" * max(0, 12 - decimals)


def money_format(symbol: str, decimals: int = 0) -> str:
    """Excel number format for money: ``"$"#,##0;[Red]-"$"#,##0`` (negatives red with a minus)."""
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    sym = '"' + symbol.replace('"', "") + '"'
    return f"{sym}{digits};[Red]-{sym}{digits}"


ONE_PAGE_ROWS = 75
"""Rows a sheet of tables may have and still print legibly on one page (fitted to width and height)."""
