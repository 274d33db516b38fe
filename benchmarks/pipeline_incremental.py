"""Incremental cost: a warm update ingesting 1,000 new readings, with little vs much history.

For each history size (default 10 thousand and 5 million readings) this script builds
a fresh WINDMILL_HOME, writes the history as landing files (one file per hour of
readings, one reading per turbine per minute, ending now), ingests it with the real
pipeline engine (one day of files per micro-batch, as a long-running system would have
received it), then writes 1,000 new readings and times one warm update. It prints both
times and their ratio (target: <= 1.3, i.e. cost grows with new data, not history).

Silver's deduplication keeps a key for `dedup_window_hours` of the pipeline's own
ingestion clock, so its state holds what arrived in that window, not the history. This
script delivers weeks of history within minutes, which a running system receives over
weeks; to time the steady state it runs with a 3-minute window, waits it out, and lets two
one-reading updates evict the history's keys (a running system's batches do this a little
at a time), then times the update. Gold views read only their 24-48 h windows.

    .venv/bin/python benchmarks/pipeline_incremental.py [--history 10000,5000000]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workloads.config import Paths  # noqa: E402
from workloads.contract import classify, turbine_id  # noqa: E402

NEW_READINGS = 1000
DEDUP_WINDOW_MINUTES = 3.0


def reading_line(turbine: int, moment: datetime, n: int) -> str:
    wind = 4.0 + (n * 7919 + turbine * 104729) % 1100 / 100.0
    row = {
        "turbine_id": turbine_id(turbine),
        "timestamp": moment.isoformat().replace("+00:00", "Z"),
        "wind_speed": wind,
        "wind_direction": float((n * 13 + turbine * 7) % 360),
        "rotor_rpm": min(16.0, wind * 1.3),
        "power_output": min(3000.0, 2.2 * wind**3),
        "nacelle_temperature": 25.0 + wind,
        "gearbox_temperature": 50.0 + 2.0 * wind + (n % 97) / 4.0,
        "generator_temperature": 45.0 + 2.0 * wind,
        "vibration_level": 0.5 + (n % 89) / 50.0,
        "oil_pressure": 40.0 + (n % 31),
        "brake_pressure": 100.0,
        "pitch_angle": 2.0,
        "yaw_angle": float((n * 13 + turbine * 7) % 360),
        "tower_lean": 0.2 + (n % 53) / 40.0,
        "latitude": 55.0 + turbine / 1000,
        "longitude": 8.0 + turbine / 1000,
        "batch_id": f"bench-{n // 1000}",
        "ingestion_timestamp": moment.isoformat().replace("+00:00", "Z"),
    }
    row["fault_code"], row["alert_level"], row["maintenance_needed"] = classify(row)
    return json.dumps(row)


def write_history(landing: Path, readings: int, turbines: int, end: datetime) -> None:
    """`readings` readings, one per turbine per minute, ending at `end`; one file per hour."""
    landing.mkdir(parents=True, exist_ok=True)
    minutes = -(-readings // turbines)
    start = end - timedelta(minutes=minutes)
    written = 0
    hour_lines: list[str] = []
    current_hour = None
    for minute in range(minutes):
        moment = start + timedelta(minutes=minute)
        hour = moment.replace(minute=0, second=0, microsecond=0)
        if current_hour is not None and hour != current_hour and hour_lines:
            _flush(landing, current_hour, hour_lines)
            hour_lines = []
        current_hour = hour
        for turbine in range(1, turbines + 1):
            if written == readings:
                break
            hour_lines.append(reading_line(turbine, moment, written))
            written += 1
    if hour_lines:
        _flush(landing, current_hour, hour_lines)


def _flush(landing: Path, hour: datetime, lines: list[str]) -> None:
    final = landing / f"history-{hour:%Y%m%dT%H}.jsonl"
    tmp = landing / f".{final.name}.tmp"
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, final)


def measure(history: int, turbines: int, spark_holder: dict) -> float:
    from workloads.engine import runner

    home = Paths(Path(tempfile.mkdtemp(prefix=f"bench-incr-{history}-")))
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    began = time.monotonic()
    write_history(home.landing, history, turbines, now - timedelta(minutes=10))
    print(f"[{history:,}] wrote history in {time.monotonic() - began:.0f} s", flush=True)
    if "spark" not in spark_holder:  # one engine for both sizes; each gets its own database
        spark_holder["spark"], _ = runner.start_engine(home)
    spark = spark_holder["spark"]
    database = f"bench_{history}"
    # History arrives as a running system would have received it: a day of files per batch.
    overrides = {"max_files_per_trigger": 24, "dedup_window_hours": DEDUP_WINDOW_MINUTES / 60}
    began = time.monotonic()
    first = runner.run_update(spark, home, database=database, overrides=overrides)
    assert first.ok, first.error
    ingested = time.monotonic()
    print(f"[{history:,}] ingested history in {ingested - began:.0f} s", flush=True)
    warm = runner.run_update(spark, home, database=database, overrides=overrides)  # no new data
    assert warm.ok, warm.error
    time.sleep(max(0.0, DEDUP_WINDOW_MINUTES * 60 + 5 - (time.monotonic() - ingested)))
    for n in range(2):  # the first moves the watermark past the history, the second evicts
        _flush(
            home.landing,
            now + timedelta(hours=12 + n),
            [reading_line(1 + n, now - timedelta(minutes=5), n)],
        )
        settle = runner.run_update(spark, home, database=database, overrides=overrides)
        assert settle.ok, settle.error
        print(f"[{history:,}] settling update {n + 1}: {settle.duration_s:.2f} s", flush=True)
    lines = [
        reading_line(1 + n % turbines, now + timedelta(minutes=n // turbines), n)
        for n in range(NEW_READINGS)
    ]
    _flush(home.landing, now + timedelta(days=1), lines)
    result = runner.run_update(spark, home, database=database, overrides=overrides)
    assert result.ok, result.error
    written = result.metrics["tables"]["bronze_sensor_data"]["rows_written"]
    assert written == NEW_READINGS, written
    print(
        f"[{history:,}] warm update with {NEW_READINGS} new readings: {result.duration_s:.2f} s",
        flush=True,
    )
    return result.duration_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", default="10000,5000000", help="two history sizes")
    parser.add_argument("--turbines", type=int, default=100)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    small, large = (int(x) for x in args.history.split(","))
    holder: dict = {}
    try:
        t_small = measure(small, args.turbines, holder)
        t_large = measure(large, args.turbines, holder)
    finally:
        if "spark" in holder:
            holder["spark"].stop()
    ratio = t_large / t_small
    print(
        f"pipeline_incremental: history {small:,} -> {t_small:.2f} s; "
        f"history {large:,} -> {t_large:.2f} s; ratio {ratio:.2f} (target <= 1.3)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
