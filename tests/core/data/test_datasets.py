"""Parquet fingerprints from the footer, Parquet datasets (a folder or a glob), large files in place."""

from __future__ import annotations

import json
import os

import duckdb
import numpy as np
import pandas as pd
import pytest

from roistudio.cli.main import main
from roistudio.core.data import importer
from roistudio.core.data.importer import import_file
from roistudio.core.data.provenance import SourceInfo, file_sha256
from roistudio.core.errors import DataError
from roistudio.core.sql import relation_kind
from tests.helpers import brute_force_value


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.2
    return pd.DataFrame(
        {
            "score": np.round(np.clip(0.3 + 0.4 * y + rng.normal(0, 0.2, n), 0, 1), 3),
            "label": y.astype("int8"),
            "amount": np.round(rng.lognormal(3, 1, n), 2),
        }
    )


@pytest.fixture
def dataset(tmp_path):
    """Three Parquet files (one in a partition folder) and the bookkeeping files Spark leaves."""
    root = tmp_path / "logs"
    (root / "month=2026-05").mkdir(parents=True)
    frames = [_frame(300, 1), _frame(200, 2), _frame(250, 3)]
    frames[0].to_parquet(root / "part-0.parquet")
    frames[1].to_parquet(root / "part-1.parquet")
    frames[2].to_parquet(root / "month=2026-05" / "part-2.parquet")
    (root / "_SUCCESS").write_text("")
    (root / ".part-0.parquet.crc").write_bytes(b"crc")
    return root, frames


def test_parquet_fingerprint_is_the_footer_and_sees_a_changed_value(tmp_path):
    path = tmp_path / "a.parquet"
    frame = _frame(500, 4)
    frame.to_parquet(path)
    info = SourceInfo.of(path)
    assert info.fingerprint == "parquet-footer"
    assert info.fingerprint_label == "SHA-256 of size and Parquet footer"
    assert info.sha256 != file_sha256(path)  # not the whole file's digest
    assert info.matches()
    # The same rows written again: same footer, same fingerprint.
    frame.to_parquet(path)
    assert SourceInfo.of(path).sha256 == info.sha256 and info.matches()
    # One value changed (the statistics stay the same): the footer's chunk sizes change.
    frame.loc[17, "amount"] += 1.0
    frame.to_parquet(path)
    assert not info.matches()
    assert SourceInfo.of(path).sha256 != info.sha256
    # Every byte on request; CSV always.
    full = SourceInfo.of(path, full=True)
    assert (full.fingerprint, full.sha256, full.fingerprint_label) == ("sha256", file_sha256(path), "SHA-256")
    frame.to_csv(tmp_path / "a.csv", index=False)
    assert SourceInfo.of(tmp_path / "a.csv").fingerprint == "sha256"


def test_fingerprints_of_older_projects_still_compare(tmp_path):
    path = tmp_path / "a.parquet"
    _frame(100, 5).to_parquet(path)
    old = SourceInfo.of(path, full=True).to_dict()
    del old["fingerprint"]  # as written before Parquet footers were used
    loaded = SourceInfo.from_dict(json.loads(json.dumps(old)))
    assert loaded.fingerprint == "sha256" and loaded.matches()
    assert loaded.same_data(SourceInfo.of(path))  # a new footer fingerprint of the same file
    _frame(100, 6).to_parquet(path)
    assert not loaded.same_data(SourceInfo.of(path))


def test_a_folder_and_a_glob_read_every_file_once_and_list_them(dataset, capsys):
    root, frames = dataset
    con = duckdb.connect()
    report = import_file(con, root, table="data", materialize=False)
    assert report.rows == 750 and report.format == "parquet"
    info = report.source
    assert info.fingerprint == "dataset" and info.size == sum(f.size for f in info.files)
    assert [f.name for f in info.files] == ["part-2.parquet", "part-0.parquet", "part-1.parquet"]
    assert all(f.fingerprint == "parquet-footer" for f in info.files)
    assert info.matches() and SourceInfo.from_dict(info.to_dict()) == info
    (root / "part-3.parquet").write_bytes((root / "part-1.parquet").read_bytes())
    assert not info.matches()  # a file more: another dataset
    os.unlink(root / "part-3.parquet")

    # The CLI's sweep of the glob equals the row-by-row value of the rows it matches.
    both = pd.concat(frames[:2])
    code = main(
        ["sweep", str(root / "part-*.parquet"), "--score", "score", "--label", "label",
         "--tp", "amount * 0.9 - 5", "--fp=-5", "--fn=-amount", "--threshold", "0.5", "--json", "-"]
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    result = json.loads(out.out)
    amount = both.amount.to_numpy()
    expected = brute_force_value(
        both.score, both.label == 1, 0.5, amount * 0.9 - 5, np.full(len(both), -5.0), 0.0, -amount
    )
    assert result["rows"] == 500
    assert result["operating"]["value"] == pytest.approx(expected, abs=0.005)
    assert [f["name"] for f in result["source"]["source"]["files"]] == ["part-0.parquet", "part-1.parquet"]


def test_dataset_errors_are_one_line(tmp_path, capsys):
    assert (
        _cli_error(capsys, str(tmp_path / "none-*.parquet"))
        == f"{tmp_path}/none-*.parquet: no file matches this pattern"
    )
    (tmp_path / "a.parquet").write_bytes(b"PAR1 not really PAR1")
    (tmp_path / "b.csv").write_text("score,label\n0.1,1\n")
    assert _cli_error(capsys, str(tmp_path / "*")) == (
        f"{tmp_path}/*: {tmp_path}/b.csv is not a Parquet file (a dataset is Parquet files only)"
    )
    message = _cli_error(capsys, str(tmp_path / "*.parquet"))
    assert message.startswith(f"{tmp_path}/*.parquet: cannot read the file: ") and "a.parquet" in message
    os.mkfifo(tmp_path / "c.parquet")
    assert (
        _cli_error(capsys, str(tmp_path / "c*"))
        == f"{tmp_path}/c*: {tmp_path}/c.parquet is not a regular file"
    )


def _cli_error(capsys, data: str) -> str:
    code = main(["sweep", data, "--score", "score", "--label", "label", "--fp=-1", "--fn=-5"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    return err[0].removeprefix("roistudio sweep: ")


def test_large_parquet_is_read_in_place_when_the_importer_chooses(tmp_path, monkeypatch):
    path = tmp_path / "a.parquet"
    _frame(100, 7).to_parquet(path)
    con = duckdb.connect()
    monkeypatch.setattr(importer, "PARQUET_LOAD_MAX_ROWS", 100)
    import_file(con, path, table="small", materialize=None)
    monkeypatch.setattr(importer, "PARQUET_LOAD_MAX_ROWS", 99)
    import_file(con, path, table="large", materialize=None)
    assert (relation_kind(con, "small"), relation_kind(con, "large")) == ("BASE TABLE", "VIEW")
    with pytest.raises(DataError):
        import_file(con, tmp_path / "missing.parquet", materialize=None)
