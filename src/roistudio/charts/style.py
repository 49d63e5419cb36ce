"""The look shared by every chart: a restrained palette that survives grey-scale printing.

Colours differ in lightness as well as hue (dark navy, mid amber, light grey), and every series
also has its own line style or hatch, so a chart printed in black and white still reads.
Nothing here touches ``matplotlib.rcParams`` or global plotting state: the GUI and the PDF share one process
and each styles only the Axes it is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

# Lightness (CIE L*) in brackets: the ordering is what keeps series apart in grey.
INK = "#222222"  # text and the zero line (~13)
CHAMPION = "#1f3b5a"  # dark navy (~24)
CHALLENGER = "#c77c22"  # amber (~60)
OPERATING = "#a8322d"  # brick red (~40), always dashed
BASELINE = "#7a7a7a"  # mid grey (~51), dotted / dash-dot
LOST = "#d9b98c"  # light sand (~77), hatched
UNKNOWN = "#e6e6e6"  # very light grey (~91), cross-hatched
GRID = "#e3e3e3"
MUTED = "#666666"  # secondary text

CHAMPION_STYLE = {"color": CHAMPION, "linestyle": "-", "linewidth": 1.8}
CHALLENGER_STYLE = {"color": CHALLENGER, "linestyle": (0, (5, 2)), "linewidth": 1.8}
NOBODY_STYLE = {"color": BASELINE, "linestyle": ":", "linewidth": 1.2}
EVERYONE_STYLE = {"color": BASELINE, "linestyle": "-.", "linewidth": 1.0}
OPERATING_STYLE = {"color": OPERATING, "linestyle": (0, (4, 3)), "linewidth": 1.2}

TICK_SIZE = 8.0
LABEL_SIZE = 8.5
ANNOTATION_SIZE = 7.5
TITLE_SIZE = 10.0


@dataclass(frozen=True)
class _Unit:
    scale: float
    suffix: str


_UNITS = (_Unit(1e12, "T"), _Unit(1e9, "B"), _Unit(1e6, "M"), _Unit(1e3, "k"))


def format_money_short(value: float, symbol: str = "$") -> str:
    """Compact money text for axes and labels: ``$1.2M``, ``$350k``, ``-$20k``, ``$950``.

    Three significant digits at most, trailing zeros dropped. The value is rounded before the
    unit is chosen, so 999,600 reads ``$1M`` rather than ``$1000k``.

    Parameters
    ----------
    value
        Amount in currency units.
    symbol
        Currency symbol written before the number (may end in a space, e.g. ``"CHF "``).
    """
    if value is None or not math.isfinite(value):
        return ""
    rounded = float(f"{abs(value):.3g}")
    if rounded == 0:
        return f"{symbol}0"
    sign = "-" if value < 0 else ""
    for unit in _UNITS:
        if rounded >= unit.scale:
            number = f"{rounded / unit.scale:.3g}"
            return f"{sign}{symbol}{number}{unit.suffix}"
    number = f"{rounded:.3g}"
    return f"{sign}{symbol}{number}"


def money_formatter(symbol: str = "$") -> FuncFormatter:
    """A tick formatter writing axis values as compact money (see :func:`format_money_short`)."""
    return FuncFormatter(lambda value, _pos: format_money_short(value, symbol))


def format_threshold(threshold: float | None) -> str:
    """Threshold as people read it: four significant digits, or "flag nobody" for ``None``."""
    return "flag nobody" if threshold is None else f"{threshold:.4g}"


def style_axes(ax: Axes, *, grid_axis: str = "y") -> None:
    """Quiet frame: no top/right spines, light grid behind the data, small grey ticks."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#9a9a9a")
        ax.spines[side].set_linewidth(0.8)
    ax.tick_params(axis="both", labelsize=TICK_SIZE, colors="#444444", length=3, width=0.6)
    ax.set_axisbelow(True)
    if grid_axis:
        ax.grid(True, axis=grid_axis, color=GRID, linewidth=0.7)
    ax.xaxis.label.set_size(LABEL_SIZE)
    ax.yaxis.label.set_size(LABEL_SIZE)
    ax.xaxis.label.set_color(INK)
    ax.yaxis.label.set_color(INK)
    ax.title.set_size(TITLE_SIZE)


def style_legend(ax: Axes, **kwargs) -> None:
    """A frameless small legend, only if something on the Axes has a label."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        options = {"fontsize": ANNOTATION_SIZE + 0.5, "frameon": False, "loc": "best"}
        options.update(kwargs)
        legend = ax.legend(handles, labels, **options)
        for text in legend.get_texts():
            text.set_parse_math(False)  # model names with "$" are names, not TeX


def shorten(text: str, limit: int = 28) -> str:
    """Cut long labels (segment names) with an ellipsis so tick labels stay readable."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str) -> str:
    """Text from the data made safe for tick labels: ``$`` never starts TeX math.

    Tick labels are recreated by matplotlib on every draw, so per-Text ``parse_math=False``
    does not stick to them; an escaped dollar always prints as a dollar.
    """
    return str(text).replace("$", r"\$")
