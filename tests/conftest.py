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


# Files that each run a whole `windmill up` stack or a continuous pipeline with readers in
# other processes: one of them fills the two cores (load average ~8). Side by side on the
# two workers they took 4-5 times as long as alone (fault tolerance 879 s against 185 s),
# so they share one group: one worker runs them one after the other.
WHOLE_STACK = frozenset(
    {"tests/integration/test_fault_tolerance.py", "tests/integration/test_snapshot_reads.py"}
)


def work_unit(nodeid: str) -> str:
    """The unit of work one xdist worker runs whole: a test file, or WHOLE_STACK together."""
    module = nodeid.split("::", 1)[0]
    return "whole-stack" if module in WHOLE_STACK else module


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # before xdist's own choice of scheduler
def pytest_xdist_make_scheduler(config, log):
    """xdist's scope scheduler, with a test file (or WHOLE_STACK) as the scope.

    Not `--dist loadgroup` with `xdist_group` marks: pytest-xdist 3.8 groups by appending
    the group to `item._nodeid`, which pytest 9 no longer reads (a node's id is
    `item._id`), so every test became a unit of its own. The two whole-stack files then
    ran side by side on the two workers, and each file's module fixtures were built on
    both (tests/unit/test_conftest.py holds the grouping).
    """
    from xdist.scheduler import LoadScopeScheduling

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return FileScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Modules with a `slow` test run first, each module's tests kept together in order.

    Under `pytest -n 2 --dist loadscope --no-loadscope-reorder` (the Makefile) xdist hands
    out whole units (`work_unit`: a file, or WHOLE_STACK) in this order, so the few
    multi-minute modules start at once on the two workers and the many short ones fill in
    behind them: the longest job is never the last one handed out (xdist's default order,
    most tests first, put the one-test slow modules last and a lone 4-minute module
    bounded the wall time). Serial runs only change order; module fixtures still live
    once, as every module stays contiguous.
    """
    slow_modules = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow_modules)
