"""Databricks sources: Jobs/Pipelines APIs and a SQL warehouse, through the real SDK.

Names are matched and passed as data only: the LIKE filter is a fixed string, gold
queries use named parameters, and nothing a workspace returns is ever interpreted.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import pandas as pd

from dashboard.logbuffer import logger
from dashboard.sources import (
    GOLD_TABLES,
    TREND_COLUMNS,
    GoldRead,
    PlatformStatus,
    rows_summary,
)
from workloads import names, states
from workloads.errors import WindmillError
from workloads.platform_status import job_entry, pipeline_entry, run_entry

log = logger("databricks")
NAME_FILTER = "windmill"
# Server-side, LIKE may or may not ignore case, and the pipeline is "Windmill IoT ...", the
# jobs "windmill-...": the filter leaves out the first letter, so it matches both either
# way. The client-side check (`NAME_FILTER in name.lower()`) then decides.
LIKE_FILTER = f"name LIKE '%{NAME_FILTER[1:]}%'"
RUNS_PER_JOB = 5
EVENTS_SCANNED = 50  # newest pipeline events read to find how an update ended
NOT_ENDED = {"ended_at": None, "duration_s": None, "error": None}


def _iso_ms(epoch_ms: int | None) -> str | None:
    if not epoch_ms:
        return None
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds")


def _seconds(start: str, end: str) -> float:
    """Seconds between two ISO 8601 times."""
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 3)


def _enum(value: Any) -> str | None:
    return None if value is None else getattr(value, "value", str(value))


def connect(
    *,
    profile: str | None,
    warehouse_id: str | None,
    catalog: str,
    schema: str,
    http_timeout_seconds: int = 30,
    retry_timeout_seconds: int = 60,
):
    """(status, gold) sources for the workspace the SDK's standard auth finds."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    if not warehouse_id:
        raise WindmillError(
            "Databricks mode needs a SQL warehouse for the gold tables: pass --warehouse-id W "
            "or set DATABRICKS_WAREHOUSE_ID."
        )
    try:
        config = Config(
            profile=profile,
            http_timeout_seconds=http_timeout_seconds,
            retry_timeout_seconds=retry_timeout_seconds,
        )
        client = WorkspaceClient(config=config)
        host = client.config.host
    except Exception as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise WindmillError(
            "Databricks mode needs credentials: set DATABRICKS_HOST and DATABRICKS_TOKEN, "
            f"or pass --profile P from ~/.databrickscfg ({reason})."
        ) from None
    log.info(
        "databricks workspace %s, warehouse %s, tables %s.%s", host, warehouse_id, catalog, schema
    )
    return (
        DatabricksStatusSource(client),
        DatabricksGoldSource(client, warehouse_id, catalog, schema),
    )


