"""Charts: drawn on a bare Figure (never pyplot), marks where the numbers say, money ticks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Text

from roistudio.charts.breakdown import UNKNOWN_TEXT, draw_value_by_period, draw_value_by_segment, period_label
from roistudio.charts.comparison import draw_comparison
from roistudio.charts.curves import MAX_POINTS, draw_value_curve, move_operating_marker
from roistudio.charts.style import DARK, LIGHT, format_money_short, money_formatter
from tests.helpers import REPO, run_analysis

REPO = REPO

# Hand-worked case: payoff tp=+100, fp=-30, tn=0, fn=-100; three positives.
#   flag nobody: 3 FN                  -> -300
#   >= 0.9: TP 1, FN 2                 -> -100
#   >= 0.8: TP 2, FN 1                 ->  100
#   >= 0.7: TP 2, FP 1, FN 1           ->   70
#   >= 0.6: TP 3, FP 1                 ->  270   <- optimum
#   >= 0.3: TP 3, FP 2                 ->  240
#   >= 0.2: TP 3, FP 3 (flag everyone) ->  210
HAND = pd.DataFrame({"score": [0.9, 0.8, 0.7, 0.6, 0.3, 0.2], "label": [1, 1, 0, 1, 0, 0]})
HAND_PAYOFF = {"tp": "100", "fp": "-30", "tn": "0", "fn": "-100"}


@pytest.fixture(scope="module")
def hand():
    analysis, _ = run_analysis(HAND, HAND_PAYOFF)
    return analysis.champion


def _render(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    return buffer.getvalue()


def test_charts_never_import_pyplot():
    # A fresh interpreter: pytest plugins in this process may already have imported pyplot.
    code = textwrap.dedent(
        """
        import io, sys
        import pandas as pd
        from matplotlib.figure import Figure
        from roistudio.charts import breakdown, comparison, curves
        from tests.helpers import run_analysis
        frame = pd.DataFrame({"score": [0.9, 0.5, 0.2, 0.7], "label": [1, 0, 0, 1], "seg": list("abab"),
                              "challenger": [0.1, 0.2, 0.3, 0.4],
                              "ts": pd.to_datetime(["2026-01-05", "2026-02-05", "2026-02-07", "2026-03-01"])})
        a, _ = run_analysis(frame, {"tp": "1", "fp": "-1", "tn": "0", "fn": "-1"}, segments=("seg",),
                            challenger_score="challenger", timestamp="ts", period="month")
        fig = Figure()
        axes = fig.subplots(2, 2)
        curves.draw_value_curve(axes[0, 0], a.champion)
        comparison.draw_comparison(axes[0, 1], a.champion, a.challenger)
        breakdown.draw_value_by_period(axes[1, 0], a.periods, period="month")
        breakdown.draw_value_by_segment(axes[1, 1], a.segments["seg"])
        fig.savefig(io.BytesIO(), format="png")
        print("pyplot" if "matplotlib.pyplot" in sys.modules else "clean")
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]), MPLBACKEND="agg")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "clean"


def test_optimum_marker_sits_at_the_hand_worked_optimum(hand):
    fig = Figure()
    artists = draw_value_curve(fig.add_subplot(), hand, symbol="$")
    assert list(artists.optimum_marker.get_xdata()) == [0.6]
    assert list(artists.optimum_marker.get_ydata()) == pytest.approx([270.0])
    # The drawn line is the curve without "flag nobody": six thresholds and their values.
    drawn = sorted(zip(artists.line.get_xdata(), artists.line.get_ydata(), strict=True))
    expected = [(0.2, 210.0), (0.3, 240.0), (0.6, 270.0), (0.7, 70.0), (0.8, 100.0), (0.9, -100.0)]
    # Flat lists: pytest.approx does not take nested sequences in every release.
    assert [x for x, _ in drawn] == pytest.approx([x for x, _ in expected])
    assert [y for _, y in drawn] == pytest.approx([y for _, y in expected])
    baselines = sorted(
        line.get_ydata()[0] for line in artists.ax.get_lines() if list(line.get_xdata()) == [0, 1]
    )
    # Flag nobody, the zero line (values span zero), flag everyone.
    assert baselines == pytest.approx([-300.0, 0.0, 210.0])
    _render(fig)


