"""The CLI's contract on bad input and on the pair of report files (issue 9), in-process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula
from pypdf import PdfReader

from roistudio.cli.main import describe_failure, main
from roistudio.core.errors import RoiError

PAYOFF = ["--score", "score", "--label", "label", "--positive", "1", "--tp", "amount - 5", "--fp", "-5",
          "--fn", "-amount"]  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(5)
    n = 500
    y = rng.random(n) < 0.3
    frame = pd.DataFrame(
        {
            "score": np.round(np.clip(0.3 + 0.4 * y + rng.normal(0, 0.2, n), 0, 1), 3),
            "label": y.astype(int),
            "amount": np.round(rng.lognormal(3, 1, n), 2),
            "seg": [f"s{i % 45:02d}" for i in range(n)],
            "ts": pd.date_range("2025-01-01", periods=n, freq="D"),
        }
    )
    path = tmp_path_factory.mktemp("contract") / "data.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _err(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--from", "2025-03-01"],
            "roistudio sweep: --from needs a time column to filter on; pass --time COL",
        ),
        (
            ["--until", "2025-03-01"],
            "roistudio sweep: --until needs a time column to filter on; pass --time COL",
        ),
        (
            ["--segment-filter", "seg="],
            "roistudio sweep: --segment-filter seg= names no value; expects COL=V1,V2",
        ),
    ],
)
def test_options_that_would_be_ignored_are_refused(data, capsys, extra, message):
    assert main(["sweep", str(data[0]), *PAYOFF, *extra]) == 2
    assert _err(capsys) == [message]


def test_a_date_filter_with_a_time_column_is_applied(data, capsys):
    path, frame = data
    assert main(["sweep", str(path), *PAYOFF, "--time", "ts", "--from", "2025-03-01", "--json", "-"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    assert doc["rows"] == int((frame["ts"] >= "2025-03-01").sum())


def test_usage_errors_are_one_line_with_a_help_hint(capsys):
    with pytest.raises(SystemExit) as info:
        main(["sweep", "--bogus"])
    assert info.value.code == 2
    assert _err(capsys) == ["roistudio sweep: unrecognized arguments: --bogus (see roistudio sweep --help)"]


def test_a_guessed_mapping_is_not_a_second_line_of_an_error(data, capsys):
    assert main(["sweep", str(data[0]), "--tp", "nosuchcolumn"]) == 2
    lines = _err(capsys)
    assert len(lines) == 1 and "nosuchcolumn" in lines[0]
    assert main(["sweep", str(data[0]), "--tp", "amount"]) == 0
    assert "roistudio: using the proposed mapping: --score score --label label" in _err(capsys)


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (RuntimeError("Query interrupted"), 130, "interrupted"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (RoiError("bad"), 2, "bad"),
        (OSError(28, "No space left on device"), 2, "cannot write: no space left on the device"),
        (BrokenPipeError(32, "Broken pipe"), 0, None),
        (
            ZeroDivisionError("division by zero"),
            1,
            "internal error: ZeroDivisionError: division by zero (please report this)",
        ),
    ],
)
def test_every_failure_is_one_line_and_an_exit_code(exc, code, line):
    assert describe_failure(exc) == (code, line)


def test_the_pair_shares_a_run_id_and_a_failed_pdf_leaves_no_half_pair(data, tmp_path, capsys, monkeypatch):
    xlsx, pdf = tmp_path / "r.xlsx", tmp_path / "r.pdf"
    assert main(["report", str(data[0]), *PAYOFF, "--xlsx", str(xlsx), "--pdf", str(pdf)]) == 0
    run_id = load_workbook(xlsx).properties.keywords.removeprefix("roistudio-run:")
    assert run_id and len(run_id) == 32
    assert f"roistudio-run:{run_id}" in PdfReader(pdf).metadata["/Keywords"]
    before = (xlsx.read_bytes(), pdf.read_bytes())

    import roistudio.reports.pdf as pdf_module

    def broken(model, path, **_options):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pdf_module, "write_pdf", broken)
    assert main(["report", str(data[0]), *PAYOFF, "--xlsx", str(xlsx), "--pdf", str(pdf)]) == 2
    assert _err(capsys)[-1] == "roistudio report: cannot write the report: no space left on device"
    assert (xlsx.read_bytes(), pdf.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.pdf", "r.xlsx"]


def _same_cell(u, v) -> bool:
    if isinstance(u, (int, float)) and isinstance(v, (int, float)):
        return abs(u - v) <= 1e-9 * max(1.0, abs(u))
    if isinstance(u, ArrayFormula) and isinstance(v, ArrayFormula):  # compared by identity otherwise
        return (u.ref, u.text) == (v.ref, v.text)
    return u == v


def _sheet_values(path):
    book = load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}


def test_the_workbook_written_beside_the_pdf_is_the_one_written_alone(data, tmp_path, monkeypatch):
    """On Linux the workbook is written by a forked copy while the PDF is rendered: same cells."""
    import sys

    from roistudio.cli import report_output
    from roistudio.reports.pdf import chart_images

    monkeypatch.setattr(
        chart_images, "spare_core", lambda: sys.platform.startswith("linux")
    )  # even when busy
    started = []
    fork = report_output._fork_writer
    monkeypatch.setattr(report_output, "_fork_writer", lambda *a: started.append(fork(*a)) or started[-1])
    args = ["report", str(data[0]), *PAYOFF, "--segment", "seg"]
    assert main([*args, "--xlsx", str(tmp_path / "a.xlsx"), "--pdf", str(tmp_path / "a.pdf")]) == 0
    assert (started[0] is not None) == sys.platform.startswith("linux")
    monkeypatch.setattr(report_output, "_fork_writer", lambda *a: None)
    assert main([*args, "--xlsx", str(tmp_path / "b.xlsx"), "--pdf", str(tmp_path / "b.pdf")]) == 0
    a, b = _sheet_values(tmp_path / "a.xlsx"), _sheet_values(tmp_path / "b.xlsx")
    assert a.keys() == b.keys()
    for name in a:
        # The run's time stamp differs; every other cell is the same (numbers to DuckDB's
        # parallel float sums, whose order changes from run to run in the last digits).
        differ = [(r, c, u, v) for r, (x, y) in enumerate(zip(a[name], b[name], strict=True))
                  for c, (u, v) in enumerate(zip(x, y, strict=True)) if not _same_cell(u, v)]  # fmt: skip
        assert len(differ) <= 1, (name, differ[:5])


def test_a_workbook_that_cannot_be_written_beside_the_pdf_fails_the_pair(data, tmp_path, capsys, monkeypatch):
    """The forked copy fails; the parent writes the workbook itself and reports that error."""
    import roistudio.reports.xlsx as xlsx_module

    def full(model, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsx_module, "write_xlsx", full)
    xlsx, pdf = tmp_path / "r.xlsx", tmp_path / "r.pdf"
    pdf.write_bytes(b"old")
    assert main(["report", str(data[0]), *PAYOFF, "--xlsx", str(xlsx), "--pdf", str(pdf), "--force"]) == 2
    assert _err(capsys)[-1] == "roistudio report: cannot write the report: no space left on device"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.pdf"]
    assert pdf.read_bytes() == b"old"


def test_the_pdf_shows_the_top_segments_and_sums_the_rest(data, tmp_path, capsys):
    from roistudio.reports.pdf import breakdowns

    path, _frame = data
    pdf = tmp_path / "s.pdf"
    assert main(["report", str(path), *PAYOFF, "--segment", "seg", "--pdf", str(pdf)]) == 0
    # Words only: the segment column may wrap the row's label (its width depends on the columns).
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())
    hidden = 45 - breakdowns.MAX_PDF_SEGMENTS
    assert f"other ({hidden} segments; all in the workbook)" in text


def test_long_text_is_cut_with_an_ellipsis():
    from roistudio.reports.pdf.layout import MAX_TEXT, paragraph_text

    assert paragraph_text("a" * 3000) == "a" * (MAX_TEXT - 1) + "\u2026"
    assert paragraph_text("<b>&") == "&lt;b&gt;&amp;"


@pytest.mark.parametrize("change", ["delete", "rewrite"])
def test_a_parquet_file_deleted_or_replaced_mid_run_is_refused(data, tmp_path, capsys, monkeypatch, change):
    import roistudio.cli.commands as commands

    parquet = tmp_path / "data.parquet"
    frame = data[1]
    frame.to_parquet(parquet, index=False)
    real = commands.analyse

    def analyse_after_change(con, table, request, progress=None, **kwargs):
        if change == "delete":
            parquet.unlink()
        else:
            frame.head(100).to_parquet(parquet, index=False)
        return real(con, table, request, progress=progress, **kwargs)

    monkeypatch.setattr(commands, "analyse", analyse_after_change)
    assert main(["sweep", str(parquet), *PAYOFF]) == 2
    lines = _err(capsys)
    assert len(lines) == 1
    expected = "cannot read the data" if change == "delete" else "the file changed while it was read"
    assert expected in lines[0]
