"""Champion against challenger on the same rows: both value curves with the difference below,
and the rates (precision, recall, flag rate) against the threshold.

Drawn with the value curve's parts (:mod:`roistudio.charts.curves`): the same x axis, sampling and
markers, so a threshold sits at the same place on every chart.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from roistudio.charts import curves as value_curve
from roistudio.charts import style
from roistudio.core.engine.curve import Curve, CurvePoint
from roistudio.core.engine.results import ModelResult
from roistudio.core.glossary import format_threshold


def difference_curve(champion: ModelResult, challenger: ModelResult) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds and challenger-minus-champion values at the same threshold, drawn as a line.

    The thresholds are each curve's drawn sample (at most :data:`value_curve.MAX_POINTS` each, with both
    optima and the common threshold); at each, both curves are read exactly (a row is flagged
    iff score >= threshold), so every drawn difference is the true one at that threshold.
    """
    keep_at = champion.operating.threshold
    xs = []
    for model in (champion, challenger):
        c = model.curve
        if len(c) > 1:
            keep = (1, model.optimum.index, c.index_at(keep_at), len(c) - 1)
            idx = c.sample_indices(value_curve.MAX_POINTS, keep=tuple(k for k in keep if 0 < k < len(c)))
            xs.append(c.thresholds[idx[idx > 0]])
    if not xs:
        return np.empty(0), np.empty(0)
    grid = np.unique(np.concatenate(xs))

    def values(c: Curve) -> np.ndarray:
        descending = c.thresholds[1:]
        index = len(descending) - np.searchsorted(descending[::-1], grid, side="left")
        return c.value[index]

    return np.clip(grid, -value_curve.X_BOUND, value_curve.X_BOUND), values(challenger.curve) - values(
        champion.curve
    )


def _draw_difference(
    ax: Axes,
    champion: ModelResult,
    challenger: ModelResult,
    nobody_x: float,
    symbol: str,
    palette: style.ChartPalette,
) -> None:
    """Challenger minus champion at each threshold, with the gap at each one's best threshold."""
    style.style_axes(ax, palette)
    ax.yaxis.set_major_formatter(style.money_formatter(symbol))
    x, diff = difference_curve(champion, challenger)
    ax.plot(x, diff, color=palette.challenger, linewidth=1.6, zorder=3,
            label="challenger \u2212 champion at the same threshold")  # fmt: skip
    ax.axhline(0.0, color=palette.axis, linewidth=0.8, zorder=2)
    at_best = challenger.optimum.value - champion.optimum.value
    ax.axhline(at_best, color=palette.champion, linestyle=(0, (4, 2)), linewidth=1.0, zorder=2,
               label=f"each at its best threshold: {style.format_money_short(at_best, symbol)}")  # fmt: skip
    common = champion.operating
    at_common = challenger.curve.at(common.threshold).value - common.value
    cx = value_curve.x_of(common, nobody_x)
    ax.axvline(cx, **palette.operating_line, zorder=2)
    ax.plot([cx], [at_common], linestyle="none", marker="D", markersize=5.5,
            markerfacecolor=palette.background, markeredgecolor=palette.operating, markeredgewidth=1.4,
            zorder=5, label=f"at the common threshold: {style.format_money_short(at_common, symbol)}")  # fmt: skip
    ax.set_ylabel(f"Challenger \u2212 champion ({symbol.strip()})" if symbol.strip() else "Difference")
    ax.set_xlabel("Threshold (a row is flagged when score \u2265 threshold)")
    # The differences that matter are near the optima and the common threshold; where nearly
    # every row is flagged the gap can be ten times wider and would flatten the rest. The y axis
    # fits the thresholds from half-way to the nearest of those marks on, and says what it cuts.
    lo, hi = ax.get_xlim()
    marks = [value_curve.x_of(p, nobody_x) for p in (champion.optimum, challenger.optimum, common)]
    left = lo + 0.5 * (min(marks) - lo)
    seen = diff[(x >= left) & (x <= hi)]
    if len(seen):
        top = max(float(seen.max()), at_best, at_common, 0.0)
        bottom = min(float(seen.min()), at_best, at_common, 0.0)
        pad = 0.15 * max(top - bottom, abs(at_best) * 0.2, 1e-9)
        ax.set_ylim(bottom - pad, top + pad)
        visible = diff[(x >= lo) & (x <= hi)]
        if len(visible) and (visible.min() < bottom - pad or visible.max() > top + pad):
            ax.text(0.01, 0.02, "runs off the scale at the lowest thresholds", transform=ax.transAxes,
                    fontsize=style.ANNOTATION_SIZE - 0.5, color=palette.muted, parse_math=False)  # fmt: skip
    style.style_legend(ax, palette, loc="best")


