"""Breakdown charts: value by period (trend) and by segment (where money is lost).

Both read the groups at the overall operating threshold (see
:class:`roistudio.core.engine.analysis.GroupResult`). A period whose rows have no label yet has no
realised value: it is drawn as a hatched grey placeholder, never as a zero bar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from roistudio.charts import style
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


def _legend_above(ax: Axes, handles: list, names: list[str], palette: style.ChartPalette) -> None:
    """One row of legend just above the plotting area, where it cannot hide a bar."""
    legend = ax.legend(
        handles,
        names,
        **style.LEGEND_OPTIONS,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=len(handles),
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
) -> None:
    """Bars of the value at the operating threshold per period, champion (and challenger).

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
    """
    style.style_axes(ax, palette)
    ax.yaxis.set_major_formatter(style.money_formatter(symbol))
    ax.set_ylabel("Value at operating threshold")
    n = len(periods)
    x = np.arange(n, dtype=float)
    known = np.array([not g.fully_unlabeled for g in periods], dtype=bool)
    with_challenger = challenger and any(g.challenger_operating is not None for g in periods)
    width = 0.38 if with_challenger else 0.62
    offset = width / 2 if with_challenger else 0.0
    champ = np.array([g.operating.value for g in periods], dtype=float)
    ax.bar(x[known] - offset, champ[known], width, color=palette.champion, label="champion", zorder=3)
    if with_challenger:
        chall = np.array(
            [g.challenger_operating.value if g.challenger_operating is not None else np.nan for g in periods]
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
        for i in np.flatnonzero(~known):
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
) -> None:
    """Horizontal bars of value and money lost per segment, the biggest loss at the top.

    Parameters
    ----------
    ax
        The Axes to draw on.
    groups
        The segment groups (any order; ranked here by money lost, then name).
    symbol
        Currency symbol.
    top
        Show at most this many segments; the title says how many are left out.
    palette
        Colours for the background the chart sits on.
    """
    style.style_axes(ax, palette, grid_axis="x")
    ax.xaxis.set_major_formatter(style.money_formatter(symbol))
    ranked = sorted(groups, key=lambda g: (-g.money_lost, g.key))
    shown = ranked[:top]
    y = np.arange(len(shown), dtype=float)
    height = 0.38
    value = [g.operating.value for g in shown]
    lost = [g.money_lost for g in shown]
    bars_value = ax.barh(
        y - height / 2, value, height, color=palette.champion, label="value at operating threshold", zorder=3
    )
    bars_lost = ax.barh(
        y + height / 2,
        lost,
        height,
        color=palette.lost,
        hatch="////",
        edgecolor=palette.lost_edge,
        linewidth=0,
        label="money lost to errors",
        zorder=3,
    )
    for bars, numbers in ((bars_value, value), (bars_lost, lost)):
        texts = ax.bar_label(
            bars,
            labels=[style.format_money_short(v, symbol) for v in numbers],
            padding=2,
            fontsize=style.ANNOTATION_SIZE - 0.5,
            color=palette.muted,
        )
        for text in texts:
            text.set_parse_math(False)
    ax.axvline(0.0, color=palette.axis, linewidth=0.8, zorder=2)
    ax.set_yticks(y, [style.plain(style.shorten(g.key)) for g in shown])
    ax.set_ylim(len(shown) - 0.5, -0.5)  # biggest loss on top
    ax.margins(x=0.12)  # room for the bar labels
    if len(ranked) > len(shown):
        ax.set_title(
            f"top {len(shown)} of {len(ranked):,} segments by money lost",
            loc="right",
            fontsize=style.ANNOTATION_SIZE + 0.5,
            color=palette.muted,
        )
    _legend_above(ax, *ax.get_legend_handles_labels(), palette)
