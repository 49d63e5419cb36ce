"""The bincount aggregation of scores on a decimal grid gives what DuckDB's hash aggregation gives.

Two comparisons on many generated inputs:

- the aggregate itself: :func:`grid_aggregate` against the SQL of :func:`aggregate_sql` run by
  DuckDB: the same distinct scores bit for bit, the same counts, sums equal to the cent (they are
  added up in another order);
- a whole cold analysis (one read, by the grid) against the usual route (validation, then the
  SQL sweep): the same JSON, validation report and messages.

Batches are made small, so every input is read in several batches (a grid that grows from one
batch to the next, an off-grid row in the last batch).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine import grid_aggregate as grid_module
from roistudio.core.engine import one_pass
from roistudio.core.engine.grid_aggregate import GridValue, grid_aggregate, swap_label_classes
from roistudio.core.engine.sweep_sql import (
    PAYOFF_AGGREGATES,
    ModelSource,
    SweepQuery,
    aggregate_sql,
    payoff_row_values,
)
from roistudio.core.errors import Cancelled
from roistudio.core.payoff.language import parse_payoff
from tests.helpers import cold_and_usual, same_to_rounding

AFFINE = {"tp": "amount * 0.9 - 5", "fp": "-5", "fn": "-amount"}
NOT_AFFINE = {"tp": "amount * 0.8 - 5", "fp": "-5", "fn": "-amount if amount > 50 else -1", "tn": "0"}


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch):
    monkeypatch.setattr(grid_module, "BATCH_ROWS", 64)


def _frame(seed: int, n: int = 700, decimals: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = np.round(rng.beta(0.6, 2.0, n), decimals)  # many ties at few decimals
    return pd.DataFrame({
        "score": score,
        "label": (rng.random(n) < score).astype(np.int64),
        "amount": np.round(rng.gamma(2.0, 40.0, n), 2),
    })  # fmt: skip


def _con(frame: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE data AS SELECT * FROM frame")  # keeps row order: batches in order
    return con


def _set(frame: pd.DataFrame, rows, column: str, value) -> pd.DataFrame:
    frame = frame.copy()
    if value is None:
        frame[column] = frame[column].astype(object)
    frame.loc[rows, column] = value
    return frame


def _query(con, payoff=AFFINE) -> SweepQuery:
    parsed = parse_payoff(payoff, {}, table_columns(con, "data"))
    return SweepQuery("data", '"label" = $y', {"y": 1}, parsed)


def _sql_aggregate(con, query: SweepQuery) -> dict[str, np.ndarray]:
    params: dict[str, object] = {**query.label_params}
    row_values = payoff_row_values(query, params)
    sql, _ = aggregate_sql(query, [ModelSource("m", "score")], row_values, PAYOFF_AGGREGATES, params)
    return con.execute(sql, params).fetchnumpy()


def _grid(con, query: SweepQuery):
    params: dict[str, object] = {**query.label_params}
    row_values = payoff_row_values(query, params)
    values = [GridValue("v_flag", "v_flag"), GridValue("v_keep", "v_keep")]
    return grid_aggregate(con, query, [ModelSource("m", "score")], row_values, values, params)


def _assert_same_aggregate(grid: dict[str, np.ndarray], sql: dict[str, np.ndarray]) -> None:
    assert len(grid["s"]) == len(sql["s"])
    # The same distinct scores, bit for bit (the sign of a zero apart: -0.0 groups with 0.0).
    assert np.array_equal(np.asarray(grid["s"]) + 0.0, np.asarray(sql["s"], dtype=np.float64) + 0.0)
    for column in ("c", "n", "m", "set_id"):
        assert np.array_equal(np.asarray(grid[column]), np.asarray(sql[column])), column
    for column in ("v_flag", "v_keep"):
        np.testing.assert_allclose(
            grid[column], np.asarray(sql[column], dtype=np.float64), rtol=0, atol=0.005
        )


AGGREGATE_CASES = {
    "ties, 3 decimals": lambda: _frame(1),
    "6 decimals": lambda: _frame(2, decimals=6),
    "whole numbers only": lambda: _frame(3).assign(score=lambda f: np.round(f.score)),
    "scores 0 and 1": lambda: _set(_set(_frame(4), [0, 5, 9], "score", 0.0), [1, 600], "score", 1.0),
    "negative zero": lambda: _set(_frame(5), [0, 2, 300], "score", -0.0),
    "unlabelled rows": lambda: _frame(6).assign(
        label=lambda f: f.label.astype("Int64").mask(f.index % 5 == 0)
    ),
    # 1 decimal in the first batches, 4 from row 500 on: the grid is refined mid-read.
    "grid grows": lambda: _frame(7, decimals=1).assign(
        score=lambda f: f.score.where(f.index < 500, np.round(np.random.default_rng(0).random(len(f)), 4))
    ),
}


@pytest.mark.parametrize("case", list(AGGREGATE_CASES))
def test_the_grid_aggregate_is_duckdbs(case):
    con = _con(AGGREGATE_CASES[case]())
    query = _query(con)
    got = _grid(con, query)
    assert got is not None
    _assert_same_aggregate(got.arrays, _sql_aggregate(con, query))
    if case == "grid grows":
        assert got.decimals == 4


def test_an_off_grid_score_in_the_last_batch_hands_over():
    frame = _frame(8)
    frame.loc[len(frame) - 1, "score"] = 0.1 + 0.2  # 0.30000000000000004: on no decimal grid
    con = _con(frame)
    assert _grid(con, _query(con)) is None


def test_scores_off_every_grid_hand_over_at_the_first_batch():
    frame = _frame(9).assign(score=lambda f: f.score.astype(np.float32).astype(np.float64) + 1e-9)
    con = _con(frame)
    assert _grid(con, _query(con)) is None


def test_empty_input():
    con = _con(_frame(10).iloc[:0])
    got = _grid(con, _query(con))
    assert got is not None
    assert all(len(v) == 0 for v in got.arrays.values())
    assert got.summaries[0].rows == 0 and got.summaries[0].minimum is None


def test_model_columns_and_breakdowns_are_not_served():
    con = _con(_frame(11).assign(model="a"))
    query = _query(con)
    params: dict[str, object] = {}
    models = [ModelSource("a", "score", "model", "a")]
    assert grid_aggregate(con, query, models, {}, [], params) is None
    by_region = SweepQuery("data", "TRUE", {}, query.payoff, breakdowns={"region": "'x'"})
    assert grid_aggregate(con, by_region, [ModelSource("m", "score")], {}, [], params) is None


def test_a_challenger_is_aggregated_on_the_rows_both_scores_can_sweep():
    frame = _frame(12).assign(other=np.round(np.random.default_rng(1).random(700), 5))
    frame.loc[[3, 400], "other"] = np.nan  # left out of both curves
    frame.loc[[5], "score"] = 1.5
    con = _con(frame)
    query = _query(con)
    models = [ModelSource("champion", "score"), ModelSource("challenger", "other")]
    params: dict[str, object] = {**query.label_params}
    row_values = payoff_row_values(query, params)
    sql, _ = aggregate_sql(query, models, row_values, PAYOFF_AGGREGATES, dict(params))
    expected = con.execute(sql, params).fetchnumpy()
    values = [GridValue("v_flag", "v_flag"), GridValue("v_keep", "v_keep")]
    got = grid_aggregate(con, query, models, row_values, values, params)
    assert got is not None
    _assert_same_aggregate(got.arrays, expected)
    assert [s.column for s in got.summaries] == ["score", "other"]
    # The SQL left out the 3 rows either score cannot sweep before any summary counted them.
    assert [s.rows for s in got.summaries] == [697, 697]


# Whole analyses: cold (one read by the grid) against the usual route (validation, SQL sweep).


def _grid_spy(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = one_pass.grid_aggregate

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        seen.append("sql" if out is None else "grid")
        return out

    monkeypatch.setattr(one_pass, "grid_aggregate", spy)
    return seen


ANALYSIS_CASES = {
    "plain": (lambda: _frame(20), {}),
    "negative zero, 0 and 1": (
        lambda: _set(_set(_set(_frame(21), [0, 3], "score", -0.0), [4], "score", 0.0), [7], "score", 1.0),
        {},
    ),
    "unlabelled rows": (
        lambda: _frame(22).assign(label=lambda f: f.label.astype("Int64").mask(f.index % 4 == 0)),
        {},
    ),
    "boolean label": (lambda: _frame(23).assign(label=lambda f: f.label.astype(bool)), {}),
    "double label": (lambda: _frame(24).assign(label=lambda f: f.label.astype(float)), {}),
    "bad scores refused": (
        lambda: _set(_set(_set(_frame(25), [3], "score", np.nan), [650], "score", 1.5), [100], "score", None),
        {},
    ),
    "bad scores excluded": (
        lambda: _set(
            _set(_set(_set(_frame(26), [3], "score", np.nan), [4], "score", np.inf), [5], "score", -0.25),
            [690],
            "score",
            None,
        ),
        {"exclude_bad_scores": True},
    ),
    "only bad scores": (lambda: _frame(27).assign(score=np.nan), {"exclude_bad_scores": True}),
    "a NULL payoff on a positive": (lambda: _set(_frame(28), [600], "amount", np.nan).assign(label=1), {}),
    "a NULL payoff on an unlabelled row": (
        lambda: _set(_frame(29), [650], "amount", np.nan).assign(
            label=lambda f: f.label.astype("Int64").mask(f.index == 650)
        ),
        {},
    ),
    "a third label value late": (lambda: _set(_frame(30), [680], "label", 2), {}),
    "off grid in the last batch": (lambda: _set(_frame(31), [699], "score", 0.1 + 0.2), {}),
    "empty": (lambda: _frame(32).iloc[:0], {}),
}


@pytest.mark.parametrize("payoff", [AFFINE, NOT_AFFINE], ids=["affine", "not affine"])
@pytest.mark.parametrize("cached", [False, True], ids=["cli", "app"])
@pytest.mark.parametrize("case", list(ANALYSIS_CASES))
def test_a_cold_analysis_by_the_grid_is_the_usual_one(case, cached, payoff, monkeypatch):
    make, mapping_args = ANALYSIS_CASES[case]
    con = _con(make())
    seen = _grid_spy(monkeypatch)
    cold, usual = cold_and_usual(con, ColumnMapping("score", "label", **mapping_args), payoff, cached)
    assert same_to_rounding(cold, usual), (cold, usual)
    # The grid answered itself (else the test would compare the SQL route with itself).
    expected = "sql" if case == "off grid in the last batch" else "grid"
    assert seen == [expected]


class _CancelAfter:
    """A progress object whose user cancels after ``n`` checks."""

    def __init__(self, n: int) -> None:
        self.left = n

    def progress(self, fraction: float, text: str = "") -> None:
        pass

    def cancelled(self) -> bool:
        self.left -= 1
        return self.left < 0


def test_a_cancel_between_batches_stops_the_read():
    con = _con(_frame(40))
    query = _query(con)
    params: dict[str, object] = {**query.label_params}
    row_values = payoff_row_values(query, params)
    with pytest.raises(Cancelled):
        grid_aggregate(
            con, query, [ModelSource("m", "score")], row_values, [], params, progress=_CancelAfter(3)
        )
    assert con.execute("SELECT 42").fetchone() == (42,)  # the connection is still usable


def test_an_interrupt_mid_read_is_a_cancel(monkeypatch):
    con = _con(_frame(41))
    query = _query(con)

    def interrupted(reader, grid, progress):
        raise OSError("INTERRUPT Error: Interrupted!")  # how DuckDB's interrupt reaches the reader

    monkeypatch.setattr(grid_module, "_read", interrupted)
    with pytest.raises(Cancelled):
        _grid(con, query)
    monkeypatch.setattr(grid_module, "_read", lambda *a: (_ for _ in ()).throw(OSError("IO Error: gone")))
    assert _grid(con, query) is None  # any other error: the SQL route meets it and reports it


def _text(frame: pd.DataFrame, first: str) -> pd.DataFrame:
    """Labels as "yes"/"no" text, the first row's label being ``first``."""
    frame = frame.assign(label=np.where(frame.label == 1, "yes", "no"))
    frame.loc[0, "label"] = first
    return frame


