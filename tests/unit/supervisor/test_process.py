"""Supervision logic with trivial stand-in children (`python -c ...`): fast, no JVM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from workloads.errors import WindmillError
from workloads.ledger import Ledger
from workloads.supervisor.process import (
    NEVER,
    ON_FAILURE,
    Backoff,
    Component,
    Supervisor,
    describe_exit,
    last_message,
)

pytestmark = pytest.mark.unit

FAST = Backoff(base=0.05, cap=0.2, healthy_after=60)


def py(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def wait_for(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of this test process is dead too.
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return status != "Z"


def killed_in_first_run(tmp_path: Path, ledger_call: str, *, every_run: bool) -> list[str]:
    """A child that makes `ledger_call` on tmp_path's ledger (in its first run only, or in
    every run) and is killed -9 right after it in its first run; later runs sleep."""
    attempts = tmp_path / "attempts"
    return py(
        f"""
        import os, pathlib, signal, time
        from workloads.ledger import Ledger
        attempts = pathlib.Path({str(attempts)!r})
        first = not attempts.exists()
        attempts.write_text("x")
        ledger = Ledger({str(tmp_path / "ledger.sqlite")!r})
        if first or {every_run!r}:
            {ledger_call}
        if first:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(60)
        """
    )


def log_text(path: Path) -> str:
    return path.read_text() if path.exists() else ""


class Running:
    """A supervisor on a background thread (signals stay with pytest)."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.result: list[int] = []
        self.thread = threading.Thread(
            target=lambda: self.result.append(supervisor.run(install_signals=False)), daemon=True
        )

    def __enter__(self) -> Supervisor:
        self.thread.start()
        return self.supervisor

    def __exit__(self, *exc) -> None:
        self.supervisor.request_stop()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "supervisor did not stop"


