"""Value per period at the operating threshold, with the periods whose labels are not yet known.

A period in which no row has a label yet (typically the latest month) has no realised value;
it is never shown as a zero. Its row says "labels not yet known" in italic grey and still shows
how many rows the threshold flags in it, which is what the reviewers are working on now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QLabel, QWidget

from roistudio.charts import breakdown as chart_breakdown
from roistudio.charts import calibration as chart_calibration
from roistudio.charts.breakdown import period_label
from roistudio.core.data.period_order import period_sort_text
from roistudio.core.data.periods import YEAR_NOT_GIVEN
from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN
from roistudio.core.engine.results import GroupResult
from roistudio.gui.mpl_canvas import MplCanvas
from roistudio.gui.widgets import (
    GroupColumn,
    GroupTableModel,
    SortedTableView,
    chart_over_table,
    currency_symbol,
    format_money,
    format_threshold,
    with_empty_state,
)

if TYPE_CHECKING:
    from roistudio.core.engine.decision import Decision
    from roistudio.core.engine.estimate import LabelDelay, ValueEstimate
    from roistudio.core.engine.intervals import Interval

__all__ = ["PERIOD_COLUMNS", "TrendsView"]


def _all_flagged(g: GroupResult) -> int:
    return g.operating.flagged + g.operating.flagged_unlabeled


PERIOD_COLUMNS = (
    # Sorted in calendar order (Jan before Apr; (missing) last), shown by its readable name.
    GroupColumn("Period", lambda g: period_sort_text(g.key), "text", "The period (in calendar order)"),
    GroupColumn("Rows", lambda g: g.rows + g.unlabeled, "count", "Rows in the period, labelled or not"),
    GroupColumn("Flagged", _all_flagged, "count", "Rows flagged at the operating threshold, labelled or not"),
    GroupColumn("Not yet known", lambda g: g.unlabeled, "count", "Rows whose label is not known yet"),
    GroupColumn(
        "Value",
        lambda g: g.operating.value,
        "money",
        "Value at the operating threshold (labelled rows)",
        known_only=True,
    ),
    # Filled in by the view from the bootstrap (hidden until the background job delivers).
    GroupColumn(
        "Value low", lambda g: None, "money", "Low end of the value's bootstrap interval", known_only=True
    ),
    GroupColumn(
        "Value high", lambda g: None, "money", "High end of the value's bootstrap interval", known_only=True
    ),
    GroupColumn(
        "Per 1,000 rows",
        lambda g: g.operating.value_per_1000,
        "money",
        "Value per 1,000 labelled rows: what the chart shows, so a busy period is not judged by its volume",
        known_only=True,
    ),
    GroupColumn(
        "Money lost",
        lambda g: g.money_lost,
        "money",
        "Perfect-knowledge value minus the value achieved",
        known_only=True,
    ),
    GroupColumn(
        "Precision",
        lambda g: g.operating.precision,
        "percent",
        "TP / flagged (labelled rows)",
        known_only=True,
    ),
    GroupColumn("Recall", lambda g: g.operating.recall, "percent", "TP / positives", known_only=True),
    GroupColumn(
        "Challenger value",
        lambda g: None if g.challenger_operating is None else g.challenger_operating.value,
        "money",
        "The challenger's value here, at the challenger's operating threshold",
        known_only=True,
    ),
)


class TrendsView(QWidget):
    """A bar chart of value per period (``charts.breakdown.draw_value_by_period``) and its table."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._analysis: Analysis | None = None
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.canvas = MplCanvas(self, width=7, height=3.5)
        self._period: str | None = None
        # The period column shows "Mar 2026" but sorts by the ISO first day.
        # Label delay (gui.label_delay sets it): each period's estimate from scores alone.
        self._label_delay: LabelDelay | None = None
        self._estimates: dict[str, ValueEstimate] = {}
        self._currency = "USD"
        # Each period's bootstrap interval (key -> Interval) and the analysis it belongs to.
        self._intervals: dict[str, Interval] = {}
        self._interval_analysis: Analysis | None = None
        self._confidence: float | None = None
        self._replicates = 0
        columns = (
            replace(PERIOD_COLUMNS[0], display=lambda g: period_label(g.key, self._period)),
            *(
                replace(c, value=self._interval_end(c.title == "Value low"))
                if c.title in ("Value low", "Value high")
                else c
                for c in PERIOD_COLUMNS[1:]
            ),
            *self._estimate_columns(),
        )
        self.model = GroupTableModel(columns, unknown=lambda g: g.fully_unlabeled, parent=self)
        self.table = SortedTableView()
        self.table.set_source(self.model)
        # Walk-forward and stale-threshold cost, filled in by the background job (decision_views).
        self.walk_forward = QLabel("")
        self.walk_forward.setWordWrap(True)
        self.walk_forward.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        content = chart_over_table(self.caption, self.canvas, self.table, stretch=(1, 1))
        layout = content.layout()
        assert isinstance(layout, QBoxLayout)  # chart_over_table stacks its parts in a QVBoxLayout
        layout.insertWidget(1, self.walk_forward)
        self._stack = with_empty_state(
            self, content, "Map a time column and choose a period (month, week...) to see value over time"
        )

    def _interval_end(self, low: bool) -> Callable[[GroupResult], float | None]:
        def read(g: GroupResult) -> float | None:
            interval = self._intervals.get(g.key)
            return None if interval is None else (interval.low if low else interval.high)

        return read

    def _estimate_columns(self) -> tuple[GroupColumn, ...]:
        def est(g: GroupResult) -> ValueEstimate | None:
            return self._estimates.get(g.key)

        return (
            GroupColumn(
                "Estimate",
                lambda g: None if (e := est(g)) is None else e.value,
                "money",
                "Estimated value of all the period's rows from calibrated scores alone (an estimate, "
                "not realised value; on labelled periods, its track record)",
            ),
            GroupColumn(
                "Estimate low",
                lambda g: None if (e := est(g)) is None else e.low,
                "money",
                "Low end of the estimate's interval (outcome randomness only)",
            ),
            GroupColumn(
                "Estimate high",
                lambda g: None if (e := est(g)) is None else e.high,
                "money",
                "High end of the estimate's interval (outcome randomness only)",
            ),
        )

    def set_label_delay(self, label_delay: LabelDelay | None) -> None:
        """Show the estimates of ``label_delay`` (``core.engine.estimate.LabelDelay``; None: none)."""
        self._label_delay = label_delay
        if self._analysis is not None:
            self.set_analysis(self._analysis, self._currency)

    def set_analysis(self, analysis: Analysis | None, currency: str = "USD", *, redraw: bool = True) -> None:
        """Show the periods of ``analysis`` in time order (the empty state when it has none).

        ``redraw=False`` refreshes the table and the caption only (new intervals: the chart has none).
        """
        if analysis is not self._interval_analysis:  # intervals of another analysis: not these figures
            self._intervals, self._confidence = {}, None
        self._analysis = analysis
        self._currency = currency
        ld = self._label_delay
        self._estimates = (
            ld.periods_at(analysis.operating.threshold) if ld is not None and analysis is not None else {}
        )
        self._period = analysis.request.period if analysis is not None else None
        periods = analysis.periods if analysis is not None else ()
        self.model.set_rows(periods, currency)
        no_challenger = all(g.challenger_operating is None for g in periods)
        self.table.setColumnHidden(self.model.column_index("Challenger value"), no_challenger)
        for title in ("Estimate", "Estimate low", "Estimate high"):
            self.table.setColumnHidden(self.model.column_index(title), not self._estimates)
        for title in ("Value low", "Value high"):
            self.table.setColumnHidden(self.model.column_index(title), not self._intervals)
        if not periods:
            self._stack.setCurrentIndex(0)
            if redraw:
                self.canvas.clear()
                self.canvas.draw_idle()
            return
        self._stack.setCurrentIndex(1)
        assert analysis is not None  # the periods are its own
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        unknown = [g for g in periods if g.fully_unlabeled]
        text = (
            f"Value per {analysis.request.period} at the operating threshold "
            f"{format_threshold(analysis.operating.threshold)}"
        )
        text += (
            "; the chart shows it per 1,000 rows (estimates: per 1,000 of the period's rows), so a busy "
            "period is not judged by its volume."
            if self._estimates
            else "; the chart shows it per 1,000 labelled rows (dashed: all periods), so a busy period "
            "is not judged by its volume."
        )
        if self._intervals and self._confidence is not None:
            text += (
                f" Value low / high: the {self._confidence:.0%} bootstrap interval of each period's value "
                f"({self._replicates:,} resamples)."
            )
        time = analysis.validation.time
        if time is not None and (not time.year_given or time.time_zone):
            text += f" Periods: {time.describe()}." if time.year_given else f" Months: {YEAR_NOT_GIVEN}."
        if unknown:
            flagged = sum(_all_flagged(g) for g in unknown)
            text += (
                f" {len(unknown)} period{'s' if len(unknown) > 1 else ''} without labels yet: "
                f"{flagged:,} rows flagged there, value not yet known."
            )
        pending = [(g, self._estimates[g.key]) for g in unknown if g.key in self._estimates]
        if pending:
            g, e = pending[-1]
            text += (
                f" Estimate for {period_label(g.key, self._period)}: {format_money(e.value, currency)} "
                f"({format_money(e.low, currency)} to {format_money(e.high, currency)}), from calibrated "
                "scores; diamonds show the estimate on labelled periods beside the realised value."
            )
        self.caption.setText(text)
        if not redraw:
            return
        estimates, period = self._estimates, analysis.request.period

        def build() -> None:
            self.canvas.clear()
            ax = self.canvas.figure.add_subplot()
            if estimates:
                chart_calibration.draw_estimate_by_period(
                    ax,
                    periods,
                    estimates,
                    symbol=currency_symbol(currency),
                    period=period,
                    palette=self.canvas.chart_palette,
                )
            else:
                chart_breakdown.draw_value_by_period(
                    ax,
                    periods,
                    symbol=currency_symbol(currency),
                    period=period,
                    palette=self.canvas.chart_palette,
                )
            self.canvas.draw_idle()

        self.canvas.set_chart(build)  # built when the tab is shown

    def set_decision(self, decision: Decision | None, currency: str = "USD") -> None:
        """Show the walk-forward value, its gap to the in-sample value and the stale-threshold cost,
        and each period's bootstrap interval in the table."""
        u = None if decision is None else decision.uncertainty
        intervals = {} if u is None else dict(u.groups.get(PERIOD_BREAKDOWN, ()))
        if intervals != self._intervals or (u is not None and u.confidence != self._confidence):
            self._intervals = intervals
            self._confidence = None if u is None else u.confidence
            self._replicates = 0 if u is None else u.replicates
            self._interval_analysis = self._analysis
            if self._analysis is not None:
                self.set_analysis(self._analysis, currency, redraw=False)
        bt = None if decision is None else decision.backtest
        cov = None if decision is None else decision.coverage
        if bt is None:
            self.walk_forward.setText("")
            return
        text = (
            f"Walk-forward: each {bt.period} at the threshold tuned on the {bt.period}s before it earns "
            f"{format_money(bt.value, currency)} over {len(bt.rows)} {bt.period}s, against "
            f"{format_money(bt.in_sample_value, currency)} with the threshold tuned on all rows "
            f"(in-sample optimism {format_money(bt.optimism, currency)}). Keeping the first {bt.period}'s threshold "
            f"{format_threshold(bt.stale_threshold)} would have cost {format_money(bt.stale_cost, currency)}."
        )
        if cov is not None:
            text += (
                f" Figures cover {period_label(cov.first, bt.period)} to {period_label(cov.last, bt.period)} "
                f"({cov.labelled_periods} labelled {bt.period}s): "
                f"{format_money(cov.value_per_month, currency)} per month, {format_money(cov.value_per_year, currency)} per year."
            )
        self.walk_forward.setText(text)
