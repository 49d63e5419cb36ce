"""`roistudio report --json`: the sweep's JSON for the analysis behind the report, and page 1
carrying the interval, the verdict and the covered span read from that JSON."""

from __future__ import annotations

import json
import os

import pytest
from pypdf import PdfReader

from roistudio.charts.breakdown import period_label
from roistudio.cli.main import main
from roistudio.core.money import format_money

OPTIONS = ["--demo", "--bootstrap", "200", "--seed", "7"]


def _without_import_times(doc: dict) -> dict:
    """The document minus what differs between two imports of one file (when, how long)."""
    doc = json.loads(json.dumps(doc))
    for block in (doc["source"], doc["source"].get("source", {})):
        block.pop("imported_at", None)
        block.pop("seconds", None)
    return doc


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report_json")
    report_json, sweep_json, pdf = folder / "report.json", folder / "sweep.json", folder / "report.pdf"
    assert main(["report", *OPTIONS, "--pdf", str(pdf), "--json", str(report_json)]) == 0
    assert main(["sweep", *OPTIONS, "--json", str(sweep_json)]) == 0
    page = " ".join(PdfReader(pdf).pages[0].extract_text().split())
    return json.loads(report_json.read_text()), json.loads(sweep_json.read_text()), page, folder


def test_report_json_is_the_sweep_json_for_the_same_inputs(demo_run):
    report_doc, sweep_doc, _, _ = demo_run
    assert "uncertainty" in report_doc and "coverage" in report_doc
    assert _without_import_times(report_doc) == _without_import_times(sweep_doc)


def test_page_one_carries_the_interval_verdict_and_span_of_the_json(demo_run):
    doc, _, page, _ = demo_run
    currency = "USD"  # the demo's
    vm = doc["uncertainty"]["value_of_model"]
    interval = f"{format_money(vm['low'], currency)} to {format_money(vm['high'], currency)}"
    assert f"What the model adds: {interval} (90% interval, 200 bootstrap resamples" in page
    assert doc["recommendation"]["challenger_verdict"] == "promote"
    challenger = doc["comparison"]["challenger"]
    assert f"Promote {challenger}:" in page
    assert (
        f"beat it in {doc['uncertainty']['comparison']['p_challenger_better']:.0%} of 200 resamples" in page
    )
    cover = doc["coverage"]
    first, last = period_label(cover["first"], "month"), period_label(cover["last"], "month")
    assert (first, last) == ("Dec 2025", "Oct 2026")
    assert f"labelled {first} to {last}" in page
    assert f"over {first} to {last} ({cover['months']:g} months)" in page
    # The unlabelled month is left out of the span, and the estimate box is not cut short.
    assert "2026-11-30" not in page
    assert "It is not included in the figures above." in page


def test_report_json_to_stdout_holds_the_json_alone(capsys, tmp_path):
    assert main(["report", *OPTIONS, "--bootstrap", "0", "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["recommendation"]["challenger_verdict"] is None


def test_report_json_refuses_a_write_protected_file_without_force(capsys, tmp_path):
    target = tmp_path / "r.json"
    target.write_text("mine")
    os.chmod(target, 0o444)
    assert main(["report", *OPTIONS, "--bootstrap", "0", "--json", str(target)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"roistudio report: {target} is write-protected; pass --force to replace it"
    )
    assert target.read_text() == "mine"
    assert main(["report", *OPTIONS, "--bootstrap", "0", "--json", str(target), "--force"]) == 0
    assert json.loads(target.read_text())["rows"] > 0


def test_report_json_and_pdf_on_one_path_are_refused(capsys, tmp_path):
    target = tmp_path / "same"
    assert main(["report", *OPTIONS, "--pdf", str(target), "--json", str(target)]) == 2
    assert "same" in capsys.readouterr().err
    assert not target.exists()
