"""The shared poller: refresh, stale-on-failure, backoff, one thread, shared trends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from dashboard.sources import PlatformStatus
from dashboard.state import Poller
from workloads import names

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FlakyStatus:
    name = "fake"

    def __init__(self) -> None:
        self.calls = 0
        self.error: Exception | None = None
        self.jobs = [{"job_id": 1, "name": "windmill-x", "active": True, "latest_runs": []}]

    def fetch_status(self) -> PlatformStatus:
        self.calls += 1
        if self.error:
            raise self.error
        return PlatformStatus([], list(self.jobs), [], "server-side filter")


class StaticGold:
    name = "fake"

    def __init__(self) -> None:
        self.trend_calls = 0

    def fetch_gold(self):
        status = pd.DataFrame(
            {
                "turbine_id": ["T1", "T2"],
                "power_output": [1000.0, 500.0],
                "timestamp": pd.to_datetime(["2026-01-05T12:00Z"] * 2),
                "alert_level": ["NORMAL", "CRITICAL"],
            }
        )
        return {names.GOLD_STATUS: status, names.GOLD_ALERTS: None}

    def fetch_trend(self, turbine_id, hours=24):
        self.trend_calls += 1
        return pd.DataFrame({"turbine_id": [turbine_id]})


@pytest.fixture
def setup():
    clock = Clock()
    status, gold = FlakyStatus(), StaticGold()
    return (
        Poller(status, gold, refresh_seconds=60, backoff_base=2, clock=clock),
        status,
        gold,
        clock,
    )


def test_successful_refresh_publishes_a_new_snapshot(setup):
    poller, status, _gold, _clock = setup
    assert poller.snapshot.refreshed_at is None and poller.snapshot.version == 0
    assert poller.refresh() is True
    snap = poller.snapshot
    assert snap.refreshed_at == T0 and not snap.stale and snap.error is None
    assert snap.counts("jobs") == {"total": 1, "active": 1, "idle": 0}
    assert snap.fleet()["turbines_reporting"] == 2
    assert snap.fleet()["power_now_mw"] == 1.5
    assert snap.version == 1


def test_failed_refresh_keeps_last_good_data_and_marks_it_stale(setup):
    poller, status, _gold, clock = setup
    poller.refresh()
    good = poller.snapshot
    clock.advance(60)
    status.error = TimeoutError("workspace timed out")
    assert poller.refresh() is False
    snap = poller.snapshot
    assert snap.status is good.status and snap.gold is good.gold
    assert snap.refreshed_at == T0
    assert snap.stale and snap.stale_since == T0  # stale since the last good data
    assert "workspace timed out" in snap.error
    # A second failure keeps the original "since".
    clock.advance(5)
    poller.refresh()
    assert poller.snapshot.stale_since == T0
    # Recovery clears the badge and the error.
    status.error = None
    clock.advance(5)
    assert poller.refresh() is True
    assert not poller.snapshot.stale and poller.snapshot.error is None
    assert poller.snapshot.refreshed_at == clock.now


def test_failure_before_any_data_is_stale_from_that_moment(setup):
    poller, status, _gold, _clock = setup
    status.error = RuntimeError("401 expired credentials")
    poller.refresh()
    assert poller.snapshot.status is None and poller.snapshot.stale_since == T0
    assert poller.snapshot.counts("pipelines") == {"total": 0, "active": 0, "idle": 0}


def test_until_the_first_gold_data_it_looks_again_every_quarter_second(setup):
    poller, _status, _gold, _clock = setup
    assert poller.next_delay() == 0.25  # nothing read yet: a first start's data shows at once
    poller.refresh()
    assert poller.snapshot.table("gold_turbine_status") is not None
    assert poller.next_delay() == 60


def test_backoff_doubles_up_to_the_refresh_period_and_resets(setup):
    poller, status, _gold, _clock = setup
    poller.refresh()
    assert poller.next_delay() == 60
    status.error = ConnectionError("HTTP 500")
    delays = []
    for _ in range(7):
        poller.refresh()
        delays.append(poller.next_delay())
    assert delays == [2, 4, 8, 16, 32, 60, 60]
    status.error = None
    poller.refresh()
    assert poller.next_delay() == 60


def test_background_thread_starts_once_and_refreshes_on_wake(setup):
    poller, status, _gold, _clock = setup
    poller.refresh_seconds = 3600  # only the wake-up can trigger a second refresh
    first = poller.start()
    assert poller.start() is first  # idempotent: one poller thread per process
    deadline = datetime.now() + timedelta(seconds=5)
    while status.calls < 1 and datetime.now() < deadline:
        first.join(0.01)
    poller.refresh_soon()
    while status.calls < 2 and datetime.now() < deadline:
        first.join(0.01)
    poller.stop()
    assert status.calls == 2
    assert not first.is_alive()


def test_trend_is_fetched_once_per_turbine_per_refresh(setup):
    poller, _status, gold, _clock = setup
    poller.refresh()
    for _ in range(50):  # fifty sessions looking at the same turbine
        poller.trend("T2")
    assert gold.trend_calls == 1
    poller.trend("T1")
    assert gold.trend_calls == 2
    poller.refresh()
    poller.trend("T2")
    assert gold.trend_calls == 3


def test_unchanged_data_keeps_its_data_version(setup):
    poller, status, _gold, clock = setup
    poller.refresh()
    first = poller.snapshot
    clock.advance(60)
    poller.refresh()
    second = poller.snapshot
    assert second.version == first.version + 1 and second.refreshed_at == clock.now
    assert second.data_version == first.data_version  # sessions need not re-render
    status.jobs.append({"job_id": 2, "name": "windmill-y", "active": False, "latest_runs": []})
    poller.refresh()
    assert poller.snapshot.data_version == first.data_version + 1
    assert poller.snapshot.counts("jobs")["total"] == 2


# Parts read independently: one failing source never hides another ---------------------------


class TableGold:
    """Gold tables whose reads a test sets one by one (a frame, None, or an exception)."""

    name = "fake"

    def __init__(self) -> None:
        self.power = [1000.0, 500.0]
        self.reads: dict[str, object] = {}
        self.error: Exception | None = None  # the whole source fails

    def status_table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "turbine_id": ["T1", "T2"],
                "power_output": self.power,
                "timestamp": pd.to_datetime(["2026-01-05T12:00Z"] * 2),
                "alert_level": ["NORMAL", "CRITICAL"],
            }
        )

    def fetch_gold(self):
        if self.error:
            raise self.error
        alerts = pd.DataFrame({"turbine_id": ["T2"], "alert_level": ["CRITICAL"]})
        tables = {names.GOLD_STATUS: self.status_table(), names.GOLD_ALERTS: alerts}
        return {**tables, **self.reads}

    def fetch_trend(self, turbine_id, hours=24):
        return None


@pytest.fixture
def parts():
    clock = Clock()
    status, gold = FlakyStatus(), TableGold()
    poller = Poller(status, gold, refresh_seconds=60, backoff_base=2, clock=clock)
    assert poller.refresh()
    return poller, status, gold, clock


def test_one_unreadable_table_keeps_its_rows_and_only_it_goes_stale(parts):
    poller, status, gold, clock = parts
    good = poller.snapshot
    clock.advance(60)
    gold.reads[names.GOLD_ALERTS] = PermissionError("no SELECT on gold_maintenance_alerts")
    gold.power = [3000.0, 500.0]  # the status table still refreshes
    status.jobs.append({"job_id": 2, "name": "windmill-y", "active": False, "latest_runs": []})
    assert poller.refresh() is False
    snap = poller.snapshot
    assert snap.gold[names.GOLD_ALERTS] is good.gold[names.GOLD_ALERTS]  # last good rows
    assert snap.fleet()["critical_alerts"] == 1
    assert snap.fleet()["power_now_mw"] == 3.5  # the readable table's new data
    assert snap.counts("jobs")["total"] == 2  # and the status
    alerts = snap.part(names.GOLD_ALERTS)
    assert alerts.stale and alerts.stale_since == T0 and "no SELECT" in alerts.error
    assert not snap.part(names.GOLD_STATUS).stale and not snap.part("status").stale
    assert snap.part(names.GOLD_STATUS).refreshed_at == clock.now
    assert snap.stale and snap.stale_since == T0
    assert snap.error.startswith(f"{names.GOLD_ALERTS}: PermissionError")
    assert snap.data_version > good.data_version  # the page redraws, with the card's badge
    del gold.reads[names.GOLD_ALERTS]
    clock.advance(60)
    assert poller.refresh() is True
    assert not poller.snapshot.stale and not poller.snapshot.part(names.GOLD_ALERTS).stale


def test_a_failing_gold_source_never_zeroes_the_status(parts):
    poller, status, gold, clock = parts
    good = poller.snapshot
    gold.error = ConnectionError("warehouse stopped")
    status.jobs.append({"job_id": 2, "name": "windmill-y", "active": True, "latest_runs": []})
    clock.advance(60)
    assert poller.refresh() is False
    snap = poller.snapshot
    assert snap.counts("jobs") == {"total": 2, "active": 2, "idle": 0}
    assert not snap.part("status").stale
    assert snap.gold[names.GOLD_STATUS] is good.gold[names.GOLD_STATUS]
    assert snap.part(names.GOLD_STATUS).stale and "warehouse stopped" in snap.error
    assert snap.fleet()["turbines_reporting"] == 2


@pytest.mark.parametrize("read", [None, "empty"])
def test_a_table_that_loses_its_rows_is_a_failed_read(parts, read):
    poller, _status, gold, clock = parts
    frame = gold.status_table().iloc[0:0] if read == "empty" else None
    gold.reads[names.GOLD_STATUS] = frame
    clock.advance(60)
    assert poller.refresh() is False
    snap = poller.snapshot
    assert snap.fleet()["turbines_reporting"] == 2  # the last rows read, not null
    part = snap.part(names.GOLD_STATUS)
    assert part.stale and "after 2 rows" in part.error


def test_open_alerts_may_all_close(parts):
    poller, _status, gold, clock = parts
    gold.reads[names.GOLD_ALERTS] = pd.DataFrame({"turbine_id": [], "alert_level": []})
    clock.advance(60)
    assert poller.refresh() is True  # an empty alerts table is a normal state
    assert poller.snapshot.fleet()["critical_alerts"] == 0 and not poller.snapshot.stale


def test_never_fresh_with_null_kpis_once_data_existed(parts):
    """Any sequence of reads: once turbines were reported, a null KPI is always stale."""
    import random

    poller, status, gold, clock = parts
    rng = random.Random(13)
    choices = ["good", "missing", "empty", "error"]
    for _ in range(200):
        gold.reads = {}
        for table in (names.GOLD_STATUS, names.GOLD_ALERTS):
            choice = rng.choice(choices)
            if choice == "missing":
                gold.reads[table] = None
            elif choice == "empty":
                gold.reads[table] = gold.status_table().iloc[0:0]
            elif choice == "error":
                gold.reads[table] = OSError("half-written file")
        status.error = RuntimeError("ledger locked") if rng.random() < 0.2 else None
        clock.advance(5)
        poller.refresh()
        fleet = poller.snapshot.fleet()
        assert fleet["turbines_reporting"] == 2 and fleet["critical_alerts"] is not None
        if poller.snapshot.part(names.GOLD_STATUS).error:
            assert poller.snapshot.stale


# Energy today: the hour under way counts only its elapsed part -------------------------------


def hourly(*hours: str, mwh: float = 10.0) -> pd.DataFrame:
    return pd.DataFrame({"hour": pd.to_datetime(list(hours), utc=True), "energy_mwh": mwh})


def test_energy_today_counts_the_current_hour_only_as_far_as_it_went():
    from dashboard.state import energy_today

    frame = hourly("2026-01-04T23:00Z", "2026-01-05T11:00Z", "2026-01-05T12:00Z")
    at = lambda text: datetime.fromisoformat(text)  # noqa: E731
    assert energy_today(frame, at("2026-01-05T12:30:00+00:00")) == 15.0  # 10 + half of 10
    assert energy_today(frame, at("2026-01-05T12:06:00+00:00")) == 11.0  # it moves
    assert energy_today(frame, at("2026-01-05T12:00:00+00:00")) == 10.0
    assert energy_today(frame, at("2026-01-05T14:00:00+00:00")) == 20.0  # both hours over
    assert energy_today(frame, None) == 20.0


def test_energy_today_in_the_kpis_is_as_of_the_read(parts):
    poller, _status, gold, clock = parts
    gold.reads[names.GOLD_HOURLY] = hourly("2026-01-05T11:00Z", "2026-01-05T12:00Z")
    clock.now = datetime(2026, 1, 5, 12, 15, tzinfo=UTC)
    poller.refresh()
    assert poller.snapshot.fleet()["energy_today_mwh"] == 12.5
    clock.now = datetime(2026, 1, 5, 12, 45, tzinfo=UTC)
    poller.refresh()
    assert poller.snapshot.fleet()["energy_today_mwh"] == 17.5
