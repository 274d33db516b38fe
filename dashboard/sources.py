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
from workloads.platform_status import ledger_job, ledger_pipeline

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


# Local status ---------------------------------------------------------------------------------


class LocalStatusSource:
    """The run ledger under `$WINDMILL_HOME`."""

    name = "local"

    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    def fetch_status(self) -> PlatformStatus:
        started = time.perf_counter()
        ledger = Ledger(self.paths.ledger)
        # The same entries `windmill status` and the Databricks source return.
        pipelines = [ledger_pipeline(p) for p in ledger.list_pipelines()]
        jobs = [ledger_job(j) for j in ledger.list_jobs(runs_per_job=5)]
        events = ledger.recent_events(limit=50)
        log.info(
            "ledger read: %d pipelines, %d jobs, %d events in %.1f ms",
            len(pipelines),
            len(jobs),
            len(events),
            (time.perf_counter() - started) * 1000,
        )
        return PlatformStatus(pipelines, jobs, events, "local ledger")


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
