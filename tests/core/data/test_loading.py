"""Loading a file for analysis: import (or the cached copy), distinct counts per column."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from roistudio.core.data import provenance
from roistudio.core.data.loading import import_data


@pytest.fixture
def small_csv(tmp_path):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "score": rng.random(300).round(3),
            "label": (rng.random(300) < 0.3).astype(int),
            "channel": rng.choice(["web", "store", "phone"], 300),
        }
    )
    path = tmp_path / "predictions.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_distinct_counts_per_column_come_with_the_import(small_csv):
    path, frame = small_csv
    result = import_data(duckdb.connect(), str(path), table="t")
    assert result.report.rows == len(frame) and result.report.table == "t"
    assert result.distinct["channel"] == 3  # approx_count_distinct is exact this small
    assert result.distinct["label"] == 2


def test_a_cached_import_hashes_the_file_once(small_csv, tmp_path, monkeypatch):
    path, frame = small_csv
    hashed = []
    real = provenance.file_sha256
    monkeypatch.setattr(provenance, "file_sha256", lambda *a, **k: hashed.append(a[0]) or real(*a, **k))
    first = import_data(duckdb.connect(), str(path), table="t", cache_dir=tmp_path / "cache")  # miss
    assert len(hashed) == 1
    second = import_data(duckdb.connect(), str(path), table="t", cache_dir=tmp_path / "cache")  # hit
    assert len(hashed) == 2
    assert first.report.rows == second.report.rows == len(frame)
    assert first.report.source.sha256 == second.report.source.sha256
