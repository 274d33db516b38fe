"""The local run ledger: what a Databricks workspace's Jobs and Pipelines APIs would report.

One SQLite file under `$WINDMILL_HOME`, shared by every local process (generator,
pipeline engine, dispatcher, supervisor, dashboard). States use the names of the
Databricks REST APIs (declared once in `workloads.states`) so that the dashboard shows
the same thing in both places:

- pipeline state: IDLE, RUNNING, FAILED, STOPPING, ...
- update state: QUEUED, INITIALIZING, RUNNING, COMPLETED, FAILED, CANCELED
- run life-cycle state: PENDING, RUNNING, TERMINATED, INTERNAL_ERROR;
  result state: SUCCESS, FAILED, CANCELED

Each call opens its own short connection (WAL mode, busy timeout), so processes
never hold the file between calls and a killed process leaves nothing locked.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workloads import states
from workloads.errors import WindmillError

SCHEMA = """
CREATE TABLE IF NOT EXISTS pipelines (
    pipeline_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'IDLE',
    cause TEXT,
    created_at TEXT NOT NULL,
    state_changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pipeline_updates (
    update_id TEXT PRIMARY KEY,
    pipeline_id TEXT NOT NULL REFERENCES pipelines(pipeline_id),
    state TEXT NOT NULL,
    cause TEXT NOT NULL,
    full_refresh INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    duration_ms INTEGER,
    error TEXT,
    metrics TEXT
);
CREATE INDEX IF NOT EXISTS pipeline_updates_by_pipeline
    ON pipeline_updates(pipeline_id, started_at);
CREATE TABLE IF NOT EXISTS jobs (
    job_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job_runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL REFERENCES jobs(job_id),
    life_cycle_state TEXT NOT NULL,
    result_state TEXT,
    state_message TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    duration_ms INTEGER,
    metrics TEXT
);
CREATE INDEX IF NOT EXISTS job_runs_by_job ON job_runs(job_id, run_id);
CREATE TABLE IF NOT EXISTS events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    source TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL
);
"""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _duration_ms(started_at: str, ended_at: str) -> int:
    delta = datetime.fromisoformat(ended_at) - datetime.fromisoformat(started_at)
    return int(delta.total_seconds() * 1000)


def stable_pipeline_id(name: str) -> str:
    """The same name always gets the same id (a UUID, as on Databricks)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"windmill-pipeline:{name}"))


def stable_job_id(name: str) -> int:
    """The same name always gets the same numeric id (an integer, as on Databricks)."""
    return int(hashlib.sha1(f"windmill-job:{name}".encode()).hexdigest()[:12], 16)


