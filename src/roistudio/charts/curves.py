"""Value-vs-threshold charts: one model's curve, or champion and challenger on the same rows.

The x axis is the threshold (a row is flagged iff ``score >= threshold``), ascending to the
right. "Flag nobody" has no threshold; it is drawn as the horizontal baseline it is and, when it
is the operating policy, marked just right of the highest score (a threshold above every score
flags nobody). Curves can hold millions of points; only an evenly spaced sample of at most
:data:`MAX_POINTS` is drawn, always including both ends, the optimum and the operating point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import blended_transform_factory

from roistudio.charts import style
from roistudio.core.engine.curve import Curve, CurvePoint
from roistudio.core.engine.results import ModelResult

MAX_POINTS = 2000
# Where "flag nobody" sits on the x axis, as a fraction of the score range beyond the top score.
_NOBODY_MARGIN = 0.03


@dataclass
class CurveArtists:
    """The artists of one drawn curve that the GUI updates when the operating threshold moves.

    Only the operating line, marker and label change on a slider move, so the GUI can restore
    a cached background and redraw these three (blitting) instead of the whole figure.

    Attributes
    ----------
    nobody_x
        The x position used for "flag nobody" (just right of the highest score).
    """

    ax: Axes
    line: Line2D
    optimum_marker: Line2D
    operating_line: Line2D
    operating_marker: Line2D
    operating_label: Text
    nobody_x: float
    symbol: str

    def moving_artists(self) -> tuple[Artist, ...]:
        """The artists :func:`move_operating_marker` changes (for ``set_animated``/blitting)."""
        return (self.operating_line, self.operating_marker, self.operating_label)


# Raw scores can be anything a model emits, up to +-1.8e308: spans and padding computed on those
# overflow to inf and matplotlib refuses the limits. Scores beyond this bound are drawn at it.
X_BOUND = 1e150


def _plot_x(x: np.ndarray | float) -> np.ndarray | float:
    """Thresholds as drawn: clipped to +-:data:`X_BOUND` so every span stays finite."""
    return np.clip(x, -X_BOUND, X_BOUND)


def _x_extent(curves: list[Curve]) -> tuple[float, float]:
    """Lowest and highest score over the curves ((0, 1) when no curve has a score)."""
    lows = [float(_plot_x(np.nanmin(c.thresholds[1:]))) for c in curves if len(c) > 1]
    highs = [float(_plot_x(np.nanmax(c.thresholds[1:]))) for c in curves if len(c) > 1]
    if not lows:
        return 0.0, 1.0
    return min(lows), max(highs)


def _nobody_x(curves: list[Curve]) -> float:
    low, high = _x_extent(curves)
    span = high - low if high > low else max(abs(high), 1.0)
    return high + _NOBODY_MARGIN * span


def _x_of(point: CurvePoint, nobody_x: float) -> float:
    return nobody_x if point.threshold is None else float(_plot_x(float(point.threshold)))


def _sampled(curve: Curve, keep: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds and values of a downsampled curve, without the flag-nobody point."""
    if len(curve) <= 1:
        return np.empty(0), np.empty(0)
    idx = curve.sample_indices(MAX_POINTS, keep=tuple(k for k in keep if 0 < k < len(curve)))
    idx = idx[idx > 0]
    return np.clip(curve.thresholds[idx], -X_BOUND, X_BOUND), curve.value[idx]


def _note_sampling(ax: Axes, curves: list[Curve]) -> None:
    """Say under the axis when a curve is drawn from a sample of its thresholds.

    The line is an approximation of the curve; the markers (optimum, operating point) and every
    figure printed are computed on the full curve, so the note says that too.
    """
    total = max((len(c) - 1 for c in curves), default=0)  # thresholds, without "flag nobody"
    if total + 1 > MAX_POINTS:  # as in Curve.sample_indices: the sample keeps "flag nobody"
        ax.set_xlabel(
            f"{ax.get_xlabel()}\nline drawn through {MAX_POINTS - 1:,} of {total:,} thresholds; "
            "marked points and figures are exact"
        )


