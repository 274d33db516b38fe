"""`windmill up` / `windmill status` as processes: one instance per home, registration, clean stop.

These run the real supervisor with the real dashboard; they need no JVM (no backfill,
and a generator or pipeline that fails to start is simply retried).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, run_windmill
from workloads import names
from workloads.ledger import Ledger
from workloads.spark import free_port

pytestmark = pytest.mark.integration


def start_up(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "workloads.cli", "up", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
    )


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def supervisor_state(home) -> dict:
    try:
        return json.loads((home.run / "supervisor.json").read_text())
    except (OSError, ValueError):
        return {}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_second_up_refuses_and_sigterm_stops_everything(windmill_home):
    port = free_port()
    up = start_up(
        "--backfill-hours",
        "0",
        "--no-dispatch",
        "--port",
        str(port),
        "--restart-backoff",
        "0.5",
        "--restart-backoff-max",
        "2",
    )
    try:
        dashboard = wait_for(
            lambda: (
                supervisor_state(windmill_home)
                .get("components", {})
                .get("dashboard", {})
                .get("pid")
            ),
            what="the dashboard to start",
        )
        second = run_windmill(
            "up", "--backfill-hours", "0", "--port", str(free_port()), check=False, timeout=60
        )
        assert second.returncode == 2
        message = second.stderr.strip()
        assert message.count("\n") == 0, message
        assert "already running" in message and f"pid {up.pid}" in message

        status = json.loads(run_windmill("status", "--json").stdout)
        assert status["supervisor"] == {**status["supervisor"], "running": True, "pid": up.pid}
        assert status["pipelines"]["total"] == 1
        job_names = {job["name"] for job in status["job_list"]}
        assert {names.GENERATOR_JOB, names.DASHBOARD_JOB} <= job_names
        assert all("windmill" in name.lower() for name in job_names)
        dashboard_job = next(j for j in status["job_list"] if j["name"] == names.DASHBOARD_JOB)
        assert dashboard_job["state"] == "RUNNING" and status["jobs"]["active"] >= 1

        up.send_signal(signal.SIGTERM)
        output, _ = up.communicate(timeout=20)
        assert up.returncode == 0, output
        assert "stopped" in output
    finally:
        up.kill()
        up.wait()
    assert not alive(dashboard)
    ledger = Ledger(windmill_home.ledger)
    dashboard_runs = next(j for j in ledger.list_jobs() if j["name"] == names.DASHBOARD_JOB)
    assert dashboard_runs["latest_runs"][0]["result_state"] == "CANCELED"
    text = run_windmill("status").stdout
    assert "windmill up: not running" in text and "jobs:" in text
