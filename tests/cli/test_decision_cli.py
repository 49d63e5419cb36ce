"""`roistudio sweep` decision options: the JSON blocks' exact keys, reproducibility, bad values."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from roistudio.cli.main import main
from tests.helpers import TEST_DATA

BANK = [
    str(TEST_DATA / "bank_marketing_scored.csv"), "--score", "p_subscribe", "--label", "subscribed",
    "--positive", "yes", "--tp=-c", "--fp=-c", "--tn", "0", "--fn=-max(r * d * balance_eur, c)",
    "--param", "c=1", "--param", "r=0.02463333", "--param", "d=0.25",
]  # fmt: skip


def _json(capsys, *args: str) -> dict:
    code = main(["sweep", *args, "--json", "-"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


@pytest.fixture(scope="module")
def demo_doc():
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["sweep", "--demo", "--bootstrap", "300", "--range", "review_cost=2:40",
                     "--range", "recovery_rate=0.5:0.95", "--json", "-"]) == 0  # fmt: skip
    return json.loads(buffer.getvalue())


def test_contract_keys(demo_doc):
    u = demo_doc["uncertainty"]
    assert set(u) == {"method", "replicates", "confidence", "seed", "operating_value", "value_of_model",
                      "optimal_threshold", "savings", "comparison", "segments", "periods"}  # fmt: skip
    # Per group, in the order of the breakdown blocks, for the groups with labelled rows.
    assert [g["key"] for g in u["periods"]] == [
        p["key"] for p in demo_doc["periods"]["rows"] if p["labels_known"]
    ]
    for col, groups in demo_doc["segments"].items():
        assert [g["key"] for g in u["segments"][col]] == [g["key"] for g in groups]
        for interval, group in zip(u["segments"][col], groups, strict=True):
            assert interval["low"] < group["value"] < interval["high"]
    assert (u["replicates"], u["confidence"]) == (300, 0.9)
    for key in ("operating_value", "value_of_model", "optimal_threshold"):
        assert set(u[key]) == {"low", "high"}
    assert set(u["comparison"]) == {"difference_at_best", "difference_at_common", "p_challenger_better"}
    rec = demo_doc["recommendation"]
    assert set(rec) == {"challenger_verdict", "text"} and rec["challenger_verdict"] == "promote"
    bt = demo_doc["backtest"]
    assert {"period", "rows", "value", "best_value"} <= set(bt)
    assert [r["key"] for r in bt["rows"]] == [p["key"] for p in demo_doc["periods"]["rows"]][1:11]
    assert set(bt["rows"][0]) == {"key", "threshold", "value", "best_value"}
    sens = demo_doc["sensitivity"]
    assert set(sens) == {"parameters", "break_even", "monte_carlo"}
    assert set(sens["parameters"][0]) == {
        "name", "low", "high", "value_at_low", "value_at_high", "best_value_at_low", "best_value_at_high",
        "best_threshold_at_low", "best_threshold_at_high",
    }  # fmt: skip
    assert {b["name"] for b in sens["break_even"]} == {"review_cost", "recovery_rate"}
    mc = sens["monte_carlo"]
    assert set(mc) == {"draws", "value", "value_of_model", "p_positive"} and mc["draws"] == 5000
    assert set(mc["value"]) == {"p5", "p50", "p95"}
    cov = demo_doc["coverage"]
    assert {
        "first",
        "last",
        "labelled_periods",
        "unlabelled_rows",
        "value_per_month",
        "value_per_year",
    } <= set(cov)
    assert (cov["first"], cov["last"], cov["labelled_periods"]) == ("2025-12-01", "2026-10-01", 11)
    assert cov["unlabelled_rows"] == demo_doc["unlabeled"]


def test_review_cost_break_even_is_where_the_model_stops_paying(demo_doc):
    """The demo's review cost at which the value of the model crosses zero, checked by re-sweeping."""
    (be,) = [b for b in demo_doc["sensitivity"]["break_even"] if b["name"] == "review_cost"]
    assert be["values"], "40 is expensive enough for the model to stop paying at the operating threshold"
    threshold = repr(demo_doc["operating"]["threshold"])
    signs = []
    for cost in (be["values"][0] - 0.01, be["values"][0] + 0.01):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            assert (
                main(
                    [
                        "sweep",
                        "--demo",
                        "--threshold",
                        threshold,
                        "--param",
                        f"review_cost={cost}",
                        "--json",
                        "-",
                    ]
                )
                == 0
            )
        signs.append(json.loads(buffer.getvalue())["value_of_model"] > 0)
    assert signs[0] != signs[1]


