"""The one poller per server process and the snapshot every session and the API read.

A background thread refreshes the snapshot every `refresh_seconds`. The status and each
gold table are parts read independently: a part that cannot be read keeps its last good
data and is marked stale (with the error and since when) while the others refresh, and
the refresh is retried with exponential backoff capped at the refresh period. A table
that had rows and then reads as missing (or empty, where empty is not a normal state)
counts as a failed read. Sessions and API requests only read `Poller.snapshot`; they
never call a source.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from dashboard.logbuffer import logger
from dashboard.sources import GOLD_TABLES, GoldSource, PlatformStatus, StatusSource
from workloads import names

log = logger("poller")
STATUS = "status"  # the part of a snapshot read from the status source
# Tables whose empty version is a normal state (no open alerts, nothing to dispatch). Any
# other table that had rows and then reads as empty or missing is a failed read.
FIRST_DATA_POLL_S = 0.25  # refresh period until the first gold data exists (see next_delay)
MAY_BE_EMPTY = frozenset({names.GOLD_ALERTS, names.GOLD_DISPATCH})


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Part:
    """How one part of a snapshot (the status, or one gold table) was last read."""

    refreshed_at: datetime | None = None  # its last successful read
    stale_since: datetime | None = None
    error: str | None = None

    @property
    def stale(self) -> bool:
        return self.stale_since is not None


@dataclass(frozen=True)
class Snapshot:
    """Everything the page and the API show, as of `refreshed_at`."""

    source: str
    status: PlatformStatus | None = None
    gold: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    refreshed_at: datetime | None = None  # the last refresh that read every part
    stale_since: datetime | None = None  # since when some part is stale (the earliest)
    error: str | None = None  # every stale part's error, "part: error; ..."
    version: int = 0  # bumps on every refresh attempt
    data_version: int = 0  # bumps only when the data (or which parts are stale) changed
    fingerprint: int | None = None
    parts: dict[str, Part] = field(default_factory=dict)  # STATUS and each gold table

    @property
    def stale(self) -> bool:
        return self.stale_since is not None

    @property
    def ready(self) -> bool:
        """Whether a refresh has been tried yet (before it, nothing is known)."""
        return self.version > 0

    def part(self, name: str) -> Part:
        return self.parts.get(name) or Part()

    def stale_parts(self, *names_: str) -> list[tuple[str, Part]]:
        """The given parts that are stale, with their state."""
        return [(name, self.parts[name]) for name in names_ if self.part(name).stale]

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
            # As of when the table was read: the current hour has lasted until then.
            kpis["energy_today_mwh"] = energy_today(
                hourly, self.part(names.GOLD_HOURLY).refreshed_at
            )
        if alerts is not None or status is not None:
            levels = alerts["alert_level"] if alerts is not None else pd.Series(dtype=str)
            kpis["critical_alerts"] = int((levels == "CRITICAL").sum())
            kpis["warning_alerts"] = int((levels == "WARNING").sum())
        return kpis


def energy_today(hourly: pd.DataFrame, as_of: datetime | None) -> float:
    """MWh of the latest hour's day, counting an hour only for its part elapsed by `as_of`.

    Each hour's `energy_mwh` is its mean power over a whole hour; the hour under way when
    the table was read (`as_of`) has lasted only until then, so it counts that share.
    Without `as_of` every hour counts in full.
    """
    hours = pd.to_datetime(hourly["hour"], utc=True)
    energy = hourly["energy_mwh"].fillna(0).astype(float)
    if as_of is not None:
        elapsed = ((pd.Timestamp(as_of).tz_convert("UTC") - hours) / pd.Timedelta(hours=1)).clip(
            0.0, 1.0
        )
        energy = energy * elapsed
    return round(float(energy[hours.dt.date == hours.max().date()].sum()), 1)


def iso(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return pd.Timestamp(value).isoformat()
    return str(value)


def _message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()[:500]


def _vanished(name: str, before: pd.DataFrame | None, now: pd.DataFrame | None) -> str | None:
    """Why a table read that lost the rows it had is not believed (None: it is)."""
    if before is None or before.empty:
        return None
    if now is None:
        return f"read as missing after {len(before)} rows; showing the last rows read"
    if now.empty and name not in MAY_BE_EMPTY:
        return f"read as empty after {len(before)} rows; showing the last rows read"
    return None


def _fingerprint(status: PlatformStatus | None, gold: dict[str, pd.DataFrame | None]) -> int:
    """A cheap content hash, so unchanged data does not re-render every session."""
    parts = [
        json.dumps(
            [status.pipelines, status.jobs, status.events, status.filter_path] if status else None,
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
        """Read every part once; a part that fails keeps its last good data, marked stale.

        Returns whether every part was read.
        """
        with self._lock:
            started = time.perf_counter()
            self.refresh_count += 1
            previous = self.snapshot
            errors: dict[str, str] = {}
            status = previous.status
            try:
                status = self.status_source.fetch_status()
            except Exception as exc:  # this part only: the gold tables are still read
                errors[STATUS] = _message(exc)
            gold = self._read_gold(previous, errors)
            now = self.clock()
            parts = {}
            for name in (STATUS, *gold):
                part = previous.part(name)
                parts[name] = (
                    Part(
                        part.refreshed_at,
                        part.stale_since or part.refreshed_at or now,
                        errors[name],
                    )
                    if name in errors
                    else Part(refreshed_at=now)
                )
            stale = {name: (p.stale_since, p.error) for name, p in parts.items() if p.stale}
            fingerprint = _fingerprint(status, gold)
            changed = fingerprint != previous.fingerprint
            restaled = stale != {
                name: (p.stale_since, p.error) for name, p in previous.parts.items() if p.stale
            }
            fresh = Snapshot(
                source=self.status_source.name,
                status=status if changed else previous.status,
                gold=gold if changed else previous.gold,
                refreshed_at=previous.refreshed_at if errors else now,
                stale_since=min((since for since, _ in stale.values()), default=None),
                error="; ".join(f"{name}: {error}" for name, error in errors.items()) or None,
                version=previous.version + 1,
                data_version=previous.data_version + (changed or restaled),
                fingerprint=fingerprint,
                parts=parts,
            )
            with self._trend_lock:
                self._trends.clear()
            if fresh.data_version != previous.data_version:
                for callback in self.on_new_data:
                    try:
                        callback(fresh)
                    except Exception:  # a page helper never breaks the refresh
                        log.exception("handling new data failed")
            self.snapshot = fresh
            took = (time.perf_counter() - started) * 1000
            if errors:
                self.failures += 1
                log.warning(
                    "refresh of %d of %d parts failed after %.1f ms (attempt %d, retry in %.1f s): %s",
                    len(errors),
                    len(parts),
                    took,
                    self.failures,
                    self.next_delay(),
                    fresh.error,
                )
                return False
            self.failures = 0
            log.info(
                "refresh ok in %.1f ms (%d pipelines, %d jobs, pipelines via %s)",
                took,
                len(status.pipelines),
                len(status.jobs),
                status.filter_path,
            )
            return True

    def _read_gold(
        self, previous: Snapshot, errors: dict[str, str]
    ) -> dict[str, pd.DataFrame | None]:
        """Every gold table: the new read, or (failed, or lost its rows) the last good one."""
        try:
            read = self.gold_source.fetch_gold()
        except Exception as exc:  # the whole source failed: every table keeps its data
            read = {name: exc for name in (*GOLD_TABLES, *previous.gold) if name}
        gold: dict[str, pd.DataFrame | None] = {}
        for name, value in read.items():
            before = previous.gold.get(name)
            reason = (
                _message(value) if isinstance(value, Exception) else _vanished(name, before, value)
            )
            if reason is None:
                gold[name] = value
            else:
                errors[name] = reason
                gold[name] = before
        return gold

    def next_delay(self) -> float:
        """Seconds until the next refresh: the period, or a shorter backoff after failures.

        Until the first gold data exists (a first start's backfill and first update) it looks
        again every FIRST_DATA_POLL_S: the page shows data as soon as the engine publishes
        it, not up to a whole period later."""
        if self.failures == 0:
            if self.snapshot.table(names.GOLD_STATUS) is None:
                return min(self.refresh_seconds, FIRST_DATA_POLL_S)
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
