"""Data files that are not files, and files that change while they are read (issue 9)."""

from __future__ import annotations

import os

import duckdb
import pytest

from roistudio.core.data.importer import import_file
from roistudio.core.data.provenance import SourceInfo, check_source_file
from roistudio.core.errors import DataError


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "preds.csv"
    path.write_text("score,label\n" + "0.9,1\n0.2,0\n" * 50, encoding="utf-8")
    return path


class _Rewriter:
    """A progress sink that appends rows to the file the first time it hears from the import."""

    def __init__(self, path, when: str) -> None:
        self.path, self.when, self.done = path, when, False

    def progress(self, fraction: float, text: str = "") -> None:
        if not self.done and self.when in text:
            self.done = True
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write("0.5,1\n" * 10)

    def cancelled(self) -> bool:
        return False


def test_a_file_changed_while_it_is_hashed_is_refused(csv_file):
    con = duckdb.connect()
    with pytest.raises(DataError, match=f"^{csv_file}: the file changed while it was read"):
        import_file(con, csv_file, progress=_Rewriter(csv_file, "fingerprinting"))


def test_a_file_changed_after_it_was_read_is_refused_and_nothing_is_kept(csv_file, monkeypatch):
    from roistudio.core.data import importer

    real = importer.record_source

    def record_then_change(con, report):
        real(con, report)
        with open(csv_file, "a", encoding="utf-8") as handle:
            handle.write("0.5,1\n")

    monkeypatch.setattr(importer, "record_source", record_then_change)
    con = duckdb.connect()
    with pytest.raises(DataError, match="the file changed while it was read"):
        import_file(con, csv_file)
    assert con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'data'"
    ).fetchone() == (0,)


def test_an_unchanged_file_imports_with_the_digest_of_what_was_read(csv_file):
    report = import_file(duckdb.connect(), csv_file)
    assert report.rows == 100
    assert report.source.sha256 == SourceInfo.of(csv_file).sha256


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: os.mkfifo(d / "pipe.csv") or d / "pipe.csv", "it is a named pipe, not a regular file"),
        (lambda d: (d / "zero.csv").symlink_to("/dev/zero") or d / "zero.csv", "a device or special file"),
        (lambda d: d / ("x" * 300 + ".csv"), "the name is too long"),
        (lambda d: (d / "dir.csv").mkdir() or d / "dir.csv", "it is a folder"),
    ],
)
def test_anything_but_a_regular_file_is_refused_before_it_is_opened(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(DataError, match=message):
        check_source_file(path)
    with pytest.raises(DataError, match=message):
        import_file(duckdb.connect(), path)


def test_an_over_long_path_is_shortened_in_the_message(tmp_path):
    path = "d" * 5000 + ".csv"
    with pytest.raises(DataError) as info:
        check_source_file(path)
    assert len(str(info.value)) < 250 and str(info.value).endswith("the name is too long")
