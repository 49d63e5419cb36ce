"""The bundled demo data: its file, its generator, and the money story it is meant to tell.

The money checks use a plain numpy oracle (sort by score, cumulative sum of per-row payoffs) written
here from the documented formulas, independent of the app's DuckDB sweep. Its results for the committed
file are pinned below (``EXPECTED``) so the sweep can be checked against them to the cent.
"""

from __future__ import annotations

import importlib.util

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from roistudio.core.errors import DataError
from roistudio.core.project import demo
from tests.helpers import REPO, demo_row_payoffs

REPO = REPO
DEMO_FILE = REPO / "resources" / "demo" / "card_fraud_predictions.parquet"

# Numpy-oracle results on the committed file (labelled rows only), in USD.
EXPECTED = {
    "flag_nobody": -349_007.59,
    "champion_score": {"threshold": 0.0552, "flagged": 6_877, "value": -192_574.86},
    "challenger_score": {"threshold": 0.0647, "flagged": 5_047, "value": -159_120.11},
}

SCHEMA = pa.schema(
    [
        ("transaction_id", pa.string()),
        ("event_time", pa.timestamp("us")),
        ("amount", pa.float64()),
        ("channel", pa.string()),
        ("region", pa.string()),
        ("champion_score", pa.float64()),
        ("challenger_score", pa.float64()),
        ("is_fraud", pa.int8()),
    ]
)


def _load_generator():
    path = REPO / "scripts" / "make_demo_data.py"
    spec = importlib.util.spec_from_file_location("make_demo_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pd.read_parquet(DEMO_FILE)


@pytest.fixture(scope="module")
def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["is_fraud"].notna()]


def best_threshold(score: np.ndarray, positive: np.ndarray, pay: dict[str, np.ndarray]):
    """Oracle optimum: (threshold or None for flag nobody, rows flagged, value).

    Flagging is ``score >= t``; candidates are every distinct score and "flag nobody"; ties go to the
    higher threshold.
    """
    nobody = np.where(positive, pay["fn"], pay["tn"]).sum()
    order = np.argsort(-score, kind="stable")
    sorted_score = score[order]
    gain = np.where(positive, pay["tp"] - pay["fn"], pay["fp"] - pay["tn"])[order]
    value = nobody + np.cumsum(gain)
    group_end = np.r_[sorted_score[1:] != sorted_score[:-1], True]  # all tied rows flip together
    value, flagged, threshold = value[group_end], np.flatnonzero(group_end) + 1, sorted_score[group_end]
    best = int(np.argmax(value))  # first maximum = highest threshold
    if value[best] <= nobody:
        return None, 0, float(nobody)
    return float(threshold[best]), int(flagged[best]), float(value[best])


def test_oracle_on_a_hand_worked_case():
    # Rows (score, fraud, amount): (0.9, 1, 100), (0.8, 0, 50), (0.8, 1, 20), (0.3, 0, 10).
    # Per-row: tp = -0.15 a - 4.5, fp = -6.5, fn = -a - 15. Nobody: -115 - 35 = -150.
    # t=0.9: -19.5 - 35 = -54.5; t=0.8: -19.5 - 6.5 - 7.5 = -33.5; t=0.3: -33.5 - 6.5 = -40.
    score = np.array([0.9, 0.8, 0.8, 0.3])
    positive = np.array([True, False, True, False])
    pay = demo_row_payoffs(np.array([100.0, 50.0, 20.0, 10.0]), demo.DEMO_PARAMETERS)
    assert best_threshold(score, positive, pay) == (0.8, 3, pytest.approx(-33.5))


def test_file_schema_and_size():
    assert DEMO_FILE.stat().st_size < 3_000_000
    assert pq.read_schema(DEMO_FILE).remove_metadata() == SCHEMA


def test_rows_ids_and_time_span(frame):
    assert len(frame) == 200_000
    assert frame["transaction_id"].is_unique
    assert frame["transaction_id"].str.fullmatch(r"T\d{7}").all()
    assert frame["event_time"].is_monotonic_increasing
    assert frame["event_time"].min() >= pd.Timestamp("2025-12-01")
    assert frame["event_time"].max() < pd.Timestamp("2026-12-01")
    assert frame["event_time"].dt.to_period("M").nunique() == 12
    assert set(frame["channel"]) == {"card_present", "online", "mobile_app", "phone"}
    assert set(frame["region"]) == {"North", "South", "East", "West", "International"}


def test_last_month_unlabelled_and_the_rest_labelled(frame):
    unknown = frame["is_fraud"].isna()
    in_last_month = frame["event_time"] >= pd.Timestamp("2026-11-01")
    assert (unknown == in_last_month).all()
    assert set(frame.loc[~unknown, "is_fraud"].astype(int)) == {0, 1}


def test_fraud_rate_within_documented_range(labelled):
    # README: 1-2 % overall, every labelled month between 0.8 % and 2.5 %.
    assert 0.01 <= labelled["is_fraud"].mean() <= 0.02
    monthly = labelled.groupby(labelled["event_time"].dt.to_period("M"))["is_fraud"].mean()
    assert monthly.between(0.008, 0.025).all()
    assert monthly.max() - monthly.min() > 0.004  # the documented seasonal drift


