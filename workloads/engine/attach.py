"""Find, advertise and attach to the local engine.

The process that owns the embedded Hive metastore (a pipeline run, or any command
that had to start an engine) writes `$WINDMILL_HOME/run/engine.json` with its
Spark Connect port and pid while it lives. Other commands go through it instead
of fighting over the metastore lock.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workloads.config import Paths, ensure_writable


def engine_file(paths: Paths) -> Path:
    return paths.engine_file


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def running_engine(paths: Paths) -> int | None:
    """Port of a live engine for this home, or None."""
    path = engine_file(paths)
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if _alive(int(info.get("pid", -1))) and _listening(int(info.get("port", -1))):
        return int(info["port"])
    return None


@contextmanager
def advertise(paths: Paths, port: int) -> Iterator[None]:
    """Announce this process's engine for as long as the block runs."""
    ensure_writable(paths.run)
    path = engine_file(paths)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "port": port}))
    tmp.replace(path)
    try:
        yield
    finally:
        try:
            if json.loads(path.read_text()).get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError):
            pass


@contextmanager
def open_engine(paths: Paths, app_name: str = "windmill") -> Iterator[object]:
    """A Spark Connect session on this home's tables: the running engine's, or a new one.

    A new engine is advertised while the block runs, so concurrent commands share it.
    """
    from workloads.spark import connect_to_engine, engine_session

    port = running_engine(paths)
    if port is not None:
        yield connect_to_engine(port)
        return
    ensure_writable(paths.home)
    spark, port = engine_session(paths, app_name=app_name)
    try:
        with advertise(paths, port):
            yield spark
    finally:
        spark.stop()
