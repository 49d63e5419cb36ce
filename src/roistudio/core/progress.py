"""Progress and cancellation for long work, without any GUI dependency.

Long-running core functions take an optional ``progress`` argument that follows the
:class:`Progress` protocol. The CLI passes a console reporter, the GUI a Qt-backed one that
emits signals across threads; tests pass nothing.
"""

from __future__ import annotations

import sys
import threading
from typing import Protocol, TextIO

from roistudio.core.errors import Cancelled


class Progress(Protocol):
    """Where long work reports how far it got, and learns whether to stop."""

    def progress(self, fraction: float, text: str = "") -> None:
        """Report ``fraction`` in [0, 1] of the work done, with a short description."""

    def cancelled(self) -> bool:
        """True once the user asked to stop."""


class ScaledProgress:
    """A sub-task's progress: its fraction in [0, 1] is reported as [start, stop] of the whole.

    Cancellation is the whole task's.
    """

    def __init__(self, inner: Progress, start: float, stop: float) -> None:
        self._inner, self._start, self._stop = inner, start, stop

    def progress(self, fraction: float, text: str = "") -> None:
        """Report ``fraction`` of the sub-task as the matching fraction of the whole."""
        self._inner.progress(self._start + (self._stop - self._start) * fraction, text)

    def cancelled(self) -> bool:
        """True once the whole task is cancelled."""
        return self._inner.cancelled()


class CancelToken:
    """A thread-safe progress sink that can be cancelled from another thread."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.fraction = 0.0
        self.text = ""

    def cancel(self) -> None:
        self._event.set()

    def progress(self, fraction: float, text: str = "") -> None:
        self.fraction, self.text = fraction, text

    def cancelled(self) -> bool:
        return self._event.is_set()


class ConsoleProgress:
    """Writes progress lines to stderr when it is a terminal; silent otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._tty = hasattr(self._stream, "isatty") and self._stream.isatty()

    def progress(self, fraction: float, text: str = "") -> None:
        if self._tty:
            self._stream.write(f"\r{fraction * 100:5.1f}% {text[:60]:<60}")
            if fraction >= 1:
                self._stream.write("\n")
            self._stream.flush()

    def cancelled(self) -> bool:
        return False


def check_cancelled(progress: Progress | None) -> None:
    """Raise :class:`Cancelled` if ``progress`` says the user cancelled."""
    if progress is not None and progress.cancelled():
        raise Cancelled()
