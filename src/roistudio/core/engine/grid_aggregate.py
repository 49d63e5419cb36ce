"""The sweep's aggregation by array indexing, for scores written with a few decimals.

DuckDB's hash aggregation (:mod:`.sweep_sql`) groups rows by their score, a double: at 100M rows
and a million distinct scores, hashing is most of a cold sweep. Scores are usually exported
with at most 6 decimals; then ``round(score * 10**d)`` is an integer between 0 and ``10**d``
that *is* the score, and grouping is a ``numpy.bincount`` over ``key * classes + class``,
which costs a fraction of a hash table. DuckDB still reads the file and computes the per-row
class and payoff (in parallel); only the grouping moves to numpy, one Arrow batch at a time.

Exact or nothing: a row belongs to the grid only if ``key / 10**d == score`` holds for it, bit
for bit; the groups are then exactly the distinct scores (``key / 10**d`` is the score each
group reports). ``d`` is the smallest number of decimals (0 to 6) that holds for the first
batch, raised if a later batch needs more; a batch with a score off every grid (more decimals,
a float32 score) ends this route, and the caller runs the usual SQL aggregation instead.

Served: one score column or several side by side (a challenger: a row is swept for every model
or none), no model column, no breakdowns, scores in [0, 1]. Rows with unusable scores
(missing, NaN, infinite, out of range) are counted, not grouped, and so are the label's values:
what :mod:`.one_pass` needs for the validation report.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

try:  # pyarrow carries DuckDB's row stream; the Linux bundle leaves it out (170 MB)
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover - the bundle's smoke test runs without it
    ARROW = False
else:
    ARROW = True

from roistudio.core.data.validation import ScoreSummary
from roistudio.core.engine.sweep_sql import ModelSource, SweepQuery, aggregate_sql
from roistudio.core.errors import Cancelled
from roistudio.core.progress import Progress, check_cancelled
from roistudio.core.sql import quote_ident

__all__ = ["MAX_DECIMALS", "GridAggregate", "GridValue", "grid_aggregate", "swap_label_classes"]

MAX_DECIMALS = 6  # 10**6 + 1 keys per class: a few tens of MB per summed value
# Rows per Arrow batch asked for (DuckDB hands over at most a row group's worth, about 1M);
# batches are then added up a few at a time (see _Accumulator).
BATCH_ROWS = 1 << 22
# Per connection, the (table, score columns) found off the grid: a later sweep of the same
# data (the usual route after the one-read route handed over, a filter edit) goes straight to
# SQL. It only ever sends work to the SQL route: a stale entry (a table replaced under the same
# name) costs speed, never a wrong number.
_OFF_GRID: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, set[tuple[object, ...]]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class GridValue:
    """One aggregate: the sum (NULL as 0) or the non-NULL count of a per-row value."""

    name: str
    column: str
    count: bool = False


@dataclass(frozen=True, eq=False)
class GridAggregate:
    """What one read gave: the aggregate of usable scores, and counts over every row read.

    Attributes
    ----------
    arrays
        The columns of :func:`.sweep_sql.aggregate_sql` (``m``, ``set_id``, ``s``, ``c``, ``n``
        and each :class:`GridValue` by name), rows of usable scores only, sorted by score
        descending and class.
    class_rows
        Rows per class code, every row read (unusable scores too); the last entry counts rows
        of a code past the binned ones. The read stops at the first such row: the arrays are
        then empty and the counts partial (the caller only needs to know there is one).
    summaries
        Each score column's :class:`ScoreSummary` over every row read (models' order).
    decimals
        The grid the scores were on.
    """

    arrays: dict[str, np.ndarray]
    class_rows: np.ndarray
    summaries: tuple[ScoreSummary, ...]
    decimals: int
    label_values: tuple[object, ...] = ()


def swap_label_classes(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The aggregate with classes 0 and 1 swapped, still sorted by score descending then class.

    For a label read by its values (``labels=True``): the value coded 0 turned out to be the
    positive one. Within a score, classes come in the order 0, 1, 2; after the swap only an
    adjacent (1, 0) pair of the same score is out of order, so swapping those rows sorts it.
    """
    c = np.asarray(arrays["c"])
    swapped = np.where(c < 2, 1 - c, c).astype(c.dtype)
    s = np.asarray(arrays["s"])
    order = np.arange(len(c))
    if len(c) > 1:
        same = s[1:] == s[:-1]
        if "m" in arrays:  # models follow one another: a score may end one and start the next
            m = np.asarray(arrays["m"])
            same &= m[1:] == m[:-1]
        pair = np.flatnonzero(same & (swapped[:-1] == 1) & (swapped[1:] == 0))
        order[pair], order[pair + 1] = pair + 1, pair
    out = {k: np.asarray(v)[order] for k, v in arrays.items() if k != "c"}
    out["c"] = swapped[order]
    return out


