"""The PDF report: an executive summary on page 1, then the evidence behind it.

Renders a :class:`~roistudio.reports.model.ReportModel` only, so it cannot disagree with the
workbook. Page 1 stands alone (headline money figure, comparison with doing nothing, the value
curve, the recommendation and four KPIs); the following sections are threshold analysis,
champion vs challenger, segments, trend by period, assumptions and methodology, data quality
and provenance.

Conventions:

- Every string that comes from the data or the user (segment values, column and model names,
  file names, payoff expressions, the title) goes through :func:`_text` before reaching a
  Paragraph, so ``<b>`` or ``&`` prints as typed and never as markup.
- Text is set in DejaVu Sans, embedded (see :mod:`roistudio.reports.fonts`), so currency signs
  and Cyrillic or Greek names print.
- Charts are the same functions the GUI draws with, rendered to PNG at :data:`CHART_DPI` and
  placed at their physical size (no vector route without extra dependencies).
- The file is written through :func:`roistudio.core.atomic.write_with_atomic`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from roistudio.charts import style as chart_style
from roistudio.charts.breakdown import draw_value_by_period, draw_value_by_segment, period_label
from roistudio.charts.curves import draw_comparison, draw_rates, draw_value_curve
from roistudio.core.analysis import GroupResult, ModelResult
from roistudio.core.atomic import write_with_atomic
from roistudio.core.curve import CurvePoint
from roistudio.core.errors import DataError
from roistudio.reports.fonts import register_fonts
from roistudio.reports.model import ReportModel

CHART_DPI = 220
PAGE_SIZE = LETTER
MARGIN = 0.75 * inch
TEXT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN

NAVY = colors.HexColor(chart_style.LIGHT.champion)
INK = colors.HexColor("#222222")
MUTED = colors.HexColor("#666666")
RULE = colors.HexColor("#c9ced6")
HEADER_BG = colors.HexColor("#e8edf3")
ZEBRA = colors.HexColor("#f6f7f9")
BOX_BG = colors.HexColor("#f4f6f9")
UNKNOWN_TEXT = colors.HexColor("#8a8a8a")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

OUTCOME_MEANING = {
    "tp": "True positive: flagged, and the label is positive",
    "fp": "False positive: flagged, but the label is negative",
    "tn": "True negative: not flagged, and the label is negative",
    "fn": "False negative: not flagged, but the label is positive",
}

DEFINITIONS = (
    (
        "Decision rule",
        "A row is flagged if and only if its score is greater than or equal to the threshold. "
        "\u201cFlag nobody\u201d is a policy too; it has no threshold.",
    ),
    (
        "Value",
        "The sum over labelled rows of the payoff of each row\u2019s outcome (TP, FP, TN or FN). "
        "Gains are positive and costs negative, so a value below zero is a net cost.",
    ),
    (
        "Baselines",
        "Two policies that need no model: flag nobody and flag everyone. The value of the model is "
        "its value at the operating threshold minus the better of the two.",
    ),
    (
        "Best threshold",
        "The threshold with the highest value among every distinct score and flag nobody; "
        "ties go to the higher threshold (fewer rows flagged).",
    ),
    ("Precision", "Of the rows flagged, the share whose label is positive: TP / (TP + FP)."),
    ("Recall", "Of the positive rows, the share flagged: TP / (TP + FN)."),
    ("Value per 1,000 rows", "Value divided by the number of labelled rows, times 1,000."),
    (
        "Money lost",
        "What errors cost at the operating threshold: the value with perfect knowledge (every "
        "positive flagged, no negative flagged) minus the value achieved.",
    ),
    (
        "Savings",
        "As in the cost-sensitive literature: 1 \u2212 cost(model) / min(cost(flag nobody), "
        "cost(flag everyone)), where cost is minus value. Undefined when the better baseline costs nothing.",
    ),
    (
        "Realised vs not yet known",
        "Rows without a label are never counted as negatives. They are "
        "\u201cnot yet known\u201d: left out of every value, count and rate, and shown apart (for example the "
        "latest month, whose outcomes have not matured).",
    ),
)


# -- small formatting helpers -----------------------------------------------------------------------


def _text(value: object) -> str:
    """Data-derived text made safe for a Paragraph: control characters dropped, markup escaped."""
    return escape(_CONTROL.sub("", str(value)))


def _pct(value: float | None, decimals: int = 1) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value * 100:.{decimals}f}%"


def _int(value: int) -> str:
    return f"{int(value):,}"


def _thr(threshold: float | None) -> str:
    return chart_style.format_threshold(threshold)


# -- styles ---------------------------------------------------------------------------------------


class _Styles:
    """Paragraph styles, built after the fonts are registered."""

    def __init__(self, regular: str, bold: str):
        base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=12.5, textColor=INK)
        self.regular, self.bold = regular, bold
        self.body = base
        self.small = ParagraphStyle("small", base, fontSize=7.5, leading=10, textColor=MUTED)
        self.label = ParagraphStyle("label", base, fontName=bold, fontSize=7, leading=9, textColor=MUTED)
        self.title = ParagraphStyle("title", base, fontName=bold, fontSize=19, leading=23, textColor=NAVY)
        self.subtitle = ParagraphStyle("subtitle", base, fontSize=8.5, leading=11.5, textColor=MUTED)
        self.h1 = ParagraphStyle(
            "h1", base, fontName=bold, fontSize=14, leading=18, textColor=NAVY, spaceBefore=4, spaceAfter=6
        )
        self.h2 = ParagraphStyle(
            "h2", base, fontName=bold, fontSize=10.5, leading=14, spaceBefore=10, spaceAfter=4
        )
        self.big = ParagraphStyle("big", base, fontName=bold, fontSize=28, leading=33, textColor=NAVY)
        self.big2 = ParagraphStyle("big2", self.big, textColor=INK)
        self.lead = ParagraphStyle("lead", base, fontSize=10.5, leading=15)
        self.kpi = ParagraphStyle("kpi", base, fontName=bold, fontSize=15, leading=19, textColor=INK)
        self.cell = ParagraphStyle("cell", base, fontSize=7.5, leading=9.5)
        self.cell_right = ParagraphStyle("cell_right", self.cell, alignment=TA_RIGHT)
        self.cell_head = ParagraphStyle("cell_head", self.cell, fontName=bold, textColor=INK)
        self.cell_head_right = ParagraphStyle("cell_head_right", self.cell_head, alignment=TA_RIGHT)
        self.cell_unknown = ParagraphStyle(
            "cell_unknown", self.cell, textColor=UNKNOWN_TEXT, alignment=TA_LEFT
        )
        self.bullet = ParagraphStyle("bullet", base, leftIndent=10, bulletIndent=0, spaceAfter=2)


# -- charts ---------------------------------------------------------------------------------------


class _ChartImage(Flowable):
    """A rendered chart placed at its physical size.

    Takes the rendered pixels directly (no PNG encode and decode on the way), which keeps the
    report fast: reportlab compresses the raw pixels once itself.
    """

    def __init__(self, pixels: PILImage.Image, width: float, height: float):
        super().__init__()
        self._image = ImageReader(pixels)
        self.width, self.height = width, height

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self) -> None:
        self.canv.drawImage(self._image, 0, 0, width=self.width, height=self.height)


def _chart(draw: Callable[[Axes], object], width: float, height: float) -> Flowable:
    """Render a chart drawn on a fresh Figure at :data:`CHART_DPI`, sized ``width`` x ``height`` points."""
    fig = Figure(
        figsize=(width / inch, height / inch), dpi=CHART_DPI, layout="constrained", facecolor="white"
    )
    fig.get_layout_engine().set(w_pad=0.04, h_pad=0.04)
    draw(fig.add_subplot())
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    # An opaque RGB image: smaller than RGBA and needs no soft mask in the PDF.
    pixels = PILImage.fromarray(np.asarray(canvas.buffer_rgba())[..., :3])
    return _ChartImage(pixels, width, height)


# -- tables ---------------------------------------------------------------------------------------


def _fit_widths(
    styles: _Styles,
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


def _table(
    styles: _Styles,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[float] | None = None,
    *,
    numeric_from: int = 1,
    highlight: Sequence[int] = (),
    extra: Sequence[tuple] = (),
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
        out: list = []
        for i, cell in enumerate(row):
            if isinstance(cell, Flowable):
                out.append(cell)
            elif i < numeric_from:
                text = _text(cell)
                out.append(Paragraph(f"<b>{text}</b>" if r in bold_rows else text, styles.cell))
            else:
                out.append(_CONTROL.sub("", str(cell)))
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
    table = Table([head, *body], colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def _key_value_table(styles: _Styles, rows: Sequence[tuple[str, object]], widths=(2.1 * inch, None)) -> Table:
    """Two columns, label and value (both data-safe), for facts such as provenance."""
    width = widths[1] or TEXT_WIDTH - widths[0]
    data = [[Paragraph(_text(k), styles.cell_head), Paragraph(_text(v), styles.cell)] for k, v in rows]
    table = Table(data, colWidths=[widths[0], width], hAlign="LEFT")
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


def _canvas_class(model: ReportModel, regular: str):
    """A canvas that knows the page count when it finishes, for "Page 3 of 7" footers.

    Pages are kept until :meth:`save`, then each gets its header/footer with the total.
    """
    title = _CONTROL.sub("", model.title)
    date = model.created[:10]
    app = f"Model ROI Studio {model.app_version}"

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # reportlab's camelCase name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            width, height = self._pagesize
            page = self._pageNumber
            self.saveState()
            self.setFont(regular, 7.5)
            self.setFillColor(MUTED)
            if page > 1:  # page 1 carries the title in large type already
                self.drawString(MARGIN, height - 0.5 * inch, _clip(title, 90))
                self.drawRightString(width - MARGIN, height - 0.5 * inch, date)
                self.setStrokeColor(RULE)
                self.setLineWidth(0.5)
                self.line(MARGIN, height - 0.56 * inch, width - MARGIN, height - 0.56 * inch)
            self.drawString(MARGIN, 0.45 * inch, app)
            self.drawRightString(width - MARGIN, 0.45 * inch, f"Page {page} of {total}")
            self.restoreState()

    return NumberedCanvas


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# -- sections ---------------------------------------------------------------------------------------


def _summary(model: ReportModel, s: _Styles) -> list:
    """Page 1: what a busy reader needs, and nothing they must read further to understand."""
    h = model.headline
    champ = model.champion
    src = model.source
    subtitle = [f"Prepared {model.created[:10]}", f"model: {champ.name}", f"data: {src.name}"]
    if src.date_min and src.date_max:
        subtitle.append(f"{src.date_min} to {src.date_max}")
    story: list = [
        Paragraph(_text(model.title), s.title),
        Spacer(1, 2),
        Paragraph(" \u00b7 ".join(_text(p) for p in subtitle), s.subtitle),
        Spacer(1, 14),
    ]

    # Compared as the reader sees it: a gain that rounds to zero is no gain.
    shown = round(h.value_of_model)
    better = "better" if shown > 0 else "worse" if shown < 0 else "no better"
    policy = "flag nobody" if h.threshold is None else f"threshold {_thr(h.threshold)}"
    if h.better_baseline == "flag nobody":
        other, other_delta = "flag everyone", h.vs_flag_everyone
    else:
        other, other_delta = "flag nobody", h.vs_flag_nobody
    left = [
        Paragraph("NET VALUE AT THE OPERATING THRESHOLD", s.label),
        Paragraph(escape(model.money(h.value)), s.big),
        Paragraph(
            f"{_text(policy)}: {_text(model.threshold_reason)}; {_int(h.rows)} labelled rows",
            s.small,
        ),
    ]
    right = [
        Paragraph("VALUE ADDED BY THE MODEL", s.label),
        Paragraph(escape(model.money(h.value_of_model, signed=True)), s.big2),
        Paragraph(
            f"{better} than {_text(h.better_baseline)}, the better of the two policies that need no model "
            f"(vs {_text(other)}: {escape(model.money(other_delta, signed=True))})",
            s.small,
        ),
    ]
    headline = Table([[left, right]], colWidths=[TEXT_WIDTH * 0.5, TEXT_WIDTH * 0.5], hAlign="LEFT")
    headline.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("LEFTPADDING", (1, 0), (1, 0), 14),
                ("LINEBEFORE", (1, 0), (1, 0), 0.8, RULE),
            ]
        )
    )
    story += [headline, Spacer(1, 12), Paragraph(_text(model.recommendation), s.lead)]
    if model.comparison_sentence:
        story += [Spacer(1, 4), Paragraph(_text(model.comparison_sentence), s.lead)]
    story += [Spacer(1, 12), _kpis(model, s), Spacer(1, 12)]
    story.append(
        _chart(lambda ax: _value_chart(ax, model), TEXT_WIDTH, 3.5 * inch),
    )
    notes = [
        "The chart shows the value of every threshold: the dot is the best threshold, the dashed vertical "
        "line the operating threshold, the grey lines the two policies that need no model."
    ]
    if model.quality.unlabeled:
        notes.append(
            f"{_int(model.quality.unlabeled)} rows have no label yet; they are not yet known and are left out "
            "of every figure, never counted as negatives."
        )
    story += [Spacer(1, 4), Paragraph(" ".join(notes), s.small)]
    return story


def _value_chart(ax: Axes, model: ReportModel) -> None:
    # No legend: the note under the chart names the marks in words.
    draw_value_curve(ax, model.champion, symbol=model.symbol)


def _kpis(model: ReportModel, s: _Styles) -> Table:
    h = model.headline
    boxes = [
        ("PRECISION", _pct(h.precision), "of flagged rows are positive"),
        ("RECALL", _pct(h.recall), "of positives are caught"),
        ("FLAGGED ROWS", _int(h.flagged), f"{_pct(h.flag_rate)} of labelled rows"),
        ("VALUE PER 1,000 ROWS", model.money(h.value_per_1000), "net, at the operating threshold"),
    ]
    cells = [
        [Paragraph(label, s.label), Paragraph(escape(value), s.kpi), Paragraph(escape(sub), s.small)]
        for label, value, sub in boxes
    ]
    gap = 8
    width = (TEXT_WIDTH - gap * (len(cells) - 1)) / len(cells)
    row: list = []
    widths: list[float] = []
    for i, cell in enumerate(cells):
        if i:
            row.append("")
            widths.append(gap)
        row.append(cell)
        widths.append(width)
    table = Table([row], colWidths=widths, hAlign="LEFT")
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
    ]
    for i in range(0, len(row), 2):
        commands += [("BACKGROUND", (i, 0), (i, 0), BOX_BG), ("LINEABOVE", (i, 0), (i, 0), 1.6, NAVY)]
    table.setStyle(TableStyle(commands))
    return table


def _key_points(model: ModelResult) -> list[tuple[str, CurvePoint]]:
    """The thresholds worth a row in the table, named, in curve order (high threshold first)."""
    curve = model.curve
    named: list[tuple[str, CurvePoint]] = [("flag nobody", curve.flag_nobody())]
    if curve.rows and len(curve) > 1:
        shares = (0.01, 0.05, 0.10, 0.25, 0.50)
        # The first point flagging at least each share of rows (one vectorised search).
        idx = np.searchsorted(curve.flagged, np.asarray(shares) * curve.rows, side="left")
        for share, k in zip(shares, idx, strict=True):
            if 0 < k < len(curve) - 1:
                named.append((f"top {share:.0%} of rows", curve.point(int(k))))
    named += [("best threshold", model.optimum), ("operating threshold", model.operating)]
    if model.constrained is not None:
        named.append(("best under constraints", model.constrained))
    named += [("requested", p) for p in model.at]
    named += [("break-even", curve.at(t)) for t in model.break_even]
    named.append(("flag everyone", curve.flag_everyone()))
    merged: dict[tuple[int, float | None], list] = {}
    for name, point in named:
        entry = merged.setdefault((point.index, point.threshold), [[], point])
        if name not in entry[0]:
            entry[0].append(name)
    ordered = sorted(merged.values(), key=lambda e: (e[1].index, -(e[1].threshold or 0.0)))
    return [(", ".join(names), point) for names, point in ordered]


def _threshold_section(model: ReportModel, s: _Styles) -> list:
    champ = model.champion
    baseline = champ.better_baseline.value
    points = _key_points(champ)
    rows = []
    highlight = []
    for i, (name, p) in enumerate(points):
        if p.index == champ.operating.index and p.threshold == champ.operating.threshold:
            highlight.append(i)
        rows.append(
            [
                name,
                _thr(p.threshold),
                _int(p.flagged),
                _int(p.tp),
                _int(p.fp),
                _int(p.fn),
                _pct(p.precision),
                _pct(p.recall),
                model.money(p.value),
                model.money(p.value - baseline, signed=True),
            ]
        )
    header = [
        "Policy",
        "Threshold",
        "Flagged",
        "Caught (TP)",
        "False alarms (FP)",
        "Missed (FN)",
        "Precision",
        "Recall",
        "Value",
        f"vs {model.headline.better_baseline}",
    ]
    return [
        Paragraph("Threshold analysis", s.h1),
        Paragraph(
            f"How the value, the workload and the error rates change with the threshold for "
            f"<b>{_text(champ.name)}</b>. The operating threshold ({_text(_thr(champ.operating.threshold))}) "
            f"is {_text(model.threshold_reason)}; it is set in bold below. \u201cTop 5% of rows\u201d is the "
            "threshold that flags the 5% highest-scoring labelled rows.",
            s.body,
        ),
        Spacer(1, 6),
        _chart(lambda ax: draw_rates(ax, champ), TEXT_WIDTH, 2.5 * inch),
        Spacer(1, 8),
        _table(s, header, rows, highlight=highlight),
    ]


def _comparison_section(model: ReportModel, s: _Styles) -> list:
    comp = model.analysis.comparison
    if comp is None:
        return []
    ch, cl = comp.champion, comp.challenger
    period = model.analysis.request.period
    metrics: list[tuple[str, str, str, str]] = []

    def money_row(name: str, a: float, b: float) -> None:
        metrics.append((name, model.money(a), model.money(b), model.money(b - a, signed=True)))

    def pct_row(name: str, a: float | None, b: float | None) -> None:
        diff = "n/a" if a is None or b is None else f"{(b - a) * 100:+.1f} pts"
        metrics.append((name, _pct(a), _pct(b), diff))

    metrics.append(("Best threshold", _thr(ch.optimum.threshold), _thr(cl.optimum.threshold), ""))
    money_row("Value at best threshold", ch.optimum.value, cl.optimum.value)
    if comp.difference_per_period_at_best is not None and period:
        metrics.append(
            (
                f"Difference per {period} at best",
                "",
                "",
                model.money(comp.difference_per_period_at_best, signed=True),
            )
        )
    money_row(
        f"Value at common threshold {_thr(comp.common_threshold)}",
        ch.operating.value,
        comp.challenger_at_common.value,
    )
    pct_row("Precision at best threshold", ch.optimum.precision, cl.optimum.precision)
    pct_row("Recall at best threshold", ch.optimum.recall, cl.optimum.recall)
    metrics.append(
        (
            "Flagged at best threshold",
            _int(ch.optimum.flagged),
            _int(cl.optimum.flagged),
            f"{cl.optimum.flagged - ch.optimum.flagged:+,}",
        )
    )
    money_row(
        "Value at best minus better baseline",
        ch.optimum.value - ch.better_baseline.value,
        cl.optimum.value - cl.better_baseline.value,
    )
    w = TEXT_WIDTH
    story = [
        CondPageBreak(4.5 * inch),
        Paragraph("Champion vs challenger", s.h1),
        Paragraph(
            f"Both models scored the same rows: champion <b>{_text(ch.name)}</b>, challenger "
            f"<b>{_text(cl.name)}</b>. Each is read at its own best threshold and at the champion\u2019s "
            "operating threshold (the common threshold).",
            s.body,
        ),
    ]
    if model.comparison_sentence:
        story += [Spacer(1, 4), Paragraph(_text(model.comparison_sentence), s.body)]
    story += [
        Spacer(1, 6),
        _chart(lambda ax: draw_comparison(ax, ch, cl, symbol=model.symbol), TEXT_WIDTH, 2.9 * inch),
        Spacer(1, 8),
        _table(
            s, ["", "Champion", "Challenger", "Difference"], metrics, [0.4 * w, 0.2 * w, 0.2 * w, 0.2 * w]
        ),
    ]
    others = [m for name, m in model.analysis.models.items() if name not in (ch.name, cl.name)]
    if others:
        rows = [
            [m.name, _thr(m.optimum.threshold), model.money(m.optimum.value), model.money(m.value_of_model)]
            for m in model.analysis.models.values()
        ]
        story += [
            Paragraph("All models", s.h2),
            _table(
                s,
                ["Model", "Best threshold", "Value at best", "Value of the model"],
                rows,
                [0.4 * w, 0.2 * w, 0.2 * w, 0.2 * w],
            ),
        ]
    return story


def _segment_rows(model: ReportModel, groups: Sequence[GroupResult]) -> list[list]:
    rows = []
    for g in sorted(groups, key=lambda g: (-g.money_lost, g.key)):
        p = g.operating
        rows.append(
            [
                g.key,
                _int(g.rows),
                _int(g.positives),
                _int(p.flagged),
                _pct(p.precision),
                _pct(p.recall),
                model.money(p.value),
                model.money(g.money_lost),
                _int(g.unlabeled),
            ]
        )
    return rows


def _segments_section(model: ReportModel, s: _Styles) -> list:
    if not model.segments:
        return []
    header = [
        "Segment",
        "Labelled rows",
        "Positives",
        "Flagged",
        "Precision",
        "Recall",
        "Value",
        "Money lost",
        "Not yet known",
    ]
    story: list = [
        PageBreak(),
        Paragraph("Segments", s.h1),
        Paragraph(
            "Each segment read at the overall operating threshold, ranked by money lost: what errors cost "
            "there compared with perfect knowledge (missed positives and false alarms, in money).",
            s.body,
        ),
    ]
    for column, groups in model.segments.items():
        shown = min(len(groups), 12)
        height = (0.55 + 0.28 * shown) * inch
        story += [
            CondPageBreak(height + 1.2 * inch),
            Paragraph(f"By {_text(column)}", s.h2),
            _chart(
                lambda ax, g=groups: draw_value_by_segment(ax, g, symbol=model.symbol), TEXT_WIDTH, height
            ),
            Spacer(1, 6),
            _table(s, header, _segment_rows(model, groups)),
        ]
    return story


def _periods_section(model: ReportModel, s: _Styles) -> list:
    periods = model.periods
    if not periods:
        return []
    period = model.analysis.request.period
    with_challenger = any(g.challenger_operating is not None for g in periods)
    header = ["Period", "Labelled rows", "Not yet known", "Flagged", "Precision", "Recall", "Value"]
    if with_challenger:
        header.append("Challenger value")
    header.append("Money lost")
    rows: list[list] = []
    extra: list[tuple] = []
    for r, g in enumerate(periods, start=1):
        p = g.operating
        row: list = [period_label(g.key, period), _int(g.rows), _int(g.unlabeled)]
        if g.fully_unlabeled:
            row += [Paragraph("labels not yet known: no realised value", s.cell_unknown)]
            row += [""] * (len(header) - len(row))
            extra.append(("SPAN", (3, r), (-1, r)))
        else:
            row += [_int(p.flagged), _pct(p.precision), _pct(p.recall), model.money(p.value)]
            if with_challenger:
                co = g.challenger_operating
                row.append("n/a" if co is None else model.money(co.value))
            row.append(model.money(g.money_lost))
        rows.append(row)
    note = (
        "Value per period at the overall operating threshold. Periods whose rows have no label yet are "
        "drawn hatched: their outcomes are not yet known, so they have no realised value (not zero)."
    )
    return [
        CondPageBreak(4.5 * inch),
        Paragraph("Trend by period", s.h1),
        Paragraph(note, s.body),
        Spacer(1, 6),
        _chart(
            lambda ax: draw_value_by_period(ax, periods, symbol=model.symbol, period=period),
            TEXT_WIDTH,
            2.8 * inch,
        ),
        Spacer(1, 8),
        _table(s, header, rows, extra=extra),
    ]


def _methodology_section(model: ReportModel, s: _Styles) -> list:
    w = TEXT_WIDTH
    payoff_rows = [
        [
            Paragraph(f"<b>{_text(o.upper())}</b>", s.cell),
            OUTCOME_MEANING.get(o, ""),
            Paragraph(_text(expr), s.cell),
        ]
        for o, expr in model.payoff_rows
    ]
    story: list = [
        PageBreak(),
        Paragraph("Assumptions and methodology", s.h1),
        Paragraph(
            "<b>Decision rule.</b> A row is flagged if and only if score \u2265 threshold. "
            f"The operating threshold {_text(_thr(model.headline.threshold))} is {_text(model.threshold_reason)}.",
            s.body,
        ),
        Paragraph("Payoff per row", s.h2),
        Paragraph(
            "What each outcome is worth, per row, in the report currency "
            f"({_text(model.currency)}); gains positive, costs negative. Expressions may use the row\u2019s "
            "columns and the named parameters below.",
            s.body,
        ),
        Spacer(1, 4),
        _table(
            s,
            ["Outcome", "Meaning", "Payoff expression"],
            payoff_rows,
            [0.1 * w, 0.45 * w, 0.45 * w],
            numeric_from=3,
        ),
    ]
    if model.parameters:
        rows = [[name, f"{value:,.10g}"] for name, value in model.parameters]
        story += [
            Paragraph("Parameters", s.h2),
            _table(s, ["Parameter", "Value"], rows, [0.4 * w, 0.2 * w]),
        ]
    story += [Paragraph("Columns used", s.h2), _key_value_table(s, model.mapping_rows)]
    story += [Paragraph("Rows analysed", s.h2), Paragraph(f"Filter: {_text(model.filters)}.", s.body)]
    story.append(Paragraph("Definitions", s.h2))
    for term, text in DEFINITIONS:
        story.append(Paragraph(f"<b>{escape(term)}.</b> {escape(text)}", s.bullet, bulletText="\u2022"))
    if model.notes:
        story.append(Paragraph("Notes", s.h2))
        story += [Paragraph(_text(n), s.bullet, bulletText="\u2022") for n in model.notes]
    return story


def _quality_section(model: ReportModel, s: _Styles) -> list:
    q = model.quality
    rows = [
        ("Rows in the file", _int(q.rows_in_file)),
        ("Rows rejected on import", _int(q.rejected_rows)),
        ("Rows left out for unusable scores", _int(q.excluded_scores)),
        ("Labelled rows", _int(q.labelled)),
        ("Positives", _int(q.positives)),
        ("Negatives", _int(q.negatives)),
        ("Rows without a label (not yet known)", _int(q.unlabeled)),
    ]
    story: list = [CondPageBreak(2.5 * inch), Paragraph("Data quality", s.h1), _key_value_table(s, rows)]
    if q.rejected_examples:
        story += [Paragraph("Examples of rejected rows", s.h2)]
        story += [Paragraph(_text(e), s.bullet, bulletText="\u2022") for e in q.rejected_examples]
    if q.warnings:
        story += [Paragraph("Warnings", s.h2)]
        story += [Paragraph(_text(wn), s.bullet, bulletText="\u2022") for wn in q.warnings]
    else:
        story += [Spacer(1, 4), Paragraph("No warnings were raised while checking the data.", s.small)]
    return story


def _provenance_section(model: ReportModel, s: _Styles) -> list:
    src = model.source
    rows = [
        ("Source file", src.name),
        ("Path", src.path),
        ("SHA-256", src.sha256),
        ("Size", f"{_int(src.size)} bytes"),
        ("Rows in file", _int(src.rows_in_file)),
    ]
    if src.date_min or src.date_max:
        rows.append(("Time range", f"{src.date_min or '?'} to {src.date_max or '?'}"))
    rows += [
        ("Report title", model.title),
        ("Currency", model.currency),
        ("App version", f"Model ROI Studio {model.app_version}"),
        ("Created (UTC)", model.created),
    ]
    return [
        CondPageBreak(2.5 * inch),
        Paragraph("Provenance", s.h1),
        Paragraph(
            "Where every number in this report came from. The SHA-256 fingerprint identifies the exact file: "
            "recomputing it on the file used tells whether it is still the same.",
            s.body,
        ),
        Spacer(1, 4),
        _key_value_table(s, rows),
    ]


def build_story(model: ReportModel, styles: _Styles) -> list:
    """All flowables of the report, in order (page 1 first)."""
    story = _summary(model, styles)
    story += [PageBreak(), *_threshold_section(model, styles)]
    story += _comparison_section(model, styles)
    story += _segments_section(model, styles)
    story += _periods_section(model, styles)
    story += _methodology_section(model, styles)
    story += _quality_section(model, styles)
    story += _provenance_section(model, styles)
    return story


def write_pdf(model: ReportModel, path: str | os.PathLike[str]) -> None:
    """Write the PDF report of ``model`` to ``path``, atomically.

    Parameters
    ----------
    model
        The report model (see :func:`roistudio.reports.model.build_report_model`).
    path
        Target file. It is replaced only once the whole PDF is written; a failure midway keeps
        the previous file and leaves no temporary file behind.

    Raises
    ------
    DataError
        If the file cannot be written (missing folder, no permission, disk full), naming the path.
    """
    regular, bold = register_fonts()
    styles = _Styles(regular, bold)
    champ = model.champion
    title = _CONTROL.sub("", model.title)

    def write(tmp) -> None:
        doc = SimpleDocTemplate(
            str(tmp),
            pagesize=PAGE_SIZE,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=0.8 * inch,
            bottomMargin=0.75 * inch,
            title=title,
            author=f"Model ROI Studio {model.app_version}",
            subject=f"Value of model {champ.name} at threshold {_thr(champ.operating.threshold)}: "
            f"{model.money(model.headline.value)}",
            creator=f"Model ROI Studio {model.app_version}",
            keywords="model value, threshold, ROI",
        )
        story = build_story(model, styles)
        # reportlab ASCII85-encodes binary streams by default, in pure Python here: slow on chart
        # images and pointless in a binary file. Switched off for this build only.
        previous = rl_config.useA85
        rl_config.useA85 = 0
        try:
            doc.build(story, canvasmaker=_canvas_class(model, regular))
        finally:
            rl_config.useA85 = previous

    try:
        write_with_atomic(path, write)
    except OSError as exc:
        raise DataError(f"cannot write the PDF report to {path}: {exc.strerror or exc}") from exc
