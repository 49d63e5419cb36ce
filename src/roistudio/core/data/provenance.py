"""Where imported data came from: a file's fingerprint, kept with every import and project.

A project stores :class:`SourceInfo` for each data file so it can tell, later, whether the file on
disk is still the one the numbers were computed from (size and SHA-256, not the modification time,
which copying or syncing tools change freely).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from roistudio.core.errors import DataError
from roistudio.core.progress import Progress, check_cancelled

CHUNK_BYTES = 1 << 20

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


@dataclass(frozen=True)
class SourceInfo:
    """Fingerprint of a data file: where it is, how big, its SHA-256 and its modification time."""

    path: str
    name: str
    size: int
    sha256: str
    modified: str

    @staticmethod
    def of(path: str | os.PathLike[str], progress: Progress | None = None) -> SourceInfo:
        """Fingerprint ``path`` (absolute path, name, size, SHA-256, ISO 8601 mtime in UTC)."""
        resolved = Path(path).resolve()
        st = check_source_file(resolved)
        sha = file_sha256(resolved, progress)
        # The digest is of what was read only if the file did not change meanwhile.
        verify_unchanged(resolved, file_stamp(st))
        modified = datetime.fromtimestamp(st.st_mtime, tz=UTC).isoformat(timespec="seconds")
        return SourceInfo(str(resolved), resolved.name, st.st_size, sha, modified)

    def matches(self, path: str | os.PathLike[str] | None = None) -> bool:
        """True if the file (default: ``self.path``) still has the same size and SHA-256.

        The size is compared first so a changed file is usually detected without hashing it.
        A missing file does not match.
        """
        target = Path(path if path is not None else self.path)
        try:
            st = target.stat()
            if not stat.S_ISREG(st.st_mode) or st.st_size != self.size:
                return False
            return file_sha256(target) == self.sha256
        except OSError:
            return False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (for project files and reports)."""
        return asdict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> SourceInfo:
        """Inverse of :meth:`to_dict`; unknown keys are ignored so newer files still load."""
        return SourceInfo(
            path=str(d["path"]),
            name=str(d["name"]),
            size=int(d["size"]),
            sha256=str(d["sha256"]),
            modified=str(d["modified"]),
        )