def _decimals_for(scores: np.ndarray, start: int) -> int | None:
    """The smallest ``d`` in ``start..MAX_DECIMALS`` with every score exactly ``round(s*10**d)/10**d``."""
    for d in range(start, MAX_DECIMALS + 1):
        scale = float(10**d)
        if np.array_equal(np.rint(scores * scale) / scale, scores):
            return d
    return None


def _keys(scores: np.ndarray, decimals: int, out: np.ndarray, work: np.ndarray) -> bool:
    """Write ``round(score * 10**decimals)`` into ``out`` (int64); False if a score is off that grid.

    For scores in [0, 1]. Truncating ``x + 0.5`` rounds a non-negative ``x``; the exact check
    makes the way a tie would round irrelevant (a wrong key fails it). ``work`` is scratch space
    of the same length (no array is allocated per batch).
    """
    scale = float(10**decimals)
    np.multiply(scores, scale, out=work)
    work += 0.5
    np.copyto(out, work, casting="unsafe")  # truncation toward zero
    np.divide(out, scale, out=work)
    return bool(np.array_equal(work, scores))


class _Accumulator:
    """Dense per-(key, class) sums on a grid of ``10**d + 1`` keys; regridded when ``d`` grows.

    Batches are written into buffers of about twice as many rows as there are bins, and
    ``bincount`` runs when they are full: each call then costs its rows, not its bins (the
    full-size result is allocated and added once per buffer, not once per batch), and no
    batch-sized array is allocated afresh (fresh pages cost the kernel as much as the counting).
    """

    def __init__(self, decimals: int, classes: int, values: Sequence[GridValue]) -> None:
        self.decimals = decimals
        self.classes = classes
        self.values = list(values)
        bins = (10**decimals + 1) * classes
        self.n = np.zeros(bins, dtype=np.int64)
        # A count is kept as the NULLs it leaves out (usually none: no bincount at all).
        self.sums = {v.name: np.zeros(bins, dtype=np.float64) for v in values}
        self.capacity = 0
        self.index = np.empty(0, dtype=np.int64)
        self.weights = {v.name: np.empty(0) for v in values}
        self.used = 0
        self.weighted = dict.fromkeys(self.sums, False)  # any weights in the buffer yet

    def regrid(self, decimals: int) -> None:
        """Move every bin to a finer grid: key ``k`` at ``d`` is key ``k * 10**(new - d)``."""
        self.flush()
        step = 10 ** (decimals - self.decimals)
        keys_now, keys_new = 10**self.decimals + 1, 10**decimals + 1

        def move(old: np.ndarray) -> np.ndarray:
            new = np.zeros((keys_new, self.classes), dtype=old.dtype)
            new[::step] = old.reshape(keys_now, self.classes)
            return new.reshape(-1)

        self.n = move(self.n)
        self.sums = {name: move(v) for name, v in self.sums.items()}
        self.decimals = decimals

    def slot(self, rows: int) -> np.ndarray:
        """Room for a batch of ``rows`` in the index buffer (flushing it first if full)."""
        if self.used + rows > self.capacity:
            self.flush()
            if rows > self.capacity:
                self.capacity = max(rows, 2 * len(self.n))
                self.index = np.empty(self.capacity, dtype=np.int64)
                self.weights = {name: np.empty(self.capacity) for name in self.sums}
        return self.index[self.used : self.used + rows]

    def commit(self, rows: int, weights: Mapping[str, np.ndarray | None]) -> None:
        """Keep the batch just written into :meth:`slot`, with its weights (None: all zero)."""
        start, stop = self.used, self.used + rows
        for name, w in weights.items():
            if w is None:
                if self.weighted[name]:
                    self.weights[name][start:stop] = 0.0
                continue
            if not self.weighted[name]:
                self.weights[name][:start] = 0.0  # the batches before had none
                self.weighted[name] = True
            np.copyto(self.weights[name][start:stop], w)
        self.used = stop

    def flush(self) -> None:
        if not self.used:
            return
        bins = len(self.n)
        index = self.index[: self.used]
        self.n += np.bincount(index, minlength=bins)
        for name, total in self.sums.items():
            if self.weighted[name]:
                total += np.bincount(index, weights=self.weights[name][: self.used], minlength=bins)
        self.used = 0
        self.weighted = dict.fromkeys(self.sums, False)

    def arrays(self) -> dict[str, np.ndarray]:
        """The non-empty (key, class) bins, score descending then class ascending."""
        self.flush()
        shape = (10**self.decimals + 1, self.classes)
        n = self.n.reshape(shape)[::-1]  # keys descending, classes ascending within a key
        flat = np.flatnonzero(n.reshape(-1))
        top = 10**self.decimals
        key = top - flat // self.classes
        out: dict[str, np.ndarray] = {
            "m": np.zeros(len(flat), dtype=np.int32),
            "set_id": np.zeros(len(flat), dtype=np.int32),
            "s": key / float(top),
            "c": (flat % self.classes).astype(np.int32),
            "n": n.reshape(-1)[flat],
        }
        for v in self.values:
            picked = self.sums[v.name].reshape(shape)[::-1].reshape(-1)[flat]
            # Counts are exact in a double far beyond any row count.
            out[v.name] = out["n"] - np.rint(picked).astype(np.int64) if v.count else picked
        return out


