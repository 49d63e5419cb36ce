"""Text encodings analysts' tools export (issue 9): UTF-16 "Unicode Text", other code pages."""

from __future__ import annotations

import duckdb
import pytest

from roistudio.core.data.importer import import_file
from roistudio.core.data.sniff import detect_encoding

ROWS = [("0.9", "1", "1234.5", "Zoë"), ("0.2", "0", "12.25", "Ærø"), ("0.5", "1", "7", "Café")]


def _text(sep: str) -> str:
    return "\n".join([sep.join(("score", "label", "amount", "name")), *(sep.join(r) for r in ROWS)]) + "\n"


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"), ("cp1252", "cp1252")],
)
def test_excel_unicode_text_and_code_pages_import_with_their_values(tmp_path, encoding, detected):
    path = tmp_path / "export.txt"
    path.write_bytes(_text("\t").replace("\n", "\r\n").encode(encoding))
    assert detect_encoding(path) == detected
    con = duckdb.connect()
    report = import_file(con, path)
    assert report.encoding == detected
    got = con.execute("SELECT score, label, amount, name FROM data ORDER BY score DESC").fetchall()
    assert got == [(0.9, 1, 1234.5, "Zoë"), (0.5, 1, 7.0, "Café"), (0.2, 0, 12.25, "Ærø")]


def test_cyrillic_code_page_is_detected_and_read(tmp_path):
    path = tmp_path / "ru.csv"
    text = "город;сумма\nМосква;12,50\nСанкт-Петербург;7,25\nНовосибирск;1.000,00\nЕкатеринбург;3,75\n"
    path.write_bytes(text.encode("cp1251"))
    assert detect_encoding(path) == "cp1251"
    con = duckdb.connect()
    import_file(con, path)
    got = con.execute('SELECT "город", "сумма" FROM data').fetchall()
    assert got == [
        ("Москва", 12.5),
        ("Санкт-Петербург", 7.25),
        ("Новосибирск", 1000.0),
        ("Екатеринбург", 3.75),
    ]


def test_european_numbers_with_thousands_separators_are_numbers(tmp_path):
    path = tmp_path / "eu.csv"
    amounts = ["1.234,56", "12,50", "1.000.000,25", "999", "2.500"]
    lines = ["score;label;amount", *(f"0,{i + 1};{i % 2};{a}" for i, a in enumerate(amounts))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    con = duckdb.connect()
    import_file(con, path)
    got = [r[0] for r in con.execute("SELECT amount FROM data").fetchall()]
    assert got == [1234.56, 12.5, 1000000.25, 999.0, 2500.0]
