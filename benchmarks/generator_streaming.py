"""Streaming generator at the issue-15 rate: does it keep its schedule? (target: no late batch)

Two real runs of `windmill generate` (a new process on an empty home each, from spawn
to exit), 10,000 turbines, 10,000 readings a batch by default:

- scheduled: --batch-interval 10 (1,000 readings/s) for --batches ticks. Per batch, the
  lag is the time from its tick (the time it stamps on its readings, start + k × interval)
  to its file appearing in the landing folder (the file's mtime). Prints the achieved
  rate (readings over the time from the first file to the last), the lag p50/max,
  the late batches the generator itself counted (run metrics in the ledger) and the
  generator's peak memory (RSS of the process tree).
- capacity: --batch-interval 0, as fast as it can: readings/s and seconds per batch,
  the headroom over the scheduled rate.

    .venv/bin/python benchmarks/generator_streaming.py [--turbines 10000]
        [--records-per-batch 10000] [--interval 10] [--batches 6]

Prints the load average before and after (figures taken on a busy machine say so).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.memory import PeakMemory  # noqa: E402


def run(home: Path, turbines: int, per_batch: int, interval: float, batches: int) -> dict:
    """One `windmill generate` streaming run; its files' stamps and mtimes, its metrics."""
    command = [
        str(REPO / ".venv" / "bin" / "windmill"), "generate",
        "--records-per-batch", str(per_batch), "--batch-interval", f"{interval:g}",
        "--turbines", str(turbines), "--max-iterations", str(batches),
    ]  # fmt: skip
    env = {**os.environ, "WINDMILL_HOME": str(home)}
    began = time.time()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    memory = PeakMemory(process.pid, every=0.2)
    memory.start()
    process.wait()
    peak = memory.stop()
    stderr = process.stderr.read() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"generator failed ({process.returncode}):\n{stderr[-3000:]}")
    ended = time.time()
    from workloads.config import Paths
    from workloads.ledger import Ledger

    paths = Paths(home)
    files = sorted(paths.landing.glob("batch-*.jsonl"))
    ticks, written = [], []
    for path in files:
        with open(path) as handle:
            first = json.loads(handle.readline())["timestamp"]
        ticks.append(datetime.fromisoformat(first.replace("Z", "+00:00")).timestamp())
        written.append(path.stat().st_mtime)
    metrics = Ledger(paths.ledger).list_jobs()[0]["latest_runs"][0]["metrics"]
    return {
        "files": len(files),
        "readings": metrics["readings"],
        "ticks": ticks,
        "written": written,
        "metrics": metrics,
        "peak_rss": peak,
        "process_seconds": ended - began,
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * (len(ordered) - 1) + 0.5))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turbines", type=int, default=10_000)
    parser.add_argument("--records-per-batch", type=int, default=10_000)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--batches", type=int, default=6)
    args = parser.parse_args(argv)
    per_batch, interval = args.records_per_batch, args.interval
    print(f"load average before: {os.getloadavg()[0]:.2f} (2-core machine: > 2 is contended)")
    with tempfile.TemporaryDirectory(prefix="h6-stream-") as scratch:
        scheduled = run(
            Path(scratch) / "scheduled", args.turbines, per_batch, interval, args.batches
        )
        capacity = run(Path(scratch) / "capacity", args.turbines, per_batch, 0.0, args.batches)
    target = per_batch / interval
    lags = [w - t for t, w in zip(scheduled["ticks"], scheduled["written"], strict=True)]
    written = scheduled["written"]
    # Readings after the first file over the time from the first file to the last: on
    # schedule that is the target rate; behind schedule, what the generator can sustain.
    achieved = (len(written) - 1) * per_batch / max(written[-1] - written[0], 1e-9)
    late = scheduled["metrics"]["late_batches"]
    print(
        f"scheduled: {args.batches} batches of {per_batch} readings every {interval:g} s, "
        f"{args.turbines} turbines (target {target:,.0f} readings/s)"
    )
    print(
        f"  achieved {achieved:,.0f} readings/s from the first file to the last;"
        f" lag tick -> file p50 {percentile(lags, 0.5):.2f} s, max {max(lags):.2f} s"
    )
    print(
        f"  late batches (written after the next tick): {late};"
        f" generator's own max lag {scheduled['metrics']['max_lag_seconds']:.2f} s;"
        f" peak RSS {scheduled['peak_rss'] / 2**20:,.0f} MiB"
    )
    fast = capacity["written"]
    per_file = (fast[-1] - fast[0]) / max(1, len(fast) - 1)
    rate = per_batch / max(per_file, 1e-9)
    print(
        f"capacity: --batch-interval 0: {per_file:.2f} s a batch, {rate:,.0f} readings/s"
        f" ({rate / target:.1f}x the scheduled rate); process {capacity['process_seconds']:.1f} s"
        " from spawn to exit (start-up included)"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"-> {'kept' if late == 0 else 'MISSED'} its schedule (target: no late batch)")
    return 0 if late == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
