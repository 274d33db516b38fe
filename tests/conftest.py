"""Shared fixtures. One local Spark engine per test process (Spark Connect mode).

Classic-Spark code (the dbldatagen generator) runs in subprocesses, as it does in
production: a Python process is either classic or Connect, never both. Plain helpers
(the repository path, fixed instants, the CLI runner, hand-made readings) live in
`tests/helpers.py`.
"""

from __future__ import annotations

import pytest

from tests.helpers import run_windmill
from workloads.config import Paths


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


@pytest.fixture
def windmill():
    """`windmill(*args)` runs the CLI in a subprocess."""
    return run_windmill
