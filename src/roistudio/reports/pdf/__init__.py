"""The PDF report: an executive summary on page 1, then the evidence behind it.

Renders a :class:`~roistudio.reports.model.ReportModel` only, so it cannot disagree with the
workbook. Page 1 stands alone (what the model is worth, what to do, how sure, what changed, the
value curve: :mod:`roistudio.reports.briefing` has its words); the following sections are threshold analysis,
champion vs challenger, how sure, what moves the value (bridge and sensitivity), segments, trend by period,
assumptions and methodology, data quality
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
- Pages are A4, or US Letter for US and Canadian dollars, with the text block centred.
- Not a tagged PDF: reportlab (open source, 5.x) writes no structure tree or marked content, so
  screen readers get the text in drawing order only. The catalog carries the document language
  (``/Lang``) and asks viewers to show the title.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.units import inch
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageBreak, PageTemplate

from roistudio.core.atomic import write_with_atomic
from roistudio.core.errors import DataError
from roistudio.reports.fonts import register_fonts
from roistudio.reports.model import ReportModel
from roistudio.reports.pdf.appendix import methodology_section, provenance_section, quality_section
from roistudio.reports.pdf.breakdowns import periods_section, segments_section
from roistudio.reports.pdf.chart_images import CHART_DPI, charts_rendered_meanwhile, collected_charts
from roistudio.reports.pdf.estimate import calibration_section
from roistudio.reports.pdf.flow import keep_headings
from roistudio.reports.pdf.layout import (
    CONTROL_CHARS,
    Styles,
    fmt_threshold,
    numbered_canvas,
    page_size_for,
    side_margin,
)
from roistudio.reports.pdf.sensitivity import sensitivity_page
from roistudio.reports.pdf.summary import summary_page
from roistudio.reports.pdf.threshold import comparison_section, threshold_section
from roistudio.reports.pdf.uncertainty import uncertainty_section

__all__ = ["CHART_DPI", "build_story", "write_pdf"]


def build_story(model: ReportModel, styles: Styles) -> list[Flowable]:
    """All flowables of the report, in order (page 1 first)."""
    page1 = summary_page(model, styles)
    # Page 1 stands alone; after it, sections follow one another where they fit, each heading
    # kept with the start of what it introduces (.flow.keep_headings).
    story = threshold_section(model, styles)
    story += comparison_section(model, styles)
    story += uncertainty_section(model, styles)
    story += sensitivity_page(model, styles)
    story += segments_section(model, styles)
    story += periods_section(model, styles)
    story += calibration_section(model, styles)
    story += methodology_section(model, styles)
    story += quality_section(model, styles)
    story += provenance_section(model, styles)
    return [*page1, PageBreak(), *keep_headings(story, styles.headings)]


def write_pdf(model: ReportModel, path: str | os.PathLike[str], *, parallel: bool = False) -> None:
    """Write the PDF report of ``model`` to ``path``, atomically.

    Parameters
    ----------
    model
        The report model (see :func:`roistudio.reports.model.build_report_model`).
    path
        Target file. It is replaced only once the whole PDF is written; a failure midway keeps
        the previous file and leaves no temporary file behind.
    parallel
        Render the later charts in a forked copy of the process while the pages are laid out
        (Linux, two cores or more; see :func:`.chart_images.charts_rendered_meanwhile`). Only for a
        batch command such as ``roistudio report``, never in the app.

    Raises
    ------
    DataError
        If the file cannot be written (missing folder, no permission, disk full), naming the path.
    """
    regular, bold = register_fonts()
    styles = Styles(regular, bold)
    champ = model.champion
    title = CONTROL_CHARS.sub("", model.title)

    pagesize = page_size_for(model.currency)

    def write(tmp: Path) -> None:
        doc = BaseDocTemplate(
            str(tmp),
            pagesize=pagesize,
            leftMargin=side_margin(pagesize),
            rightMargin=side_margin(pagesize),
            topMargin=0.8 * inch,
            bottomMargin=0.75 * inch,
            title=title,
            author=f"Model ROI Studio {model.app_version}",
            subject=f"Value of model {champ.name} at threshold {fmt_threshold(champ.operating.threshold)}: "
            f"{model.money(model.headline.value)}",
            creator=f"Model ROI Studio {model.app_version}",
            keywords=f"model value, threshold, ROI, roistudio-run:{model.run_id}",
            # What reportlab offers toward accessibility: the document language and the title shown
            # by viewers. It builds no structure tree (no tagged PDF, see the module docstring).
            lang="en",
            displayDocTitle=True,
        )
        # No side padding in the frame: every flowable is TEXT_WIDTH wide, so with the default 6 pt
        # padding it started 6 pt right of the left margin and ran 6 pt into the right one.
        frame = Frame(
            doc.leftMargin,
            doc.bottomMargin,
            doc.width,
            doc.height,
            id="normal",
            leftPadding=0,
            rightPadding=0,
        )
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        with collected_charts() as charts:
            story = build_story(model, styles)
        # reportlab ASCII85-encodes binary streams by default, in pure Python here: slow on chart
        # images and pointless in a binary file. Switched off for this build only.
        previous = rl_config.useA85
        rl_config.useA85 = 0
        try:
            with charts_rendered_meanwhile(charts) if parallel else contextlib.nullcontext():
                doc.build(story, canvasmaker=numbered_canvas(model, regular))
        finally:
            rl_config.useA85 = previous

    try:
        write_with_atomic(path, write)
    except OSError as exc:
        raise DataError(f"cannot write the PDF report to {path}: {exc.strerror or exc}") from exc
