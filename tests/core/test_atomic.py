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
