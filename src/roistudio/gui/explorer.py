"""The threshold explorer: the value curve, a slider over it, what the chosen threshold is worth.

Everything shown at a threshold is read off the champion's :class:`~roistudio.core.engine.curve.Curve`
(a binary search or an index, never a query), and a slider move repaints only the operating
marker (blitting, see :class:`~roistudio.gui.mpl_canvas.MplCanvas`), so moving the slider stays
interactive on a curve of a million distinct scores.

The slider moves through score values, evenly from the lowest score to the highest, like the
chart's x axis above it (not through rows or distinct scores, which crowd where scores crowd).
Each position snaps to the lowest distinct score at or above its value, so the threshold shown
is always a real score; one more step at the right end is "flag nobody". The spin box takes any
threshold exactly (4 decimals): rows with ``score >= threshold`` are flagged.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from roistudio.charts import curves as chart_curves
from roistudio.charts import style as chart_style
from roistudio.charts import uncertainty as chart_uncertainty
from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.baselines import allowed_baselines, better_allowed_baseline
from roistudio.core.engine.constraints import Constraints, constrained_optimum, feasible
from roistudio.core.engine.curve import Curve, CurvePoint
from roistudio.core.engine.results import ModelResult
from roistudio.core.glossary import definition
from roistudio.gui.mpl_canvas import MplCanvas
from roistudio.gui.widgets import (
    ConfusionMatrixWidget,
    KpiTile,
    currency_symbol,
    format_count,
    format_money,
    format_percent,
    format_threshold,
)

__all__ = ["ThresholdExplorer"]

CONSTRAINT_DEBOUNCE_MS = 300
DRAG_EMIT_MS = 120  # while dragging, thresholdChanged is coalesced to one signal per this interval
SPIN_DECIMALS = 4
LEGEND_BELOW_PX = 640  # a chart narrower than this has its legend under the axes
SLIDER_STEPS = 1000  # positions between the lowest and the highest score; one more flags nobody

# The KPI tiles' tooltips, in the glossary's words (core.glossary), so the app and the reports agree.
TOOLTIPS = {
    "value": f"Value: {definition('Value')} Rows without a label are not counted.",
    "gain": f"Value of the model: {definition('Value of the model')} {definition('Baselines')}",
    "flagged": f"Flagged rows: {definition('Flagged rows')} Flagged rows whose label is not yet known "
    "are counted apart.",
    "precision": f"Precision: {definition('Precision')}",
    "recall": f"Recall: {definition('Recall')}",
}


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100.0


class ThresholdExplorer(QWidget):
    """Pick the operating threshold on the champion's value curve, with or without constraints.

    Signals
    -------
    thresholdChanged(object)
        The threshold the user moved to (float), or None for "flag nobody". While the slider is
        dragged the signal is coalesced (at most one per ~120 ms, and one on release).
    constraintsChanged(object)
        A :class:`~roistudio.core.engine.curve.Constraints` ~300 ms after the user's last constraint edit.
    """

    thresholdChanged = Signal(object)
    constraintsChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._analysis: Analysis | None = None
        self._model: ModelResult | None = None
        self._curve: Curve | None = None
        self._currency = "USD"
        self._operating: CurvePoint | None = None
        self._constraints = Constraints()
        self._legend_has_constraints = False
        self._constrained: CurvePoint | None = None
        self._artists: chart_curves.CurveArtists | None = None
        self._constrained_marker = None
        self._quiet = False
        self._pending_threshold: tuple[float | None] | None = None
        self._stale = False
        self._legend_below = False
        self._feasible_cache: tuple[tuple, np.ndarray] | None = None

        self._drag_timer = QTimer(self)
        self._drag_timer.setSingleShot(True)
        self._drag_timer.setInterval(DRAG_EMIT_MS)
        self._drag_timer.timeout.connect(self._emit_pending_threshold)
        self._constraint_timer = QTimer(self)
        self._constraint_timer.setSingleShot(True)
        self._constraint_timer.setInterval(CONSTRAINT_DEBOUNCE_MS)
        self._constraint_timer.timeout.connect(lambda: self.constraintsChanged.emit(self._constraints))

        # KPI tiles ------------------------------------------------------------------------------------
        self.tiles = {
            "value": KpiTile("Value", TOOLTIPS["value"]),
            "gain": KpiTile("vs doing nothing", TOOLTIPS["gain"]),
            "flagged": KpiTile("Flagged rows", TOOLTIPS["flagged"]),
            "precision": KpiTile("Precision", TOOLTIPS["precision"]),
            "recall": KpiTile("Recall", TOOLTIPS["recall"]),
        }
        tiles = QHBoxLayout()
        for tile in self.tiles.values():
            tiles.addWidget(tile)

        # Chart and threshold controls -------------------------------------------------------------------
        self.canvas = MplCanvas(self, width=7, height=4.5)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip(
            "Threshold: moves evenly through score values, like the chart's x axis, and stops on the "
            "nearest score at or above; far right flags nobody. Type an exact threshold in the box."
        )
        self.slider.valueChanged.connect(self._on_slider)
        self.slider.sliderReleased.connect(self._emit_pending_threshold)
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(SPIN_DECIMALS)
        self.spin.setSingleStep(10**-SPIN_DECIMALS * 10)
        self.spin.setKeyboardTracking(False)  # act on Enter / focus out / arrows, not every keystroke
        self.spin.setToolTip("Rows with score \u2265 this threshold are flagged")
        self.spin.setMinimumWidth(90)
        self.spin.valueChanged.connect(self._on_spin)
        self.use_best = QPushButton("Use best")
        self.use_best.setToolTip(
            "Move to the threshold with the highest value (under the constraints, if any)"
        )
        self.use_best.clicked.connect(self._on_use_best)
        self._nobody_label = QLabel("")
        self._nobody_label.setEnabled(False)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Threshold"))
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.spin)
        controls.addWidget(self._nobody_label)
        controls.addWidget(self.use_best)
        # Zoom and pan: the interesting thresholds often crowd one end of [0, 1] (fraud scores
        # near 0). The toolbar's redraws refresh the blitting background like any full draw.
        from matplotlib.backends.backend_qtagg import NavigationToolbar2QT

        self.toolbar = NavigationToolbar2QT(self.canvas, self, coordinates=False)
        self.toolbar.setIconSize(self.toolbar.iconSize() * 0.75)
        left = QVBoxLayout()
        left.addWidget(self.toolbar)
        left.addWidget(self.canvas, 1)
        left.addLayout(controls)

        # Side panel: confusion matrix, constraints, best points ----------------------------------------
        self.matrix = ConfusionMatrixWidget()
        matrix_box = QGroupBox("Outcomes at this threshold")
        QVBoxLayout(matrix_box).addWidget(self.matrix)

        self._capacity_on = QCheckBox("Review capacity")
        self._capacity_on.setToolTip("At most this many rows (or this share of rows) may be flagged")
        self._capacity = QDoubleSpinBox()
        self._capacity_unit = QComboBox()
        self._capacity_unit.addItems(["rows", "% of rows"])
        self._capacity_unit.currentIndexChanged.connect(self._on_capacity_unit)
        self._precision_on = QCheckBox("Min precision")
        self._precision = self._percent_spin()
        self._recall_on = QCheckBox("Min recall")
        self._recall = self._percent_spin()
        self._fpr_on = QCheckBox("Max false positive rate")
        self._fpr = self._percent_spin()
        self._fpr_on.setToolTip(
            "False positive rate: share of actual negatives that are flagged (FP / negatives)"
        )
        self._on_capacity_unit(0)
        capacity_row = QHBoxLayout()
        capacity_row.addWidget(self._capacity, 1)
        capacity_row.addWidget(self._capacity_unit)
        form = QFormLayout()
        form.addRow(self._capacity_on, capacity_row)
        form.addRow(self._precision_on, self._precision)
        form.addRow(self._recall_on, self._recall)
        form.addRow(self._fpr_on, self._fpr)
        for check, spin in (
            (self._capacity_on, self._capacity),
            (self._precision_on, self._precision),
            (self._recall_on, self._recall),
            (self._fpr_on, self._fpr),
        ):
            check.toggled.connect(self._on_constraint_edited)
            spin.valueChanged.connect(self._on_constraint_value)
        self._capacity_unit.currentIndexChanged.connect(self._on_constraint_value)
        self.best_label = QLabel("")
        self.best_label.setWordWrap(True)
        self.constrained_label = QLabel("")
        self.constrained_label.setWordWrap(True)
        constraints_box = QGroupBox("Constraints")
        box = QVBoxLayout(constraints_box)
        box.addLayout(form)
        box.addWidget(self.best_label)
        box.addWidget(self.constrained_label)

        side = QVBoxLayout()
        side.addWidget(matrix_box)
        side.addWidget(constraints_box)
        side.addStretch(1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setFixedWidth(340)
        side.setContentsMargins(0, 0, 0, 0)

        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(side_widget)
        self._empty = QLabel("Open data and map a score and a label column to explore thresholds.")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addLayout(tiles)
        # Bootstrap intervals beside the tiles, filled in by a background job (decision_views).
        self.interval_label = QLabel("")
        self.interval_label.setWordWrap(True)
        self.interval_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._uncertainty = self._uncertainty_curve = None
        layout.addWidget(self.interval_label)
        layout.addLayout(body, 1)
        layout.addWidget(self._empty)
        self._set_enabled(False)

    @staticmethod
    def _percent_spin() -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0.0, 100.0)
        spin.setDecimals(1)
        spin.setSuffix(" %")
        spin.setSingleStep(1.0)
        spin.setKeyboardTracking(False)
        return spin

    # -- public API ------------------------------------------------------------------------------------------
    def set_analysis(self, analysis: Analysis | None, currency: str = "USD") -> None:
        """Show an analysis: redraw the curve, the operating point and the constraints it was run with.

        An analysis that only moved the operating threshold on the same curve (e.g.
        ``reread_at``) moves the marker instead of redrawing the chart.
        """
        same_curve = (
            analysis is not None
            and self._curve is not None
            and analysis.champion.curve is self._curve
            and currency == self._currency
        )
        self._analysis = analysis
        self._currency = currency
        if analysis is None:
            self._model = self._curve = self._operating = self._artists = None
            self.canvas.clear()
            self.canvas.draw_idle()
            self._set_enabled(False)
            return
        self._model = analysis.champion
        self._curve = analysis.champion.curve
        self._quiet = True
        try:
            self._set_constraint_inputs(analysis.request.constraints, analysis.rows)
            self._configure_threshold_inputs()
        finally:
            self._quiet = False
        self._set_enabled(True)
        self._constraints = analysis.request.constraints
        self._constrained = (
            None if self._constraints.is_empty() else constrained_optimum(self._curve, self._constraints)
        )
        if same_curve and self._artists is not None:
            self._show_point(analysis.champion.operating)
        else:
            self._operating = analysis.champion.operating
            self._draw_chart()
            self._show_point(analysis.champion.operating, blit=False)
        self._show_best()

    def set_uncertainty(self, result, *, pending: bool = False, currency: str | None = None) -> None:
        """Show bootstrap intervals (``core.engine.bootstrap.BootstrapResult``) beside the tiles.

        ``None`` with ``pending`` says they are being recomputed (cheap: called on slider moves);
        a result also shades its band on the value curve.
        """
        if result is None:
            self.interval_label.setText("Intervals: computing in the background…" if pending else "")
            return
        cur = currency or self._currency
        self._uncertainty, self._uncertainty_curve = result, self._curve
        thr = result.optimal_threshold
        self.interval_label.setText(
            f"{result.confidence:.0%} intervals ({result.replicates:,} bootstrap resamples of the labelled rows): "
            f"value {format_money(result.operating_value.low, cur)} to {format_money(result.operating_value.high, cur)}; "
            f"vs the better baseline {format_money(result.value_of_model.low, cur)} to "
            f"{format_money(result.value_of_model.high, cur)}; best threshold {format_threshold(thr.low)} to "
            f"{format_threshold(thr.high)}"
        )
        if self._model is not None:
            self._draw_chart()

    def redraw_chart(self) -> None:
        """Draw the chart again from scratch (e.g. in the palette of a new light/dark scheme)."""
        if self._model is not None:
            self._draw_chart()

    def set_threshold(self, threshold: float | None) -> None:
        """Move the operating threshold programmatically (no ``thresholdChanged``)."""
        if self._curve is None:
            return
        self._show_point(self._point_at(threshold))

    def threshold(self) -> float | None:
        """The operating threshold shown (None: flag nobody)."""
        return None if self._operating is None else self._operating.threshold

    def set_stale(self, stale: bool) -> None:
        """Dim the KPI tiles while the figures are from a previous payoff (the shell's banner says why)."""
        tip = "From the previous valid payoff: the payoff being edited has errors" if stale else ""
        for tile in self.tiles.values():
            tile.setEnabled(not stale)
            tile.setStatusTip(tip)
        self._stale = stale

    def is_stale(self) -> bool:
        return self._stale

    def operating_point(self) -> CurvePoint | None:
        return self._operating

    def constraints(self) -> Constraints:
        return self._constraints

    def constrained_point(self) -> CurvePoint | None:
        """The best point under the current constraints (None when none is set or none is feasible)."""
        return self._constrained

    def set_constraints(self, constraints: Constraints) -> None:
        """Show constraints (no ``constraintsChanged``)."""
        self._quiet = True
        try:
            self._set_constraint_inputs(constraints, self._analysis.rows if self._analysis else 0)
        finally:
            self._quiet = False
        self._constraints = constraints
        self._update_constrained()

    def _score_range(self) -> tuple[float, float]:
        if self._curve is None or len(self._curve) < 2:
            return 0.0, 0.0
        scores = self._curve.thresholds[1:]  # strictly descending
        return float(scores[-1]), float(scores[0])

    def slider_score(self, value: int) -> float | None:
        """The score value a slider position stands for (``None``: the far right, flag nobody)."""
        if int(value) > SLIDER_STEPS:
            return None
        low, high = self._score_range()
        return low + (high - low) * int(value) / SLIDER_STEPS

    def index_for_slider(self, value: int) -> int:
        """Curve index of a slider position: the lowest distinct score at or above its value."""
        score = self.slider_score(value)
        if self._curve is None or score is None or len(self._curve) < 2:
            return 0
        index = self._curve.index_at(score)
        # Float rounding at the top end must not turn "the highest score" into "flag nobody".
        return max(index, 1)

    def slider_for_index(self, index: int) -> int:
        """The slider position nearest a curve index's score (index 0, flag nobody: far right)."""
        if self._curve is None or int(index) == 0:
            return SLIDER_STEPS + 1
        low, high = self._score_range()
        if high <= low:
            return 0
        score = float(self._curve.thresholds[int(index)])
        return round((score - low) / (high - low) * SLIDER_STEPS)

    # -- drawing ----------------------------------------------------------------------------------------------
    def _draw_chart(self) -> None:
        model, point = self._model, self._operating
        self.canvas.clear()
        ax = self.canvas.figure.add_subplot()
        symbol = currency_symbol(self._currency)
        palette = self.canvas.chart_palette
        self._artists = chart_curves.draw_value_curve(
            ax, model, symbol=symbol, operating=point, show_baselines=True, palette=palette
        )
        # The constrained optimum is a second marker the GUI moves as constraints change.
        (self._constrained_marker,) = ax.plot(
            [], [], linestyle="none", marker="v", markersize=8, color=palette.operating,
            markeredgecolor=palette.background, markeredgewidth=0.8, zorder=7,
            label="_nolegend_" if self._constraints.is_empty() else "best under constraints",
        )  # fmt: skip
        self._legend_has_constraints = not self._constraints.is_empty()
        if self._uncertainty is not None and self._uncertainty_curve is self._curve:
            chart_uncertainty.draw_value_band(ax, self._uncertainty, palette)
        self._legend_below = self._narrow()
        if self._legend_below:
            # A narrow chart has no free corner: the legend goes under the axes, off the curve.
            chart_style.style_legend(ax, palette, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
        else:
            chart_style.style_legend(ax, palette, loc="best")
        self.canvas.set_moving_artists((*self._artists.moving_artists(), self._constrained_marker))
        self._place_constrained_marker()
        self.canvas.draw_idle()

    def _narrow(self) -> bool:
        return self.canvas.width() < LEGEND_BELOW_PX

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._model is not None and self._artists is not None and self._narrow() != self._legend_below:
            self._draw_chart()

    def _place_constrained_marker(self) -> None:
        if self._constrained_marker is None or self._artists is None:
            return
        point = self._constrained
        if point is None:
            self._constrained_marker.set_data([], [])
        else:
            x = self._artists.nobody_x if point.threshold is None else point.threshold
            self._constrained_marker.set_data([x], [point.value])

    # -- showing a point ---------------------------------------------------------------------------------------
    def _point_at(self, threshold: float | None) -> CurvePoint:
        index = self._curve.index_at(threshold)
        if index == 0:
            return self._curve.point(0)  # a threshold above every score flags nobody
        return self._curve.at(threshold)

    def _show_point(self, point: CurvePoint, *, blit: bool = True, move_slider: bool = True) -> None:
        """Update tiles, matrix, slider, spin box and marker for ``point``; emits nothing."""
        self._operating = point
        self._quiet = True
        try:
            if move_slider:  # not under the user's hand: a drag keeps its own position
                self.slider.setValue(self.slider_for_index(point.index))
            spin_value = self.spin.maximum() if point.threshold is None else point.threshold
            self.spin.setValue(spin_value)
        finally:
            self._quiet = False
        self._nobody_label.setText("flag nobody" if point.threshold is None else "")
        self._update_tiles(point)
        self._update_constrained_label()
        self.matrix.set_point(point, self._currency)
        if blit and self._artists is not None:
            chart_curves.move_operating_marker(self._artists, point)
            self.canvas.blit_moving()

    def _update_tiles(self, point: CurvePoint) -> None:
        curve, cur = self._curve, self._currency
        # Only the baselines the constraints allow (core rule: core.engine.baselines).
        allowed = allowed_baselines(curve, self._constraints)
        baseline = better_allowed_baseline(curve, self._constraints)
        gain = point.value - baseline.value
        self.tiles["value"].set_value(
            format_money(point.value, cur), f"at threshold {format_threshold(point.threshold)}"
        )
        titles = {"flag_nobody": "vs doing nothing", "flag_everyone": "vs flagging everyone"}
        self.tiles["gain"].set_title(titles.get(baseline.kind, f"vs {baseline.label}"))
        forbidden = all(b.kind != "flag_everyone" for b in allowed)
        self.tiles["gain"].set_value(
            format_money(gain, cur, signed=True),
            f"baseline {format_money(baseline.value, cur)}; flag everyone not allowed"
            if forbidden
            else f"better baseline: {baseline.label} ({format_money(baseline.value, cur)})",
            tone="bad" if gain < 0 else None,
        )
        unknown = f"; +{point.flagged_unlabeled:,} not yet known" if point.flagged_unlabeled else ""
        self.tiles["flagged"].set_value(
            format_count(point.flagged), f"{format_percent(point.flag_rate)} of labelled rows{unknown}"
        )
        self.tiles["precision"].set_value(
            format_percent(point.precision), f"{point.tp:,} of {point.flagged:,} flagged are positive"
        )
        self.tiles["recall"].set_value(
            format_percent(point.recall), f"{point.tp:,} of {curve.positives:,} positives flagged"
        )

    def _describe(self, point: CurvePoint) -> str:
        # <nobr> keeps "-$203,135" from being wrapped after its minus sign.
        return (
            f"<nobr>{format_money(point.value, self._currency)}</nobr> at "
            f"<nobr>{format_threshold(point.threshold)}</nobr> (<nobr>{point.flagged:,} flagged</nobr>)"
        )

    def _feasible_mask(self) -> np.ndarray:
        """Which curve points meet the constraints (kept until the curve or constraints change)."""
        key = (id(self._curve), self._constraints)
        if self._feasible_cache is None or self._feasible_cache[0] != key:
            self._feasible_cache = (key, feasible(self._curve, self._constraints))
        return self._feasible_cache[1]

    def _show_best(self) -> None:
        if self._model is None:
            return
        self.best_label.setText(f"<b>Best:</b> {self._describe(self._model.optimum)}")
        self._update_constrained_label()

    def _update_constrained_label(self) -> None:
        if self._constraints.is_empty():
            text = "<b>Best under constraints:</b> no constraint set"
        elif self._constrained is None:
            text = "<b>Best under constraints:</b> no threshold meets the constraints"
        else:
            text = f"<b>Best under constraints:</b> {self._describe(self._constrained)}"
        point = self._operating
        # A threshold the analyst set is kept under a new constraint; say when it breaks it.
        breaks = (
            point is not None
            and self._curve is not None
            and not self._constraints.is_empty()
            and not bool(self._feasible_mask()[point.index])
        )
        if breaks:
            text += (
                f"<br>The threshold in use (<nobr>{format_threshold(point.threshold)}</nobr>) does not meet "
                "the constraints; <i>Use best</i> moves to the best one that does."
            )
        self.constrained_label.setText(text)

    # -- threshold inputs ---------------------------------------------------------------------------------------
    def _configure_threshold_inputs(self) -> None:
        n = len(self._curve)
        self.slider.setRange(0, SLIDER_STEPS + 1 if n > 1 else 0)
        self.slider.setPageStep(SLIDER_STEPS // 50)
        if n > 1:
            low = float(np.nanmin(self._curve.thresholds[1:]))
            high = float(np.nanmax(self._curve.thresholds[1:]))
        else:
            low, high = 0.0, 1.0
        step = 10**-SPIN_DECIMALS
        # The maximum sits one step above the top score: typing it (or more) flags nobody.
        self.spin.setRange(math.floor(low / step) * step, math.ceil(high / step) * step + step)

    def _on_slider(self, value: int) -> None:
        if self._quiet or self._curve is None:
            return
        point = self._curve.point(self.index_for_slider(value))
        self._show_point(point, move_slider=False)
        self._queue_threshold(point.threshold)

    def _on_spin(self, value: float) -> None:
        if self._quiet or self._curve is None:
            return
        point = self._point_at(float(value))
        self._show_point(point)
        self._queue_threshold(point.threshold, immediate=True)

    def _queue_threshold(self, threshold: float | None, *, immediate: bool = False) -> None:
        self._pending_threshold = (threshold,)
        if immediate or not self.slider.isSliderDown():
            self._emit_pending_threshold()
        elif not self._drag_timer.isActive():
            self._drag_timer.start()

    def _emit_pending_threshold(self) -> None:
        self._drag_timer.stop()
        if self._pending_threshold is None:
            return
        (threshold,) = self._pending_threshold
        self._pending_threshold = None
        self.thresholdChanged.emit(threshold)

    def _on_use_best(self) -> None:
        if self._model is None:
            return
        best = self._constrained if not self._constraints.is_empty() else self._model.optimum
        if best is None:  # constraints nobody meets: flagging nobody is always allowed
            best = self._curve.point(0)
        self._show_point(best)
        self._queue_threshold(best.threshold, immediate=True)

    # -- constraints --------------------------------------------------------------------------------------------
    def _on_capacity_unit(self, index: int) -> None:
        rows = self._analysis.rows if self._analysis is not None else 0
        if index == 0:
            self._capacity.setDecimals(0)
            self._capacity.setRange(0, max(rows, 1))
            self._capacity.setSuffix("")
            self._capacity.setSingleStep(max(1, rows // 100))
        else:
            self._capacity.setDecimals(2)
            self._capacity.setRange(0.0, 100.0)
            self._capacity.setSuffix(" %")
            self._capacity.setSingleStep(0.5)

    def _set_constraint_inputs(self, c: Constraints, rows: int) -> None:
        percent_unit = c.max_flagged is None and c.max_flag_rate is not None
        self._capacity_unit.setCurrentIndex(1 if percent_unit else 0)
        self._on_capacity_unit(1 if percent_unit else 0)
        capacity = _percent(c.max_flag_rate) if percent_unit else c.max_flagged
        self._capacity_on.setChecked(capacity is not None)
        if capacity is not None:
            self._capacity.setValue(float(capacity))
        elif not percent_unit:
            self._capacity.setValue(float(min(rows, 1000)))
        for check, spin, value in (
            (self._precision_on, self._precision, _percent(c.min_precision)),
            (self._recall_on, self._recall, _percent(c.min_recall)),
            (self._fpr_on, self._fpr, _percent(c.max_fpr)),
        ):
            check.setChecked(value is not None)
            if value is not None:
                spin.setValue(value)

    def _constraint_pairs(self):
        return (
            (self._capacity_on, self._capacity),
            (self._precision_on, self._precision),
            (self._recall_on, self._recall),
            (self._fpr_on, self._fpr),
        )

    def constraints_from_inputs(self) -> Constraints:
        """The constraints the inputs describe (unchecked ones are no limit)."""
        max_flagged = max_rate = None
        if self._capacity_on.isChecked():
            if self._capacity_unit.currentIndex() == 0:
                max_flagged = round(self._capacity.value())
            else:
                max_rate = self._capacity.value() / 100.0  # rates are fractions; the box shows percent
        return Constraints(
            max_flagged=max_flagged,
            max_flag_rate=max_rate,
            min_precision=self._precision.value() / 100.0 if self._precision_on.isChecked() else None,
            min_recall=self._recall.value() / 100.0 if self._recall_on.isChecked() else None,
            max_fpr=self._fpr.value() / 100.0 if self._fpr_on.isChecked() else None,
        )

    def _on_constraint_value(self, *_args) -> None:
        # A value typed into a switched-off constraint switches it on: that is what the user means.
        spin = self.sender()
        for check, other in self._constraint_pairs():
            if other is spin and not check.isChecked() and not self._quiet:
                check.setChecked(True)  # emits toggled -> _on_constraint_edited
                return
        self._on_constraint_edited()

    def _on_constraint_edited(self, *_args) -> None:
        if self._quiet:
            return
        self._constraints = self.constraints_from_inputs()
        self._update_constrained()
        self._constraint_timer.start()

    def _update_constrained(self) -> None:
        if self._curve is None:
            return
        self._constrained = (
            None if self._constraints.is_empty() else constrained_optimum(self._curve, self._constraints)
        )
        self._update_constrained_label()
        if self._operating is not None:
            self._update_tiles(self._operating)  # the baselines compared depend on the constraints
        if self._artists is not None and self._legend_has_constraints == self._constraints.is_empty():
            # The legend names the constrained marker only while a constraint is set: switching
            # constraints on or off is rare, so a full redraw there is fine.
            self._draw_chart()
            return
        self._place_constrained_marker()
        if self._artists is not None:
            self.canvas.blit_moving()

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.slider, self.spin, self.use_best, self.canvas, self.matrix):
            widget.setEnabled(enabled)
        for check, spin in self._constraint_pairs():
            check.setEnabled(enabled)
            spin.setEnabled(enabled)
        self._capacity_unit.setEnabled(enabled)
        self._empty.setVisible(not enabled)
        self.canvas.setVisible(enabled)
        if not enabled:
            for tile in self.tiles.values():
                tile.set_value("–", "")
            self.matrix.set_point(None)
            self.best_label.setText("")
            self.constrained_label.setText("")
