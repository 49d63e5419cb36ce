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
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from roistudio.charts import style
from roistudio.core.engine.curve import Curve, CurvePoint
from roistudio.core.engine.results import ModelResult
from roistudio.core.glossary import format_threshold

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
    inset: Axes | None = None  # the full-range overview drawn beside a zoomed curve

    def moving_artists(self) -> tuple[Artist, ...]:
        """The artists :func:`move_operating_marker` changes (for ``set_animated``/blitting)."""
        return (self.operating_line, self.operating_marker, self.operating_label)


# Zoom only when the thresholds worth seeing fill less than this share of the full x range.
ZOOM_BELOW = 0.5
# The zoomed range reaches this far past the last threshold worth seeing (as a multiple of its
# distance from the lowest score), so the curve's turn after the optimum stays in view.
_ZOOM_REACH = 1.6
# ... and at least to the threshold that flags this share of the labelled rows.
_ZOOM_FLAG_SHARE = 0.03


# Raw scores can be anything a model emits, up to +-1.8e308: spans and padding computed on those
# overflow to inf and matplotlib refuses the limits. Scores beyond this bound are drawn at it.
X_BOUND = 1e150


def plot_x(x: np.ndarray | float) -> np.ndarray | float:
    """Thresholds as drawn: clipped to +-:data:`X_BOUND` so every span stays finite."""
    return np.clip(x, -X_BOUND, X_BOUND)


def x_extent(curves: list[Curve]) -> tuple[float, float]:
    """Lowest and highest score over the curves ((0, 1) when no curve has a score)."""
    lows = [float(plot_x(np.nanmin(c.thresholds[1:]))) for c in curves if len(c) > 1]
    highs = [float(plot_x(np.nanmax(c.thresholds[1:]))) for c in curves if len(c) > 1]
    if not lows:
        return 0.0, 1.0
    return min(lows), max(highs)


def nobody_position(curves: list[Curve]) -> float:
    low, high = x_extent(curves)
    span = high - low if high > low else max(abs(high), 1.0)
    return high + _NOBODY_MARGIN * span


def x_of(point: CurvePoint, nobody_x: float) -> float:
    return nobody_x if point.threshold is None else float(plot_x(float(point.threshold)))


def zoom_range(curves: list[Curve], points: list[CurvePoint]) -> tuple[float, float] | None:
    """The x range where the value changes, or ``None`` when the full range is the right view.

    Scores are often crowded near zero (fraud rates of 1%: the optimum at 0.055, the curve
    flat from 0.2 to 1), so the full 0-1 axis hides everything that matters. The range runs
    from the lowest score to :data:`_ZOOM_REACH` times as far as the farthest of ``points``
    (the optimum, the operating point), and at least to the threshold flagging
    :data:`_ZOOM_FLAG_SHARE` of the rows. A break-even threshold far up the flat tail (where
    the value meets flag nobody's) is left out: the threshold table lists it. No zoom when that is more than
    :data:`ZOOM_BELOW` of the full range, or when a point is "flag nobody" (it sits at the far
    right).
    """
    if any(p.threshold is None for p in points) or not any(len(c) > 1 for c in curves):
        return None
    low, _high = x_extent(curves)
    full = nobody_position(curves) - low
    marks = [float(plot_x(float(p.threshold))) for p in points if p.threshold is not None]
    reach = low + _ZOOM_REACH * (max(marks, default=low) - low)
    for c in curves:
        if len(c) > 1 and c.rows:
            k = int(np.searchsorted(c.flagged, _ZOOM_FLAG_SHARE * c.rows, side="left"))
            reach = max(reach, float(plot_x(c.thresholds[min(max(k, 1), len(c) - 1)])))
    if full <= 0 or reach - low > ZOOM_BELOW * full or reach <= low:
        return None
    pad = (reach - low) * 0.02
    return low - pad, reach + pad


