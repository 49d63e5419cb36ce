"""Typed reading of a project document: every hand-editable value is checked before it is used.

Project files are JSON that people edit by hand and receive from others. A value of the wrong
type must be refused with one line naming the field, never coerced into something else
(``bool("false")`` is True; ``tuple("region")`` is six segments) and never passed on to
numpy or DuckDB to fail there. Every reader here raises :class:`ProjectError` only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.filters import Filters
from roistudio.core.errors import ProjectError

if TYPE_CHECKING:
    from roistudio.core.data.mapping import ColumnMapping

MAX_TEXT = 10_000  # characters in any one text field (a column name, an expression, a path)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def text(value: object, what: str, name: str, *, optional: bool = False) -> str | None:
    """A string (or None when ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ProjectError(f"{name}: {what} must be text, not {_shown(value)}")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise ProjectError(f"{name}: {what} is too long or holds a NUL character")
    return value


def flag(value: object, what: str, name: str, *, default: bool = False) -> bool:
    """A JSON boolean: ``"false"`` or ``0`` are refused, not read as True/False."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ProjectError(f"{name}: {what} must be true or false, not {_shown(value)}")
    return value


def number(value: object, what: str, name: str, *, optional: bool = True) -> float | None:
    """A finite JSON number (or None when ``optional``); booleans are not numbers."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProjectError(f"{name}: {what} must be a number, not {_shown(value)}")
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise ProjectError(f"{name}: {what} must be a finite number, not {_shown(value)}")
    return result


def count(value: object, what: str, name: str) -> int | None:
    """A non-negative whole number of rows (or None)."""
    result = number(value, what, name)
    if result is None:
        return None
    if result < 0 or result != int(result):
        raise ProjectError(f"{name}: {what} must be a whole number of rows, not {_shown(value)}")
    return int(result)


def text_list(value: object, what: str, name: str) -> tuple[str, ...]:
    """A JSON list of strings (a single string is refused, not split into characters)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ProjectError(f"{name}: {what} must be a list of column names, not {_shown(value)}")
    return tuple(str(text(v, what, name)) for v in value)


def obj(value: object, what: str, name: str) -> Mapping[str, object]:
    """A JSON object (None reads as empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProjectError(f"{name}: {what} must be an object, not {_shown(value)}")
    return value


def mapping(value: object, name: str) -> ColumnMapping | None:
    """The column mapping, every field checked for its type."""
    from roistudio.core.data.mapping import ColumnMapping

    if not value:
        return None
    data = obj(value, "the column mapping", name)
    for key in ("score", "label"):
        if data.get(key) is None:
            raise ProjectError(f"{name}: the column mapping is incomplete (no {key} column)")
    optional = ("positive", "challenger_score", "model", "champion", "id", "timestamp")
    return ColumnMapping(
        score=str(text(data["score"], "the score column", name)),
        label=str(text(data["label"], "the label column", name)),
        **{key: text(data.get(key), f"mapping field '{key}'", name, optional=True) for key in optional},
        segments=text_list(data.get("segments"), "the segment columns", name),
        money=text_list(data.get("money"), "the money columns", name),
        raw_scores=flag(data.get("raw_scores"), "raw_scores", name),
        exclude_bad_scores=flag(data.get("exclude_bad_scores"), "exclude_bad_scores", name),
        time_year=count(data.get("time_year"), "time_year", name),
        time_zone=text(data.get("time_zone"), "time_zone", name, optional=True),
    )


def constraints(value: object, name: str) -> Constraints:
    """Constraints with a row count and fractions of the right type and range."""
    data = obj(value, "the constraints", name)
    fractions: dict[str, float | None] = {}
    for key in ("max_flag_rate", "min_precision", "min_recall", "max_fpr"):
        v = number(data.get(key), key, name)
        if v is not None and not 0 <= v <= 1:
            raise ProjectError(f"{name}: {key} must be a fraction between 0 and 1, not {v:g}")
        fractions[key] = v
    return Constraints(max_flagged=count(data.get("max_flagged"), "max_flagged", name), **fractions)


def filters(value: object, name: str) -> Filters:
    """Filters: segment lists of text, ISO dates."""
    import datetime as dt

    data = obj(value, "the filters", name)
    segments = obj(data.get("segments"), "the segment filters", name)
    segs = {
        str(text(col, "a filter column", name)): tuple(
            str(text(v, f"a filter value of '{col}'", name)) for v in _list(values, col, name)
        )
        for col, values in segments.items()
    }
    bounds = []
    for key in ("start", "end"):
        v = text(data.get(key), f"filter {key}", name, optional=True)
        if v is not None:
            try:
                dt.datetime.fromisoformat(v)
            except ValueError:
                raise ProjectError(f"{name}: filter {key} {_shown(v)} is not an ISO date") from None
        bounds.append(v)
    return Filters(segs, bounds[0], bounds[1])


def _list(value: object, col: str, name: str) -> list[object]:
    if not isinstance(value, list):
        raise ProjectError(f"{name}: the filter values of '{col}' must be a list, not {_shown(value)}")
    return value
