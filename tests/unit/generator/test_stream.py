"""The streaming generator keeps its schedule: stamps are start + k × interval, late
batches are marked, no tick is skipped (an injected clock: no sleeping, no Spark)."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from workloads.generator import spec
from workloads.generator.config import GeneratorConfig
from workloads.generator.generate import Summary
from workloads.generator.stream import Clock, stream
from workloads.signals import StopOnSignal

pytestmark = pytest.mark.unit

WALL_START_MS = 1_767_571_200_000  # 2026-01-05T00:00:00Z


class FakeClock(Clock):
    """Time stands still while a batch is built; waiting moves it on (as does `advance`)."""

    def __init__(self) -> None:
        self.now = 100.0  # monotonic seconds

    def wall_ms(self) -> int:
        return WALL_START_MS + round((self.now - 100.0) * 1000)

    def monotonic(self) -> float:
        return self.now

    def wait(self, seconds: float, stop: StopOnSignal) -> None:
        self.now += seconds


def _run(tmp_path, clock, on_batch=lambda summary: None, **overrides):
    shape = {"records_per_batch": 120, "batch_interval": 10.0, "max_iterations": 5}
    config = GeneratorConfig(turbines=50, seed=7, **{**shape, **overrides})
    summary = stream(
        config,
        tmp_path,
        StopOnSignal(),
        on_batch,
        Summary(mode="stream"),
        tag_of=lambda ms: "t",
        clock=clock,
    )
    files = sorted(tmp_path.glob("batch-*.jsonl"))
    return summary, files


def _times(path) -> list[str]:
    return [json.loads(line)["timestamp"] for line in path.read_text().splitlines()]


def _iso(ms: np.ndarray) -> list[str]:
    return [f"{t}Z" for t in np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")]


def test_stamps_follow_start_plus_k_intervals_when_on_time(tmp_path):
    clock = FakeClock()
    summary, files = _run(tmp_path, clock)
    assert len(files) == summary.batches == 5 and summary.readings == 600
    assert summary.late_batches == 0 and summary.max_lag_seconds == 0.0
    for k, path in enumerate(files):
        # 120 readings of a 50-turbine fleet: the 2nd and 3rd reading of a turbine +1, +2 ms.
        number, ts = spec.stream_layout(k * 120, 120, 50, WALL_START_MS + k * 10_000)
        assert _times(path) == _iso(ts)
        turbines = [json.loads(x)["turbine_id"] for x in path.read_text().splitlines()]
        assert turbines == [f"TURBINE_{n:05d}" for n in number]
    assert clock.now == 100.0 + 4 * 10.0  # it waited for each tick and not after the last


def test_a_slow_batch_is_marked_late_and_the_schedule_is_kept(tmp_path, caplog):
    clock = FakeClock()

    def slow_first(summary):  # the first batch takes 25 s: ticks 10 and 20 pass meanwhile
        if summary.batches == 1:
            clock.now += 25.0

    with caplog.at_level(logging.INFO, logger="windmill.generator"):
        summary, files = _run(tmp_path, clock, on_batch=slow_first)
    assert len(files) == 5  # no tick skipped
    for k, path in enumerate(files):  # still stamped by the schedule, not by when written
        assert _times(path)[0] == _iso(np.array([WALL_START_MS + k * 10_000]))[0]
    # Batch 2 (due at 10 s) is written at 25 s: late; batch 3 (due 20 s) 5 s after its tick.
    assert summary.late_batches == 1 and summary.max_lag_seconds == pytest.approx(15.0)
    late = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(late) == 1 and "batch 2 written 15.0 s after its tick" in late[0]
    assert "behind schedule" in late[0]
    assert Summary(mode="stream", late_batches=1, max_lag_seconds=15.0).metrics() == {
        "mode": "stream", "batches": 0, "readings": 0, "late_batches": 1, "max_lag_seconds": 15.0,
    }  # fmt: skip


def test_a_simulated_start_steps_at_least_one_second_a_batch(tmp_path):
    from datetime import UTC, datetime

    clock = FakeClock()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    _, files = _run(tmp_path, clock, batch_interval=0.25, start=start)
    first_ms = int(start.timestamp() * 1000)
    assert [_times(p)[0] for p in files] == _iso(first_ms + 1000 * np.arange(5))


def test_stop_ends_after_the_current_batch(tmp_path):
    clock = FakeClock()
    stop = StopOnSignal()

    def stop_after_two(summary):
        if summary.batches == 2:
            stop.event.set()

    config = GeneratorConfig(records_per_batch=10, batch_interval=1.0, turbines=5)
    summary = stream(
        config, tmp_path, stop, stop_after_two, Summary(mode="stream"), tag_of=str, clock=clock
    )
    assert summary.stopped and summary.batches == 2
    assert len(list(tmp_path.glob("batch-*.jsonl"))) == 2
