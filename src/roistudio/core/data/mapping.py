"""Which column is the score, the label, the model, a segment...: :class:`ColumnMapping`.

The mapping is a small frozen dataclass. :mod:`roistudio.core.data.mapping_proposal` guesses
one from column names and types (the GUI shows the guess); :mod:`roistudio.core.data.validation`
checks it against the data in DuckDB and reports, in counts, every problem a user should know
about before a sweep.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import duckdb

from roistudio.core.sql import quote_ident


@dataclass(frozen=True)
class ColumnMapping:
    """How the columns of a prediction export are used.

    Attributes
    ----------
    score
        The (champion) model score; a row is flagged iff ``score >= threshold``.
    label
        The actual outcome. Two distinct values (plus missing = not yet known).
    positive
        Which label value is the positive class, matched as text, case-insensitively.
        ``None``: inferred when the values are an obvious pair (0/1, true/false, yes/no, y/n).
    challenger_score
        A second score column on the same rows (champion vs challenger).
    model, champion
        Alternatively, a column naming the model of each row (long format), and which of its
        values is the champion (default: the first in sort order).
    raw_scores
        Scores are margins/logits, not probabilities: values outside [0, 1] are allowed.
    exclude_bad_scores
        Leave out rows whose score is missing, NaN, infinite (or outside [0, 1] when not raw),
        instead of refusing to sweep.
    timestamp, time_year, time_zone
        The time column (a date, a timestamp or period labels, see :mod:`roistudio.core.data.periods`);
        for month names without a year, the year they belong to (``None``: not given); for
        zone-aware timestamps, the zone periods are formed in (``None``: UTC).
    """

    score: str
    label: str
    positive: str | None = None
    challenger_score: str | None = None
    model: str | None = None
    champion: str | None = None
    id: str | None = None
    timestamp: str | None = None
    segments: tuple[str, ...] = ()
    money: tuple[str, ...] = ()
    raw_scores: bool = False
    exclude_bad_scores: bool = False
    time_year: int | None = None
    time_zone: str | None = None

    def columns_used(self) -> list[str]:
        cols = [self.score, self.label, self.challenger_score, self.model, self.id, self.timestamp]
        return [c for c in (*cols, *self.segments, *self.money) if c]

    def with_changes(self, **changes: Any) -> ColumnMapping:
        """A copy with some fields replaced (e.g. the time zone the CLI read from a Parquet file)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "label": self.label,
            "positive": self.positive,
            "challenger_score": self.challenger_score,
            "model": self.model,
            "champion": self.champion,
            "id": self.id,
            "timestamp": self.timestamp,
            "segments": list(self.segments),
            "money": list(self.money),
            "raw_scores": self.raw_scores,
            "exclude_bad_scores": self.exclude_bad_scores,
            "time_year": self.time_year,
            "time_zone": self.time_zone,
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> ColumnMapping:
        known = ColumnMapping("s", "l").to_dict()
        kwargs = {k: data[k] for k in known if k in data}
        kwargs["segments"] = tuple(kwargs.get("segments") or ())
        kwargs["money"] = tuple(kwargs.get("money") or ())
        return ColumnMapping(**kwargs)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type name of a table or view, in order."""
    rows = con.execute(f"DESCRIBE {quote_ident(table)}").fetchall()
    return {r[0]: str(r[1]) for r in rows}