def _draw_overview(
    ax: Axes,
    curve: Curve,
    x_range: tuple[float, float],
    symbol: str,
    palette: style.ChartPalette,
    avoid: tuple[float, ...] = (),
) -> Axes:
    """A small inset with the whole curve and the zoomed window shaded, so nothing is hidden.

    It sits in the lower part of the chart, on the wider side of the marked thresholds
    ``avoid`` (the operating line crosses the whole height).
    """
    low, high = x_range
    fracs = sorted((x - low) / (high - low) for x in avoid if low <= x <= high)
    left_room = (fracs[0] - 0.06) - 0.14 if fracs else 0.0
    right_room = 0.97 - (fracs[-1] + 0.06) if fracs else 0.83
    width = min(0.36, max(left_room, right_room, 0.24))
    x0 = 0.97 - width if right_room >= left_room else 0.14
    inset = ax.inset_axes((x0, 0.08, width, 0.36))
    style.style_axes(inset, palette, grid_axis="")
    x, y = sampled(curve, keep=(1, len(curve) - 1))
    inset.plot(x, y, color=palette.champion, linewidth=1.0)
    inset.axvspan(*x_range, color=palette.operating, alpha=0.12, linewidth=0)
    inset.tick_params(labelsize=style.TICK_SIZE - 2, length=2)
    inset.yaxis.set_major_formatter(style.money_formatter(symbol))
    inset.yaxis.set_major_locator(MaxNLocator(3))
    inset.xaxis.set_major_locator(MaxNLocator(3))
    inset.set_title("all thresholds (shaded: shown above)", fontsize=style.ANNOTATION_SIZE - 1,
                    color=palette.muted, pad=2)  # fmt: skip
    inset.patch.set_alpha(0.92)
    return inset


