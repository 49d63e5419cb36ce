"""Row filters (segment values, a date range) compiled to SQL with bound parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from roistudio.core.sql import quote_ident


@dataclass(frozen=True)
class Filters:
    """Which rows an analysis looks at.

    Attributes
    ----------
    segments
        Column -> allowed breakdown keys (:func:`~roistudio.core.engine.sweep.segment_key_sql`:
        the trimmed value as text, ``(missing)`` for NULL/blank). Columns not listed are not
        filtered.
    start, end
        Inclusive start and exclusive end on the mapping's time column (ISO dates).
    """

    segments: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    start: str | None = None
    end: str | None = None

    def is_empty(self) -> bool:
        return not any(self.segments.values()) and self.start is None and self.end is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "segments": {k: list(v) for k, v in self.segments.items()},
            "start": self.start,
            "end": self.end,
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any] | None) -> Filters:
        data = data or {}
        segs = {str(k): tuple(str(x) for x in v) for k, v in (data.get("segments") or {}).items()}
        return Filters(segs, data.get("start"), data.get("end"))

    def describe(self) -> str:
        parts = [f"{col} in ({', '.join(vals)})" for col, vals in self.segments.items() if vals]
        if self.start:
            parts.append(f"from {self.start}")
        if self.end:
            parts.append(f"before {self.end}")
        return "; ".join(parts) if parts else "all rows"

    def to_sql(
        self,
        time_column: str | None,
        *,
        key_sql: Callable[[str], str] | None = None,
        quote: Callable[[str], str] = quote_ident,
        placeholder: str = "${name}",
    ) -> tuple[str, dict[str, object]]:
        """A WHERE condition and its parameters (names prefixed ``flt_``).

        DuckDB's spelling by default; another engine passes its segment-key SQL (the breakdown
        key of a column), identifier quoting and placeholder template (Spark: ``:{name}``).
        """
        if key_sql is None:
            # Imported here: the profile module loads DuckDB, which the window defers past its first paint.
            from roistudio.core.data.profile import segment_key_sql

            key_sql = segment_key_sql

        conds: list[str] = []
        params: dict[str, object] = {}
        for i, (col, values) in enumerate(sorted(self.segments.items())):
            if not values:
                continue
            names = []
            for j, v in enumerate(values):
                key = f"flt_{i}_{j}"
                params[key] = str(v)
                names.append(placeholder.format(name=key))
            # Compared with the breakdown key, so a filter on a key shown in a segment table
            # ("(missing)", a trimmed value) keeps exactly the rows of that table row.
            conds.append(f"{key_sql(col)} IN ({', '.join(names)})")
        if time_column and self.start:
            params["flt_start"] = dt.datetime.fromisoformat(self.start)
            conds.append(f"{quote(time_column)} >= {placeholder.format(name='flt_start')}")
        if time_column and self.end:
            params["flt_end"] = dt.datetime.fromisoformat(self.end)
            conds.append(f"{quote(time_column)} < {placeholder.format(name='flt_end')}")
        return (" AND ".join(conds) if conds else "TRUE"), params
