"""Importing prediction exports into DuckDB: types, encodings, rejected rows, provenance, errors."""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from roistudio.core.data.importer import (
    SOURCES_TABLE,
    RejectedRow,
    detect_format,
    import_file,
    preview,
)
from roistudio.core.data.provenance import SourceInfo
from roistudio.core.errors import Cancelled, DataError
from tests.helpers import TEST_DATA

DATA = TEST_DATA
IMPORT = DATA / "import"


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def rows(con, table="data"):
    return con.execute(f'SELECT * FROM "{table}"').fetchall()


def table_names(con):
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


# ------------------------------------------------------------------------------------- encodings


def test_bom_is_stripped_from_the_first_column_name(con):
    report = import_file(con, IMPORT / "bom_utf8.csv")
    assert report.columns[0] == ("client_id", "VARCHAR")
    assert report.encoding == "utf-8-sig"
    assert rows(con) == [("A1", 0.9, 1), ("A2", 0.2, 0), ("A3", 0.55, 1)]


def test_windows_1252_round_trips_euro_and_accents(con):
    report = import_file(con, IMPORT / "cp1252.csv")
    assert report.encoding == "cp1252"
    # The hand-written content of the fixture (see its bytes: 0x80 is "€", 0xE9 is "é").
    assert rows(con) == [
        ("001", "José Méndez", 12.5, 0.91),
        ("002", "Café €", 1234.56, 0.37),
        ("003", "Zoë", -7.25, 0.05),
    ]


def test_european_semicolon_and_decimal_comma_give_doubles(con):
    report = import_file(con, IMPORT / "european.csv")
    assert (report.delimiter, report.decimal) == (";", ",")
    assert dict(report.columns)["amount"] == "DOUBLE"
    assert dict(report.columns)["score"] == "DOUBLE"
    assert rows(con) == [
        (1, 1234.56, 0.37, 1),
        (2, 0.5, 0.91, 0),
        (3, -12.75, 0.5, 1),
        (4, 1000000.0, 0.02, 0),
    ]


def test_gzipped_csv_in_both_encodings(con, tmp_path):
    for name in ("european.csv", "cp1252.csv"):
        gz = tmp_path / f"{name}.gz"
        gz.write_bytes(gzip.compress((IMPORT / name).read_bytes()))
        plain = import_file(con, IMPORT / name, table="plain")
        packed = import_file(con, gz, table="packed")
        assert packed.columns == plain.columns
        assert rows(con, "packed") == rows(con, "plain")


def test_leading_zeros_stay_text(con):
    report = import_file(con, IMPORT / "leading_zeros.csv")
    assert dict(report.columns)["account"] == "VARCHAR"
    assert [r[0] for r in rows(con)] == ["00123", "00456", "01000"]


