"""Dialect sniffing: encoding, delimiter, header, decimal mark, and the refusals."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from roistudio.core.data.sniff import (
    SCAN_CHUNK,
    CsvDialect,
    detect_encoding,
    guess_decimal,
    guess_delimiter,
    guess_header,
    sniff_csv,
)
from roistudio.core.errors import DataError
from tests.helpers import TEST_DATA

DATA = TEST_DATA / "import"


def test_utf8_with_bom_is_recognised():
    assert detect_encoding(DATA / "bom_utf8.csv") == "utf-8-sig"


def test_windows_1252_fixture_is_recognised():
    assert detect_encoding(DATA / "cp1252.csv") == "cp1252"


def test_utf8_with_accents_stays_utf8(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("name,score\nJosé,0.5\nZoë €,0.2\n".encode())
    assert detect_encoding(path) == "utf-8"


def test_non_ascii_far_beyond_the_first_chunk_decides_the_encoding(tmp_path):
    # An ASCII-only first chunk must not settle the question: the é is 2 MiB in.
    path = tmp_path / "late.csv"
    ascii_rows = b"id,name\n" + b"1,abcdefgh\n" * (2 * SCAN_CHUNK // 11)
    path.write_bytes(ascii_rows + "2,René\n".encode("cp1252"))
    assert detect_encoding(path) == "cp1252"
    assert detect_encoding(path, limit=SCAN_CHUNK) == "utf-8"  # a limited scan (preview) sees ASCII only


@pytest.mark.parametrize(
    "payload",
    [
        b"id,name\n1,a\x81b\n",  # 0x81 is invalid UTF-8 and undefined in Windows-1252
        b"id,name\n1,a\x00b\n",
    ],
)
def test_unknown_encodings_are_refused(tmp_path, monkeypatch, payload):
    monkeypatch.chdir(tmp_path)
    Path("data.csv").write_bytes(payload)
    with pytest.raises(DataError) as info:
        detect_encoding("data.csv")
    assert (
        str(info.value) == "data.csv: cannot tell the text encoding (not UTF-8, UTF-16 or a known code page)"
    )


def test_delimiters():
    assert guess_delimiter("a,b,c\n1,2,3\n4,5,6\n") == ","
    assert guess_delimiter("a;b;c\n1;0,5;3\n4;0,25;6\n") == ";"
    assert guess_delimiter("a\tb\n1\t2\n") == "\t"
    assert guess_delimiter("a|b\n1|2\n") == "|"
    # A quoted delimiter does not count.
    assert guess_delimiter('name;note\nx;"a;b;c"\ny;"d"\n') == ";"


def test_header_is_a_first_row_without_numbers():
    assert guess_header([["id", "score"], ["1", "0.5"]]) is True
    assert guess_header([["1", "0.5"], ["2", "0.7"]]) is False
    assert guess_header([["7", "0,5"], ["2", "0,7"]]) is False


def test_decimal_comma_needs_a_column_of_decimal_comma_numbers():
    assert guess_decimal([["1", "0,37"], ["2", "1.234,56"]], ";") == ","
    assert guess_decimal([["1", "0.37"], ["2", "0.5"]], ";") == "."
    assert guess_decimal([["x", "a,b"]], ";") == "."
    assert guess_decimal([["1", "0,37"]], ",") == "."


def test_sniff_fixtures():
    assert sniff_csv(DATA / "european.csv") == CsvDialect("utf-8", ";", '"', True, ",")
    assert sniff_csv(DATA / "cp1252.csv") == CsvDialect("cp1252", ";", '"', True, ",")
    assert sniff_csv(DATA / "bom_utf8.csv") == CsvDialect("utf-8-sig", ",", '"', True, ".")


def test_gzip_is_sniffed_through(tmp_path):
    path = tmp_path / "eu.csv.gz"
    path.write_bytes(gzip.compress((DATA / "european.csv").read_bytes()))
    assert sniff_csv(path) == CsvDialect("utf-8", ";", '"', True, ",", "gzip")


def test_tsv_prefers_tab(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("id\tscore\n1\t0.5\n2\t0.6\n")
    assert sniff_csv(path).delimiter == "\t"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "data.csv: the file is empty"),
        (b"\n \n", "data.csv: the file is empty"),
        (b"id,score,label\n", "data.csv: the file has a header but no data rows"),
    ],
)
def test_sniff_errors(tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    Path("data.csv").write_bytes(content)
    with pytest.raises(DataError) as info:
        sniff_csv("data.csv")
    assert str(info.value) == message


def test_missing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as info:
        sniff_csv("data.csv")
    assert str(info.value) == "data.csv: file not found"
