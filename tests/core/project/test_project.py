"""Project files: round trip, relative source paths, migrations and the exact error lines."""

from __future__ import annotations

import json
import shutil

import pytest

from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.data.provenance import SourceInfo
from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.filters import Filters
from roistudio.core.errors import ProjectError
from roistudio.core.project.project import (
    SCHEMA_VERSION,
    DataSource,
    Project,
    load_project,
    save_project,
    source_changed,
)


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "data" / "preds.csv"
    path.parent.mkdir()
    path.write_text("score,label\n0.9,1\n0.2,0\n", encoding="utf-8")
    return path


def _project(data_file) -> Project:
    return Project(
        sources=(DataSource(SourceInfo.of(data_file)),),
        mapping=ColumnMapping("score", "label", positive="1", segments=("region",), money=("amount",)),
        payoff={"tp": "amount - review", "fp": "-review", "tn": "0", "fn": "-amount"},
        parameters={"review": 4.5},
        ranges={"review": (2.0, 8.0)},
        currency="EUR",
        title="Fraud review",
        threshold=0.42,
        threshold_user_set=True,
        constraints=Constraints(max_flagged=500, min_precision=0.3),
        filters=Filters({"region": ("north", "south")}, start="2026-01-01", end=None),
        period="month",
        view="segments",
    )


def test_save_and_load_give_the_same_project(tmp_path, data_file):
    project = _project(data_file)
    target = tmp_path / "analysis.roiproj"
    save_project(project, target)
    assert load_project(target) == project
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["sources"][0]["relative_path"] == "data/preds.csv"
    assert doc["sources"][0]["sha256"] == project.sources[0].info.sha256


def test_flag_nobody_threshold_survives_a_round_trip(tmp_path, data_file):
    project = _project(data_file).with_changes(threshold=None, threshold_user_set=True)
    save_project(project, tmp_path / "p.roiproj")
    loaded = load_project(tmp_path / "p.roiproj")
    assert loaded.threshold is None and loaded.threshold_user_set


def test_moving_the_folder_finds_the_data_beside_the_project(tmp_path, data_file):
    save_project(_project(data_file), tmp_path / "p.roiproj")
    moved = tmp_path.parent / (tmp_path.name + "_moved")
    shutil.copytree(tmp_path, moved)
    shutil.rmtree(tmp_path / "data")
    loaded = load_project(moved / "p.roiproj")
    assert loaded.sources[0].path == str((moved / "data" / "preds.csv").resolve())
    assert source_changed(loaded) == []
    shutil.rmtree(moved)


def test_source_changed_names_edited_and_missing_files(tmp_path, data_file):
    project = _project(data_file)
    assert source_changed(project) == []
    data_file.write_text("score,label\n0.9,1\n0.3,0\n", encoding="utf-8")  # same size, new content
    assert source_changed(project) == ["preds.csv"]
    data_file.unlink()
    assert source_changed(project) == ["preds.csv"]


def test_a_v0_file_without_schema_version_is_migrated(tmp_path):
    (tmp_path / "old.roiproj").write_text(
        json.dumps(
            {
                "source": {
                    "path": "/nowhere/x.csv",
                    "name": "x.csv",
                    "size": 10,
                    "sha256": "ab",
                    "modified": "t",
                },
                "mapping": {"score": "p", "label": "y"},
                "payoff": {"tp": "10", "fp": "-1", "tn": "0", "fn": "-10"},
                "parameters": {"k": 2},
                "threshold": 0.5,
            }
        ),
        encoding="utf-8",
    )
    project = load_project(tmp_path / "old.roiproj")
    assert project.sources[0].name == "x.csv"
    assert project.mapping == ColumnMapping("p", "y")
    assert project.payoff["fn"] == "-10"
    assert project.parameters == {"k": 2.0}
    assert (project.threshold, project.threshold_user_set) == (0.5, True)


def test_invalid_json_names_the_line(tmp_path):
    path = tmp_path / "project.roiproj"
    path.write_text('{\n  "schema_version": 1,\n  "title": oops\n}\n', encoding="utf-8")
    with pytest.raises(ProjectError) as err:
        load_project(path)
    assert str(err.value) == f"{path}: not a Model ROI Studio project (invalid JSON at line 3)"


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "project.roiproj"
    path.write_text(json.dumps({"format": "model-roi-studio-project", "schema_version": 7}), encoding="utf-8")
    with pytest.raises(ProjectError) as err:
        load_project(path)
    assert (
        str(err.value)
        == f"{path}: was written by a newer version (schema 7); this app reads up to {SCHEMA_VERSION}"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [("[1, 2]", "the JSON is not an object"), ('{"hello": 1}', "no project marker")],
)
def test_other_json_is_not_a_project(tmp_path, content, reason):
    path = tmp_path / "x.roiproj"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProjectError, match=rf"not a Model ROI Studio project \({reason}\)$"):
        load_project(path)