def _draw_baselines(ax: Axes, model: ModelResult, symbol: str, palette: style.ChartPalette) -> None:
    """Horizontal lines for flag nobody / flag everyone, labelled in the right margin.

    The labels sit outside the plotting area so they can never collide with a curve; when the
    two baselines are close, one label goes above its line and the other below.
    """
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    nobody, everyone = model.flag_nobody.value, model.flag_everyone.value
    ax.axhline(nobody, **palette.nobody_line, zorder=1)
    ax.axhline(everyone, **palette.everyone_line, zorder=1)
    values = model.curve.value
    span = max(float(values.max() - values.min()), 1e-9)
    close = abs(nobody - everyone) < 0.08 * span
    for y, name, va in (
        (nobody, "flag nobody", "bottom" if close and nobody >= everyone else "top" if close else "center"),
        (
            everyone,
            "flag everyone",
            "top" if close and nobody >= everyone else "bottom" if close else "center",
        ),
    ):
        ax.annotate(
            f"{name}\n{style.format_money_short(y, symbol)}",
            xy=(1.0, y),
            xycoords=trans,
            xytext=(4, 0),
            textcoords="offset points",
            ha="left",
            va=va,
            fontsize=style.ANNOTATION_SIZE,
            color=palette.muted,
            annotation_clip=False,
            parse_math=False,
        )


def _annotate_optimum(
    ax: Axes,
    point: CurvePoint,
    x: float,
    symbol: str,
    x_range: tuple[float, float],
    palette: style.ChartPalette,
) -> None:
    """Write "best $X at T" beside the optimum, on the side with more room."""
    low, high = x_range
    frac = (x - low) / (high - low) if high > low else 0.5
    right = frac < 0.6
    ax.annotate(
        f"best {style.format_money_short(point.value, symbol)} at {style.format_threshold(point.threshold)}",
        xy=(x, point.value),
        xytext=(8 if right else -8, 8),
        textcoords="offset points",
        ha="left" if right else "right",
        va="bottom",
        fontsize=style.ANNOTATION_SIZE,
        color=palette.ink,
        parse_math=False,
    )


def _finish_axes(ax: Axes, curves: list[Curve], symbol: str, palette: style.ChartPalette) -> float:
    """Axis labels, money formatter and an x range that includes the flag-nobody position."""
    style.style_axes(ax, palette)
    ax.yaxis.set_major_formatter(style.money_formatter(symbol))
    ax.set_xlabel("Threshold (a row is flagged when score \u2265 threshold)")
    ax.set_ylabel("Value")
    low, _high = _x_extent(curves)
    nobody_x = _nobody_x(curves)
    pad = (nobody_x - low) * 0.02
    ax.set_xlim(low - pad, nobody_x + pad)
    ax.set_ymargin(0.14)  # headroom above the optimum for its label
    values = np.concatenate([c.value for c in curves])
    if len(values) and values.min() < 0 < values.max():
        ax.axhline(0.0, color=palette.axis, linewidth=0.8, zorder=0)  # only when zero is inside the data
    return nobody_x


def _optimum_marker(
    ax: Axes,
    x: float,
    y: float,
    shape: str,
    color: str,
    palette: style.ChartPalette,
    *,
    label: str = "_nolegend_",
) -> Line2D:
    """A model's best threshold: a filled marker in the model's colour, ringed with the background."""
    (marker,) = ax.plot(
        [x], [y], linestyle="none", marker=shape, markersize=6.5, color=color,
        markeredgecolor=palette.background, markeredgewidth=1.0, zorder=6, label=label,
    )  # fmt: skip
    return marker


def _operating_artists(
    ax: Axes, point: CurvePoint, nobody_x: float, palette: style.ChartPalette
) -> tuple[Line2D, Line2D, Text]:
    x = _x_of(point, nobody_x)
    vline = ax.axvline(x, **palette.operating_line, zorder=2, label="operating threshold")
    marker = ax.plot(
        [x],
        [point.value],
        linestyle="none",
        marker="D",
        markersize=6,
        markerfacecolor=palette.background,
        markeredgecolor=palette.operating,
        markeredgewidth=1.5,
        zorder=5,
    )[0]
    label = ax.text(
        x,
        1.0,
        "",
        transform=blended_transform_factory(ax.transData, ax.transAxes),
        ha="center",
        va="bottom",
        fontsize=style.ANNOTATION_SIZE,
        color=palette.operating,
        parse_math=False,
    )
    _set_operating_text(label, point)
    return vline, marker, label


def _set_operating_text(label: Text, point: CurvePoint) -> None:
    label.set_text(f"operating: {style.format_threshold(point.threshold)}")