def test_backoff_doubles_up_to_the_cap():
    backoff = Backoff(base=1, cap=30)
    assert [backoff.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_describe_exit_and_last_message(tmp_path):
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(2) == "exited with code 2"
    log = tmp_path / "x.log"
    log.write_text(
        "old run: ignore me\nprogress 10%\rprogress 100%\nwindmill generate: disk full.\n\n"
    )
    assert last_message(log, 0) == "windmill generate: disk full."
    assert last_message(log, log.stat().st_size) == ""
    trace = (
        "Traceback (most recent call last):\n  File x, line 1\n"
        "py4j.protocol.Py4JJavaError: An error occurred while calling o1.text.\n"
        ": java.io.IOException: Mkdirs failed to create file:/landing/.tmp\n"
        "\tat org.apache.hadoop.fs.FileSystem.create(FileSystem.java:1)\n\t... 1 more\n"
    )
    log.write_text(trace)
    assert last_message(log, 0) == (
        "py4j.protocol.Py4JJavaError: An error occurred while calling o1.text. "
        "java.io.IOException: Mkdirs failed to create file:/landing/.tmp"
    )
    log.write_text("ValueError: bad\nwindmill generate: The landing folder is full.\nbye\n")
    assert last_message(log, 0) == "windmill generate: The landing folder is full."


def test_crash_is_restarted_with_backoff_and_recorded(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    marker = tmp_path / "attempts"
    # Fails twice with a clear message, then runs until stopped.
    crashy = py(
        f"""
        import pathlib, sys, time
        marker = pathlib.Path({str(marker)!r})
        n = int(marker.read_text()) if marker.exists() else 0
        marker.write_text(str(n + 1))
        if n < 2:
            print("step", n)
            sys.exit("broken landing folder")
        time.sleep(60)
        """
    )
    supervisor = Supervisor(
        [Component("gen", crashy, job="windmill-test-job")],
        logs=tmp_path / "logs",
        ledger=ledger,
        backoff=FAST,
    )
    with Running(supervisor):
        wait_for(lambda: marker.exists() and marker.read_text() == "3", what="third attempt")
        pid = wait_for(lambda: supervisor.pid("gen"), what="running child")
    assert not alive(pid)
    [job] = ledger.list_jobs(runs_per_job=10)
    assert job["name"] == "windmill-test-job"
    runs = list(reversed(job["latest_runs"]))
    assert [r["result_state"] for r in runs] == ["FAILED", "FAILED", "CANCELED"]
    assert runs[0]["state_message"] == "exited with code 1: broken landing folder"
    assert runs[2]["state_message"] == "stopped by windmill up"
    events = ledger.recent_events()
    assert len([e for e in events if e["level"] == "ERROR" and e["source"] == "gen"]) == 2
    assert "broken landing folder" in events[0]["message"]
    assert "restarting in" in events[0]["message"]
    assert (tmp_path / "logs" / "gen.log").read_text().count("windmill up starts") == 3


def test_kill_9_of_one_component_leaves_the_others_alone(tmp_path):
    sleeper = py("import time; time.sleep(60)")
    supervisor = Supervisor(
        [Component("a", sleeper), Component("b", sleeper)], logs=tmp_path / "logs", backoff=FAST
    )
    with Running(supervisor):
        a = wait_for(lambda: supervisor.pid("a"), what="a")
        b = wait_for(lambda: supervisor.pid("b"), what="b")
        for _ in range(3):
            os.kill(a, signal.SIGKILL)
            a = wait_for(
                lambda old=a: (p := supervisor.pid("a")) and p != old and p, what="a restarted"
            )
        assert supervisor.pid("b") == b
        assert supervisor.states["a"].restarts == 3


def test_stop_forwards_sigint_and_kills_what_ignores_it(tmp_path):
    polite = py(
        """
        import time
        try:
            print("ready", flush=True)
            time.sleep(60)
        except KeyboardInterrupt:
            print("finishing the current batch")
        """
    )
    stubborn = py(
        """
        import signal, time
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    ledger = Ledger(tmp_path / "ledger.sqlite")
    supervisor = Supervisor(
        [Component("polite", polite, job="windmill-polite"), Component("stubborn", stubborn)],
        logs=tmp_path / "logs",
        ledger=ledger,
        grace=1.0,
    )
    with Running(supervisor):
        for name in ("polite", "stubborn"):  # (the log's header line quotes the code)
            wait_for(lambda n=name: "\nready\n" in log_text(tmp_path / "logs" / f"{n}.log"))
        pids = [supervisor.pid("polite"), supervisor.pid("stubborn")]
        started = time.monotonic()
    assert time.monotonic() - started < 5
    assert not any(alive(pid) for pid in pids)
    assert "finishing the current batch" in (tmp_path / "logs" / "polite.log").read_text()
    [job] = ledger.list_jobs()
    assert job["latest_runs"][0]["result_state"] == "CANCELED"


def test_tasks_run_before_services_that_depend_on_them(tmp_path):
    marker = tmp_path / "backfill-done"
    order = tmp_path / "order"
    supervisor = Supervisor(
        [
            Component(
                "service",
                py(f"open({str(order)!r}, 'a').write('service\\n'); import time; time.sleep(60)"),
                after=("backfill",),
            ),
            Component(
                "backfill",
                py(f"import time; time.sleep(0.3); open({str(order)!r}, 'a').write('backfill\\n')"),
                restart=ON_FAILURE,
                on_success=lambda: marker.write_text("ok"),
            ),
        ],
        logs=tmp_path / "logs",
        backoff=FAST,
    )
    with Running(supervisor):
        wait_for(lambda: len(log_text(order).split()) == 2, what="service")
    assert order.read_text().split() == ["backfill", "service"]
    assert marker.read_text() == "ok"
    assert supervisor.states["backfill"].restarts == 0


def test_failed_precheck_is_a_failed_run_without_a_process(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    broken = {"yes": True}

    def precheck():
        if broken["yes"]:
            raise WindmillError("landing folder /x is not writable (Read-only file system).")

    supervisor = Supervisor(
        [
            Component(
                "gen", py("import time; time.sleep(60)"), job="windmill-gen", precheck=precheck
            )
        ],
        logs=tmp_path / "logs",
        ledger=ledger,
        backoff=FAST,
    )
    with Running(supervisor):
        wait_for(lambda: supervisor.states["gen"].failures >= 2, what="failed prechecks")
        assert supervisor.pid("gen") is None
        broken["yes"] = False  # the user fixes the folder: the next retry starts it
        wait_for(lambda: supervisor.pid("gen"), what="recovery")
    runs = ledger.list_jobs(runs_per_job=50)[0]["latest_runs"]
    failed = [r for r in runs if r["result_state"] == "FAILED"]
    assert failed and all("not writable" in r["state_message"] for r in failed)
    assert runs[0]["result_state"] == "CANCELED"


def test_a_task_that_keeps_failing_with_restart_never(tmp_path):
    supervisor = Supervisor(
        [Component("once", py("raise SystemExit(3)"), restart=NEVER)],
        logs=tmp_path / "logs",
        backoff=FAST,
    )
    assert supervisor.run(install_signals=False) == 1


def test_pipeline_update_left_open_by_a_crash_is_closed(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    # First run: starts an update and dies mid-way (as kill -9 would); then behaves.
    child = killed_in_first_run(
        tmp_path,
        'ledger.start_update(ledger.ensure_pipeline("Windmill Test Pipeline"))',
        every_run=False,
    )
    supervisor = Supervisor(
        [Component("pipeline", child, pipeline="Windmill Test Pipeline")],
        logs=tmp_path / "logs",
        ledger=ledger,
        backoff=FAST,
    )
    with Running(supervisor):
        wait_for(lambda: supervisor.states["pipeline"].restarts == 1, what="restart")
        wait_for(lambda: supervisor.pid("pipeline"), what="second run")
        [pipeline] = ledger.list_pipelines()
        assert pipeline["latest_update"]["state"] == "FAILED"
        assert "killed by SIGKILL" in pipeline["latest_update"]["error"]
        assert pipeline["state"] == "RECOVERING"
    assert ledger.list_pipelines()[0]["state"] == "IDLE"


def test_children_die_with_a_killed_supervisor(tmp_path):
    state_file = tmp_path / "state.json"
    script = textwrap.dedent(
        f"""
        import sys, pathlib
        from workloads.supervisor.process import Component, Supervisor
        Supervisor(
            [Component("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])],
            logs=pathlib.Path({str(tmp_path / "logs")!r}),
            state_file=pathlib.Path({str(state_file)!r}),
        ).run()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        child = wait_for(
            lambda: (
                state_file.exists()
                and json.loads(state_file.read_text())["components"]["sleeper"]["pid"]
            ),
            what="child pid",
        )
        assert alive(child)
        proc.kill()
        proc.wait()
        wait_for(lambda: not alive(child), what="child to die with its supervisor")
    finally:
        proc.kill()


def test_a_run_left_open_by_a_killed_self_recording_command_is_closed(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    # Like `windmill generate`: records its own run, and is killed -9 in the middle of it.
    child = killed_in_first_run(
        tmp_path, 'ledger.start_run(ledger.ensure_job("windmill-self-recording"))', every_run=True
    )
    supervisor = Supervisor(
        [Component("gen", child, job="windmill-self-recording", records_own_runs=True)],
        logs=tmp_path / "logs",
        ledger=ledger,
        backoff=FAST,
    )
    with Running(supervisor):
        wait_for(lambda: supervisor.states["gen"].restarts == 1, what="restart")
        wait_for(lambda: len(ledger.list_jobs()[0]["latest_runs"]) == 2, what="the second run")
    runs = list(reversed(ledger.list_jobs()[0]["latest_runs"]))
    # One run per process (none added by the supervisor), the killed one closed as FAILED.
    assert [(r["result_state"], r["state_message"]) for r in runs] == [
        ("FAILED", "gen process killed by SIGKILL"),
        ("CANCELED", "stopped by windmill up"),
    ]


def test_a_periodic_task_that_exits_0_counts_runs_not_restarts(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    # Like the one-shot dispatcher: every run exits 0; then one crash.
    marker = tmp_path / "runs"
    task = py(
        f"""
        import pathlib, sys
        marker = pathlib.Path({str(marker)!r})
        n = int(marker.read_text()) if marker.exists() else 0
        marker.write_text(str(n + 1))
        sys.exit(1 if n == 3 else 0)
        """
    )
    supervisor = Supervisor(
        [Component("dispatch", task, job="windmill-test-dispatch", every=0.05)],
        logs=tmp_path / "logs",
        ledger=ledger,
        backoff=FAST,
    )
    with Running(supervisor):
        wait_for(lambda: supervisor.states["dispatch"].runs >= 6, what="six runs")
    state = supervisor.states["dispatch"]
    assert state.restarts == 1  # the one crash
    assert supervisor.snapshot()["components"]["dispatch"]["restarts"] == 1
    runs = list(reversed(ledger.list_jobs(runs_per_job=50)[0]["latest_runs"]))
    assert [r["result_state"] for r in runs[:5]] == ["SUCCESS"] * 3 + ["FAILED", "SUCCESS"]
    text = (tmp_path / "logs" / "dispatch.log").read_text()
    assert text.count("windmill up starts") == state.runs


def test_a_second_stop_request_kills_at_once(tmp_path):
    stubborn = py(
        """
        import signal, time
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    ledger = Ledger(tmp_path / "ledger.sqlite")
    supervisor = Supervisor(
        [Component("stubborn", stubborn, job="windmill-test-job")],
        logs=tmp_path / "logs",
        ledger=ledger,
        grace=60,
    )
    running = Running(supervisor)
    with running:
        log = tmp_path / "logs" / "stubborn.log"
        wait_for(lambda: "ready" in log_text(log).splitlines(), what="the child's handlers")
        supervisor.request_stop()
        time.sleep(0.5)
        assert running.thread.is_alive()  # waiting out the grace for the child
        began = time.monotonic()
        supervisor.hurry()
        running.thread.join(timeout=10)
        assert time.monotonic() - began < 5
    [job] = ledger.list_jobs()
    assert job["latest_runs"][0]["result_state"] == "CANCELED"
