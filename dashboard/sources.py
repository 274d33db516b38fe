"""Where the dashboard's data comes from: a status source and a gold source.

Views never know which implementation is behind them. Local: the run ledger and the
Parquet table folders under `$WINDMILL_HOME` (read with pyarrow: no JVM here).
Databricks: `dashboard.databricks` (SDK Jobs/Pipelines APIs and a SQL warehouse).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from dashboard.logbuffer import logger
from workloads import names
from workloads.config import Paths
from workloads.engine.runner import STREAMING_TABLES, committed_files
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


class GoldSource(Protocol):
    name: str

    def fetch_gold(self) -> dict[str, pd.DataFrame | None]:
        """Each gold table as a DataFrame, or None when it does not exist yet."""
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


def _visible(path: Path) -> bool:
    return not path.name.startswith(("_", "."))


class LocalGoldSource:
    """The local Parquet table folders (`Paths.table(name)`), read with pyarrow."""

    name = "local"

    def __init__(self, paths: Paths, attempts: int = 3, retry_delay: float = 0.2) -> None:
        self.paths = paths
        self.attempts = attempts
        self.retry_delay = retry_delay

    def fetch_gold(self) -> dict[str, pd.DataFrame | None]:
        started = time.perf_counter()
        tables = {table: self.read_table(table) for table in GOLD_TABLES}
        log.info(
            "gold tables read locally in %.1f ms (%s)",
            (time.perf_counter() - started) * 1000,
            ", ".join(f"{k}={'-' if v is None else len(v)}" for k, v in tables.items()),
        )
        return tables

    def read_table(
        self, table: str, columns: list[str] | None = None, filter_=None, partitions=None
    ) -> pd.DataFrame | None:
        """One table as pandas; None when it does not exist yet.

        Materialized views are rewritten in place: a file may vanish between listing and
        reading, so the read is retried a few times before the error propagates.
        """
        folder = self.paths.table(table)
        for attempt in range(1, self.attempts + 1):
            try:
                files = self._files(folder, partitions)
                if files is None:
                    return None
                if not files:
                    return None
                dataset = ds.dataset(
                    [str(f) for f in files],
                    format="parquet",
                    partitioning=ds.partitioning(flavor="hive") if partitions is not None else None,
                    partition_base_dir=str(folder) if partitions is not None else None,
                )
                table_ = dataset.to_table(columns=columns, filter=filter_)
                return _to_pandas(table_)
            except (FileNotFoundError, pa.ArrowInvalid, OSError) as exc:
                if attempt == self.attempts:
                    raise
                log.warning("retrying %s after a changing file (%s)", table, exc)
                time.sleep(self.retry_delay * attempt)
        return None

    @staticmethod
    def _files(folder: Path, partitions: list[str] | None) -> list[Path] | None:
        if not folder.is_dir():
            return None
        roots = [folder / p for p in partitions] if partitions is not None else [folder]
        # A streaming table's commit log names its real files; a batch killed mid-write can
        # leave others in the folder that were never committed.
        committed = (
            {Path(urlparse(uri).path).resolve() for uri in committed_files(folder)}
            if folder.name in STREAMING_TABLES
            else None
        )
        files: list[Path] = []
        for root in roots:
            if not root.is_dir():
                continue
            stack = [root]
            while stack:
                current = stack.pop()
                for entry in sorted(current.iterdir()):
                    if not _visible(entry):
                        continue
                    if entry.is_dir():
                        stack.append(entry)
                    elif (entry.suffix == ".parquet" or entry.name.startswith("part-")) and (
                        committed is None or entry.resolve() in committed
                    ):
                        files.append(entry)
        return files

    def fetch_trend(self, turbine_id: str, hours: int = 24) -> pd.DataFrame | None:
        folder = self.paths.table(names.SILVER)
        if not folder.is_dir():
            return None
        # Partition pruning: only the newest reading_date folders are opened.
        dates = sorted(
            entry.name
            for entry in folder.iterdir()
            if entry.is_dir() and entry.name.startswith("reading_date=")
        )
        if dates:
            newest = date.fromisoformat(dates[-1].split("=", 1)[1])
            oldest = newest - timedelta(days=max(1, (hours + 23) // 24))
            wanted = [d for d in dates if date.fromisoformat(d.split("=", 1)[1]) >= oldest]
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


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            series = frame[column]
            frame[column] = (
                series.dt.tz_localize("UTC")
                if series.dt.tz is None
                else series.dt.tz_convert("UTC")
            )
    return frame
