"""The labelled rows behind every money figure, for a workbook that recomputes them per row.

When a payoff is not linear in its parameters (``fn = -max(r * d * balance, c)``), no set of
aggregates lets a spreadsheet reprice a policy: the payoff must be recomputed on every row. A
workbook can do that for the rows that fit it: one formula per row and outcome (see
:mod:`roistudio.core.payoff.excel`), then every money figure is a sum over those rows. This module
reads those rows, exactly as the analysis counted them:

- the rows of each model as :func:`~roistudio.core.engine.sweep.model_rows_sql` selects them,
  labelled only (rows whose label is not yet known never count);
- each row's *rank*: the index of its score on the model's curve (point ``k`` flags the rows of
  the ``k`` highest distinct scores), so "flag iff score >= threshold" is "flag iff rank <= k",
  a comparison of whole numbers that no spreadsheet can get wrong, and tied scores share a rank;
- the payoff each row has if flagged (TP for a positive, FP for a negative) and if not (FN, TN),
  from DuckDB, as cached values for the formulas;
- the columns the payoff uses, and the breakdown keys (segments, period) of the analysis.

The rows come back sorted by model, then rank. The values are checked against the analysis
(the value at every curve point must agree), so a workbook never relies on rows that do not
make the analysis' figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import duckdb
import numpy as np
import pandas as pd

from roistudio.core.engine.aggregator import RowAggregator
from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import (
    PERIOD_BREAKDOWN,
    AnalysisQuery,
    analysis_query,
    segment_breakdown,
)
from roistudio.core.engine.results import ModelResult
from roistudio.core.payoff.language import OUTCOMES

__all__ = ["MAX_WORKBOOK_ROWS", "ModelRows", "PayoffRows", "RowsUnavailable", "payoff_rows", "policy_values"]

MAX_WORKBOOK_ROWS = 200_000
"""Most rows (over all models) a workbook carries per-row formulas for.

Excel's own limit is 1,048,576 rows a sheet; past about 200k rows the file grows past ~25 MB and
a spreadsheet application takes tens of seconds to open and recalculate it, so the workbook keeps
fixed values instead and says so."""

_AGREEMENT = 1e-9  # relative agreement between the rows' sums and the analysis' curve values


@dataclass(frozen=True, eq=False)
class ModelRows:
    """One model's labelled rows, sorted by rank (highest score first).

    Attributes
    ----------
    name
        The model's name in the analysis.
    rank
        Curve index of each row's score: the row is flagged at curve point ``k`` iff ``rank <= k``.
    score
        The row's score.
    positive
        True for a positive label.
    if_flagged, if_not_flagged
        The row's payoff if flagged (TP or FP) and if not (FN or TN), as DuckDB computes it.
    columns
        Payoff column -> the row's values (float64, bool, or object arrays of text).
    keys
        Breakdown (``"segment:COLUMN"``, ``"period"``) -> the row's group key (object array of text).
    """

    name: str
    rank: np.ndarray
    score: np.ndarray
    positive: np.ndarray
    if_flagged: np.ndarray
    if_not_flagged: np.ndarray
    columns: dict[str, np.ndarray]
    keys: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.rank)


@dataclass(frozen=True, eq=False)
class PayoffRows:
    """Every model's labelled rows (champion first) and what the workbook needs to recompute them.

    Attributes
    ----------
    models
        The champion's rows, then the challenger's (when the analysis has one).
    columns
        The columns the payoff uses, in a stable (sorted) order.
    column_kinds
        Column -> ``num``, ``bool`` or ``str`` (how a cell holds it).
    breakdowns
        The breakdowns whose keys each row carries.
    """

    models: tuple[ModelRows, ...]
    columns: tuple[str, ...]
    column_kinds: dict[str, str]
    breakdowns: tuple[str, ...]

    @property
    def rows(self) -> int:
        """Rows over all models."""
        return sum(len(m) for m in self.models)


@dataclass(frozen=True)
class RowsUnavailable:
    """Why the rows cannot back per-row formulas: one sentence for the workbook's reader."""

    reason: str


