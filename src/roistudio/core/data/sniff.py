"""Guess how a delimited text file is written: encoding, delimiter, quote, header, decimal mark.

Conventions
-----------
- Encodings: a byte order mark decides (UTF-8, UTF-16 LE/BE: Excel's "Unicode Text" export);
  UTF-16 without one is recognised by its NUL bytes. Otherwise the file is tried as strict UTF-8
  first; only if that fails does a maintained detector (charset-normalizer) name the code page,
  with Windows-1252 preferred whenever the detector ranks it as good as its best guess (it cannot
  tell the Western code pages apart on short text). Whatever is chosen must then decode the
  whole file strictly, or the file is refused: a wrong guess silently corrupts names and amounts,
  which is worse than asking the user to re-export.
- Only the head of the file (``HEAD_BYTES``) is parsed to guess the dialect; the encoding check
  can scan further, because one accented name on line 900,000 decides the encoding.
- ``.gz`` files are read through gzip transparently.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
import re
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from roistudio.core.errors import DataError

HEAD_BYTES = 256 * 1024
SCAN_CHUNK = 1 << 20
DELIMITERS = (",", ";", "\t", "|")

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
CP1252 = "cp1252"
UTF16 = "utf-16"  # with a byte order mark, which the codec reads
UTF16_LE = "utf-16-le"
UTF16_BE = "utf-16-be"


def needs_transcoding(encoding: str) -> bool:
    """True when DuckDB cannot read ``encoding`` itself: the file is converted to UTF-8 first."""
    return encoding not in (UTF8, UTF8_BOM)


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
# "0,37", "-12,5", "1.234,56", "1.000.000,00": a decimal comma, optionally with dot thousands.
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+),\d+$")
_INTEGER = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*$|^[+-]?\d+$")


@dataclass(frozen=True)
class CsvDialect:
    """How a delimited text file is written.

    Attributes
    ----------
    encoding
        ``"utf-8"``, ``"utf-8-sig"`` (UTF-8 with a byte order mark), ``"utf-16"`` (with a byte
        order mark), ``"utf-16-le"``/``"utf-16-be"``, ``"cp1252"`` or another code page named by
        the detector (e.g. ``"cp1251"``).
    delimiter
        Field separator: one of ``, ; TAB |``.
    quote
        Quote character (``"``); a doubled quote inside a quoted field is a literal quote.
    header
        True if the first line holds column names.
    decimal
        ``"."`` or ``","`` (European files: ``;`` delimiter and ``0,37`` / ``1.234,56`` numbers).
    compression
        ``"gzip"`` for ``.gz`` files, else None.
    """

    encoding: str
    delimiter: str
    quote: str = '"'
    header: bool = True
    decimal: str = "."
    compression: str | None = None


def compression_of(path: str | os.PathLike[str]) -> str | None:
    """``"gzip"`` if the file name ends in ``.gz``, else None."""
    return "gzip" if str(path).lower().endswith(".gz") else None


def open_binary(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a file for binary reading, decompressing ``.gz`` on the fly."""
    if compression_of(path) == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def encoding_error(path: str | os.PathLike[str]) -> DataError:
    """The one-line error for a file whose text encoding cannot be told (or a binary file)."""
    return DataError(f"{path}: cannot tell the text encoding (not UTF-8, UTF-16 or a known code page)")


def _utf16_without_bom(chunk: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when NUL bytes sit on one side of mostly-ASCII text."""
    sample = chunk[: 64 * 1024]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.3 and even_nul < 0.05:
        return UTF16_LE
    if even_nul > 0.3 and odd_nul < 0.05:
        return UTF16_BE
    return None


def _latin_script(text: str) -> bool:
    """True when every non-ASCII letter of ``text`` is a Latin letter (é, Ø, Ł...)."""
    return all(
        unicodedata.name(ch, "").startswith("LATIN") for ch in text if ch.isalpha() and not ch.isascii()
    )


def _code_page(chunk: bytes) -> str | None:
    """The code page of non-UTF-8 text, from charset-normalizer, or None when it cannot tell.

    The detector tells scripts apart (Cyrillic, Greek, Japanese...) but not the Western code pages
    on short text (it reads a cp1252 export as cp775 or cp1250), so when its best guess reads as
    Latin script, or it cannot decide, and the bytes are valid Windows-1252, Windows-1252 is the
    answer; a clear single guess of another script (Cyrillic cp1251) wins. Bytes that are not
    Windows-1252 and that several encodings read differently are a coin toss: None, and the file
    is refused. UTF-16/32 answers are ignored: text without NUL bytes is not UTF-16.
    """
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(chunk) if not m.encoding.startswith(("utf_16", "utf_32"))]
    if not matches:
        return CP1252 if _decodes(chunk, CP1252) else None
    best = min((m.chaos, -m.coherence) for m in matches)
    tied = [m for m in matches if (m.chaos, -m.coherence) == best]
    ambiguous = len({str(m) for m in tied}) > 1
    if _decodes(chunk, CP1252) and (
        ambiguous
        or any(codecs.lookup(m.encoding).name == CP1252 for m in tied)
        or all(_latin_script(str(m)) for m in tied)
    ):
        return CP1252  # valid Windows-1252 and no clear sign of another script: the Western default
    if ambiguous:
        return None
    return codecs.lookup(tied[0].encoding).name


def _decodes(data: bytes, encoding: str) -> bool:
    # An incremental decoder with final=False tolerates a multi-byte character cut at the chunk end.
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: str | os.PathLike[str], *, limit: int | None = None) -> str:
    """Return the text encoding of a file (see the module's conventions).

    A byte order mark decides; then UTF-16 without one (NUL bytes on one side). Pure-ASCII
    stretches are skipped quickly (``bytes.isascii``); the first chunk that holds a non-ASCII byte
    decides: strict UTF-8 if it decodes, else the detector's code page if it decodes strictly.

    Parameters
    ----------
    path
        The file (``.gz`` is decompressed).
    limit
        Scan at most this many bytes (None: the whole file). A pure-ASCII prefix gives UTF-8.

    Raises
    ------
    DataError
        ``"<path>: cannot tell the text encoding (...)"`` for binary files, or bytes that no
        detected encoding decodes.
    """
    scanned = 0
    with open_binary(path) as handle:
        first = True
        while chunk := handle.read(SCAN_CHUNK):
            if first:
                first = False
                if chunk.startswith(codecs.BOM_UTF8):
                    if not _decodes(chunk[3:], UTF8):
                        raise encoding_error(path)
                    return UTF8_BOM
                if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    # Excel's "Unicode Text": UTF-16 with a byte order mark.
                    if not _decodes(chunk, UTF16):
                        raise encoding_error(path)
                    return UTF16
                utf16 = _utf16_without_bom(chunk)
                if utf16 is not None:
                    if not _decodes(chunk, utf16):
                        raise encoding_error(path)
                    return utf16
            # A NUL byte never occurs in 8-bit text: a binary file.
            if b"\x00" in chunk:
                raise encoding_error(path)
            if not chunk.isascii():
                # Complete a character cut at the chunk end before judging.
                chunk += handle.read(4)
                if _decodes(chunk, UTF8):
                    return UTF8
                encoding = _code_page(chunk)
                if encoding is None or not _decodes(chunk, encoding):
                    raise encoding_error(path)
                return encoding
            scanned += len(chunk)
            if limit is not None and scanned >= limit:
                break
    return UTF8


def read_head(path: str | os.PathLike[str], encoding: str, max_bytes: int = HEAD_BYTES) -> tuple[str, bool]:
    """Decode the first ``max_bytes`` of a text file, cut after the last complete line.

    Returns
    -------
    (text, complete)
        ``complete`` is True if the whole file fits in the head.

    Raises
    ------
    DataError
        If the head does not decode with ``encoding``.
    """
    with open_binary(path) as handle:
        data = handle.read(max_bytes + 1)
    complete = len(data) <= max_bytes
    if not complete:
        data = data[:max_bytes]
        cut = data.rfind(b"\n")
        if cut >= 0:
            data = data[: cut + 1]
    try:
        text = codecs.getincrementaldecoder(encoding)("strict").decode(data, final=complete)
    except UnicodeDecodeError as exc:
        raise encoding_error(path) from exc
    return text.lstrip("\ufeff"), complete


def _rows(text: str, delimiter: str, quote: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quote)
    try:
        return [row for row in reader if row and any(cell.strip() for cell in row)]
    except csv.Error:
        return []


def _delimiter_score(rows: list[list[str]]) -> tuple[float, int]:
    """(share of rows with the most common field count, that count); 0 if it is a single field."""
    if not rows:
        return 0.0, 0
    width, hits = Counter(len(row) for row in rows).most_common(1)[0]
    if width < 2:
        return 0.0, width
    return hits / len(rows), width


def guess_delimiter(text: str, quote: str = '"', prefer: str | None = None) -> str:
    """The candidate delimiter that splits the most rows into the same number (>= 2) of fields.

    Ties go to ``prefer`` (tab for ``.tsv``), then to the order ``, ; TAB |``.
    """
    candidates = list(DELIMITERS)
    if prefer in candidates:
        candidates.remove(prefer)
        candidates.insert(0, prefer)
    best, best_key = candidates[0], (0.0, 0)
    for delimiter in candidates:
        key = _delimiter_score(_rows(text, delimiter, quote))
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _is_number(value: str) -> bool:
    return bool(_NUMBER.match(value.strip()))


def guess_header(rows: list[list[str]]) -> bool:
    """A first row holding any number is data; otherwise it holds column names.

    Prediction exports always have a numeric score column, so a data row nearly always holds a
    number, while column names almost never are numbers.
    """
    if len(rows) < 2:
        return True
    return not any(_is_number(cell) for cell in rows[0] if cell.strip())


def guess_decimal(rows: list[list[str]], delimiter: str) -> str:
    """``","`` if some column is made of decimal-comma numbers (``0,37``, ``1.234,56``), else ``"."``.

    Only considered when the delimiter is not a comma: with ``,`` as the delimiter an unquoted
    decimal comma cannot exist.
    """
    if delimiter == "," or not rows:
        return "."
    width = max(len(row) for row in rows)
    for col in range(width):
        values = [row[col].strip() for row in rows if col < len(row) and row[col].strip()]
        if not values:
            continue
        comma = sum(1 for v in values if _DECIMAL_COMMA.match(v))
        integer = sum(1 for v in values if _INTEGER.match(v))
        if comma and comma + integer == len(values):
            return ","
    return "."


def sniff_text(
    text: str, *, encoding: str, prefer: str | None = None, compression: str | None = None
) -> CsvDialect:
    """Guess the dialect of already-decoded text (the head of a file)."""
    quote = '"'
    delimiter = guess_delimiter(text, quote, prefer)
    rows = _rows(text, delimiter, quote)
    header = guess_header(rows)
    decimal = guess_decimal(rows[1:] if header else rows, delimiter)
    return CsvDialect(encoding, delimiter, quote, header, decimal, compression)


def sniff_csv(path: str | os.PathLike[str], *, scan_limit: int | None = None) -> CsvDialect:
    """Guess a delimited text file's encoding, delimiter, quote, header and decimal mark.

    Parameters
    ----------
    path
        A ``.csv``, ``.tsv``, ``.txt`` file, optionally ``.gz``-compressed.
    scan_limit
        Bytes to scan for the encoding (None: the whole file; the GUI preview passes a limit).

    Raises
    ------
    DataError
        ``"<path>: file not found"``, ``"<path>: the file is empty"``,
        ``"<path>: the file has a header but no data rows"``, or the encoding error.
    """
    if not Path(path).exists():
        raise DataError(f"{path}: file not found")
    try:
        encoding = detect_encoding(path, limit=scan_limit)
        text, complete = read_head(path, encoding)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        # A download cut short, or a file named .gz that is not compressed at all.
        reason = "it is cut short" if isinstance(exc, EOFError) else "it is not gzip-compressed"
        raise DataError(f"{path}: cannot read the file as .gz: {reason}") from None
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    name = str(path).lower().removesuffix(".gz")
    prefer = "\t" if name.endswith(".tsv") else None
    dialect = sniff_text(text, encoding=encoding, prefer=prefer, compression=compression_of(path))
    if complete and dialect.header and len(_rows(text, dialect.delimiter, dialect.quote)) < 2:
        raise DataError(f"{path}: the file has a header but no data rows")
    return dialect
