"""Where imported data came from: a file's fingerprint, kept with every import and project.

A project stores :class:`SourceInfo` for each data file so it can tell, later, whether the file on
disk is still the one the numbers were computed from (size and SHA-256, not the modification time,
which copying or syncing tools change freely).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from roistudio.core.progress import Progress, check_cancelled

CHUNK_BYTES = 1 << 20


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
        stat = resolved.stat()
        sha = file_sha256(resolved, progress)
        modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC).isoformat(timespec="seconds")
        return SourceInfo(str(resolved), resolved.name, stat.st_size, sha, modified)

    def matches(self, path: str | os.PathLike[str] | None = None) -> bool:
        """True if the file (default: ``self.path``) still has the same size and SHA-256.

        The size is compared first so a changed file is usually detected without hashing it.
        A missing file does not match.
        """
        target = Path(path if path is not None else self.path)
        try:
            if target.stat().st_size != self.size:
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
