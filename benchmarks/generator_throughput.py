"""Generator throughput against the physical limit of this machine.

Backfills at least 2 million readings with the real generator (dbldatagen + the
physics model, one atomic file per batch), then, in the same Spark session, has
Spark write the same number of rows of the same width (random doubles and
strings, same partitions per job) to JSON with no generator logic. Prints rows/s
for both and their ratio (target: at least 0.70).

    .venv/bin/python benchmarks/generator_throughput.py [--readings N] [--repeat K]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workloads import contract  # noqa: E402
from workloads.generator import generate as gen  # noqa: E402
from workloads.generator.spec import JSON_OPTIONS  # noqa: E402

TARGET_RATIO = 0.70


def plain_rows(spark, rows: int, partitions: int):
    """Rows shaped like a raw reading, filled with random values: no generator logic."""
    from pyspark.sql import functions as F

    base = spark.range(0, rows, numPartitions=partitions)
    columns = []
    for index, (name, kind) in enumerate(contract.RAW_COLUMNS):
        if kind == "double":
            column = F.round(F.rand(index) * 100.0, 2)
        elif kind == "timestamp":
            column = F.timestamp_millis(F.lit(1_767_571_200_000) + F.col("id") * 1000)
        elif kind == "boolean":
            column = F.rand(index) < 0.2
        elif name == "fault_code":
            column = F.when(F.rand(index) < 0.3, F.lit("GEARBOX_OVERHEAT"))
        else:  # strings of a reading's width
            column = F.concat(F.lit("TURBINE_"), F.lpad((F.col("id") % 100).cast("string"), 5, "0"))
        columns.append(column.alias(name))
    return base.select(*columns)


def time_plain(spark, rows: int, partitions: int, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    began = time.perf_counter()
    writer = plain_rows(spark, rows, partitions).write
    for key, value in JSON_OPTIONS.items():
        writer = writer.option(key, value)
    writer.json(str(out))
    elapsed = time.perf_counter() - began
    shutil.rmtree(out, ignore_errors=True)
    return elapsed


def time_generator(spark, config: gen.GeneratorConfig, landing: Path) -> tuple[float, int]:
    shutil.rmtree(landing, ignore_errors=True)
    landing.mkdir(parents=True)
    began = time.perf_counter()
    with gen.StopOnSignal() as stop:
        summary = gen.backfill(spark, config, landing, stop, lambda _: None)
    elapsed = time.perf_counter() - began
    shutil.rmtree(landing, ignore_errors=True)
    return elapsed, summary.readings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=2_000_000)
    parser.add_argument("--turbines", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=1, help="alternate runs; best of each")
    args = parser.parse_args()

    interval_s = 60.0
    steps = -(-args.readings // args.turbines)
    config = gen.GeneratorConfig(
        turbines=args.turbines,
        seed=7,
        start=datetime(2026, 1, 5, tzinfo=UTC),
        backfill_hours=steps * interval_s / 3600,
        reading_interval=interval_s,
    )
    spark, _owned = gen.spark_session()
    partitions = gen.batch_partitions(config, config.backfill_batch_size)
    work = Path(tempfile.mkdtemp(prefix="windmill-bench-"))
    try:
        # Warm up both paths (JVM, Python workers, code generation) outside the timings.
        warm = gen.GeneratorConfig(**{**config.__dict__, "backfill_hours": 1.0})
        time_generator(spark, warm, work / "warm")
        time_plain(spark, 10_000, partitions, work / "warm-plain")
        plain_times, generator_times = [], []
        readings = 0
        for _ in range(args.repeat):
            plain_times.append(time_plain(spark, steps * args.turbines, partitions, work / "plain"))
            elapsed, readings = time_generator(spark, config, work / "landing")
            generator_times.append(elapsed)
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)

    plain_rate = readings / min(plain_times)
    generator_rate = readings / min(generator_times)
    ratio = generator_rate / plain_rate
    print(f"readings: {readings:,} ({args.turbines} turbines, {partitions} partitions per job)")
    print(f"spark json limit: {plain_rate:,.0f} rows/s ({min(plain_times):.1f} s)")
    print(f"generator:        {generator_rate:,.0f} rows/s ({min(generator_times):.1f} s)")
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    print(f"ratio: {ratio:.2f} ({verdict} the {TARGET_RATIO:.2f} target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
