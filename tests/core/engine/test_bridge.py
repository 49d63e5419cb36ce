"""The value bridge: its steps add up to the operating value, checked row by row on real data.

Expected figures are computed here from the rows with numpy: each step is the payoff change of
the rows whose outcome changes (FN -> TP and TN -> FP from flag nobody; TP -> FN and FP -> TN
from flag everyone), never from the curve's cumulative sums the bridge reads.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from roistudio.core.data.importer import import_file
from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.engine.bridge import Bridge, BridgeStep, value_bridge
from roistudio.core.engine.constraints import Constraints
from roistudio.core.payoff.language import parse_payoff
from tests.helpers import TEST_DATA

DATA = TEST_DATA / "bank_marketing_scored.csv"
C, R, D = 1.0, 0.02463333, 0.25
BANK_PAYOFF = {"tp": "-c", "fp": "-c", "tn": "0", "fn": "-max(r * d * balance_eur, c)"}


@pytest.fixture(scope="module")
def bank():
    con = duckdb.connect()
    import_file(con, DATA, table="data")
    frame = pd.read_csv(DATA, dtype={"client_id": str})
    return con, frame


def _analyse(con, payoff: dict, **request):
    parsed = parse_payoff(payoff, {"c": C, "r": R, "d": D}, table_columns(con, "data"))
    mapping = ColumnMapping(score="p_subscribe", label="subscribed", positive="yes")
    return analyse(con, "data", AnalysisRequest(mapping=mapping, payoff=parsed, **request)).champion


def _bank_row_payoffs(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    n = len(frame)
    return {
        "tp": np.full(n, -C),
        "fp": np.full(n, -C),
        "tn": np.zeros(n),
        "fn": -np.maximum(R * D * frame.balance_eur.to_numpy(), C),
    }


def test_bank_bridge_starts_at_calling_everyone_and_adds_up_row_by_row(bank):
    con, frame = bank
    model = _analyse(con, BANK_PAYOFF)
    assert model.better_baseline.kind == "flag_everyone"  # the bank's better baseline: call everyone
    bridge = value_bridge(model)
    p = _bank_row_payoffs(frame)
    y = (frame.subscribed == "yes").to_numpy()
    flagged = frame.p_subscribe.to_numpy() >= model.operating.threshold
    everyone = float(np.sum(np.where(y, p["tp"], p["fp"])))
    with_model = float(
        np.sum(np.where(y, np.where(flagged, p["tp"], p["fn"]), np.where(flagged, p["fp"], p["tn"])))
    )
    misses = y & ~flagged  # positives no longer called: TP -> FN
    saved = ~y & ~flagged  # negatives no longer called: FP -> TN
    assert bridge.start_label == "flag everyone"
    assert bridge.start == pytest.approx(everyone, abs=1e-6)
    assert bridge.end == pytest.approx(with_model, abs=1e-6)
    misses_step, saved_step = bridge.steps
    assert (misses_step.label, misses_step.change) == ("misses added", "TP \u2192 FN")
    assert misses_step.rows == int(misses.sum())
    assert misses_step.value == pytest.approx(float(np.sum(p["fn"][misses] - p["tp"][misses])), abs=1e-6)
    assert (saved_step.label, saved_step.change) == ("false alarms saved", "FP \u2192 TN")
    assert saved_step.rows == int(saved.sum())
    assert saved_step.value == pytest.approx(float(np.sum(p["tn"][saved] - p["fp"][saved])), abs=1e-6)
    # The bars add up: start plus both steps is the with-model value.
    assert bridge.start + misses_step.value + saved_step.value == pytest.approx(with_model, abs=1e-6)
    start, (a, b), end = bridge.rounded(0)
    assert start + a + b == end == round(with_model)


def test_from_flag_nobody_the_steps_are_catches_and_false_alarms(bank):
    con, frame = bank
    # A subscriber earns 5 a call; calling everyone loses money, so doing nothing is the baseline.
    payoff = {"tp": "5 - c", "fp": "-c", "tn": "0", "fn": "0"}
    model = _analyse(con, payoff, threshold=0.3, use_threshold=True)
    assert model.better_baseline.kind == "flag_nobody"
    bridge = value_bridge(model)
    y = (frame.subscribed == "yes").to_numpy()
    flagged = frame.p_subscribe.to_numpy() >= 0.3
    caught, alarms = y & flagged, ~y & flagged
    assert bridge.start_label == "flag nobody" and bridge.start == 0.0
    assert bridge.steps[0] == BridgeStep("missed positives caught", "FN \u2192 TP", int(caught.sum()),
                                         pytest.approx(4.0 * caught.sum()))  # fmt: skip
    assert bridge.steps[1] == BridgeStep("false alarms added", "TN \u2192 FP", int(alarms.sum()),
                                         pytest.approx(-1.0 * alarms.sum()))  # fmt: skip
    assert bridge.end == pytest.approx(4.0 * caught.sum() - alarms.sum())
    assert (bridge.end_label, bridge.threshold) == ("with the model", 0.3)


def test_a_capacity_baseline_bridges_from_flag_nobody(bank):
    con, _ = bank
    model = _analyse(con, BANK_PAYOFF, constraints=Constraints(max_flagged=500))
    assert model.better_baseline.kind == "flag_random"
    assert value_bridge(model).start_label == "flag nobody"


@pytest.mark.parametrize(
    ("start", "steps", "end"),
    [
        (-349007.59, (190823.59, -34391.0), -192575.0),  # exact to the cent: rounds to -192,575
        (0.4, (0.4, 0.4), 1.2),  # each rounds to 0, the sum to 1: the second step takes the unit
        (-22606.0, (-9654.5, 17931.19), -14329.31),
    ],
)
def test_rounded_figures_add_up_as_printed(start, steps, end):
    bridge = Bridge("flag nobody", start, tuple(BridgeStep("s", "", 0, v) for v in steps), "end", end)
    r_start, (a, b), r_end = bridge.rounded(0)
    assert r_start + a + b == r_end
    assert (r_start, r_end) == (round(start), round(end))
    assert abs(a - steps[0]) <= 0.5 and abs(b - steps[1]) <= 1.5
