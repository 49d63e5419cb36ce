"""Where imported data came from: a file's fingerprint, kept with every import and project.

A project stores :class:`SourceInfo` for each data source so it can tell, later, whether the data
on disk is still what the numbers were computed from (size and a SHA-256 digest, not the
modification time, which copying or syncing tools change freely).

What the digest covers (``SourceInfo.fingerprint`` names it; every output shows its label):

``sha256``
    The SHA-256 of every byte of the file. CSV, TSV and XLSX files, whose import cache is keyed
    by it, are always fingerprinted this way.
``parquet-footer``
    The SHA-256 of the file's size and its Parquet footer. The footer is the file's own index:
    the schema, the row count, and for every column chunk of every row group its byte offset,
    compressed and uncompressed size, value count and statistics (min, max, null count). Reading
    it costs one small read whatever the size of the file, where hashing every byte of a 1 GB
    file costs seconds (the scale target is 100M rows cold in under 5 s). Any rewrite of the
    file (new rows, other values, another writer or compression) changes the footer. What it
    would miss: bytes changed inside a data page that keep every chunk's size and statistics
    (an in-place edit of the compressed bytes, which no Parquet writer does). Pass
    ``full=True`` to :meth:`SourceInfo.of` for the SHA-256 of every byte instead.
``dataset``
    A Parquet dataset (a folder or a glob matching several files): the SHA-256 of the sorted list
    of its files' names, sizes and digests (each file fingerprinted as above); the files are listed
    in :attr:`SourceInfo.files`.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import os
import stat
import struct
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from roistudio.core.errors import DataError
from roistudio.core.progress import Progress, ScaledProgress, check_cancelled

CHUNK_BYTES = 1 << 20

FULL_SHA256 = "sha256"
PARQUET_FOOTER = "parquet-footer"
DATASET = "dataset"

FINGERPRINT_LABELS = {
    FULL_SHA256: "SHA-256",
    PARQUET_FOOTER: "SHA-256 of size and Parquet footer",
    DATASET: "SHA-256 of the files' fingerprints",
}

# What identifies one version of a file without reading it: (device, inode, size, mtime in ns).
FileStamp = tuple[int, int, int, int]


def shown_path(path: str | os.PathLike[str], limit: int = 160) -> str:
    """``path`` for a one-line message: an over-long path is shortened in the middle."""
    text = str(path)
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return text[:half] + "\u2026" + text[-half:]


def check_source_file(path: str | os.PathLike[str]) -> os.stat_result:
    """Refuse anything that is not a readable regular file, before it is opened.

    Opening a FIFO blocks until a writer comes, and ``/dev/zero`` never ends: both hang a
    reader, so the kind of file is checked on its ``stat`` (following symlinks) first.

    Raises
    ------
    DataError
        ``"<path>: file not found"``, ``"... it is a folder"``, ``"... it is a named pipe, not a
        regular file"``, ``"... the name is too long"``, ``"... permission denied"``.
    """
    shown = shown_path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DataError(f"{shown}: file not found") from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValueError):  # a NUL byte in the path
            reason = "the path contains a NUL character"
        elif exc.errno == errno.ENAMETOOLONG:
            reason = "the name is too long"
        elif exc.errno == errno.EACCES:
            reason = "permission denied"
        else:
            reason = (exc.strerror or str(exc)).lower()
        raise DataError(f"{shown}: cannot read the file: {reason}") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(f"{shown}: cannot read the file: it is a folder")
    if not stat.S_ISREG(st.st_mode):
        kind = "a named pipe" if stat.S_ISFIFO(st.st_mode) else "a device or special file"
        raise DataError(f"{shown}: cannot read the file: it is {kind}, not a regular file")
    return st


def file_stamp(st: os.stat_result) -> FileStamp:
    """The cheap identity of one version of a file (see :func:`verify_unchanged`)."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def verify_unchanged(path: str | os.PathLike[str], stamp: FileStamp) -> None:
    """Stop if the file at ``path`` is no longer the version stamped before it was read.

    A file replaced, rewritten, grown or deleted while it was hashed or read would give numbers
    from one version with the fingerprint of another.

    Raises
    ------
    DataError
        ``"<path>: the file changed while it was read; run again once it is complete"``, or
        ``"... was removed while it was read"``.
    """
    try:
        now = file_stamp(os.stat(path))
    except OSError:
        raise DataError(f"{shown_path(path)}: the file was removed while it was read") from None
    if now != stamp:
        raise DataError(
            f"{shown_path(path)}: the file changed while it was read; run again once it is complete"
        )


# One stamp per file read: a single file, or every file of a dataset.
SourceStamp = tuple[tuple[str, FileStamp], ...]


