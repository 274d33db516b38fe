"""Benchmark: the pipeline's first update over a day of history vs the same work as plain Spark.

In one process and one run, on the same 144,000 landed readings (100 turbines, 24 h, one a
minute, written by `windmill generate` with a fixed seed and start):

- plain: a Spark batch job with no framework, on a classic `local[*]` session (the whole
  machine): read the JSON lines, parse, validate, split off the rejected rows, deduplicate,
  write silver Parquet (partitioned by day), then compute the four gold aggregates
  (turbine status, maintenance alerts, fleet hourly, fault summary) and write each as
  Parquet. It uses the project's pure transforms (the same column expressions the pipeline
  runs), so the two sides do the same work and differ only in the framework. It runs once
  to warm the JVM, then once timed.
- pipeline: the first update of a fresh pipeline on the local engine (Spark Declarative
  Pipelines, Spark Connect) in the same JVM: bronze, silver, quarantine, the four gold
  views, and publishing them to readers.

Prints both times and their ratio (target <= 2.0) and the conditions (cores, load).

    .venv/bin/python benchmarks/first_update.py [--turbines 100] [--hours 24]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workloads.config import Paths  # noqa: E402

START = "2026-01-05T00:00:00Z"
AS_OF = "2026-01-06T00:00:00Z"  # the end of the generated day: gold windows cover all of it


def generate_landing(home: Paths, turbines: int, hours: float) -> int:
    """Write the history with the real generator (a subprocess: it is a classic Spark app)."""
    env = {**os.environ, "WINDMILL_HOME": str(home.home)}
    command = [
        sys.executable, "-m", "workloads.cli", "generate",
        "--backfill-hours", f"{hours:g}", "--turbines", str(turbines),
        "--start", START, "--seed", "42",
    ]  # fmt: skip
    subprocess.run(command, env=env, check=True, capture_output=True)
    return sum(sum(1 for _ in f.open()) for f in home.landing.glob("*.jsonl"))


def plain_job(spark, landing: Path, out: Path) -> dict[str, int]:
    """The pipeline's work as one plain Spark batch job; returns rows written per output."""
    from pyspark.sql import functions as F

    from workloads.pipeline import gold, transforms

    shutil.rmtree(out, ignore_errors=True)
    bronze = transforms.bronze_lines(
        spark.read.option("pathGlobFilter", "[!.]*.jsonl").text(str(landing)),
        F.col("_metadata.file_path"),
        F.current_timestamp(),
    )
    checked = transforms.validate(bronze, None, 10.0).cache()
    rejected = checked.filter(F.size("rejection_reasons") > 0)
    rejected.select(*transforms.QUARANTINE_COLUMNS).write.parquet(str(out / "quarantine"))
    valid = checked.filter(F.size("rejection_reasons") == 0).dropDuplicates(
        list(transforms.SILVER_KEY)
    )
    silver_rows = valid.select(
        *transforms.COLUMN_NAMES, F.to_date("timestamp").alias("reading_date")
    )
    silver_rows.write.partitionBy("reading_date").parquet(str(out / "silver"))
    checked.unpersist()
    silver = spark.read.parquet(str(out / "silver"))
    as_of = gold.as_of_column(AS_OF)
    views = {
        "gold_turbine_status": gold.turbine_status(silver, as_of, 24),
        "gold_maintenance_alerts": gold.maintenance_alerts(silver, as_of, 24),
        "gold_fleet_hourly": gold.fleet_hourly(silver, as_of, 48),
        "gold_fault_summary": gold.fault_summary(silver, as_of, 24),
    }
    for name, frame in views.items():
        frame.write.parquet(str(out / name))
    return {
        name: spark.read.parquet(str(out / name)).count()
        for name in ("silver", "quarantine", *views)
    }


class Clock:
    """Wall time and CPU time (this process and its children: the JVM, Python workers).

    On a shared machine wall time swings with the other load; the CPU seconds a side
    spends are its work, so their ratio is the figure to trust when the machine is busy.
    """

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.monotonic(), cpu_seconds()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall, self.cpu = time.monotonic() - self.wall, cpu_seconds() - self.cpu


def cpu_seconds() -> float:
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:4])  # its own and its waited-for children's
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:
            continue
    return total


def timed_plain(landing: Path, out: Path) -> tuple[Clock, dict[str, int]]:
    """Warm-up run, then the timed run, on a classic local[*] session (stopped afterwards)."""
    from workloads.spark import classic_session

    spark = classic_session(
        "bench-plain",
        conf={"spark.master": "local[*]", "spark.sql.shuffle.partitions": str(os.cpu_count())},
    )
    try:
        plain_job(spark, landing, out)
        with Clock() as clock:
            rows = plain_job(spark, landing, out)
        return clock, rows
    finally:
        spark.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turbines", type=int, default=100)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    parser.add_argument("--verbose", action="store_true", help="log the update's timeline")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    if args.verbose:  # the update's timeline: registration, each flow's events, publishing
        logging.getLogger("workloads.engine.runner").setLevel(logging.DEBUG)
    home = Paths(Path(tempfile.mkdtemp(prefix="windmill-bench-first-update-")))
    try:
        began = time.monotonic()
        lines = generate_landing(home, args.turbines, args.hours)
        print(f"landed {lines:,} readings in {time.monotonic() - began:.0f} s", flush=True)

        plain, plain_rows = timed_plain(home.landing, home.home / "plain")
        print(
            f"plain Spark job: {plain.wall:.1f} s ({plain.cpu:.1f} CPU s) {plain_rows}", flush=True
        )

        from workloads.engine import runner

        began = time.monotonic()
        spark, _ = runner.start_engine(home)
        print(f"engine started in {time.monotonic() - began:.1f} s", flush=True)
        try:
            with Clock() as pipeline:
                result = runner.run_update(spark, home, overrides={"as_of": AS_OF})
        finally:
            spark.stop()
        assert result.ok, result.error
        tables = result.metrics["tables"]
        assert tables["silver_sensor_data"]["rows_written"] == plain_rows["silver"], tables
        print(
            f"pipeline first update: {pipeline.wall:.1f} s ({pipeline.cpu:.1f} CPU s) "
            f"{ {name: t['rows_written'] for name, t in tables.items()} }",
            flush=True,
        )
    finally:
        if not args.keep:
            shutil.rmtree(home.home, ignore_errors=True)
    load = os.getloadavg()[0]
    print(
        f"first_update: pipeline {pipeline.wall:.1f} s, plain Spark {plain.wall:.1f} s, "
        f"ratio {pipeline.wall / plain.wall:.2f} (target <= 2.0); CPU seconds "
        f"{pipeline.cpu:.1f} vs {plain.cpu:.1f}, ratio {pipeline.cpu / plain.cpu:.2f}; "
        f"{lines:,} readings, {os.cpu_count()} cores, load average {load:.1f} at the end"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
