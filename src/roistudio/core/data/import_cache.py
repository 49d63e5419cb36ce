"""Imported tables kept on disk between sessions, keyed by the source file's SHA-256.

Importing a large CSV is the slowest step of opening a project; the file is usually unchanged
since last time. :class:`ImportCache` keeps each imported table in its own DuckDB file in a
cache folder (the app uses the user cache folder) together with its :class:`ImportReport`.
Opening the same bytes again attaches that file read-only and puts a view over its table: the
rows are neither parsed nor copied, and the rejected-row report is the one of the original import.

It is only a cache. The key is the content hash, so an edited file never meets a stale table;
a missing, locked or unreadable cache file just means a normal import; files are written under a
temporary name and renamed, and the least recently used are deleted beyond a size budget. Parquet
files are read in place already, so they are not cached.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from roistudio.core.data.importer import ImportReport, record_source
from roistudio.core.data.provenance import SourceInfo
from roistudio.core.sql import drop_relation, quote_ident, quote_literal

CACHE_FORMAT = 1  # bump when the stored table or report changes shape
DEFAULT_BUDGET_BYTES = 4 * 1024**3
_SUFFIX = ".duckdb"


@dataclass(frozen=True)
class ImportCache:
    """A folder of cached imports.

    Parameters
    ----------
    directory
        Where the cache files live (created when first needed).
    budget_bytes
        Total size kept; older files are deleted beyond it (the newest is always kept).
    """

    directory: Path
    budget_bytes: int = DEFAULT_BUDGET_BYTES

    def path_for(self, sha256: str) -> Path:
        """The cache file of a source with this SHA-256."""
        return Path(self.directory) / f"{sha256}{_SUFFIX}"

    def load(self, con: duckdb.DuckDBPyConnection, source: SourceInfo, table: str) -> ImportReport | None:
        """Make ``table`` a view over the cached import of ``source``, if there is one.

        Returns
        -------
        ImportReport or None
            The original import's report, with this ``source`` (its path may have changed) and
            ``table``; ``None`` when nothing usable is cached (the caller imports the file).
        """
        path = self.path_for(source.sha256)
        if not path.is_file():
            return None
        alias = _alias(source.sha256)
        try:
            if alias not in _attached(con):
                con.execute(f"ATTACH {quote_literal(str(path))} AS {quote_ident(alias)} (READ_ONLY)")
            row = con.execute(f"SELECT format, report FROM {quote_ident(alias)}.roistudio_import").fetchone()
            if row is None or int(row[0]) != CACHE_FORMAT:
                raise ValueError("cache file of another format")
            cached = ImportReport.from_dict(json.loads(row[1]))
            if cached.source.sha256 != source.sha256:
                raise ValueError("cache file of another source")
            drop_relation(con, table)
            con.execute(f"CREATE VIEW {quote_ident(table)} AS SELECT * FROM {quote_ident(alias)}.data")
        except (duckdb.Error, OSError, ValueError, KeyError, TypeError):
            # Locked by another instance, written by another version, damaged: import instead.
            with contextlib.suppress(duckdb.Error):
                con.execute(f"DETACH {quote_ident(alias)}")
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: evicted last
        report = replace(cached, source=source, table=table)
        record_source(con, report)
        return report

    def store(self, con: duckdb.DuckDBPyConnection, report: ImportReport) -> Path | None:
        """Copy an import's table into the cache; ``None`` when it is not cached.

        Parquet views and tables larger than half the budget are not cached. A failure (disk
        full, no permission) leaves no file behind and is not an error: the cache is optional.
        """
        if report.format == "parquet" or self.budget_bytes <= 0:
            return None
        path = self.path_for(report.source.sha256)
        if path.is_file():
            return path
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        alias = f"{_alias(report.source.sha256)}_w"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.unlink(missing_ok=True)
            con.execute(f"ATTACH {quote_literal(str(tmp))} AS {quote_ident(alias)}")
            try:
                con.execute(
                    f"CREATE TABLE {quote_ident(alias)}.data AS SELECT * FROM {quote_ident(report.table)}"
                )
                con.execute(
                    f"CREATE TABLE {quote_ident(alias)}.roistudio_import (format INTEGER, report VARCHAR)"
                )
                con.execute(
                    f"INSERT INTO {quote_ident(alias)}.roistudio_import VALUES ($format, $report)",
                    {"format": CACHE_FORMAT, "report": json.dumps(report.to_dict())},
                )
            finally:
                con.execute(f"DETACH {quote_ident(alias)}")
            if tmp.stat().st_size > self.budget_bytes // 2:
                raise OSError("too large to cache")
            os.replace(tmp, path)
        except (duckdb.Error, OSError):
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            return None
        self.evict(keep=path, in_use=_attached_paths(con))
        return path

    def clear(self, con: duckdb.DuckDBPyConnection | None = None) -> tuple[int, int]:
        """Delete every cache file except those ``con`` has attached (the open project's).

        Returns
        -------
        tuple of int
            How many files were deleted and how many bytes they held.
        """
        in_use = _attached_paths(con) if con is not None else set()
        count = freed = 0
        for path in Path(self.directory).glob(f"*{_SUFFIX}"):
            if str(path.resolve()) in in_use:
                continue
            with contextlib.suppress(OSError):
                size = path.stat().st_size
                path.unlink()
                count, freed = count + 1, freed + size
        return count, freed

    def evict(self, keep: Path | None = None, in_use: Collection[str] = frozenset()) -> list[Path]:
        """Delete the least recently used cache files until the rest fit the budget.

        ``keep`` and the files in ``in_use`` (attached by this process) are never deleted.
        Returns the deleted files.
        """
        files = []
        for path in Path(self.directory).glob(f"*{_SUFFIX}"):
            with contextlib.suppress(OSError):
                stat = path.stat()
                files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        deleted = []
        for _, size, path in sorted(files):  # oldest first
            if total <= self.budget_bytes:
                break
            if path == keep or str(path.resolve()) in in_use:
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size
                deleted.append(path)
        return deleted


def _alias(sha256: str) -> str:
    return f"import_cache_{sha256[:16]}"


def _attached(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}


def _attached_paths(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE path IS NOT NULL").fetchall()
    return {str(Path(row[0]).resolve()) for row in rows}
