"""Where the dashboard's data comes from: a status source and a gold source.

Views never know which implementation is behind them. Local: the run ledger and the
Parquet table folders under `$WINDMILL_HOME` (read with pyarrow: no JVM here).
Databricks: `dashboard.databricks` (SDK Jobs/Pipelines APIs and a SQL warehouse).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

import pandas as pd
import pyarrow.dataset as ds

from dashboard.logbuffer import logger
from workloads import names, storage
from workloads.config import Paths
from workloads.ledger import Ledger

# Active-state rules shared with `windmill status` (Databricks API state names).
from workloads.supervisor.status import (  # noqa: E402
    ACTIVE_PIPELINE_STATES,
    ACTIVE_RUN_STATES,
    ACTIVE_UPDATE_STATES,
)

log = logger("sources")

# Gold tables the dashboard reads on every refresh (the dispatch plan may not exist yet).
GOLD_TABLES = names.DASHBOARD_GOLD_TABLES
TREND_COLUMNS = (
    "turbine_id",
    "timestamp",
    "nacelle_temperature",
    "gearbox_temperature",
    "generator_temperature",
    "vibration_level",
)


@dataclass
class PlatformStatus:
    """Pipelines and jobs as the dashboard shows them (plain, JSON-ready dicts)."""

    pipelines: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    events: list[dict[str, Any]] = field(default_factory=list)
    filter_path: str = "local ledger"


class StatusSource(Protocol):
    name: str

    def fetch_status(self) -> PlatformStatus: ...


# One gold table's read: its rows, None when it does not exist yet, or why it failed.
GoldRead = pd.DataFrame | None | Exception


def rows_summary(read: GoldRead) -> str:
    """A read for the logs: its row count, '-' when missing, 'error' when it failed."""
    if isinstance(read, Exception):
        return "error"
    return "-" if read is None else str(len(read))


class GoldSource(Protocol):
    name: str

    def fetch_gold(self) -> dict[str, GoldRead]:
        """Each gold table as a DataFrame, None when it does not exist yet, or the error
        that stopped its read: one table's failure never hides the others."""
        ...

    def fetch_trend(self, turbine_id: str, hours: int = 24) -> pd.DataFrame | None:
        """The turbine's recent silver readings (TREND_COLUMNS), or None without data."""
        ...


def duration_seconds(ms: Any) -> float | None:
    return round(ms / 1000.0, 3) if isinstance(ms, int | float) else None


# Local status ---------------------------------------------------------------------------------


class LocalStatusSource:
    """The run ledger under `$WINDMILL_HOME`."""

    name = "local"

    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    def fetch_status(self) -> PlatformStatus:
        started = time.perf_counter()
        ledger = Ledger(self.paths.ledger)
        pipelines = [self._pipeline(p) for p in ledger.list_pipelines()]
        jobs = [self._job(j) for j in ledger.list_jobs(runs_per_job=5)]
        events = ledger.recent_events(limit=50)
        log.info(
            "ledger read: %d pipelines, %d jobs, %d events in %.1f ms",
            len(pipelines),
            len(jobs),
            len(events),
            (time.perf_counter() - started) * 1000,
        )
        return PlatformStatus(pipelines, jobs, events, "local ledger")

    @staticmethod
    def _pipeline(row: dict[str, Any]) -> dict[str, Any]:
        update = row.get("latest_update")
        latest = None
        if update:
            metrics = update.get("metrics") or {}
            latest = {
                "update_id": update["update_id"],
                "state": update["state"],
                "cause": update.get("cause"),
                "full_refresh": update.get("full_refresh"),
                "started_at": update["started_at"],
                "ended_at": update.get("ended_at"),
                "duration_s": duration_seconds(update.get("duration_ms")),
                "rows": update_rows(metrics),
                "metrics": metrics,
                "error": update.get("error"),
            }
        active = row["state"] in ACTIVE_PIPELINE_STATES or bool(
            latest and latest["state"] in ACTIVE_UPDATE_STATES
        )
        return {
            "pipeline_id": row["pipeline_id"],
            "name": row["name"],
            "state": row["state"],
            "active": active,
            "latest_update": latest,
            "link": None,
        }

    @staticmethod
    def _job(row: dict[str, Any]) -> dict[str, Any]:
        runs = [
            {
                "run_id": run["run_id"],
                "life_cycle_state": run["life_cycle_state"],
                "result_state": run.get("result_state"),
                "state_message": run.get("state_message"),
                "started_at": run["started_at"],
                "ended_at": run.get("ended_at"),
                "duration_s": duration_seconds(run.get("duration_ms")),
                "metrics": run.get("metrics"),
                "link": None,
            }
            for run in row.get("latest_runs", [])
        ]
        return job_entry(row["job_id"], row["name"], runs, None)