def draw_value_curve(
    ax: Axes,
    model: ModelResult,
    *,
    symbol: str = "$",
    operating: CurvePoint | None = None,
    show_baselines: bool = True,
    label: str | None = None,
    palette: style.ChartPalette = style.LIGHT,
) -> CurveArtists:
    """Draw one model's value against the threshold, its optimum, operating point and baselines.

    Parameters
    ----------
    ax
        The Axes to draw on (from a ``matplotlib.figure.Figure``, never the global plotting state).
    model
        The model's curve and the policies read off it.
    symbol
        Currency symbol for the money axis and labels.
    operating
        The operating point to mark; ``model.operating`` by default.
    show_baselines
        Draw the "flag nobody" and "flag everyone" lines.
    label
        Legend label of the curve; the model name, made readable (``style.readable``), by default.
    palette
        Colours for the background the chart sits on (:data:`~roistudio.charts.style.LIGHT`
        for reports).

    Returns
    -------
    CurveArtists
        Handles for :func:`move_operating_marker`.
    """
    curve = model.curve
    operating = model.operating if operating is None else operating
    optimum = model.optimum
    nobody_x = _finish_axes(ax, [curve], symbol, palette)
    x, y = _sampled(curve, keep=(1, optimum.index, operating.index, len(curve) - 1))
    _note_sampling(ax, [curve])
    (line,) = ax.plot(x, y, **palette.champion_line, label=label or style.readable(model.name), zorder=3)
    if show_baselines:
        _draw_baselines(ax, model, symbol, palette)
    opt_x = _x_of(optimum, nobody_x)
    opt_marker = _optimum_marker(
        ax, opt_x, optimum.value, "o", palette.champion, palette, label="best threshold"
    )
    _annotate_optimum(ax, optimum, opt_x, symbol, ax.get_xlim(), palette)
    vline, marker, text = _operating_artists(ax, operating, nobody_x, palette)
    return CurveArtists(ax, line, opt_marker, vline, marker, text, nobody_x, symbol)


def move_operating_marker(artists: CurveArtists, point: CurvePoint) -> tuple[Artist, ...]:
    """Move the operating line, marker and label to ``point``; nothing else is touched.

    Returns
    -------
    tuple of Artist
        The changed artists, for the GUI to redraw with ``draw_artist`` after restoring its
        cached background.
    """
    x = _x_of(point, artists.nobody_x)
    artists.operating_line.set_xdata([x, x])
    artists.operating_marker.set_data([x], [point.value])
    artists.operating_label.set_x(x)
    _set_operating_text(artists.operating_label, point)
    return artists.moving_artists()


def draw_comparison(
    ax: Axes,
    champion: ModelResult,
    challenger: ModelResult,
    *,
    symbol: str = "$",
    palette: style.ChartPalette = style.LIGHT,
) -> CurveArtists:
    """Draw champion and challenger value curves on the same rows, each with its optimum.

    The baselines are the same for both models (same rows, same payoff) and drawn once. The
    vertical line is the common threshold (the champion's operating threshold). Each legend
    entry carries the model's best value and threshold, so no annotation can collide.

    Returns
    -------
    CurveArtists
        The champion's handles (its operating line is the common threshold).
    """
    curves = [champion.curve, challenger.curve]
    nobody_x = _finish_axes(ax, curves, symbol, palette)
    _draw_baselines(ax, champion, symbol, palette)
    _note_sampling(ax, list(curves))
    lines = []
    markers = []
    for model, line_style, marker_shape in (
        (champion, palette.champion_line, "o"),
        (challenger, palette.challenger_line, "s"),
    ):
        opt = model.optimum
        keep = (1, opt.index, model.curve.index_at(champion.operating.threshold), len(model.curve) - 1)
        x, y = _sampled(model.curve, keep=keep)
        best = (
            f"best {style.format_money_short(opt.value, symbol)} at {style.format_threshold(opt.threshold)}"
        )
        (line,) = ax.plot(x, y, **line_style, label=f"{style.readable(model.name)} ({best})", zorder=3)
        marker = _optimum_marker(
            ax, _x_of(opt, nobody_x), opt.value, marker_shape, line_style["color"], palette
        )
        lines.append(line)
        markers.append(marker)
    vline, marker, text = _operating_artists(ax, champion.operating, nobody_x, palette)
    vline.set_label("common threshold")
    style.style_legend(ax, palette, loc="best")
    return CurveArtists(ax, lines[0], markers[0], vline, marker, text, nobody_x, symbol)


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
    nobody_x = _nobody_x([curve])
    low, _high = _x_extent([curve])
    pad = (nobody_x - low) * 0.02
    ax.set_xlim(low - pad, nobody_x + pad)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Threshold (a row is flagged when score \u2265 threshold)")
    _note_sampling(ax, [curve])
    if len(curve) > 1:
        idx = curve.sample_indices(MAX_POINTS, keep=(1, operating.index, len(curve) - 1))
        idx = idx[idx > 0]
        x = _plot_x(curve.thresholds[idx])
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
    ax.axvline(_x_of(operating, nobody_x), **palette.operating_line, zorder=2, label="operating threshold")
    style.style_legend(ax, palette, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, borderaxespad=0.2)
