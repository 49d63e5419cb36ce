"""Formats, fonts, fills and fixed texts of the workbook (one look for every sheet)."""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.table import TableStyleInfo

from roistudio.core.glossary import METRICS

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
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
KPI_FILL = PatternFill("solid", fgColor="EAF1FB")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
TITLE_FONT = Font(name="Calibri", size=18, bold=True, color=NAVY)
SUBTITLE_FONT = Font(name="Calibri", size=10, italic=True, color="595959")
SECTION_FONT = Font(name="Calibri", size=12, bold=True, color=NAVY)
HEADER_FONT = Font(name="Calibri", size=10, bold=True, color="FFFFFF")
LABEL_FONT = Font(name="Calibri", size=10, color="262626")
VALUE_FONT = Font(name="Calibri", size=10, color="000000")
KPI_FONT = Font(name="Calibri", size=12, bold=True, color="000000")
NOTE_FONT = Font(name="Calibri", size=9, italic=True, color="595959")
MUTED_FONT = Font(name="Calibri", size=9, color="7F7F7F")
SECTION_BORDER = Border(bottom=Side(style="medium", color=NAVY))
THIN_BOTTOM = Border(bottom=Side(style="thin", color="D9D9D9"))
WRAP = Alignment(wrap_text=True, vertical="top")
TABLE_STYLE = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)

PERCENT = "0.0%"
INTEGER = "#,##0"
THRESHOLD = "0.0000##"
PLAIN_NUMBER = "#,##0.00##"

DEFINITIONS = METRICS  # the glossary, in the order the About sheet lists it


def money_format(symbol: str, decimals: int = 0) -> str:
    """Excel number format for money: ``"$"#,##0;[Red]-"$"#,##0`` (negatives red with a minus)."""
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    sym = '"' + symbol.replace('"', "") + '"'
    return f"{sym}{digits};[Red]-{sym}{digits}"
