"""The app's export and ``roistudio report`` build the same report model from the same data and settings."""

from __future__ import annotations

import dataclasses

import pytest

import roistudio.reports.xlsx as xlsx
from roistudio.cli.main import main
from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.project.defaults import default_ranges
from roistudio.gui.document import ImportResult, ProjectDocument, import_data
from roistudio.gui.export_actions import Exporter
from tests.gui.conftest import small_frame

pytestmark = pytest.mark.gui

MAPPING = ColumnMapping(
    "fraud_score", "is_fraud", positive="1", timestamp="event_time", segments=("channel",)
)  # fmt: skip
CLI_OPTIONS = [
    "--score", "fraud_score", "--label", "is_fraud", "--positive", "1", "--time", "event_time",
    "--period", "month", "--segment", "channel",
    # The app's starting payoff for data without a money column (gui.document.DEFAULT_PAYOFF).
    "--tp", "value_caught - review_cost", "--fp", "-review_cost", "--tn", "0", "--fn", "0",
    "--param", "value_caught=100", "--param", "review_cost=10",
    "--title", "Fraud review", "--currency", "EUR",
]  # fmt: skip


def _rounded(value):
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def _comparable(model) -> dict:
    """Every field a reader sees, the analysis by its figures (the two runs hold different objects)."""
    fields = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}
    fields.pop("created")
    # Intervals, verdict and sensitivity by their figures (the sensitivity may come from cached
    # column sums in one run and from a scan in the other: equal up to float rounding).
    fields["decision"] = _rounded(fields["decision"].to_json_blocks())
    fields.pop("run_id")  # one id per built model by design (it tells two runs' files apart)
    analysis = fields.pop("analysis")
    linear = fields.pop("linear")
    ld = fields.pop("label_delay")  # compared by what the reports show of it
    threshold = analysis.operating.threshold
    fields["label_delay"] = (
        ld.calibration.to_dict(),
        ld.unlabeled_at(threshold).to_dict(ld.calibration.method),
        {k: e.to_dict("") for k, e in ld.periods_at(threshold).items()},
    )
    fields["analysis"] = (analysis.champion.to_dict(), [g.to_dict() for g in analysis.periods],
                          {s: [g.to_dict() for g in gs] for s, gs in analysis.segments.items()})  # fmt: skip
    # The aggregates along whole curves behind the workbook's best-by-formula cells, as lists.
    fields["curve_terms"] = {
        name: {key: {t: v.tolist() for t, v in terms.items()} for key, terms in groups.items()}
        for name, groups in fields["curve_terms"].items()
    }
    assert linear is not None  # the workbook's live formulas, computed by the report model in both runs
    fields["linear"] = (
        linear.indices.tolist(),
        {k: v.tolist() for k, v in linear.terms.items()},
        linear.parameters,
    )
    return fields


def test_app_export_and_cli_report_build_the_same_model(qtbot, worker, tmp_path, monkeypatch):
    path = tmp_path / "preds.csv"
    text = small_frame().to_csv(index=False).splitlines()
    text[5] = text[5].replace(text[5].split(",")[1], "abc", 1)  # one rejected row: a score that is text
    path.write_text("\n".join(text) + "\n")
    built = []
    monkeypatch.setattr(xlsx, "write_xlsx", lambda model, target, **kwargs: built.append(model))

    # The app runs the sensitivity over the project's ranges (the defaults for new data): the same on the CLI.
    ranges = default_ranges({"value_caught": 100.0, "review_cost": 10.0})
    range_options = [f"--range={k}={lo}:{hi}" for k, (lo, hi) in ranges.items()]
    assert (
        main(["report", str(path), *CLI_OPTIONS, *range_options, "--xlsx", str(tmp_path / "cli.xlsx")]) == 0
    )

    box = {}
    worker.submit(lambda con, p: import_data(con, str(path), p), on_done=lambda r: box.setdefault("r", r))
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    result: ImportResult = box["r"]
    doc = ProjectDocument(worker)
    with qtbot.waitSignal(doc.analysisChanged, timeout=10_000, check_params_cb=lambda a: a is not None):
        doc.adopt_import(result, MAPPING, period="month")
    doc.set_report_details(title="Fraud review", currency="EUR")
    doc.confirm_payoff()  # the CLI's payoff is the analyst's own, not the app's example
    exporter = Exporter(doc)
    with qtbot.waitSignal(exporter.finished, timeout=20_000):
        exporter.write({"xlsx": str(tmp_path / "app.xlsx")})

    cli_model, app_model = built
    assert app_model.source.rejected_rows == 1
    assert app_model.source.rows_in_file == len(text) - 1  # every data row of the file, the rejected one too
    assert app_model.source.date_min == "2026-01-01"
    assert _comparable(app_model) == _comparable(cli_model)