def test_move_operating_marker_moves_only_the_operating_artists(hand):
    fig = Figure()
    artists = draw_value_curve(fig.add_subplot(), hand)
    line_before = artists.line.get_xydata().copy()
    changed = move_operating_marker(artists, hand.curve.at(0.8))
    assert set(changed) == {artists.operating_line, artists.operating_marker, artists.operating_label}
    assert list(artists.operating_marker.get_xdata()) == [0.8]
    assert list(artists.operating_marker.get_ydata()) == pytest.approx([100.0])
    assert list(artists.operating_line.get_xdata()) == [0.8, 0.8]
    assert artists.operating_label.get_text() == "operating: 0.8"
    np.testing.assert_array_equal(artists.line.get_xydata(), line_before)

    # Flag nobody has no threshold: it sits right of the highest score, at the flag-nobody value.
    move_operating_marker(artists, hand.curve.flag_nobody())
    assert artists.operating_marker.get_xdata()[0] > 0.9
    assert list(artists.operating_marker.get_ydata()) == pytest.approx([-300.0])
    assert artists.operating_label.get_text() == "operating: flag nobody"
    _render(fig)


def test_long_curves_are_downsampled_but_keep_the_optimum():
    rng = np.random.default_rng(3)
    n = 20_000
    frame = pd.DataFrame({"score": rng.random(n), "label": (rng.random(n) < 0.2).astype(int)})
    analysis, _ = run_analysis(frame, {"tp": "50", "fp": "-10", "tn": "0", "fn": "-50"})
    model = analysis.champion
    assert len(model.curve) > MAX_POINTS * 5
    artists = draw_value_curve(Figure().add_subplot(), model)
    xs = artists.line.get_xdata()
    assert len(xs) <= MAX_POINTS + 4
    assert model.optimum.threshold in set(xs.tolist())
    assert artists.line.get_ydata().max() == pytest.approx(model.optimum.value)


@pytest.mark.parametrize(
    ("value", "symbol", "expected"),
    [
        (1_234_567, "$", "$1.23M"),
        (1_200_000, "$", "$1.2M"),
        (350_000, "$", "$350k"),
        (-20_000, "$", "-$20k"),
        (0, "$", "$0"),
        (950, "$", "$950"),
        (999_600, "$", "$1M"),  # rounded before the unit is chosen, never "$1000k"
        (2.5, "$", "$2.5"),
        (-1_500_000_000, "€", "-€1.5B"),
        (12_500, "CHF ", "CHF 12.5k"),
    ],
)
def test_money_short_format(value, symbol, expected):
    assert format_money_short(value, symbol) == expected


def test_money_formatter_formats_axis_ticks():
    formatter = money_formatter("£")
    assert [formatter(v, i) for i, v in enumerate([-20_000, 0, 350_000, 1_200_000])] == [
        "-£20k",
        "£0",
        "£350k",
        "£1.2M",
    ]


def test_comparison_marks_each_models_optimum():
    frame = HAND.assign(challenger=[0.9, 0.8, 0.2, 0.7, 0.3, 0.1])
    analysis, _ = run_analysis(frame, HAND_PAYOFF, challenger_score="challenger")
    # Challenger by hand: >= 0.7 flags both positives at 0.9 and 0.8 plus the positive at 0.7
    # (scores 0.9, 0.8, 0.7 are rows 1, 2, 4): TP 3, FP 0 -> 300, its best.
    fig = Figure()
    ax = fig.add_subplot()
    draw_comparison(ax, analysis.champion, analysis.challenger, symbol="$")
    markers = {
        (float(m.get_xdata()[0]), float(m.get_ydata()[0])) for m in ax.get_lines() if len(m.get_xdata()) == 1
    }
    assert (0.6, 270.0) in markers
    assert (0.7, 300.0) in markers
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Score (best $270 at 0.6)" in legend  # column names made readable
    assert "Challenger (best $300 at 0.7)" in legend
    _render(fig)


