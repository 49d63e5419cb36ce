"""One local Spark session for every Spark test (a JVM start costs seconds; one per run).

The tests are skipped, with the reason, when PySpark or Java is missing; CI installs both (the
lock has the ``spark`` extra, ``.ci/run`` a JRE where ``java`` is missing), so there they run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest


def _skip_reason() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install 'roistudio[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (java not on PATH, JAVA_HOME not set)"
    return None


@pytest.fixture(scope="session")
def spark():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from roistudio.core.engine.spark import spark_session

    session = spark_session(
        "local[2]",
        config={
            "spark.sql.shuffle.partitions": "2",
            "spark.ui.enabled": "false",
            "spark.driver.memory": "512m",
        },
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
