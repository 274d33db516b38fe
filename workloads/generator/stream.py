"""The streaming generator: one batch file per tick, stamped with its tick, on schedule.

Why it runs without Spark: a streaming batch is a few thousand readings every few
seconds. Through Spark each batch was a job (plan, schedule, a Python worker, the text
writer, the commit): seconds of fixed cost per batch and a JVM start (tens of seconds)
before the first one, so at 10,000 readings every 10 s the generator started late and
spent most of each tick in overhead. Here the generator's own process lays out the
batch (`spec.stream_layout`), runs the same physics and text as a backfill's worker
(`spec.reading_lines`) and writes the Arrow text atomically (`writer.write_lines`).

The schedule: batch k is due at start + k × --batch-interval and every reading in it is
stamped with that tick (plus 1 ms for a turbine's second reading in a batch), whether
or not the batch was written on time, so the data's times follow the schedule, not the
load of the machine. A batch written after its successor's tick is late: the generator
logs a warning with its lag, counts it in the run's metrics (`late_batches`,
`max_lag_seconds`) and writes the next batch at once, without sleeping, until it has
caught up; no tick is skipped. With --start the clock is simulated (deterministic
stamps: start + k × max(interval, 1 s)); with --batch-interval 0 there is no schedule,
each batch is stamped when it is built.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workloads.generator import spec, writer
from workloads.generator.config import GeneratorConfig
from workloads.signals import StopOnSignal

log = logging.getLogger("windmill.generator")


class Clock:
    """Wall time for the stamps, a monotonic clock for the ticks, and waiting (tests
    inject their own to check the schedule without sleeping)."""

    def wall_ms(self) -> int:
        return int(time.time() * 1000)

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, seconds: float, stop: StopOnSignal) -> None:
        stop.event.wait(seconds)


@dataclass(frozen=True)
class Schedule:
    """When batch k is due (monotonic seconds) and which time its readings carry (ms)."""

    start_ms: int
    started: float  # the monotonic time of batch 0's tick
    interval_s: float
    simulated: bool  # --start given: stamps step by at least 1 s, whatever the pace

    def due(self, index: int) -> float:
        return self.started + index * self.interval_s

    def stamp_ms(self, index: int, clock: Clock) -> int:
        if self.simulated:
            return self.start_ms + round(index * max(self.interval_s, 1.0) * 1000)
        if self.interval_s <= 0:  # as fast as possible: no tick to stamp, the time of building
            return clock.wall_ms()
        return self.start_ms + round(index * self.interval_s * 1000)


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def stream(
    config: GeneratorConfig,
    landing: Path,
    stop: StopOnSignal,
    on_batch: Callable,
    summary,
    *,
    tag_of: Callable[[int], str],
    clock: Clock | None = None,
):
    """Every --batch-interval seconds, --records-per-batch readings rotating through the fleet.

    `summary` (generate.Summary) is filled in and passed to `on_batch` after each file;
    `tag_of(start_ms)` names the run. Returns `summary`.
    """
    clock = clock or Clock()
    n, per_batch = config.turbines, config.records_per_batch
    simulated = config.start is not None
    start_ms = int(config.start.timestamp() * 1000) if simulated else clock.wall_ms()
    schedule = Schedule(start_ms, clock.monotonic(), config.batch_interval, simulated)
    tag = tag_of(start_ms)
    summary.late_batches, summary.max_lag_seconds = 0, 0.0
    log.info(
        "streaming %d readings every %g s (%d turbines, up to %d batches) into %s",
        per_batch,
        config.batch_interval,
        n,
        config.max_iterations,
        landing,
    )
    for index in range(config.max_iterations):
        if stop.stopped:
            summary.stopped = True
            break
        batch_ms = schedule.stamp_ms(index, clock)
        batch_id = f"{tag}-{index:06d}"
        number, timestamp_ms = spec.stream_layout(index * per_batch, per_batch, n, batch_ms)
        lines = spec.reading_lines(
            config.seed,
            number,
            timestamp_ms,
            batch_id=batch_id,
            ingestion_ms=clock.wall_ms(),
            bad_record_rate=config.bad_record_rate,
        )
        path = writer.write_lines(
            lines, landing, writer.batch_file_name(_from_ms(batch_ms), batch_id)
        )
        lag = max(0.0, clock.monotonic() - schedule.due(index))
        summary.batches += 1
        summary.readings += per_batch
        summary.last_file = path
        summary.max_lag_seconds = max(summary.max_lag_seconds, lag)
        late = config.batch_interval > 0 and lag > config.batch_interval
        if late:
            summary.late_batches += 1
            log.warning(
                "batch %d written %.1f s after its tick (interval %g s): behind schedule, "
                "writing the next batch at once",
                index + 1,
                lag,
                config.batch_interval,
            )
        log.info(
            "batch %d: %d readings at %s -> %s (%.2f s after its tick)",
            index + 1,
            per_batch,
            _from_ms(batch_ms).isoformat(),
            path.name,
            lag,
        )
        on_batch(summary)
        if index + 1 < config.max_iterations:
            clock.wait(max(0.0, schedule.due(index + 1) - clock.monotonic()), stop)
    return summary
