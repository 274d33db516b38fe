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

from tests.helpers import REPO, run_windmill
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


# Clean stops whatever the terminal does ------------------------------------------------------
# One real `windmill up` per stop path, as small as it can be: 3 turbines, no backfill, no
# dispatcher. The Ctrl-C test runs the generator and the continuous pipeline (two JVMs);
# the other stop paths differ only in the supervisor's terminal and signal, so they run
# the generator (one JVM) and the dashboard, to stay cheap.
# A stop is clean when every run and update is closed (CANCELED, or COMPLETED/SUCCESS for
# work that finished before the stop), the pipeline is IDLE, and the next start finds
# nothing left RUNNING to mark as abandoned.

SMALL_UP = (
    "--backfill-hours",
    "0",
    "--turbines",
    "3",
    "--records-per-batch",
    "3",
    "--batch-interval",
    "1",
    "--pipeline-interval",
    "1",
    "--refresh-seconds",
    "1",
    "--no-dispatch",
)


def small_up(port: int, *, pipeline: bool = True, **popen) -> subprocess.Popen:
    only = () if pipeline else ("--only", "generator,dashboard")
    return subprocess.Popen(
        [sys.executable, "-m", "workloads.cli", "up", *SMALL_UP, *only, "--port", str(port)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        **popen,
    )


def at_work(home, *, pipeline: bool = True) -> bool:
    """The generator has a RUNNING run (and the pipeline's engine has completed an update)."""
    if not home.ledger.exists():
        return False
    ledger = Ledger(home.ledger)
    generator = [j for j in ledger.list_jobs() if j["name"] == names.GENERATOR_JOB]
    pipelines = ledger.list_pipelines()
    if not generator or not generator[0]["latest_runs"] or not pipelines:
        return False
    running = generator[0]["latest_runs"][0]["life_cycle_state"] == "RUNNING"
    if not pipeline:  # and has written a batch: its Spark session is up
        return running and any(home.landing.glob("*.jsonl"))
    updates = ledger.list_updates(pipelines[0]["pipeline_id"], 20)
    return running and any(u["state"] == "COMPLETED" for u in updates)


def assert_stopped_cleanly(home, *, ran_pipeline: bool = True) -> None:
    ledger = Ledger(home.ledger)
    jobs = {j["name"]: j["latest_runs"] for j in ledger.list_jobs(runs_per_job=50)}
    for job in (names.GENERATOR_JOB, names.DASHBOARD_JOB):
        runs = jobs[job]
        assert runs, job
        assert runs[0]["result_state"] == "CANCELED", (job, runs[0])
        assert all(r["result_state"] in ("SUCCESS", "CANCELED") for r in runs), (job, runs)
    [pipeline] = ledger.list_pipelines()
    assert pipeline["state"] == "IDLE", pipeline
    updates = ledger.list_updates(pipeline["pipeline_id"], 50)
    assert all(u["state"] in ("COMPLETED", "CANCELED") for u in updates), updates
    assert updates if ran_pipeline else not updates
    text = (home.logs / "supervisor.log").read_text()
    components = (
        ("generator", "pipeline", "dashboard") if ran_pipeline else ("generator", "dashboard")
    )
    for component in components:
        assert f"stopping {component} (pid" in text, text[-2000:]
    assert text.rstrip().endswith("windmill up: stopped"), text[-2000:]
    assert "killing it" not in text, text[-2000:]
    # What the next start does first: nothing is left RUNNING to be marked abandoned.
    assert ledger.abandon_running("test: next start") == 0


def test_ctrl_c_under_tee_stops_everything_cleanly(windmill_home, tmp_path):
    """`windmill up 2>&1 | tee run.log`, Ctrl-C: the terminal's SIGINT reaches the whole
    foreground process group, tee dies at once, the supervisor's next line hits EPIPE."""
    port = free_port()
    tee = subprocess.Popen(
        ["tee", str(tmp_path / "run.log")],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        process_group=0,
    )
    up = small_up(port, stdout=tee.stdin, stderr=subprocess.STDOUT, process_group=tee.pid)
    tee.stdin.close()  # only `windmill up` holds the pipe's write end now
    try:
        wait_for(
            lambda: at_work(windmill_home),
            timeout=240,
            what="the components to run",
        )
        os.killpg(tee.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert tee.wait(timeout=10) != 0  # the pipe's reader is gone
        assert up.wait(timeout=90) == 0
    finally:
        for proc in (up, tee):
            proc.kill()
            proc.wait()
    assert "dashboard http://" in (tmp_path / "run.log").read_text()
    assert_stopped_cleanly(windmill_home)

    # The next real start marks nothing as abandoned.
    again = start_up("--only", "dashboard", "--port", str(free_port()))
    try:
        wait_for(
            lambda: supervisor_state(windmill_home).get("pid") == again.pid, what="the next start"
        )
        again.send_signal(signal.SIGTERM)
        output, _ = again.communicate(timeout=60)
    finally:
        again.kill()
        again.wait()
    assert again.returncode == 0, output
    assert "previous crash" not in output, output
    events = Ledger(windmill_home.ledger).recent_events(200)
    assert not [e for e in events if "abandoned" in e["message"]], events


def test_sighup_with_the_terminal_gone_stops_everything_cleanly(windmill_home):
    """The terminal window is closed: its writes fail (EIO) and SIGHUP arrives."""
    import pty

    master, slave = pty.openpty()
    up = small_up(free_port(), pipeline=False, stdout=slave, stderr=slave)
    os.close(slave)
    try:
        wait_for(
            lambda: at_work(windmill_home, pipeline=False),
            timeout=240,
            what="the components to run",
        )
        os.close(master)  # the terminal is gone: the next write fails
        master = None
        up.send_signal(signal.SIGHUP)
        assert up.wait(timeout=90) == 0
    finally:
        if master is not None:
            os.close(master)
        up.kill()
        up.wait()
    assert_stopped_cleanly(windmill_home, ran_pipeline=False)
    assert (
        "SIGHUP received: stopping after each component's current work"
        in (windmill_home.logs / "supervisor.log").read_text()
    )


def test_sigterm_after_head_closed_the_pipe_stops_everything_cleanly(windmill_home):
    """`windmill up | head -n 2`: head exits after two lines; later, SIGTERM (`kill`)."""
    head = subprocess.Popen(["head", "-n", "2"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    up = small_up(free_port(), pipeline=False, stdout=head.stdin, stderr=subprocess.STDOUT)
    head.stdin.close()
    try:
        assert head.wait(timeout=60) == 0
        wait_for(
            lambda: at_work(windmill_home, pipeline=False),
            timeout=240,
            what="the components to run",
        )
        assert up.poll() is None  # still supervising, with nobody reading its output
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=90) == 0
    finally:
        up.kill()
        up.wait()
    assert_stopped_cleanly(windmill_home, ran_pipeline=False)
