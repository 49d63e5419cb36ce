"""Sampling uncertainty: a paired bootstrap over aggregated rows, without re-scanning them.

Semantics (``docs/uncertainty.md``; fixed, tests pin them):

- Labelled rows are resampled with replacement (multinomial weights, the plain bootstrap). One
  resample serves every model, so champion and challenger are compared on the same draw.
- Thresholds are held at the analysis's values (operating, each model's best, the common one),
  except for the interval on the best threshold itself, which is re-optimised in each replicate
  (same tie rule as the curve; flag nobody allowed and reported as ``None``).
- Value of the model = value at the operating threshold minus the better baseline *of that
  replicate*. P(challenger better) = share of replicates in which the challenger at its best
  threshold is worth more than the champion at its best threshold.
- Percentile intervals at the stated confidence; a fixed default seed.

Method: :mod:`roistudio.core.engine.bootstrap_cells` (cells, buckets and draws).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np

from roistudio.core.engine.analysis import Analysis
from roistudio.core.engine.baselines import baseline_fractions, better_baseline_values
from roistudio.core.engine.bootstrap_cells import (
    CellSource,
    DuckDBCells,
    bucket_edges,
    chunk_generators,
    curve_values,
    edge_column,
    map_chunks,
    nonempty,
    replicate_sums,
)
from roistudio.core.engine.curve import TIE_TOLERANCE
from roistudio.core.engine.intervals import (
    Interval,
    check_options,
    percentile_interval,
    savings_interval,
    threshold_interval,
)
from roistudio.core.errors import RoiError
from roistudio.core.progress import Progress, check_cancelled

DEFAULT_SEED = 20260101
DEFAULT_REPLICATES = 1000
DEFAULT_CONFIDENCE = 0.9
PROMOTE_AT = 0.95
MAX_BUCKETS = 2000
METHOD = "paired Poisson bootstrap over score-bucket aggregates, rescaled to the row count"


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Intervals of an analysis's figures, with the replicates they came from.

    ``samples`` holds one array per figure (``operating_value``, ``value_of_model``,
    ``optimal_threshold`` with NaN for flag nobody, and with a challenger ``difference_at_best``,
    ``difference_at_common``). ``band`` is the champion's value curve at the bucket edges:
    ``(thresholds, low, high)`` (NaN threshold = flag nobody), for a band on the value chart.
    """

    replicates: int
    confidence: float
    seed: int
    operating_value: Interval
    value_of_model: Interval
    optimal_threshold: Interval
    difference_at_best: Interval | None = None
    difference_at_common: Interval | None = None
    p_challenger_better: float | None = None
    samples: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    band: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    method: str = METHOD
    groups: dict[str, tuple[tuple[str, Interval], ...]] = field(default_factory=dict)

    @property
    def savings(self) -> Interval | None:
        """Interval of the savings ratio, from the same replicates (:func:`.intervals.savings_interval`)."""
        if "operating_value" not in self.samples or "value_of_model" not in self.samples:
            return None
        return savings_interval(
            self.samples["operating_value"], self.samples["value_of_model"], self.confidence
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``uncertainty`` block of the JSON contract."""
        out: dict[str, Any] = {
            "method": self.method,
            "replicates": self.replicates,
            "confidence": self.confidence,
            "seed": self.seed,
            "operating_value": self.operating_value.to_dict(),
            "value_of_model": self.value_of_model.to_dict(),
            "optimal_threshold": self.optimal_threshold.to_dict(),
        }
        savings = self.savings
        if savings is not None:  # the ratio is a share of a cost only when the baseline costs money
            out["savings"] = savings.to_dict()
        for name, groups in self.groups.items():
            rows = [{"key": k, **i.to_dict()} for k, i in groups]
            if name.startswith("segment:"):
                out.setdefault("segments", {})
                out["segments"][name.removeprefix("segment:")] = rows
            else:
                out["periods"] = rows
        if self.p_challenger_better is not None:
            out["comparison"] = {
                "difference_at_best": self.difference_at_best.to_dict(),  # type: ignore[union-attr]
                "difference_at_common": self.difference_at_common.to_dict(),  # type: ignore[union-attr]
                "p_challenger_better": self.p_challenger_better,
            }
        return out


def bootstrap(
    con: duckdb.DuckDBPyConnection,
    analysis: Analysis,
    *,
    replicates: int = DEFAULT_REPLICATES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
    max_buckets: int = MAX_BUCKETS,
    progress: Progress | None = None,
    cells: CellSource | None = None,
) -> BootstrapResult:
    """Bootstrap intervals of an analysis's figures (one aggregation query, then numpy).

    Parameters
    ----------
    con
        The connection the analysis ran on (its table must be unchanged).
    analysis
        Result of :func:`roistudio.core.engine.analysis.analyse`.
    replicates, confidence, seed
        Number of resamples (at least 1), interval confidence in (0, 1), random seed.
    max_buckets
        Most score buckets per model (see the module docstring); with two score columns the
        joint cells number at most about ``max_buckets**2`` but far fewer for related scores.
    progress
        Optional progress/cancel object.
    cells
        Where the rows are aggregated into cells (by default DuckDB on ``con``; the Spark
        engine passes :class:`.spark_bootstrap.SparkCells`). The draws are the same either way.

    Returns
    -------
    BootstrapResult
    """
    source = DuckDBCells(con, analysis) if cells is None else cells
    check_options(replicates, confidence)
    if replicates < 1:
        raise RoiError("the bootstrap needs at least one replicate")
    champion, challenger = analysis.champion, analysis.challenger
    if champion.curve.rows == 0:
        raise RoiError("the bootstrap needs labelled rows")
    common = champion.operating.threshold
    champ_edges = bucket_edges(
        champion.curve, [champion.operating.index, champion.optimum.index], max_buckets
    )
    if progress is not None:
        progress.progress(0.02, "Aggregating rows for the bootstrap")
    check_cancelled(progress)
    # The champion's own figures (and its band) come from fine per-score buckets. The comparison
    # needs one draw over both models: with two score columns on the same rows that is a joint
    # (champion bucket, challenger bucket, class) cell, so the buckets are coarser there.
    champ_cells = nonempty(source.per_model([champion], [champ_edges]))
    pair = None
    if challenger is not None:
        pair_models = [champion, challenger]
        forced = [
            [champion.operating.index, champion.optimum.index],
            [challenger.optimum.index, challenger.curve.index_at(common)],
        ]
        coarse = max(8, int(math.sqrt(2 * max_buckets)))
        coarse_edges = [bucket_edges(m.curve, f, coarse) for m, f in zip(pair_models, forced, strict=True)]
        pair_edges = coarse_edges
        pair_cells = source.paired(pair_models, pair_edges)
        if pair_cells is None:
            pair_edges = [
                bucket_edges(m.curve, f, max_buckets) for m, f in zip(pair_models, forced, strict=True)
            ]
            pair_cells = source.per_model(pair_models, pair_edges)
        pair = (nonempty(pair_cells), pair_edges)
    # Each chunk of replicates draws from its own generator spawned from the seed (the
    # champion's from ``seed``, the pair's from ``[seed, 1]``): chunks run on two threads and
    # the intervals stay the same for a seed.
    champ_rngs = chunk_generators(seed, replicates)
    pair_rngs = chunk_generators([seed, 1], replicates)
    op_col = edge_column(champ_edges, champion.operating.index)
    champ_thresholds = np.r_[np.nan, champion.curve.thresholds[champ_edges]]
    fractions = baseline_fractions(champion.curve, champion.constraints)
    if pair is not None:
        cols = (
            edge_column(pair[1][0], champion.optimum.index),
            edge_column(pair[1][0], champion.operating.index),
            edge_column(pair[1][1], challenger.optimum.index),  # type: ignore[union-attr]
            edge_column(pair[1][1], challenger.curve.index_at(common)),  # type: ignore[union-attr]
        )

    def chunk(i: int) -> dict[str, np.ndarray]:
        rng, size = champ_rngs[i]
        flag, keep = replicate_sums(champ_cells, rng, size)
        values = curve_values(flag, keep, champ_cells.buckets[0], len(champ_edges))
        best = values.max(axis=1, keepdims=True)
        drawn = {
            "band": values,
            "operating_value": values[:, op_col],
            "value_of_model": values[:, op_col]
            - better_baseline_values(values[:, 0], values[:, -1], fractions),
            # The first column within tolerance of the best: ties go to the higher threshold.
            "optimal_threshold": champ_thresholds[np.argmax(values >= best - TIE_TOLERANCE, axis=1)],
        }
        if pair is not None:
            joint, edges = pair
            flag, keep = replicate_sums(joint, pair_rngs[i][0], size)
            mine = curve_values(flag, keep, joint.buckets[0], len(edges[0]))
            other = curve_values(flag, keep, joint.buckets[1], len(edges[1]))
            drawn["difference_at_best"] = other[:, cols[2]] - mine[:, cols[0]]
            drawn["difference_at_common"] = other[:, cols[3]] - mine[:, cols[1]]
        return drawn

    def tick(i: int) -> None:
        check_cancelled(progress)
        if progress is not None and i:
            done = sum(size for _, size in champ_rngs[:i])
            progress.progress(
                0.05 + 0.95 * done / replicates, f"Bootstrap: {done:,} of {replicates:,} replicates"
            )

    chunks = map_chunks(chunk, len(champ_rngs), tick)
    if progress is not None:
        progress.progress(1.0, f"Bootstrap: {replicates:,} of {replicates:,} replicates")
    out = {k: [c[k] for c in chunks] for k in chunks[0] if k != "band"}
    band = [c["band"] for c in chunks]
    samples = {k: np.concatenate(v) for k, v in out.items()}
    all_values = np.concatenate(band)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(all_values, [alpha, 1.0 - alpha], axis=0)
    result = BootstrapResult(
        replicates=replicates,
        confidence=confidence,
        seed=seed,
        operating_value=percentile_interval(samples["operating_value"], confidence),
        value_of_model=percentile_interval(samples["value_of_model"], confidence),
        optimal_threshold=threshold_interval(samples["optimal_threshold"], confidence),
        samples=samples,
        band=(champ_thresholds, low, high),
    )
    if challenger is None:
        return result
    diff = samples["difference_at_best"]
    return BootstrapResult(
        **{k: getattr(result, k) for k in ("replicates", "confidence", "seed", "operating_value",
                                            "value_of_model", "optimal_threshold", "samples", "band")},
        difference_at_best=percentile_interval(diff, confidence),
        difference_at_common=percentile_interval(samples["difference_at_common"], confidence),
        p_challenger_better=float(np.mean(diff > 0)),
    )  # fmt: skip
