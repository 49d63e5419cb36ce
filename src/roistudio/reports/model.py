"""The report model: everything the workbook and the PDF show, built once from an analysis.

Both writers render only a :class:`ReportModel`, so the workbook and the PDF cannot disagree.
It holds plain values (numbers, strings, tuples) and the core's frozen result objects; no
openpyxl, reportlab or Qt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from roistudio import __version__
from roistudio.core.data.import_report import ImportReport
from roistudio.core.data.profile import date_range
from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.curve import CurvePoint
from roistudio.core.engine.decision import Decision
from roistudio.core.engine.estimate import LabelDelay
from roistudio.core.engine.results import GroupResult, ModelResult
from roistudio.core.engine.verdict import comparison_verdict
from roistudio.core.glossary import format_threshold
from roistudio.core.money import CURRENCY_SYMBOLS, currency_symbol, format_money  # noqa: F401 - re-exported
from roistudio.core.payoff.language import OUTCOMES
from roistudio.reports.workbook_figures import report_sweep_indices, workbook_figures

if TYPE_CHECKING:
    from roistudio.core.engine.spark_live import LiveFigures

# Stamped on page 1 of the PDF and on the workbook's Summary while the payoff is the app's
# example (see roistudio.core.project.defaults): the file is written, and says so.
EXAMPLE_PAYOFF_STAMP = "Example payoff, not confirmed"
EXAMPLE_PAYOFF_NOTE = (
    "The app suggested this payoff as a starting point and the analyst has not confirmed or edited it: "
    "every money figure in this report rests on it. Check what each outcome is worth before relying on them."
)


DUCKDB_ENGINE = "DuckDB, on this machine"


@dataclass(frozen=True)
class SourceFacts:
    """Where the numbers came from."""

    name: str
    path: str
    sha256: str
    size: int
    rows_in_file: int
    rejected_rows: int
    date_min: str | None = None
    date_max: str | None = None
    # What ``sha256`` covers (SourceInfo.fingerprint_label): every byte, or a Parquet file's footer.
    fingerprint_label: str = "SHA-256"
    # The engine that read the data and aggregated it (Spark: its master and the path or table).
    engine: str = DUCKDB_ENGINE

    @classmethod
    def from_import(
        cls, report: ImportReport, date_min: str | None = None, date_max: str | None = None
    ) -> SourceFacts:
        """The facts of an imported file: the one place "Rows in file" is counted.

        Rows in the file are the data rows imported plus those rejected (kept out of the table
        and reported), so the figure is the file's, whatever the import made of it.
        """
        return cls(
            name=report.source.name,
            path=report.source.path,
            sha256=report.source.sha256,
            fingerprint_label=report.source.fingerprint_label,
            size=report.source.size,
            rows_in_file=report.rows + report.rejected_count,
            rejected_rows=report.rejected_count,
            date_min=date_min,
            date_max=date_max,
        )


@dataclass(frozen=True)
class Headline:
    """The executive summary's figures, at the operating threshold of the champion."""

    value: float
    vs_flag_nobody: float
    vs_flag_everyone: float
    value_of_model: float  # vs the better baseline
    better_baseline: str  # "flag nobody" | "flag everyone" | "flag N at random"
    value_per_1000: float | None
    precision: float | None
    recall: float | None
    flag_rate: float | None
    flagged: int
    rows: int
    tp: int
    fp: int
    tn: int
    fn: int
    optimum_value: float
    optimum_threshold: float | None
    threshold: float | None
    savings: float | None
    # The baselines the constraints allow, as (label, value), flag nobody first; and whether a
    # constraint forbids flagging everyone (then it is not compared, see core.engine.baselines).
    baselines: tuple[tuple[str, float], ...] = ()
    everyone_forbidden: bool = False
    random_flagged: int | None = None  # N of the "flag N at random" baseline, when it is compared

    def baseline_phrase(self) -> str:
        """What the value of the model is measured against, for the recommendation sentence."""
        if not self.everyone_forbidden:
            return f"the better of doing nothing and flagging everyone ({self.better_baseline})"
        allowed = ", ".join(label for label, _ in self.baselines)
        return (
            f"{self.better_baseline}, the better of the baselines the constraints allow "
            f"({allowed}; they forbid flagging everyone)"
        )