def test_period_chart_marks_periods_without_labels():
    frame = pd.DataFrame(
        {
            "score": [0.9, 0.2, 0.8, 0.1, 0.7, 0.3],
            "label": pd.array([1, 0, 1, 0, None, None], dtype="Int8"),
            "ts": pd.to_datetime(
                ["2026-01-03", "2026-01-09", "2026-02-02", "2026-02-20", "2026-03-01", "2026-03-02"]
            ),
        }
    )
    analysis, _ = run_analysis(frame, HAND_PAYOFF, timestamp="ts", period="month")
    fig = Figure()
    ax = fig.add_subplot()
    draw_value_by_period(ax, analysis.periods, period="month")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    # Two bars (January and February, each +100 on 2 labelled rows: one TP, one TN), drawn per
    # 1,000 labelled rows; March is a placeholder, not a bar.
    heights = [bar.get_height() for container in ax.containers for bar in container]
    assert heights == pytest.approx([50_000.0, 50_000.0])
    assert ax.get_ylabel() == "Value per 1,000 labelled rows ($)"
    assert UNKNOWN_TEXT in [t.get_text() for t in ax.texts]
    _render(fig)
    totals = Figure().add_subplot()
    draw_value_by_period(totals, analysis.periods, period="month", per_1000=False)
    assert [b.get_height() for c in totals.containers for b in c] == pytest.approx([100.0, 100.0])


def test_period_chart_per_1000_rows_ranks_periods_apart_from_their_volume():
    # January: 4 labelled rows, value 200 (two TP, two TN); February: 1 labelled row, value 100.
    # In total January looks better; per 1,000 rows February does (100,000 against 50,000).
    frame = pd.DataFrame(
        {
            "score": [0.9, 0.8, 0.1, 0.2, 0.95],
            "label": [1, 1, 0, 0, 1],
            "ts": pd.to_datetime(["2026-01-03", "2026-01-09", "2026-01-10", "2026-01-11", "2026-02-02"]),
        }
    )
    analysis, _ = run_analysis(frame, HAND_PAYOFF, timestamp="ts", period="month", threshold=0.5,
                               use_threshold=True)  # fmt: skip
    ax = Figure().add_subplot()
    draw_value_by_period(ax, analysis.periods, period="month")
    assert [b.get_height() for c in ax.containers for b in c] == pytest.approx([50_000.0, 100_000.0])
    # The dashed reference: all labelled periods together, 300 over 5 rows.
    dashed = [line for line in ax.get_lines() if line.get_label().startswith("all periods")]
    assert [line.get_ydata()[0] for line in dashed] == pytest.approx([60_000.0])


def test_period_labels():
    assert period_label("2026-03-01", "month") == "Mar 2026"
    assert period_label("2026-04-01", "quarter") == "2026 Q2"
    assert period_label("2026-01-01", "year") == "2026"
    assert period_label("2026-03-02", "week") == "2026-03-02"
    assert period_label("(missing)", "month") == "(missing)"


def test_segment_chart_ranks_by_money_lost_and_prints_names_literally():
    # Money lost = perfect value - value. Each segment has one positive worth its amount; the
    # operating threshold 0.5 misses the positives scored below it.
    frame = pd.DataFrame(
        {
            "score": [0.9, 0.1, 0.2, 0.8, 0.3],
            "label": [1, 1, 1, 1, 1],
            "amount": [10.0, 400.0, 50.0, 7.0, 90.0],
            "seg": ["kept", "a$^$b", "mid", "kept too", "third"],
        }
    )
    analysis, _ = run_analysis(
        frame, {"tp": "0", "fp": "0", "tn": "0", "fn": "-amount"}, segments=("seg",), threshold=0.5,
        use_threshold=True,
    )  # fmt: skip
    fig = Figure()
    ax = fig.add_subplot()
    draw_value_by_segment(ax, analysis.segments["seg"], symbol="$", top=3)
    # Missed amounts: a$^$b 400, third 90, mid 50, the others 0.
    assert [t.get_text() for t in ax.get_yticklabels()] == [r"a\$^\$b", "third", "mid"]
    value_ax, lost_ax = fig.axes
    assert value_ax is ax and lost_ax.get_title(loc="right") == "top 3 of 5 segments by money lost"
    # Value and money lost on their own axes: the value is -missed, the money lost +missed.
    assert [b.get_width() for b in value_ax.containers[0]] == pytest.approx([-400.0, -90.0, -50.0])
    assert [b.get_width() for b in lost_ax.containers[0]] == pytest.approx([400.0, 90.0, 50.0])
    assert (value_ax.get_xlabel(), lost_ax.get_xlabel()) == (
        "Value at the operating threshold ($)",
        "Money lost to errors ($)",
    )
    _render(fig)  # a "$^$" name would make mathtext raise if it were not escaped


