"""Label-delay charts: the reliability diagram, and realised value beside the estimate per period.

An estimate is never drawn like a realised value: realised values are solid bars; estimates
are dashed, hatched outlines with their interval as an error bar, labelled "estimate". On
periods whose labels are known the estimate is a small marker beside the bar (its track record).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from roistudio.charts import style
from roistudio.charts.breakdown import _legend_above, period_label
from roistudio.core.engine.calibration import CalibrationCheck
from roistudio.core.engine.estimate import ValueEstimate
from roistudio.core.engine.results import GroupResult

ESTIMATE_TEXT = "estimate"


def calibration_caption(check: CalibrationCheck) -> str:
    """One line naming the Brier scores and the calibration error, for a chart's title."""
    raw = "n/a (raw scores)" if check.brier is None else f"{check.brier:.4f}"
    calibrated = "n/a" if check.brier_calibrated is None else f"{check.brier_calibrated:.4f}"
    ece = "n/a" if check.ece is None else f"{check.ece:.3f}"
    return f"Brier score {raw} raw, {calibrated} calibrated ({check.method}); calibration error {ece}"


def draw_reliability(
    ax: Axes, check: CalibrationCheck, *, palette: style.ChartPalette = style.LIGHT, title: bool = True
) -> None:
    """Reliability diagram: observed positive rate against mean score per equal-count bin.

    Points on the diagonal are well calibrated; the calibration map (when one is fitted on
    probabilities) is drawn as a line over the same range. The marker area follows the bin's rows.
    """
    style.style_axes(ax, palette, grid_axis="both")
    bins = check.bins
    xlabel = "Mean calibrated probability" if check.bins_of != "score" else "Mean score"
    ax.set_xlabel(f"{xlabel} (equal-count bins)")
    ax.set_ylabel("Observed positive rate")
    if title:
        ax.set_title(calibration_caption(check), fontsize=style.LABEL_SIZE, loc="left")
    if not bins:
        ax.text(0.5, 0.5, "no labelled rows", ha="center", va="center", transform=ax.transAxes,
                color=palette.muted)  # fmt: skip
        return
    mean = np.array([b.mean_score for b in bins])
    rate = np.array([b.observed_rate for b in bins])
    rows = np.array([b.rows for b in bins], dtype=float)
    top = float(max(mean.max(), rate.max(), 1e-6)) * 1.08
    ax.plot(
        [0, top], [0, top], color=palette.baseline, linestyle=":", linewidth=1.1, label="perfectly calibrated"
    )
    if check.method != "none" and check.bins_of == "score":
        grid = np.linspace(0.0, top, 200)
        ax.plot(grid, check.map(grid), color=palette.challenger, linewidth=1.4,
                label=f"{check.method} calibration")  # fmt: skip
    area = 20.0 + 120.0 * rows / rows.max()
    ax.plot(mean, rate, color=palette.champion, linewidth=1.0, zorder=3)
    ax.scatter(mean, rate, s=area, color=palette.champion, zorder=4, label="bins (area: rows)")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    style.style_legend(ax, palette, loc="upper left")