class Ledger:
    """Read and write the run ledger at `path` (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise WindmillError(f"Cannot open the run ledger at {self.path} ({exc}).") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    def _write(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._connect() as db:
            return db.execute(sql, params)

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._connect() as db:
            return [dict(row) for row in db.execute(sql, params).fetchall()]

    # Pipelines ---------------------------------------------------------------------------

    def ensure_pipeline(self, name: str) -> str:
        pipeline_id = stable_pipeline_id(name)
        at = now_iso()
        self._write(
            "INSERT OR IGNORE INTO pipelines(pipeline_id, name, state, created_at, state_changed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (pipeline_id, name, states.IDLE, at, at),
        )
        return pipeline_id

    def set_pipeline_state(self, pipeline_id: str, state: str, cause: str | None = None) -> None:
        self._write(
            "UPDATE pipelines SET state = ?, cause = ?, state_changed_at = ? WHERE pipeline_id = ?",
            (state, cause, now_iso(), pipeline_id),
        )

    def start_update(
        self, pipeline_id: str, *, cause: str = "API_CALL", full_refresh: bool = False
    ) -> str:
        """Record a new RUNNING update and mark the pipeline RUNNING; returns the update id."""
        update_id = str(uuid.uuid4())
        self._write(
            "INSERT INTO pipeline_updates(update_id, pipeline_id, state, cause, full_refresh, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (update_id, pipeline_id, states.RUNNING, cause, int(full_refresh), now_iso()),
        )
        self.set_pipeline_state(pipeline_id, states.RUNNING, cause)
        return update_id

    def finish_update(
        self,
        update_id: str,
        state: str,
        *,
        error: str | None = None,
        metrics: dict[str, Any] | None = None,
        pipeline_state: str | None = None,
    ) -> None:
        """Close an update as COMPLETED, FAILED or CANCELED; the pipeline goes IDLE (or FAILED)."""
        if state not in states.TERMINAL_UPDATE_STATES:
            raise ValueError(f"not a terminal update state: {state}")
        ended = now_iso()
        with self._connect() as db:
            row = db.execute(
                "SELECT pipeline_id, started_at FROM pipeline_updates WHERE update_id = ?",
                (update_id,),
            ).fetchone()
            if row is None:
                raise ValueError(f"unknown update {update_id}")
            db.execute(
                "UPDATE pipeline_updates SET state = ?, ended_at = ?, duration_ms = ?, error = ?,"
                " metrics = ? WHERE update_id = ?",
                (
                    state,
                    ended,
                    _duration_ms(row["started_at"], ended),
                    error,
                    json.dumps(metrics) if metrics is not None else None,
                    update_id,
                ),
            )
        next_state = pipeline_state or (states.FAILED if state == states.FAILED else states.IDLE)
        self.set_pipeline_state(row["pipeline_id"], next_state)

    def list_pipelines(self) -> list[dict[str, Any]]:
        """Every pipeline with its latest update (or None) under `latest_update`."""
        pipelines = self._rows("SELECT * FROM pipelines ORDER BY name")
        for pipeline in pipelines:
            updates = self.list_updates(pipeline["pipeline_id"], limit=1)
            pipeline["latest_update"] = updates[0] if updates else None
        return pipelines

    def list_updates(self, pipeline_id: str, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT * FROM pipeline_updates WHERE pipeline_id = ?"
            " ORDER BY started_at DESC, rowid DESC LIMIT ?",
            (pipeline_id, limit),
        )
        for row in rows:
            row["metrics"] = json.loads(row["metrics"]) if row["metrics"] else None
            row["full_refresh"] = bool(row["full_refresh"])
        return rows

    # Jobs -------------------------------------------------------------------------------

    def ensure_job(self, name: str) -> int:
        job_id = stable_job_id(name)
        self._write(
            "INSERT OR IGNORE INTO jobs(job_id, name, created_at) VALUES (?, ?, ?)",
            (job_id, name, now_iso()),
        )
        return job_id

    def start_run(self, job_id: int) -> int:
        """Record a RUNNING run of the job; returns its run id."""
        cursor = self._write(
            "INSERT INTO job_runs(job_id, life_cycle_state, started_at) VALUES (?, ?, ?)",
            (job_id, states.RUNNING, now_iso()),
        )
        return int(cursor.lastrowid)

    def finish_run(
        self,
        run_id: int,
        result_state: str,
        message: str | None = None,
        *,
        metrics: dict[str, Any] | None = None,
        life_cycle_state: str = states.TERMINATED,
    ) -> None:
        """Close a run with SUCCESS, FAILED or CANCELED."""
        if result_state not in states.RESULT_STATES:
            raise ValueError(f"not a result state: {result_state}")
        ended = now_iso()
        with self._connect() as db:
            row = db.execute(
                "SELECT started_at FROM job_runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if row is None:
                raise ValueError(f"unknown run {run_id}")
            db.execute(
                "UPDATE job_runs SET life_cycle_state = ?, result_state = ?, state_message = ?,"
                " ended_at = ?, duration_ms = ?, metrics = ? WHERE run_id = ?",
                (
                    life_cycle_state,
                    result_state,
                    message,
                    ended,
                    _duration_ms(row["started_at"], ended),
                    json.dumps(metrics) if metrics is not None else None,
                    run_id,
                ),
            )

    def update_run_metrics(self, run_id: int, metrics: dict[str, Any]) -> None:
        """Progress of a long run (e.g. batches written so far)."""
        self._write(
            "UPDATE job_runs SET metrics = ? WHERE run_id = ?", (json.dumps(metrics), run_id)
        )

    def list_jobs(self, runs_per_job: int = 5) -> list[dict[str, Any]]:
        """Every job with its latest runs (newest first) under `latest_runs`."""
        jobs = self._rows("SELECT * FROM jobs ORDER BY name")
        for job in jobs:
            job["latest_runs"] = self.list_runs(job["job_id"], limit=runs_per_job)
        return jobs

    def list_runs(self, job_id: int, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT * FROM job_runs WHERE job_id = ? ORDER BY run_id DESC LIMIT ?", (job_id, limit)
        )
        for row in rows:
            row["metrics"] = json.loads(row["metrics"]) if row["metrics"] else None
        return rows

    # Events and recovery ---------------------------------------------------------------------

    def record_event(self, source: str, level: str, message: str) -> None:
        """An operational event (crash, restart, disk full...) shown on the dashboard."""
        self._write(
            "INSERT INTO events(at, source, level, message) VALUES (?, ?, ?, ?)",
            (now_iso(), source, level, message),
        )

    def recent_events(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM events ORDER BY event_id DESC LIMIT ?", (limit,))

    def abandon_running(self, reason: str) -> int:
        """Close every update and run still RUNNING (their process is gone); returns how many."""
        ended = now_iso()
        closed = 0
        with self._connect() as db:
            terminal = sorted(states.TERMINAL_UPDATE_STATES)
            for row in db.execute(
                "SELECT update_id, started_at FROM pipeline_updates WHERE state NOT IN (?, ?, ?)",
                terminal,
            ).fetchall():
                db.execute(
                    "UPDATE pipeline_updates SET state = ?, ended_at = ?, duration_ms = ?,"
                    " error = ? WHERE update_id = ?",
                    (
                        states.FAILED,
                        ended,
                        _duration_ms(row["started_at"], ended),
                        reason,
                        row["update_id"],
                    ),
                )
                closed += 1
            for row in db.execute(
                "SELECT run_id, started_at FROM job_runs WHERE life_cycle_state IN (?, ?)",
                sorted(states.OPEN_RUN_STATES),
            ).fetchall():
                db.execute(
                    "UPDATE job_runs SET life_cycle_state = ?, result_state = ?,"
                    " state_message = ?, ended_at = ?, duration_ms = ? WHERE run_id = ?",
                    (
                        states.INTERNAL_ERROR,
                        states.FAILED,
                        reason,
                        ended,
                        _duration_ms(row["started_at"], ended),
                        row["run_id"],
                    ),
                )
                closed += 1
            db.execute(
                "UPDATE pipelines SET state = ?, state_changed_at = ? WHERE state NOT IN (?, ?)",
                (states.IDLE, ended, states.IDLE, states.FAILED),
            )
        return closed