class DatabricksStatusSource:
    """Pipelines and jobs whose name contains "windmill", with their latest runs."""

    name = "databricks"

    def __init__(self, client) -> None:
        self.client = client
        self.host = (client.config.host or "").rstrip("/")
        self.filter_path = "server-side filter"
        # pipeline id -> (its latest finished update, how that update ended; never changes)
        self._endings: dict[str, tuple[str, dict[str, Any]]] = {}

    def fetch_status(self) -> PlatformStatus:
        pipelines, path = self.list_pipelines()
        jobs = self.list_jobs()
        return PlatformStatus(pipelines, jobs, [], path)

    def list_pipelines(self) -> tuple[list[dict[str, Any]], str]:
        """Pipelines matching the name filter, and which way they were found."""
        from databricks.sdk.errors import BadRequest, InvalidParameterValue, NotImplemented

        started = time.perf_counter()
        try:
            found = list(self.client.pipelines.list_pipelines(filter=LIKE_FILTER, max_results=100))
            path = "server-side filter"
        except (BadRequest, InvalidParameterValue, NotImplemented) as exc:
            log.info("workspace rejected the pipeline filter (%s); listing all instead", exc)
            found = list(self.client.pipelines.list_pipelines(max_results=100))
            path = "fallback"
        # Checked again client-side: LIKE's `_` matches any character on the server.
        matched = [p for p in found if NAME_FILTER in (p.name or "").lower()]
        log.info(
            "pipelines listed via %s in %.1f ms (%d of %d matched)",
            path,
            (time.perf_counter() - started) * 1000,
            len(matched),
            len(found),
        )
        self.filter_path = path
        return [self._pipeline(p) for p in sorted(matched, key=lambda p: p.name or "")], path

    def _pipeline(self, info) -> dict[str, Any]:
        updates = info.latest_updates or []
        latest = None
        if updates:
            update = updates[0]
            state = _enum(update.state)
            started = _iso_ms(_creation_ms(update.creation_time))
            ending = dict(NOT_ENDED)
            if state in states.ACTIVE_UPDATE_STATES and started:
                ending["duration_s"] = _seconds(started, datetime.now(UTC).isoformat())
            elif state in states.TERMINAL_UPDATE_STATES and started:
                ending = self._ending(info.pipeline_id, update.update_id, started)
            latest = {
                "update_id": update.update_id,
                "state": state,
                "started_at": started,
                "rows": None,
                **ending,
            }
        return pipeline_entry(
            info.pipeline_id,
            info.name,
            _enum(info.state) or "UNKNOWN",
            latest,
            f"{self.host}/pipelines/{info.pipeline_id}" if self.host else None,
            health=_enum(info.health),
        )

    def _ending(self, pipeline_id: str, update_id: str, started: str) -> dict[str, Any]:
        """When a finished update ended, its duration and error, from the pipeline's events.

        The update listing has no end time. The newest `update_progress` event of the update
        is its last state change; an ERROR event of the update says why it failed. Read once
        per update (newest events first, stopping at the update's start); if the events
        cannot be read, the next refresh tries again.
        """
        from databricks.sdk.errors import DatabricksError

        known = self._endings.get(pipeline_id)
        if known is not None and known[0] == update_id:
            return known[1]
        ended = error = None
        try:
            events = self.client.pipelines.list_pipeline_events(pipeline_id, max_results=25)
            since = datetime.fromisoformat(started)
            for event in islice(events, EVENTS_SCANNED):
                if not event.timestamp or datetime.fromisoformat(event.timestamp) < since:
                    break  # older than the update
                if event.origin is None or event.origin.update_id != update_id:
                    continue
                if ended is None and event.event_type == "update_progress":
                    ended = event.timestamp
                if error is None and _enum(event.level) == "ERROR":
                    error = event.message
        except DatabricksError as exc:
            log.warning(
                "events of pipeline %s unreadable (%s); retrying next refresh", pipeline_id, exc
            )
            return dict(NOT_ENDED)
        ending = {
            "ended_at": ended and datetime.fromisoformat(ended).isoformat(timespec="milliseconds"),
            "duration_s": _seconds(started, ended) if ended else None,
            "error": error,
        }
        self._endings[pipeline_id] = (update_id, ending)
        return ending

    def list_jobs(self) -> list[dict[str, Any]]:
        started = time.perf_counter()
        jobs = []
        seen = 0
        for job in self.client.jobs.list(limit=100):
            seen += 1
            name = job.settings.name if job.settings and job.settings.name else ""
            if NAME_FILTER not in name.lower():
                continue
            runs = [
                self._run(run)
                # The iterator pages through every run: stop after the latest few.
                for run in islice(
                    self.client.jobs.list_runs(job_id=job.job_id, limit=RUNS_PER_JOB), RUNS_PER_JOB
                )
            ]
            jobs.append(
                job_entry(
                    job.job_id, name, runs, f"{self.host}/jobs/{job.job_id}" if self.host else None
                )
            )
        log.info(
            "jobs listed in %.1f ms (%d of %d matched)",
            (time.perf_counter() - started) * 1000,
            len(jobs),
            seen,
        )
        return sorted(jobs, key=lambda j: j["name"])

    @staticmethod
    def _run(run) -> dict[str, Any]:
        state = run.state
        duration_ms = run.run_duration or (
            (run.end_time - run.start_time) if run.end_time and run.start_time else None
        )
        return run_entry(
            run.run_id,
            _enum(state.life_cycle_state) if state else None,
            _enum(state.result_state) if state else None,
            state.state_message if state else None,
            _iso_ms(run.start_time),
            _iso_ms(run.end_time),
            round(duration_ms / 1000, 3) if duration_ms else None,
            link=run.run_page_url,
        )


