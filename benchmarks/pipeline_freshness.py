"""Freshness: delay from a reading's landing file to its row in gold_turbine_status.

Runs the pipeline in continuous mode (one warm engine, an update whenever new landing
files arrive) while the real generator (`windmill generate`, its own classic-Spark
process) writes 10 readings every 2 s. After each update, every landing file whose
readings all show in gold_turbine_status (the turbine's latest timestamp is at or
after the reading's) gets its delay = update end - file landing time (its mtime).
Prints p50/p95 (target p95 <= 10 s on the 2-core machine) for the steady state: files
that landed after the first update that ingested readings had finished (until then the
generator's JVM is starting next to the engine and the streams run their first batch);
the warm-up files' delays are printed on their own line. Also: the backlog (landing files
not yet in gold_turbine_status) at each update, its largest value in each half of the run
(kept up: the second half's is no bigger than the first's), failed updates (from the
ledger), and the peak resident memory of this process with its children (the engine's
JVM, the generator).

    .venv/bin/python benchmarks/pipeline_freshness.py [--batches 60]
    # issue 15's sustained run: 10,000 turbines, 1,000 readings/s, 30 minutes (target p95 <= 15 s)
    .venv/bin/python benchmarks/pipeline_freshness.py --turbines 10000 \
        --records-per-batch 10000 --batch-interval 10 --batches 180

The check after each update that refreshes gold_turbine_status reads it (one row per
turbine) in the engine's loop, so at 10,000 turbines it adds a little to those updates'
turnaround; alert-path updates, which do not refresh it, are not checked. `-v` prints
each lane's update time and its flows' own times.
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

from benchmarks.lanes import completed_updates, percentile, print_lanes  # noqa: E402
from benchmarks.memory import PeakMemory  # noqa: E402
from workloads import names  # noqa: E402
from workloads.config import Paths  # noqa: E402
from workloads.ledger import Ledger  # noqa: E402


def file_readings(path: Path) -> list[tuple[str, datetime]]:
    out = []
    for text in path.read_text().splitlines():
        row = json.loads(text)
        moment = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
        out.append((row["turbine_id"], moment.replace(tzinfo=None)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=60, help="generator batches")
    parser.add_argument("--batch-interval", type=float, default=2.0, help="s between batches")
    parser.add_argument("--records-per-batch", type=int, default=10)
    parser.add_argument("--turbines", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.5, help="landing poll interval (s)")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="per lane: update time and each flow's own time",
    )
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
    backlog: list[tuple[float, int]] = []  # (time, files landed but not yet in gold)
    memory = PeakMemory()
    memory.start()

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
                    str(args.records_per_batch),
                    "--batch-interval",
                    f"{args.batch_interval:g}",
                    "--max-iterations",
                    str(args.batches),
                    "--turbines",
                    str(args.turbines),
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
        files = sorted(home.landing.glob("[!.]*.jsonl"))
        if result.refreshed(names.GOLD_STATUS):  # an alert-path update publishes no status
            latest = {
                r.turbine_id: r.timestamp
                for r in spark.read.table("windmill.gold_turbine_status").collect()
            }
            for path in files:
                if path.name in delays:
                    continue
                if path.name not in pending:
                    pending[path.name] = (path.stat().st_mtime, file_readings(path))
                landed, readings = pending[path.name]
                if all(latest.get(t) is not None and latest[t] >= ts for t, ts in readings):
                    delays[path.name] = ended - landed
                    landed_at[path.name] = landed
                    del pending[path.name]
        waiting = sum(1 for path in files if path.name not in delays)
        backlog.append((ended, waiting))
        if generator.poll() is not None and not waiting:
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
    memory.stop()
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
    steady_backlog = [(t, n) for t, n in backlog if t >= warm]
    if steady_backlog:
        middle = steady_backlog[0][0] + (steady_backlog[-1][0] - steady_backlog[0][0]) / 2
        first = max((n for t, n in steady_backlog if t < middle), default=0)
        second = max((n for t, n in steady_backlog if t >= middle), default=0)
        print(
            f"  backlog (files landed, not yet in gold): largest {first} in the first half, "
            f"{second} in the second ({'kept up' if second <= first else 'GROWING'})"
        )
    if args.verbose:  # the steady state's updates, from the ledger
        print_lanes(completed_updates(home, since=warm), flows=True)
    ledger = Ledger(home.ledger)
    runs = ledger.list_updates(ledger.ensure_pipeline(names.PIPELINE_NAME), 10_000)
    failed = [u for u in runs if u["state"] == "FAILED"]
    print(f"  updates: {len(runs)} in the ledger, {len(failed)} failed")
    print(
        f"  peak memory (RSS, this process + engine JVM + generator): {memory.peak / 2**20:,.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
