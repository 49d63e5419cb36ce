"""A guess of the mapping from column names, types and distinct counts (the GUI shows it).

Names are split into words and matched against small vocabularies (score, label, id, time,
model, money); every guess carries the reason it was made. :func:`guess_currency` reads the
currency off money column names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb

from roistudio.core.column_types import is_numeric_type, is_temporal_type
from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.data.profile import distinct_counts

_SCORE_WORDS = ("score", "prob", "proba", "probability", "pred", "prediction", "p_", "risk", "likelihood")
_LABEL_WORDS = ("label", "target", "actual", "outcome", "is_", "y_true", "truth", "class", "fraud",
                "churn", "default", "subscribed", "converted", "response")  # fmt: skip
_ID_WORDS = ("id", "key", "uuid", "number")
_TIME_WORDS = ("time", "date", "timestamp", "ts", "created", "month", "day", "period")
_MODEL_WORDS = ("model", "version", "variant")
_MONEY_WORDS = ("amount", "value", "balance", "revenue", "price", "cost", "usd", "eur", "gbp", "spend", "ltv")


def _has_word(name: str, words: Sequence[str]) -> bool:
    low = name.lower()
    tokens = set(re.split(r"[^a-z0-9]+", low))
    return any(w in tokens or (w.endswith("_") and low.startswith(w)) or low.startswith(w) for w in words)


@dataclass(frozen=True)
class ProposedMapping:
    """A guess at the mapping, with the reasons the GUI can show next to each choice."""

    mapping: ColumnMapping | None
    reasons: dict[str, str] = field(default_factory=dict)


def propose_mapping(
    columns: Mapping[str, str],
    distinct_counts: Mapping[str, int] | None = None,
    period_columns: Sequence[str] = (),
) -> ProposedMapping:
    """Guess a mapping from column names and DuckDB types.

    Parameters
    ----------
    columns
        Column name -> DuckDB type, in file order.
    distinct_counts
        Optional approximate number of distinct values per column; helps tell labels (2 values)
        and segments (a few values) from free text.
    period_columns
        Text columns known to hold period labels (``may``, ``2026-Q1``; see
        :func:`roistudio.core.data.periods.time_column_candidates`): proposed as the time column
        when no column is a date or timestamp.

    Returns
    -------
    ProposedMapping
        ``mapping`` is ``None`` when no score or label column could be guessed.
    """
    distinct = dict(distinct_counts or {})
    names = list(columns)
    reasons: dict[str, str] = {}
    numeric = [c for c in names if is_numeric_type(columns[c])]

    scores = [c for c in numeric if _has_word(c, _SCORE_WORDS) and distinct.get(c, 3) > 2]
    label = next((c for c in names if distinct.get(c) in (1, 2) and _has_word(c, _LABEL_WORDS)), None)
    label = label or next((c for c in names if distinct.get(c) == 2 and c not in scores), None)
    if label is None:
        label = next((c for c in names if _has_word(c, _LABEL_WORDS) and c not in scores), None)
    if label:
        reasons["label"] = f"'{label}' looks like an outcome with two values"
    if not scores:
        scores = [
            c for c in numeric if c != label and distinct.get(c, 3) > 2 and not _has_word(c, _ID_WORDS)
        ][:1]
    score = scores[0] if scores else None
    if score:
        reasons["score"] = f"'{score}' is numeric and named like a score"
    challenger = next((c for c in scores[1:] if "challenger" in c.lower() or "new" in c.lower()), None)
    challenger = challenger or (scores[1] if len(scores) > 1 else None)
    used = {score, label, challenger}
    ident = next((c for c in names if c not in used and _has_word(c, _ID_WORDS)), None)
    timestamp = next((c for c in names if c not in used and is_temporal_type(columns[c])), None)
    timestamp = timestamp or next((c for c in period_columns if c in columns and c not in used), None)
    if timestamp and not is_temporal_type(columns[timestamp]):
        reasons["timestamp"] = f"'{timestamp}' holds period labels"
    model = next(
        (
            c
            for c in names
            if c not in used and _has_word(c, _MODEL_WORDS) and not is_numeric_type(columns[c])
        ),
        None,
    )
    used |= {ident, timestamp, model}
    money = tuple(c for c in numeric if c not in used and _has_word(c, _MONEY_WORDS))
    segments = tuple(
        c
        for c in names
        if c not in used
        and c not in money
        and not is_numeric_type(columns[c])
        and not is_temporal_type(columns[c])
        and 1 < distinct.get(c, 0) <= 50
    )
    if score is None or label is None:
        return ProposedMapping(None, reasons)
    mapping = ColumnMapping(
        score=score,
        label=label,
        challenger_score=challenger,
        model=model if challenger is None else None,
        id=ident,
        timestamp=timestamp,
        segments=segments,
        money=money,
    )
    return ProposedMapping(mapping, reasons)


def propose_for_table(con: duckdb.DuckDBPyConnection, table: str) -> ProposedMapping:
    """:func:`propose_mapping` for a table in DuckDB."""
    columns = table_columns(con, table)
    return propose_mapping(columns, distinct_counts(con, table, columns))


_CURRENCY_HINTS = (
    ("EUR", ("eur", "euro", "euros", "€")),
    ("GBP", ("gbp", "£", "pound", "pounds")),
    ("JPY", ("jpy", "yen", "¥")),
    ("CHF", ("chf",)),
    ("USD", ("usd", "dollar", "dollars", "$")),
)


def guess_currency(columns: Sequence[str]) -> str | None:
    """The currency money column names suggest (``balance_eur`` -> ``EUR``), or None.

    Column names are split into words; a currency code or symbol among them counts.
    """
    for code, hints in _CURRENCY_HINTS:
        for name in columns:
            low = name.lower()
            words = set(re.split(r"[^a-z0-9€£¥$]+", low))
            if any(h in words or (not h.isalnum() and h in low) for h in hints):
                return code
    return None