class _Summary:
    """The score summary's counts, added up batch by batch."""

    def __init__(self) -> None:
        self.rows = self.missing = self.nan = self.infinite = self.below = self.above = 0
        self.minimum: float | None = None
        self.maximum: float | None = None

    def add(self, scores: np.ndarray, missing: int) -> np.ndarray | None:
        """Count a batch (NULL scores already NaN in ``scores``); the usable rows' mask, None if all are."""
        self.rows += len(scores)
        self.missing += missing
        if not len(scores):
            return None
        lo, hi = scores.min(), scores.max()  # NaN if any is NaN
        if lo >= 0 and hi <= 1:  # the usual batch: two passes, no mask
            self.minimum = float(lo) if self.minimum is None else min(self.minimum, float(lo))
            self.maximum = float(hi) if self.maximum is None else max(self.maximum, float(hi))
            return None
        finite = np.isfinite(scores)
        if finite.all():
            lo, hi = (
                float(scores.min()) if len(scores) else None,
                float(scores.max()) if len(scores) else None,
            )
            usable = None
        else:
            self.nan += int(np.isnan(scores).sum()) - missing
            self.infinite += int(np.isinf(scores).sum())
            fin = scores[finite]
            lo, hi = (float(fin.min()), float(fin.max())) if len(fin) else (None, None)
            usable = finite
        if lo is not None and hi is not None:
            self.minimum = lo if self.minimum is None else min(self.minimum, lo)
            self.maximum = hi if self.maximum is None else max(self.maximum, hi)
            if lo < 0 or hi > 1:
                # Among finite values only: an infinite score is counted as infinite.
                in_range = (scores >= 0) & (scores <= 1)
                out = ~in_range if usable is None else usable & ~in_range
                below = int((out & (scores < 0)).sum())
                self.below += below
                self.above += int(out.sum()) - below
                usable = in_range
        return usable

    def summary(self, column: str) -> ScoreSummary:
        return ScoreSummary(
            column=column, rows=self.rows, missing=self.missing, nan=self.nan, infinite=self.infinite,
            below_zero=self.below, above_one=self.above, minimum=self.minimum, maximum=self.maximum,
            raw_scores=False,
        )  # fmt: skip


def _float_column(batch: pa.RecordBatch, name: str) -> tuple[np.ndarray, pa.Array]:
    """A double column as numpy, NULL as NaN (zero-copy when there is no NULL)."""
    column = batch.column(name)
    if column.null_count:
        return column.fill_null(np.nan).to_numpy(), column
    return column.to_numpy(zero_copy_only=False), column


def _weights(column: pa.Array, value: GridValue, usable: np.ndarray | None) -> np.ndarray | None:
    """A batch's weights for ``value``: the value (NULL as 0), or 1 per NULL for a count; None if all 0."""
    if value.count:
        if not column.null_count:
            return None
        w: np.ndarray = column.is_null().to_numpy(zero_copy_only=False).astype(np.float64)
    else:
        filled = column.fill_null(0.0) if column.null_count else column
        w = pc.cast(filled, pa.float64()).to_numpy(zero_copy_only=False)
    return w if usable is None else w[usable]


