"""The value bridge (waterfall): from the no-model policy to the operating policy.

Four bars: the baseline's value, the two steps of :func:`roistudio.core.engine.bridge.value_bridge`
floating from where the previous bar ended, and the value with the model. The printed figures
are :meth:`~roistudio.core.engine.bridge.Bridge.rounded`, so they add up exactly as printed.
"""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes

from roistudio.charts import style
from roistudio.core.engine.bridge import Bridge


def end_text(bridge: Bridge, threshold_text: str | None = None) -> str:
    """``with the model (threshold 0.0552)``; ``threshold_text`` as the caller prints thresholds."""
    text = threshold_text or style.format_threshold(bridge.threshold)
    return f"{bridge.end_label} ({'threshold ' if bridge.threshold is not None else ''}{text})"


def bridge_bars(
    bridge: Bridge, decimals: int = 0, threshold_text: str | None = None
) -> list[tuple[str, float, float]]:
    """The bars as (label, bottom, height): totals start at zero, steps where the last bar ended.

    Heights are the rounded figures the chart prints, so the last bar's top is the first bar's
    plus both steps, exactly. ``threshold_text`` writes the end's threshold (the report's format).
    """
    start, (a, b), end = bridge.rounded(decimals)
    s1, s2 = bridge.steps
    return [
        (bridge.start_label, 0.0, start),
        (f"{s1.label}\n{s1.rows:,} rows, {s1.change}", start, a),
        (f"{s2.label}\n{s2.rows:,} rows, {s2.change}", start + a, b),
        (end_text(bridge, threshold_text).replace(" (", "\n(", 1), 0.0, end),
    ]


def draw_value_bridge(
    ax: Axes,
    bridge: Bridge,
    *,
    symbol: str = "$",
    palette: style.ChartPalette = style.LIGHT,
    decimals: int = 0,
    threshold_text: str | None = None,
) -> None:
    """Draw the bridge as a waterfall: totals in grey and navy, gains and costs floating.

    A step that adds money is drawn in the champion colour, one that costs money in the
    hatched "lost" colour (so the chart reads in grey-scale print too); each bar carries its
    figure, signed for the steps, and thin connectors join each bar's end to the next bar.
    """
    style.style_axes(ax, palette)
    ax.yaxis.set_major_formatter(style.money_formatter(symbol))
    unit = symbol.strip()
    ax.set_ylabel(f"Value ({unit})" if unit else "Value")
    bars = bridge_bars(bridge, decimals, threshold_text)
    for i, (_label, bottom, height) in enumerate(bars):
        total = i in (0, len(bars) - 1)
        look: dict[str, Any]
        if total:
            look = {"color": palette.baseline if i == 0 else palette.champion}
        elif height >= 0:
            look = {"color": palette.challenger}
        else:
            look = {"color": palette.lost, "hatch": "////", "edgecolor": palette.lost_edge, "linewidth": 0}
        ax.bar(i, height, 0.6, bottom=bottom, zorder=3, **look)
        text = style.format_money_short(height, symbol)
        if not total and height > 0:
            text = "+" + text
        top = bottom + height
        ax.annotate(
            text,
            xy=(i, max(bottom, top)),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=style.ANNOTATION_SIZE,
            color=palette.ink,
            parse_math=False,
        )
        if i < len(bars) - 1:  # the connector: where this bar ends, the next one starts
            ax.plot([i + 0.3, i + 0.7], [top, top], color=palette.axis, linewidth=0.8, zorder=2)
    ax.axhline(0.0, color=palette.axis, linewidth=0.8, zorder=2)
    ax.set_xticks(range(len(bars)), [style.plain(label) for label, _, _ in bars])
    ax.tick_params(axis="x", labelsize=style.ANNOTATION_SIZE)
    ax.margins(y=0.12)
