"""Page geometry, colours, paragraph styles, tables, chart images and the page furniture
(running header, "Page X of Y") shared by every section of the PDF."""

from __future__ import annotations

import contextlib
import contextvars
import gc
import os
import re
import signal
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader
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

CHART_DPI = 220
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


# -- charts ---------------------------------------------------------------------------------------


class _ChartImage(Flowable):  # type: ignore[misc]  # reportlab has no type stubs
    """A chart placed at its physical size, rendered when first drawn (or beforehand, see
    :func:`render_charts`).

    Takes the rendered pixels directly (no PNG encode and decode on the way), which keeps the
    report fast: reportlab compresses the raw pixels once itself.
    """

    def __init__(self, draw: Callable[[Axes], object], width: float, height: float):
        super().__init__()
        self._draw, self.width, self.height = draw, width, height
        self._image: ImageReader | None = None
        self._pixels_from: Callable[[], np.ndarray | None] | None = None
        collected = _collected.get()
        if collected is not None:
            collected.append(self)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def pixels(self) -> np.ndarray:
        """The rendered chart as an RGB array."""
        return _render(self._draw, self.width, self.height)

    def draw(self) -> None:
        if self._image is None:
            done = self._pixels_from() if self._pixels_from is not None else None
            self._image = ImageReader(PILImage.fromarray(done if done is not None else self.pixels()))
        self.canv.drawImage(self._image, 0, 0, width=self.width, height=self.height)


# Per thread (and task): the app may write a PDF on a worker thread while another is built.
_collected: contextvars.ContextVar[list[_ChartImage] | None] = contextvars.ContextVar("charts", default=None)


def chart_image(draw: Callable[[Axes], object], width: float, height: float) -> Flowable:
    """A chart drawn on a fresh Figure at :data:`CHART_DPI`, sized ``width`` x ``height`` points."""
    return _ChartImage(draw, width, height)


class FillChart(Flowable):  # type: ignore[misc]  # reportlab has no type stubs
    """A chart as tall as the space left on the page (between ``low`` and ``high`` points).

    Page 1 ends with its chart: sized at layout time, it fills the page whatever the text above
    took (A4 or Letter, with or without an estimate box), so no band of the page is left empty.
    Rendered once, at the height of its first layout.
    """

    def __init__(self, draw: Callable[[Axes], object], width: float, low: float, high: float):
        super().__init__()
        self._draw, self.width, self._low, self._high = draw, width, low, high
        self.height = low
        self._image: ImageReader | None = None

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        if self._image is None:
            self.height = max(self._low, min(self._high, available_height - 1))
        return self.width, self.height

    def draw(self) -> None:
        if self._image is None:
            self._image = ImageReader(PILImage.fromarray(_render(self._draw, self.width, self.height)))
        self.canv.drawImage(self._image, 0, 0, width=self.width, height=self.height)


def _render(draw: Callable[[Axes], object], width: float, height: float) -> np.ndarray:
    fig = Figure(
        figsize=(width / inch, height / inch), dpi=CHART_DPI, layout="constrained", facecolor="white"
    )
    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine)
    engine.set(w_pad=0.04, h_pad=0.04)
    draw(fig.add_subplot())
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # type: ignore[no-untyped-call]  # matplotlib leaves the Agg canvas untyped
    # An opaque RGB image: smaller than RGBA and needs no soft mask in the PDF.
    rgba = canvas.buffer_rgba()  # type: ignore[no-untyped-call]  # untyped in matplotlib
    return np.ascontiguousarray(np.asarray(rgba)[..., :3])


def spare_core() -> bool:
    """Whether a forked copy of this process would have a core to itself (Linux only).

    Two cores or more and a one-minute load average below the number of cores (the command
    itself counts for about one, so other work takes less than a core): on a machine already
    busy (measured at a load average of 7 to 15 on 2 cores) a second process only competes for
    the same cores, and its copy-on-write work made the report slower, not faster.
    """
    if not sys.platform.startswith("linux"):
        return False
    cores = os.cpu_count() or 1
    return cores >= 2 and os.getloadavg()[0] < cores


@contextlib.contextmanager
def collected_charts() -> Iterator[list[_ChartImage]]:
    """The charts (:func:`chart_image`) made inside the block, in the order they were made."""
    charts: list[_ChartImage] = []
    token = _collected.set(charts)
    try:
        yield charts
    finally:
        _collected.reset(token)


@contextlib.contextmanager
def charts_rendered_meanwhile(charts: Sequence[_ChartImage]) -> Iterator[None]:
    """Render the later of ``charts`` in a forked copy of this process while the block runs.

    For a batch command on Linux with a core to spare (:func:`spare_core`; never the app: a copy of a Qt process
    is not safe). The block lays out and draws the pages; the charts come in page order, so
    the copy takes the later ones (two thirds: the pages before them take the parent a while)
    and the parent draws the first ones itself. A chart the copy rendered is read back from a
    temporary ``.npy`` file when its page is drawn; if the copy failed for any reason, the
    parent renders it itself. The copy ends with ``os._exit`` and never touches the parent's
    DuckDB connection or threads; it is reaped (killed first if the block failed) before the
    block's exit.
    """
    theirs = list(charts[len(charts) // 3 :])
    if not theirs or not spare_core():
        yield
        return
    with tempfile.TemporaryDirectory(prefix="roistudio-charts-") as tmp:
        files = [os.path.join(tmp, f"{i}.npy") for i in range(len(theirs))]
        sys.stdout.flush()
        sys.stderr.flush()
        with warnings.catch_warnings():
            # Python 3.12+ warns on fork in a process with threads (DuckDB's pool): see above.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            gc.disable()  # the copy must not finalise a garbage object of the parent's
            code = 1
            try:
                for chart, file in zip(theirs, files, strict=True):
                    np.save(file, chart.pixels())
                code = 0
            finally:
                os._exit(code)
        status: list[int] = []

        def wait() -> bool:
            if not status:
                status.append(os.waitpid(pid, 0)[1])
            return os.waitstatus_to_exitcode(status[0]) == 0

        def reader(file: str) -> Callable[[], np.ndarray | None]:
            return lambda: np.load(file) if wait() else None

        for chart, file in zip(theirs, files, strict=True):
            chart._pixels_from = reader(file)
        try:
            yield
        except BaseException:
            if not status:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            raise
        finally:
            wait()
            for chart in theirs:
                chart._pixels_from = None


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
