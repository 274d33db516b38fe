"""The engine picks another port when the one it found free is taken before its JVM binds."""

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
    assert "bound" in done.stdout