def _contrast(color, background) -> float:
    """WCAG 2 contrast ratio between two colours (1 = invisible, 21 = black on white)."""

    def luminance(c) -> float:
        r, g, b = (x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in to_rgb(c))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(color), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_every_chart_reads_on_its_palettes_background(palette):
    # All four charts drawn with one palette: the ground is the palette's, every piece of text
    # meets WCAG's 4.5:1 and every series in a legend 3:1 against it. A colour hard-coded for a
    # white page (text or marker) would fail on the dark ground.
    frame = pd.DataFrame(
        {
            "score": [0.9, 0.5, 0.2, 0.7, 0.4, 0.6],
            "label": pd.array([1, 0, 0, 1, None, None], dtype="Int8"),
            "seg": list("ababab"),
            "challenger": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
            "ts": pd.to_datetime(
                ["2026-01-05", "2026-02-05", "2026-02-07", "2026-01-01", "2026-03-01", "2026-03-09"]
            ),
        }
    )
    analysis, _ = run_analysis(
        frame, HAND_PAYOFF, segments=("seg",), challenger_score="challenger", timestamp="ts", period="month"
    )
    fig = Figure(facecolor=palette.background)
    axes = fig.subplots(2, 2).ravel()
    draw_value_curve(axes[0], analysis.champion, palette=palette)
    draw_comparison(axes[1], analysis.champion, analysis.challenger, palette=palette)
    draw_value_by_period(axes[2], analysis.periods, period="month", palette=palette)
    draw_value_by_segment(axes[3], analysis.segments["seg"], palette=palette)
    _render(fig)  # lays out tick labels
    texts = [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]
    assert len(texts) > 30
    for ax in axes:
        assert ax.get_facecolor() == pytest.approx((*to_rgb(palette.background), 1.0))
    low_text = [
        (t.get_text(), t.get_color()) for t in texts if _contrast(t.get_color(), palette.background) < 4.5
    ]
    assert low_text == []
    series = [line for ax in axes for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert len(series) >= 4
    faint = [line.get_label() for line in series if _contrast(line.get_color(), palette.background) < 3.0]
    assert faint == []


def test_legends_read_column_names_as_words():
    from roistudio.charts.style import readable

    assert readable("champion_score") == "Champion score"
    assert readable("p_subscribe") == "P subscribe"
    assert readable("Model A (2026)") == "Model A (2026)"  # the analyst's own wording is kept
    assert readable("fraudScore") == "fraudScore"
    frame = HAND.assign(p_fraud_v2=HAND["score"])
    analysis, _ = run_analysis(frame, HAND_PAYOFF, score="p_fraud_v2")
    fig = Figure()
    ax = fig.add_subplot()
    draw_value_curve(ax, analysis.champion, symbol="$")
    ax.legend()
    assert "P fraud v2" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_monte_carlo_histogram_of_nearly_equal_values_draws():
    # Found by the GUI soak test: draws that differ only in the last bits of a large value made
    # numpy refuse to cut 60 bins ("Too many bins for data range").
    from types import SimpleNamespace

    import numpy as np

    from roistudio.charts.uncertainty import draw_monte_carlo

    values = np.full(500, 165_000.123456) + np.arange(500) * 1e-11
    fig = Figure()
    ax = fig.add_subplot()
    draw_monte_carlo(ax, SimpleNamespace(values_of_model=values, draws=500, p_positive=1.0))
    assert sum(p.get_height() for p in ax.patches) == 500
    _render(fig)