def payoff_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    analysis: Analysis,
    *,
    max_rows: int | None = None,
    rows: RowAggregator | None = None,
) -> PayoffRows | RowsUnavailable:
    """Read every model's labelled rows with their ranks, payoffs, payoff columns and breakdown keys.

    Parameters
    ----------
    con, table
        The connection and table the analysis ran on.
    analysis
        Result of :func:`roistudio.core.engine.analysis.analyse`.
    max_rows
        Most rows over all models (:data:`MAX_WORKBOOK_ROWS` by default); more gives
        :class:`RowsUnavailable`.
    rows
        Another engine's aggregator (Spark): the rows are read there, in its SQL dialect
        (``con`` and ``table`` are then not used). Default: DuckDB on ``con``.

    Returns
    -------
    PayoffRows or RowsUnavailable
        The rows; or why not: too many rows, a payoff column with missing values (a spreadsheet
        cell cannot be missing), or rows that do not reproduce the analysis' values.
    """
    payoff = analysis.request.payoff
    models = [analysis.champion, *([analysis.challenger] if analysis.challenger is not None else [])]
    labelled = sum(m.curve.rows for m in models)
    max_rows = MAX_WORKBOOK_ROWS if max_rows is None else max_rows
    if labelled > max_rows:
        return RowsUnavailable(
            f"The analysis has {labelled:,} labelled rows over its models; per-row formulas are written for "
            f"at most {max_rows:,} (a workbook past that size opens and recalculates too slowly)."
        )
    columns = tuple(sorted(payoff.columns_used()))
    types = payoff.column_types or {}
    kinds = {c: _kind(types.get(c, "DOUBLE")) for c in columns}
    breakdowns = [segment_breakdown(s) for s in analysis.segments]
    if analysis.periods and analysis.request.period:
        breakdowns.append(PERIOD_BREAKDOWN)
    out = []
    for model in models:
        read = _read_model(
            rows or _DuckDBRows(con, table, analysis), analysis, model, columns, kinds, breakdowns
        )
        if isinstance(read, RowsUnavailable):
            return read
        out.append(read)
    return PayoffRows(tuple(out), columns, kinds, tuple(breakdowns))


def _kind(type_name: str) -> str:
    from roistudio.core.column_types import column_kind

    kind = column_kind(type_name)
    return kind if kind in ("bool", "str") else "num"


@dataclass
class _DuckDBRows:
    """The DuckDB reader: the analysis's table on ``con``, ``rowid`` breaking ties in score order."""

    con: duckdb.DuckDBPyConnection
    table: str
    analysis: Analysis

    @property
    def built(self) -> AnalysisQuery:
        built = analysis_query(self.analysis)
        return replace(built, query=replace(built.query, table=self.table))

    def fetch(self, sql: str, params: Mapping[str, object]) -> dict[str, np.ndarray]:
        return dict(self.con.execute(sql, dict(params)).fetchnumpy())


