"""Pipeline throughput against its limit: the highest sustained rate with bounded freshness.

Two measurements in one run, on the same kind of landing JSON:

1. **The pipeline** (`windmill pipeline run --continuous`'s loop, `runner.run_continuous`:
   one warm engine, an update whenever new landing files arrive). A writer thread lands a
   file every `--file-interval` seconds at a stepped rate (readings/s, `--rates`), each
   rate for `--step-seconds`. A landing file's freshness is the end of the first update
   that started after it landed (so it read it) and refreshed `gold_turbine_status` (an
   alert-path update does not) minus its landing time: landing -> published
   `gold_turbine_status`. A rate is *sustained* when the p95 freshness of the
   step's second half is at most `--max-freshness` (15 s, the issue's target) and the
   backlog (files landed but not yet read) at the step's end is no bigger than at its
   middle. The steps stop at the first rate that is not sustained. `--table
   gold_fault_episodes` measures the alert path instead (bronze, silver, episodes: what a
   notification waits for), counting every update that refreshed the episodes.
2. **The plain limit**: one Structured Streaming query (classic Spark, `local[*]`, its own
   process) reading a backlog of the same landing files as JSON with the raw schema and
   writing Parquet: no parsing rules, deduplication or gold. Its rate is rows / seconds of
   an `availableNow` run over the backlog (after a warm-up run, so JVM start-up is not
   counted); a sustained rate can be no higher.

Prints both and the ratio (goal >= 0.5). Defaults finish in about 10 minutes:

    .venv/bin/python benchmarks/pipeline_throughput.py
    .venv/bin/python benchmarks/pipeline_throughput.py --rates 500,1000,1500,2000 \\
        --step-seconds 300 --plain-readings 2000000        # longer, finer

Landing files are written by a pure-Python writer (`write_readings`, valid readings built
from the contract's rules, seeded), not the dbldatagen generator, so the generator's own
JVM does not share the two cores with what is measured. The pipeline's readings are
stamped with the wall clock (a live fleet; gold windows end now, the default `as_of`). The pipeline's history grows
from step to step (each rate runs on the previous rates' rows), as a real fleet's would.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workloads import names  # noqa: E402
from workloads.config import Paths  # noqa: E402
from workloads.contract import classify, turbine_id  # noqa: E402

START = datetime(2026, 1, 5, tzinfo=UTC)  # data time of the first reading (fixed)
TEMPLATES = 64


# Landing files (shared with benchmarks/pipeline_scaling.py) -----------------------------------


def _templates(seed: int = 15) -> list[dict]:
    """Sensor values for valid readings, a few of them faulty (labels from the contract)."""
    rng = random.Random(seed)
    rows = []
    for index in range(TEMPLATES):
        wind = rng.uniform(4.0, 14.0)
        row = {
            "wind_speed": round(wind, 2),
            "wind_direction": round(rng.uniform(0, 360), 1),
            "rotor_rpm": round(min(16.0, wind * 1.3), 2),
            "power_output": round(min(3000.0, 20 * wind**2), 1),
            "nacelle_temperature": round(rng.uniform(20, 40), 1),
            "gearbox_temperature": 92.0 if index == 7 else round(rng.uniform(50, 70), 1),
            "generator_temperature": round(rng.uniform(45, 65), 1),
            "vibration_level": 3.2 if index == 21 else round(rng.uniform(0.5, 1.5), 2),
            "oil_pressure": round(rng.uniform(40, 60), 1),
            "brake_pressure": round(rng.uniform(90, 110), 1),
            "pitch_angle": round(rng.uniform(0, 10), 1),
            "yaw_angle": round(rng.uniform(0, 360), 1),
            "tower_lean": round(rng.uniform(0.1, 0.8), 2),
        }
        code, level, needed = classify(row)
        rows.append({**row, "fault_code": code, "alert_level": level, "maintenance_needed": needed})
    return rows


_ROWS = _templates()


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def write_readings(
    landing: Path,
    name: str,
    turbines: range,
    moment: datetime,
    moments: int = 1,
    step: timedelta = timedelta(seconds=10),
) -> int:
    """One landing file (temporary name, then renamed, as the generator does) with one
    reading per turbine at each of `moments` instants from `moment`, `step` apart;
    returns the number of readings."""
    landing.mkdir(parents=True, exist_ok=True)
    lines = []
    for k in range(moments):
        at = moment + k * step
        stamp, tick = iso(at), int(at.timestamp())
        for number in turbines:
            row = {
                "turbine_id": turbine_id(number),
                "timestamp": stamp,
                **_ROWS[(number * 7 + tick) % TEMPLATES],
                "latitude": 55.0 + (number % 1000) / 1000,
                "longitude": 8.0 + number // 1000 / 100,
                "batch_id": name,
                "ingestion_timestamp": stamp,
            }
            lines.append(json.dumps(row))
    tmp = landing / f".{name}.tmp"
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, landing / name)
    return len(lines)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")
    )


# 1. The pipeline ------------------------------------------------------------------------------


def measure_pipeline(args) -> tuple[float, list[dict]]:
    """Run the rate steps on one continuous engine; returns (best sustained rate, steps)."""
    from workloads.engine import runner

    home = Paths(Path(tempfile.mkdtemp(prefix="bench-tp-")))
    landed: dict[str, float] = {}  # file -> landing time (epoch)
    fresh: dict[str, float] = {}  # file -> freshness (s)
    lock = threading.Lock()
    stop, ready = threading.Event(), threading.Event()

    def after_update(spark, result) -> None:
        ended = time.time()
        started = ended - result.duration_s
        if not result.refreshed(args.table):  # e.g. an alert-path update for the status
            ready.set()
            return
        with lock:
            for name, at in landed.items():
                if name not in fresh and at <= started:
                    fresh[name] = ended - at
        ready.set()

    engine = threading.Thread(
        target=runner.run_continuous,
        args=(home, args.poll),
        kwargs={"after_update": after_update, "stop_event": stop, "overrides": args.overrides},
        daemon=True,
    )
    engine.start()
    ready.wait()  # the first update (empty landing) warmed the engine
    steps, best, index = [], 0.0, 0
    try:
        for rate in args.rates:
            per_file = max(1, round(rate * args.file_interval))
            step_started = time.time()
            step_files: list[str] = []
            backlog_mid = None
            while time.time() - step_started < args.step_seconds:
                name = f"tp-{index:06d}.jsonl"
                # Stamped now, as a live fleet's are: gold windows end now (as_of default).
                now = datetime.now(UTC)
                write_readings(home.landing, name, range(1, per_file + 1), now)
                with lock:
                    landed[name] = time.time()
                step_files.append(name)
                index += 1
                if backlog_mid is None and time.time() - step_started >= args.step_seconds / 2:
                    with lock:
                        backlog_mid = sum(1 for f in step_files if f not in fresh)
                time.sleep(max(0.0, landed[name] + args.file_interval - time.time()))
            with lock:
                backlog_end = sum(1 for f in step_files if f not in fresh)
                late = [fresh[f] for f in step_files[len(step_files) // 2 :] if f in fresh]
            p95 = percentile(late, 0.95)
            sustained = (
                bool(late) and p95 <= args.max_freshness and backlog_end <= max(1, backlog_mid or 0)
            )
            step = {
                "rate": rate,
                "files": len(step_files),
                "p50_s": round(statistics.median(late), 1) if late else None,
                "p95_s": round(p95, 1) if late else None,
                "backlog_mid": backlog_mid,
                "backlog_end": backlog_end,
                "sustained": sustained,
            }
            steps.append(step)
            print(json.dumps(step), flush=True)
            if not sustained:
                break
            best = rate
            # Let the backlog drain before the next rate, so each step starts level.
            deadline = time.time() + args.max_freshness * 4
            while time.time() < deadline:
                with lock:
                    if all(f in fresh for f in step_files):
                        break
                time.sleep(0.5)
    finally:
        stop.set()
        engine.join(timeout=600)
        if not args.keep:
            shutil.rmtree(home.home, ignore_errors=True)
    return best, steps


# 2. The plain limit ---------------------------------------------------------------------------


def plain_worker(folder: Path) -> None:
    """In its own process (classic Spark): warm up, then time one availableNow run."""
    from workloads.contract import raw_schema
    from workloads.spark import classic_session

    spark = classic_session("windmill-plain-limit", {"spark.master": "local[*]"})
    for part in ("warmup", "backlog"):
        started = time.monotonic()
        query = (
            spark.readStream.schema(raw_schema())
            .json(str(folder / part))
            .writeStream.format("parquet")
            .option("path", str(folder / f"out-{part}"))
            .option("checkpointLocation", str(folder / f"chk-{part}"))
            .trigger(availableNow=True)
            .start()
        )
        query.awaitTermination()
        elapsed = time.monotonic() - started
        rows = spark.read.parquet(str(folder / f"out-{part}")).count()
        print(json.dumps({"part": part, "rows": rows, "seconds": round(elapsed, 2)}), flush=True)
    spark.stop()


def measure_plain(args) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-plain-"))
    try:
        per_file = max(1, round(args.rates[-1] * args.file_interval))
        for part, total in (("warmup", per_file * 5), ("backlog", args.plain_readings)):
            moment, index, written = START, 0, 0
            while written < total:
                count = min(per_file, total - written)
                written += write_readings(
                    folder / part, f"p-{index:06d}.jsonl", range(1, count + 1), moment
                )
                moment += timedelta(seconds=args.file_interval)
                index += 1
        out = subprocess.run(
            [sys.executable, __file__, "--plain-worker", str(folder)],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        ).stdout
        runs = {
            r["part"]: r for r in map(json.loads, (x for x in out.splitlines() if x[:1] == "{"))
        }
        backlog = runs["backlog"]
        return {**backlog, "rate": round(backlog["rows"] / backlog["seconds"], 1)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="250,500,1000,2000", help="readings/s steps, rising")
    parser.add_argument("--step-seconds", type=float, default=90.0, help="seconds per rate")
    parser.add_argument("--file-interval", type=float, default=2.0, help="s between landing files")
    parser.add_argument("--max-freshness", type=float, default=15.0, help="bound on p95 (s)")
    parser.add_argument("--poll", type=float, default=0.5, help="engine's landing poll (s)")
    parser.add_argument("--plain-readings", type=int, default=500_000, help="plain-limit backlog")
    parser.add_argument(
        "--table",
        default=names.GOLD_STATUS,
        choices=(names.GOLD_STATUS, names.GOLD_EPISODES),
        help="freshness up to this table's publication (default: the status)",
    )
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the pipeline's home")
    parser.add_argument("--plain-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_worker:
        plain_worker(args.plain_worker)
        return 0
    logging.basicConfig(level=logging.WARNING)
    args.rates = [float(r) for r in args.rates.split(",")]
    args.overrides = {}
    plain = measure_plain(args)
    print(
        f"plain limit: {plain['rate']:.0f} readings/s ({plain['rows']} rows in {plain['seconds']} s)"
    )
    if args.skip_pipeline:
        return 0
    best, steps = measure_pipeline(args)
    print(
        f"pipeline sustained: {best:.0f} readings/s (p95 freshness landing -> {args.table} "
        f"<= {args.max_freshness:.0f} s)"
    )
    ratio = best / plain["rate"] if plain["rate"] else float("nan")
    print(f"ratio pipeline / plain: {ratio:.2f} (goal >= 0.5)")
    if steps and steps[-1]["sustained"]:
        print("note: every rate was sustained; the limit is above the last step (--rates higher)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
