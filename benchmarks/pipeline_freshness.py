"""Freshness: delay from a reading's landing file to its row in gold_turbine_status.

Runs the pipeline in continuous mode (one warm engine, an update whenever new landing
files arrive) while the real generator (`windmill generate`, its own classic-Spark
process) writes 10 readings every 2 s. After each update, every landing file whose
readings all show in gold_turbine_status (the turbine's latest timestamp is at or
after the reading's) gets its delay = update end - file landing time (its mtime).
Prints p50/p95 (target p95 <= 10 s on the 2-core machine) for the steady state: files
that landed after the first update that ingested readings had finished (until then the
generator's JVM is starting next to the engine and the streams run their first batch);
the warm-up files' delays are printed on their own line.

    .venv/bin/python benchmarks/pipeline_freshness.py [--batches 60]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workloads.config import Paths  # noqa: E402


def file_readings(path: Path) -> list[tuple[str, datetime]]:
    out = []
    for text in path.read_text().splitlines():
        row = json.loads(text)
        moment = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
        out.append((row["turbine_id"], moment.replace(tzinfo=None)))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=60, help="generator batches (2 s apart)")
    parser.add_argument("--interval", type=float, default=0.5, help="landing poll interval (s)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from workloads.engine import runner

    home = Paths(Path(tempfile.mkdtemp(prefix="bench-fresh-")))
    env = {**os.environ, "WINDMILL_HOME": str(home.home)}
    home.landing.mkdir(parents=True, exist_ok=True)
    delays: dict[str, float] = {}
    landed_at: dict[str, float] = {}
    warm_since: list[float] = []  # end of the first update that ingested readings
    pending: dict[str, tuple[float, list]] = {}
    stop = threading.Event()
    generator: subprocess.Popen | None = None

    def after_update(spark, result) -> None:
        nonlocal generator
        ended = time.time()
        if generator is None:  # the engine is warm: start writing
            generator = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "workloads.cli",
                    "generate",
                    "--records-per-batch",
                    "10",
                    "--batch-interval",
                    "2",
                    "--max-iterations",
                    str(args.batches),
                    "--turbines",
                    "10",
                ],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            return
        bronze = result.metrics.get("tables", {}).get("bronze_sensor_data", {})
        if not warm_since and bronze.get("rows_written", 0) > 0:
            warm_since.append(ended)
        latest = {
            r.turbine_id: r.timestamp
            for r in spark.read.table("windmill.gold_turbine_status").collect()
        }
        for path in sorted(home.landing.glob("[!.]*.jsonl")):
            if path.name in delays:
                continue
            if path.name not in pending:
                pending[path.name] = (path.stat().st_mtime, file_readings(path))
            landed, readings = pending[path.name]
            if all(latest.get(t) is not None and latest[t] >= ts for t, ts in readings):
                delays[path.name] = ended - landed
                landed_at[path.name] = landed
                del pending[path.name]
        if generator.poll() is not None and not pending:
            stop.set()

    began = time.monotonic()
    try:
        updates = runner.run_continuous(
            home, args.interval, after_update=after_update, stop_event=stop
        )
    finally:
        if generator is not None and generator.poll() is None:
            generator.terminate()
            generator.wait(timeout=60)
    warm = warm_since[0] if warm_since else float("inf")
    steady = [d for name, d in delays.items() if landed_at[name] >= warm]
    warmup = [d for name, d in delays.items() if landed_at[name] < warm]
    if not steady:
        print("pipeline_freshness: no landing file reached gold_turbine_status after warm-up")
        return 1
    print(
        f"pipeline_freshness: {len(delays)} landing files, {updates} updates in "
        f"{time.monotonic() - began:.0f} s"
    )
    print(
        f"  steady state ({len(steady)} files): landing -> gold_turbine_status delay "
        f"p50 {statistics.median(steady):.1f} s, p95 {percentile(steady, 0.95):.1f} s, "
        f"max {max(steady):.1f} s (target p95 <= 10 s)"
    )
    if warmup:
        print(
            f"  warm-up ({len(warmup)} files landing before the first update with data "
            f"ended): p50 {statistics.median(warmup):.1f} s, max {max(warmup):.1f} s"
        )
    everything = list(delays.values())
    print(
        f"  all files: p50 {statistics.median(everything):.1f} s, "
        f"p95 {percentile(everything, 0.95):.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