def sampled(curve: Curve, keep: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds and values of a downsampled curve, without the flag-nobody point."""
    if len(curve) <= 1:
        return np.empty(0), np.empty(0)
    idx = curve.sample_indices(MAX_POINTS, keep=tuple(k for k in keep if 0 < k < len(curve)))
    idx = idx[idx > 0]
    return np.clip(curve.thresholds[idx], -X_BOUND, X_BOUND), curve.value[idx]


def note_sampling(ax: Axes, curves: list[Curve]) -> None:
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


def draw_baselines(
    ax: Axes,
    model: ModelResult,
    symbol: str,
    palette: style.ChartPalette,
    y_window: tuple[float, float] | None = None,
) -> None:
    """Horizontal lines for flag nobody / flag everyone, labelled in the right margin.

    The labels sit outside the plotting area so they can never collide with a curve; when the
    two baselines are close, one label goes above its line and the other below. A baseline
    below a zoomed ``y_window`` is labelled at the window's bottom edge, marked "below".
    """
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    nobody, everyone = model.flag_nobody.value, model.flag_everyone.value
    ax.axhline(nobody, **palette.nobody_line, zorder=1)
    ax.axhline(everyone, **palette.everyone_line, zorder=1)
    values = model.curve.value
    span = max(float(values.max() - values.min()), 1e-9)
    if y_window is not None:
        span = max(y_window[1] - y_window[0], 1e-9)
    close = abs(nobody - everyone) < 0.08 * span
    for y, name, va in (
        (nobody, "flag nobody", "bottom" if close and nobody >= everyone else "top" if close else "center"),
        (
            everyone,
            "flag everyone",
            "top" if close and nobody >= everyone else "bottom" if close else "center",
        ),
    ):
        text = f"{name}\n{style.format_money_short(y, symbol)}"
        if y_window is not None and y < y_window[0]:
            y, va, text = (
                y_window[0],
                "bottom",
                f"{name}\n{style.format_money_short(y, symbol)}\n(below the scale)",
            )
        ax.annotate(
            text,
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


def zoom_window(model: ModelResult, x_range: tuple[float, float]) -> tuple[float, float] | None:
    """The y range of a zoomed value chart, or ``None`` to let the data set it.

    Where the lowest scores flag almost everyone, the value plunges to "flag everyone" far below
    everything else (-$1.2M against an optimum of -$193k on the demo) and flattens the part
    that matters. The window then reaches 2.5 times the optimum's lead over the lower of flag
    nobody and the value at the right edge of the zoom; the plunge runs off the bottom, and the
    inset shows the whole curve.
    """
    curve, opt = model.curve, model.optimum
    edge = curve.at(x_range[1]).value
    floor = min(model.flag_nobody.value, edge, model.operating.value)
    lead = opt.value - floor
    low = floor - 1.5 * max(lead, abs(opt.value) * 0.01, 1e-9)
    if float(curve.value.min()) >= low:
        return None
    return low, opt.value + 0.18 * (opt.value - low)


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
        f"best {style.format_money_short(point.value, symbol)} at {format_threshold(point.threshold)}",
        xy=(x, point.value),
        xytext=(8 if right else -8, 8),
        textcoords="offset points",
        ha="left" if right else "right",
        va="bottom",
        fontsize=style.ANNOTATION_SIZE,
        color=palette.ink,
        parse_math=False,
    )


def value_axis_title(symbol: str) -> str:
    """``Value ($)``: the money axis names its currency (``CHF `` -> ``Value (CHF)``)."""
    unit = symbol.strip()
    return f"Value ({unit})" if unit else "Value"


def finish_axes(
    ax: Axes,
    curves: list[Curve],
    symbol: str,
    palette: style.ChartPalette,
    x_range: tuple[float, float] | None = None,
) -> float:
    """Axis labels, money formatter and an x range that includes the flag-nobody position.

    ``x_range`` (from :func:`zoom_range`) narrows the x axis to where the value changes.
    """
    style.style_axes(ax, palette)
    ax.yaxis.set_major_formatter(style.money_formatter(symbol))
    ax.set_xlabel("Threshold (a row is flagged when score \u2265 threshold)")
    ax.set_ylabel(value_axis_title(symbol))
    low, _high = x_extent(curves)
    nobody_x = nobody_position(curves)
    if x_range is None:
        pad = (nobody_x - low) * 0.02
        ax.set_xlim(low - pad, nobody_x + pad)
    else:
        ax.set_xlim(*x_range)
    ax.set_ymargin(0.14)  # headroom above the optimum for its label
    values = np.concatenate([c.value for c in curves])
    if len(values) and values.min() < 0 < values.max():
        ax.axhline(0.0, color=palette.axis, linewidth=0.8, zorder=0)  # only when zero is inside the data
    return nobody_x


def optimum_marker(
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


def operating_artists(
    ax: Axes, point: CurvePoint, nobody_x: float, palette: style.ChartPalette
) -> tuple[Line2D, Line2D, Text]:
    x = x_of(point, nobody_x)
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
    label.set_text(f"operating: {format_threshold(point.threshold)}")


def draw_value_curve(
    ax: Axes,
    model: ModelResult,
    *,
    symbol: str = "$",
    operating: CurvePoint | None = None,
    show_baselines: bool = True,
    label: str | None = None,
    palette: style.ChartPalette = style.LIGHT,
    zoom: bool = True,
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
    zoom
        Narrow the x axis to where the value changes (:func:`zoom_range`) and show the whole
        curve in an inset. The app's explorer passes ``False``: its slider spans every score.

    Returns
    -------
    CurveArtists
        Handles for :func:`move_operating_marker`.
    """
    curve = model.curve
    operating = model.operating if operating is None else operating
    optimum = model.optimum
    x_range = zoom_range([curve], [optimum, operating]) if zoom else None
    y_window = zoom_window(model, x_range) if x_range is not None else None
    nobody_x = finish_axes(ax, [curve], symbol, palette, x_range)
    x, y = sampled(curve, keep=(1, optimum.index, operating.index, len(curve) - 1))
    note_sampling(ax, [curve])
    (line,) = ax.plot(x, y, **palette.champion_line, label=label or style.readable(model.name), zorder=3)
    if y_window is not None:
        ax.set_ylim(*y_window)
    if show_baselines:
        draw_baselines(ax, model, symbol, palette, y_window)
    opt_x = x_of(optimum, nobody_x)
    opt_marker = optimum_marker(
        ax, opt_x, optimum.value, "o", palette.champion, palette, label="best threshold"
    )
    _annotate_optimum(ax, optimum, opt_x, symbol, ax.get_xlim(), palette)
    vline, marker, text = operating_artists(ax, operating, nobody_x, palette)
    inset = None
    if x_range is not None:
        marks = tuple(x_of(p, nobody_x) for p in (optimum, operating))
        inset = _draw_overview(ax, curve, ax.get_xlim(), symbol, palette, marks)
    return CurveArtists(ax, line, opt_marker, vline, marker, text, nobody_x, symbol, inset)


def move_operating_marker(artists: CurveArtists, point: CurvePoint) -> tuple[Artist, ...]:
    """Move the operating line, marker and label to ``point``; nothing else is touched.

    Returns
    -------
    tuple of Artist
        The changed artists, for the GUI to redraw with ``draw_artist`` after restoring its
        cached background.
    """
    x = x_of(point, artists.nobody_x)
    artists.operating_line.set_xdata([x, x])
    artists.operating_marker.set_data([x], [point.value])
    artists.operating_label.set_x(x)
    _set_operating_text(artists.operating_label, point)
    return artists.moving_artists()
