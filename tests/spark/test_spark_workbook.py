"""A workbook written from Spark has the DuckDB workbook's live formulas: the same figures after an edit.

``roistudio report --xlsx`` runs once per engine on the same file; in each workbook a payoff
parameter is changed, LibreOffice recalculates it, and every number on every figure sheet must be
the same in both (to the cent). A payoff linear in its parameters is priced from sums per threshold
(aggregated by Spark), one that is not from per-row values on the hidden Rows sheet (rows
collected from Spark). The About sheet names the engine.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest

from roistudio.cli.main import main
from tests.helpers import libreoffice_profile

SOFFICE = shutil.which("soffice")
pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed; .ci/run installs it"),
]
CENT = 0.005


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(3)
    n = 500
    y = rng.random(n) < 0.2
    frame = pd.DataFrame(
        {
            "score": np.round(np.clip(0.3 + 0.35 * y + rng.normal(0, 0.18, n), 0, 1), 2),
            "challenger": np.round(np.clip(0.3 + 0.4 * y + rng.normal(0, 0.18, n), 0, 1), 2),
            "label": y.astype(int),
            "amount": np.round(rng.gamma(2.0, 60.0, n), 2),
            "channel": rng.choice(["web", "store"], n),
            "day": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
        }
    )
    path = tmp_path_factory.mktemp("workbook") / "preds.parquet"
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute(
        f"COPY (SELECT * EXCLUDE (day), CAST(day AS DATE) AS day FROM frame) TO '{path}' (FORMAT parquet)"
    )
    return str(path)


BASE = ["--score", "score", "--label", "label", "--challenger-score", "challenger", "--segment", "channel",
        "--time", "day", "--period", "month", "--bootstrap", "0"]  # fmt: skip
CASES = {
    "linear": [*BASE, "--tp", "amount * 0.9 - cost", "--fp=-cost", "--fn=-amount", "--param", "cost=5"],
    "not linear": [
        *BASE,
        "--tp",
        "max(amount * 0.9, 20) - cost",
        "--fp=-cost",
        "--fn=-amount",
        "--param",
        "cost=5",
    ],
}


def _recalc(path: Path, profile: str) -> openpyxl.Workbook:
    out = path.parent / "recalc"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx", "--outdir", str(out),
         str(path)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return openpyxl.load_workbook(out / path.name, data_only=True)


def _write_and_edit(args: list[str], folder: Path, capsys) -> Path:
    folder.mkdir()
    path = folder / "report.xlsx"
    code = main(["report", *args, "--xlsx", str(path)])
    assert code == 0, capsys.readouterr().err
    wb = openpyxl.load_workbook(path)
    (sheet, coord), *_ = wb.defined_names["cost"].destinations
    assert wb[sheet][coord.replace("$", "")].value == 5
    wb[sheet][coord.replace("$", "")].value = 12  # the changed assumption
    edited = folder / "edited.xlsx"
    wb.save(edited)
    return edited


def _numbers(wb: openpyxl.Workbook) -> dict[tuple[str, str], float]:
    return {
        (ws.title, c.coordinate): float(c.value)
        for ws in wb
        if ws.title not in ("About", "Rows")  # provenance differs; the rows' order of tied scores may
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)
    }


def _formulas(path: Path) -> int:
    wb = openpyxl.load_workbook(path)
    return sum(c.data_type == "f" for ws in wb for row in ws.iter_rows() for c in row)


@pytest.mark.parametrize("name", list(CASES))
def test_a_spark_workbook_recalculates_as_the_duckdb_one(name, data, spark, capsys, tmp_path):
    profile = libreoffice_profile(tmp_path / "profile")
    duck = _write_and_edit([data, *CASES[name]], tmp_path / "duckdb", capsys)
    other = _write_and_edit(
        [data, *CASES[name], "--engine", "spark", "--spark-master", "local[2]"], tmp_path / "spark", capsys
    )
    assert _formulas(other) == _formulas(duck) > 100  # live formulas, as many as DuckDB's
    duck_values, spark_values = _recalc(duck, profile), _recalc(other, profile)
    a, b = _numbers(duck_values), _numbers(spark_values)
    assert sorted(a) == sorted(b)
    different = {k: (a[k], b[k]) for k in a if abs(a[k] - b[k]) > CENT}
    assert different == {}
    about = {str(r[0].value): r[1].value for r in spark_values["About"].iter_rows() if r[0].value}
    assert about["Engine"] == f"Apache Spark, master local[2], path {data}"
    duck_about = {str(r[0].value): r[1].value for r in duck_values["About"].iter_rows() if r[0].value}
    assert duck_about["Engine"] == "DuckDB, on this machine"
