"""Payoff presets: each parses, means what its description says, and adopts the user's money column."""

from __future__ import annotations

import duckdb
import pytest

from roistudio.core.payoff.language import OUTCOMES, parse_payoff
from roistudio.core.payoff.presets import PRESETS, apply_preset, find_money_column


def _row_value(payoff, outcome: str, money_column: str, amount: float) -> float:
    """Evaluate one outcome's compiled SQL on a one-row table (independent of the sweep)."""
    compiled = payoff.compile(outcome, prefix="t_")
    con = duckdb.connect()
    con.execute(f'CREATE TABLE r AS SELECT CAST({amount} AS DOUBLE) AS "{money_column}"')
    return con.execute(f"SELECT {compiled.sql} FROM r", compiled.params).fetchone()[0]


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_parses_against_its_money_column(name):
    preset = PRESETS[name]
    columns = {preset.money_hint: "DOUBLE", "score": "DOUBLE", "label": "INTEGER"}
    expressions, parameters = apply_preset(preset, columns)
    payoff = parse_payoff(expressions, parameters, columns)
    assert payoff.columns_used() == {preset.money_hint}
    assert payoff.parameters_used() == set(preset.parameters)
    assert set(expressions) == set(OUTCOMES)


# Hand-worked per-row values at the documented default parameters, for a money amount of 1,000.
HAND_WORKED = {
    # -1000 * (1 - 0.85) - 4.50 = -154.50; -4.50 - 2 = -6.50; -1000 - 15 = -1015
    "Fraud review": {"tp": -154.50, "fp": -6.50, "tn": 0.0, "fn": -1015.0},
    # 1000 * 0.25 - 50 = 200; the offer given away = -50
    "Churn retention offer": {"tp": 200.0, "fp": -50.0, "tn": 0.0, "fn": 0.0},
    # approve a good loan: 1000 * 8% = 80; approve a defaulter: -1000 * 45% = -450
    "Credit approval": {"tp": 0.0, "fp": 0.0, "tn": 80.0, "fn": -450.0},
    # 1000 * 30% - 1.50 = 298.50; a wasted contact = -1.50
    "Marketing contact": {"tp": 298.50, "fp": -1.50, "tn": 0.0, "fn": 0.0},
}


@pytest.mark.parametrize("name", sorted(HAND_WORKED))
def test_preset_values_match_the_documented_cost_model(name):
    preset = PRESETS[name]
    columns = {"my money": "DECIMAL(12,2)"}
    expressions, parameters = apply_preset(preset, columns, money_column="my money")
    payoff = parse_payoff(expressions, parameters, columns)
    for outcome, expected in HAND_WORKED[name].items():
        assert _row_value(payoff, outcome, "my money", 1000.0) == pytest.approx(expected, abs=1e-9), outcome


def test_user_column_replaces_the_placeholder_as_a_whole_word():
    expressions, parameters = apply_preset(
        PRESETS["Fraud review"], {"Txn Amount": "DOUBLE", "channel": "VARCHAR"}
    )
    assert expressions["tp"] == "-`Txn Amount` * (1 - recovery_rate) - review_cost"
    assert expressions["fn"] == "-`Txn Amount` - chargeback_fee"
    assert parameters == PRESETS["Fraud review"].parameters
    # The module constant is not modified.
    assert PRESETS["Fraud review"].expressions["fn"] == "-amount - chargeback_fee"


def test_explicit_money_column_wins_over_the_guess():
    columns = {"amount": "DOUBLE", "customer_ltv": "DOUBLE"}
    expressions, _ = apply_preset(PRESETS["Churn retention offer"], columns, money_column="amount")
    assert expressions["tp"] == "amount * save_rate - offer_cost"
    assert find_money_column(PRESETS["Churn retention offer"], columns) == "customer_ltv"


def test_text_columns_are_never_taken_as_money():
    assert (
        find_money_column(PRESETS["Marketing contact"], {"order_value": "VARCHAR", "balance_eur": "BIGINT"})
        == "balance_eur"
    )


def test_without_a_money_column_the_amount_becomes_a_parameter():
    preset = PRESETS["Credit approval"]
    columns = {"score": "DOUBLE", "region": "VARCHAR"}
    expressions, parameters = apply_preset(preset, columns)
    assert expressions["tn"] == "avg_loan_amount * net_margin"
    assert parameters["avg_loan_amount"] == preset.money_default
    payoff = parse_payoff(expressions, parameters, columns)
    assert payoff.columns_used() == set()