def draw_comparison(
    ax: Axes,
    champion: ModelResult,
    challenger: ModelResult,
    *,
    symbol: str = "$",
    palette: style.ChartPalette = style.LIGHT,
    difference: bool = True,
    zoom: bool = True,
) -> value_curve.CurveArtists:
    """Draw champion and challenger value curves on the same rows, each with its optimum.

    The baselines are the same for both models (same rows, same payoff) and drawn once. The
    vertical line is the common threshold (the champion's operating threshold). Each legend
    entry carries the model's best value and threshold, so no annotation can collide.

    Parameters
    ----------
    difference
        Add a panel under the curves with challenger minus champion at each threshold (a
        $33k gap is invisible on a $1.2M value axis), the gap at each one's best threshold
        and at the common threshold. ``ax`` must be a subplot for the panel to be added.
    zoom
        Narrow the x axis to where the values change (:func:`value_curve.zoom_range`).

    Returns
    -------
    value_curve.CurveArtists
        The champion's handles (its operating line is the common threshold).
    """
    curves = [champion.curve, challenger.curve]
    points = [champion.optimum, challenger.optimum, champion.operating]
    x_range = value_curve.zoom_range(curves, points) if zoom else None
    nobody_x = value_curve.finish_axes(ax, curves, symbol, palette, x_range)
    y_window = None
    if x_range is not None:
        y_window = value_curve.zoom_window(champion, x_range)
        other = value_curve.zoom_window(challenger, x_range)
        if y_window is not None and other is not None:
            y_window = (min(y_window[0], other[0]), max(y_window[1], other[1]))
    value_curve.draw_baselines(ax, champion, symbol, palette, y_window)
    value_curve.note_sampling(ax, list(curves))
    lines = []
    markers = []
    for model, line_style, marker_shape in (
        (champion, palette.champion_line, "o"),
        (challenger, palette.challenger_line, "s"),
    ):
        opt = model.optimum
        keep = (1, opt.index, model.curve.index_at(champion.operating.threshold), len(model.curve) - 1)
        x, y = value_curve.sampled(model.curve, keep=keep)
        best = f"best {style.format_money_short(opt.value, symbol)} at {format_threshold(opt.threshold)}"
        (line,) = ax.plot(x, y, **line_style, label=f"{style.readable(model.name)} ({best})", zorder=3)
        marker = value_curve.optimum_marker(
            ax, value_curve.x_of(opt, nobody_x), opt.value, marker_shape, line_style["color"], palette
        )
        lines.append(line)
        markers.append(marker)
    if y_window is not None:
        ax.set_ylim(*y_window)
    vline, marker, text = value_curve.operating_artists(ax, champion.operating, nobody_x, palette)
    vline.set_label("common threshold")
    style.style_legend(ax, palette, loc="best")
    if difference:
        panels = style.split_axes(ax, 2, 1, (3.0, 2.0), share="x")
        if len(panels) == 2:
            ax.set_xlabel("")
            ax.tick_params(labelbottom=False)
            _draw_difference(panels[1], champion, challenger, nobody_x, symbol, palette)
            value_curve.note_sampling(panels[1], list(curves))
    return value_curve.CurveArtists(ax, lines[0], markers[0], vline, marker, text, nobody_x, symbol)


def draw_rates(
    ax: Axes,
    model: ModelResult,
    *,
    operating: CurvePoint | None = None,
    palette: style.ChartPalette = style.LIGHT,
) -> None:
    """Precision, recall and the share of rows flagged against the threshold (0-100 %).

    The companion of :func:`draw_value_curve` for choosing a threshold: what a reviewer sees
    (precision), what share of positives is caught (recall) and the workload (share flagged).
    """
    from matplotlib.ticker import PercentFormatter

    curve = model.curve
    operating = model.operating if operating is None else operating
    style.style_axes(ax, palette)
    nobody_x = value_curve.nobody_position([curve])
    low, _high = value_curve.x_extent([curve])
    pad = (nobody_x - low) * 0.02
    ax.set_xlim(low - pad, nobody_x + pad)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Threshold (a row is flagged when score \u2265 threshold)")
    value_curve.note_sampling(ax, [curve])
    if len(curve) > 1:
        idx = curve.sample_indices(value_curve.MAX_POINTS, keep=(1, operating.index, len(curve) - 1))
        idx = idx[idx > 0]
        x = value_curve.plot_x(curve.thresholds[idx])
        ax.plot(x, curve.precision[idx], color=palette.champion, linewidth=1.6, label="precision", zorder=3)
        ax.plot(
            x,
            curve.recall[idx],
            color=palette.challenger,
            linestyle=(0, (5, 2)),
            linewidth=1.6,
            label="recall",
            zorder=3,
        )
        ax.plot(
            x,
            curve.flag_rate[idx],
            color=palette.baseline,
            linestyle=":",
            linewidth=1.6,
            label="share of rows flagged",
            zorder=3,
        )
    ax.axvline(
        value_curve.x_of(operating, nobody_x), **palette.operating_line, zorder=2, label="operating threshold"
    )
    style.style_legend(ax, palette, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, borderaxespad=0.2)