def source_stamp(path: str | os.PathLike[str]) -> SourceStamp:
    """Stamp every file ``path`` stands for (a file, or a dataset's files) before reading them.

    Raises
    ------
    DataError
        As :func:`check_source_file` for a file, :func:`dataset_files` for a dataset.
    """
    files = dataset_files(path) if is_dataset(path) else [Path(path)]
    return tuple((str(f), file_stamp(check_source_file(f))) for f in files)


def verify_source_unchanged(path: str | os.PathLike[str], stamp: SourceStamp) -> None:
    """:func:`verify_unchanged` for every stamped file; a dataset must also have the same files.

    Raises
    ------
    DataError
        A file changed or was removed while it was read, or the dataset gained or lost a file.
    """
    if is_dataset(path) and [str(f) for f in dataset_files(path)] != [f for f, _ in stamp]:
        raise DataError(f"{shown_path(path)}: the dataset's files changed while they were read; run again")
    for file, st in stamp:
        verify_unchanged(file, st)


PARQUET_SUFFIXES = (".parquet", ".pq")
_MAX_FOOTER_BYTES = 256 << 20  # a larger declared footer is a damaged file: hash it all instead


def file_sha256(path: str | os.PathLike[str], progress: Progress | None = None) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB chunks (never the whole file in memory).

    Parameters
    ----------
    path
        The file to hash.
    progress
        Optional progress sink; checked for cancellation between chunks.

    Raises
    ------
    roistudio.core.errors.Cancelled
        If ``progress`` reports a cancellation while hashing.
    """
    digest = hashlib.sha256()
    size = os.path.getsize(path) or 1
    done = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                check_cancelled(progress)
                progress.progress(min(done / size, 1.0), "fingerprinting the file")
    return digest.hexdigest()


def parquet_footer_sha256(path: str | os.PathLike[str]) -> str | None:
    """The hex SHA-256 of a Parquet file's size and footer, or None if it is not Parquet.

    A Parquet file ends with its footer (the Thrift-encoded file metadata), the footer's length
    as a 4-byte little-endian integer and the magic ``PAR1``; it starts with ``PAR1`` too.
    """
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size < 12 or handle.read(4) != b"PAR1":
            return None
        handle.seek(size - 8)
        tail = handle.read(8)
        if tail[4:] != b"PAR1":
            return None
        (length,) = struct.unpack("<I", tail[:4])
        if length > min(size - 12, _MAX_FOOTER_BYTES):
            return None
        handle.seek(size - 8 - length)
        footer = handle.read(length)
    digest = hashlib.sha256(f"parquet-footer size={size}\n".encode())
    digest.update(footer)
    return digest.hexdigest()


def is_parquet_name(path: str | os.PathLike[str]) -> bool:
    """True when the file name says Parquet (``.parquet``, ``.pq``)."""
    return Path(path).suffix.lower() in PARQUET_SUFFIXES


def is_dataset(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` names a Parquet dataset.

    That is a folder, or a glob pattern (``*``, ``?``, ``[``) that is not itself the name of an
    existing file.
    """
    text = str(path)
    if os.path.isdir(text):
        return True
    return glob.has_magic(text) and not os.path.exists(text)


def dataset_files(path: str | os.PathLike[str]) -> list[Path]:
    """The Parquet files a dataset is made of, sorted by path.

    A folder means every ``*.parquet``/``*.pq`` file under it at any depth (so partitioned
    layouts such as ``year=2026/part-0.parquet`` work), skipping hidden and bookkeeping files
    whose name starts with ``.`` or ``_`` (``_SUCCESS``, ``_metadata``, ``.crc``). A glob means
    the files it matches (``**`` crosses folders).

    Raises
    ------
    DataError
        One line naming the dataset: nothing matches, or a match is not a regular file or not
        named as Parquet.
    """
    text = str(path)
    if os.path.isdir(text):
        root = Path(text)
        found = [
            p
            for p in root.rglob("*")
            if p.suffix.lower() in PARQUET_SUFFIXES
            and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
        ]
        if not found:
            raise DataError(
                f"{text}: cannot read the file: it is a folder with no Parquet files (*.parquet, *.pq) in it"
            )
    else:
        found = [Path(p) for p in glob.glob(text, recursive=True)]
        if not found:
            raise DataError(f"{text}: no file matches this pattern")
    files = []
    for p in sorted(found):
        try:
            mode = p.stat().st_mode
        except OSError as exc:
            raise DataError(f"{text}: cannot read {p}: {exc.strerror or exc}") from exc
        if stat.S_ISDIR(mode) and not os.path.isdir(text):
            continue  # a glob such as data/* also matches sub-folders: not data
        if not stat.S_ISREG(mode):
            raise DataError(f"{text}: {p} is not a regular file")
        if not is_parquet_name(p):
            raise DataError(f"{text}: {p} is not a Parquet file (a dataset is Parquet files only)")
        files.append(p.resolve())
    if not files:
        raise DataError(f"{text}: no file matches this pattern")
    return files


