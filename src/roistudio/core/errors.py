"""Errors a user can cause and fix. Each carries one line that names the problem."""

from __future__ import annotations


class RoiError(Exception):
    """Base class for bad input. ``str(error)`` is the one line shown to the user."""

    exit_code = 2


class DataError(RoiError):
    """A data file cannot be read, or its content cannot be used as asked."""


class MappingError(RoiError):
    """The column mapping does not fit the data (missing column, bad labels, bad scores)."""


class PayoffError(RoiError):
    """A payoff expression is invalid.

    Parameters
    ----------
    message
        What is wrong, e.g. ``unknown column 'amout' at 1:1, did you mean 'amount'?``.
    position
        1-based (line, column) of the problem in the expression, when known.
    outcome
        Which outcome's expression (``"tp"``, ``"fp"``, ``"tn"``, ``"fn"``), when known.
    """

    def __init__(self, message: str, position: tuple[int, int] | None = None, outcome: str | None = None):
        super().__init__(message)
        self.message = message
        self.position = position
        self.outcome = outcome

    def __str__(self) -> str:
        return f"{self.outcome}: {self.message}" if self.outcome else self.message


class OutputError(RoiError):
    """An output file cannot or must not be written (it is an input, a device, write-protected...)."""


class ProjectError(RoiError):
    """A project file cannot be read or written."""


class Cancelled(Exception):
    """Raised inside long work when the user cancelled it. Not an error: nothing is reported."""
