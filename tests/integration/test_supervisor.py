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
import urllib.request

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


def api_status(port: int) -> dict | None:
    """/api/status once the dashboard has read the ledger at least once."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=5) as reply:
            body = json.loads(reply.read())
    except (OSError, ValueError):
        return None
    return body if body.get("refreshed_at") and body["jobs"]["total"] else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_second_up_refuses_and_sigterm_stops_everything(windmill_home):
    port = free_port()
    # Only the dashboard (no JVM): enough for the lock, the registration and the stop.
    up = start_up("--only", "dashboard", "--port", str(port), "--refresh-seconds", "1")
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
        assert status["pipelines"] == {"total": 1, "active": 0, "idle": 1}
        job_names = {job["name"] for job in status["job_list"]}
        assert job_names == {names.GENERATOR_JOB, names.DASHBOARD_JOB, names.DISPATCH_JOB}
        dashboard_job = next(j for j in status["job_list"] if j["name"] == names.DASHBOARD_JOB)
        assert dashboard_job["state"] == "RUNNING"
        assert status["jobs"] == {"total": 3, "active": 1, "idle": 2}
        # The same summary as the dashboard's /api/status.
        api = wait_for(lambda: api_status(port), what="the dashboard's /api/status")
        for key in ("source", "pipelines", "jobs"):
            assert api[key] == status[key], key

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