def grid_aggregate(
    con: duckdb.DuckDBPyConnection,
    query: SweepQuery,
    models: Sequence[ModelSource],
    row_values: Mapping[str, str],
    values: Sequence[GridValue],
    params: dict[str, object],
    *,
    class_sql: str | None = None,
    classes: int = 3,
    check_scores: bool = True,
    labels: bool = False,
    progress: Progress | None = None,
) -> GridAggregate | None:
    """The aggregation of :func:`.sweep_sql.aggregate_sql` by ``bincount``, or None when it does not apply.

    Parameters
    ----------
    con, query, models, row_values, params, class_sql, check_scores
        As for :func:`.sweep_sql.aggregate_sql` (DuckDB dialect).
    values
        The aggregates to compute over ``row_values``' columns.
    classes
        How many class codes ``class_sql`` gives (codes ``0 .. classes - 1``; a row with a higher
        code ends the read, see :attr:`GridAggregate.class_rows`).
    labels
        ``class_sql`` gives the label's value (NULL when not yet known), not a class: the first
        two values seen are classes 0 and 1 (:attr:`GridAggregate.label_values`), NULL is class
        2, a third value ends the read. :func:`swap_label_classes` makes the value coded 0 the
        positive one.
    progress
        Progress and cancel, checked between batches.

    Returns
    -------
    GridAggregate or None
        None, before reading, for what this route does not serve (several models, breakdowns,
        raw scores); None, after reading, when a score is off every grid of up to
        :data:`MAX_DECIMALS` decimals. The caller then aggregates in SQL.
    """
    if not ARROW or any(m.model_column is not None for m in models) or query.breakdowns or query.raw_scores:
        return None  # without pyarrow (the bundle), or not served: the SQL route
    memo = (query.table, tuple(m.score_column for m in models))
    off_grid = _OFF_GRID.setdefault(con, set())
    if memo in off_grid:
        return None  # read before and found off the grid: straight to SQL
    # Model 0's rows are every model's rows (score columns side by side are compared on the
    # same rows): its SELECT, with the other models' scores as more per-row values.
    others = {f"s_{i}": f"CAST({quote_ident(m.score_column)} AS DOUBLE)" for i, m in enumerate(models) if i}
    _, selects = aggregate_sql(
        query, models, {**row_values, **others}, ["0 AS unused"], params,
        class_sql=class_sql, check_scores=check_scores,
    )  # fmt: skip
    picked = sorted({v.column for v in values})
    cls = "CAST(c AS VARCHAR)" if labels else "CAST(c AS UTINYINT)"
    score_columns = ["s", *others]
    sql = (
        f"SELECT {', '.join(score_columns)}, {cls} AS c{''.join(', ' + quote_ident(c) for c in picked)} "
        f"FROM ({selects[0]})"
    )
    if progress is not None:
        progress.progress(0.05, "Aggregating per score")
    grid = _Grid(classes, values, score_columns, labels)
    try:
        reader = con.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
        try:
            _read(reader, grid, progress)
        finally:
            reader.close()
    except duckdb.InterruptException:
        raise Cancelled() from None
    except (OSError, pa.ArrowException) as exc:
        # Mid-read, DuckDB's errors reach the Arrow reader as OSError: an interrupt is the
        # user's cancel; anything else the SQL route meets again and reports in its own words.
        if "INTERRUPT" in str(exc):
            raise Cancelled() from None
        return None
    summaries = tuple(stats.summary(m.score_column) for stats, m in zip(grid.stats, models, strict=True))
    if grid.class_rows[classes]:
        # A class this aggregate has no bins for: the caller discards the result.
        return GridAggregate({}, grid.class_rows, summaries, 0, tuple(grid.label_codes))
    if grid.off_grid:
        off_grid.add(memo)
        return None
    accs = [acc or _Accumulator(0, classes, values) for acc in grid.accs]
    parts = [acc.arrays() for acc in accs]
    for i, part in enumerate(parts):
        part["m"][:] = i
    arrays = parts[0] if len(parts) == 1 else {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    decimals = max(acc.decimals for acc in accs)
    # Rows per class: the binned ones (every model bins the same rows) and the unusable ones.
    class_rows = grid.class_rows.copy()
    class_rows[:classes] = accs[0].n.reshape(-1, classes).sum(axis=0) + grid.unusable_rows
    return GridAggregate(arrays, class_rows, summaries, decimals, tuple(grid.label_codes))


class _Grid:
    """The numpy side of one read: batches in, sums per (key, class) out."""

    def __init__(
        self, classes: int, values: Sequence[GridValue], score_columns: Sequence[str], labels: bool = False
    ) -> None:
        self.classes = classes
        self.score_columns = list(score_columns)
        self.labels = labels
        self.label_codes: dict[object, int] = {}  # label value -> class code, in order of appearance
        self.values = values
        self.accs: list[_Accumulator | None] = [None] * len(score_columns)  # one per model
        self.class_rows = np.zeros(classes + 1, dtype=np.int64)  # see GridAggregate.class_rows
        self.unusable_rows = np.zeros(classes, dtype=np.int64)  # per class, rows not binned
        self.work = np.empty(0)  # scratch space for the keys of a batch
        self.stats = [_Summary() for _ in score_columns]
        self.off_grid = False
        self.stopped = False  # nothing more to learn from the rows: off the grid, or another class

    def _label_classes(self, column: pa.Array) -> np.ndarray:
        """Class codes of a batch of label values: 0 and 1 for the first two values seen, then NULL, then "other".

        Looked up through the batch's dictionary (a handful of distinct values), not row by row.
        """
        encoded = column.dictionary_encode()
        codes = []
        for value in encoded.dictionary.to_pylist():
            if value not in self.label_codes and len(self.label_codes) < self.classes - 1:
                self.label_codes[value] = len(self.label_codes)
            codes.append(self.label_codes.get(value, self.classes))  # a third value: "other"
        lookup = np.array([*codes, self.classes - 1], dtype=np.uint8)  # the last entry: NULL
        indices = encoded.indices.fill_null(len(codes)).to_numpy(zero_copy_only=False)
        classes: np.ndarray = lookup[indices]
        return classes

    def take(self, batch: pa.RecordBatch) -> None:
        """Add one batch (sets ``stopped`` when the read can end)."""
        classes = self.classes
        cls = (
            self._label_classes(batch.column("c"))
            if self.labels
            else batch.column("c").to_numpy(zero_copy_only=False)
        )
        if len(cls) and cls.max() >= classes:
            self.class_rows[classes] += int((cls >= classes).sum())
            self.stopped = True
            return
        scores = []
        usable: np.ndarray | None = None  # None: every row
        for name, stats in zip(self.score_columns, self.stats, strict=True):
            values, column = _float_column(batch, name)
            scores.append(values)
            mine = stats.add(values, column.null_count)
            if mine is not None:  # a row is swept for all models or none
                usable = mine if usable is None else usable & mine
        if usable is not None:
            # Rows of unusable scores still count for the label (the usable ones are counted
            # from the bins at the end).
            self.unusable_rows += np.bincount(cls[~usable], minlength=classes)[:classes]
            scores, cls = [s[usable] for s in scores], cls[usable]
        if not len(cls):
            return
        for i, s in enumerate(scores):
            if not self._index(i, s, cls):
                return
        weights = {v.name: _weights(batch.column(v.column), v, usable) for v in self.values}
        for acc in self.accs:
            assert acc is not None
            acc.commit(len(cls), weights)

    def _index(self, model: int, scores: np.ndarray, cls: np.ndarray) -> bool:
        """Write one model's bin indexes into its accumulator's buffer; False (and ``stopped``) off the grid."""
        acc = self.accs[model]
        if acc is None:
            decimals = _decimals_for(scores, 0)
            if decimals is None:
                self.off_grid = self.stopped = True
                return False
            acc = self.accs[model] = _Accumulator(decimals, self.classes, self.values)
        rows = len(scores)
        if len(self.work) < rows:
            self.work = np.empty(rows)
        work = self.work[:rows]
        out = acc.slot(rows)
        if not _keys(scores, acc.decimals, out, work):
            finer = _decimals_for(scores, acc.decimals + 1)
            if finer is None:
                self.off_grid = self.stopped = True  # off the grid: the SQL aggregation groups it
                return False
            acc.regrid(finer)
            out = acc.slot(rows)
            ok = _keys(scores, finer, out, work)
            assert ok
        out *= self.classes
        out += cls
        return True


def _read(reader: pa.RecordBatchReader, grid: _Grid, progress: Progress | None) -> None:
    """Feed the reader's batches to ``grid`` in a second thread.

    DuckDB makes the next batch (it releases the GIL) while numpy adds up the last one; on two
    cores that overlaps most of the numpy time with the scan. DuckDB is only called from this
    (the caller's) thread. At most two batches wait, so memory stays bounded.
    """
    waiting: queue.Queue[pa.RecordBatch | None] = queue.Queue(maxsize=2)
    failures: list[BaseException] = []

    def work() -> None:
        while (batch := waiting.get()) is not None:
            if grid.stopped:
                continue  # drain: the reader may still be putting
            try:
                grid.take(batch)
            except BaseException as exc:  # handed to the caller's thread below
                failures.append(exc)
                grid.stopped = True

    worker = threading.Thread(target=work, name="grid-aggregate", daemon=True)
    worker.start()
    try:
        for batch in reader:
            check_cancelled(progress)
            if grid.stopped:
                break
            waiting.put(batch)
    finally:
        waiting.put(None)
        worker.join()
    if failures:
        raise failures[0]