TEXT_CASES = {
    # The first value read is coded 0: when it is the positive one the classes are swapped.
    "yes first": (lambda: _text(_frame(50), "yes"), {}),
    "no first": (lambda: _text(_frame(51), "no"), {}),
    "positive is no": (lambda: _text(_frame(52), "yes"), {"positive": "no"}),
    "blank and missing labels": (
        lambda: _set(_set(_text(_frame(53), "yes"), [5, 6], "label", " "), [7, 600], "label", None),
        {},
    ),
    "only yes": (lambda: _frame(54).assign(label="yes"), {}),
    "only blank": (lambda: _frame(55).assign(label=""), {}),
    "bad scores excluded": (
        lambda: _set(_set(_text(_frame(56), "no"), [3], "score", np.nan), [9], "score", 1.5),
        {"exclude_bad_scores": True},
    ),
    "a third value late": (lambda: _set(_text(_frame(57), "yes"), [690], "label", "maybe"), {}),
    "off grid": (lambda: _set(_text(_frame(58), "yes"), [699], "score", 0.1 + 0.2), {}),
}


@pytest.mark.parametrize("cached", [False, True], ids=["cli", "app"])
@pytest.mark.parametrize("case", list(TEXT_CASES))
def test_text_labels_are_read_once_by_the_grid(case, cached, monkeypatch):
    make, mapping_args = TEXT_CASES[case]
    con = _con(make())
    seen = _grid_spy(monkeypatch)
    cold, usual = cold_and_usual(con, ColumnMapping("score", "label", **mapping_args), AFFINE, cached)
    assert same_to_rounding(cold, usual), (cold, usual)
    assert seen == ["sql" if case == "off grid" else "grid"]