def draw_estimate_by_period(
    ax: Axes,
    periods: Sequence[GroupResult],
    estimates: Mapping[str, ValueEstimate],
    *,
    symbol: str = "$",
    period: str | None = None,
    challenger: bool = True,
    palette: style.ChartPalette = style.LIGHT,
    per_1000: bool = True,
) -> None:
    """Realised value per labelled period, and the estimate with its interval for the rest.

    By default per 1,000 rows, as the plain trend chart
    (:func:`roistudio.charts.breakdown.draw_value_by_period`): realised value per 1,000 labelled
    rows, an estimate per 1,000 of the rows it covers (all of the period's rows), so a busy
    period is not judged by its volume.

    Parameters
    ----------
    periods
        Period groups in time order (at the operating threshold).
    estimates
        Period key -> estimate of the champion for all its rows (see ``LabelDelay.periods_at``).
    challenger
        Draw the challenger's realised bar beside the champion's when the groups carry one.
    per_1000
        Per 1,000 rows (default) or the periods' totals.
    """
    style.style_axes(ax, palette)
    ax.yaxis.set_major_formatter(style.money_formatter(symbol))
    unit = f" ({symbol.strip()})" if symbol.strip() else ""
    ax.set_ylabel(f"Value per 1,000 rows{unit}" if per_1000 else f"Value at operating threshold{unit}")
    n = len(periods)
    x = np.arange(n, dtype=float)
    known = np.array([not g.fully_unlabeled for g in periods], dtype=bool)
    labelled = np.array([g.rows for g in periods], dtype=float)
    scale = np.divide(1000.0, labelled, out=np.zeros(n), where=labelled > 0) if per_1000 else np.ones(n)
    realised = np.array([g.operating.value for g in periods], dtype=float) * scale
    est = [estimates.get(g.key) for g in periods]
    has = np.array([e is not None for e in est], dtype=bool)
    covered = np.array([e.rows if e is not None else 0 for e in est], dtype=float)
    e_scale = np.divide(1000.0, covered, out=np.zeros(n), where=covered > 0) if per_1000 else np.ones(n)
    value = np.array([e.value if e is not None else np.nan for e in est]) * e_scale
    low = np.array([e.low if e is not None else np.nan for e in est]) * e_scale
    high = np.array([e.high if e is not None else np.nan for e in est]) * e_scale
    with_challenger = challenger and any(g.challenger_operating is not None for g in periods)
    width = 0.38 if with_challenger else 0.62
    offset = width / 2 if with_challenger else 0.0
    ax.bar(x[known] - offset, realised[known], width, color=palette.champion, label="realised", zorder=3)
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
        ax.bar(x[known] + offset, chall[known], width, color=palette.challenger, hatch="////",
               edgecolor=palette.background, linewidth=0, zorder=3)  # fmt: skip
    pending = ~known & has
    if pending.any():
        ax.bar(x[pending], value[pending], 0.62, facecolor="none", edgecolor=palette.operating,
               hatch="///", linestyle="--", linewidth=1.3, zorder=3)  # fmt: skip
        ax.errorbar(x[pending], value[pending], yerr=[value[pending] - low[pending], high[pending] - value[pending]],
                    fmt="none", ecolor=palette.operating, elinewidth=1.3, capsize=5, zorder=4)  # fmt: skip
        for i in np.flatnonzero(pending):
            ax.annotate(ESTIMATE_TEXT, (x[i], high[i] if value[i] >= 0 else low[i]),
                        xytext=(0, 4 if value[i] >= 0 else -4), textcoords="offset points", ha="center",
                        va="bottom" if value[i] >= 0 else "top", fontsize=style.ANNOTATION_SIZE,
                        color=palette.operating, fontstyle="italic")  # fmt: skip
    track = known & has
    if track.any():
        ax.errorbar(x[track] - offset + width * 0.3, value[track], yerr=[value[track] - low[track], high[track] - value[track]],
                    fmt="D", markersize=3.5, color=palette.operating, markerfacecolor=palette.background,
                    elinewidth=0.9, capsize=2, zorder=5)  # fmt: skip
    ax.axhline(0.0, color=palette.axis, linewidth=0.8, zorder=2)
    ax.set_xticks(x, [style.plain(period_label(g.key, period)) for g in periods])
    if n > 6:
        for tick in ax.get_xticklabels():
            tick.set_rotation(45)
            tick.set_horizontalalignment("right")
            tick.set_rotation_mode("anchor")
    ax.set_xlim(-0.6, n - 0.4 if n else 0.6)
    handles: list[Artist] = [Patch(facecolor=palette.champion)]
    names = ["realised (champion)" if with_challenger else "realised"]
    if with_challenger:
        handles.append(Patch(facecolor=palette.challenger, hatch="////", edgecolor=palette.background))
        names.append("challenger")
    if pending.any():
        handles.append(Patch(facecolor="none", edgecolor=palette.operating, hatch="///", linestyle="--"))
        names.append("estimate (labels not yet known)")
    if track.any():
        handles.append(Line2D([], [], marker="D", markersize=4, color=palette.operating,
                              markerfacecolor=palette.background, linestyle="none"))  # fmt: skip
        names.append("estimate on labelled periods (track record)")
    _legend_above(ax, handles, names, palette, ncol=2 if len(handles) > 2 else None)
