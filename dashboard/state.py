"""The one poller per server process and the snapshot every session and the API read.

A background thread refreshes the snapshot every `refresh_seconds`. A failed refresh
keeps the last good data, marks it stale (with the error and since when) and retries
with exponential backoff capped at the refresh period. Sessions and API requests only
read `Poller.snapshot`; they never call a source.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from dashboard.logbuffer import logger
from dashboard.sources import GoldSource, PlatformStatus, StatusSource
from workloads import names

log = logger("poller")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Snapshot:
    """Everything the page and the API show, as of `refreshed_at`."""

    source: str
    status: PlatformStatus | None = None
    gold: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    refreshed_at: datetime | None = None
    stale_since: datetime | None = None
    error: str | None = None
    version: int = 0  # bumps on every refresh attempt
    data_version: int = 0  # bumps only when the data itself changed
    fingerprint: int | None = None

    @property
    def stale(self) -> bool:
        return self.stale_since is not None

    def table(self, name: str) -> pd.DataFrame | None:
        frame = self.gold.get(name)
        return None if frame is None or frame.empty else frame

    # Figures shared by the page and /api/status ------------------------------------------

    def counts(self, kind: str) -> dict[str, int]:
        items = getattr(self.status, kind) if self.status else []
        active = sum(1 for item in items if item["active"])
        return {"total": len(items), "active": active, "idle": len(items) - active}

    def fleet(self) -> dict[str, Any]:
        """Fleet KPIs; None for a figure whose table has no data yet."""
        status = self.table(names.GOLD_STATUS)
        alerts = self.table(names.GOLD_ALERTS)
        hourly = self.table(names.GOLD_HOURLY)
        kpis: dict[str, Any] = {
            "turbines_reporting": None,
            "power_now_mw": None,
            "energy_today_mwh": None,
            "critical_alerts": None,
            "warning_alerts": None,
            "latest_reading_at": None,
        }
        if status is not None:
            kpis["turbines_reporting"] = int(status["turbine_id"].nunique())
            kpis["power_now_mw"] = round(float(status["power_output"].fillna(0).sum()) / 1000, 1)
            kpis["latest_reading_at"] = iso(status["timestamp"].max())
        if hourly is not None:
            hours = pd.to_datetime(hourly["hour"], utc=True)
            today = hours.max().date()
            kpis["energy_today_mwh"] = round(
                float(hourly.loc[hours.dt.date == today, "energy_mwh"].fillna(0).sum()), 1
            )
        if alerts is not None or status is not None:
            levels = alerts["alert_level"] if alerts is not None else pd.Series(dtype=str)
            kpis["critical_alerts"] = int((levels == "CRITICAL").sum())
            kpis["warning_alerts"] = int((levels == "WARNING").sum())
        return kpis


def iso(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return pd.Timestamp(value).isoformat()
    return str(value)


def _fingerprint(status: PlatformStatus, gold: dict[str, pd.DataFrame | None]) -> int:
    """A cheap content hash, so unchanged data does not re-render every session."""
    parts = [
        json.dumps(
            [status.pipelines, status.jobs, status.events, status.filter_path],
            sort_keys=True,
            default=str,
        )
    ]
    for name in sorted(gold):
        frame = gold[name]
        if frame is None:
            parts.append(f"{name}:none")
        else:
            hashed = pd.util.hash_pandas_object(frame.astype(str), index=False).sum()
            parts.append(f"{name}:{len(frame)}:{int(hashed)}:{','.join(frame.columns)}")
    return hash(tuple(parts))


class Poller:
    """Refreshes one shared Snapshot from the sources; one instance per server process."""

    def __init__(
        self,
        status_source: StatusSource,
        gold_source: GoldSource,
        refresh_seconds: float = 60,
        *,
        backoff_base: float = 2.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.status_source = status_source
        self.gold_source = gold_source
        self.refresh_seconds = refresh_seconds
        self.backoff_base = backoff_base
        self.clock = clock
        self.snapshot = Snapshot(source=status_source.name)
        self.failures = 0
        self.refresh_count = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._trends: dict[tuple[str, int], pd.DataFrame | None] = {}
        self._trend_lock = threading.Lock()
        # Called in the poller's thread with each snapshot whose data changed, before sessions
        # and the API see it (e.g. to render the charts, so no page renders them itself).
        self.on_new_data: list[Callable[[Snapshot], None]] = []

    # One refresh --------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Fetch everything once; on failure keep the last good data and mark it stale."""
        with self._lock:
            started = time.perf_counter()
            self.refresh_count += 1
            try:
                status = self.status_source.fetch_status()
                gold = self.gold_source.fetch_gold()
            except Exception as exc:  # any failure: keep what we have
                self.failures += 1
                now = self.clock()
                previous = self.snapshot
                message = f"{type(exc).__name__}: {exc}".strip()
                self.snapshot = replace(
                    previous,
                    stale_since=previous.stale_since or previous.refreshed_at or now,
                    error=message[:500],
                    version=previous.version + 1,
                )
                log.warning(
                    "refresh failed after %.1f ms (attempt %d, retry in %.1f s): %s",
                    (time.perf_counter() - started) * 1000,
                    self.failures,
                    self.next_delay(),
                    message,
                )
                return False
            self.failures = 0
            previous = self.snapshot
            fingerprint = _fingerprint(status, gold)
            changed = fingerprint != previous.fingerprint
            fresh = Snapshot(
                source=self.status_source.name,
                status=status if changed else previous.status,
                gold=gold if changed else previous.gold,
                refreshed_at=self.clock(),
                version=previous.version + 1,
                data_version=previous.data_version + 1 if changed else previous.data_version,
                fingerprint=fingerprint,
            )
            with self._trend_lock:
                self._trends.clear()
            if changed:
                for callback in self.on_new_data:
                    try:
                        callback(fresh)
                    except Exception:  # a page helper never breaks the refresh
                        log.exception("handling new data failed")
            self.snapshot = fresh
            log.info(
                "refresh ok in %.1f ms (%d pipelines, %d jobs, pipelines via %s)",
                (time.perf_counter() - started) * 1000,
                len(status.pipelines),
                len(status.jobs),
                status.filter_path,
            )
            return True

    def next_delay(self) -> float:
        """Seconds until the next refresh: the period, or a shorter backoff after failures."""
        if self.failures == 0:
            return self.refresh_seconds
        return min(self.refresh_seconds, self.backoff_base * 2 ** (self.failures - 1))

    # Trend of one turbine, shared by all sessions until the next refresh -------------------

    def trend(self, turbine_id: str, hours: int = 24) -> pd.DataFrame | None:
        key = (turbine_id, hours)
        with self._trend_lock:
            if key in self._trends:
                return self._trends[key]
            try:
                frame = self.gold_source.fetch_trend(turbine_id, hours)
            except Exception as exc:
                log.warning("trend of %s failed: %s", turbine_id, exc)
                return None
            self._trends[key] = frame
            return frame

    # Background thread --------------------------------------------------------------------

    def start(self) -> threading.Thread:
        """Start the background thread once (idempotent); returns its handle."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="dashboard-poller", daemon=True)
            self._thread.start()
        return self._thread

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def refresh_soon(self) -> None:
        """Wake the thread for an immediate refresh."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception:  # never let the thread die
                log.exception("unexpected error in the poller")
            self._wake.wait(self.next_delay())
            self._wake.clear()
