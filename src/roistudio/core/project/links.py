"""Links to a view of a project: ``roistudio://open?project=<path>&view=threshold&threshold=0.42&filters=<json>``.

A link names a project file and, optionally, the view to show, the operating threshold and the
row filters. It is what "Copy link to this view" puts on the clipboard and what the app accepts
on its command line or from "Paste link". Decoding validates every part and raises
:class:`~roistudio.core.errors.ProjectError` with one line on anything unexpected, because links
arrive from chat messages and e-mails.

``threshold=none`` means "flag nobody"; a link without ``threshold`` keeps the project's own.
``segment=COL`` names the segment column the Segments view shows.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from roistudio.core.engine.filters import Filters
from roistudio.core.errors import ProjectError
from roistudio.core.project import schema
from roistudio.core.project.project import VIEWS

SCHEME = "roistudio"
ACTION = "open"
_KEYS = ("project", "view", "segment", "threshold", "filters")
MAX_LINK_LENGTH = 8192


@dataclass(frozen=True)
class ViewLink:
    """A decoded link.

    Attributes
    ----------
    project
        Path of the ``.roiproj`` file.
    view
        One of :data:`roistudio.core.project.project.VIEWS`, or ``None`` for the project's own.
    threshold, has_threshold
        The threshold to show when ``has_threshold``; ``None`` then means "flag nobody".
    filters
        Row filters, or ``None`` for the project's own.
    segment
        The segment column the Segments view shows, or ``None`` for the project's own.
    """

    project: str
    view: str | None = None
    threshold: float | None = None
    has_threshold: bool = False
    filters: Filters | None = None
    segment: str | None = None


def encode_link(link: ViewLink) -> str:
    """The ``roistudio://open?...`` text of ``link`` (percent-encoded, keys in a fixed order)."""
    query: list[tuple[str, str]] = [("project", link.project)]
    if link.view is not None:
        query.append(("view", link.view))
    if link.segment:
        query.append(("segment", link.segment))
    if link.has_threshold:
        query.append(("threshold", "none" if link.threshold is None else repr(float(link.threshold))))
    if link.filters is not None and not link.filters.is_empty():
        query.append(("filters", json.dumps(link.filters.to_dict(), separators=(",", ":"), sort_keys=True)))
    return f"{SCHEME}://{ACTION}?{urlencode(query, quote_via=quote, safe='/')}"


def is_link(text: str) -> bool:
    """True if ``text`` looks like one of our links (it may still be invalid)."""
    return text.strip().lower().startswith(f"{SCHEME}:")


def _bad(reason: str) -> ProjectError:
    return ProjectError(f"not a valid Model ROI Studio link: {reason}")


def decode_link(text: str) -> ViewLink:
    """Parse and validate a link.

    Raises
    ------
    ProjectError
        ``not a valid Model ROI Studio link: <reason>`` on a wrong scheme or action, a missing
        project, an unknown key or view, a threshold that is not a finite number, or filters that
        are not a JSON object.
    """
    text = text.strip()
    if len(text) > MAX_LINK_LENGTH:
        raise _bad(f"longer than {MAX_LINK_LENGTH} characters")
    if any(ord(c) < 32 for c in text):
        raise _bad("it contains control characters")
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. "roistudio://[::1?..." (an unclosed IPv6 bracket)
        raise _bad(f"it cannot be parsed ({exc})") from None
    if parts.scheme.lower() != SCHEME:
        raise _bad(f"it must start with {SCHEME}://")
    if parts.netloc.lower() != ACTION or parts.path not in ("", "/"):
        raise _bad(f"unknown action '{parts.netloc}{parts.path}'; expected {SCHEME}://{ACTION}?project=...")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise _bad("the part after '?' is not a query string") from exc
    unknown = sorted(set(query) - set(_KEYS))
    if unknown:
        raise _bad(f"unknown parameter '{unknown[0]}'")
    repeated = sorted(k for k, v in query.items() if len(v) > 1)
    if repeated:
        raise _bad(f"parameter '{repeated[0]}' is given more than once")
    values = {k: v[0] for k, v in query.items()}
    project = values.get("project", "").strip()
    if not project:
        raise _bad("it names no project (project=...)")
    if "\x00" in project:
        raise _bad("the project path contains a NUL character")
    view = values.get("view")
    if view is not None and view not in VIEWS:
        raise _bad(f"unknown view '{view}'; use one of {', '.join(VIEWS)}")
    threshold: float | None = None
    has_threshold = "threshold" in values
    if has_threshold and values["threshold"].lower() != "none":
        try:
            threshold = float(values["threshold"])
        except ValueError:
            threshold = math.nan
        if not math.isfinite(threshold):
            raise _bad(f"threshold '{values['threshold'][:40]}' is not a number")
    filters = None
    if "filters" in values:
        filters = _decode_filters(values["filters"])
    segment = values.get("segment", "").strip() or None
    return ViewLink(project, view, threshold, has_threshold, filters, segment)


def _decode_filters(text: str) -> Filters:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(f"filters are not valid JSON (at character {exc.pos + 1})") from exc
    except (ValueError, RecursionError):
        raise _bad("filters are nested too deeply or hold a number too large") from None
    if not isinstance(data, dict) or set(data) - {"segments", "start", "end"}:
        raise _bad('filters must be a JSON object with "segments", "start" and "end"')
    segments = data.get("segments") or {}
    if not isinstance(segments, dict) or not all(isinstance(v, list) for v in segments.values()):
        raise _bad("filter segments must map a column to a list of values")
    for key in ("start", "end"):
        value = data.get(key)
        if value is not None and not _is_iso_date(value):
            raise _bad(f"filter {key} '{value}' is not an ISO date")
    try:
        return schema.filters(data, "filters")
    except ProjectError as exc:
        raise _bad(str(exc)) from None


def _is_iso_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
