"""`roistudio sweep --calibration`: the label-delay JSON contract, checked against scikit-learn."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss

from roistudio.cli.main import main
from roistudio.core.project.demo import demo_data_path, demo_defaults
from tests.helpers import demo_row_payoffs

CALIBRATION_KEYS = {"method", "fitted_on_rows", "brier", "brier_calibrated", "ece", "bins"}
ESTIMATE_KEYS = {"rows", "method", "tp", "fp", "tn", "fn", "value", "low", "high"}


def _sweep_json(capsys, *args: str) -> dict:
    code = main(["sweep", *args, "--json", "-"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


@pytest.fixture(scope="module")
def demo_frame() -> pd.DataFrame:
    return pd.read_parquet(demo_data_path())


def test_demo_estimate_matches_a_row_level_computation(capsys, demo_frame):
    doc = _sweep_json(capsys, "--demo")
    cal, est = doc["calibration"], doc["unlabeled_estimate"]
    assert set(cal) >= CALIBRATION_KEYS
    assert set(est) >= ESTIMATE_KEYS
    assert set(cal["bins"][0]) == {"mean_score", "observed_rate", "rows"}
    assert cal["method"] == est["method"] == "isotonic"

    defaults = demo_defaults()
    score, label = demo_frame[defaults.score].to_numpy(float), demo_frame[defaults.label]
    known = label.notna().to_numpy()
    y = label[known].to_numpy(float) == 1
    assert cal["fitted_on_rows"] == known.sum()
    assert cal["brier"] == pytest.approx(brier_score_loss(y, score[known]), rel=1e-9)
    iso = IsotonicRegression(out_of_bounds="clip").fit(score[known], y.astype(float))
    assert cal["brier_calibrated"] == pytest.approx(brier_score_loss(y, iso.predict(score[known])), rel=1e-9)

    # Row by row: each unlabelled row's expected payoff at the operating threshold.
    threshold = doc["operating"]["threshold"]
    s = score[~known]
    p = iso.predict(s)
    pay = demo_row_payoffs(demo_frame["amount"].to_numpy(float)[~known], dict(defaults.parameters))
    flagged = s >= threshold
    if_pos, if_neg = np.where(flagged, pay["tp"], pay["fn"]), np.where(flagged, pay["fp"], pay["tn"])
    value = np.sum(p * if_pos + (1 - p) * if_neg)
    std = np.sqrt(np.sum(p * (1 - p) * (if_pos - if_neg) ** 2))
    assert est["rows"] == (~known).sum()
    assert est["value"] == pytest.approx(value, rel=1e-9)
    assert est["tp"] == pytest.approx(np.sum(p[flagged]), rel=1e-9)
    assert est["tn"] == pytest.approx(np.sum(1 - p[~flagged]), rel=1e-9)
    assert est["high"] - est["value"] == pytest.approx(1.6448536269514722 * std, rel=1e-6)

    # Every period carries its estimate; the last month, not yet labelled, shows only that.
    rows = doc["periods"]["rows"]
    assert all({"estimated_value", "estimated_low", "estimated_high"} <= set(r) for r in rows)
    last = rows[-1]
    assert last["labels_known"] is False
    assert last["estimated_value"] == pytest.approx(est["value"])
    assert last["estimated_low"] < last["estimated_value"] < last["estimated_high"]


def test_demo_summary_shows_the_last_month_estimate(capsys):
    assert main(["sweep", "--demo", "--calibration", "platt"]) == 0
    out = capsys.readouterr().out
    assert "Calibration: platt on 181,544 labelled rows; Brier score 0.0119 raw" in out
    assert "2026-11-01 (labels not yet known): estimated value -" in out


def test_calibration_options(capsys):
    doc = _sweep_json(capsys, "--demo", "--calibration", "none")
    assert doc["calibration"]["method"] == doc["unlabeled_estimate"]["method"] == "none"
    assert doc["calibration"]["brier"] == doc["calibration"]["brier_calibrated"]
    doc = _sweep_json(capsys, "--demo", "--calibration-periods", "2")
    assert doc["calibration"]["fitted_on_periods"] == ["2026-09-01", "2026-10-01"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--demo", "--raw-scores", "--calibration", "none"],
            "--calibration none takes the scores as probabilities, but --raw-scores are margins or "
            "logits; use --calibration isotonic or platt",
        ),
        (["--demo", "--calibration-periods", "0"], "--calibration-periods expects a positive number, got 0"),
    ],
)
def test_bad_calibration_options_fail_in_one_line(capsys, args, message):
    assert main(["sweep", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"roistudio sweep: {message}"
