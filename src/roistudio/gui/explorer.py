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
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from roistudio.charts import curves as chart_curves
from roistudio.charts import style as chart_style
from roistudio.charts import uncertainty as chart_uncertainty
from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.constraints import Constraints, constrained_optimum, feasible
from roistudio.core.engine.curve import Curve, CurvePoint
from roistudio.core.engine.results import ModelResult
from roistudio.gui.bridge_view import BridgeView
from roistudio.gui.constraints_panel import ConstraintsPanel
from roistudio.gui.explorer_side import best_text, constrained_text, side_panel
from roistudio.gui.explorer_state import (
    SLIDER_STEPS,
    index_for_slider,
    point_at,
    score_range,
    slider_for_index,
    slider_score,
)
from roistudio.gui.explorer_tiles import point_tiles, show_point_tiles
from roistudio.gui.mpl_canvas import MplCanvas
from roistudio.gui.widgets import (
    ConfusionMatrixWidget,
    currency_symbol,
    format_money,
    format_threshold,
)

if TYPE_CHECKING:
    from roistudio.core.engine.bootstrap import BootstrapResult

__all__ = ["ThresholdExplorer"]

CONSTRAINT_DEBOUNCE_MS = 300
DRAG_EMIT_MS = 120  # while dragging, thresholdChanged is coalesced to one signal per this interval
SPIN_DECIMALS = 4
LEGEND_BELOW_PX = 640  # a chart narrower than this has its legend under the axes


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
        self._constrained_marker: Line2D | None = None
        self._pending_threshold: tuple[float | None] | None = None
        self._legend_below = False
        self._feasible_cache: tuple[tuple[int, Constraints], np.ndarray] | None = None

        self._drag_timer = QTimer(self)
        self._drag_timer.setSingleShot(True)
        self._drag_timer.setInterval(DRAG_EMIT_MS)
        self._drag_timer.timeout.connect(self._emit_pending_threshold)
        self._constraint_timer = QTimer(self)
        self._constraint_timer.setSingleShot(True)
        self._constraint_timer.setInterval(CONSTRAINT_DEBOUNCE_MS)
        self._constraint_timer.timeout.connect(lambda: self.constraintsChanged.emit(self._constraints))

        # KPI tiles ------------------------------------------------------------------------------------
        self.tiles = point_tiles()
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
        from matplotlib.backends.backend_qt import NavigationToolbar2QT

        self.toolbar = NavigationToolbar2QT(self.canvas, self, coordinates=False)  # type: ignore[no-untyped-call]
        self.toolbar.setIconSize(self.toolbar.iconSize() * 0.75)
        curve_page = QWidget()
        curve_layout = QVBoxLayout(curve_page)
        curve_layout.setContentsMargins(0, 0, 0, 0)
        curve_layout.addWidget(self.toolbar)
        curve_layout.addWidget(self.canvas, 1)
        # Beside the curve, the same threshold as a bridge from doing nothing (gui.bridge_view).
        self.bridge = BridgeView()
        self.chart_tabs = QTabWidget()
        self.chart_tabs.setDocumentMode(True)
        self.chart_tabs.addTab(curve_page, "Value curve")
        self.chart_tabs.addTab(self.bridge, "Where the value comes from")
        self.chart_tabs.setTabToolTip(
            1, "From the value without the model to the value at this threshold: misses and false alarms"
        )
        left = QVBoxLayout()
        left.addWidget(self.chart_tabs, 1)
        left.addLayout(controls)

        # Side panel: confusion matrix, constraints, best points (gui.explorer_side)
        self.matrix = ConfusionMatrixWidget()
        self.constraints_panel = ConstraintsPanel()
        self.constraints_panel.edited.connect(self._on_constraints_edited)
        side_widget, self.best_label, self.constrained_label = side_panel(self.matrix, self.constraints_panel)

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
        self._uncertainty: BootstrapResult | None = None
        self._uncertainty_curve: Curve | None = None
        layout.addWidget(self.interval_label)
        layout.addLayout(body, 1)
        layout.addWidget(self._empty)
        self._set_enabled(False)

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
        self.bridge.set_analysis(analysis, currency)
        if analysis is None:
            self._model = self._curve = self._operating = self._artists = None
            self.canvas.clear()
            self.canvas.draw_idle()
            self._set_enabled(False)
            return
        self._model = analysis.champion
        self._curve = analysis.champion.curve
        self.constraints_panel.show_constraints(analysis.request.constraints, analysis.rows)
        self._configure_threshold_inputs()
        self._set_enabled(True)
        self._constraints = analysis.request.constraints
        self._constrained = (
            None if self._constraints.is_empty() else constrained_optimum(self._curve, self._constraints)
        )
        if same_curve and self._artists is not None:
            point, shown = analysis.champion.operating, self._operating
            if shown is not None and (shown.index, shown.threshold) == (point.index, point.threshold):
                self._update_tiles(point)  # shown already (the slider's own move); the constraints
            else:  # decide which baseline the tiles compare with
                self._show_point(point)
        else:
            self._operating = analysis.champion.operating
            self._draw_chart()
            self._show_point(analysis.champion.operating, blit=False)
        self._show_best()

    def set_uncertainty(
        self, result: BootstrapResult | None, *, pending: bool = False, currency: str | None = None
    ) -> None:
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
        self.bridge.redraw()

    def set_threshold(self, threshold: float | None) -> None:
        """Move the operating threshold programmatically (no ``thresholdChanged``)."""
        if self._curve is None:
            return
        point = self._point_at(threshold)
        shown = self._operating
        if shown is not None and (shown.index, shown.threshold) == (point.index, point.threshold):
            return  # the document echoing the point shown (a slider move, a publish): nothing to do
        self._show_point(point)

    def threshold(self) -> float | None:
        """The operating threshold shown (None: flag nobody)."""
        return None if self._operating is None else self._operating.threshold

    def set_stale(self, stale: bool) -> None:
        """Dim the KPI tiles while the figures are from a previous payoff (the shell's banner says why)."""
        tip = "From the previous valid payoff: the payoff being edited has errors" if stale else ""
        for tile in self.tiles.values():
            tile.setEnabled(not stale)
            tile.setStatusTip(tip)

    def operating_point(self) -> CurvePoint | None:
        return self._operating

    def constraints(self) -> Constraints:
        return self._constraints

    def constrained_point(self) -> CurvePoint | None:
        """The best point under the current constraints (None when none is set or none is feasible)."""
        return self._constrained

    def set_constraints(self, constraints: Constraints) -> None:
        """Show constraints (no ``constraintsChanged``)."""
        self.constraints_panel.show_constraints(constraints, self._analysis.rows if self._analysis else 0)
        self._constraints = constraints
        self._update_constrained()

    def slider_score(self, value: int) -> float | None:
        """The score value a slider position stands for (``None``: the far right, flag nobody)."""
        return slider_score(value, *score_range(self._curve))

    def index_for_slider(self, value: int) -> int:
        """Curve index of a slider position (see :func:`~roistudio.gui.explorer_state.index_for_slider`)."""
        return index_for_slider(self._curve, value)

    def slider_for_index(self, index: int) -> int:
        """The slider position nearest a curve index's score (index 0, flag nobody: far right)."""
        return slider_for_index(self._curve, index)

    # -- drawing ----------------------------------------------------------------------------------------------
    def _draw_chart(self) -> None:
        model, point = self._model, self._operating
        if model is None:
            return
        self.canvas.clear()
        ax = self.canvas.figure.add_subplot()
        symbol = currency_symbol(self._currency)
        palette = self.canvas.chart_palette
        self._artists = chart_curves.draw_value_curve(
            ax,
            model,
            symbol=symbol,
            operating=point,
            show_baselines=True,
            palette=palette,
            zoom=False,  # the slider spans every score: a zoomed axis would lose the marker
        )
        # The constrained optimum is a second marker the GUI moves as constraints change.
        (marker,) = ax.plot(
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
        self._constrained_marker = marker
        self.canvas.set_moving_artists((*self._artists.moving_artists(), marker))
        self._place_constrained_marker()
        self.canvas.draw_idle()

    def _narrow(self) -> bool:
        return bool(self.canvas.width() < LEGEND_BELOW_PX)

    def resizeEvent(self, event: QResizeEvent) -> None:
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
        return point_at(self._shown_curve(), threshold)

    def _shown_curve(self) -> Curve:
        """The curve shown (callers run only once an analysis is shown)."""
        assert self._curve is not None, "no analysis is shown"
        return self._curve

    def _show_point(self, point: CurvePoint, *, blit: bool = True, move_slider: bool = True) -> None:
        """Update tiles, matrix, slider, spin box and marker for ``point``; emits nothing."""
        self._operating = point
        # The program moves the inputs here, not the analyst: their change signals stay silent.
        blockers = (QSignalBlocker(self.slider), QSignalBlocker(self.spin))
        if move_slider:  # not under the user's hand: a drag keeps its own position
            self.slider.setValue(self.slider_for_index(point.index))
        self.spin.setValue(self.spin.maximum() if point.threshold is None else point.threshold)
        for blocker in blockers:
            blocker.unblock()
        self._nobody_label.setText("flag nobody" if point.threshold is None else "")
        self._update_tiles(point)
        self._update_constrained_label()
        self.matrix.set_point(point, self._currency)
        self.bridge.follow(point)
        if blit and self._artists is not None:
            chart_curves.move_operating_marker(self._artists, point)
            self.canvas.blit_moving()

    def _update_tiles(self, point: CurvePoint) -> None:
        assert self._curve is not None
        show_point_tiles(self.tiles, point, self._curve, self._constraints, self._currency)

    def _feasible_mask(self) -> np.ndarray:
        """Which curve points meet the constraints (kept until the curve or constraints change)."""
        key = (id(self._curve), self._constraints)
        if self._feasible_cache is None or self._feasible_cache[0] != key:
            self._feasible_cache = (key, feasible(self._shown_curve(), self._constraints))
        return self._feasible_cache[1]

    def _show_best(self) -> None:
        if self._model is None:
            return
        self.best_label.setText(best_text(self._model.optimum, self._currency))
        self._update_constrained_label()

    def _update_constrained_label(self) -> None:
        point = self._operating
        breaks = (
            point is not None
            and self._curve is not None
            and not self._constraints.is_empty()
            and not bool(self._feasible_mask()[point.index])
        )
        self.constrained_label.setText(
            constrained_text(
                self._constraints, self._constrained, self._currency, breaking=point if breaks else None
            )
        )

    # -- threshold inputs ---------------------------------------------------------------------------------------
    def _configure_threshold_inputs(self) -> None:
        blockers = (QSignalBlocker(self.slider), QSignalBlocker(self.spin))  # a new range clamps
        curve = self._shown_curve()
        n = len(curve)
        self.slider.setRange(0, SLIDER_STEPS + 1 if n > 1 else 0)
        self.slider.setPageStep(SLIDER_STEPS // 50)
        if n > 1:
            low = float(np.nanmin(curve.thresholds[1:]))
            high = float(np.nanmax(curve.thresholds[1:]))
        else:
            low, high = 0.0, 1.0
        step = 10**-SPIN_DECIMALS
        # The maximum sits one step above the top score: typing it (or more) flags nobody.
        self.spin.setRange(math.floor(low / step) * step, math.ceil(high / step) * step + step)
        for blocker in blockers:
            blocker.unblock()

    def _on_slider(self, value: int) -> None:
        if self._curve is None:
            return
        point = self._curve.point(self.index_for_slider(value))
        self._show_point(point, move_slider=False)
        self._queue_threshold(point.threshold)

    def _on_spin(self, value: float) -> None:
        if self._curve is None:
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
            best = self._shown_curve().point(0)
        self._show_point(best)
        self._queue_threshold(best.threshold, immediate=True)

    # -- constraints --------------------------------------------------------------------------------------------
    def _on_constraints_edited(self, constraints: Constraints) -> None:
        self._constraints = constraints
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
        self.constraints_panel.set_inputs_enabled(enabled)
        self._empty.setVisible(not enabled)
        self.canvas.setVisible(enabled)
        self.chart_tabs.setVisible(enabled)
        if not enabled:
            for tile in self.tiles.values():
                tile.set_value("–", "")
            self.matrix.set_point(None)
            self.best_label.setText("")
            self.constrained_label.setText("")
