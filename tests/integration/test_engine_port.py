"""The engine picks another port when the one it found free is taken before its JVM binds,
and survives a second session on it being stopped."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.helpers import REPO

SCRIPT = textwrap.dedent(
    """
    import socket, sys
    from workloads import spark as engine
    from pathlib import Path
    from workloads.config import Paths

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy = taken.getsockname()[1]
    ports = iter([busy])
    real = engine.free_port
    engine.free_port = lambda: next(ports, None) or real()
    session, port = engine.engine_session(Paths(Path(sys.argv[1])), app_name="port-race")
    assert port != busy, port
    assert session.sql("SELECT 1 AS one").collect()[0].one == 1
    print("bound", port, "not", busy)
    # A second session on the same engine, stopped as a test querying a stack's engine
    # does: this process's own engine keeps running (pyspark's stop() alone would end it).
    from pyspark.sql.connect.session import SparkSession
    other = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").create()
    assert other.sql("SELECT 2 AS two").collect()[0].two == 2
    engine.stop_remote_session(other)
    assert session.sql("SELECT 3 AS three").collect()[0].three == 3
    print("own engine still answers")
    """
)


def test_a_port_taken_before_the_jvm_binds_it_is_replaced(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "home")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "bound" in done.stdout and "own engine still answers" in done.stdout