@dataclass(frozen=True)
class DataQuality:
    rows_in_file: int
    rejected_rows: int
    rejected_examples: tuple[str, ...]
    excluded_scores: int
    unlabeled: int
    labelled: int
    positives: int
    negatives: int
    warnings: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class ReportModel:
    """Everything both report writers render.

    Attributes
    ----------
    analysis
        The core result (curves and points). Writers read curves from here.
    recommendation
        One plain-language sentence for page 1 and the Summary sheet.
    payoff_linear
        True when every payoff is affine in its parameters, so the workbook can use live formulas.
    """

    title: str
    currency: str
    created: str
    app_version: str
    source: SourceFacts
    analysis: Analysis
    headline: Headline
    quality: DataQuality
    recommendation: str
    comparison_sentence: str | None
    threshold_reason: str
    mapping_rows: tuple[tuple[str, str], ...]
    payoff_rows: tuple[tuple[str, str], ...]  # (outcome, expression)
    parameters: tuple[tuple[str, float], ...]
    payoff_linear: bool
    filters: str
    sweep_indices: tuple[int, ...] = ()  # champion curve points shown in sweep tables (<= 2,000)
    linear: object | None = (
        None  # per-parameter aggregates at sweep_indices (core.engine.linear), when linear
    )
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Aggregates behind the breakdown and comparison figures (core.engine.linear.group_terms and
    # comparison_terms), when linear: breakdown ("segment:COL", "period") -> key -> policy -> terms.
    breakdown_terms: dict[str, dict[str, dict[str, dict[str | None, float]]]] = field(default_factory=dict)
    comparison_terms: dict[str, dict[str | None, float]] | None = None
    # Aggregates along whole curves (core.engine.linear.curve_terms), when linear, so the workbook
    # finds best thresholds again by formula: "champion" / "challenger" / a breakdown name ->
    # group key ("all" for a model's overall curve) -> term -> array along that curve.
    curve_terms: dict[str, dict[str, Any]] = field(default_factory=dict)
    # When the payoff is not linear in its parameters: the labelled rows behind per-row workbook
    # formulas (core.engine.payoff_rows.PayoffRows), or why they are not available (RowsUnavailable).
    labelled_rows: object | None = None
    decision: Decision | None = None  # intervals, verdict, walk-forward, sensitivity
    # True while the payoff is the app's example, not confirmed by the analyst: both writers
    # stamp EXAMPLE_PAYOFF_STAMP where a reader looks first.
    payoff_suggested: bool = False
    # One id per built model, written into the metadata of every file rendered from it, so a
    # workbook and a PDF from two different runs can be told apart even under the same names.
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # Calibration check and estimates for rows not yet labelled.
    label_delay: LabelDelay | None = None

    @property
    def symbol(self) -> str:
        return currency_symbol(self.currency)

    def money(self, value: float | None, *, signed: bool = False, decimals: int = 0) -> str:
        """Format money with the currency symbol and thousands separators: ``-$1,234``."""
        return format_money(value, self.currency, signed=signed, decimals=decimals)

    @property
    def champion(self) -> ModelResult:
        return self.analysis.champion

    @property
    def challenger(self) -> ModelResult | None:
        return self.analysis.challenger

    @property
    def segments(self) -> dict[str, tuple[GroupResult, ...]]:
        return self.analysis.segments

    @property
    def periods(self) -> tuple[GroupResult, ...]:
        return self.analysis.periods

    @property
    def periods_note(self) -> str | None:
        """How periods were formed (``month names, year not given: ...``, ``... bucketed in UTC``),
        when the analysis has a period breakdown."""
        time = self.analysis.validation.time
        if not self.analysis.request.period or time is None:
            return None
        return f"Periods by {self.analysis.request.period} of '{time.column}': {time.describe()}"


def _headline(model: ModelResult) -> Headline:
    p: CurvePoint = model.operating
    nobody, everyone = model.flag_nobody, model.flag_everyone
    return Headline(
        value=p.value,
        vs_flag_nobody=p.value - nobody.value,
        vs_flag_everyone=p.value - everyone.value,
        value_of_model=model.value_of_model,
        better_baseline=model.better_baseline.label,
        value_per_1000=p.value_per_1000,
        precision=p.precision,
        recall=p.recall,
        flag_rate=p.flag_rate,
        flagged=p.flagged,
        rows=p.rows,
        tp=p.tp,
        fp=p.fp,
        tn=p.tn,
        fn=p.fn,
        optimum_value=model.optimum.value,
        optimum_threshold=model.optimum.threshold,
        threshold=p.threshold,
        savings=model.savings,
        baselines=tuple((b.label, b.value) for b in model.baselines),
        everyone_forbidden=all(b.kind != "flag_everyone" for b in model.baselines),
        random_flagged=next((b.flagged for b in model.baselines if b.kind == "flag_random"), None),
    )


def build_project_report(
    con: duckdb.DuckDBPyConnection,
    analysis: Analysis,
    import_report: ImportReport,
    *,
    title: str,
    currency: str,
    live: bool,
    created: dt.datetime | None = None,
    payoff_suggested: bool = False,
    label_delay: LabelDelay | None = None,
    decision: Decision | None = None,
) -> ReportModel:
    """The report model of an analysed data file: what the app's export and ``roistudio report`` both build.

    Parameters
    ----------
    con
        The connection the analysis ran on (for the date range and the live-formula aggregates).
    analysis
        The analysis to report.
    import_report
        The import of the analysed file (provenance, rows, rejected rows).
    title, currency
        Report title and ISO currency code.
    live
        Compute the per-parameter aggregates behind the workbook's live formulas (a PDF alone
        does not use them, so a PDF-only export skips their scans).
    created
        Creation time; UTC now by default.
    payoff_suggested
        The payoff is the app's example, not confirmed by the analyst (the reports say so).
    label_delay
        The calibration check and estimates (``core.engine.estimate.LabelDelay``), if computed.
    decision
        Decision-grade figures (:func:`roistudio.core.engine.decision.decide`) to report.
    """
    timestamp, time = analysis.request.mapping.timestamp, analysis.validation.time
    # The first and last day of the data; min/max of period labels ("apr", "sep") is no range.
    dated = timestamp and time is not None and not time.form.is_text
    dates = date_range(con, analysis.table, timestamp) if dated and timestamp else (None, None)
    return build_report_model(
        analysis,
        SourceFacts.from_import(import_report, *dates),
        title=title,
        currency=currency,
        created=created,
        con=con if live else None,
        table=analysis.table,
        payoff_suggested=payoff_suggested,
        label_delay=label_delay,
        decision=decision,
    )


def build_report_model(
    analysis: Analysis,
    source: SourceFacts,
    *,
    title: str = "Model value report",
    currency: str = "USD",
    created: dt.datetime | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    table: str = "data",
    decision: Decision | None = None,
    payoff_suggested: bool = False,
    label_delay: LabelDelay | None = None,
    live: LiveFigures | None = None,
) -> ReportModel:
    """Assemble the report model from an analysis and the source's provenance.

    Parameters
    ----------
    analysis
        Result of :func:`roistudio.core.engine.analysis.analyse`.
    source
        File facts (name, sha256, rows, rejected rows, date range).
    title, currency
        Report title and ISO currency code for money formats.
    created
        Creation time (UTC now by default); tests pass a fixed one.
    con, table
        The DuckDB connection and table the analysis ran on. When given and the payoff is linear
        in its parameters, per-parameter aggregates are computed so the workbook can hold live
        formulas (pass no connection when only a PDF is written: it does not use them).
    decision
        Decision-grade figures (:func:`roistudio.core.engine.decision.decide`) shown in the
        PDF's "How sure, and what if" section and the workbook's Uncertainty sheet.
    payoff_suggested
        True when the payoff is the app's example and the analyst has not confirmed it: the
        reports are then stamped "example payoff, not confirmed". A payoff given explicitly
        (the CLI's ``--tp/--fp/...``, the demo's own payoff) is confirmed.
    label_delay
        The calibration check and estimates (``core.engine.estimate.LabelDelay``), when computed:
        page 1 then gives the latest period's estimate, and the workbook an Estimate sheet.
    live
        The aggregates behind the live formulas computed by another engine (Spark:
        :func:`roistudio.core.engine.spark_live.spark_live_figures`), used instead of ``con``'s.
    """
    created = created or dt.datetime.now(dt.UTC)
    champ = analysis.champion
    head = _headline(champ)
    validation = analysis.validation
    label = validation.label
    quality = DataQuality(
        rows_in_file=source.rows_in_file,
        rejected_rows=source.rejected_rows,
        rejected_examples=(),
        excluded_scores=analysis.excluded_rows,
        unlabeled=label.unlabeled,
        labelled=label.positives + label.negatives,
        positives=label.positives,
        negatives=label.negatives,
        warnings=validation.warnings,
    )

    def money(v: float, signed: bool = False) -> str:
        return format_money(v, currency, signed=signed)

    baseline_value = head.value - head.value_of_model
    if head.value_of_model > 0:
        result = (
            f"earned {money(head.value)}"
            if head.value >= 0
            else f"had a net value of {money(head.value)} against {money(baseline_value)}"
        )
        recommendation = (
            f"Flag rows scoring {format_threshold(head.threshold)} or more: on these {head.rows:,} labelled rows "
            f"that policy {result}, so the model is worth {money(head.value_of_model)} more than "
            f"{head.baseline_phrase()}."
        )
    else:
        recommendation = (
            f"The model does not beat {head.better_baseline} under this payoff: its value at threshold "
            f"{format_threshold(head.threshold)} is {money(head.value)}, against {money(baseline_value)}. "
            "Revisit the payoff or the model before deploying it."
        )
    comparison_sentence = None
    comp = analysis.comparison
    if comp is not None:
        comparison_sentence = (
            comparison_verdict(comp, currency, analysis.request.period)
            + f" At the common threshold {format_threshold(comp.common_threshold)} the difference is "
            f"{money(comp.difference_at_common, signed=True)}."
        )
    mapping = analysis.request.mapping
    mapping_rows = tuple(
        (role, value)
        for role, value in (
            ("Score", mapping.score),
            ("Challenger score", mapping.challenger_score or ""),
            ("Model column", mapping.model or ""),
            ("Label", f"{mapping.label} (positive: {label.positive_text})"),
            ("Id", mapping.id or ""),
            ("Time", mapping.timestamp or ""),
            ("Segments", ", ".join(mapping.segments)),
            ("Money columns", ", ".join(mapping.money)),
            ("Scores", "raw margins (any real number)" if mapping.raw_scores else "probabilities in [0, 1]"),
        )
        if value
    )
    payoff = analysis.request.payoff
    linear = payoff.is_linear_in_parameters()
    sweep_indices = report_sweep_indices(analysis)
    return ReportModel(
        title=title,
        currency=currency,
        created=created.replace(microsecond=0).isoformat(),
        app_version=__version__,
        source=source,
        analysis=analysis,
        headline=head,
        quality=quality,
        recommendation=recommendation,
        comparison_sentence=comparison_sentence,
        threshold_reason=analysis.policy_description(),
        mapping_rows=mapping_rows,
        payoff_rows=tuple((o, payoff.expressions[o]) for o in OUTCOMES),
        parameters=tuple(payoff.parameters.items()),  # in the analyst's order
        payoff_linear=linear,
        filters=analysis.request.filters.describe(),
        sweep_indices=sweep_indices,
        **workbook_figures(analysis, con, table, live=live),
        decision=decision,
        payoff_suggested=payoff_suggested,
        label_delay=label_delay,
    )


def with_workbook_figures(model: ReportModel, figures: dict[str, Any]) -> ReportModel:
    """``model`` (built without a connection) with the figures only the workbook uses
    (:func:`roistudio.reports.workbook_figures.workbook_figures`).

    ``roistudio report`` reads those while the decision figures are computed, on a thread of
    their own: they are scans of the data (a third of a second on the demo) that the PDF does
    not need.
    """
    return dataclasses.replace(model, **figures)
