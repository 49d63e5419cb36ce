"""Safe text for spreadsheets: data-derived strings, sheet names and defined names.

Text that comes from the data (segment values, column names, file names, model names) must
reach a workbook as *text*, never as a formula: a segment called ``=HYPERLINK(...)`` or ``+1``
is shown as typed and never evaluated. The writer stores such strings with the string cell
type (see :func:`set_text`); the helpers here also remove characters that XML cannot carry
and make names that Excel and LibreOffice accept.

No openpyxl import at module level beyond typing: these helpers are plain string functions
except :func:`set_text`, which takes a cell.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
from collections.abc import Collection

# Excel's limit on the text of one cell.
MAX_CELL_TEXT = 32_767
MAX_SHEET_NAME = 31
MAX_DEFINED_NAME = 255

# C0 controls (tab, CR and LF included: a leading tab or CR is an old injection trick), DEL and
# C1 controls. XML 1.0 cannot carry most of them and none of them helps a reader.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Things Excel or LibreOffice read as a cell reference instead of a name: A1 style (up to three
# letters covers XFD, Excel's last column) and R1C1 style (R, C, R1, C2, R1C1, RC...).
_A1_LIKE = re.compile(r"[A-Za-z]{1,3}[0-9]+")
_R1C1_LIKE = re.compile(r"[Rr][0-9]*([Cc][0-9]*)?|[Cc][0-9]*")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.]")

# Spreadsheet function names (Excel and LibreOffice) a parameter could plausibly be called.
# A defined name equal to one of them is legal in Excel but confusing in a formula and rejected
# by some readers, so such a parameter gets a prefixed name.
_FUNCTION_WORDS = """
    abs acos and average averageif ceiling char choose clean code column columns concat concatenate
    cos count counta countif countifs date datedif day days degrees even exact exp fact false filter
    find floor fv if iferror ifna ifs index indirect int ipmt irr isblank iserror isnumber istext
    large left len ln log log10 lookup lower match max maxifs median mid min minifs mod month mround
    n na now npv odd offset or pi pmt power ppmt product proper pv quotient radians rand randbetween
    rank rate replace rept right round rounddown roundup row rows search sequence sign sin sort sqrt
    stdev substitute sum sumif sumifs sumproduct switch t tan text time today trim true trunc type
    unique upper value var vlookup hlookup xlookup weekday year xor let lambda
"""
EXCEL_FUNCTIONS = frozenset(_FUNCTION_WORDS.split())
# Sheet names Excel reserves.
_RESERVED_SHEETS = frozenset({"history"})


def safe_text(value: object, *, limit: int = MAX_CELL_TEXT) -> str:
    """Return ``value`` as text fit for a cell: control characters removed, length capped.

    The result may still start with ``=``, ``+``, ``-`` or ``@``; the writer stores it with the
    string cell type (:func:`set_text`) so no spreadsheet evaluates it.

    Parameters
    ----------
    value
        Anything; ``None`` gives the empty string.
    limit
        Maximum length; longer text is cut and ends with an ellipsis.
    """
    text = "" if value is None else _CONTROL.sub("", str(value))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def set_text(cell: Cell, value: object) -> None:
    """Store ``value`` in an openpyxl ``cell`` as text, whatever it starts with.

    openpyxl turns any string starting with ``=`` into a formula on assignment; forcing the data
    type back to ``"s"`` writes it as a plain string. ``quotePrefix`` also keeps Excel from
    turning it into a formula if a user edits the cell and presses Enter.
    """
    text = safe_text(value)
    cell.value = text
    cell.data_type = "s"
    if text[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True


def safe_sheet_name(name: object, taken: Collection[str] = ()) -> str:
    """A valid, unused worksheet name derived from ``name``.

    Valid means 1 to 31 characters, none of ``[ ] : * ? / \\``, no leading or trailing
    apostrophe, not Excel's reserved ``History``; unused means different, ignoring case, from
    every name in ``taken``. Clashes get a `` (2)``, `` (3)``... suffix within the 31 characters.
    """
    base = _SHEET_FORBIDDEN.sub("_", safe_text(name)).strip().strip("'").strip()
    if not base or base.lower() in _RESERVED_SHEETS:
        base = f"Sheet {base}".strip()
    base = base[:MAX_SHEET_NAME].rstrip("'").rstrip() or "Sheet"
    used = {t.lower() for t in taken}
    candidate, n = base, 1
    while candidate.lower() in used:
        n += 1
        suffix = f" ({n})"
        candidate = base[: MAX_SHEET_NAME - len(suffix)].rstrip("'").rstrip() + suffix
    return candidate


def _needs_prefix(name: str) -> bool:
    lower = name.lower()
    return (
        not re.match(r"[A-Za-z_]", name)
        or _A1_LIKE.fullmatch(name) is not None
        or _R1C1_LIKE.fullmatch(name) is not None
        or lower in EXCEL_FUNCTIONS
        or lower.startswith("_xl")
    )


def safe_defined_name(name: str, taken: Collection[str] = ()) -> str:
    """A workbook defined name for a parameter called ``name``.

    The parameter's own name when Excel and LibreOffice accept it; ``p_`` + name when it would
    read as a cell reference (``ab1``, ``R1C1``), a function (``sum``), a boolean, or does not
    start with a letter or ``_``. Defined names ignore case, so a name equal (ignoring case) to
    one in ``taken`` gets a ``_2``, ``_3``... suffix.
    """
    base = _NAME_CHARS.sub("_", safe_text(name)) or "p"
    if _needs_prefix(base):
        base = "p_" + base
    base = base[: MAX_DEFINED_NAME - 4]
    used = {t.lower() for t in taken}
    candidate, n = base, 1
    while candidate.lower() in used:
        n += 1
        candidate = f"{base}_{n}"
    return candidate
