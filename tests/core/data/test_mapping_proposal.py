"""The mapping proposal: guessed from column names, types and distinct counts (and the CLI fills gaps from it)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from roistudio.cli.main import main
from roistudio.core.data.importer import import_file
from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.data.mapping_proposal import propose_for_table, propose_mapping
from tests.helpers import REPO, TEST_DATA

DATA = TEST_DATA
DEMO = REPO / "resources" / "demo" / "card_fraud_predictions.parquet"


def _proposal(path: Path) -> ColumnMapping:
    con = duckdb.connect()
    import_file(con, path, table="data")
    proposal = propose_for_table(con, "data")
    assert proposal.mapping is not None
    return proposal.mapping


def test_proposes_the_demo_mapping():
    m = _proposal(DEMO)
    assert (m.score, m.challenger_score, m.label, m.id, m.timestamp) == (
        "champion_score", "challenger_score", "is_fraud", "transaction_id", "event_time",
    )  # fmt: skip
    assert m.segments == ("channel", "region")
    assert m.money == ("amount",)


def test_proposes_the_bank_mapping_without_a_text_month_as_time():
    m = _proposal(DATA / "bank_marketing_scored.csv")
    assert (m.score, m.label, m.id, m.timestamp) == ("p_subscribe", "subscribed", "client_id", None)
    assert set(m.segments) == {"campaign_month", "job", "contact_channel"}
    assert m.money == ("balance_eur",)


def test_no_proposal_without_a_numeric_score():
    assert propose_mapping({"name": "VARCHAR", "city": "VARCHAR"}, {"name": 100, "city": 5}).mapping is None


def test_cli_fills_only_missing_options_from_the_proposal(capsys):
    bank = str(DATA / "bank_marketing_scored.csv")
    assert main(["sweep", bank, "--positive", "yes", "--tp=-1", "--fp=-1", "--fn=-5"]) == 0
    err = capsys.readouterr().err
    assert "roistudio: using the proposed mapping: --score p_subscribe --label subscribed" in err
    # An explicit option wins over the proposal.
    assert main(["sweep", bank, "--score", "balance_eur", "--raw-scores", "--positive", "yes", "--tp=1"]) == 0
    err = capsys.readouterr().err
    assert "--label subscribed" in err and "--score" not in err


def test_currency_is_guessed_from_money_column_names():
    from roistudio.core.data.mapping_proposal import guess_currency

    assert guess_currency(["balance_eur"]) == "EUR"
    assert guess_currency(["Transaction Amount (€)"]) == "EUR"
    assert guess_currency(["amount_gbp", "fee"]) == "GBP"
    assert guess_currency(["amount"]) is None
    assert guess_currency(["europe_share"]) is None  # a word, not a currency
