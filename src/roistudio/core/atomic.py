"""Write files atomically: a temporary file beside the target, then a rename over it.

A failure midway leaves the old file untouched and no stray temporary file behind. Rules that
keep what the user owns safe (issue 9):

- a symlink is written through: the new file replaces the link's final target, atomically, in
  the target's folder, and the link stays a link;
- only a regular file is ever replaced: a FIFO, a device or a folder at the target is refused
  (renaming over ``/dev/null`` as root would replace the device node);
- temporaries are named ``.NAME.XXXXXXXX.tmp``; the ones a killed run left beside the same
  target and older than :data:`STALE_SECONDS` are removed on the next write, nothing else;
- :func:`check_targets` is the preflight a command runs before any work: no output on an input
  (same device and inode, whatever the spelling), no two outputs on one path, no write-protected
  file replaced unless forced, and a writable folder;
- :class:`AtomicGroup` writes several files as one unit: all are rendered to temporaries first
  and renamed only once every one of them succeeded.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from roistudio.core.errors import OutputError

STALE_SECONDS = 3600.0  # a temporary this old is no write in progress
_RANDOM = r"[A-Za-z0-9_]{8}"  # tempfile.mkstemp's random part


def resolve_target(target: str | os.PathLike[str]) -> Path:
    """The file a write to ``target`` lands in: the final target of a symlink chain, else itself."""
    path = Path(target)
    if os.path.islink(path):  # False, not an error, for a name too long
        return Path(os.path.realpath(path))
    return path


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def os_reason(exc: OSError) -> str:
    """The reason an OS call failed, in words a user reads (``the name is too long``)."""
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long"
    return (exc.strerror or str(exc)).lower()


def check_target(
    target: str | os.PathLike[str], *, force: bool = False, what: str = "output"
) -> os.stat_result | None:
    """Refuse a target that must not be written; return its stat (None when it does not exist yet).

    Raises
    ------
    OutputError
        One line naming the path: not a regular file, write-protected (unless ``force``), a
        folder that does not exist, a name too long, or a folder that cannot be written.
    """
    real = resolve_target(target)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"cannot write the {what} to {target}: {os_reason(exc)}") from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(
                f"cannot write the {what} to {target}: it is {_kind(st.st_mode)}, not a regular file"
            )
        if not force and not st.st_mode & 0o222:
            raise OutputError(f"{target} is write-protected; pass --force to replace it")
    folder = real.parent if str(real.parent) else Path(".")
    try:
        folder_st = os.stat(folder)
    except OSError as exc:
        reason = "the folder does not exist" if exc.errno == errno.ENOENT else os_reason(exc)
        raise OutputError(f"cannot write the {what} to {target}: {reason}") from None
    if not stat.S_ISDIR(folder_st.st_mode):
        raise OutputError(f"cannot write the {what} to {target}: {folder} is not a folder")
    if st is None and len(os.fsencode(real.name)) > _name_max(folder):
        raise OutputError(f"cannot write the {what} to {target}: the name is too long")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"cannot write the {what} to {target}: the folder is not writable")
    return st


def _name_max(folder: Path) -> int:
    try:
        # Room for the temporary's prefix and suffix too (".NAME.XXXXXXXX.tmp").
        return os.pathconf(folder, "PC_NAME_MAX") - 14
    except (OSError, ValueError):
        return 241


def check_targets(
    outputs: Iterable[tuple[str, str | os.PathLike[str]]],
    inputs: Iterable[str | os.PathLike[str]] = (),
    *,
    force: bool = False,
) -> None:
    """Preflight for a command's outputs, before any work is done.

    Parameters
    ----------
    outputs
        ``(what, path)`` pairs, e.g. ``("workbook", "r.xlsx")``; ``-`` (stdout) is skipped.
    inputs
        Files the command reads; an output that is one of them (same device and inode, or the
        same resolved path when it does not exist) is refused.
    force
        Replace write-protected files.

    Raises
    ------
    OutputError
        The first problem, in one line.
    """
    input_ids: dict[tuple[int, int], str] = {}
    for path in inputs:
        with contextlib.suppress(OSError, ValueError):
            read = os.stat(path)
            input_ids[(read.st_dev, read.st_ino)] = str(path)
    seen: dict[str, str] = {}
    for what, path in outputs:
        if str(path) == "-":
            continue
        st = check_target(path, force=force, what=what)
        if st is not None and (st.st_dev, st.st_ino) in input_ids:
            raise OutputError(
                f"the {what} path {path} is the input file {input_ids[(st.st_dev, st.st_ino)]}; "
                "choose another output path"
            )
        key = os.path.realpath(path)
        if key in seen:
            raise OutputError(
                f"the {what} and the {seen[key]} would both be written to {path}; use two paths"
            )
        seen[key] = what


def remove_stale_temporaries(target: str | os.PathLike[str], max_age: float = STALE_SECONDS) -> int:
    """Remove this module's temporaries for ``target`` that a killed run left; returns how many.

    Only names ``.NAME.XXXXXXXX.tmp`` (``NAME`` the target's file name) that are regular files
    older than ``max_age`` seconds are removed: a younger one may be another run's write in
    progress, and nothing else in the folder is touched.
    """
    real = resolve_target(target)
    folder = real.parent if str(real.parent) else Path(".")
    pattern = re.compile(rf"\.{re.escape(real.name)}\.{_RANDOM}\.tmp")
    removed = 0
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if not pattern.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and now - st.st_mtime > max_age:
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _stage(target: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Check ``target`` and create its temporary: returns (temporary, real target)."""
    real = resolve_target(target)
    with contextlib.suppress(FileNotFoundError):
        st = os.stat(real)
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(f"cannot write to {target}: it is {_kind(st.st_mode)}, not a regular file")
    remove_stale_temporaries(real)
    folder = real.parent if str(real.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    return Path(tmp_name), real


def _commit(tmp: Path, real: Path) -> None:
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    # mkstemp creates the file private (0600); give it the mode a normal write would.
    os.chmod(tmp, _mode_for(real))
    os.replace(tmp, real)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it over ``target`` on success.

    The writer writes the whole file to the yielded path. If the block raises, the temporary
    file is removed and ``target`` keeps its previous content. A symlink is written through to
    its target; a target that exists and is not a regular file raises :class:`OutputError`.
    """
    tmp, real = _stage(target)
    try:
        yield tmp
        _commit(tmp, real)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


class AtomicGroup:
    """Several files written as one unit: nothing is renamed until every file is complete.

    Use through :func:`atomic_group`; :meth:`stage` returns the temporary path to write a
    target to. The renames at the end run back to back (each one atomic).
    """

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    def stage(self, target: str | os.PathLike[str]) -> Path:
        """Create and return the temporary file standing for ``target``."""
        tmp, real = _stage(target)
        self._staged.append((tmp, real))
        return tmp


@contextlib.contextmanager
def atomic_group() -> Iterator[AtomicGroup]:
    """Write a pair (workbook and PDF) so a failure of either leaves both targets as they were."""
    group = AtomicGroup()
    try:
        yield group
        for tmp, real in group._staged:
            _commit(tmp, real)
    except BaseException:
        for tmp, _real in group._staged:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        raise


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``target`` atomically."""
    write_bytes_atomic(target, text.encode(encoding))


def write_with_atomic(target: str | os.PathLike[str], writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and rename the result over ``target`` if it succeeds."""
    with atomic_path(target) as tmp:
        writer(tmp)


def _mode_for(target: Path) -> int:
    """The existing file's permissions, or the default for a new file under the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
