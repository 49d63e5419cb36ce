"""Spark Connect (``--spark-master sc://...``): the same JSON as DuckDB, progress and Cancel by tag.

A local Spark Connect server is started in a child process (``SparkSession.builder.remote("local[2]")``
starts one in PySpark 4; a child keeps its JVM apart from the tests' classic session), on a free
port with an authentication token; the tests connect to it as a remote cluster would be reached.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import duckdb
import numpy as np
import pandas as pd
import pytest

from roistudio.cli.main import main
from tests.spark.conftest import _skip_reason
from tests.spark.test_engines_agree import assert_same

TOKEN = "roistudio-test-token"
_SERVER = textwrap.dedent(
    """
    import sys
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.remote("local[2]")
        .config("spark.connect.grpc.binding.port", sys.argv[1])
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "512m")
        .getOrCreate()
    )
    sys.stdin.read()  # the test closes stdin when it is done
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def connect_url():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    missing = [m for m in ("grpc", "grpc_status", "zstandard") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the Spark Connect client needs {', '.join(missing)} (pip install 'roistudio[spark]')")
    port = _free_port()
    env = {**os.environ, "SPARK_CONNECT_AUTHENTICATE_TOKEN": TOKEN}
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 300  # a JVM start on a loaded CI machine
        while True:
            with socket.socket() as s:
                if s.connect_ex(("localhost", port)) == 0:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Spark Connect server did not start (exit code {server.poll()})")
            time.sleep(1)
        yield f"sc://localhost:{port}/;token={TOKEN}"
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(5)
    n = 900
    y = rng.random(n) < 0.25
    frame = pd.DataFrame(
        {
            "score": np.round(np.clip(0.3 + 0.35 * y + rng.normal(0, 0.18, n), 0, 1), 2),
            "label": np.where(y, "yes", "no"),
            "amount": np.round(rng.lognormal(4, 1, n), 2),
            "region": rng.choice(["north", "south"], n),
            "day": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D"),
        }
    )
    path = tmp_path_factory.mktemp("connect") / "connect.parquet"
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute(
        f"COPY (SELECT * EXCLUDE (day), CAST(day AS DATE) AS day FROM frame) TO '{path}' (FORMAT parquet)"
    )
    return str(path)


CASE = [
    "--score", "score", "--label", "label", "--tp", "amount * 0.9 - cost", "--fp=-cost", "--fn=-amount",
    "--param", "cost=5", "--time", "day", "--segment", "region", "--range", "cost=1:12",
]  # fmt: skip


def _json(capsys, argv: list[str]) -> dict:
    code = main(argv)
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def _client(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a child Python: PySpark refuses a Connect client in a process that already
    has a classic session (the tests' shared one), as a user's fresh process has none."""
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=900, env=dict(os.environ)
    )


def test_a_sweep_on_spark_connect_equals_duckdb(connect_url, data, capsys):
    duck = _json(capsys, ["sweep", data, *CASE, "--json", "-"])
    run = _client(
        "import sys; from roistudio.cli.main import main; sys.exit(main(sys.argv[1:]))",
        "sweep", data, *CASE, "--engine", "spark", "--spark-master", connect_url, "--json", "-",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    remote = json.loads(run.stdout)
    port = connect_url.split(":")[2].split("/")[0]
    # The token is a credential: the JSON and the progress lines name the server, not the token.
    assert remote["source"]["master"] == f"sc://localhost:{port}/"
    assert remote["source"]["engine"] == "spark"
    assert TOKEN not in run.stderr
    for doc in (duck, remote):
        doc.pop("source")
        doc.pop("app")
    assert "backtest" in duck and "sensitivity" in duck
    assert_same(duck, remote)


_CANCEL = textwrap.dedent(
    """
    import json, sys
    from roistudio.core.engine.spark_jobs import _JobWatch
    from roistudio.core.engine.spark_source import spark_session
    from roistudio.core.errors import Cancelled

    class CancelWhenRunning:
        # Reports progress; asks to cancel once the server has reported tasks of the running job.
        def __init__(self):
            self.messages = []

        def progress(self, fraction, message=""):
            self.messages.append(message)

        def cancelled(self):
            return any("tasks)" in m for m in self.messages)

    spark = spark_session(sys.argv[1])
    progress = CancelWhenRunning()
    watch = _JobWatch(spark, progress, "Counting in Spark")
    endless = "SELECT count(*) FROM range(0, 10000000000000, 1, 2) WHERE id % 7 = 3"
    try:
        watch.run(lambda: spark.sql(endless).collect())
        outcome = "finished"
    except Cancelled:
        outcome = "cancelled"
    # Cancel stopped the job; the session still answers, and the tag is gone.
    after = spark.sql("SELECT 41 + 1 AS x").collect()[0][0]
    print(json.dumps({"outcome": outcome, "messages": progress.messages, "tags": sorted(spark.getTags()),
                      "after": after}))
    """
)


def test_cancel_interrupts_the_tagged_job_on_spark_connect(connect_url):
    run = _client(_CANCEL, connect_url)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["outcome"] == "cancelled"
    # Progress came from the Connect client's handler (the server's task counts).
    assert any(m.startswith("Counting in Spark (") and m.endswith("tasks)") for m in result["messages"])
    assert result["tags"] == [] and result["after"] == 42
