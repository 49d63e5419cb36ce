"""Shared test helpers: small DuckDB tables from pandas frames, and a brute-force oracle."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.engine.analysis import AnalysisRequest, analyse
from roistudio.core.payoff.language import parse_payoff

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"


def table_from_frame(frame: pd.DataFrame, name: str = "data") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding ``frame`` as table ``name``."""
    con = duckdb.connect()
    con.register("frame_view", frame)
    con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame_view')
    con.unregister("frame_view")
    return con


def run_analysis(frame: pd.DataFrame, payoff: dict, params: dict | None = None, **request_kwargs):
    """Analyse ``frame`` with mapping fields and request options given as keywords."""
    mapping_fields = {
        k: request_kwargs.pop(k) for k in list(request_kwargs) if k in ColumnMapping.__dataclass_fields__
    }
    mapping_fields.setdefault("score", "score")
    mapping_fields.setdefault("label", "label")
    con = table_from_frame(frame)
    parsed = parse_payoff(payoff, params or {}, table_columns(con, "data"))
    request = AnalysisRequest(mapping=ColumnMapping(**mapping_fields), payoff=parsed, **request_kwargs)
    return analyse(con, "data", request), con


def brute_force_value(scores, labels, threshold, tp, fp, tn, fn) -> float:
    """Value of the policy 'flag iff score >= threshold', row by row with numpy (the oracle).

    ``tp``..``fn`` are per-row payoff arrays; ``labels`` boolean; ``threshold`` None = flag nobody.
    """
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=bool)
    flagged = np.zeros(len(scores), bool) if threshold is None else scores >= threshold
    value = np.where(labels, np.where(flagged, tp, fn), np.where(flagged, fp, tn))
    return float(np.sum(value))


def demo_row_payoffs(amount, parameters: dict[str, float]) -> dict[str, np.ndarray]:
    """The documented demo payoff (``core.demo.DEMO_PAYOFF``), written out in numpy, per row."""
    amount = np.asarray(amount, dtype=float)
    review, friction = parameters["review_cost"], parameters["friction_cost"]
    return {
        "tp": -amount * (1 - parameters["recovery_rate"]) - review,
        "fp": np.full_like(amount, -review - friction),
        "tn": np.zeros_like(amount),
        "fn": -amount - parameters["chargeback_fee"],
    }


def demo_payoff_value(
    frame: pd.DataFrame,
    threshold: float | None,
    parameters: dict[str, float],
    *,
    score: str = "score",
    label: str = "is_fraud",
    perfect: bool = False,
) -> float:
    """The demo payoff summed over the labelled rows of ``frame``, straight from the rows.

    At ``threshold`` (``None``: flag nobody) by ``score``, or with perfect knowledge (every
    positive flagged, no negative): the oracle the engine, the GUI and the workbook are held to.
    """
    known = frame[frame[label].notna()]
    positive = known[label].to_numpy(dtype=float) == 1
    pay = demo_row_payoffs(known["amount"].to_numpy(dtype=float), parameters)
    if perfect:
        return float(np.where(positive, pay["tp"], pay["tn"]).sum())
    return brute_force_value(known[score], positive, threshold, **pay)


# LibreOffice trusts the values cached in an .xlsx unless told to recalculate on load.
_LIBREOFFICE_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def libreoffice_profile(root: Path) -> str:
    """A fresh LibreOffice user profile under ``root`` that recalculates every formula on load (its URI)."""
    (root / "user").mkdir(parents=True, exist_ok=True)
    (root / "user" / "registrymodifications.xcu").write_text(_LIBREOFFICE_RECALC_ALWAYS, encoding="utf-8")
    return root.as_uri()
