"""Atomic writes: a failure midway keeps the old file and leaves no temporary file."""

from __future__ import annotations

import os

import pytest

from roistudio.core.atomic import atomic_path, write_text_atomic


def test_failure_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_new_file_gets_normal_permissions_and_existing_mode_is_kept(tmp_path):
    target = tmp_path / "new.txt"
    write_text_atomic(target, "x")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    target.chmod(0o640)
    write_text_atomic(target, "y")
    assert target.read_text() == "y"
    assert target.stat().st_mode & 0o777 == 0o640


# -- what the user owns is never lost (issue 9) -----------------------------------------------------

import time  # noqa: E402

from roistudio.core.atomic import (  # noqa: E402
    STALE_SECONDS,
    atomic_group,
    check_targets,
    remove_stale_temporaries,
)
from roistudio.core.errors import OutputError  # noqa: E402


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_text_atomic(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["out.json"]


def test_a_fifo_is_never_replaced(tmp_path):
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="it is a named pipe, not a regular file"):
        write_text_atomic(fifo, "x")
    assert fifo.is_fifo()
    with pytest.raises(OutputError, match="named pipe"):
        check_targets([("JSON result", fifo)])


def test_stale_temporaries_of_the_same_target_are_removed_and_nothing_else(tmp_path):
    old = time.time() - STALE_SECONDS - 60
    stale = tmp_path / ".r.xlsx.ab12_xyz.tmp"
    young = tmp_path / ".r.xlsx.cd34_xyz.tmp"
    other_target = tmp_path / ".s.xlsx.ab12_xyz.tmp"
    not_ours = tmp_path / ".r.xlsx.notes.tmp"
    for path in (stale, young, other_target, not_ours):
        path.write_text("x")
    for path in (stale, other_target, not_ours):
        os.utime(path, (old, old))
    write_text_atomic(tmp_path / "r.xlsx", "report")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["r.xlsx", young.name, other_target.name, not_ours.name]
    )
    assert remove_stale_temporaries(tmp_path / "r.xlsx") == 0


def test_a_group_is_written_as_one_unit(tmp_path):
    xlsx, pdf = tmp_path / "r.xlsx", tmp_path / "r.pdf"
    xlsx.write_text("old workbook")
    pdf.write_text("old pdf")
    with pytest.raises(RuntimeError), atomic_group() as group:
        group.stage(xlsx).write_text("new workbook")
        group.stage(pdf).write_text("half")
        raise RuntimeError("layout failed")
    assert (xlsx.read_text(), pdf.read_text()) == ("old workbook", "old pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.pdf", "r.xlsx"]
    with atomic_group() as group:
        group.stage(xlsx).write_text("new workbook")
        group.stage(pdf).write_text("new pdf")
    assert (xlsx.read_text(), pdf.read_text()) == ("new workbook", "new pdf")


def test_outputs_are_checked_against_inputs_by_inode_not_spelling(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("score,label\n")
    (tmp_path / "sub").mkdir()
    os.link(data, tmp_path / "hard.json")
    (tmp_path / "alias.json").symlink_to(data)
    for spelling in (
        data,
        tmp_path / "sub" / ".." / "data.csv",
        tmp_path / "hard.json",
        tmp_path / "alias.json",
    ):
        with pytest.raises(OutputError, match=f"is the input file {data}; choose another output path"):
            check_targets([("JSON result", spelling)], [data])
    with pytest.raises(OutputError, match="the PDF report and the workbook would both be written to"):
        check_targets([("workbook", tmp_path / "r"), ("PDF report", tmp_path / "sub" / ".." / "r")])
    check_targets([("JSON result", "-"), ("workbook", tmp_path / "new.xlsx")], [data])


def test_write_protected_missing_folder_and_long_names_are_refused(tmp_path):
    protected = tmp_path / "out.json"
    protected.write_text("precious")
    protected.chmod(0o444)
    with pytest.raises(OutputError, match=f"^{protected} is write-protected; pass --force to replace it$"):
        check_targets([("JSON result", protected)])
    check_targets([("JSON result", protected)], force=True)
    with pytest.raises(OutputError, match="the folder does not exist"):
        check_targets([("workbook", tmp_path / "nowhere" / "r.xlsx")])
    with pytest.raises(OutputError, match="the name is too long"):
        check_targets([("workbook", tmp_path / ("r" * 300 + ".xlsx"))])
    (tmp_path / "dir.xlsx").mkdir()
    with pytest.raises(OutputError, match="it is a folder, not a regular file"):
        check_targets([("workbook", tmp_path / "dir.xlsx")])
