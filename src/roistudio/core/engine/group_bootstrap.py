"""Bootstrap intervals per segment value and per period, at the operating threshold.

The per-group tables show each group's value at the overall operating threshold (held fixed).
Only that policy is needed, so a group's rows fall into four cells: (flagged or not, class). One
aggregation over ``GROUPING SETS`` gives every breakdown's cells (row count, sum and sum of
squares of the payoff each row has under the policy); replicates then draw the cells exactly as
:mod:`roistudio.core.engine.bootstrap` does (Poisson counts, within-cell normal term, rescaled per
breakdown to its row count). Each breakdown is drawn on its own: a group's interval is right on
its own, but the groups of one breakdown and the overall figure do not share draws.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import numpy as np

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.analysis_query import PERIOD_BREAKDOWN, AnalysisQuery, analysis_query
from roistudio.core.engine.bootstrap_cells import CHUNK, Cells, replicate_sums
from roistudio.core.engine.intervals import Interval, percentile_interval
from roistudio.core.engine.sweep import _fetch, payoff_row_values
from roistudio.core.progress import Progress, check_cancelled

GroupIntervals = dict[str, tuple[tuple[str, Interval], ...]]
"""Breakdown (``"segment:COLUMN"`` or ``"period"``) -> (group key, interval) in the analysis's order."""


def group_intervals(
    con: duckdb.DuckDBPyConnection,
    analysis: Analysis,
    *,
    replicates: int,
    confidence: float,
    seed: int,
    progress: Progress | None = None,
) -> GroupIntervals:
    """Interval of each segment value's and each period's value at the operating threshold.

    Returns an empty dict when the analysis has no breakdown. Groups without labelled rows get
    no interval.
    """
    built = analysis_query(analysis)
    if not built.query.breakdowns:
        return {}
    sql, params = group_cells_sql(built, analysis)
    # ORDER BY: cells take their draws from the generator in turn; a parallel GROUP BY returns
    # them in any order, so the same seed must see them in one order to give the same figures.
    raw = _fetch(con, f"{sql} ORDER BY ALL", params)
    return draw_group_intervals(
        raw, analysis, list(built.query.breakdowns), replicates=replicates, confidence=confidence,
        seed=seed, progress=progress,
    )  # fmt: skip


def group_cells_sql(built: AnalysisQuery, analysis: Analysis) -> tuple[str, dict[str, object]]:
    """The per-group cells' aggregation, in the dialect of ``built`` (no ORDER BY).

    Columns: ``b`` (breakdown number, in ``built``'s breakdown order), ``k`` (group key),
    ``f`` (flagged at the operating threshold), ``c`` (class), ``n``, ``sv``, ``qv``. Every
    engine sorts the rows by ``b, k, f, c`` (NULL keys last) before :func:`draw_group_intervals`.
    """
    query = built.query
    breakdowns = dict(query.breakdowns or {})
    rows = built.model_rows(analysis.champion.name)
    params = rows.params
    values = payoff_row_values(query, params)
    y = f"({query.label_sql})"
    score = rows.score_sql
    threshold = analysis.champion.operating.threshold
    params["gb_t"] = math.inf if threshold is None else float(threshold)
    t = query.dialect.placeholder.format(name="gb_t")
    conds = [*rows.conditions, f"({y}) IS NOT NULL"]
    dims = ", ".join(f"{expr} AS d{i}" for i, expr in enumerate(breakdowns.values()))
    keys = [f"d{i}" for i in range(len(breakdowns))]
    set_id = " + ".join(f"(1 - GROUPING({k})) * {i}" for i, k in enumerate(keys))
    sql = f"""
        WITH r AS (
            SELECT {dims}, {score} >= {t} AS f, CASE WHEN {y} THEN 1 ELSE 0 END AS c,
                   CASE WHEN {score} >= {t} THEN {values["v_flag"]} ELSE {values["v_keep"]} END AS v
            FROM {query.dialect.quote_identifier(query.table)} WHERE {" AND ".join(conds)}
        )
        SELECT {set_id} AS b, coalesce({", ".join(keys)}) AS k, f, c,
               count(*) AS n, sum(v) AS sv, sum(v * v) AS qv
        FROM r GROUP BY GROUPING SETS ({", ".join(f"({k}, f, c)" for k in keys)})
    """
    return sql, params


def draw_group_intervals(
    raw: dict[str, Any],
    analysis: Analysis,
    names: list[str],
    *,
    replicates: int,
    confidence: float,
    seed: int,
    progress: Progress | None = None,
) -> GroupIntervals:
    """The replicates of each breakdown's groups, drawn from the cells of :func:`group_cells_sql`.

    ``raw`` holds the cells sorted by ``b, k, f, c``; any engine's aggregation feeds this (DuckDB
    here, Spark in :mod:`.spark_group_bootstrap`), so the same seed draws the same intervals.
    """
    which = np.asarray(raw["b"], dtype=np.int64)
    group_keys = np.asarray(raw["k"], dtype=object)
    n = np.asarray(raw["n"], dtype=np.float64)
    sv = np.nan_to_num(np.asarray(raw["sv"], dtype=np.float64))
    qv = np.nan_to_num(np.asarray(raw["qv"], dtype=np.float64))
    rng = np.random.default_rng([seed, 2])
    out: GroupIntervals = {}
    for b, name in enumerate(names):
        check_cancelled(progress)
        mine = which == b
        codes, groups = _codes(group_keys[mine])
        # One value per row under the held policy: the flag and keep sums are the same value.
        cells = Cells(n[mine], sv[mine], sv[mine], qv[mine], qv[mine], qv[mine], [codes])
        sums = []
        done = 0
        while done < replicates:
            size = min(CHUNK, replicates - done)
            flag, _ = replicate_sums(cells, rng, size)
            cell_codes = (np.arange(size)[:, None] * len(groups) + codes[None, :]).ravel()
            per = np.bincount(cell_codes, weights=flag.ravel(), minlength=size * len(groups))
            sums.append(per.reshape(size, len(groups)))
            done += size
        per_group = np.concatenate(sums)
        intervals = {str(g): percentile_interval(per_group[:, i], confidence) for i, g in enumerate(groups)}
        order = [
            g.key for g in (analysis.periods if name == PERIOD_BREAKDOWN else analysis.segments[name[8:]])
        ]
        out[name] = tuple((k, intervals[k]) for k in order if k in intervals)
    return out


def _codes(keys: np.ndarray) -> tuple[np.ndarray, list[str]]:
    groups = sorted({str(k) for k in keys})
    index = {g: i for i, g in enumerate(groups)}
    return np.asarray([index[str(k)] for k in keys], dtype=np.int64), groups
