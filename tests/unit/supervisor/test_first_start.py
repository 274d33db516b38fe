"""A first start's order: the engine comes up at once, its first update waits for the backfill.

No JVM: the engine and the update are stand-ins; what is checked is the order of events.
"""

from __future__ import annotations

import threading

import pytest

from workloads import states
from workloads.config import Paths
from workloads.engine import runner

pytestmark = pytest.mark.unit


class FakeSpark:
    def stop(self) -> None:
        pass


class Marker:
    """A start file that appears after `absent` looks (each look is recorded)."""

    def __init__(self, events: list[str], absent: int) -> None:
        self.events = events
        self.absent = absent
        self.name = "backfill.done"

    def exists(self) -> bool:
        if self.absent > 0:
            self.absent -= 1
            self.events.append("no marker")
            return False
        return True


def fake_engine(monkeypatch, events: list[str], stop: threading.Event) -> None:
    def start_engine(paths):
        events.append("engine")
        return FakeSpark(), 1

    def run_update(spark, paths, **kwargs):
        events.append("update")
        stop.set()
        return runner.UpdateResult("u1", states.COMPLETED, 0.0)

    monkeypatch.setattr(runner, "start_engine", start_engine)
    monkeypatch.setattr(runner, "run_update", run_update)
    monkeypatch.setattr(runner, "START_AFTER_POLL_S", 0.001)


def test_the_first_update_waits_for_the_start_file_while_the_engine_is_up(tmp_path, monkeypatch):
    events: list[str] = []
    stop = threading.Event()
    fake_engine(monkeypatch, events, stop)
    updates = runner.run_continuous(
        Paths(tmp_path), interval=0.001, stop_event=stop, start_after=Marker(events, absent=3)
    )
    assert updates == 1
    assert events == ["engine", "no marker", "no marker", "no marker", "update"]


def test_without_a_start_file_the_first_update_runs_at_once(tmp_path, monkeypatch):
    events: list[str] = []
    stop = threading.Event()
    fake_engine(monkeypatch, events, stop)
    assert runner.run_continuous(Paths(tmp_path), interval=0.001, stop_event=stop) == 1
    assert events == ["engine", "update"]


def test_a_stop_while_waiting_ends_without_an_update(tmp_path, monkeypatch):
    events: list[str] = []
    stop = threading.Event()
    fake_engine(monkeypatch, events, stop)

    class StopsWhileAbsent(Marker):
        def exists(self) -> bool:
            stop.set()  # e.g. Ctrl-C during the backfill
            return super().exists()

    updates = runner.run_continuous(
        Paths(tmp_path), interval=0.001, stop_event=stop, start_after=StopsWhileAbsent(events, 99)
    )
    assert updates == 0 and "update" not in events
