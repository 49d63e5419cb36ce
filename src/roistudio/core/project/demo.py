"""The bundled demo data set and the mapping, payoff and parameters that go with it.

The demo is a synthetic card-fraud prediction export (``resources/demo/card_fraud_predictions.parquet``,
made by ``scripts/make_demo_data.py``; see ``resources/demo/README.md``): 200,000 transactions from
December 2025 to November 2026, scored by a champion and a challenger model, labelled except for the last
month. It lets a new user see every feature of the app with one click and no data of their own.

Default payoff of a fraud review (USD per transaction; gains positive, costs negative):

- tp = ``-amount * (1 - recovery_rate) - review_cost``: fraud caught, the unrecovered part and a review
- fp = ``-review_cost - friction_cost``: a good customer reviewed, analyst time and customer friction
- tn = ``0``: a good transaction passes
- fn = ``-amount - chargeback_fee``: fraud missed, the whole amount and the chargeback fee

with ``recovery_rate = 0.85``, ``review_cost = 4.50``, ``friction_cost = 2.00`` and
``chargeback_fee = 15.00``.

All four are losses measured from the same reference (a good transaction that passes costs nothing),
so a caught fraud costs only the part that is not recovered. Counting the recovered amount as a gain
while a missed fraud loses the full amount would credit the model with each amount twice.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roistudio.core.errors import DataError

DEMO_FILE_NAME = "card_fraud_predictions.parquet"
DEMO_FOLDER = "demo"
RESOURCES_ENV = "ROISTUDIO_RESOURCES"

DEMO_PAYOFF: dict[str, str] = {
    "tp": "-amount * (1 - recovery_rate) - review_cost",
    "fp": "-review_cost - friction_cost",
    "tn": "0",
    "fn": "-amount - chargeback_fee",
}
DEMO_PARAMETERS: dict[str, float] = {
    "recovery_rate": 0.85,
    "review_cost": 4.50,
    "friction_cost": 2.00,
    "chargeback_fee": 15.00,
}


def _candidate_resource_dirs() -> list[Path]:
    """Places a ``resources`` folder can be, nearest first.

    A folder named ``resources`` counts only beside a marker of this project (the package itself, a
    PyInstaller bundle, or a ``pyproject.toml``), so an unrelated ``resources`` folder higher up the
    file system is never mistaken for ours.
    """
    here = Path(__file__).resolve()
    candidates = [here.parents[2] / "resources"]  # installed package: roistudio/resources
    bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller one-folder/one-file bundle
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates += [parent / "resources" for parent in here.parents if (parent / "pyproject.toml").is_file()]
    return candidates


def resources_dir() -> Path:
    """The folder holding the app's bundled resources (demo data, fonts...).

    Returns
    -------
    pathlib.Path
        ``$ROISTUDIO_RESOURCES`` if set; otherwise the first existing ``resources`` folder among the
        package's own, a PyInstaller bundle's, and the source checkout's (``<repo>/resources``).

    Raises
    ------
    DataError
        If the environment variable names no folder, or no resources folder is found.
    """
    override = os.environ.get(RESOURCES_ENV)
    if override:
        path = Path(override).expanduser()
        if not path.is_dir():
            raise DataError(f"{RESOURCES_ENV}={override} is not a folder; point it at the app's resources")
        return path
    for candidate in _candidate_resource_dirs():
        if candidate.is_dir():
            return candidate
    raise DataError(f"demo data not found; set {RESOURCES_ENV} or run from a source checkout")


def demo_data_path() -> Path:
    """Path of the bundled demo Parquet file.

    Raises
    ------
    DataError
        If the resources folder or the file in it is missing.
    """
    path = resources_dir() / DEMO_FOLDER / DEMO_FILE_NAME
    if not path.is_file():
        raise DataError(f"demo data not found at {path}; set {RESOURCES_ENV} or run from a source checkout")
    return path


@dataclass(frozen=True)
class DemoDefaults:
    """How the demo data is meant to be read: mapping, payoff, parameters and report title.

    The mapping fields carry the names of :class:`roistudio.core.data.mapping.ColumnMapping`, so
    ``ColumnMapping(**defaults.mapping_fields())`` builds the demo mapping.
    """

    score: str = "champion_score"
    challenger_score: str = "challenger_score"
    label: str = "is_fraud"
    positive: str = "1"
    id: str = "transaction_id"
    timestamp: str = "event_time"
    segments: tuple[str, ...] = ("channel", "region")
    money: tuple[str, ...] = ("amount",)
    period: str = "month"
    # Fresh copies per instance: callers may edit theirs without touching the module constants.
    payoff: dict[str, str] = field(default_factory=lambda: dict(DEMO_PAYOFF))
    parameters: dict[str, float] = field(default_factory=lambda: dict(DEMO_PARAMETERS))
    title: str = "Card fraud review: model value report"
    currency: str = "USD"

    def mapping_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``ColumnMapping`` describing the demo columns."""
        return {
            "score": self.score,
            "label": self.label,
            "positive": self.positive,
            "challenger_score": self.challenger_score,
            "id": self.id,
            "timestamp": self.timestamp,
            "segments": self.segments,
            "money": self.money,
        }


def demo_defaults() -> DemoDefaults:
    """The mapping, payoff and parameters that go with :func:`demo_data_path`."""
    return DemoDefaults()