def test_dates_and_yes_no_labels(con, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("when,at,label\n2024-01-31,2024-01-31 10:00:00,yes\n2024-02-29,2024-02-29 23:59:59,no\n")
    report = import_file(con, path)
    # yes/no stays as written: the user names "yes" as the positive label.
    assert report.columns == (("when", "DATE"), ("at", "TIMESTAMP"), ("label", "VARCHAR"))


def test_missing_value_markers_read_as_null(con, tmp_path):
    path = tmp_path / "na.csv"
    path.write_text("id,score\n1,0.5\n2,NA\n3,\n4,#N/A\n5,0.25\n")
    report = import_file(con, path)
    assert dict(report.columns)["score"] == "DOUBLE"
    assert report.rejected_count == 0
    assert [r[1] for r in rows(con)] == [0.5, None, None, None, 0.25]


# -------------------------------------------------------------------------------- rejected rows


def test_malformed_lines_are_reported_with_physical_line_numbers(con):
    report = import_file(con, IMPORT / "malformed.csv")
    # 10 data rows; line 5 lacks a column, line 9 has score "abc". Line 2-3 is one quoted record,
    # so physical lines differ from record numbers after it.
    assert report.rows == 8
    assert report.rejected_count == 2
    assert [(r.line, r.column, r.value) for r in report.rejected] == [
        (5, None, "3,ok,0.33"),
        (9, "score", "abc"),
    ]
    assert dict(report.columns)["score"] == "DOUBLE"
    assert sorted(r[0] for r in rows(con)) == [1, 2, 4, 5, 6, 8, 9, 10]
    assert report.summary_lines()[1:] == [
        "2 rows rejected: line 5: expected 4 columns, found 3",
        "line 9, column 'score': could not convert 'abc' to DOUBLE",
    ]
    assert report.summary_lines()[0] == "8 rows imported from malformed.csv into table 'data'"
    # The app's user never sees the internal table name.
    assert report.summary_lines(with_table=False)[0] == "8 rows imported from malformed.csv"
    assert all(r.message for r in report.rejected)


def test_line_numbers_survive_gzip_and_transcoding(con, tmp_path):
    text = (IMPORT / "malformed.csv").read_text(encoding="utf-8").replace("ok", "é")
    plain = tmp_path / "m.csv"
    plain.write_bytes(text.encode("cp1252"))
    packed = tmp_path / "m.csv.gz"
    packed.write_bytes(gzip.compress(text.encode("utf-8")))
    for path, encoding in ((plain, "cp1252"), (packed, "utf-8")):
        report = import_file(con, path)
        assert report.encoding == encoding
        assert [(r.line, r.column) for r in report.rejected] == [(5, None), (9, "score")]
        assert report.rows == 8


def test_unclosed_quote_names_its_line(con, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("data.csv").write_text('id,note,score\n1,"ok",0.5\n2,"broken,0.6\n3,"fine",0.7\n')
    with pytest.raises(DataError) as info:
        import_file(con, "data.csv")
    assert str(info.value) == "data.csv: cannot read the file: line 3: a quoted value is never closed"
    assert table_names(con) == set()


def test_every_row_rejected_is_an_error(con, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("data.csv").write_text("a,b,c\n1,2\n")
    with pytest.raises(DataError) as info:
        import_file(con, "data.csv")
    assert (
        str(info.value) == "data.csv: every data row was rejected; first: line 2: expected 3 columns, found 2"
    )
    assert "data" not in table_names(con)


def test_rejected_row_description():
    row = RejectedRow(7, "score", "abc", "Could not convert string \"abc\" to 'DOUBLE'")
    assert row.describe() == "line 7, column 'score': could not convert 'abc' to DOUBLE"


# ------------------------------------------------------------------------------ parquet and xlsx


def test_parquet_as_view_and_as_table(con, tmp_path):
    frame = pd.DataFrame({"id": ["007", "008"], "score": [0.25, 0.75]})
    path = tmp_path / "it's here.parquet"  # a quote in the path must not break the view's SQL
    frame.to_parquet(path)
    view = import_file(con, path, table="v", materialize=False)
    table = import_file(con, path, table="t")
    kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
    assert (kinds["v"], kinds["t"]) == ("VIEW", "BASE TABLE")
    assert view.rows == table.rows == 2
    assert rows(con, "v") == rows(con, "t") == [("007", 0.25), ("008", 0.75)]
    assert view.format == "parquet" and view.encoding is None


def test_xlsx(con, tmp_path):
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["client_id", "score", "label", "amount"])
    ws.append(["00123", 0.9, "yes", 10])
    ws.append(["00456", 0.2, "no", 20.5])
    for i in range(6):
        ws.append([f"C{i}", "oops" if i == 2 else i / 10, "no", i])
    wb.save(path)
    report = import_file(con, path)
    assert report.format == "xlsx"
    assert report.columns == (
        ("client_id", "VARCHAR"),
        ("score", "DOUBLE"),
        ("label", "VARCHAR"),
        ("amount", "DOUBLE"),
    )
    assert report.rows == 7
    # "oops" sits on sheet row 6 (header is row 1).
    assert [(r.line, r.column, r.value) for r in report.rejected] == [(6, "score", "oops")]
    assert rows(con)[:2] == [("00123", 0.9, "yes", 10.0), ("00456", 0.2, "no", 20.5)]


def test_xlsx_whole_numbers_become_bigint(con, tmp_path):
    path = tmp_path / "ints.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["n", "label"])
    wb.active.append([3, 1])
    wb.active.append([4, 0])
    wb.save(path)
    report = import_file(con, path)
    assert report.columns == (("n", "BIGINT"), ("label", "BIGINT"))
    assert rows(con) == [(3, 1), (4, 0)]


# ------------------------------------------------------------------------------------ the errors


def _error(con, name, content=None):
    if content is not None:
        Path(name).write_bytes(content)
    with pytest.raises(DataError) as info:
        import_file(con, name)
    return str(info.value)


def test_error_messages(con, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _error(con, "data.csv") == "data.csv: file not found"
    assert _error(con, "data.csv", b"") == "data.csv: the file is empty"
    assert (
        _error(con, "data.csv", b"id,score,label\r\n") == "data.csv: the file has a header but no data rows"
    )
    assert _error(con, "data.foo", b"x") == "data.foo: unknown format '.foo'; use CSV, TSV, Parquet or XLSX"
    assert (
        _error(con, "data.csv", b"id,name\n1,a\x81b\n")
        == "data.csv: cannot tell the text encoding (not UTF-8, UTF-16 or a known code page)"
    )
    assert (
        _error(con, "data.parquet", b"id,score\n1,0.5\n")
        == "data.parquet: cannot read the file: not a Parquet file"
    )
    assert (
        _error(con, "data.xlsx", b"id,score\n1,0.5\n")
        == "data.xlsx: cannot read the file: not an XLSX workbook"
    )
    assert _error(con, "data.parquet", b"PAR1 this is not really parquet PAR1").startswith(
        "data.parquet: cannot read the file: "
    )
    os.mkdir("folder.csv")
    assert _error(con, "folder.csv") == "folder.csv: cannot read the file: it is a folder"
    assert table_names(con) == set()


def test_empty_and_header_only_xlsx(con, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    openpyxl.Workbook().save("empty.xlsx")
    assert _error(con, "empty.xlsx") == "empty.xlsx: the file is empty"
    wb = openpyxl.Workbook()
    wb.active.append(["id", "score"])
    wb.save("header.xlsx")
    assert _error(con, "header.xlsx") == "header.xlsx: the file has a header but no data rows"


def test_permission_denied_message_without_root(con, tmp_path, monkeypatch):
    # Root reads any file, so the refusal is simulated where the importer opens the file.
    import roistudio.core.data.importer as importer

    monkeypatch.chdir(tmp_path)
    Path("data.csv").write_text("id,score\n1,0.5\n")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(importer, "open", refuse, raising=False)
    assert _error(con, "data.csv") == "data.csv: cannot read the file: permission denied"


def test_detect_format():
    assert [detect_format(n) for n in ("a.csv", "a.TSV", "a.txt", "a.csv.gz", "a.parquet", "a.xlsx")] == [
        "csv",
        "csv",
        "csv",
        "csv",
        "parquet",
        "xlsx",
    ]
    with pytest.raises(DataError, match=r"^a\.parquet\.gz: unknown format '\.parquet\.gz'"):
        detect_format("a.parquet.gz")


# ------------------------------------------------------------------------ provenance and cancel


def test_provenance_fingerprint_and_sources_table(con, tmp_path):
    path = tmp_path / "p.csv"
    shutil.copy(IMPORT / "european.csv", path)
    report = import_file(con, path, table="scores")
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert report.source.sha256 == expected
    assert report.source.size == path.stat().st_size
    assert report.source.path == str(path.resolve())
    assert SourceInfo.from_dict(report.source.to_dict()) == report.source
    assert report.source.matches(path)
    recorded = con.execute(f'SELECT "table", name, sha256, rows, rejected FROM {SOURCES_TABLE}').fetchall()
    assert recorded == [("scores", "p.csv", expected, 4, 0)]
    # Re-importing replaces the record instead of adding one.
    import_file(con, path, table="scores")
    assert con.execute(f"SELECT count(*) FROM {SOURCES_TABLE}").fetchone() == (1,)
    path.write_bytes(path.read_bytes().replace(b"0,37", b"0,38"))  # same size, other content
    assert not report.source.matches(path)
    assert report.to_dict()["source"]["sha256"] == expected


class CancelAfter:
    """Answers False to the first ``n`` cancellation checks, True afterwards."""

    def __init__(self, n: int) -> None:
        self.n, self.checks = n, 0

    def progress(self, fraction: float, text: str = "") -> None:
        pass

    def cancelled(self) -> bool:
        self.checks += 1
        return self.checks > self.n


@pytest.mark.parametrize("name", ["malformed.csv", "cp1252.csv"])
def test_cancel_at_every_check_leaves_the_database_as_it_was(con, name):
    counter = CancelAfter(10**6)
    import_file(con, IMPORT / name, table="other", progress=counter)
    total = counter.checks
    assert total >= 3
    con.execute("CREATE TABLE data AS SELECT 42 AS old")
    before = table_names(con)
    for n in range(total):  # cancel at check 1, 2, ..., total
        with pytest.raises(Cancelled):
            import_file(con, IMPORT / name, progress=CancelAfter(n))
        assert rows(con) == [(42,)]  # the table the import would have replaced is intact
        assert table_names(con) == before  # no stray rejects or temporary tables
    assert con.execute(f'SELECT "table" FROM {SOURCES_TABLE}').fetchall() == [("other",)]


def test_cancel_after_the_first_check_leaves_no_table(con):
    with pytest.raises(Cancelled):
        import_file(con, IMPORT / "european.csv", progress=CancelAfter(1))
    assert table_names(con) == set()


# ------------------------------------------------------------------------------------- preview


def test_preview_of_xlsx_and_parquet(tmp_path):
    frame = pd.DataFrame({"id": ["007", "008", "009"], "score": [0.25, 0.75, 0.5]})
    frame.to_parquet(tmp_path / "p.parquet")
    wb = openpyxl.Workbook()
    for row in [["id", "score"], *frame.itertuples(index=False)]:
        wb.active.append(list(row))
    wb.save(tmp_path / "p.xlsx")
    for name in ("p.parquet", "p.xlsx"):
        head = preview(tmp_path / name, n=2)
        assert head["id"].tolist() == ["007", "008"]
        assert head["score"].tolist() == [0.25, 0.75]


def test_preview_is_typed_like_the_import(tmp_path):
    frame = preview(IMPORT / "cp1252.csv", n=2)
    assert list(frame.columns) == ["client", "name", "amount", "score"]
    assert frame["name"].tolist() == ["José Méndez", "Café €"]
    assert frame["amount"].tolist() == [12.5, 1234.56]
    assert frame["client"].tolist() == ["001", "002"]


# --------------------------------------------------------------------------- the real export


def test_bank_marketing_export(con):
    path = DATA / "bank_marketing_scored.csv"
    report = import_file(con, path)
    with open(path, newline="", encoding="utf-8") as handle:
        expected_ids = [row["client_id"] for row in csv.DictReader(handle)]
    assert report.rows == len(expected_ids) == 22_606
    assert report.rejected_count == 0
    kinds = dict(report.columns)
    assert kinds["client_id"] == "VARCHAR"
    assert kinds["p_subscribe"] == "DOUBLE"
    assert kinds["subscribed"] == "VARCHAR"
    ids = [r[0] for r in con.execute("SELECT client_id FROM data").fetchall()]
    assert ids == expected_ids  # file order, leading zeros intact ("C000000")
    assert ids[0] == "C000000"
