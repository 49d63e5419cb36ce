"""The PDF report: an executive summary on page 1, then the evidence behind it.

Renders a :class:`~roistudio.reports.model.ReportModel` only, so it cannot disagree with the
workbook. Page 1 stands alone (headline money figure, comparison with doing nothing, the value
curve, the recommendation and four KPIs); the following sections are threshold analysis,
champion vs challenger, how sure, what moves the value (bridge and sensitivity), segments, trend by period, assumptions and methodology, data quality
and provenance.

Conventions:

- Every string that comes from the data or the user (segment values, column and model names,
  file names, payoff expressions, the title) goes through :func:`paragraph_text` before reaching a
  Paragraph, so ``<b>`` or ``&`` prints as typed and never as markup.
- Text is set in DejaVu Sans, embedded (see :mod:`roistudio.reports.fonts`), so currency signs
  and Cyrillic or Greek names print.
- Charts are the same functions the GUI draws with, rendered to PNG at :data:`CHART_DPI` and
  placed at their physical size (no vector route without extra dependencies).
- The file is written through :func:`roistudio.core.atomic.write_with_atomic`.
"""

from __future__ import annotations

import os

from reportlab import rl_config
from reportlab.lib.units import inch
from reportlab.platypus import PageBreak, SimpleDocTemplate

from roistudio.core.atomic import write_with_atomic
from roistudio.core.errors import DataError
from roistudio.reports.fonts import register_fonts
from roistudio.reports.model import ReportModel
from roistudio.reports.pdf.estimate import calibration_section
from roistudio.reports.pdf.layout import (
    CHART_DPI,
    CONTROL_CHARS,
    MARGIN,
    Styles,
    fmt_threshold,
    numbered_canvas,
    page_size_for,
)
from roistudio.reports.pdf.sections import (
    comparison_section,
    methodology_section,
    periods_section,
    provenance_section,
    quality_section,
    segments_section,
    threshold_section,
)
from roistudio.reports.pdf.sensitivity import sensitivity_page
from roistudio.reports.pdf.summary import summary_page
from roistudio.reports.pdf.uncertainty import uncertainty_section

__all__ = ["CHART_DPI", "build_story", "write_pdf"]


def build_story(model: ReportModel, styles: Styles) -> list:
    """All flowables of the report, in order (page 1 first)."""
    story = summary_page(model, styles)
    story += [PageBreak(), *threshold_section(model, styles)]
    story += comparison_section(model, styles)
    story += uncertainty_section(model, styles)
    story += sensitivity_page(model, styles)
    story += segments_section(model, styles)
    story += periods_section(model, styles)
    story += calibration_section(model, styles)
    story += methodology_section(model, styles)
    story += quality_section(model, styles)
    story += provenance_section(model, styles)
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
    styles = Styles(regular, bold)
    champ = model.champion
    title = CONTROL_CHARS.sub("", model.title)

    def write(tmp) -> None:
        doc = SimpleDocTemplate(
            str(tmp),
            pagesize=page_size_for(model.currency),
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=0.8 * inch,
            bottomMargin=0.75 * inch,
            title=title,
            author=f"Model ROI Studio {model.app_version}",
            subject=f"Value of model {champ.name} at threshold {fmt_threshold(champ.operating.threshold)}: "
            f"{model.money(model.headline.value)}",
            creator=f"Model ROI Studio {model.app_version}",
            keywords=f"model value, threshold, ROI, roistudio-run:{model.run_id}",
        )
        story = build_story(model, styles)
        # reportlab ASCII85-encodes binary streams by default, in pure Python here: slow on chart
        # images and pointless in a binary file. Switched off for this build only.
        previous = rl_config.useA85
        rl_config.useA85 = 0
        try:
            doc.build(story, canvasmaker=numbered_canvas(model, regular))
        finally:
            rl_config.useA85 = previous

    try:
        write_with_atomic(path, write)
    except OSError as exc:
        raise DataError(f"cannot write the PDF report to {path}: {exc.strerror or exc}") from exc
