"""Shared fixtures. One local Spark engine per test process (Spark Connect mode).

Classic-Spark code (the dbldatagen generator) runs in subprocesses, as it does in
production: a Python process is either classic or Connect, never both.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workloads.config import Paths

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
# Fixed instants so data is the same on every run.
FIXED_START = "2026-01-05T00:00:00+00:00"


@pytest.fixture
def windmill_home(tmp_path, monkeypatch) -> Paths:
    """A fresh, empty WINDMILL_HOME for one test, exported to subprocesses."""
    home = tmp_path / "home"
    monkeypatch.setenv("WINDMILL_HOME", str(home))
    return Paths(home)


@pytest.fixture(scope="session")
def engine_paths(tmp_path_factory) -> Paths:
    return Paths(tmp_path_factory.mktemp("engine-home"))


@pytest.fixture(scope="session")
def spark(engine_paths):
    """The shared local engine session (hive metastore + Spark Connect)."""
    from workloads.spark import engine_session

    session, _port = engine_session(engine_paths, app_name="windmill-tests")
    yield session
    session.stop()


def run_windmill(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600, check: bool = True
):
    """Run the real `windmill` CLI in a subprocess; returns the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "workloads.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=REPO,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"windmill {' '.join(args)} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr[-4000:]}"
        )
    return result


@pytest.fixture
def windmill():
    """`windmill(*args)` runs the CLI in a subprocess."""
    return run_windmill