def test_text_labels_with_a_payoff_not_affine_go_the_usual_way(monkeypatch):
    con = _con(_text(_frame(59), "yes"))
    seen = _grid_spy(monkeypatch)
    assert same_to_rounding(*cold_and_usual(con, ColumnMapping("score", "label"), NOT_AFFINE, False))
    assert seen == []


def test_swapping_label_classes_keeps_the_order():
    arrays = {
        "s": np.array([0.9, 0.9, 0.9, 0.5, 0.2, 0.2]),
        "c": np.array([0, 1, 2, 1, 0, 2], dtype=np.int32),
        "n": np.array([1, 2, 3, 4, 5, 6]),
    }
    swapped = swap_label_classes(arrays)
    assert swapped["c"].tolist() == [0, 1, 2, 0, 1, 2]
    assert swapped["n"].tolist() == [2, 1, 3, 4, 5, 6]
    assert swapped["s"].tolist() == [0.9, 0.9, 0.9, 0.5, 0.2, 0.2]


CHALLENGER_CASES = {
    "plain": (lambda: _frame(60).assign(other=lambda f: np.round(f.score * 0.7 + 0.1, 4)), {}),
    "unusable challenger scores excluded": (
        lambda: _set(_frame(61).assign(other=lambda f: np.round(1 - f.score, 2)), [4, 650], "other", np.nan),
        {"exclude_bad_scores": True},
    ),
    "unusable challenger scores refused": (
        lambda: _set(_frame(62).assign(other=lambda f: np.round(1 - f.score, 2)), [650], "other", 2.0),
        {},
    ),
    "text label": (lambda: _text(_frame(63), "yes").assign(other=lambda f: np.round(f.score / 2, 3)), {}),
    "challenger off grid": (
        lambda: _frame(64).assign(other=lambda f: (f.score / 3).astype(np.float32).astype(np.float64)),
        {},
    ),
}


