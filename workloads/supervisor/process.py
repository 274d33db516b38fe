"""Supervise child processes: start, watch, restart with backoff, record, stop cleanly.

Each component is a command line run as its own process in its own session (so a
Ctrl-C or a hang-up from the terminal reaches only the supervisor, which then stops
every component in order, and a component's helpers, such as its JVM, can be cleaned
up as one process group). Children write to their own log files, never to the
terminal, so a terminal that goes away cannot break them. Children also get
`PR_SET_PDEATHSIG=SIGKILL`: if the supervisor itself is killed with -9 they die
with it instead of running on unsupervised.

Crashes are restarted after an exponential backoff (reset once a run has stayed up
for a healthy period); one component's crashes never touch the others. Every start
of a component that is a ledger job is a run in the ledger; every crash is a FAILED
run (or a FAILED pipeline update) and an ERROR event, so the dashboard shows it.
Restarts count crashes only: a periodic task that exits 0 by design (the one-shot
dispatcher) and is started again is a new run, not a restart.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from workloads import states
from workloads.errors import WindmillError
from workloads.ledger import Ledger
from workloads.signals import StopOnSignal
from workloads.supervisor.children import (
    describe_exit,
    die_with_parent,
    kill_group,
    last_message,
    tee,
)

log = logging.getLogger("windmill.supervisor")

T = TypeVar("T")

ALWAYS = "always"  # a service: restart whenever it exits
ON_FAILURE = "on-failure"  # a task: restart only if it fails
NEVER = "never"


@dataclass(frozen=True)
class Backoff:
    """Restart delays: base, 2×base, 4×base … capped; reset after a healthy run."""

    base: float = 1.0
    cap: float = 30.0
    healthy_after: float = 60.0

    def delay(self, failures: int) -> float:
        return min(self.cap, self.base * 2 ** max(0, failures - 1))


@dataclass
class Component:
    """One supervised command line."""

    name: str
    argv: Sequence[str]
    restart: str = ALWAYS
    # Ledger: the job whose runs are this component's processes, and/or a pipeline whose
    # updates the process performs. A command that records its own runs (`windmill
    # generate`, `windmill dispatch`) has `records_own_runs`: the supervisor then only
    # closes the run a killed process left RUNNING (as it does for pipeline updates).
    job: str | None = None
    records_own_runs: bool = False
    pipeline: str | None = None
    # Start only once these components have completed successfully (e.g. the backfill).
    after: tuple[str, ...] = ()
    # Pause between two successful runs of a periodic task (restart=ALWAYS).
    every: float = 1.0
    # Event-driven task: a (re)start happens only when this returns True (retries after a
    # failure do not wait for it).
    trigger: Callable[[], bool] | None = None
    # Checked before each start; a WindmillError is recorded as a failed run, no process.
    precheck: Callable[[], None] | None = None
    on_success: Callable[[], None] | None = None
    # Copy the output to the supervisor's stderr as well as the log (progress bars).
    echo: bool = False
    env: dict[str, str] | None = None


@dataclass
class _State:
    proc: subprocess.Popen[bytes] | None = None
    run_id: int | None = None
    started_at: float = 0.0
    next_start: float | None = 0.0  # monotonic time of the next start; None = never again
    failures: int = 0
    restarts: int = 0  # starts after a crash
    runs: int = 0  # every start
    succeeded: bool = False
    retrying: bool = False
    log_offset: int = 0
    echo_thread: threading.Thread | None = None
    pids: list[int] = field(default_factory=list)


class Supervisor:
    """Run `components` until asked to stop (SIGINT/SIGTERM/SIGHUP) or until nothing is left.

    A first signal stops every component in order (SIGINT, SIGTERM after half the
    grace, SIGKILL after it); a second one skips the grace and kills them at once.
    Either way every run still open ends CANCELED in the ledger.
    """

    def __init__(
        self,
        components: Sequence[Component],
        *,
        logs: Path,
        ledger: Ledger | None = None,
        backoff: Backoff | None = None,
        grace: float = 15.0,
        poll: float = 0.2,
        state_file: Path | None = None,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        names = [c.name for c in components]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must be unique: {names}")
        self.components = list(components)
        self.logs = logs
        self.ledger = ledger
        self.backoff = backoff or Backoff()
        self.grace = grace
        self.poll = poll
        self.state_file = state_file
        self.announce = announce or (lambda message: log.info("%s", message))
        self.states = {c.name: _State() for c in components}
        self._stop = threading.Event()
        self._hurry = threading.Event()
        self._job_ids: dict[str, int] = {}
        self._pipeline_ids: dict[str, str] = {}

    # Public -----------------------------------------------------------------------------

    def request_stop(self, *_: Any) -> None:
        self._stop.set()

    def hurry(self) -> None:
        """Stop now: kill the components without waiting for them to finish their work."""
        self._stop.set()
        self._hurry.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def pid(self, name: str) -> int | None:
        proc = self.states[name].proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def run(self, *, install_signals: bool = True) -> int:
        """Supervise until stopped; returns 0, or 1 if a task never succeeded."""
        signals = (
            StopOnSignal(self._stop, unit="each component's current work", on_second=self.hurry)
            if install_signals
            else contextlib.nullcontext()
        )
        self.logs.mkdir(parents=True, exist_ok=True)
        self._register()
        finished = False
        with signals:
            try:
                while not self._stop.is_set():
                    self.step()
                    if self._all_done():
                        finished = True
                        break
                    self._stop.wait(self.poll)
            finally:
                self.stop_all()
        failed = [c.name for c in self.components if c.restart != ALWAYS and not self._ok(c)]
        return 1 if finished and failed else 0

    def step(self) -> None:
        """One pass: notice exits, start what is due."""
        now = time.monotonic()
        for component in self.components:
            state = self.states[component.name]
            if state.proc is not None:
                returncode = state.proc.poll()
                if returncode is not None:
                    self._on_exit(component, state, returncode)
            elif (
                state.next_start is not None
                and now >= state.next_start
                and all(self.states[dep].succeeded for dep in component.after)
                and not self._stop.is_set()
                and (component.trigger is None or state.retrying or component.trigger())
            ):
                self._start(component, state)

    def stop_all(self) -> None:
        """Ask every child to stop (SIGINT, then SIGTERM), SIGKILL what is left after `grace`."""
        self._stop.set()
        running = [(c, self.states[c.name]) for c in self.components if self.states[c.name].proc]
        for component, state in running:
            self.announce(f"stopping {component.name} (pid {state.proc.pid})")
            self._signal(state.proc, signal.SIGINT)
        start = time.monotonic()
        termed = False
        while any(s.proc.poll() is None for _, s in running):
            elapsed = time.monotonic() - start
            if elapsed >= self.grace or self._hurry.is_set():
                break
            if not termed and elapsed >= self.grace / 2:
                for _, state in running:
                    self._signal(state.proc, signal.SIGTERM)
                termed = True
            time.sleep(0.05)
        for component, state in running:
            if state.proc.poll() is None:
                waited = "at once" if self._hurry.is_set() else f"in {self.grace:.0f} s"
                self.announce(f"{component.name} did not stop {waited}; killing it")
            kill_group(state.proc.pid)
            returncode = state.proc.wait()
            self._close_run(component, state, returncode, stopped=True)
            state.proc = None
        self._write_state()

    # Internals ----------------------------------------------------------------------------

    def _ok(self, component: Component) -> bool:
        return self.states[component.name].succeeded

    def _all_done(self) -> bool:
        return all(
            state.proc is None and state.next_start is None for state in self.states.values()
        )

    def _register(self) -> None:
        if self.ledger is None:
            return
        for component in self.components:
            if component.job:
                self._job_ids[component.name] = self._record(
                    lambda led, job=component.job: led.ensure_job(job)
                )
            if component.pipeline:
                self._pipeline_ids[component.name] = self._record(
                    lambda led, name=component.pipeline: led.ensure_pipeline(name)
                )

    def _record(self, call: Callable[[Ledger], T]) -> T | None:
        """`call(ledger)`; ledger trouble never takes the supervisor down (it is logged)."""
        if self.ledger is None:
            return None
        try:
            return call(self.ledger)
        except Exception as exc:  # noqa: BLE001 - supervision must go on
            log.warning("run ledger call failed: %s", exc)
            return None

    def _start_run(self, job_id: int | None) -> int | None:
        return self._record(lambda led: led.start_run(job_id)) if job_id else None

    def _finish_run(self, run_id: int, state: str, message: str | None = None) -> None:
        self._record(lambda led: led.finish_run(run_id, state, message))

    def log_path(self, component: Component) -> Path:
        return self.logs / f"{component.name}.log"

    def _start(self, component: Component, state: _State) -> None:
        job_id = self._job_ids.get(component.name)
        if component.precheck is not None:
            try:
                component.precheck()
            except WindmillError as exc:
                run_id = self._start_run(job_id)
                self._failed(component, state, str(exc), run_id=run_id, uptime=0.0)
                return
        log_path = self.log_path(component)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(log_path, "ab")  # noqa: SIM115 - the child owns it while it runs
        state.log_offset = handle.tell()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        handle.write(f"--- {stamp} windmill up starts: {' '.join(component.argv)}\n".encode())
        handle.flush()
        env = {**os.environ, **(component.env or {})}
        try:
            proc = subprocess.Popen(
                list(component.argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if component.echo else handle,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, before exec
            )
        except OSError as exc:
            handle.close()
            run_id = self._start_run(job_id)
            self._failed(component, state, f"could not start: {exc}", run_id=run_id, uptime=0.0)
            return
        if component.echo:
            state.echo_thread = threading.Thread(
                target=tee, args=(proc.stdout, handle), daemon=True, name=f"tee-{component.name}"
            )
            state.echo_thread.start()
        else:
            handle.close()
        after_crash = state.retrying
        state.proc = proc
        state.started_at = time.monotonic()
        state.next_start = None
        state.retrying = False
        state.runs += 1
        state.run_id = None if component.records_own_runs else self._start_run(job_id)
        state.pids.append(proc.pid)
        if after_crash:
            again = f" (restart {state.restarts})"
        else:
            again = f" (run {state.runs})" if state.runs > 1 else ""
        self.announce(f"{component.name} started, pid {proc.pid}{again}")
        self._write_state()

    def _on_exit(self, component: Component, state: _State, returncode: int) -> None:
        proc = state.proc
        assert proc is not None
        kill_group(proc.pid)  # helpers (a JVM) go with their component
        if state.echo_thread is not None:
            state.echo_thread.join(timeout=5)
            state.echo_thread = None
        uptime = time.monotonic() - state.started_at
        state.proc = None
        if self._stop.is_set():
            self._close_run(component, state, returncode, stopped=True)
            return
        if returncode == 0:
            self._close_run(component, state, returncode, stopped=False)
            state.succeeded = True
            state.failures = 0
            if component.on_success is not None:
                try:
                    component.on_success()
                except Exception as exc:  # noqa: BLE001
                    log.warning("%s: after-success step failed: %s", component.name, exc)
            if component.restart == ALWAYS:  # its next run, not a restart
                state.next_start = time.monotonic() + component.every
            else:
                state.next_start = None
                self.announce(f"{component.name} completed")
            self._write_state()
            return
        message = describe_exit(returncode)
        detail = last_message(self.log_path(component), state.log_offset)
        if detail and returncode > 0:
            message = f"{message}: {detail}"
        self._failed(component, state, message, run_id=state.run_id, uptime=uptime)

    def _failed(
        self,
        component: Component,
        state: _State,
        message: str,
        *,
        run_id: int | None,
        uptime: float,
    ) -> None:
        if run_id is not None:
            self._finish_run(run_id, states.FAILED, message)
        state.run_id = None
        self._close_orphans(component, states.FAILED, f"{component.name} process {message}")
        if component.restart == NEVER:
            state.next_start = None
            retry = "not restarting"
        else:
            if uptime >= self.backoff.healthy_after:
                state.failures = 0
            state.failures += 1
            delay = self.backoff.delay(state.failures)
            state.next_start = time.monotonic() + delay
            state.restarts += 1
            state.retrying = True
            retry = f"restarting in {delay:.1f} s"
        text = f"{component.name} {message.rstrip('. ')}; {retry}"
        self.announce(text)
        self._record(lambda led: led.record_event(component.name, "ERROR", text))
        self._write_state()

    def _close_run(
        self, component: Component, state: _State, returncode: int, *, stopped: bool
    ) -> None:
        if state.run_id is not None:
            if stopped:
                self._finish_run(state.run_id, states.CANCELED, "stopped by windmill up")
            elif returncode == 0:
                self._finish_run(state.run_id, states.SUCCESS)
            else:
                self._finish_run(state.run_id, states.FAILED, describe_exit(returncode))
            state.run_id = None
        if stopped:
            self._close_orphans(component, states.CANCELED, "stopped by windmill up", idle=True)

    def _close_orphans(
        self, component: Component, final_state: str, message: str, *, idle: bool = False
    ) -> None:
        """Close what a dead process left open in the ledger (it cannot do it any more)."""
        job_id = self._job_ids.get(component.name)
        if component.records_own_runs and job_id is not None:
            for run in self._record(lambda led: led.list_runs(job_id, 5)) or []:
                if run["life_cycle_state"] in states.OPEN_RUN_STATES:
                    self._finish_run(run["run_id"], final_state, message)
        pipeline_id = self._pipeline_ids.get(component.name)
        if pipeline_id is None or self.ledger is None:
            return
        error = message if final_state == states.FAILED else None
        for update in self._record(lambda led: led.list_updates(pipeline_id, 5)) or []:
            if update["state"] in states.ACTIVE_UPDATE_STATES:
                update_id = update["update_id"]
                self._record(
                    lambda led, u=update_id: led.finish_update(
                        u, final_state, error=error, pipeline_state=states.IDLE if idle else None
                    )
                )
        if idle:
            self._record(
                lambda led: led.set_pipeline_state(
                    pipeline_id, states.IDLE, "stopped by windmill up"
                )
            )
        elif final_state == states.FAILED:
            # Being restarted: Databricks calls a continuous pipeline in this state RECOVERING.
            self._record(
                lambda led: led.set_pipeline_state(pipeline_id, states.RECOVERING, message)
            )

    @staticmethod
    def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)

    def snapshot(self) -> dict[str, Any]:
        """Who runs where, for `windmill status` and tests (`run/supervisor.json`)."""
        return {
            "pid": os.getpid(),
            "components": {
                c.name: {
                    "pid": self.pid(c.name),
                    "restarts": self.states[c.name].restarts,
                    "runs": self.states[c.name].runs,
                    "failures": self.states[c.name].failures,
                    "succeeded": self.states[c.name].succeeded,
                    "log": str(self.log_path(c)),
                    "pids": self.states[c.name].pids[-50:],
                }
                for c in self.components
            },
        }

    def _write_state(self) -> None:
        if self.state_file is None:
            return
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.snapshot(), indent=1))
            tmp.replace(self.state_file)
        except OSError as exc:
            log.warning("could not write %s: %s", self.state_file, exc)
