"""Project files (``.roiproj``): versioned JSON holding everything needed to redo an analysis.

A project stores *where the data came from* (path and fingerprint of each source file), never
the data itself: the DuckDB database is a cache that is rebuilt from the sources. It also stores
the mapping, the payoff (expressions, parameters and their ranges), the operating threshold,
constraints, filters, breakdown period and the view that was open.

Conventions
-----------
- ``schema_version`` is an integer. :data:`MIGRATIONS` maps a version to a function that turns a
  document of that version into one of the next version, so old files keep loading. Files written
  by a newer app are refused with a one-line message, never half-read.
- Source paths are stored twice: relative to the project file (so a folder holding the project and
  its data can be moved or shared) and absolute (the fallback). Loading resolves the relative path
  first.
- Writes go through :mod:`roistudio.core.atomic`; a failed save leaves the previous file intact.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from roistudio.core.atomic import write_text_atomic
from roistudio.core.data.provenance import SourceInfo, check_source_file, shown_path
from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.filters import Filters
from roistudio.core.engine.spark_source import SparkSource
from roistudio.core.errors import DataError, ProjectError
from roistudio.core.project import schema

if TYPE_CHECKING:
    # Imported where used: the mapping module loads DuckDB, which the GUI defers past its first paint.
    from roistudio.core.data.mapping import ColumnMapping

SCHEMA_VERSION = 4
FORMAT_MARKER = "model-roi-studio-project"
PROJECT_SUFFIX = ".roiproj"
VIEWS = ("data", "payoff", "threshold", "comparison", "segments", "trends", "calibration", "sensitivity")
DEFAULT_VIEW = "threshold"


@dataclass(frozen=True)
class DataSource:
    """One data file of a project: its fingerprint and the DuckDB table it is imported into.

    Attributes
    ----------
    info
        Absolute path, name, size, SHA-256 and modification time of the file.
    table
        Name of the DuckDB table the file is imported into.
    """

    info: SourceInfo
    table: str = "data"

    @property
    def path(self) -> str:
        return self.info.path

    @property
    def name(self) -> str:
        return self.info.name


@dataclass(frozen=True)
class Project:
    """The state of one analysis, as saved in a ``.roiproj`` file.

    Attributes
    ----------
    sources
        Data files (the first one is the analysed table).
    mapping
        Column roles; ``None`` until the user has mapped the data.
    payoff, parameters, ranges
        Payoff expression per outcome (``tp``, ``fp``, ``tn``, ``fn``), parameter values, and
        the (low, high) range of each parameter for sensitivity analysis.
    payoff_suggested
        True while the payoff is the example the app suggested for new data
        (:mod:`roistudio.core.project.defaults`) and the analyst has neither confirmed nor edited
        it; views and exports then say so. Saved as ``payoff.status`` (``suggested``/``confirmed``).
    threshold, threshold_user_set
        The operating threshold. Unless ``threshold_user_set``, it is recomputed (optimum) on
        load and ``threshold`` is only informative. ``None`` with ``threshold_user_set`` means
        "flag nobody".
    view, segment
        The view that was open and the segment column the Segments view showed (``None``: the
        first mapped one).
    spark
        Where Apache Spark reads the data (master URL, and a path or a catalog table) when the
        project runs on the Spark engine; then ``sources`` is empty (nothing is imported).
    """

    sources: tuple[DataSource, ...] = ()
    mapping: ColumnMapping | None = None
    payoff: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, float] = field(default_factory=dict)
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    payoff_suggested: bool = False
    currency: str = "USD"
    title: str = "Model value report"
    threshold: float | None = None
    threshold_user_set: bool = False
    constraints: Constraints = field(default_factory=Constraints)
    filters: Filters = field(default_factory=Filters)
    period: str | None = None
    view: str = DEFAULT_VIEW
    segment: str | None = None
    spark: SparkSource | None = None

    def with_changes(self, **changes: Any) -> Project:
        return replace(self, **changes)


# -- writing ---------------------------------------------------------------------------------------


def _relative(path: str, folder: Path) -> str | None:
    try:
        return Path(os.path.relpath(path, folder)).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return None


def project_to_dict(project: Project, project_path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The JSON document of ``project``; source paths are made relative to ``project_path``'s folder."""
    folder = Path(project_path).resolve().parent if project_path is not None else None
    sources = []
    for src in project.sources:
        entry = src.info.to_dict() | {"table": src.table}
        entry["relative_path"] = _relative(src.info.path, folder) if folder is not None else None
        sources.append(entry)
    return {
        "format": FORMAT_MARKER,
        "schema_version": SCHEMA_VERSION,
        "title": project.title,
        "currency": project.currency,
        "sources": sources,
        "mapping": project.mapping.to_dict() if project.mapping is not None else None,
        "payoff": {
            "expressions": dict(project.payoff),
            "parameters": {k: float(v) for k, v in project.parameters.items()},
            "ranges": {k: [float(lo), float(hi)] for k, (lo, hi) in project.ranges.items()},
            "status": "suggested" if project.payoff_suggested else "confirmed",
        },
        "threshold": {"value": project.threshold, "user_set": project.threshold_user_set},
        "constraints": project.constraints.to_dict(),
        "filters": project.filters.to_dict(),
        "period": project.period,
        "view": project.view,
        "segment": project.segment,
        "spark": project.spark.to_dict() if project.spark is not None else None,
    }


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Write ``project`` to ``path`` atomically as indented JSON.

    Raises
    ------
    ProjectError
        When the file cannot be written (one line naming the file and the reason).
    """
    text = json.dumps(project_to_dict(project, path), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise ProjectError(f"{path}: cannot save the project: {exc.strerror or exc}") from exc


# -- reading ---------------------------------------------------------------------------------------


def _migrate_v0(doc: dict[str, Any]) -> dict[str, Any]:
    """v0 (before versioning): one ``source``, flat payoff keys and a bare threshold number."""
    out = {k: v for k, v in doc.items() if k not in ("source", "payoff", "parameters", "threshold")}
    source = doc.get("source")
    out["sources"] = [source] if source else []
    out["payoff"] = {
        "expressions": doc.get("payoff") or {},
        "parameters": doc.get("parameters") or {},
        "ranges": {},
    }
    threshold = doc.get("threshold")
    out["threshold"] = {"value": threshold, "user_set": threshold is not None}
    out["format"] = FORMAT_MARKER
    out["schema_version"] = 1
    return out


def _migrate_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """v1 -> v2: record whether the payoff was confirmed.

    A payoff that is exactly the app's suggestion for the mapped money columns is taken as still
    suggested, any other as confirmed.
    """
    from roistudio.core.project.defaults import is_suggested_payoff

    out = dict(doc)
    payoff = dict(doc.get("payoff") or {})
    money = (doc.get("mapping") or {}).get("money") or []
    try:
        suggested = is_suggested_payoff(
            payoff.get("expressions") or {}, payoff.get("parameters") or {}, [str(m) for m in money]
        )
    except (AttributeError, TypeError, ValueError):  # a damaged payoff: project_from_dict names it
        suggested = False
    payoff["status"] = "suggested" if suggested else "confirmed"
    out["payoff"] = payoff
    out["schema_version"] = 2
    return out


def _migrate_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """v2 -> v3: ``constraints.max_flag_rate`` was a percent (2.5 = 2.5%); it is a fraction like every rate."""
    out = dict(doc)
    constraints = doc.get("constraints")
    if isinstance(constraints, Mapping):
        rate = constraints.get("max_flag_rate")
        fixed = dict(constraints)
        if isinstance(rate, int | float) and not isinstance(rate, bool):
            fixed["max_flag_rate"] = rate / 100.0
        out["constraints"] = fixed
    out["schema_version"] = 3
    return out


def _migrate_v3(doc: dict[str, Any]) -> dict[str, Any]:
    """v3 -> v4: a project may run on Apache Spark (``spark``: master, path or table); older ones do not."""
    out = dict(doc)
    out["spark"] = None
    out["schema_version"] = 4
    return out


# from_version -> function returning the document at from_version + 1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    0: _migrate_v0,
    1: _migrate_v1,
    2: _migrate_v2,
    3: _migrate_v3,
}


def migrate(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """Bring a project document up to :data:`SCHEMA_VERSION`, one migration at a time."""
    version = doc.get("schema_version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ProjectError(
            f"{name}: not a Model ROI Studio project (schema_version {version!r} is not a version)"
        )
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"{name}: was written by a newer version (schema {version}); this app reads up to {SCHEMA_VERSION}"
        )
    while version < SCHEMA_VERSION:
        doc = MIGRATIONS[version](doc)
        version = doc["schema_version"]
    return doc


_number = schema.number


def _required_number(value: object, what: str, name: str) -> float:
    number = _number(value, what, name, optional=False)
    assert number is not None  # optional=False refuses a missing value
    return number


def _exists(path: Path) -> bool:
    """``path.exists()`` that reads an over-long name or a NUL byte as "not there"."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _source(entry: object, folder: Path, name: str) -> DataSource:
    data = schema.obj(entry, "a data source", name)
    for key in ("path", "name", "size", "sha256"):
        if key not in data:
            raise ProjectError(f"{name}: a data source lacks '{key}'")
    info = SourceInfo(
        path=str(schema.text(data["path"], "a data source path", name)),
        name=str(schema.text(data["name"], "a data source name", name)),
        size=int(schema.count(data["size"], "a data source size", name) or 0),
        sha256=str(schema.text(data["sha256"], "a data source SHA-256", name)),
        modified=str(schema.text(data.get("modified") or "", "a data source time", name)),
        # What the digest covers (core.data.provenance); older projects: every byte.
        fingerprint=str(
            schema.text(data.get("fingerprint"), "a data source fingerprint kind", name, optional=True)
            or "sha256"
        ),
    )
    files = data.get("files")
    if isinstance(files, list) and files:  # a Parquet dataset's files, each with its own fingerprint
        try:
            info = replace(info, files=tuple(SourceInfo.from_dict(f) for f in files))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ProjectError(f"{name}: a data source's file list is not readable") from None
    relative = schema.text(data.get("relative_path"), "a relative data path", name, optional=True)
    # Prefer the file beside the project (the folder may have moved), else the absolute path.
    if relative:
        try:
            candidate = (folder / relative).resolve()
        except (OSError, ValueError, RuntimeError):
            candidate = None
        if candidate is not None and (_exists(candidate) or not _exists(Path(info.path))):
            info = replace(info, path=str(candidate))
    table = schema.text(data.get("table"), "a data source table", name, optional=True)
    return DataSource(info, table or "data")