def _read_model(
    reader: RowAggregator | _DuckDBRows,
    analysis: Analysis,
    model: ModelResult,
    columns: tuple[str, ...],
    kinds: Mapping[str, str],
    breakdowns: list[str],
) -> ModelRows | RowsUnavailable:
    payoff = analysis.request.payoff
    built = reader.built
    query = built.query
    dialect = query.dialect
    model_rows = built.model_rows(model.name)
    score, label_sql, conds, params = (
        model_rows.score_sql,
        query.label_sql,
        list(model_rows.conditions),
        model_rows.params,
    )
    compiled = {o: payoff.compile(o, prefix="rows_", dialect=dialect) for o in OUTCOMES}
    for piece in compiled.values():
        params.update(piece.params)
    selects = [
        f"{score} AS s",
        f"({label_sql}) AS y",
        f"CASE WHEN ({label_sql}) THEN {compiled['tp'].sql} ELSE {compiled['fp'].sql} END AS v_flag",
        f"CASE WHEN ({label_sql}) THEN {compiled['fn'].sql} ELSE {compiled['tn'].sql} END AS v_keep",
    ]
    for j, c in enumerate(columns):
        cast = {"num": dialect.number_type, "bool": dialect.boolean_type, "str": dialect.text_type}[kinds[c]]
        selects.append(f"CAST({dialect.quote_identifier(c)} AS {cast}) AS c{j}")
    keys = query.breakdowns or {}
    for j, b in enumerate(breakdowns):
        selects.append(f"{keys[b]} AS k{j}")
    # rowid breaks ties between equal scores, so the rows come out in the same order every time;
    # a table without row ids (Spark) orders ties by everything a row shows instead.
    tiebreak = (
        "rowid" if isinstance(reader, _DuckDBRows)
        else ", ".join(["y", "v_flag", "v_keep", *(f"c{j}" for j in range(len(columns))),
                        *(f"k{j}" for j in range(len(breakdowns)))])
    )  # fmt: skip
    sql = (
        f"SELECT {', '.join(selects)} FROM {dialect.quote_identifier(query.table)} "
        f"WHERE {' AND '.join(conds)} AND ({label_sql}) IS NOT NULL ORDER BY s DESC, {tiebreak}"
    )
    arrays = reader.fetch(sql, params)
    name = model.name
    for j, c in enumerate(columns):
        missing = int(np.ma.getmaskarray(arrays[f"c{j}"]).sum())
        if kinds[c] != "num" and missing == 0:
            missing = sum(v is None for v in arrays[f"c{j}"])
        if not isinstance(reader, _DuckDBRows) and missing == 0:
            # Another engine's frame has no mask: a missing value is None or NaN there.
            missing = int(pd.isna(pd.Series(arrays[f"c{j}"])).sum())
        if missing:
            return RowsUnavailable(
                f"Column '{c}' has {missing:,} missing values among the labelled rows of model '{name}', and a "
                "spreadsheet cell cannot hold a missing value (it would read as 0), so per-row formulas "
                "are not written."
            )
    curve = model.curve
    s = _plain(arrays["s"], np.float64)
    descending = curve.thresholds[1:]
    rank = np.searchsorted(-descending, -s, side="left") + 1
    inside = rank <= len(descending)
    if not inside.all() or not np.array_equal(descending[rank - 1], s):
        return RowsUnavailable(
            "The table's scores no longer match the analysis; re-run it to write per-row formulas."
        )
    flag, keep = _plain(arrays["v_flag"], np.float64), _plain(arrays["v_keep"], np.float64)
    if not (np.isfinite(flag).all() and np.isfinite(keep).all()):
        return RowsUnavailable("Some rows' payoff is not a finite number; per-row formulas are not written.")
    result = ModelRows(
        name=name,
        rank=rank.astype(np.int64),
        score=s,
        positive=_plain(arrays["y"], bool),
        if_flagged=flag,
        if_not_flagged=keep,
        columns={c: _column(arrays[f"c{j}"], kinds[c]) for j, c in enumerate(columns)},
        keys={b: np.asarray(arrays[f"k{j}"], dtype=object) for j, b in enumerate(breakdowns)},
    )
    if not _agrees(result, curve.value, curve.flagged):
        return RowsUnavailable(
            "The rows' payoffs do not add up to the analysis' values; re-run it to write per-row formulas."
        )
    return result


def policy_values(rows: ModelRows) -> np.ndarray:
    """The value of flagging the first ``n`` rows, for ``n = 0 .. len(rows)`` (running sums).

    At a row that ends its rank, this is the value at that curve point; :func:`_agrees` checks
    it against the analysis.
    """
    flagged = np.concatenate([[0.0], np.cumsum(rows.if_flagged)])
    kept = np.concatenate([[0.0], np.cumsum(rows.if_not_flagged)])
    values: np.ndarray = flagged + (kept[-1] - kept)
    return values


def _agrees(rows: ModelRows, values: np.ndarray, flagged: np.ndarray) -> bool:
    """True when the running sums at every curve point's flagged count give its value."""
    at = policy_values(rows)[np.asarray(flagged, dtype=np.int64)]
    scale = max(1.0, float(np.max(np.abs(values), initial=0.0)))
    return bool(np.allclose(at, values, rtol=0.0, atol=_AGREEMENT * scale + 1e-9))


def _plain(values: np.ndarray, dtype: type) -> np.ndarray:
    if np.ma.isMaskedArray(values):
        values = values.filled(np.nan if dtype is np.float64 else False)
    return np.asarray(values, dtype=dtype)


def _column(values: np.ndarray, kind: str) -> np.ndarray:
    if kind == "num":
        return _plain(values, np.float64)
    if kind == "bool":
        return _plain(values, bool)
    return np.asarray(values, dtype=object)
