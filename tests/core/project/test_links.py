"""roistudio:// links: round trip and one-line errors for every malformed part."""

from __future__ import annotations

import pytest

from roistudio.core.engine.filters import Filters
from roistudio.core.errors import ProjectError
from roistudio.core.project.links import ViewLink, decode_link, encode_link


def test_round_trip_with_every_part():
    link = ViewLink(
        project="/home/ana/My Projects/fraud & co.roiproj",
        view="threshold",
        threshold=0.42,
        has_threshold=True,
        filters=Filters({"region": ("north", "süd")}, start="2026-01-01", end="2026-04-01"),
    )
    text = encode_link(link)
    assert text.startswith(
        "roistudio://open?project=/home/ana/My%20Projects/fraud%20%26%20co.roiproj&view=threshold"
    )
    assert "&threshold=0.42&" in text
    assert decode_link(text) == link


def test_hand_written_link():
    link = decode_link("roistudio://open?project=p.roiproj&view=segments&threshold=none")
    assert link == ViewLink("p.roiproj", "segments", None, True, None)


def test_minimal_link_keeps_the_project_state():
    assert decode_link("roistudio://open?project=a.roiproj") == ViewLink("a.roiproj")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("http://open?project=a", "it must start with roistudio://"),
        ("roistudio://delete?project=a", "unknown action 'delete'; expected roistudio://open?project=..."),
        ("roistudio://open?view=threshold", "it names no project (project=...)"),
        ("roistudio://open?project=a&view=pie", "unknown view 'pie'; use one of data, payoff, threshold, "
         "comparison, segments, trends, calibration, sensitivity"),
        ("roistudio://open?project=a&threshold=abc", "threshold 'abc' is not a number"),
        ("roistudio://open?project=a&threshold=nan", "threshold 'nan' is not a number"),
        ("roistudio://open?project=a&colour=red", "unknown parameter 'colour'"),
        ("roistudio://open?project=a&project=b", "parameter 'project' is given more than once"),
        ("roistudio://open?project=a&filters=%7Bx", "filters are not valid JSON (at character 2)"),
        ("roistudio://open?project=a&filters=%5B%5D", 'filters must be a JSON object with "segments", "start" and "end"'),
        ('roistudio://open?project=a&filters={"start":"soon"}', "filter start 'soon' is not an ISO date"),
    ],
)  # fmt: skip
def test_bad_links_say_what_is_wrong(text, reason):
    with pytest.raises(ProjectError) as err:
        decode_link(text)
    assert str(err.value) == f"not a valid Model ROI Studio link: {reason}"


def test_a_link_keeps_the_segment_column_shown():
    from roistudio.core.project.links import ViewLink, decode_link, encode_link

    link = ViewLink("/p/x.roiproj", "segments", 0.3, True, None, segment="region")
    text = encode_link(link)
    assert text == "roistudio://open?project=/p/x.roiproj&view=segments&segment=region&threshold=0.3"
    assert decode_link(text) == link