def project_from_dict(doc: Mapping[str, Any], project_path: str | os.PathLike[str]) -> Project:
    """Build a :class:`Project` from a current-version document (see :func:`migrate`)."""
    from roistudio.core.glossary import PERIODS

    name = str(project_path)
    folder = Path(project_path).resolve().parent
    mapping = schema.mapping(doc.get("mapping"), name)
    payoff = schema.obj(doc.get("payoff"), "the payoff", name)
    expressions = {
        str(k): str(schema.text(v, f"the {k} payoff", name))
        for k, v in schema.obj(payoff.get("expressions"), "the payoff expressions", name).items()
    }
    parameters = {str(k): _required_number(v, f"parameter '{k}'", name) for k, v in
                  schema.obj(payoff.get("parameters"), "the parameters", name).items()}  # fmt: skip
    ranges: dict[str, tuple[float, float]] = {}
    for key, pair in schema.obj(payoff.get("ranges"), "the parameter ranges", name).items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ProjectError(f"{name}: the range of parameter '{key}' must be [low, high], not {pair!r}")
        low = _required_number(pair[0], f"the range of parameter '{key}'", name)
        high = _required_number(pair[1], f"the range of parameter '{key}'", name)
        ranges[str(key)] = (low, high)
    status = payoff.get("status", "confirmed")
    if status not in ("suggested", "confirmed"):
        raise ProjectError(f"{name}: payoff status must be 'suggested' or 'confirmed', not {status!r}")
    threshold = schema.obj(doc.get("threshold"), "the threshold", name)
    period = schema.text(doc.get("period"), "the period", name, optional=True)
    if period is not None and period not in PERIODS:
        raise ProjectError(f"{name}: unknown period {period!r}; use {', '.join(PERIODS)}")
    view = doc.get("view") or DEFAULT_VIEW
    sources = doc.get("sources") or ()
    if not isinstance(sources, list | tuple):
        raise ProjectError(f"{name}: the data sources must be a list, not {type(sources).__name__}")
    return Project(
        sources=tuple(_source(s, folder, name) for s in sources),
        mapping=mapping,
        payoff=expressions,
        parameters=parameters,
        ranges=ranges,
        payoff_suggested=status == "suggested",
        currency=str(schema.text(doc.get("currency") or "USD", "the currency", name)),
        title=str(schema.text(doc.get("title") or "Model value report", "the title", name)),
        threshold=_number(threshold.get("value"), "the threshold", name),
        threshold_user_set=schema.flag(threshold.get("user_set"), "threshold user_set", name),
        constraints=schema.constraints(doc.get("constraints"), name),
        filters=schema.filters(doc.get("filters"), name),
        period=period,
        view=view if isinstance(view, str) and view in VIEWS else DEFAULT_VIEW,
        segment=schema.text(doc.get("segment") or None, "the open segment", name, optional=True),
        spark=_spark_source(doc.get("spark"), name),
    )


