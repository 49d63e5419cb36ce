"""A starting project for imported data: example payoff, ranges, currency and period."""

from __future__ import annotations

from roistudio.core.data.importer import ImportReport
from roistudio.core.data.loading import ImportResult
from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.data.provenance import SourceInfo
from roistudio.core.project.defaults import (
    DEFAULT_PARAMETERS,
    DEFAULT_PAYOFF,
    default_ranges,
    project_for_demo,
    project_for_import,
    suggested_payoff,
)
from roistudio.core.project.project import Project


def test_ranges_are_half_to_one_and_a_half_times_and_zero_gets_minus_one_to_one():
    assert default_ranges({"a": 10.0, "b": -4.0, "c": 0.0}) == {
        "a": (5.0, 15.0),
        "b": (-6.0, -2.0),
        "c": (-1.0, 1.0),
    }


def test_a_money_column_gives_a_per_row_payoff_else_flat_amounts():
    with_money = ColumnMapping("score", "label", money=("2nd amount", "balance_eur"))
    assert suggested_payoff(with_money.money) == (
        {"tp": "balance_eur - review_cost", "fp": "-review_cost", "tn": "0", "fn": "-balance_eur"},
        {"review_cost": 10.0},
    )  # the first money column usable as a name
    assert suggested_payoff(ColumnMapping("score", "label").money) == (DEFAULT_PAYOFF, DEFAULT_PARAMETERS)


def _result(table: str = "import_1") -> ImportResult:
    source = SourceInfo(
        path="/data/bank.csv", name="bank.csv", size=10, sha256="ab" * 32, modified="2026-01-01T00:00:00"
    )
    report = ImportReport(
        source=source, table=table, format="csv", rows=3, rejected_count=0, rejected=(),
        columns=(("score", "DOUBLE"),), encoding="utf-8", delimiter=",", decimal=".",
        imported_at="2026-01-01T00:00:00", seconds=0.1,
    )  # fmt: skip
    return ImportResult(report, {})


def test_project_for_import_uses_the_source_table_currency_and_period():
    mapping = ColumnMapping("score", "label", money=("balance_eur",), timestamp="at")
    project = project_for_import(_result(), mapping)
    assert project.sources[0].table == "import_1" and project.sources[0].name == "bank.csv"
    assert project.mapping == mapping and project.payoff_suggested
    assert project.currency == "EUR" and project.period == "month"
    assert project.ranges == {"review_cost": (5.0, 15.0)}
    no_time = project_for_import(_result(), ColumnMapping("score", "label"))
    assert no_time.period is None and no_time.currency == Project().currency


def test_the_demo_project_is_the_demo_mapping_and_payoff_on_the_imported_table_not_suggested():
    project = project_for_demo(_result("demo_table"))
    assert project.sources[0].table == "demo_table"
    assert project.mapping == ColumnMapping(
        "champion_score", "is_fraud", positive="1", challenger_score="challenger_score",
        id="transaction_id", timestamp="event_time", segments=("channel", "region"), money=("amount",),
    )  # fmt: skip
    assert project.payoff["fn"] == "-amount - chargeback_fee" and not project.payoff_suggested
    assert project.ranges == default_ranges(project.parameters)
    assert (project.currency, project.period) == ("USD", "month")
    assert project.title == "Card fraud review: model value report"