def test_bad_parameter_value_is_named(tmp_path, data_file):
    path = tmp_path / "p.roiproj"
    save_project(_project(data_file), path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["payoff"]["parameters"]["review"] = "cheap"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ProjectError) as err:
        load_project(path)
    assert str(err.value) == f"{path}: parameter 'review' must be a number, not 'cheap'"


def test_missing_file(tmp_path):
    with pytest.raises(ProjectError, match=r"missing\.roiproj: project file not found$"):
        load_project(tmp_path / "missing.roiproj")


def test_failed_save_keeps_the_old_file(tmp_path, data_file, monkeypatch):
    path = tmp_path / "p.roiproj"
    save_project(_project(data_file), path)
    before = path.read_bytes()
    import roistudio.core.atomic as atomic

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(ProjectError, match="cannot save the project: No space left on device"):
        save_project(_project(data_file).with_changes(title="new"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".p.roiproj")] == []


def test_a_v1_file_with_a_percent_flag_rate_loads_as_a_fraction(tmp_path, data_file):
    # Schemas 1 and 2 stored Constraints.max_flag_rate as a percent (2.5 = 2.5%); every rate is now a fraction.
    save_project(_project(data_file), tmp_path / "p.roiproj")
    doc = json.loads((tmp_path / "p.roiproj").read_text(encoding="utf-8"))
    doc["schema_version"] = 1
    doc["constraints"] = {"max_flagged": None, "max_flag_rate": 2.5, "min_precision": 0.3}
    (tmp_path / "old.roiproj").write_text(json.dumps(doc), encoding="utf-8")
    loaded = load_project(tmp_path / "old.roiproj")
    assert loaded.constraints == Constraints(max_flag_rate=0.025, min_precision=0.3)
    assert loaded.ranges == {"review": (2.0, 8.0)}  # the rest of the file is untouched
    save_project(loaded, tmp_path / "new.roiproj")
    saved = json.loads((tmp_path / "new.roiproj").read_text(encoding="utf-8"))
    assert saved["schema_version"] == SCHEMA_VERSION == 4
    assert saved["constraints"]["max_flag_rate"] == 0.025


def test_parameter_ranges_survive_a_round_trip_and_bad_ones_are_refused(tmp_path, data_file):
    project = _project(data_file).with_changes(ranges={"review": (2.0, 8.0), "other": (-1.5, 0.0)})
    save_project(project, tmp_path / "p.roiproj")
    assert load_project(tmp_path / "p.roiproj").ranges == {"review": (2.0, 8.0), "other": (-1.5, 0.0)}
    doc = json.loads((tmp_path / "p.roiproj").read_text(encoding="utf-8"))
    doc["payoff"]["ranges"]["review"] = [2.0]
    (tmp_path / "bad.roiproj").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(
        ProjectError, match=r"the range of parameter 'review' must be \[low, high\], not \[2.0\]"
    ):
        load_project(tmp_path / "bad.roiproj")


def test_a_suggested_payoff_stays_suggested_through_a_save(tmp_path, data_file):
    project = _project(data_file).with_changes(payoff_suggested=True)
    save_project(project, tmp_path / "p.roiproj")
    doc = json.loads((tmp_path / "p.roiproj").read_text(encoding="utf-8"))
    assert doc["payoff"]["status"] == "suggested"
    assert load_project(tmp_path / "p.roiproj").payoff_suggested
    save_project(project.with_changes(payoff_suggested=False), tmp_path / "q.roiproj")
    assert not load_project(tmp_path / "q.roiproj").payoff_suggested


def _v1_doc(payoff: dict, parameters: dict) -> dict:
    return {
        "format": "model-roi-studio-project",
        "schema_version": 1,
        "sources": [],
        "mapping": {"score": "p", "label": "y", "money": ["balance_eur"]},
        "payoff": {"expressions": payoff, "parameters": parameters, "ranges": {}},
        "threshold": {"value": None, "user_set": False},
    }


