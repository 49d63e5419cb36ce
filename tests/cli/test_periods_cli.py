"""Time columns through the CLI: month names of the bank file, refusals, and the machine's TZ.

The per-month values are checked against a pandas groupby over the rows (flag iff score >=
threshold, the published cost model of the bank data), not against the sweep's own curves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from roistudio.cli.main import main

BANK = Path("/work/shared/data/bank_marketing_scored.csv")
SRC = Path(__file__).resolve().parents[2] / "src"
# Bahnsen et al. (2015) cost model, in this project's value convention (see the data's README).
BANK_PAYOFF = ("--tp", "-1", "--fp", "-1", "--fn", "-max(0.02463333 * 0.25 * balance_eur, 1)")
CALENDAR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _sweep_json(capsys, *args: str) -> dict:
    code = main(["sweep", *args, "--json", "-"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def _refusal(capsys, *args: str) -> str:
    code = main(["sweep", *args])
    err = capsys.readouterr().err
    assert code == 2, err
    return err


@pytest.fixture(scope="module")
def bank():
    if not BANK.exists():
        pytest.skip("the shared bank marketing file is not on this machine")
    return pd.read_csv(BANK, dtype={"client_id": str})


def _row_values(frame: pd.DataFrame, threshold: float) -> np.ndarray:
    flagged = frame.p_subscribe.to_numpy() >= threshold
    positive = (frame.subscribed == "yes").to_numpy()
    fn = -np.maximum(0.02463333 * 0.25 * frame.balance_eur.to_numpy(), 1.0)
    return np.where(flagged, -1.0, np.where(positive, fn, 0.0))


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_bank_month_names_give_calendar_periods_equal_to_a_pandas_groupby(bank, capsys, period):
    doc = _sweep_json(
        capsys, str(BANK), "--score", "p_subscribe", "--label", "subscribed", "--positive", "yes",
        *BANK_PAYOFF, "--time", "campaign_month", "--period", period,
    )  # fmt: skip
    block = doc["periods"]
    assert block["period"] == period and block["time_column"] == "campaign_month"
    assert block["form"] == "month_name" and block["year_given"] is False and block["year"] is None
    assert block["time_zone"] is None
    assert "year not given" in block["note"]
    threshold = doc["operating"]["threshold"]
    frame = bank.assign(value=_row_values(bank, threshold), flagged=bank.p_subscribe >= threshold)
    month = frame.campaign_month.str.strip().str.lower().map({m.lower(): i for i, m in enumerate(CALENDAR)})
    if period == "month":
        keys = month.map(dict(enumerate(CALENDAR)))
        order = [m for m in CALENDAR if m in set(keys)]
    else:
        keys = "Q" + (month // 3 + 1).astype(str)
        order = sorted(set(keys))
    oracle = frame.groupby(keys).agg(
        value=("value", "sum"), rows=("value", "size"), flagged=("flagged", "sum")
    )
    assert [r["key"] for r in block["rows"]] == order  # calendar order, not money or alphabet
    for row in block["rows"]:
        expected = oracle.loc[row["key"]]
        assert row["rows"] == expected.rows
        assert row["flagged"] == expected.flagged
        assert row["value"] == pytest.approx(expected.value, abs=1e-6)
    assert sum(r["value"] for r in block["rows"]) == pytest.approx(doc["operating"]["value"], abs=1e-6)


def test_bank_refusals_are_one_line(bank, capsys):
    base = (str(BANK), "--score", "p_subscribe", "--label", "subscribed", "--positive", "yes", *BANK_PAYOFF)
    assert _refusal(capsys, *base, "--time", "campaign_month", "--period", "week") == (
        "roistudio sweep: time column 'campaign_month' holds month names, which allow a breakdown by month "
        "or quarter, not by week\n"
    )
    assert _refusal(capsys, *base, "--time", "job", "--period", "month") == (
        "roistudio sweep: time column 'job' holds text that is not a date or a period label "
        "(first unreadable value 'management' on data row 1)\n"
    )
    assert _refusal(capsys, *base, "--time", "campaign_month", "--from", "2026-01-01") == (
        "roistudio sweep: a date range (--from/--until) needs a date or timestamp time column; "
        "'campaign_month' is VARCHAR\n"
    )


def test_the_year_of_month_names_makes_them_dates(tmp_path, capsys):
    path = tmp_path / "months.csv"
    path.write_text("score,y,month\n0.9,1,may\n0.2,0,Jun\n0.8,0,dec\n0.1,1,may\n", encoding="utf-8")
    doc = _sweep_json(
        capsys, str(path), "--score", "score", "--label", "y", "--tp", "10", "--fp", "-1", "--fn", "-10",
        "--time", "month", "--time-year", "2014", "--period", "quarter",
    )  # fmt: skip
    block = doc["periods"]
    assert block["year"] == 2014 and block["year_given"] is True
    assert [(r["key"], r["rows"]) for r in block["rows"]] == [("2014-04-01", 3), ("2014-10-01", 1)]


def _run_with_tz(tz: str, data: Path, *extra: str) -> dict:
    env = {**os.environ, "TZ": tz, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-m", "roistudio", "sweep", str(data), "--score", "score", "--label", "y",
         "--tp", "10", "--fp", "-1", "--fn", "-10", "--time", "ts", "--period", "month", *extra, "--json", "-"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    doc.pop("source")  # carries the import time
    return doc


def test_periods_of_zone_aware_times_do_not_depend_on_the_machine_time_zone(tmp_path):
    # Times written with offsets: 2026-02-28T23:30-05:00 is 2026-03-01 04:30 UTC, and so on.
    path = tmp_path / "tz.csv"
    rows = [
        ("2026-01-31T23:30:00+09:00", 0.9, 1),  # 2026-01-31 14:30 UTC: dropped by --from
        ("2026-02-01T05:00:00+09:00", 0.8, 0),  # 2026-01-31 20:00 UTC: dropped by --from
        ("2026-02-01T10:00:00+09:00", 0.7, 1),  # 2026-02-01 01:00 UTC
        ("2026-02-28T23:30:00-05:00", 0.6, 1),  # 2026-03-01 04:30 UTC
        ("2026-03-31T20:00:00-08:00", 0.3, 0),  # 2026-04-01 04:00 UTC
        ("2026-03-15T12:00:00+00:00", 0.2, 0),  # 2026-03-15 12:00 UTC
    ]
    path.write_text("ts,score,y\n" + "".join(f"{t},{s},{y}\n" for t, s, y in rows), encoding="utf-8")
    tokyo = _run_with_tz("Asia/Tokyo", path, "--from", "2026-02-01")
    los_angeles = _run_with_tz("America/Los_Angeles", path, "--from", "2026-02-01")
    assert tokyo == los_angeles
    block = tokyo["periods"]
    assert block["time_zone"] == "UTC" and block["form"] == "timestamp_tz"
    assert [(r["key"], r["rows"]) for r in block["rows"]] == [
        ("2026-02-01", 1),
        ("2026-03-01", 2),
        ("2026-04-01", 1),
    ]


def test_bank_reports_list_months_in_calendar_order_and_say_year_not_given(bank, tmp_path, capsys):
    import openpyxl
    from pypdf import PdfReader

    xlsx, pdf = tmp_path / "bank.xlsx", tmp_path / "bank.pdf"
    code = main([
        "report", str(BANK), "--score", "p_subscribe", "--label", "subscribed", "--positive", "yes",
        *BANK_PAYOFF, "--time", "campaign_month", "--period", "month", "--currency", "EUR",
        "--xlsx", str(xlsx), "--pdf", str(pdf),
    ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    ws = openpyxl.load_workbook(xlsx)["Trend"]
    keys = [ws.cell(row, 1).value for row in range(6, 18)]
    assert keys == CALENDAR
    assert "month names, year not given" in ws.cell(3, 1).value
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages)
    assert "Periods by month of 'campaign_month': month names, year not given" in text
    # The min and max of month names ("apr", "sep") are no date range: page 1 shows none.
    assert "apr to sep" not in text


def test_a_parquet_file_s_own_zone_forms_the_periods_whatever_the_machine_zone(tmp_path):
    path = tmp_path / "tokyo.parquet"
    local = ["2026-01-31 23:30", "2026-02-01 00:30", "2026-02-28 08:00", "2026-03-01 08:00"]
    pd.DataFrame(
        {
            "ts": pd.to_datetime(local).tz_localize("Asia/Tokyo"),
            "score": [0.9, 0.8, 0.4, 0.2],
            "y": [1, 0, 1, 0],
        }
    ).to_parquet(path)
    tokyo = _run_with_tz("Asia/Tokyo", path)
    los_angeles = _run_with_tz("America/Los_Angeles", path)
    assert tokyo == los_angeles
    block = tokyo["periods"]
    assert block["time_zone"] == "Asia/Tokyo" and tokyo["mapping"]["time_zone"] == "Asia/Tokyo"
    # Tokyo's own months (the file says Asia/Tokyo), not UTC's: 2026-02-01 00:30 JST is Jan 31 in UTC.
    assert [(r["key"], r["rows"]) for r in block["rows"]] == [
        ("2026-01-01", 1),
        ("2026-02-01", 2),
        ("2026-03-01", 1),
    ]
    in_utc = _run_with_tz("America/Los_Angeles", path, "--time-zone", "utc")["periods"]
    assert in_utc["time_zone"] == "UTC"
    assert [(r["key"], r["rows"]) for r in in_utc["rows"]] == [("2026-01-01", 2), ("2026-02-01", 2)]
