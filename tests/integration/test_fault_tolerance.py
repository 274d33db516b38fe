"""`windmill up` survives faults, proven on the real processes (generator, pipeline, dashboard).

One scenario on one tiny home (5 turbines, 1 h of backfill, 5 readings a second), so the
JVMs start as few times as possible:

1. cold start: backfill, then generator + continuous pipeline + dispatcher + dashboard;
2. a second `windmill up` on the same home refuses with one sentence;
3. the landing folder becomes unwritable: a clear error in the ledger and on the
   dashboard's /api/jobs, nothing half-written; recovery once it is writable again;
4. kill -9 of the generator, the pipeline or the dashboard, ten times in a row, at
   seeded random moments: each is restarted, each crash is in the ledger;
5. the generator is stopped (Ctrl-C), the pipeline catches up: every landing line is in
   bronze exactly once and in silver or quarantine;
6. kill -9 of `windmill up` itself: every child dies with it; the next `windmill up`
   resumes with no second backfill, closes what the crash left RUNNING, catches up with
   no duplicates; SIGTERM then stops everything within 20 s.

Throughout, `windmill up --notify URL` runs the notifier against a local webhook receiver:
a CRITICAL episode of a turbine outside the fleet, opened after the first update and
closed before the kills, reaches it as exactly one firing and one resolved notification,
through all the kills and the restart.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest

from tests.helpers import REPO, reading, run_windmill, write_landing
from workloads import names
from workloads.alerting.receiver import Receiver
from workloads.config import Paths
from workloads.contract import turbine_id
from workloads.engine.attach import running_engine
from workloads.ledger import Ledger
from workloads.spark import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KILL_SEED = 20260105
KILLS = 10
TARGETS = ("generator", "pipeline", "dashboard")
# Seconds after a (re)start within which a kill lands: long enough to reach the work.
MAX_KILL_DELAY = {"generator": 8.0, "pipeline": 20.0, "dashboard": 3.0}


# Helpers ------------------------------------------------------------------------------------


def wait_for(predicate, timeout: float, what: str, every: float = 0.2):
    """Poll `predicate` until it is truthy; each wait's length is printed (`pytest -s`), so
    a slow run shows which phase took its time."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        value = predicate()
        if value:
            print(f"{time.strftime('%H:%M:%S')} waited {time.monotonic() - started:5.1f} s: {what}")
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class Stack:
    """One `windmill up` process on a home, and what it reports."""

    def __init__(self, home: Paths, port: int, notify: str) -> None:
        self.home = home
        self.port = port
        self.output = home.home.parent / f"up-{time.time_ns()}.out"
        args = [
            "--turbines", "5",
            "--backfill-hours", "1",
            "--records-per-batch", "5",
            "--batch-interval", "1",
            "--port", str(port),
            "--refresh-seconds", "1",
            "--pipeline-interval", "1",
            "--restart-backoff", "0.2",
            "--restart-backoff-max", "2",
            "--stop-grace", "12",
            "--dispatch-every", "60",
            # The receiver's messages come one group interval apart at most: the
            # resolved follows its firing as soon as the pipeline publishes it.
            "--notify", notify,
            "--group-interval", "1",
            # The components this scenario proves, and the dispatcher (its runs are
            # checked at the stop): scoring and the multi-day schedule (LightGBM and
            # OR-Tools processes on the engine, after updates) prove nothing here and
            # take the two cores from the pipeline whose catching up this test waits on.
            "--only", "dashboard,generator,pipeline,dispatch,notifier",
        ]  # fmt: skip
        with open(self.output, "w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "workloads.cli", "up", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        self.ledger = Ledger(home.ledger)

    def text(self) -> str:
        return self.output.read_text()

    def state(self) -> dict:
        try:
            return json.loads((self.home.run / "supervisor.json").read_text())
        except (OSError, ValueError):
            return {}

    def component(self, name: str) -> dict:
        return self.state().get("components", {}).get(name, {})

    def pid(self, name: str) -> int | None:
        assert self.proc.poll() is None, f"windmill up exited:\n{self.text()[-3000:]}"
        if self.state().get("pid") != self.proc.pid:
            return None  # the state file of a previous supervisor
        return self.component(name).get("pid")

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def runs(self, job: str) -> list[dict]:
        jobs = {j["name"]: j for j in self.ledger.list_jobs(runs_per_job=200)}
        return jobs[job]["latest_runs"] if job in jobs else []

    def updates(self) -> list[dict]:
        return self.ledger.list_updates(self.ledger.ensure_pipeline(names.PIPELINE_NAME), 500)

    def api(self, endpoint: str) -> dict | None:
        try:
            url = f"http://127.0.0.1:{self.port}/api/{endpoint}"
            with urllib.request.urlopen(url, timeout=5) as reply:
                return json.loads(reply.read())
        except (OSError, ValueError):
            return None

    def stop(self, timeout: float = 20) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def landing_lines(home: Paths) -> Counter:
    """(file name, line) of every finished landing file."""
    lines: Counter = Counter()
    for path in sorted(home.landing.glob("[!.]*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                lines[(path.name, line)] += 1
    return lines


def sql(home: Paths, query: str) -> list[dict]:
    """The rows of `query` through `windmill sql`'s own path (`run_query`), run in this
    process on the stack's engine: a `windmill sql` subprocess per poll spent seconds of
    Python start-up on the two cores the catching-up pipeline needs."""
    from pyspark.sql.connect.session import SparkSession

    from workloads.engine.sql import run_query
    from workloads.spark import stop_remote_session

    port = wait_for(lambda: running_engine(home), 120, "the pipeline's engine")
    # A session of its own (`create`, not `getOrCreate`: that returns any session this
    # test process already has, on another engine), in Connect mode while it is used.
    before = os.environ.get("SPARK_CONNECT_MODE_ENABLED")
    os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
    session = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").create()
    try:
        return run_query(session, home, query)[1]
    finally:
        stop_remote_session(session)  # `stop()` would stop this process's shared engine too
        if before is None:
            os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)


ACCOUNTING = """
SELECT
  (SELECT count(*) FROM bronze_sensor_data) AS bronze,
  (SELECT count(*) FROM silver_sensor_data) AS silver,
  (SELECT count(DISTINCT turbine_id, timestamp) FROM silver_sensor_data) AS silver_keys,
  (SELECT count(*) FROM silver_quarantine) AS quarantine,
  (SELECT count(*) FROM bronze_sensor_data b
     LEFT ANTI JOIN silver_quarantine q ON b.raw = q.raw AND b.source_file = q.source_file
     LEFT ANTI JOIN silver_sensor_data s
       ON get_json_object(b.raw, '$.turbine_id') = s.turbine_id
      AND CAST(get_json_object(b.raw, '$.timestamp') AS TIMESTAMP) = s.timestamp
  ) AS unaccounted
"""


# A turbine outside the generated fleet, whose one CRITICAL episode the receiver must get.
EPISODE_TURBINE = 90001
EPISODE_FILE = "batch-episode-"  # its landing files' names start so


def land_episode_reading(home: Paths, name: str, moment: datetime, **values) -> None:
    """Land one reading of EPISODE_TURBINE stamped `moment` (sensors from `values`)."""
    row = reading(EPISODE_TURBINE, base=moment, latitude=55.68, longitude=-4.27, **values)
    assert row["alert_level"] == ("CRITICAL" if values else "NORMAL"), row
    write_landing(home.landing, f"{EPISODE_FILE}{name}.jsonl", [json.dumps(row)])


def episode_notifications(receiver: Receiver) -> list[str]:
    """The statuses the receiver got for EPISODE_TURBINE's episode, in arrival order."""
    wanted = turbine_id(EPISODE_TURBINE)
    return [a["status"] for a in receiver.alerts() if a["labels"].get("turbine_id") == wanted]


def assert_exactly_once(stack: Stack) -> None:
    """Wait for the pipeline to catch up with a quiet landing folder, then check every line."""
    landing = landing_lines(stack.home)
    assert landing and max(landing.values()) == 1  # the generator never repeats a line
    total = sum(landing.values())
    # Caught up: the latest update completed, bronze has every line and silver or
    # quarantine every bronze row (an update may still be catching up on the last files).
    last: dict = {}
    # A bound for a stuck pipeline only: the wait ends as soon as the accounting adds up
    # (a restarted engine catching up on a contended machine took over 4 min).
    deadline = time.monotonic() + 600
    while True:
        if stack.updates()[0]["state"] == "COMPLETED":
            [last] = sql(stack.home, ACCOUNTING)
            if last["bronze"] >= total and last["unaccounted"] == 0:
                break
        assert time.monotonic() < deadline, f"the pipeline did not catch up: {last}, {total} lines"
        time.sleep(2)
    bronze = Counter(
        (Path(row["source_file"]).name, row["raw"])
        for row in sql(stack.home, "SELECT source_file, raw FROM bronze_sensor_data")
    )
    assert bronze - landing == Counter(), "bronze holds lines that are not in landing"
    assert landing - bronze == Counter(), "landing lines missing from bronze"
    assert max(bronze.values()) == 1, "a landing line is in bronze more than once"
    [counts] = sql(stack.home, ACCOUNTING)
    assert counts["unaccounted"] == 0, counts
    assert counts["silver"] == counts["silver_keys"], counts  # no duplicate readings
    assert counts["silver"] + counts["quarantine"] == counts["bronze"], counts


@contextmanager
def unwritable(folder: Path):
    """Make `folder` unwritable, even for root (tests run as root in CI).

    Root ignores permission bits, but not the immutable attribute (`chattr +i`, on ext4,
    xfs, btrfs...). Where that is unavailable, the folder is swapped for a file.
    """
    if os.geteuid() != 0:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(mode)
        return
    chattr = shutil.which("chattr")
    immutable = False
    if chattr and subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode == 0:
        try:
            (folder / ".probe").write_text("x")
            (folder / ".probe").unlink()
        except OSError:
            immutable = True
        if not immutable:
            subprocess.run([chattr, "-i", str(folder)], check=True)
    if immutable:
        try:
            yield
        finally:
            subprocess.run([chattr, "-i", str(folder)], check=True)
        return
    aside = folder.with_name(folder.name + ".aside")
    folder.rename(aside)
    folder.write_text("a file where the landing folder should be\n")
    try:
        yield
    finally:
        folder.unlink()
        aside.rename(folder)


def generator_done(stack: Stack) -> bool:
    component = stack.component("generator")
    return bool(component.get("succeeded")) and component.get("pid") is None


def generator_writing(stack: Stack) -> int | None:
    """The generator's pid once its current run has written a batch."""
    pid = stack.pid("generator")
    runs = stack.runs(names.GENERATOR_JOB)
    running = pid and runs and runs[0]["life_cycle_state"] == "RUNNING"
    return pid if running and (runs[0]["metrics"] or {}).get("batches", 0) >= 1 else None


def stop_generator(stack: Stack) -> None:
    """The operator stops the generator (Ctrl-C: it finishes its batch and is not restarted)."""
    pid = wait_for(lambda: generator_writing(stack), 240, "the generator to write batches")
    os.kill(pid, signal.SIGINT)
    wait_for(lambda: generator_done(stack), 60, "the generator to stop")


# The scenario ----------------------------------------------------------------------------------


def test_windmill_up_survives_kills_unwritable_landing_and_its_own_kill(windmill_home):
    home = windmill_home
    port = free_port()
    receiver = Receiver().start()
    stack = Stack(home, port, receiver.url)
    restarted: Stack | None = None
    try:
        # 1. Cold start: backfill first, then everything else.
        wait_for(lambda: (home.run / "backfill.done").exists(), 300, "the backfill")
        wait_for(
            lambda: any(u["state"] == "COMPLETED" for u in stack.updates()),
            300,
            "the first pipeline update",
            every=1,
        )
        assert "backfill completed" in stack.text()

        # 1b. A CRITICAL episode opens (its reading 35 min old: the next one closes it); its
        # firing is checked after step 3, so the wait for it overlaps steps 2 and 3.
        opened = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=35)
        land_episode_reading(home, "open", opened, gearbox_temperature=92.0)

        # 2. A second windmill up on the same home refuses, naming the running one.
        second = run_windmill("up", "--port", str(free_port()), check=False, timeout=60)
        assert second.returncode == 2
        assert f"pid {stack.proc.pid}" in second.stderr and "already running" in second.stderr

        # 3. Unwritable landing folder while the generator writes.
        wait_for(lambda: generator_writing(stack), 240, "the generator to write batches")
        files_before = set(home.landing.glob("[!.]*.jsonl"))
        with unwritable(home.landing):
            failed = wait_for(
                lambda: [
                    r
                    for r in stack.runs(names.GENERATOR_JOB)[:5]
                    if r["result_state"] == "FAILED"
                    and "not writable" in (r["state_message"] or "")
                ],
                120,
                "a clear landing error in the ledger",
            )
            message = failed[0]["state_message"]
            assert str(home.landing) in message

            def dashboard_shows_it():
                jobs = (stack.api("jobs") or {}).get("jobs", [])
                generator = [j for j in jobs if j["name"] == names.GENERATOR_JOB]
                return generator and any(
                    "not writable" in (run.get("state_message") or "")
                    for run in generator[0]["latest_runs"]
                )

            wait_for(dashboard_shows_it, 60, "the error on the dashboard's /api/jobs")
        # Nothing half-written: every finished batch file is whole JSON lines.
        for path in home.landing.glob("[!.]*.jsonl"):
            for line in path.read_text().splitlines():
                json.loads(line)
        # Recovery (checked below, while the kills go on): the generator writes again.

        # 1b, continued: one firing; then the episode ends with a healthy reading more than
        # the 30-minute gap after its last one (its resolved is checked after step 5).
        wait_for(lambda: episode_notifications(receiver), 180, "the episode's firing")
        assert episode_notifications(receiver) == ["firing"]
        land_episode_reading(home, "close", opened + timedelta(minutes=35))

        # 4. Ten kill -9 in a row, of random components at random moments.
        rng = random.Random(KILL_SEED)
        killed: Counter = Counter()
        for _ in range(KILLS):
            target = rng.choice(TARGETS)
            if target == "generator" and generator_done(stack):
                target = rng.choice(TARGETS[1:])
            pid = wait_for(lambda t=target: stack.pid(t), 120, f"{target} to run")
            # Any moment of a run: starting its JVM, registering, writing, updating.
            time.sleep(rng.uniform(0.2, MAX_KILL_DELAY[target]))
            try:
                os.kill(pid, signal.SIGKILL)
                killed[target] += 1
                outcome = "killed"
            except ProcessLookupError:
                outcome = "already gone"  # it ended on its own meanwhile
            print(f"{time.strftime('%H:%M:%S')} kill -9 {target} pid {pid}: {outcome}")
            # The supervisor notices and starts a new process.
            wait_for(
                lambda t=target, old=pid: (
                    (stack.pid(t) not in (None, old))
                    or (t == "generator" and generator_done(stack))
                ),
                120,
                f"{target} to be restarted after kill -9 of pid {pid}",
            )
        crashes = [
            e for e in stack.ledger.recent_events(500) if "killed by SIGKILL" in e["message"]
        ]
        # (A kill can hit a generator that has just finished on its own: one may not count.)
        assert sum(killed.values()) - 1 <= len(crashes) <= sum(killed.values())
        assert sum(killed.values()) >= KILLS - 2
        assert {e["source"] for e in crashes} == set(killed)
        # A generator killed mid-run has its run closed, not left RUNNING.
        generator_runs = stack.runs(names.GENERATOR_JOB)
        assert all(r["life_cycle_state"] != "RUNNING" for r in generator_runs[1:])

        # 5. The generator is stopped; the pipeline catches up: exactly once.
        stop_generator(stack)
        after_recovery = set(home.landing.glob("[!.]*.jsonl")) - files_before
        assert {f for f in after_recovery if not f.name.startswith(EPISODE_FILE)}, (
            "no generator batch after recovery"
        )
        assert_exactly_once(stack)
        wait_for(lambda: len(episode_notifications(receiver)) > 1, 180, "the episode's resolved")
        assert episode_notifications(receiver) == ["firing", "resolved"]

        # 6. kill -9 of windmill up itself: every child (and their JVMs) dies with it.
        wait_for(lambda: stack.pid("dashboard") and stack.pid("pipeline"), 120, "a full stack")
        children = stack.descendants()
        assert children
        stack.proc.kill()
        stack.proc.wait()
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, f"left running after kill -9 of windmill up: {alive}"
        open_runs = [
            r
            for job in (names.DASHBOARD_JOB, names.GENERATOR_JOB)
            for r in stack.runs(job)
            if r["life_cycle_state"] == "RUNNING"
        ]
        assert open_runs  # the crash left the dashboard's run RUNNING

        restarted = Stack(home, free_port(), receiver.url)
        wait_for(lambda: restarted.pid("pipeline"), 120, "the restarted stack")
        assert "backfill" not in restarted.state()["components"]
        assert "first start" not in restarted.text()
        closed = {
            r["run_id"]: r
            for j in (names.DASHBOARD_JOB, names.GENERATOR_JOB)
            for r in restarted.runs(j)
        }
        for run in open_runs:
            assert closed[run["run_id"]]["result_state"] == "FAILED"
            assert "abandoned" in closed[run["run_id"]]["state_message"]
        # No pipeline update is left RUNNING by the crash (only the new process's may run).
        assert all(
            u["state"] in ("COMPLETED", "FAILED", "CANCELED") for u in restarted.updates()[1:]
        )
        stop_generator(restarted)
        assert_exactly_once(restarted)
        backfill_log = (home.logs / "backfill.log").read_text()
        assert backfill_log.count("windmill up starts") == 1

        # SIGTERM: everything stops cleanly within 20 s.
        children = restarted.descendants()
        assert restarted.stop(timeout=20) == 0
        gone, alive = psutil.wait_procs(children, timeout=5)
        assert not alive
        assert not [
            r
            for j in (names.DASHBOARD_JOB, names.GENERATOR_JOB, names.DISPATCH_JOB)
            for r in restarted.runs(j)
            if r["life_cycle_state"] == "RUNNING"
        ]
        assert restarted.updates()[0]["state"] in ("COMPLETED", "CANCELED")
        # Ten kills, a crash of the whole stack and a restarted notifier on the same
        # outbox: still one firing and one resolved.
        assert episode_notifications(receiver) == ["firing", "resolved"]
    finally:
        receiver.stop()
        for s in (stack, restarted):
            if s is not None:
                s.kill()
