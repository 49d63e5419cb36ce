"""Page 1's answers (reports/briefing.py), checked against figures worked out by hand.

Eight labelled rows over January and February 2026 and two unlabelled rows in March; a
costs-only payoff: every review costs 10, a missed positive its amount. By hand, over the sorted
scores 0.9 (P 500), 0.8 (P 400), 0.7 (N), 0.6 (N), 0.4 (P 300), 0.3 (N), 0.2 (N), 0.1 (P 5):
flag nobody -1,205; flag everyone -80; the best threshold 0.4 flags 5 rows and misses the 5:
-55. The model saves 80 - 55 = 25 against flagging everyone, a savings ratio of 1 - 55/80.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from pypdf import PdfReader

from roistudio.reports import pdf
from roistudio.reports.briefing import brief, format_threshold
from roistudio.reports.model import SourceFacts, build_report_model
from tests.helpers import run_analysis

PAYOFF = {"tp": "-c", "fp": "-c", "tn": "0", "fn": "-amount"}
CREATED = dt.datetime(2026, 4, 2, tzinfo=dt.UTC)


def _frame() -> pd.DataFrame:
    rows = [  # (score, label, amount, day)
        (0.9, 1, 500.0, "2026-01-05"), (0.7, 0, 0.0, "2026-01-09"), (0.4, 1, 300.0, "2026-01-20"),
        (0.2, 0, 0.0, "2026-01-28"), (0.8, 1, 400.0, "2026-02-03"), (0.6, 0, 0.0, "2026-02-10"),
        (0.3, 0, 0.0, "2026-02-17"), (0.1, 1, 5.0, "2026-02-25"),
        (0.5, None, 7.0, "2026-03-02"), (0.35, None, 9.0, "2026-03-30"),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["score", "label", "amount", "ts"])
    frame["label"] = frame["label"].astype("Int8")
    frame["ts"] = pd.to_datetime(frame["ts"])
    return frame


def _model(**request):
    frame = _frame()
    analysis, _ = run_analysis(frame, PAYOFF, {"c": 10.0}, timestamp="ts", period="month", **request)
    source = SourceFacts(name="claims.csv", path="/d/claims.csv", sha256="00" * 32, size=1, rows_in_file=10,
                         rejected_rows=0, date_min="2026-01-05", date_max="2026-03-30")  # fmt: skip
    return build_report_model(analysis, source, currency="EUR", created=CREATED)


def test_a_costs_only_payoff_reads_as_savings_over_the_labelled_span():
    model = _model()
    b = brief(model)
    assert model.headline.threshold == 0.4 and model.headline.value == pytest.approx(-55)
    assert b.verb == "saves" and b.worth == "€25"
    assert b.savings == pytest.approx(1 - 55 / 80)
    # January and February are labelled; March (unlabelled) is not part of the span.
    assert b.span is not None and b.span.text == "Jan 2026 to Feb 2026 (2 months)"
    assert b.per_month == pytest.approx(25 / 2)
    assert b.worth_sentence == (
        f"The model saves €25 ({(1 - 55 / 80) * 100:.1f}%) against flagging every row over Jan 2026 to Feb 2026 "
        "(2 months): the cost falls from €80 to €55."
    )


def test_the_action_sentence_counts_rows_a_month_as_worked_by_hand():
    b = brief(_model())
    # 5 of 8 labelled rows flagged over 2 months: 2.5 a month; 3 of the 5 positive; 3 of 4 positives caught.
    assert b.action == (
        "Flag the ~2.5 highest-scoring rows a month: every row scoring 0.4 or more, 62.5% of rows "
        "(60.0% of them positive, catching 75.0% of all positives)."
    )
    assert b.gap is None  # the operating threshold is the best


def test_a_threshold_set_by_the_analyst_states_the_gap_to_the_best():
    model = _model(threshold=0.8, use_threshold=True)
    b = brief(model)
    # At 0.8: two reviews (-20), the 300 and the 5 missed: -325; the best is -55.
    assert model.headline.value == pytest.approx(-325)
    assert (
        b.gap
        == "The operating threshold 0.8 (set by the analyst) is €270 short of the best policy, threshold 0.4."
    )
    assert "The threshold was set by the analyst, not tuned on these rows." in b.sure
    assert b.verb == "loses"  # -325 is worse than flagging everyone (-80)
    # At 0.3: six reviews and the 5 missed: -65, 10 short of -55; the model adds 25 at its best.
    b = brief(_model(threshold=0.3, use_threshold=True))
    assert b.gap == (
        "The operating threshold 0.3 (set by the analyst) is €10 short of the best policy, threshold 0.4 "
        "(40% of what the model adds at its best)."
    )


def test_what_changed_compares_the_latest_labelled_month_per_1000_rows():
    b = brief(_model())
    assert b.change_periods == ("Jan 2026", "Feb 2026")
    rows = {c.label: c for c in b.changes}
    # January at 0.4: three reviews, nothing missed: -30 on 4 rows. February: two reviews and the 5 missed: -25.
    assert (rows["Value per 1,000 rows"].before, rows["Value per 1,000 rows"].latest) == (
        "-€7,500",
        "-€6,250",
    )
    assert rows["Value per 1,000 rows"].change == "+€1,250"
    # Against each month's own flag-everyone cost (-40 and -40): saved 10 and 15 on 4 rows.
    saved = rows["Model saves per 1,000 rows"]
    assert (saved.before, saved.latest, saved.change) == ("€2,500", "€3,750", "+€1,250")
    assert b.change_note == "Mar 2026: 2 rows not yet labelled, left out."


def test_page_one_prints_the_answers_and_never_the_unlabelled_month_in_its_span(tmp_path):
    model = _model()
    path = tmp_path / "p.pdf"
    pdf.write_pdf(model, path)
    reader = PdfReader(path)
    page = " ".join(reader.pages[0].extract_text().split())
    assert len(reader.pages[0].images) == 1  # the value chart stays on page 1, filling it
    assert reader.trailer["/Root"]["/Lang"] == "en"  # reportlab's only accessibility aid (no tags)
    assert "labelled Jan 2026 to Feb 2026" in page
    assert "2026-03" not in page  # the data's last day is in the unlabelled month
    assert "WHAT THE MODEL SAVES" in page and "31.2%" in page
    assert "Flag the ~2.5 highest-scoring rows a month" in page


def test_one_threshold_precision():
    assert format_threshold(0.101302) == "0.101302"
    assert format_threshold(0.0552) == "0.0552"
    assert format_threshold(None) == "flag nobody"
