"""Spark sessions and sources: start a session on a master URL, read a path or a catalog table.

Kept apart from the SQL of :mod:`.spark`: this module imports neither DuckDB nor pandas, so the
project file (which records a :class:`SparkSource`) and the app's menu can use it cheaply. PySpark
is imported inside the functions, never when this module is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from roistudio.core.errors import DataError
from roistudio.core.payoff.compile import SPARK

__all__ = [
    "DEFAULT_MASTER",
    "PYSPARK_MISSING",
    "VIEW",
    "Spark",
    "SparkSource",
    "load_source",
    "local_size",
    "pyspark_available",
    "q",
    "spark_columns",
    "spark_session",
]

# A pyspark.sql.SparkSession; typed loosely so the core type-checks without PySpark installed.
Spark = Any

DEFAULT_MASTER = "local[*]"
PYSPARK_MISSING = "the spark engine needs PySpark, which is not installed: pip install 'roistudio[spark]'"
VIEW = "roistudio_data"


def q(name: str) -> str:
    """A Spark SQL identifier: ``a`b`` -> ```a``b```."""
    return SPARK.quote_identifier(name)


@dataclass(frozen=True)
class SparkSource:
    """Where Spark reads the prediction rows: a path (Parquet or CSV) or a table in its catalog."""

    master: str = DEFAULT_MASTER
    path: str | None = None
    table: str | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.table is None):
            raise DataError(
                "pass either a data path or --table NAME for the spark engine, not both or neither"
            )

    @property
    def name(self) -> str:
        return self.table if self.table is not None else str(self.path).rstrip("/").rsplit("/", 1)[-1]

    @property
    def engine_line(self) -> str:
        """The engine, its master and what it read, for the reports' provenance (no credentials)."""
        where = f"table {self.table}" if self.table is not None else f"path {self.path}"
        return f"Apache Spark, master {shown_master(self.master)}, {where}"

    def to_dict(self) -> dict[str, Any]:
        """The source as a project file and the JSON result record it."""
        return {"engine": "spark", "master": self.master, "path": self.path, "table": self.table}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> SparkSource:
        return SparkSource(str(data.get("master") or DEFAULT_MASTER), data.get("path"), data.get("table"))


def shown_master(master: str) -> str:
    """A master URL as reports may print it, without credentials.

    A Spark Connect URL's ``;token=...`` parameters and any ``user:password@`` part are left out
    (a report is shared; the credentials are not).
    """
    shown = master.split(";", 1)[0] if master.startswith("sc://") else master
    scheme, sep, rest = shown.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        shown = f"{scheme}://{rest.split('@', 1)[1]}"
    return shown


def _pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError:
        raise DataError(PYSPARK_MISSING) from None
    import pyspark

    return pyspark


def pyspark_available() -> bool:
    """True when PySpark can be imported (checked without importing it)."""
    import importlib.util

    return importlib.util.find_spec("pyspark") is not None


def spark_session(master: str = DEFAULT_MASTER, *, config: Mapping[str, str] | None = None) -> Spark:
    """A Spark session on ``master`` (``local[*]``, ``spark://host:7077``, ``yarn``, ``k8s://...``).

    The master URL is passed to Spark as given. An existing session in this process is reused
    (Spark allows one per process); its time zone is pinned to UTC either way.

    Raises
    ------
    DataError
        When PySpark is not installed (one line naming the extra to install).
    """
    _pyspark()
    from pyspark.sql import SparkSession

    # A Spark Connect URL (sc://host:15002) is a remote session, not a master; anything else
    # (local[*], spark://, yarn, k8s://...) is passed to Spark as the master, as given.
    if master.startswith("sc://"):
        builder = SparkSession.builder.remote(master).appName("Model ROI Studio")
    else:
        builder = SparkSession.builder.master(master).appName("Model ROI Studio")
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        **(config or {}),
    }
    if not master.startswith("sc://"):
        # A Connect session may set runtime settings only (the server owns its console).
        settings["spark.ui.showConsoleProgress"] = "false"
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # Java missing, master unreachable: one line, not a JVM trace
        raise DataError(f"could not start Spark on '{shown_master(master)}': {_first_line(exc)}") from None
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return spark


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "desc", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_source(spark: Spark, source: SparkSource, view: str = VIEW) -> str:
    """Register ``source`` as the temporary view ``view`` (nothing is read yet); return its name."""
    try:
        if source.table is not None:
            frame = spark.table(source.table)
        else:
            path = str(source.path)
            lower = path.lower().rstrip("/")
            if lower.endswith((".csv", ".tsv", ".txt")):
                sep = "\t" if lower.endswith(".tsv") else ","
                frame = spark.read.csv(path, header=True, inferSchema=True, sep=sep)
            else:
                frame = spark.read.parquet(path)
    except Exception as exc:
        what = f"table '{source.table}'" if source.table is not None else f"'{source.path}'"
        raise DataError(f"Spark cannot read {what}: {_first_line(exc)}") from None
    frame.createOrReplaceTempView(view)
    return view


_TYPE_NAMES = {
    "double": "DOUBLE", "float": "FLOAT", "bigint": "BIGINT", "int": "INTEGER", "smallint": "SMALLINT",
    "tinyint": "TINYINT", "string": "VARCHAR", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE", "timestamp_ntz": "TIMESTAMP",
}  # fmt: skip


def spark_columns(spark: Spark, view: str) -> dict[str, str]:
    """Column name -> type, named as DuckDB names them, so the core's type rules apply unchanged.

    Spark's ``timestamp`` is an instant (DuckDB's ``TIMESTAMP WITH TIME ZONE``), ``timestamp_ntz``
    a wall-clock time (DuckDB's ``TIMESTAMP``); decimals keep their precision and scale.
    """
    out = {}
    for field in spark.table(view).schema.fields:
        simple = field.dataType.simpleString()
        out[field.name] = _TYPE_NAMES.get(simple) or simple.upper()  # decimal(p,s) -> DECIMAL(P,S)
    return out


def _rows(spark: Spark, sql: str, params: Mapping[str, object] | None = None) -> list[Any]:
    return list(spark.sql(sql, args=dict(params or {})).collect())


def local_size(path: str) -> int:
    """Bytes of a local file or folder of files (0 for a remote path such as ``s3a://``)."""
    import os

    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for root, _dirs, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total