def test_a_v1_file_holding_the_apps_suggestion_loads_as_suggested(tmp_path):
    suggestion = {"tp": "balance_eur - review_cost", "fp": "-review_cost", "tn": "0", "fn": "-balance_eur"}
    (tmp_path / "s.roiproj").write_text(
        json.dumps(_v1_doc(suggestion, {"review_cost": 10})), encoding="utf-8"
    )
    assert load_project(tmp_path / "s.roiproj").payoff_suggested
    # Any edit (here the review cost) made it the analyst's own payoff.
    (tmp_path / "e.roiproj").write_text(
        json.dumps(_v1_doc(suggestion, {"review_cost": 12})), encoding="utf-8"
    )
    edited = load_project(tmp_path / "e.roiproj")
    assert not edited.payoff_suggested
    assert edited.parameters == {"review_cost": 12.0}


def test_an_unknown_payoff_status_is_one_line(tmp_path):
    doc = _v1_doc({"tp": "1"}, {}) | {"schema_version": 2}
    doc["payoff"]["status"] = "maybe"
    (tmp_path / "x.roiproj").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(
        ProjectError, match=r"x\.roiproj: payoff status must be 'suggested' or 'confirmed', not 'maybe'"
    ):
        load_project(tmp_path / "x.roiproj")


def test_the_segment_column_shown_and_the_parameter_order_survive_a_round_trip(tmp_path, data_file):
    project = _project(data_file).with_changes(
        segment="region", parameters={"zeta": 1.0, "alpha": 2.0, "mid": 3.0}, ranges={}
    )
    save_project(project, tmp_path / "p.roiproj")
    loaded = load_project(tmp_path / "p.roiproj")
    assert loaded.segment == "region"
    assert list(loaded.parameters) == ["zeta", "alpha", "mid"]


def _spark_project() -> Project:
    from roistudio.core.engine.spark_source import SparkSource

    return Project(
        mapping=ColumnMapping("score", "label", positive="1"),
        payoff={"tp": "10", "fp": "-1", "tn": "0", "fn": "-10"},
        spark=SparkSource(master="spark://head:7077", table="lake.scored_tx"),
    )


def test_a_spark_project_remembers_where_spark_reads_its_data(tmp_path):
    from roistudio.core.engine.spark_source import SparkSource

    save_project(_spark_project(), tmp_path / "s.roiproj")
    doc = json.loads((tmp_path / "s.roiproj").read_text(encoding="utf-8"))
    assert doc["spark"] == {
        "engine": "spark",
        "master": "spark://head:7077",
        "path": None,
        "table": "lake.scored_tx",
    }
    assert doc["sources"] == []
    loaded = load_project(tmp_path / "s.roiproj")
    assert loaded == _spark_project()
    assert loaded.spark == SparkSource(master="spark://head:7077", table="lake.scored_tx")
    on_path = _spark_project().with_changes(spark=SparkSource(path="s3a://bucket/preds/"))
    save_project(on_path, tmp_path / "p.roiproj")
    assert load_project(tmp_path / "p.roiproj").spark == SparkSource("local[*]", "s3a://bucket/preds/", None)


def test_a_v3_file_migrates_to_a_project_without_spark(tmp_path, data_file):
    save_project(_project(data_file), tmp_path / "p.roiproj")
    doc = json.loads((tmp_path / "p.roiproj").read_text(encoding="utf-8"))
    del doc["spark"]
    doc["schema_version"] = 3
    (tmp_path / "v3.roiproj").write_text(json.dumps(doc), encoding="utf-8")
    loaded = load_project(tmp_path / "v3.roiproj")
    assert loaded == _project(data_file)
    assert loaded.spark is None
    save_project(loaded, tmp_path / "v4.roiproj")
    saved = json.loads((tmp_path / "v4.roiproj").read_text(encoding="utf-8"))
    assert (saved["schema_version"], saved["spark"]) == (4, None)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"master": "local[*]"}, "the spark source needs either a path or a table, not both or neither"),
        (
            {"path": "a.parquet", "table": "t"},
            "the spark source needs either a path or a table, not both or neither",
        ),
        ({"table": 7}, "the spark table must be text, not 7"),
        ("local[*]", "the spark source must be an object, not 'local[*]'"),
    ],
)
def test_a_damaged_spark_record_is_one_line(tmp_path, record, message):
    save_project(_spark_project(), tmp_path / "s.roiproj")
    doc = json.loads((tmp_path / "s.roiproj").read_text(encoding="utf-8"))
    doc["spark"] = record
    (tmp_path / "bad.roiproj").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ProjectError) as info:
        load_project(tmp_path / "bad.roiproj")
    assert str(info.value) == f"{tmp_path / 'bad.roiproj'}: {message}"
