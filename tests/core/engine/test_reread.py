"""reread() and analyse() build the same analysis: one group builder, so a threshold move cannot go stale."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import Analysis, AnalysisRequest, analyse, reread, reread_at
from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.curve import Curve
from roistudio.core.engine.results import GroupResult
from roistudio.core.payoff.language import parse_payoff
from tests.helpers import brute_force_value, table_from_frame

PAYOFF = {"tp": "amount * 0.9 - 5", "fp": "-5", "fn": "-amount"}


def _frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n).astype(float)
    label[rng.random(n) < 0.15] = np.nan  # some rows not yet known
    return pd.DataFrame(
        {
            "score": np.round(rng.random(n), 2),  # ties on purpose
            "chal": np.round(rng.random(n), 2),
            "label": label,
            "amount": np.round(rng.gamma(2.0, 50.0, n), 2),
            "region": rng.choice(["north", "south", "east"], n),
            "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D"),
        }
    )


def _request(con, **changes) -> AnalysisRequest:
    mapping = ColumnMapping("score", "label", challenger_score="chal", timestamp="ts", segments=("region",))
    payoff = parse_payoff(PAYOFF, {}, table_columns(con, "data"))
    return dataclasses.replace(AnalysisRequest(mapping=mapping, payoff=payoff, period="month"), **changes)


def _plain(value: object) -> object:
    """Arrays as lists, NaN as None (NaN != NaN would hide equal fields)."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, float) and value != value:
        return None
    return value


def _curve_fields(curve: Curve | None) -> object:
    if curve is None:
        return None
    # Private fields are memoised reads, not data.
    return {
        f.name: _plain(getattr(curve, f.name))
        for f in dataclasses.fields(curve)
        if not f.name.startswith("_")
    }


def _group_fields(g: GroupResult) -> dict:
    out = {}
    for f in dataclasses.fields(g):
        value = getattr(g, f.name)
        if isinstance(value, Curve) or f.name.endswith("curve"):
            out[f.name] = _curve_fields(value)
        else:
            out[f.name] = None if value is None else (value.to_dict() if hasattr(value, "to_dict") else value)
    return out


def _fields(a: Analysis) -> dict:
    """Every field of an analysis, curves as lists, so two analyses compare field by field."""
    return {
        "request": a.request,
        "policy": a.policy,
        "excluded_rows": a.excluded_rows,
        "models": {name: {**m.to_dict(), "curve": _curve_fields(m.curve)} for name, m in a.models.items()},
        "champion": a.champion.name,
        "challenger": None if a.challenger is None else a.challenger.name,
        "segments": {s: [_group_fields(g) for g in gs] for s, gs in a.segments.items()},
        "periods": [_group_fields(g) for g in a.periods],
        "comparison": None if a.comparison is None else a.comparison.to_dict(),
    }


policies = st.one_of(
    st.builds(
        lambda t: {"threshold": t, "use_threshold": True},
        st.sampled_from([None, 0.0, 0.05, 0.32, 0.5, 0.9, 1.0]),
    ),
    st.builds(lambda k: {"constraints": Constraints(max_flagged=k)}, st.integers(0, 40)),
    st.builds(lambda p: {"constraints": Constraints(min_precision=p)}, st.sampled_from([0.3, 0.6, 0.99])),
    st.just({}),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), first=policies, second=policies, at=st.lists(st.floats(0, 1), max_size=2))
def test_reread_equals_a_fresh_analyse_field_by_field(seed, first, second, at):
    con = table_from_frame(_frame(seed, 60))
    start = analyse(con, "data", _request(con, **first))
    request = _request(con, at=tuple(at), **second)
    assert _fields(reread(start, request)) == _fields(analyse(con, "data", request))


def test_challenger_segment_values_follow_a_threshold_move():
    # The reported bug: after reread_at the segments kept the old policy's challenger figures.
    frame = _frame(7, 200)
    con = table_from_frame(frame)
    moved = reread_at(analyse(con, "data", _request(con)), 0.9)
    known = frame[frame["label"].notna()]
    threshold = moved.challenger.operating.threshold
    for g in moved.segments["region"]:
        rows = known[known["region"] == g.key]
        amount = rows["amount"].to_numpy()
        expected = brute_force_value(
            rows["chal"], rows["label"] == 1, threshold,
            amount * 0.9 - 5, np.full(len(rows), -5.0), np.zeros(len(rows)), -amount,
        )  # fmt: skip
        assert g.challenger_operating.value == pytest_approx(expected)


def pytest_approx(value: float):
    import pytest

    return pytest.approx(value, rel=1e-9, abs=1e-9)
