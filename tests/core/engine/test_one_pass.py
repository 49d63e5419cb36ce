"""A cold sweep that counts the validation in its own scan gives what the separate validation gives.

Each case runs :func:`analyse` twice: cold (the one-pass route where it applies) and with the
validation counted by :func:`validate_mapping` beforehand (the usual route), and compares the
whole result, the validation report included; errors must carry the same message.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine import column_sums, grid_aggregate, one_pass
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.engine.column_sums import ColumnSumsCache
from roistudio.core.engine.filters import Filters
from roistudio.core.engine.result_json import analysis_to_json
from roistudio.core.errors import RoiError
from roistudio.core.payoff.language import parse_payoff
from tests.helpers import cold_and_usual, same_to_rounding

PAYOFF = {"tp": "amount * 0.8 - 5", "fp": "-5", "fn": "-amount if amount > 50 else -1", "tn": "0"}


def _frame(seed: int = 3, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = np.round(rng.random(n), 2)
    return pd.DataFrame({
        "score": score,
        "label": (rng.random(n) < score).astype(np.int64),
        "amount": np.round(rng.gamma(2.0, 40.0, n), 2),
        "region": rng.choice(["north", "south", "east"], n),
        "day": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
    })  # fmt: skip


def _con(frame: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE data AS SELECT * FROM frame")
    return con


def _spy(monkeypatch) -> list[str]:
    """Record whether the one-pass route answered (not None) or handed over."""
    seen: list[str] = []
    real = one_pass.analyse_in_one_pass

    def spy(*args, **kwargs):
        try:
            out = real(*args, **kwargs)
        except RoiError:
            seen.append("one pass")  # it counted and refused
            raise
        seen.append("one pass" if out is not None else "usual")
        return out

    monkeypatch.setattr(one_pass, "analyse_in_one_pass", spy)
    return seen


def _set(frame: pd.DataFrame, rows: list[int], column: str, values) -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = frame[column].astype(object) if values is None else frame[column]
    frame.loc[rows, column] = values
    return frame


CASES = {
    "plain": (lambda f: f, {}),
    "segments and months": (lambda f: f, {"segments": ("region",), "timestamp": "day"}),
    "unlabelled rows": (lambda f: f.assign(label=f.label.astype("Int64").mask(f.index % 7 == 0)), {}),
    "bad scores refused": (
        lambda f: f.assign(score=f.score.mask(f.index == 3, np.nan).mask(f.index == 5, 1.5)),
        {},
    ),
    "bad scores excluded": (
        lambda f: f.assign(
            score=f.score.mask(f.index == 3, np.nan)
            .mask(f.index == 4, np.inf)
            .mask(f.index == 5, 1.5)
            .mask(f.index == 6, -0.25)
        ),
        {"exclude_bad_scores": True, "segments": ("region",)},
    ),
    "raw scores": (lambda f: f.assign(score=f.score * 10 - 3), {"raw_scores": True}),
    "boolean label": (lambda f: f.assign(label=f.label.astype(bool)), {}),
    "double label": (lambda f: f.assign(label=f.label.astype(float)), {}),
    "only negatives": (lambda f: f.assign(label=0), {}),
    "only positives": (lambda f: f.assign(label=1), {}),
    "positive is 0": (lambda f: f, {"positive": "0"}),
    "positive yes": (lambda f: f, {"positive": "yes"}),
    "a third label value": (lambda f: f.assign(label=f.label.mask(f.index == 9, 2)), {}),
    "no label at all": (lambda f: f.assign(label=pd.Series([None] * len(f), dtype="Int64")), {}),
}


@pytest.mark.parametrize("cached", [False, True], ids=["payoff sums", "column sums"])
@pytest.mark.parametrize("case", list(CASES))
def test_one_pass_matches_the_usual_route(case, cached, monkeypatch):
    change, mapping_args = CASES[case]
    con = _con(change(_frame()))
    seen = _spy(monkeypatch)
    period = "month" if "timestamp" in mapping_args else None
    # With a cache, an affine payoff is swept from column sums (the app's route).
    payoff = {"tp": "amount * 0.8 - 5", "fp": "-5", "fn": "-amount"} if cached else PAYOFF
    mapping = ColumnMapping("score", "label", **mapping_args)
    cold, usual = cold_and_usual(con, mapping, payoff, cached=cached, period=period)
    assert same_to_rounding(cold, usual)
    # The cases it must answer itself (else the test would compare the usual route with itself).
    if case not in ("a third label value", "positive is 0"):
        assert seen == ["one pass"]


def test_a_filter_and_a_null_payoff_are_counted_the_same(monkeypatch):
    frame = _frame()
    # Two positives kept by the filter lose their amount (tp uses it).
    kept = frame.index[(frame.region != "east") & (frame.label == 1)]
    frame.loc[kept[:2], "amount"] = np.nan
    con = _con(frame)
    seen = _spy(monkeypatch)
    filters = Filters(segments={"region": ("north", "south")})
    cold, usual = cold_and_usual(
        con, ColumnMapping("score", "label", segments=("region",)), PAYOFF, filters=filters
    )
    assert cold == usual
    assert cold.startswith(
        "PayoffError: tp: tp = amount * 0.8 - 5 is missing or not a finite number on 2 positive"
    )
    assert seen == ["one pass"]


def test_text_labels_with_a_payoff_not_affine_go_the_usual_way_challengers_one_pass(monkeypatch):
    frame = _frame()
    seen = _spy(monkeypatch)
    con = _con(frame.assign(label=np.where(frame.label == 1, "yes", "no")))
    assert same_to_rounding(*cold_and_usual(con, ColumnMapping("score", "label"), PAYOFF))
    con = _con(frame.assign(other=frame.score[::-1].to_numpy()))
    mapping = ColumnMapping("score", "label", challenger_score="other")
    assert same_to_rounding(*cold_and_usual(con, mapping, PAYOFF))
    assert seen == [
        "usual",
        "one pass",
    ]  # a challenger by the grid (tests/core/engine/test_grid_aggregate.py)


def test_one_pass_leaves_the_column_sums_for_the_next_edit(monkeypatch):
    con = _con(_frame())
    mapping = ColumnMapping("score", "label", segments=("region",), money=("amount",))
    cache = ColumnSumsCache()
    scans: list[int] = []
    real = column_sums.fetch_column_sums
    monkeypatch.setattr(column_sums, "fetch_column_sums", lambda *a, **k: scans.append(1) or real(*a, **k))
    first_read = grid_aggregate._read
    monkeypatch.setattr(grid_aggregate, "_read", lambda *a: scans.append(2) or first_read(*a))

    def request(cost: float) -> AnalysisRequest:
        payoff = {"tp": "amount * 0.8 - c", "fp": "-c", "fn": "-amount"}
        return AnalysisRequest(
            mapping=mapping, payoff=parse_payoff(payoff, {"c": cost}, table_columns(con, "data"))
        )

    # The first payoff uses no column (as a suggested payoff may not); the money column is
    # summed anyway, so the edit to a payoff over it reads the sums.
    flat = parse_payoff({"tp": "10", "fp": "-2"}, {}, table_columns(con, "data"))
    first = analyse(con, "data", AnalysisRequest(mapping=mapping, payoff=flat), cache=cache)
    edited = analyse(con, "data", request(7.0), cache=cache, validation=first.validation)
    assert scans == []  # the one-pass scan summed the columns itself; the edit read them
    assert same_to_rounding(analysis_to_json(edited), analysis_to_json(analyse(con, "data", request(7.0))))