def test_bootstrap_off_by_default_and_seed_reproducible(capsys):
    plain = _json(capsys, *BANK)
    assert "uncertainty" not in plain and "sensitivity" not in plain and "backtest" not in plain
    assert plain["recommendation"] == {"challenger_verdict": None, "text": "No challenger to compare."}
    a = _json(capsys, *BANK, "--bootstrap", "200")
    b = _json(capsys, *BANK, "--bootstrap", "200")
    c = _json(capsys, *BANK, "--bootstrap", "200", "--seed", "99")
    assert a["uncertainty"] == b["uncertainty"]
    assert a["uncertainty"]["operating_value"] != c["uncertainty"]["operating_value"]
    assert c["uncertainty"]["seed"] == 99


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bootstrap", "many"], "--bootstrap expects a whole number, got 'many'"),
        (["--confidence", "95"], "--confidence expects a fraction between 0 and 1 (e.g. 0.9), got 95"),
        (
            ["--promote-at", "0.2"],
            "--promote-at expects a probability above 0.5 and below 1 (e.g. 0.95), got 0.2",
        ),
        (["--range", "c=5:1"], "--range needs finite LOW < HIGH, got 'c=5:1'"),
        (["--range", "cost=1:2"], "--range cost: no such parameter (the payoff's parameters: c, d, r)"),
    ],
)
def test_bad_values_one_line_exit_2(capsys, args, message):
    code = main(["sweep", *BANK, *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1] == f"roistudio sweep: {message}"


def test_id_pairs_a_long_export_like_two_score_columns(capsys, tmp_path):
    """`--model ... --id COL`: the same rows exported long give the two-score-column comparison."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(4)
    n = 3000
    label = rng.random(n) < 0.2
    wide = pd.DataFrame(
        {
            "event": [f"e{i}" for i in range(n)],
            "label": label.astype(int),
            "amount": np.round(rng.gamma(2.0, 30.0, n), 2),
            "a": np.round(np.clip(0.3 * label + 0.7 * rng.random(n), 0, 1), 2),
            "b": np.round(np.clip(0.3 * label + 0.7 * rng.random(n), 0, 1), 2),
        }
    )
    keep = ["event", "label", "amount"]
    long = pd.concat([wide[keep].assign(model="a", score=wide.a), wide[keep].assign(model="b", score=wide.b)])
    wide.to_csv(tmp_path / "wide.csv", index=False)
    long.to_csv(tmp_path / "long.csv", index=False)
    payoff = [
        "--label",
        "label",
        "--positive",
        "1",
        "--tp",
        "amount - 5",
        "--fp=-5",
        "--tn",
        "0",
        "--fn=-amount",
    ]
    options = ["--bootstrap", "300", "--seed", "2"]
    two_columns = _json(capsys, str(tmp_path / "wide.csv"), "--score", "a", "--challenger-score", "b",
                        *payoff, *options)  # fmt: skip
    long_args = [str(tmp_path / "long.csv"), "--score", "score", "--model", "model", "--champion", "a"]
    paired = _json(capsys, *long_args, "--id", "event", *payoff, *options)
    pooled = _json(capsys, *long_args, *payoff, *options)
    comparison = two_columns["uncertainty"]["comparison"]
    assert 0.0 < comparison["p_challenger_better"] < 1.0  # not a foregone conclusion
    for figure in ("difference_at_best", "difference_at_common"):
        ends = paired["uncertainty"]["comparison"][figure]
        assert ends == pytest.approx(comparison[figure], rel=1e-9)
    # The cells' sums come from a parallel aggregation, equal to the last bits only: a replicate
    # whose difference is within rounding of zero may fall either side.
    assert paired["uncertainty"]["comparison"]["p_challenger_better"] == pytest.approx(
        comparison["p_challenger_better"], abs=2 / 300
    )
    assert pooled["uncertainty"]["comparison"] != paired["uncertainty"]["comparison"]