@pytest.mark.parametrize("payoff", [AFFINE, NOT_AFFINE], ids=["affine", "not affine"])
@pytest.mark.parametrize("cached", [False, True], ids=["cli", "app"])
@pytest.mark.parametrize("case", list(CHALLENGER_CASES))
def test_a_challenger_is_read_once_by_the_grid(case, cached, payoff, monkeypatch):
    make, mapping_args = CHALLENGER_CASES[case]
    con = _con(make())
    seen = _grid_spy(monkeypatch)
    mapping = ColumnMapping("score", "label", challenger_score="other", **mapping_args)
    cold, usual = cold_and_usual(con, mapping, payoff, cached)
    assert same_to_rounding(cold, usual), (cold, usual)
    if case == "text label" and payoff is NOT_AFFINE:
        assert seen == []  # text labels need column sums
    else:
        assert seen == ["sql" if case == "challenger off grid" else "grid"]


def test_data_found_off_the_grid_goes_straight_to_sql_next_time(monkeypatch):
    con = _con(_set(_frame(70), [699], "score", 0.1 + 0.2))
    query = _query(con)
    reads: list[int] = []
    real = grid_module._read
    monkeypatch.setattr(grid_module, "_read", lambda *a: reads.append(1) or real(*a))
    assert _grid(con, query) is None
    assert _grid(con, query) is None
    assert reads == [1]  # the second sweep did not read for the grid
    other = _con(_frame(70))  # another connection: its own memo
    assert _grid(other, _query(other)) is not None


def test_swapping_label_classes_keeps_models_apart():
    # Model 0 ends with score 0.5 and model 1 starts with it: not a pair to reorder.
    arrays = {
        "m": np.array([0, 0, 1, 1]),
        "s": np.array([0.9, 0.5, 0.5, 0.5]),
        "c": np.array([1, 0, 1, 2], dtype=np.int32),
        "n": np.array([1, 2, 3, 4]),
    }
    swapped = swap_label_classes(arrays)
    assert swapped["m"].tolist() == [0, 0, 1, 1]
    assert swapped["c"].tolist() == [0, 1, 0, 2]
    assert swapped["n"].tolist() == [1, 2, 3, 4]


def test_without_pyarrow_the_sql_route_serves(monkeypatch):
    """The Linux bundle leaves pyarrow out: the grid steps aside and the cold analysis is unchanged."""
    from roistudio.core.engine import grid_aggregate as module

    con = _con(_frame(12))
    query = _query(con)
    assert _grid(con, query) is not None  # the premise: this input is on a grid
    monkeypatch.setattr(module, "ARROW", False)
    assert _grid(con, query) is None