def _spark_source(entry: object, name: str) -> SparkSource | None:
    """The ``spark`` record: ``null``, or a master URL with exactly one of a path and a table."""
    if entry is None:
        return None
    data = schema.obj(entry, "the spark source", name)
    master = schema.text(data.get("master"), "the spark master URL", name, optional=True)
    path = schema.text(data.get("path"), "the spark data path", name, optional=True)
    table = schema.text(data.get("table"), "the spark table", name, optional=True)
    if (path is None) == (table is None):
        raise ProjectError(f"{name}: the spark source needs either a path or a table, not both or neither")
    return SparkSource.from_dict({"master": master, "path": path, "table": table})


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read a ``.roiproj`` file, migrating older schema versions.

    Raises
    ------
    ProjectError
        One line naming the file: missing, unreadable, not JSON (with the line), not a project,
        or written by a newer version of the app.
    """
    name = shown_path(path)
    text = _read_project_text(path, name)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectError(
            f"{name}: not a Model ROI Studio project (invalid JSON at line {exc.lineno})"
        ) from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        # Integers of thousands of digits (ValueError), arrays nested 100,000 deep (RecursionError).
        reason = "nested too deeply" if isinstance(exc, RecursionError) else "a value is too large"
        raise ProjectError(f"{name}: not a Model ROI Studio project ({reason})") from None
    if not isinstance(doc, dict):
        raise ProjectError(f"{name}: not a Model ROI Studio project (the JSON is not an object)")
    marked = doc.get("format") == FORMAT_MARKER
    # A v0 file has no marker; it is recognised by its keys.
    legacy = "schema_version" not in doc and ("mapping" in doc or "payoff" in doc)
    if not marked and not legacy:
        raise ProjectError(f"{name}: not a Model ROI Studio project (no project marker)")
    try:
        doc = migrate(doc, name)
        return project_from_dict(doc, path)
    except ProjectError:
        raise
    except (AttributeError, TypeError, ValueError, KeyError, OverflowError, RecursionError) as exc:
        raise ProjectError(f"{name}: the project file is damaged ({type(exc).__name__})") from None


MAX_PROJECT_BYTES = 64 << 20  # a project is a few KB of JSON; never read a huge file into memory


def _read_project_text(path: str | os.PathLike[str], name: str) -> str:
    try:
        st = check_source_file(path)
    except DataError as exc:
        message = str(exc).removeprefix(f"{name}: ")
        if message == "file not found":
            message = "project file not found"
        raise ProjectError(f"{name}: {message}") from None
    if st.st_size > MAX_PROJECT_BYTES:
        raise ProjectError(f"{name}: not a Model ROI Studio project (the file is {st.st_size:,} bytes)")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PROJECT_BYTES + 1)
    except OSError as exc:
        raise ProjectError(f"{name}: cannot read the project: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{name}: not a Model ROI Studio project (not UTF-8 text)") from exc


def source_changed(project: Project) -> list[str]:
    """Names of the project's data files that are missing or differ from their saved fingerprint.

    The size is compared first, so a changed file is usually spotted without hashing it.
    """
    return [src.name for src in project.sources if not src.info.matches()]
