"""The look shared by every chart: a restrained palette that survives grey-scale printing.

Colours differ in lightness as well as hue (dark navy, mid amber, light grey), and every series
also has its own line style or hatch, so a chart printed in black and white still reads.
Nothing here touches ``matplotlib.rcParams`` or global plotting state: the GUI and the PDF share one process
and each styles only the Axes it is given, with the :class:`ChartPalette` it is given (reports are
always :data:`LIGHT`; the app passes :data:`DARK` when the system is dark).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from matplotlib.axes import Axes
from matplotlib.legend import Legend
from matplotlib.ticker import FuncFormatter


@dataclass(frozen=True)
class ChartPalette:
    """The colours of every chart element, for one background.

    :data:`LIGHT` is what reports always use (paper is white). :data:`DARK` is for the app when the
    system is dark: the same roles, lightened so each series keeps its contrast on a dark ground.
    Series also keep their own line styles and hatches, so neither depends on colour alone.
    """

    background: str
    ink: str  # titles, axis labels, annotations
    muted: str  # secondary text: baseline labels, bar values
    tick: str
    axis: str  # spines and the zero line
    grid: str
    champion: str
    challenger: str
    operating: str
    baseline: str
    lost: str
    lost_edge: str
    unknown: str
    unknown_edge: str

    @property
    def champion_line(self) -> dict[str, Any]:
        return {"color": self.champion, "linestyle": "-", "linewidth": 1.8}

    @property
    def challenger_line(self) -> dict[str, Any]:
        return {"color": self.challenger, "linestyle": (0, (5, 2)), "linewidth": 1.8}

    @property
    def nobody_line(self) -> dict[str, Any]:
        return {"color": self.baseline, "linestyle": ":", "linewidth": 1.2}

    @property
    def everyone_line(self) -> dict[str, Any]:
        return {"color": self.baseline, "linestyle": "-.", "linewidth": 1.0}

    @property
    def operating_line(self) -> dict[str, Any]:
        return {"color": self.operating, "linestyle": (0, (4, 3)), "linewidth": 1.2}


# Lightness (CIE L*) in brackets: the ordering is what keeps series apart in grey print.
LIGHT = ChartPalette(
    background="#ffffff",
    ink="#222222",  # (~13)
    muted="#666666",
    tick="#444444",
    axis="#9a9a9a",
    grid="#e3e3e3",
    champion="#1f3b5a",  # dark navy (~24)
    challenger="#c77c22",  # amber (~60)
    operating="#a8322d",  # brick red (~40), always dashed
    baseline="#7a7a7a",  # mid grey (~51), dotted / dash-dot
    lost="#d9b98c",  # light sand (~77), hatched
    lost_edge="#a8875c",
    unknown="#e6e6e6",  # very light grey (~91), cross-hatched
    unknown_edge="#b5b5b5",
)

# On the app's dark base colour: series get lighter, ground elements darker than the text.
DARK = ChartPalette(
    background="#1e1f22",
    ink="#e6e6e6",
    muted="#a3a6ac",
    tick="#b9bcc2",
    axis="#6d7077",
    grid="#34363b",
    champion="#8cb4e6",  # light blue
    challenger="#e2a24f",  # amber
    operating="#f07a70",  # coral red
    baseline="#9a9da3",
    lost="#b39166",
    lost_edge="#7a6244",
    unknown="#2c2e33",
    unknown_edge="#55585e",
)

TICK_SIZE = 8.0
LABEL_SIZE = 8.5
ANNOTATION_SIZE = 7.5
TITLE_SIZE = 10.0
LEGEND_OPTIONS = {"fontsize": ANNOTATION_SIZE + 0.5, "frameon": False}


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


def format_threshold_exact(threshold: float | None) -> str:
    """A threshold exactly as the data holds it (shortest round-trip digits), or "flag nobody".

    Tables that tell someone which threshold to set use this: rounding 0.403812 to 0.4038
    flags more rows than the figure beside it counts.
    """
    return "flag nobody" if threshold is None else repr(float(threshold))


def style_axes(
    ax: Axes, palette: ChartPalette = LIGHT, *, grid_axis: Literal["x", "y", "both", ""] = "y"
) -> None:
    """Quiet frame: no top/right spines, light grid behind the data, small grey ticks."""
    ax.set_facecolor(palette.background)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(palette.axis)
        ax.spines[side].set_linewidth(0.8)
    ax.tick_params(axis="both", labelsize=TICK_SIZE, colors=palette.tick, length=3, width=0.6)
    ax.set_axisbelow(True)
    if grid_axis:  # "": no grid
        ax.grid(True, axis=grid_axis, color=palette.grid, linewidth=0.7)
    ax.xaxis.label.set_fontsize(LABEL_SIZE)
    ax.yaxis.label.set_fontsize(LABEL_SIZE)
    ax.xaxis.label.set_color(palette.ink)
    ax.yaxis.label.set_color(palette.ink)
    ax.title.set_fontsize(TITLE_SIZE)
    ax.title.set_color(palette.ink)


def style_legend(ax: Axes, palette: ChartPalette = LIGHT, **kwargs: Any) -> None:
    """A frameless small legend, only if something on the Axes has a label."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        legend_text(ax.legend(handles, labels, **{**LEGEND_OPTIONS, "loc": "best", **kwargs}), palette)


def legend_text(legend: Legend, palette: ChartPalette) -> None:
    """Legend entries in the palette's ink, and never TeX: model names with "$" are names."""
    for text in legend.get_texts():
        text.set_parse_math(False)
        text.set_color(palette.ink)


def readable(name: str) -> str:
    """A column or model name as a legend reads it: ``champion_score`` -> ``Champion score``.

    Underscores become spaces and the first letter is capitalised; a name that already has
    spaces or capitals is the analyst's own wording and is kept as it is.
    """
    text = str(name)
    if " " in text or text != text.lower():
        return text
    words = text.replace("_", " ").strip()
    return (words[:1].upper() + words[1:]) if words else text


def shorten(text: str, limit: int = 28) -> str:
    """Cut long labels (segment names) with an ellipsis so tick labels stay readable."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str) -> str:
    """Text from the data made safe for tick labels: ``$`` never starts TeX math.

    Tick labels are recreated by matplotlib on every draw, so per-Text ``parse_math=False``
    does not stick to them; an escaped dollar always prints as a dollar.
    """
    return str(text).replace("$", r"\$")


def split_axes(ax: Axes, rows: int, cols: int, ratios: tuple[float, ...], *, share: str) -> list[Axes]:
    """Divide the subplot ``ax`` into a ``rows`` x ``cols`` grid; ``ax`` becomes the first panel.

    The panels stay in the figure's layout (constrained layout places them), and share the
    ``share`` axis (``"x"`` or ``"y"``) with ``ax``. An ``ax`` that is not a subplot (an inset)
    stays one panel: the list then holds ``ax`` only.
    """
    spec = ax.get_subplotspec()
    if spec is None:
        return [ax]
    grid = (
        spec.subgridspec(rows, cols, height_ratios=ratios, hspace=0.06)
        if rows > 1
        else spec.subgridspec(rows, cols, width_ratios=ratios, wspace=0.04)
    )
    ax.set_subplotspec(grid[0])
    shared = {"sharex": ax} if share == "x" else {"sharey": ax}
    return [ax, *(ax.figure.add_subplot(grid[i], **shared) for i in range(1, rows * cols))]
