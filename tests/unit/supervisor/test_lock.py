"""One `windmill up` per home: the second refuses clearly; a killed holder frees it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from workloads.config import Paths
from workloads.errors import WindmillError
from workloads.supervisor.lock import SupervisorLock, holder_pid, is_locked

pytestmark = pytest.mark.unit


def test_second_lock_refuses_naming_the_holder(tmp_path):
    paths = Paths(tmp_path / "home")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from workloads.config import paths as windmill_paths
                from workloads.supervisor.lock import SupervisorLock
                with SupervisorLock(windmill_paths({str(paths.home)!r})):
                    print("locked", flush=True)
                    time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert is_locked(paths)
        assert holder_pid(paths) == holder.pid
        with pytest.raises(WindmillError) as refused:
            SupervisorLock(paths).acquire()
        message = str(refused.value)
        assert f"pid {holder.pid}" in message and "already running" in message
        assert "\n" not in message
        holder.kill()  # kill -9: the kernel drops the lock with the process
        holder.wait()
        assert not is_locked(paths)
        with SupervisorLock(paths):
            assert is_locked(paths)
        assert not is_locked(paths)
    finally:
        holder.kill()
        holder.wait()
