"""Page geometry, colours, paragraph styles, tables, chart images and the page furniture
(running header, "Page X of Y") shared by every section of the PDF."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Paragraph,
    Table,
    TableStyle,
)

from roistudio.charts import style as chart_style
from roistudio.core.glossary import format_threshold
from roistudio.core.money import prints_on_letter
from roistudio.reports.model import EXAMPLE_PAYOFF_STAMP, ReportModel
from roistudio.reports.pdf.flow import KeptTable

MARGIN = 0.75 * inch
# Laid out for the narrower of the two pages (A4), so every flowable fits both.
TEXT_WIDTH = min(A4[0], LETTER[0]) - 2 * MARGIN


def page_size_for(currency: str) -> tuple[float, float]:
    """US Letter for US and Canadian dollars, A4 for every other currency."""
    size: tuple[float, float] = LETTER if prints_on_letter(currency) else A4  # reportlab is untyped
    return size


def side_margin(pagesize: tuple[float, float]) -> float:
    """The left and right margin that centre :data:`TEXT_WIDTH` on the page.

    Every flowable is laid out for A4's text width; on the wider Letter page the extra width
    goes to both sides equally (0.87 in instead of 0.75 in), not all to the right.
    """
    return float((pagesize[0] - TEXT_WIDTH) / 2)  # TEXT_WIDTH comes from untyped reportlab


NAVY = colors.HexColor(chart_style.LIGHT.champion)
INK = colors.HexColor("#222222")
MUTED = colors.HexColor("#666666")
RULE = colors.HexColor("#c9ced6")
HEADER_BG = colors.HexColor("#e8edf3")
ZEBRA = colors.HexColor("#f6f7f9")
BOX_BG = colors.HexColor("#f4f6f9")
UNKNOWN_TEXT = colors.HexColor("#8a8a8a")
STAMP = colors.HexColor("#b3261e")  # the "example payoff, not confirmed" stamp
STAMP_BG = colors.HexColor("#fdecea")

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# -- small formatting helpers -----------------------------------------------------------------------


# Data text longer than this is cut with an ellipsis: a 3,000-character segment value in a table
# cell makes a row taller than a page, which reportlab cannot lay out (LayoutError).
MAX_TEXT = 240


def paragraph_text(value: object, limit: int = MAX_TEXT) -> str:
    """Data-derived text made safe for a Paragraph: control characters dropped, cut to ``limit``
    characters with an ellipsis, markup escaped."""
    text = CONTROL_CHARS.sub("", str(value))
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return escape(text)


def fmt_pct(value: float | None, decimals: int = 1) -> str:
    """A rate as a percentage with ``decimals`` places; "n/a" when undefined."""
    return "n/a" if value is None or not np.isfinite(value) else f"{value * 100:.{decimals}f}%"


def fmt_int(value: int) -> str:
    """A count with thousands separators."""
    return f"{int(value):,}"


def fmt_threshold(threshold: float | None) -> str:
    """A threshold as the PDF prints it everywhere (one precision, see
    :func:`roistudio.core.glossary.format_threshold`), or "flag nobody"."""
    return format_threshold(threshold)


# -- styles ---------------------------------------------------------------------------------------


class Styles:
    """Paragraph styles, built after the fonts are registered."""

    def __init__(self, regular: str, bold: str):
        base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=12.5, textColor=INK)
        self.regular, self.bold = regular, bold
        self.body = base
        self.small = ParagraphStyle("small", base, fontSize=7.5, leading=10, textColor=MUTED)
        self.label = ParagraphStyle("label", base, fontName=bold, fontSize=7, leading=9, textColor=MUTED)
        self.title = ParagraphStyle("title", base, fontName=bold, fontSize=19, leading=23, textColor=NAVY)
        self.subtitle = ParagraphStyle("subtitle", base, fontSize=8.5, leading=11.5, textColor=MUTED)
        # A section may start under the previous one's last table (.flow): the space above sets it
        # apart there; at the top of a page a frame drops it.
        self.h1 = ParagraphStyle(
            "h1", base, fontName=bold, fontSize=14, leading=18, textColor=NAVY, spaceBefore=16, spaceAfter=6
        )
        self.h2 = ParagraphStyle(
            "h2", base, fontName=bold, fontSize=10.5, leading=14, spaceBefore=10, spaceAfter=4
        )
        # Section headings: each stays with the start of what it introduces (.flow.keep_headings).
        self.headings = (self.h1.name, self.h2.name)
        self.big = ParagraphStyle("big", base, fontName=bold, fontSize=28, leading=33, textColor=NAVY)
        self.big2 = ParagraphStyle("big2", self.big, textColor=INK)
        self.lead = ParagraphStyle("lead", base, fontSize=10.5, leading=15)
        self.kpi = ParagraphStyle("kpi", base, fontName=bold, fontSize=15, leading=19, textColor=INK)
        self.kpi_big = ParagraphStyle("kpi_big", self.kpi, fontSize=22, leading=33)
        self.small_ink = ParagraphStyle("small_ink", self.small, textColor=INK, leftIndent=8, spaceAfter=1.5)
        self.cell = ParagraphStyle("cell", base, fontSize=7.5, leading=9.5)
        self.cell_right = ParagraphStyle("cell_right", self.cell, alignment=TA_RIGHT)
        self.cell_head = ParagraphStyle("cell_head", self.cell, fontName=bold, textColor=INK)
        self.cell_head_right = ParagraphStyle("cell_head_right", self.cell_head, alignment=TA_RIGHT)
        self.cell_unknown = ParagraphStyle(
            "cell_unknown", self.cell, textColor=UNKNOWN_TEXT, alignment=TA_LEFT
        )
        self.bullet = ParagraphStyle("bullet", base, leftIndent=10, bulletIndent=0, spaceAfter=2)
        self.stamp = ParagraphStyle("stamp", base, fontName=bold, fontSize=11, leading=14, textColor=STAMP)


# -- tables ---------------------------------------------------------------------------------------


def _fit_widths(
    styles: Styles,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    flex: int = 0,
    total: float = TEXT_WIDTH,
) -> list[float]:
    """Column widths where no header word and no number is broken.

    A column needs the width of its longest header word (headers wrap between words only) and
    of its longest cell. The text column ``flex`` may wrap, so it gets what is left, but no more
    than it needs: any slack beyond that is shared evenly so short tables do not look lopsided.
    """
    pad = 9.0
    needs = []
    for i, name in enumerate(header):
        words = name.split() or [""]
        need = max(stringWidth(word, styles.bold, styles.cell_head.fontSize) for word in words)
        texts = {str(row[i]) for row in rows if i < len(row) and not isinstance(row[i], Flowable)}
        # Measured in bold: a highlighted row is set in bold and must not wrap either.
        need = max([need, *(stringWidth(t, styles.bold, styles.cell.fontSize) for t in texts)])
        needs.append(need + pad)
    fixed = sum(n for i, n in enumerate(needs) if i != flex)
    rest = total - fixed
    minimum = min(needs[flex], 1.2 * inch)  # a wrapping text column still needs some room
    if rest >= needs[flex]:
        share = (rest - needs[flex]) / len(needs)
        return [n + share for n in needs]
    if rest >= minimum:
        needs[flex] = rest
        return needs
    # Too wide even so: shrink the other columns proportionally, keep the text column readable.
    scale = (total - minimum) / fixed
    return [minimum if i == flex else n * scale for i, n in enumerate(needs)]


def data_table(
    styles: Styles,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[float] | None = None,
    *,
    numeric_from: int = 1,
    highlight: Sequence[int] = (),
    extra: Sequence[tuple[object, ...]] = (),
) -> Table:
    """A report table: bold header repeated on every page, zebra rows, numbers right-aligned.

    Columns before ``numeric_from`` hold text that may wrap (Paragraphs of escaped text); the
    others hold short numbers drawn as plain strings, right-aligned and never parsed as markup
    (much faster than a Paragraph per cell: a 500-segment table stays quick). Cells that are
    already flowables are used as given. ``highlight`` lists body rows (0-based) set in bold.
    """
    head = [
        Paragraph(escape(h), styles.cell_head_right if i >= numeric_from else styles.cell_head)
        for i, h in enumerate(header)
    ]
    bold_rows = set(highlight)
    body = []
    for r, row in enumerate(rows):
        out: list[object] = []
        for i, cell in enumerate(row):
            if isinstance(cell, Flowable):
                out.append(cell)
            elif i < numeric_from:
                text = paragraph_text(cell)
                out.append(Paragraph(f"<b>{text}</b>" if r in bold_rows else text, styles.cell))
            else:
                out.append(CONTROL_CHARS.sub("", str(cell)))
        body.append(out)
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, NAVY),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("FONTNAME", (0, 1), (-1, -1), styles.regular),
        ("FONTSIZE", (0, 1), (-1, -1), styles.cell.fontSize),
        ("LEADING", (0, 1), (-1, -1), styles.cell.leading),
        ("TEXTCOLOR", (0, 1), (-1, -1), INK),
        ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
        *[("FONTNAME", (0, r + 1), (-1, r + 1), styles.bold) for r in bold_rows],
        *extra,
    ]
    commands += [("BACKGROUND", (0, r), (-1, r), ZEBRA) for r in range(2, len(body) + 1, 2)]
    if widths is None:
        widths = _fit_widths(styles, header, rows, flex=0)
    table = KeptTable([head, *body], colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def key_value_table(
    styles: Styles,
    rows: Sequence[tuple[str, object]],
    widths: tuple[float, float | None] = (2.1 * inch, None),
) -> Table:
    """Two columns, label and value (both data-safe), for facts such as provenance."""
    width = widths[1] or TEXT_WIDTH - widths[0]
    data = [
        [Paragraph(paragraph_text(k), styles.cell_head), Paragraph(paragraph_text(v), styles.cell)]
        for k, v in rows
    ]
    table = KeptTable(data, colWidths=[widths[0], width], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


# -- page furniture --------------------------------------------------------------------------------


def numbered_canvas(model: ReportModel, regular: str) -> type[Canvas]:
    """A canvas that knows the page count when it finishes, for "Page 3 of 7" footers.

    Pages are kept until :meth:`save`, then each gets its header/footer with the total.
    """
    title = CONTROL_CHARS.sub("", model.title)
    date = model.created[:10]
    app = f"Model ROI Studio {model.app_version}"

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type stubs
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's camelCase name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            width, height = self._pagesize
            side = side_margin(self._pagesize)
            page = self._pageNumber
            self.saveState()
            self.setFont(regular, 7.5)
            self.setFillColor(MUTED)
            if page > 1:  # page 1 carries the title in large type already
                self.drawString(side, height - 0.5 * inch, _clip(title, 90))
                self.drawRightString(width - side, height - 0.5 * inch, date)
                self.setStrokeColor(RULE)
                self.setLineWidth(0.5)
                self.line(side, height - 0.56 * inch, width - side, height - 0.56 * inch)
            self.drawString(side, 0.45 * inch, app)
            self.drawRightString(width - side, 0.45 * inch, f"Page {page} of {total}")
            if model.payoff_suggested:  # on every page, not only under page 1's stamp
                self.setFillColor(STAMP)
                self.drawCentredString(width / 2, 0.45 * inch, EXAMPLE_PAYOFF_STAMP.upper())
            self.restoreState()

    return NumberedCanvas


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
