"""Generator throughput against the physical limit of this machine (target: ratio >= 0.70).

The limit is Spark alone writing as many JSON lines of the same width (random values
in the contract's columns, no generator logic) with every core (`local[*]`, two
partitions per core). The generator is a real backfill: dbldatagen, the physics model
and one atomic file per batch. Both run side by side in one run, in two modes:

- in-process: one warm Spark session; `generate.backfill` against the plain write;
- whole-process: `windmill generate --backfill-hours H --turbines N` on an empty home
  against a plain script (Python, a new Spark session, the plain write), each timed
  from spawn to exit, JVM start included.

    .venv/bin/python benchmarks/generator_throughput.py [--turbines 200] [--hours 167]
        [--repeat 2] [--mode both|in-process|whole-process]

Prints rows/s and bytes per line of both sides, their ratio per mode, and the load
average before and after (figures taken on a busy machine say so).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 0.70
START = "2026-01-05T00:00:00Z"
SEED = 7
# Spark's JSON writer options giving the generator's line format (nulls kept, ISO times).
JSON_OPTIONS = {"ignoreNullFields": "false", "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"}
# (name, kind) of a raw reading, in order; the plain script imports nothing of the project.
COLUMNS = (
    ("turbine_id", "string"), ("timestamp", "timestamp"), ("wind_speed", "double"),
    ("wind_direction", "double"), ("rotor_rpm", "double"), ("power_output", "double"),
    ("nacelle_temperature", "double"), ("gearbox_temperature", "double"),
    ("generator_temperature", "double"), ("vibration_level", "double"),
    ("oil_pressure", "double"), ("brake_pressure", "double"), ("pitch_angle", "double"),
    ("yaw_angle", "double"), ("tower_lean", "double"), ("latitude", "double"),
    ("longitude", "double"), ("fault_code", "string"), ("alert_level", "string"),
    ("maintenance_needed", "boolean"), ("batch_id", "string"),
    ("ingestion_timestamp", "timestamp"),
)  # fmt: skip


# The limit side -------------------------------------------------------------------------


def plain_session():
    """The plainest local session on every core (no UI, as the generator has none). Its JVM
    maps the class archive `make setup` recorded, as the generator's does: a JVM flag any
    Spark job can have, so the limit is not handicapped by a slower start."""
    from pyspark.sql import SparkSession

    from workloads import jvm_archive

    spark = (
        SparkSession.builder.master("local[*]")
        .appName("plain-json")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", " ".join(jvm_archive.flags()))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def plain_rows(spark, rows: int, partitions: int):
    """Rows shaped like a raw reading (about as many bytes a line), random values."""
    from pyspark.sql import functions as F

    base = spark.range(0, rows, numPartitions=partitions)
    columns = []
    for index, (name, kind) in enumerate(COLUMNS):
        if kind == "double":  # about as many digits as a reading's values
            column = F.round(F.rand(index) * 100.0 - 10.0, 2)
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


def write_plain(spark, rows: int, partitions: int, out: Path) -> float:
    """Seconds to write `rows` plain JSON lines into `out` (removed first)."""
    shutil.rmtree(out, ignore_errors=True)
    began = time.perf_counter()
    writer = plain_rows(spark, rows, partitions).write
    for key, value in JSON_OPTIONS.items():
        writer = writer.option(key, value)
    writer.json(str(out))
    return time.perf_counter() - began


def plain_script(rows: int, partitions: int, out: Path) -> None:
    """The whole-process limit: a new Python and Spark that write the plain lines once."""
    spark = plain_session()
    write_plain(spark, rows, partitions, out)
    spark.stop()


# Measuring ----------------------------------------------------------------------------------


def line_bytes(folder: Path, rows: int) -> float:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.suffix != ".crc")
    return total / max(rows, 1)


def cpu_seconds() -> float:
    """CPU time of this process and its children so far (the JVM and Python workers)."""
    import psutil

    total = 0.0
    for process in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def in_process(args, work: Path, rows: int):
    """(plain times, generator times, (bytes/line of each)), in one warm session.

    Also prints the CPU seconds each side used: under load, wall times follow the
    scheduler, while CPU time still says how much work each side does.
    """
    sys.path.insert(0, str(REPO))
    from workloads.generator import generate as gen
    from workloads.signals import StopOnSignal

    start = datetime.fromisoformat(START.replace("Z", "+00:00")).astimezone(UTC)
    config = gen.GeneratorConfig(
        turbines=args.turbines, seed=SEED, start=start, backfill_hours=args.hours
    )
    assert config.backfill_steps() * config.turbines == rows
    spark, _owned = gen.spark_session()

    def generator() -> float:
        landing = work / "landing"
        shutil.rmtree(landing, ignore_errors=True)
        landing.mkdir(parents=True)
        began = time.perf_counter()
        with StopOnSignal() as stop:
            gen.backfill(spark, config, landing, stop, lambda _: None)
        return time.perf_counter() - began

    try:
        # Warm up both paths (JVM, Python workers, code generation) outside the timings.
        warm = gen.GeneratorConfig(**{**config.__dict__, "backfill_hours": 1.0})
        landing = work / "warm"
        landing.mkdir(parents=True)
        with StopOnSignal() as stop:
            gen.backfill(spark, warm, landing, stop, lambda _: None)
        write_plain(spark, 10_000, args.partitions, work / "warm-plain")
        plain, generated, cpu = [], [], {"plain": [], "generator": []}
        for _ in range(args.repeat):
            before = cpu_seconds()
            plain.append(write_plain(spark, rows, args.partitions, work / "plain"))
            middle = cpu_seconds()
            generated.append(generator())
            cpu["plain"].append(middle - before)
            cpu["generator"].append(cpu_seconds() - middle)
        print("in-process CPU seconds: " + "; ".join(
            f"{side} {', '.join(f'{c:.1f}' for c in values)}" for side, values in cpu.items()
        ))  # fmt: skip
        widths = line_bytes(work / "plain", rows), line_bytes(work / "landing", rows)
    finally:
        spark.stop()
    return plain, generated, widths


def _timed(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return elapsed


def whole_process(args, work: Path, rows: int):
    """(plain times, generator times, (bytes/line of each)), every run a new process."""
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    env.pop("WINDMILL_HOME", None)
    home, out = work / "home", work / "plain-process"
    plain_command = [sys.executable, __file__, "--plain-script", str(rows), str(out),
                     "--partitions", str(args.partitions)]  # fmt: skip
    generate = [sys.executable, "-m", "workloads.cli", "generate", "--backfill-hours",
                str(args.hours), "--turbines", str(args.turbines), "--seed", str(SEED),
                "--start", START]  # fmt: skip
    plain, generated = [], []
    for _ in range(args.repeat):
        plain.append(_timed(plain_command, env))
        shutil.rmtree(home, ignore_errors=True)
        generated.append(_timed(generate, {**env, "WINDMILL_HOME": str(home)}))
    return plain, generated, (line_bytes(out, rows), line_bytes(home / "landing", rows))


def report(mode: str, rows: int, plain: list[float], generated: list[float], widths) -> float:
    plain_rate, generator_rate = rows / min(plain), rows / min(generated)
    ratio = generator_rate / plain_rate
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    runs = ", ".join(f"{p:.1f}/{g:.1f}" for p, g in zip(plain, generated, strict=True))
    print(f"{mode}:")
    print(f"  plain json: {plain_rate:>9,.0f} rows/s ({min(plain):.1f} s, {widths[0]:.0f} B/line)")
    print(f"  generator:  {generator_rate:>9,.0f} rows/s ({min(generated):.1f} s, "
          f"{widths[1]:.0f} B/line)")  # fmt: skip
    print(f"  ratio: {ratio:.2f} ({verdict} the {TARGET_RATIO:.2f} target); "
          f"runs plain/generator s: {runs}")  # fmt: skip
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turbines", type=int, default=200)
    parser.add_argument(
        "--hours", type=float, default=167.0, help="backfill hours (a reading a minute)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="alternate runs; best of each")
    parser.add_argument("--mode", choices=("both", "in-process", "whole-process"), default="both")
    parser.add_argument("--partitions", type=int, default=2 * (os.cpu_count() or 1),
                        help="partitions of the plain write (default: two per core)")  # fmt: skip
    parser.add_argument("--plain-script", nargs=2, metavar=("ROWS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_script:
        plain_script(int(args.plain_script[0]), args.partitions, Path(args.plain_script[1]))
        return 0

    rows = int(args.hours * 60) * args.turbines
    print(f"{rows:,} readings ({args.turbines} turbines, {args.hours:g} h, one a minute); "
          f"{os.cpu_count()} cores; plain write: local[*], {args.partitions} partitions; "
          f"load average before: {os.getloadavg()[0]:.1f}")  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="windmill-bench-"))
    try:
        if args.mode in ("both", "in-process"):
            report("in-process", rows, *in_process(args, work / "in", rows))
        if args.mode in ("both", "whole-process"):
            report("whole-process", rows, *whole_process(args, work / "whole", rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.1f} (figures are contended above ~0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
