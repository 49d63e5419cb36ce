"""`roistudio sweep`: the command-line contract (JSON keys, exit codes, one-line errors)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from roistudio.cli.main import main
from tests.helpers import brute_force_value


@pytest.fixture(scope="module")
def odd_csv(tmp_path_factory):
    """A CSV with the column names real exports have: spaces, case, a keyword, unicode."""
    rng = np.random.default_rng(3)
    n = 400
    y = rng.random(n) < 0.2
    frame = pd.DataFrame(
        {
            "Case ID": [f"{i:05d}" for i in range(n)],
            "Fraud Prob.": np.round(np.clip(0.25 + 0.4 * y + rng.normal(0, 0.2, n), 0, 1), 3),
            "Is Fraud?": np.where(y, "Yes", "No"),
            "Transaction Amount (€)": np.round(rng.lognormal(4, 1, n), 2),
            "select": rng.choice(["a", "b"], n),
        }
    )
    path = tmp_path_factory.mktemp("cli") / "export.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _sweep_json(capsys, *args: str) -> dict:
    code = main(["sweep", *args, "--json", "-"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_sweep_odd_column_names_with_backticks(odd_csv, capsys):
    path, frame = odd_csv
    doc = _sweep_json(
        capsys, str(path), "--score", "Fraud Prob.", "--label", "Is Fraud?", "--positive", "yes",
        "--tp", "`Transaction Amount (€)` * 0.9 - cost", "--fp", "-cost", "--fn", "-`Transaction Amount (€)`",
        "--param", "cost=5", "--at", "0.5", "--segment", "select",
    )  # fmt: skip
    amount = frame["Transaction Amount (€)"].to_numpy()
    labels = frame["Is Fraud?"] == "Yes"
    tp, fp, tn, fn = amount * 0.9 - 5, np.full(len(frame), -5.0), np.zeros(len(frame)), -amount
    assert doc["rows"] == 400
    assert doc["positives"] == int(labels.sum())
    assert doc["at"][0]["threshold"] == 0.5
    assert doc["at"][0]["value"] == pytest.approx(
        brute_force_value(frame["Fraud Prob."], labels, 0.5, tp, fp, tn, fn)
    )
    opt = doc["optimal"]
    assert opt["value"] == pytest.approx(
        brute_force_value(frame["Fraud Prob."], labels, opt["threshold"], tp, fp, tn, fn)
    )
    assert set(opt) >= {"threshold", "value", "tp", "fp", "tn", "fn", "precision", "recall"}
    assert {"flag_nobody", "flag_everyone"} <= set(doc["baselines"])
    assert doc["baselines"]["flag_nobody"]["value"] == pytest.approx(float(fn[labels].sum()))
    assert sorted(g["key"] for g in doc["segments"]["select"]) == ["a", "b"]
    thresholds = [p["threshold"] for p in doc["curve"]]
    assert thresholds[0] is None
    assert opt["threshold"] in thresholds  # the optimum is always kept in the downsampled curve


def test_negative_payoff_values_work_with_or_without_equals(odd_csv, capsys):
    path, _ = odd_csv
    base = [str(path), "--score", "Fraud Prob.", "--label", "Is Fraud?", "--tp", "10"]
    a = _sweep_json(capsys, *base, "--fn", "-`Transaction Amount (€)`", "--fp", "-2")
    b = _sweep_json(capsys, *base, "--fn=-`Transaction Amount (€)`", "--fp=-2")
    assert a["optimal"] == b["optimal"]


def test_demo_json_contract(capsys):
    doc = _sweep_json(capsys, "--demo", "--capacity", "2%", "--at", "0.1", "--at", "0.5")
    assert doc["rows"] + doc["unlabeled"] == 200_000
    assert len(doc["curve"]) == 2000
    assert doc["curve"][0]["threshold"] is None
    assert [p["threshold"] for p in doc["at"]] == [0.1, 0.5]
    c = doc["constrained"]
    assert c["feasible"] and c["flag_rate"] <= 0.02
    assert c["value"] <= doc["optimal"]["value"]
    assert {"champion_score", "challenger_score"} == set(doc["models"])
    comp = doc["comparison"]
    assert comp["difference_at_best"] == pytest.approx(
        doc["models"]["challenger_score"]["optimal"]["value"] - doc["optimal"]["value"]
    )
    periods = doc["periods"]["rows"]
    assert periods[-1]["labels_known"] is False and periods[-1]["unlabeled"] > 0
    assert all(p["labels_known"] for p in periods[:-1])


def test_human_summary(capsys):
    assert main(["sweep", "--demo"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("card_fraud_predictions.parquet: 200,000 rows; swept 181,544 labelled rows")
    assert "Best threshold 0.0552 (champion_score): value -192,574.86" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "--score", "s", "--label", "l"], "roistudio sweep: missing.csv: file not found"),
        (
            ["--demo", "--capacity", "lots"],
            "roistudio sweep: --capacity expects a row count N or a percentage P%, got 'lots'",
        ),
        (
            ["--demo", "--min-precision", "1.5"],
            "roistudio sweep: --min-precision expects a fraction between 0 and 1, got 1.5",
        ),
        (
            ["--demo", "--fn", "-amout"],
            "roistudio sweep: fn: unknown column 'amout' at 1:2, did you mean 'amount'?",
        ),
        (
            ["--demo", "--tp", "__import__('os')"],
            "roistudio sweep: tp: unknown function '__import__' at 1:1; allowed: abs, clip, coalesce, exp, log, max, min, round, sqrt",
        ),
        (
            ["--demo", "--param", "review_cost"],
            "roistudio sweep: --param expects NAME=VALUE, got 'review_cost'",
        ),
        (
            ["--demo", "--score", "nope"],
            "roistudio sweep: score column 'nope' not found; columns are: transaction_id, event_time, amount, channel, region, champion_score, challenger_score, is_fraud",
        ),
        (
            ["--demo", "--score", "channel"],
            "roistudio sweep: score column 'channel' is VARCHAR, not a number",
        ),
        (
            ["--demo", "--label", "region"],
            "roistudio sweep: label column 'region' has 5 distinct values ('North', 'South', 'West', 'East', 'International'); a label needs exactly two",
        ),
        (["--demo", "--at", "abc"], "roistudio sweep: --at expects a number, got 'abc'"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(args, message, capsys):
    assert main(["sweep", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [message]


def test_json_file_is_written_atomically(tmp_path, capsys):
    out = tmp_path / "result.json"
    assert main(["sweep", "--demo", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["rows"] == 181_544
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty.csv: the file is empty"),
        ("header.csv", b"score,label\n", "header.csv: the file has a header but no data rows"),
        ("data.json", b"{}", "data.json: unknown format '.json'; use CSV, TSV, Parquet or XLSX"),
        ("bad.parquet", b"PAR1 not parquet", "bad.parquet: cannot read the file: "),
    ],
)
def test_unusable_files_give_one_line_and_exit_2(tmp_path, monkeypatch, capsys, name, content, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(content)
    assert main(["sweep", name, "--score", "score", "--label", "label"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"roistudio sweep: {message}")


def test_report_needs_an_output(capsys):
    assert main(["report", "--demo"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "roistudio report: nothing to write; pass --xlsx PATH, --pdf PATH and/or --json PATH"
    )


def test_a_cli_report_with_an_explicit_payoff_is_not_stamped_as_an_example(tmp_path):
    from pypdf import PdfReader

    frame = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.4, 0.2], "label": [1, 0, 1, 0, 1],
                          "amount": [100.0, 50.0, 20.0, 10.0, 3.0]})  # fmt: skip
    frame.to_csv(tmp_path / "p.csv", index=False)
    pdf_path = tmp_path / "r.pdf"
    code = main(["report", str(tmp_path / "p.csv"), "--score", "score", "--label", "label",
                 "--tp", "amount - 5", "--fp", "-5", "--fn", "-amount", "--currency", "EUR", "--pdf", str(pdf_path)])  # fmt: skip
    assert code == 0
    pages = [p.extract_text() for p in PdfReader(pdf_path).pages]
    assert not [p for p in pages if "EXAMPLE PAYOFF" in p]  # given explicitly: confirmed by definition
    assert not [p for p in pages if "dollar" in p.lower()]  # a EUR report speaks of money
    assert PdfReader(pdf_path).pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4


def test_sweep_json_under_a_capacity_names_the_allowed_baselines(capsys, tmp_path):
    frame = pd.DataFrame({"score": [0.9, 0.8, 0.8, 0.4, 0.2], "label": [1, 0, 1, 0, 1],
                          "amount": [100.0, 50.0, 20.0, 10.0, 3.0]})  # fmt: skip
    frame.to_csv(tmp_path / "p.csv", index=False)
    doc = _sweep_json(capsys, str(tmp_path / "p.csv"), "--score", "score", "--label", "label",
                      "--tp", "amount * 0.9 - 5", "--fp", "-5", "--fn", "-amount", "--capacity", "2")  # fmt: skip
    baselines = doc["baselines"]
    # Hand-worked (tests/core/engine/test_curve.py): flag 2 of 5 at random expects -39.52.
    assert [b["label"] for b in baselines["allowed"]] == ["flag nobody", "flag 2 at random"]
    assert baselines["better"] == "flag_random"
    assert baselines["better_value"] == pytest.approx(-39.52)
    assert doc["value_of_model"] == pytest.approx(62.0 + 39.52)
