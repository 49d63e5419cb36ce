"""Hand-edited and hostile project files and links: typed values, and only ProjectError escapes.

The fuzz mutates a valid project document (every field, at every depth, replaced by arbitrary
JSON) and feeds random text to the link decoder; whatever comes in, the loaders either return a
value or raise :class:`ProjectError` with one line.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.data.provenance import SourceInfo
from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.filters import Filters
from roistudio.core.errors import DataError, ProjectError
from roistudio.core.project.links import decode_link
from roistudio.core.project.project import DataSource, Project, load_project, project_to_dict, source_changed


@pytest.fixture
def valid_doc(tmp_path) -> dict:
    data = tmp_path / "preds.csv"
    data.write_text("score,label,region\n0.9,1,n\n0.2,0,s\n", encoding="utf-8")
    project = Project(
        sources=(DataSource(SourceInfo.of(data)),),
        mapping=ColumnMapping("score", "label", positive="1", segments=("region",)),
        payoff={"tp": "5", "fp": "-1", "tn": "0", "fn": "-5"},
        parameters={"cost": 1.0},
        ranges={"cost": (0.5, 2.0)},
        threshold=0.5,
        threshold_user_set=True,
        constraints=Constraints(max_flagged=10, min_precision=0.3),
        filters=Filters({"region": ("n",)}),
        period="month",
    )
    return project_to_dict(project, tmp_path / "p.roiproj")


def _load(tmp_path, doc) -> Project:
    path = tmp_path / "p.roiproj"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return load_project(path)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("threshold", "user_set"), "false", "threshold user_set must be true or false, not 'false'"),
        (
            ("mapping", "segments"),
            "region",
            "the segment columns must be a list of column names, not 'region'",
        ),
        (("mapping", "raw_scores"), "yes", "raw_scores must be true or false, not 'yes'"),
        (("mapping", "score"), 3, "the score column must be text, not 3"),
        (("constraints", "max_flagged"), "500", "max_flagged must be a number, not '500'"),
        (("constraints", "max_flagged"), 2.5, "max_flagged must be a whole number of rows, not 2.5"),
        (("constraints", "min_precision"), [0.3], "min_precision must be a number, not [0.3]"),
        (("constraints", "min_recall"), 7, "min_recall must be a fraction between 0 and 1, not 7"),
        (("filters", "segments"), {"region": "n"}, "the filter values of 'region' must be a list, not 'n'"),
        (("payoff", "expressions"), {"tp": 5}, "the tp payoff must be text, not 5"),
    ],
)
def test_wrong_types_are_refused_by_name(tmp_path, valid_doc, where, value, message):
    section, key = where
    valid_doc[section][key] = value
    with pytest.raises(ProjectError) as info:
        _load(tmp_path, valid_doc)
    assert str(info.value) == f"{tmp_path / 'p.roiproj'}: {message}"


def test_the_valid_document_loads(tmp_path, valid_doc):
    project = _load(tmp_path, valid_doc)
    assert project.threshold_user_set is True
    assert project.mapping.segments == ("region",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (
            '{"format": "model-roi-studio-project", "schema_version": ' + "9" * 5000 + "}",
            "a value is too large",
        ),
    ],
)
def test_deep_and_huge_json_is_refused(tmp_path, text, message):
    path = tmp_path / "p.roiproj"
    path.write_text(text)
    with pytest.raises(ProjectError, match=message):
        load_project(path)


def test_an_over_long_relative_path_is_read_as_missing(tmp_path, valid_doc):
    valid_doc["sources"][0]["relative_path"] = "x/" * 3000 + "data.csv"
    project = _load(tmp_path, valid_doc)
    assert project.sources[0].path.endswith("preds.csv")  # the absolute path is kept


def test_a_device_or_fifo_is_refused_without_reading_it(tmp_path, valid_doc):
    fifo = tmp_path / "pipe.roiproj"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(ProjectError, match="named pipe"):
        load_project(fifo)
    # A source that is /dev/zero: never hashed (it never ends), reported as changed.
    valid_doc["sources"][0].update(path="/dev/zero", relative_path=None)
    project = _load(tmp_path, valid_doc)
    assert source_changed(project) == [project.sources[0].name]
    with pytest.raises(DataError, match="not a regular file"):
        SourceInfo.of("/dev/zero")
    assert time.monotonic() - started < 30  # a hang detector, not a timing assertion


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("roistudio://[::1?project=x", "it cannot be parsed"),
        ("roistudio://open?project=a%00b", "NUL character"),
        ("roistudio://open?project=x&threshold=" + "9" * 5000, "threshold"),
        ("roistudio://open?project=x&filters=" + "[" * 5000, "nested too deeply"),
        ('roistudio://open?project=x&filters={"segments":{"a":[{}]}}', "must be text"),
    ],
)
def test_hostile_links_give_one_line(link, reason):
    with pytest.raises(ProjectError, match=reason) as info:
        decode_link(link)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _paths(value, (*prefix, i))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_project_documents_raise_only_project_error(tmp_path, valid_doc, data):
    doc = json.loads(json.dumps(valid_doc))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        where = data.draw(st.sampled_from(paths))
        parent = doc
        for key in where[:-1]:
            parent = parent[key]
        parent[where[-1]] = data.draw(json_values)
    path = tmp_path / "p.roiproj"
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    try:
        load_project(path)
    except ProjectError as exc:
        assert "\n" not in str(exc)


_link_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)


@settings(max_examples=200, deadline=None)
@given(
    head=st.sampled_from(["roistudio://open?", "roistudio://", "roistudio:", "ROISTUDIO://open/?", ""]),
    key=st.sampled_from(["project", "view", "threshold", "filters", "x", ""]),
    value=_link_text | json_values.map(json.dumps),
    tail=_link_text,
)
def test_fuzzed_links_raise_only_project_error(head, key, value, tail):
    try:
        decode_link(f"{head}project=p.roiproj&{key}={value}{tail}")
    except ProjectError as exc:
        assert "\n" not in str(exc)


def test_every_mapping_field_survives_a_round_trip(tmp_path, valid_doc):
    valid_doc["mapping"].update(time_year=2026, time_zone="Europe/Paris", timestamp="ts", money=["amount"])
    mapping = _load(tmp_path, valid_doc).mapping
    assert mapping.to_dict() == valid_doc["mapping"]