def update_rows(metrics: Any) -> int | None:
    """Rows an update ingested: bronze rows written (the pipeline runner's metrics)."""
    if not isinstance(metrics, dict):
        return None
    tables = metrics.get("tables")
    if isinstance(tables, dict):
        bronze = tables.get(names.BRONZE)
        if isinstance(bronze, dict) and isinstance(bronze.get("rows_written"), int):
            return bronze["rows_written"]
    rows = metrics.get("rows")
    return rows if isinstance(rows, int) else None


def job_entry(
    job_id: int, name: str, runs: list[dict[str, Any]], link: str | None
) -> dict[str, Any]:
    latest = runs[0] if runs else None
    state = None
    if latest:
        state = latest["result_state"] or latest["life_cycle_state"]
    return {
        "job_id": job_id,
        "name": name,
        "state": state or "NEVER_RUN",
        "active": bool(latest and latest["life_cycle_state"] in ACTIVE_RUN_STATES),
        "latest_runs": runs,
        "link": link,
    }


# Local gold -----------------------------------------------------------------------------------


class LocalGoldSource:
    """The local tables' committed versions (`workloads.storage`), read with pyarrow."""

    name = "local"

    def __init__(self, paths: Paths, attempts: int = 3, retry_delay: float = 0.2) -> None:
        self.paths = paths
        self.attempts = attempts
        self.retry_delay = retry_delay

    def fetch_gold(self) -> dict[str, GoldRead]:
        started = time.perf_counter()
        tables: dict[str, GoldRead] = {}
        for table in GOLD_TABLES:
            try:
                tables[table] = self.read_table(table)
            except Exception as exc:  # this table only: the others are still read
                log.warning("gold table %s unreadable: %s", table, exc)
                tables[table] = exc
        log.info(
            "gold tables read locally in %.1f ms (%s)",
            (time.perf_counter() - started) * 1000,
            ", ".join(f"{k}={rows_summary(v)}" for k, v in tables.items()),
        )
        return tables

    def read_table(
        self, table: str, columns: list[str] | None = None, filter_=None, partitions=None
    ) -> pd.DataFrame | None:
        """One table's committed version as pandas; None when it does not exist yet.

        Raises when a table that exists cannot be read (after a few attempts).
        """
        return storage.read_table(
            self.paths, table, columns, filter_, partitions, self.attempts, self.retry_delay
        )

    def fetch_trend(self, turbine_id: str, hours: int = 24) -> pd.DataFrame | None:
        # Partition pruning: only the newest reading_date folders are opened.
        dates = storage.partition_values(self.paths, names.SILVER, "reading_date")
        if dates:
            newest = date.fromisoformat(dates[-1])
            oldest = newest - timedelta(days=max(1, (hours + 23) // 24))
            wanted = [f"reading_date={d}" for d in dates if date.fromisoformat(d) >= oldest]
        else:
            wanted = None
        frame = self.read_table(
            names.SILVER,
            columns=list(TREND_COLUMNS),
            filter_=ds.field("turbine_id") == turbine_id,
            partitions=wanted,
        )
        if frame is None or frame.empty:
            return frame
        frame = frame.sort_values("timestamp")
        cutoff = frame["timestamp"].max() - pd.Timedelta(hours=hours)
        return frame[frame["timestamp"] >= cutoff].reset_index(drop=True)
