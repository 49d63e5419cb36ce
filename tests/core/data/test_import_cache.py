"""Imports kept between sessions (core.import_cache): same bytes, same table and report, no re-read."""

from __future__ import annotations

import os
import shutil

import duckdb
import pandas as pd
import pytest

from roistudio.core.data.import_cache import ImportCache
from roistudio.core.data.importer import import_file
from roistudio.core.data.provenance import SourceInfo
from roistudio.core.engine.sweep import cluster_by_score

CSV = "id,score,label\n1,0.9,1\n2,0.2,0\n3,0.7\n4,0.4,0\n"  # line 4 is rejected (a column short)


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "preds.csv"
    path.write_text(CSV)
    return path


def _rows(con, table="data"):
    return con.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()


def test_a_stored_import_comes_back_with_its_rows_and_rejected_lines(csv_file, tmp_path):
    cache = ImportCache(tmp_path / "cache")
    first = duckdb.connect()
    report = import_file(first, csv_file, table="data")
    assert report.rejected_count == 1 and report.rejected[0].line == 4
    stored = cache.store(first, report)
    assert stored == cache.path_for(report.source.sha256) and stored.is_file()
    assert list(stored.parent.glob("*.tmp")) == []

    # A later session, with the same bytes at another path: no parse, the same table and report.
    moved = tmp_path / "elsewhere.csv"
    shutil.copy(csv_file, moved)
    later = duckdb.connect()
    loaded = cache.load(later, SourceInfo.of(moved), "t1")
    assert loaded is not None
    assert _rows(later, "t1") == _rows(first) == [(1, 0.9, 1), (2, 0.2, 0), (4, 0.4, 0)]
    assert loaded.table == "t1" and loaded.source.path == str(moved.resolve())
    assert (loaded.rows, loaded.rejected_count) == (3, 1)
    assert [r.describe() for r in loaded.rejected] == [r.describe() for r in report.rejected]
    assert loaded.columns == report.columns
    # The view is left as it is by clustering (which only rewrites tables of this database).
    assert cluster_by_score(later, "t1", "score") is False
    assert len(_rows(later, "t1")) == 3
    assert later.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 't1'"
    ).fetchone() == ("VIEW",)


def test_an_edited_file_is_not_served_from_the_cache(csv_file, tmp_path):
    cache = ImportCache(tmp_path / "cache")
    con = duckdb.connect()
    cache.store(con, import_file(con, csv_file, table="data"))
    csv_file.write_text(CSV.replace("0.9", "0.8"))
    assert cache.load(duckdb.connect(), SourceInfo.of(csv_file), "data") is None


def test_a_damaged_cache_file_means_a_normal_import(csv_file, tmp_path):
    cache = ImportCache(tmp_path / "cache")
    source = SourceInfo.of(csv_file)
    cache.path_for(source.sha256).parent.mkdir(parents=True)
    cache.path_for(source.sha256).write_bytes(b"not a database")
    con = duckdb.connect()
    assert cache.load(con, source, "data") is None
    assert "import_cache" not in " ".join(
        r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    )


def test_loading_replaces_a_table_of_the_same_name(csv_file, tmp_path):
    cache = ImportCache(tmp_path / "cache")
    con = duckdb.connect()
    cache.store(con, import_file(con, csv_file, table="data"))
    other = duckdb.connect()
    other.execute("CREATE TABLE data AS SELECT 42 AS id")  # the previous project's table
    assert cache.load(other, SourceInfo.of(csv_file), "data") is not None
    assert len(_rows(other)) == 3
    # The attached cache holds a table called "data" too; clustering must not take it for ours.
    assert cluster_by_score(other, "data", "score") is False


def test_parquet_is_read_in_place_and_not_cached(tmp_path):
    path = tmp_path / "p.parquet"
    pd.DataFrame({"score": [0.1, 0.2], "label": [0, 1]}).to_parquet(path)
    con = duckdb.connect()
    cache = ImportCache(tmp_path / "cache")
    assert cache.store(con, import_file(con, path, table="data", materialize=False)) is None
    assert not (tmp_path / "cache").exists()


def test_the_least_recently_used_files_go_beyond_the_budget(tmp_path):
    cache = ImportCache(tmp_path / "cache", budget_bytes=10**9)
    con = duckdb.connect()
    stored = []
    for n in range(3):
        path = tmp_path / f"f{n}.csv"
        path.write_text(CSV + f"{10 + n},0.5,1\n")
        stored.append(cache.store(con, import_file(con, path, table=f"t{n}")))
    sizes = [p.stat().st_size for p in stored]
    for age, path in enumerate(stored):  # f0 oldest
        stamp = 1_700_000_000 + age * 100
        os.utime(path, (stamp, stamp))
    small = ImportCache(tmp_path / "cache", budget_bytes=sizes[1] + sizes[2])
    assert small.evict() == [stored[0]]
    assert [p.exists() for p in stored] == [False, True, True]
    assert small.evict(keep=stored[1], in_use={str(stored[2].resolve())}) == []


def test_clearing_keeps_only_the_copy_in_use(csv_file, tmp_path):
    cache = ImportCache(tmp_path / "cache")
    con = duckdb.connect()
    other = tmp_path / "other.csv"
    other.write_text(CSV + "9,0.1,0\n")
    stored = [cache.store(con, import_file(con, p, table="data")) for p in (csv_file, other)]
    in_use = duckdb.connect()
    assert cache.load(in_use, SourceInfo.of(csv_file), "data") is not None
    size = stored[1].stat().st_size
    assert cache.clear(in_use) == (1, size)
    assert [p.exists() for p in stored] == [True, False]
    assert len(_rows(in_use)) == 3  # the open project still reads its copy
