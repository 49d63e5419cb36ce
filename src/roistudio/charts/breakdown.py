"""Breakdown charts: value by period (trend) and by segment (where money is lost).

Both read the groups at the overall operating threshold (see
:class:`roistudio.core.engine.analysis.GroupResult`). A period whose rows have no label yet has no
realised value: it is drawn as a hatched grey placeholder, never as a zero bar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from roistudio.charts import style
from roistudio.charts.style import split_axes
from roistudio.core.engine.results import GroupResult

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
UNKNOWN_TEXT = "labels not yet known"


def period_label(key: str, period: str | None = None) -> str:
    """Readable name of a period key (the period's first day, ``2026-03-01``).

    ``month`` -> ``Mar 2026``, ``quarter`` -> ``2026 Q1``, ``year`` -> ``2026``; other periods
    and keys that are not ISO dates (e.g. ``(missing)``) are returned unchanged.
    """
    try:
        day = dt.date.fromisoformat(key)
    except ValueError:
        return key
    if period == "month":
        return f"{_MONTHS[day.month - 1]} {day.year}"
    if period == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    if period == "year":
        return str(day.year)
    return key


def _legend_above(
    ax: Axes, handles: list[Artist], names: list[str], palette: style.ChartPalette, ncol: int | None = None
) -> None:
    """A legend just above the plotting area, where it cannot hide a bar (one row by default).

    Long entries need ``ncol`` (two rows of two): a row wider than the chart would make the
    constrained layout squeeze the plotting area to fit it.
    """
    legend = ax.legend(
        handles,
        names,
        **style.LEGEND_OPTIONS,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=ncol or len(handles),
        borderaxespad=0.2,
        handlelength=1.6,
    )
    style.legend_text(legend, palette)


def draw_value_by_period(
    ax: Axes,
    periods: Sequence[GroupResult],
    *,
    symbol: str = "$",
    challenger: bool = True,
    period: str | None = None,
    palette: style.ChartPalette = style.LIGHT,
    per_1000: bool = True,
) -> None:
    """Bars of the value at the operating threshold per period, champion (and challenger).

    By default per 1,000 labelled rows: a month with twice the rows has twice the total
    whatever the model does, so totals rank months by volume (the bank's May, its busiest
    month, has the worst total and the best value per contact). A dashed line marks the
    value per 1,000 rows over all labelled periods, the baseline each bar is read against.

    Parameters
    ----------
    ax
        The Axes to draw on.
    periods
        Period groups in time order.
    symbol
        Currency symbol for the money axis.
    challenger
        Draw the challenger's bar beside the champion's when the groups carry one.
    period
        ``month``/``quarter``/``year``... to name the periods (see :func:`period_label`).
    palette
        Colours for the background the chart sits on.
    per_1000
        Bars per 1,000 labelled rows of the period (default) or the period's total.
    """
    style.style_axes(ax, palette)
    ax.yaxis.set_major_formatter(style.money_formatter(symbol))
    unit = f" ({symbol.strip()})" if symbol.strip() else ""
    ax.set_ylabel(
        f"Value per 1,000 labelled rows{unit}" if per_1000 else f"Value at operating threshold{unit}"
    )
    n = len(periods)
    x = np.arange(n, dtype=float)
    known = np.array([not g.fully_unlabeled for g in periods], dtype=bool)
    with_challenger = challenger and any(g.challenger_operating is not None for g in periods)
    width = 0.38 if with_challenger else 0.62
    offset = width / 2 if with_challenger else 0.0
    rows = np.array([g.rows for g in periods], dtype=float)
    scale = np.divide(1000.0, rows, out=np.zeros_like(rows), where=rows > 0) if per_1000 else np.ones(n)
    champ = np.array([g.operating.value for g in periods], dtype=float) * scale
    ax.bar(x[known] - offset, champ[known], width, color=palette.champion, label="champion", zorder=3)
    if with_challenger:
        chall = (
            np.array(
                [
                    g.challenger_operating.value if g.challenger_operating is not None else np.nan
                    for g in periods
                ]
            )
            * scale
        )
        ax.bar(
            x[known] + offset,
            chall[known],
            width,
            color=palette.challenger,
            hatch="////",
            edgecolor=palette.background,
            linewidth=0,
            label="challenger",
            zorder=3,
        )
    if (~known).any():
        for i in np.flatnonzero(~known).tolist():
            ax.axvspan(
                i - 0.45,
                i + 0.45,
                facecolor=palette.unknown,
                edgecolor=palette.unknown_edge,
                hatch="xx",
                linewidth=0.0,
                zorder=1,
            )
            ax.text(
                i,
                0.5,
                UNKNOWN_TEXT,
                transform=ax.get_xaxis_transform(),
                rotation=90,
                ha="center",
                va="center",
                fontsize=style.ANNOTATION_SIZE,
                color=palette.muted,
                parse_math=False,
                bbox={"facecolor": palette.background, "edgecolor": "none", "pad": 1.5},
            )
    ax.axhline(0.0, color=palette.axis, linewidth=0.8, zorder=2)
    if per_1000 and known.any() and rows[known].sum() > 0:
        overall = 1000.0 * sum(g.operating.value for g, k in zip(periods, known, strict=True) if k)
        overall /= float(rows[known].sum())
        ax.axhline(overall, color=palette.baseline, linestyle=(0, (4, 2)), linewidth=1.1, zorder=4,
                   label=f"all periods: {style.format_money_short(overall, symbol)}")  # fmt: skip
    labels = [style.plain(period_label(g.key, period)) for g in periods]
    ax.set_xticks(x, labels)
    if n > 6:
        for tick in ax.get_xticklabels():
            tick.set_rotation(45)
            tick.set_horizontalalignment("right")
            tick.set_rotation_mode("anchor")
    ax.set_xlim(-0.6, n - 0.4 if n else 0.6)
    handles, names = ax.get_legend_handles_labels()
    if (~known).any():
        handles.append(
            Patch(facecolor=palette.unknown, edgecolor=palette.unknown_edge, hatch="xx", linewidth=0.0)
        )
        names.append(UNKNOWN_TEXT)
    if len(handles) > 1:
        _legend_above(ax, handles, names, palette)


def draw_value_by_segment(
    ax: Axes,
    groups: Sequence[GroupResult],
    *,
    symbol: str = "$",
    top: int = 12,
    palette: style.ChartPalette = style.LIGHT,
) -> list[Axes]:
    """Per segment, the value and the money lost on two panels, the biggest loss at the top.

    The value at the operating threshold can be negative (a costs-only payoff) while money
    lost is never negative: on one axis a -$40k value and a $40k loss read as mirror images.
    So each has its own panel and axis: the value on ``ax``, the money lost on a panel to its
    right sharing the segment axis (when ``ax`` is a subplot; otherwise only the money lost
    is drawn, on ``ax``).

    Parameters
    ----------
    ax
        The Axes to draw on (divided in two when it is a subplot).
    groups
        The segment groups (any order; ranked here by money lost, then name).
    symbol
        Currency symbol.
    top
        Show at most this many segments; the title says how many are left out.
    palette
        Colours for the background the chart sits on.

    Returns
    -------
    list of Axes
        The panels drawn: ``[value, money lost]``, or ``[money lost]``.
    """
    ranked = sorted(groups, key=lambda g: (-g.money_lost, g.key))
    shown = ranked[:top]
    y = np.arange(len(shown), dtype=float)
    panels = split_axes(ax, 1, 2, (1.0, 1.0), share="y")
    unit = f" ({symbol.strip()})" if symbol.strip() else ""
    # Each panel: its numbers, its title and the bars' look (matplotlib keyword arguments).
    series: list[tuple[list[float], str, dict[str, Any]]] = [
        ([g.money_lost for g in shown], f"Money lost to errors{unit}",
         {"color": palette.lost, "hatch": "////", "edgecolor": palette.lost_edge, "linewidth": 0}),
    ]  # fmt: skip
    if len(panels) == 2:
        series.insert(
            0, ([g.operating.value for g in shown], f"Value at the operating threshold{unit}",
                {"color": palette.champion})
        )  # fmt: skip
    for panel, (numbers, title, look) in zip(panels, series, strict=True):
        style.style_axes(panel, palette, grid_axis="x")
        panel.xaxis.set_major_formatter(style.money_formatter(symbol))
        bars = panel.barh(y, numbers, 0.62, zorder=3, **look)
        texts = panel.bar_label(
            bars,
            labels=[style.format_money_short(v, symbol) for v in numbers],
            padding=2,
            fontsize=style.ANNOTATION_SIZE - 0.5,
            color=palette.muted,
        )
        for text in texts:
            text.set_parse_math(False)
        panel.axvline(0.0, color=palette.axis, linewidth=0.8, zorder=2)
        panel.set_xlabel(title)
        panel.margins(x=0.16)  # room for the bar labels, on either side of zero
    panels[0].set_yticks(y, [style.plain(style.shorten(g.key)) for g in shown])
    panels[0].set_ylim(len(shown) - 0.5, -0.5)  # biggest loss on top
    for panel in panels[1:]:
        panel.tick_params(labelleft=False)
    if len(ranked) > len(shown):
        panels[-1].set_title(
            f"top {len(shown)} of {len(ranked):,} segments by money lost",
            loc="right",
            fontsize=style.ANNOTATION_SIZE + 0.5,
            color=palette.muted,
        )
    return panels
