"""Shared test helpers: small DuckDB tables from pandas frames, and a brute-force oracle."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

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


def cold_and_usual(con, mapping: ColumnMapping, payoff: dict, cached: bool = False, **request_args):
    """The same analysis twice: the cold route (one pass, numpy grid aggregation) and the usual one
    (the validation on its own, DuckDB's hash aggregation forced), each as its JSON, validation
    report and excluded rows, or the error line it raised."""
    from roistudio.core.data.validation import validate_mapping
    from roistudio.core.engine import column_sums, sweep
    from roistudio.core.engine.column_sums import ColumnSumsCache
    from roistudio.core.engine.result_json import analysis_to_json
    from roistudio.core.errors import RoiError

    parsed = parse_payoff(payoff, {}, table_columns(con, "data"))
    request = AnalysisRequest(mapping=mapping, payoff=parsed, **request_args)
    where_sql, where_params = request.filters.to_sql(mapping.timestamp)

    def run(usual: bool):
        try:
            validation = (
                validate_mapping(con, "data", mapping, where_sql=where_sql, where_params=where_params)
                if usual
                else None
            )
            cache = ColumnSumsCache() if cached else None
            with pytest.MonkeyPatch.context() as patch:
                if usual:  # DuckDB's hash aggregation, not the grid
                    patch.setattr(sweep, "grid_aggregate", lambda *a, **k: None)
                    patch.setattr(column_sums, "grid_aggregate", lambda *a, **k: None)
                analysis = analyse(con, "data", request, validation=validation, cache=cache)
            return {
                "json": analysis_to_json(analysis, max_points=10**6),
                "validation": analysis.validation.to_dict(),
                "excluded": analysis.excluded_rows,
            }
        except RoiError as exc:
            return f"{type(exc).__name__}: {exc}"

    return run(False), run(True)


def same_to_rounding(a, b) -> bool:
    """Equal; floats to 1e-9 relative and absolute (sums may be added up in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_to_rounding(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_to_rounding(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-9, nan_ok=True)
    return a == b


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
