"""Uncertainty and sensitivity drawings: value band, tornado, Monte Carlo histogram.

Each function draws on the ``Axes`` it is given (the app's canvas or a report's figure) with the
palette it is given; none touches the global plotting state.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from roistudio.charts import style
from roistudio.core.engine.bootstrap import BootstrapResult
from roistudio.core.engine.sensitivity import Sensitivity


def draw_value_band(ax: Axes, result: BootstrapResult, palette: style.ChartPalette = style.LIGHT) -> Any:
    """Shade the bootstrap interval of the value at every threshold behind the value curve.

    The band is drawn at the bootstrap's bucket edges (every distinct score when there are few);
    flag nobody is left out, as on the curve. Returns the artist (or ``None`` without a band).
    """
    if result.band is None:
        return None
    thresholds, low, high = result.band
    keep = ~np.isnan(thresholds)
    if not keep.any():
        return None
    return ax.fill_between(
        thresholds[keep],
        low[keep],
        high[keep],
        step=None,
        color=palette.champion,
        alpha=0.16,
        linewidth=0,
        zorder=2,
        label=f"{result.confidence:.0%} interval ({result.replicates:,} resamples)",
    )


def draw_tornado(
    ax: Axes, sens: Sensitivity, *, symbol: str = "$", palette: style.ChartPalette = style.LIGHT
) -> None:
    """One bar per ranged parameter: the value at the operating threshold at its low and high end.

    Bars are centred on the base value (the vertical line) and sorted by swing, widest on top;
    the range ends are written beside each bar.
    """
    style.style_axes(ax, palette, grid_axis="x")
    bars = list(sens.parameters)[::-1]  # widest on top
    base = sens.base_value
    for i, bar in enumerate(bars):
        for value, end, colour, name in (
            (bar.value_at_low, bar.low, palette.challenger, "parameter at its low end"),
            (bar.value_at_high, bar.high, palette.champion, "parameter at its high end"),
        ):
            ax.barh(i, value - base, left=base, height=0.6, color=colour, alpha=0.85, zorder=3,
                    label=name if i == 0 else "_nolegend_")  # fmt: skip
            ax.annotate(
                f"{end:g}",
                xy=(value, i),
                xytext=(4 if value >= base else -4, 0),
                textcoords="offset points",
                ha="left" if value >= base else "right",
                va="center",
                fontsize=style.ANNOTATION_SIZE,
                color=palette.muted,
                parse_math=False,
            )
    ax.axvline(base, color=palette.axis, linewidth=1.0, zorder=4)
    if bars:
        style.style_legend(ax, palette, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2)
    ax.set_yticks(range(len(bars)), [b.name for b in bars])
    ax.xaxis.set_major_formatter(style.money_formatter(symbol))
    ax.set_xlabel("value at the operating threshold (range ends written beside each bar)", color=palette.ink)
    if bars:
        ax.set_ylim(-0.7, len(bars) - 0.3)
        lo = min(min(b.value_at_low, b.value_at_high) for b in bars)
        hi = max(max(b.value_at_low, b.value_at_high) for b in bars)
        pad = 0.18 * max(hi - lo, abs(base) * 0.05, 1.0)
        ax.set_xlim(min(lo, base) - pad, max(hi, base) + pad)


def _bin_edges(values: np.ndarray) -> list[float]:
    """Histogram bin edges that exist even when every draw gives (almost) the same value.

    numpy refuses to split a range narrower than its floating-point resolution into bins (a
    payoff whose parameters barely move the value gives such a spread), so the range is widened
    to a readable minimum around the values.
    """
    lo, hi = float(np.min(values)), float(np.max(values))
    bins = min(60, max(10, len(values) // 50))
    floor = max(abs(lo), abs(hi), 1.0) * 1e-6
    if hi - lo < floor:
        middle = (lo + hi) / 2
        lo, hi = middle - floor, middle + floor
    edges: list[float] = np.linspace(lo, hi, bins + 1).tolist()
    return edges


def draw_monte_carlo(
    ax: Axes, sens: Sensitivity, *, symbol: str = "$", palette: style.ChartPalette = style.LIGHT
) -> None:
    """Histogram of the value of the model over the Monte Carlo draws, with zero and p5/p50/p95."""
    style.style_axes(ax, palette)
    values = sens.values_of_model
    if not len(values):
        return
    ax.hist(values, bins=_bin_edges(values), color=palette.champion, alpha=0.75, zorder=3)
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    for x, name in ((p5, "p5"), (p50, "median"), (p95, "p95")):
        ax.axvline(x, color=palette.muted, linewidth=0.9, linestyle="--", zorder=4)
        ax.annotate(
            f"{name}\n{style.format_money_short(x, symbol)}",
            xy=(x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=style.ANNOTATION_SIZE,
            color=palette.muted,
            annotation_clip=False,
            parse_math=False,
        )
    ax.axvline(0.0, color=palette.lost, linewidth=1.2, zorder=4)
    ax.xaxis.set_major_formatter(style.money_formatter(symbol))
    ax.set_xlabel(
        f"value of the model over {sens.draws:,} draws (pays off in {sens.p_positive:.0%})", color=palette.ink
    )
    ax.set_ylabel("draws", color=palette.ink)