def _creation_ms(value: Any) -> int | None:
    """An update's creation time as epoch ms, from either form the API may send.

    The SDK types `creation_time` as a string: epoch milliseconds as digits, an int, or
    an ISO 8601 time ("2026-01-05T00:00:00.000Z"). None when it is none of those.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


class StatementError(RuntimeError):
    """A statement the warehouse ran but did not succeed (failed, canceled, timed out).

    An error of that one statement (its table), unlike a failing call to the workspace.
    """


class DatabricksGoldSource:
    """Gold tables through a SQL warehouse (statement execution API).

    A statement still PENDING or RUNNING when the execute call's `wait_timeout_s` ends is
    polled every `poll_seconds` until it finishes; one not done `deadline_s` after it
    was sent is cancelled, an error of its table only.
    """

    name = "databricks"
    TIMESTAMP_TYPES = {"TIMESTAMP", "TIMESTAMP_NTZ", "DATE"}
    INT_TYPES = {"INT", "BIGINT", "SMALLINT", "TINYINT", "LONG", "SHORT", "BYTE"}
    FLOAT_TYPES = {"DOUBLE", "FLOAT", "DECIMAL"}

    def __init__(
        self,
        client,
        warehouse_id: str,
        catalog: str,
        schema: str,
        *,
        wait_timeout_s: int = 30,
        poll_seconds: float = 2.0,
        deadline_s: float = 120.0,
    ) -> None:
        if not (wait_timeout_s == 0 or 5 <= wait_timeout_s <= 50):
            # The statement execution API's own rule for wait_timeout.
            raise ValueError("wait_timeout_s must be 0 or 5 to 50 seconds")
        self.client = client
        self.warehouse_id = warehouse_id
        self.prefix = f"`{catalog.replace('`', '``')}`.`{schema.replace('`', '``')}`"
        self.wait_timeout_s = wait_timeout_s
        self.poll_seconds = poll_seconds
        self.deadline_s = deadline_s

    def fetch_gold(self) -> dict[str, GoldRead]:
        """Each table read on its own: a failed statement is an error of its table only.

        A failing call to the workspace itself (unreachable, no permission on the
        warehouse) would fail every table alike, so the rest are not tried this refresh.
        """
        started = time.perf_counter()
        tables: dict[str, GoldRead] = {}
        down: Exception | None = None
        for table in GOLD_TABLES:
            if down is not None:
                tables[table] = RuntimeError(f"not read: the warehouse call failed ({down})")
                continue
            try:
                tables[table] = self.query(f"SELECT * FROM {self.prefix}.{table}", missing_ok=True)
            except StatementError as exc:
                tables[table] = exc
            except Exception as exc:
                tables[table] = down = exc
        log.info(
            "gold tables read through the warehouse in %.1f ms (%s)",
            (time.perf_counter() - started) * 1000,
            ", ".join(f"{k}={rows_summary(v)}" for k, v in tables.items()),
        )
        return tables

    def fetch_trend(self, turbine_id: str, hours: int = 24) -> pd.DataFrame | None:
        columns = ", ".join(TREND_COLUMNS)
        sql = (
            f"SELECT {columns} FROM {self.prefix}.{names.SILVER} "
            "WHERE turbine_id = :turbine_id AND reading_date >= date_sub(current_date(), :days) "
            "AND timestamp >= current_timestamp() - make_interval(0, 0, 0, 0, :hours) "
            "ORDER BY timestamp"
        )
        return self.query(
            sql,
            parameters={
                "turbine_id": turbine_id,
                "days": max(1, (hours + 23) // 24),
                "hours": int(hours),
            },
            missing_ok=True,
        )

    def query(
        self,
        sql: str,
        parameters: dict[str, str | int] | None = None,
        missing_ok: bool = False,
    ) -> pd.DataFrame | None:
        """Run `sql` with named parameters (ints are sent typed, as INT); its rows.

        None for a missing table when `missing_ok`; raises StatementError when the
        statement fails or outlives the deadline (it is then cancelled).
        """
        from databricks.sdk.service.sql import Disposition, Format, StatementState

        started = time.monotonic()
        response = self.client.statement_execution.execute_statement(
            statement=sql,
            warehouse_id=self.warehouse_id,
            wait_timeout=f"{self.wait_timeout_s}s",
            disposition=Disposition.INLINE,
            format=Format.JSON_ARRAY,
            parameters=[_parameter(k, v) for k, v in (parameters or {}).items()] or None,
        )
        waiting = {StatementState.PENDING, StatementState.RUNNING}
        while _state(response) in waiting:
            if time.monotonic() - started >= self.deadline_s:
                self.client.statement_execution.cancel_execution(response.statement_id)
                raise StatementError(
                    f"statement {_enum(_state(response))} after {self.deadline_s:g} s: cancelled"
                )
            time.sleep(self.poll_seconds)
            response = self.client.statement_execution.get_statement(response.statement_id)
        status = response.status
        state = _state(response)
        if state != StatementState.SUCCEEDED:
            message = status.error.message if status and status.error else str(_enum(state))
            if missing_ok and "TABLE_OR_VIEW_NOT_FOUND" in (message or ""):
                return None
            raise StatementError(f"statement {_enum(state)}: {message}")
        columns = [
            (c.name, (c.type_name and _enum(c.type_name)) or "STRING")
            for c in response.manifest.schema.columns
        ]
        rows = list(response.result.data_array or []) if response.result else []
        chunk = response.result
        while chunk is not None and chunk.next_chunk_index is not None:
            chunk = self.client.statement_execution.get_statement_result_chunk_n(
                response.statement_id, chunk.next_chunk_index
            )
            rows.extend(chunk.data_array or [])
        frame = pd.DataFrame(rows, columns=[name for name, _ in columns])
        for name, type_name in columns:
            if type_name in self.TIMESTAMP_TYPES:
                frame[name] = pd.to_datetime(frame[name], utc=True, errors="coerce")
            elif type_name in self.INT_TYPES or type_name in self.FLOAT_TYPES:
                frame[name] = pd.to_numeric(frame[name], errors="coerce")
            elif type_name == "BOOLEAN":
                frame[name] = frame[name].map(
                    {"true": True, "false": False, True: True, False: False}
                )
        return frame


def _state(response) -> Any:
    return response.status.state if response.status else None


def _parameter(name: str, value: str | int):
    """A named statement parameter: an int is typed INT (`date_sub` and `make_interval` take
    no STRING); a str is left untyped, which the API reads as STRING."""
    from databricks.sdk.service.sql import StatementParameterListItem

    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"parameter {name}: a str or an int, not {type(value).__name__}")
    if isinstance(value, int):
        return StatementParameterListItem(name=name, value=str(value), type="INT")
    return StatementParameterListItem(name=name, value=value)