@dataclass(frozen=True)
class SourceInfo:
    """Fingerprint of a data source: where it is, how big, its digest and its modification time.

    Attributes
    ----------
    sha256
        The hex SHA-256 digest; ``fingerprint`` says what it covers (see the module docstring).
    fingerprint
        ``"sha256"`` (every byte), ``"parquet-footer"`` or ``"dataset"``.
    files
        For a dataset, each file's own fingerprint; empty for a single file.
    """

    path: str
    name: str
    size: int
    sha256: str
    modified: str
    fingerprint: str = FULL_SHA256
    files: tuple[SourceInfo, ...] = ()

    @property
    def fingerprint_label(self) -> str:
        """What the digest covers, for reports and screens (``"SHA-256"``...)."""
        return FINGERPRINT_LABELS.get(self.fingerprint, self.fingerprint)

    @staticmethod
    def of(
        path: str | os.PathLike[str], progress: Progress | None = None, *, full: bool = False
    ) -> SourceInfo:
        """Fingerprint ``path`` (absolute path, name, size, digest, ISO 8601 mtime in UTC).

        A Parquet file is fingerprinted by its size and footer unless ``full`` (see the module
        docstring); a folder or glob by its files (:func:`dataset_files`); anything else by the
        SHA-256 of every byte.
        """
        if is_dataset(path):
            return _dataset_info(path, progress, full)
        resolved = Path(path).resolve()
        st = check_source_file(resolved)
        method, sha = FULL_SHA256, None
        if not full and is_parquet_name(resolved):
            sha = parquet_footer_sha256(resolved)
            method = PARQUET_FOOTER
        if sha is None:  # not Parquet after all (the importer says so), or asked for every byte
            method, sha = FULL_SHA256, file_sha256(resolved, progress)
        # The digest is of what was read only if the file did not change meanwhile.
        verify_unchanged(resolved, file_stamp(st))
        modified = datetime.fromtimestamp(st.st_mtime, tz=UTC).isoformat(timespec="seconds")
        return SourceInfo(str(resolved), resolved.name, st.st_size, sha, modified, method)

    def matches(self, path: str | os.PathLike[str] | None = None) -> bool:
        """True if the source (default: ``self.path``) still has the same size and digest.

        The size is compared first so a changed file is usually detected without hashing it.
        The digest is taken the same way as when this fingerprint was made. A missing file does
        not match.
        """
        target = str(path if path is not None else self.path)
        try:
            if self.fingerprint == DATASET:
                return is_dataset(target) and SourceInfo.of(target).sha256 == self.sha256
            st = os.stat(target)
            if not stat.S_ISREG(st.st_mode) or st.st_size != self.size:
                return False
            if self.fingerprint == PARQUET_FOOTER:
                return parquet_footer_sha256(target) == self.sha256
            return file_sha256(target) == self.sha256
        except (OSError, DataError):
            return False

    def same_data(self, other: SourceInfo) -> bool:
        """True when ``other`` (a fresh fingerprint) shows the data this one was taken from.

        Fingerprints of the same kind compare digests; otherwise (a project saved when Parquet
        files were hashed byte by byte) this one is re-checked against ``other.path``.
        """
        if self.fingerprint == other.fingerprint:
            return self.size == other.size and self.sha256 == other.sha256
        return self.matches(other.path)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (for project files and reports)."""
        d = asdict(self)
        if not self.files:
            del d["files"]  # single files keep the shape older versions wrote
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> SourceInfo:
        """Inverse of :meth:`to_dict`; unknown keys are ignored so newer files still load.

        A fingerprint without a ``fingerprint`` key was written before Parquet footers were
        used: it is the SHA-256 of every byte.
        """
        return SourceInfo(
            path=str(d["path"]),
            name=str(d["name"]),
            size=int(d["size"]),
            sha256=str(d["sha256"]),
            modified=str(d["modified"]),
            fingerprint=str(d.get("fingerprint", FULL_SHA256)),
            files=tuple(SourceInfo.from_dict(f) for f in d.get("files") or ()),
        )


def _dataset_info(path: str | os.PathLike[str], progress: Progress | None, full: bool) -> SourceInfo:
    files = dataset_files(path)
    infos = []
    for i, f in enumerate(files):
        check_cancelled(progress)
        part = (
            ScaledProgress(progress, i / len(files), (i + 1) / len(files)) if progress is not None else None
        )
        infos.append(SourceInfo.of(f, part, full=full))
    listing = "".join(f"{info.path}\t{info.size}\t{info.fingerprint}\t{info.sha256}\n" for info in infos)
    text = str(path)
    shown = os.path.abspath(text)
    name = Path(shown).name if os.path.isdir(text) else os.path.basename(text) or text
    return SourceInfo(
        path=shown,
        name=name,
        size=sum(info.size for info in infos),
        sha256=hashlib.sha256(listing.encode()).hexdigest(),
        modified=max(info.modified for info in infos),
        fingerprint=DATASET,
        files=tuple(infos),
    )
