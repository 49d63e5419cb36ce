"""The package list in pyproject.toml matches the source tree, and the resources ship with it."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _setuptools() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_subpackage_is_listed_for_the_wheel():
    # A package missing from the explicit list would be left out of a non-editable install.
    on_disk = {
        ".".join(init.parent.relative_to(REPO / "src").parts) for init in (REPO / "src").rglob("__init__.py")
    }
    assert set(_setuptools()["packages"]) == on_disk | {"roistudio.resources"}


def test_the_resources_folder_ships_as_roistudio_resources():
    config = _setuptools()
    assert config["package-dir"]["roistudio.resources"] == "resources"
    patterns = config["package-data"]["roistudio.resources"]
    shipped = {
        p.relative_to(REPO / "resources") for pattern in patterns for p in (REPO / "resources").glob(pattern)
    }
    for needed in (
        "demo/card_fraud_predictions.parquet",
        "fonts/DejaVuSans.ttf",
        "fonts/DejaVuSans-Bold.ttf",
    ):
        assert Path(needed) in shipped