def test_amounts_and_scores_are_rounded_and_in_range(frame):
    amount = frame["amount"]
    assert amount.min() >= 1.0
    assert 35 <= amount.median() <= 60
    assert 1_000 <= amount.max() <= 10_000
    np.testing.assert_allclose(np.round(amount, 2), amount, rtol=0, atol=1e-9)
    for column in ("champion_score", "challenger_score"):
        score = frame[column].to_numpy()
        assert score.min() >= 0.0 and score.max() <= 1.0
        np.testing.assert_allclose(np.round(score, 4), score, rtol=0, atol=1e-12)


def test_duckdb_reads_the_file_as_the_app_will():
    with duckdb.connect() as connection:
        row = connection.execute(
            "SELECT typeof(any_value(is_fraud)), typeof(any_value(event_time)), count(*), count(is_fraud) "
            "FROM read_parquet(?)",
            [DEMO_FILE.as_posix()],
        ).fetchone()
    assert row == ("TINYINT", "TIMESTAMP", 200_000, 181_544)


def test_committed_file_matches_the_generator(tmp_path, frame):
    generator = _load_generator()
    assert generator.OUTPUT_NAME == demo.DEMO_FILE_NAME
    assert generator.DEFAULT_OUTPUT == DEMO_FILE
    out = tmp_path / demo.DEMO_FILE_NAME
    generator.write(generator.generate(), out)
    pd.testing.assert_frame_equal(pd.read_parquet(out), frame)


def test_challenger_beats_champion_beats_flagging_nobody(labelled):
    defaults = demo.demo_defaults()
    positive = labelled["is_fraud"].to_numpy(dtype=int) == 1
    pay = demo_row_payoffs(labelled["amount"].to_numpy(), defaults.parameters)
    nobody = np.where(positive, pay["fn"], pay["tn"]).sum()
    everyone = np.where(positive, pay["tp"], pay["fp"]).sum()
    assert nobody > everyone  # flag nobody is the better baseline
    assert nobody == pytest.approx(EXPECTED["flag_nobody"], abs=0.005)

    results = {}
    for column in (defaults.score, defaults.challenger_score):
        threshold, flagged, value = best_threshold(labelled[column].to_numpy(), positive, pay)
        expected = EXPECTED[column]
        assert threshold == expected["threshold"]
        assert flagged == expected["flagged"]
        assert value == pytest.approx(expected["value"], abs=0.005)
        assert 0.01 <= flagged / len(labelled) <= 0.06  # "a few percent" of rows flagged
        results[column] = value - nobody

    champion, challenger = results[defaults.score], results[defaults.challenger_score]
    assert champion > 0
    assert 1.10 <= challenger / champion <= 1.30


def test_defaults_describe_the_file(frame):
    defaults = demo.demo_defaults()
    columns = set(frame.columns)
    used = {defaults.score, defaults.challenger_score, defaults.label, defaults.id, defaults.timestamp}
    assert used | set(defaults.segments) | set(defaults.money) <= columns
    assert defaults.payoff == {
        "tp": "-amount * (1 - recovery_rate) - review_cost",
        "fp": "-review_cost - friction_cost",
        "tn": "0",
        "fn": "-amount - chargeback_fee",
    }
    assert defaults.parameters == {
        "recovery_rate": 0.85,
        "review_cost": 4.5,
        "friction_cost": 2.0,
        "chargeback_fee": 15.0,
    }
    assert defaults.mapping_fields()["challenger_score"] == "challenger_score"


def test_defaults_hand_out_copies():
    first = demo.demo_defaults()
    first.parameters["review_cost"] = 99.0
    first.payoff["tn"] = "1"
    assert demo.demo_defaults().parameters["review_cost"] == 4.5
    assert demo.DEMO_PAYOFF["tn"] == "0"


def test_demo_data_path_found_from_the_checkout(monkeypatch):
    monkeypatch.delenv(demo.RESOURCES_ENV, raising=False)
    assert demo.resources_dir() == REPO / "resources"
    assert demo.demo_data_path() == DEMO_FILE


def test_environment_variable_overrides_the_resources_folder(monkeypatch, tmp_path):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / demo.DEMO_FILE_NAME).write_bytes(b"")
    monkeypatch.setenv(demo.RESOURCES_ENV, str(tmp_path))
    assert demo.resources_dir() == tmp_path
    assert demo.demo_data_path() == tmp_path / "demo" / demo.DEMO_FILE_NAME


def test_environment_variable_naming_no_folder_is_reported(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(demo.RESOURCES_ENV, str(missing))
    with pytest.raises(DataError) as caught:
        demo.resources_dir()
    assert (
        str(caught.value) == f"ROISTUDIO_RESOURCES={missing} is not a folder; point it at the app's resources"
    )


def test_missing_demo_file_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv(demo.RESOURCES_ENV, str(tmp_path))
    with pytest.raises(DataError) as caught:
        demo.demo_data_path()
    expected = tmp_path / "demo" / demo.DEMO_FILE_NAME
    assert str(caught.value) == (
        f"demo data not found at {expected}; set ROISTUDIO_RESOURCES or run from a source checkout"
    )


def test_no_resources_folder_is_reported(monkeypatch, tmp_path):
    monkeypatch.delenv(demo.RESOURCES_ENV, raising=False)
    monkeypatch.setattr(demo, "_candidate_resource_dirs", lambda: [tmp_path / "resources"])
    with pytest.raises(DataError) as caught:
        demo.resources_dir()
    assert str(caught.value) == "demo data not found; set ROISTUDIO_RESOURCES or run from a source checkout"
