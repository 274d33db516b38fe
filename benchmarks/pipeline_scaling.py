"""Update cost against fleet size, history and new data: does it grow with new data only?

Each case gets its own process, home and warm engine (`runner.start_engine`; an engine
started after another in one process, on another home, ran updates whose gold views came
out empty, so `engine_session` now refuses that), a history landed and taken in by one
first update, then `--updates` measured updates (after one warm-up
update), each landing one file of new readings that continue the history in data time.
The median `duration_s` of the measured updates is the case's update time (the
runner's per-phase log line, at INFO with `-v`, says which flow took it). Data times are
fixed (from 2026-01-05) and the gold windows end at the latest reading (`as_of=latest`,
the history-replay setting), so every view has its full window of rows to compute.

Cases (defaults; flags change them):

- **Fleet size**: 100, 1,000 and 10,000 turbines, each with 6 hours of history at a
  10-minute interval, and the same `--new` (10,000) readings per update: 100 turbines
  report 100 times 10 s apart, 10,000 turbines once.
- **History**: one fleet of `--history-fleet` (100) turbines with 1 day of history at a
  1-minute interval vs 30 days at a 10-minute interval (the coarser interval keeps the
  30-day first update affordable: 432,000 rows instead of 4.3 million; what grows is the
  days and partitions a view might scan), the same `--history-new` (1,000) readings per
  update. Target: 30 days within 1.3x of 1 day.
- **New readings**: on the 1,000-turbine engine of the fleet cases, updates of 1,000,
  10,000 and 30,000 new readings: roughly linear in new readings (plus a fixed part).

Prints one table. Figures taken on a shared machine are contended; say so.

    .venv/bin/python benchmarks/pipeline_scaling.py [--updates 3] [-v]
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.pipeline_throughput import START, write_readings  # noqa: E402
from workloads.config import Paths  # noqa: E402

NEW_STEP = timedelta(seconds=10)  # data-time spacing of new readings
# Fixed data times (2026-01-05 on): gold windows end at the data's latest reading.
REPLAY = {"as_of": "latest"}


class Case:
    """One warm engine on its own home with a history; `measure(n)` times updates of n."""

    def __init__(self, turbines: int, days: float, interval_min: float, keep=False, compact=True):
        self.turbines, self.keep = turbines, keep
        self.home = Paths(Path(tempfile.mkdtemp(prefix="bench-scale-")))
        step = timedelta(minutes=interval_min)
        moments = int(days * 24 * 60 / interval_min)
        per_file = max(1, 60 // max(1, round(interval_min)))  # about an hour of data a file
        self.history_rows, index = 0, 0
        for first in range(0, moments, per_file):
            count = min(per_file, moments - first)
            self.history_rows += write_readings(
                self.home.landing,
                f"history-{index:06d}.jsonl",
                range(1, turbines + 1),
                START + first * step,
                count,
                step,
            )
            index += 1
        self.next_moment = START + moments * step
        self.files = index
        from workloads.engine import runner

        self.runner = runner
        self.spark, _ = runner.start_engine(self.home)
        first = runner.run_update(self.spark, self.home, overrides=REPLAY)
        if not first.ok:
            raise SystemExit(f"history update failed: {first.error}")
        self.first_s = first.duration_s
        if compact:  # as the continuous engine keeps its tables (every 10 updates)
            runner.compact_between_updates(self.spark, self.home)

    def measure(self, new: int, updates: int) -> float:
        """Median seconds of `updates` updates of `new` readings each (after one warm-up)."""
        durations = []
        moments = max(1, new // self.turbines)
        fleet = range(1, min(self.turbines, new) + 1)
        for n in range(updates + 1):
            write_readings(
                self.home.landing,
                f"new-{self.files:06d}.jsonl",
                fleet,
                self.next_moment,
                moments,
                NEW_STEP,
            )
            self.files += 1
            self.next_moment += moments * NEW_STEP
            result = self.runner.run_update(self.spark, self.home, overrides=REPLAY)
            if not result.ok:
                raise SystemExit(f"update failed: {result.error}")
            if n:  # the first one warms the streams up
                durations.append(result.duration_s)
        return statistics.median(durations)

    def close(self) -> None:
        self.spark.stop()
        if not self.keep:
            shutil.rmtree(self.home.home, ignore_errors=True)


def run_case(spec: dict, updates: int, keep: bool, compact: bool) -> list[list]:
    """One case in this process: its history, then each measure; the table's rows."""
    turbines, days, interval = spec["turbines"], spec["days"], spec["interval"]
    case = Case(turbines, days, interval, keep, compact)
    rows = []
    try:
        history = f"{days:g} d @ {interval:g} min"
        for label, new in spec["measures"]:
            seconds = case.measure(new, updates)
            row = [label, turbines, history, case.history_rows, new, case.first_s, seconds]
            rows.append(row)
            print(tuple(row), flush=True)
    finally:
        case.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleets", default="100,1000,10000", help="turbines, fleet-size cases")
    parser.add_argument("--new", type=int, default=10_000, help="new readings per update")
    parser.add_argument("--linear", default="1000,10000,30000", help="new readings (1,000 fleet)")
    parser.add_argument("--history-fleet", type=int, default=100)
    parser.add_argument("--history-new", type=int, default=1_000)
    parser.add_argument("--updates", type=int, default=3, help="measured updates per case")
    parser.add_argument("--skip", default="", help="comma list of fleet,history,linear to skip")
    parser.add_argument("--keep", action="store_true", help="keep the homes")
    parser.add_argument(
        "--no-compact",
        action="store_true",
        help="leave the history's small files (by default they are merged after the history "
        "update, as the continuous engine does every 10 updates)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="the runner's phase log")
    # A case's own process (the parent passes the case as JSON and reads its rows back).
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--rows-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if args.case:
        rows = run_case(json.loads(args.case), args.updates, args.keep, not args.no_compact)
        args.rows_to.write_text(json.dumps(rows))
        return 0

    skip = set(filter(None, args.skip.split(",")))
    cases: list[dict] = []
    for turbines in (int(t) for t in args.fleets.split(",")):
        measures = [] if "fleet" in skip else [("fleet size", args.new)]
        if turbines == 1000 and "linear" not in skip:
            measures += [("new readings", int(n)) for n in args.linear.split(",")]
        if measures:
            cases.append({"turbines": turbines, "days": 0.25, "interval": 10, "measures": measures})
    if "history" not in skip:
        for days, interval in ((1, 1), (30, 10)):
            measures = [("history", args.history_new)]
            case = {"turbines": args.history_fleet, "days": days, "interval": interval}
            cases.append({**case, "measures": measures})

    rows: list[list] = []  # (case, turbines, history, history rows, new, first s, update s)
    flags = ["--updates", str(args.updates)] + ["--keep"] * args.keep + ["-v"] * args.verbose
    flags += ["--no-compact"] * args.no_compact
    with tempfile.TemporaryDirectory(prefix="bench-scale-rows-") as scratch:
        for number, spec in enumerate(cases):
            out = Path(scratch) / f"case-{number}.json"
            command = [sys.executable, __file__, "--case", json.dumps(spec), "--rows-to", str(out)]
            done = subprocess.run([*command, *flags])
            if done.returncode != 0:
                print(f"case {spec} failed (exit {done.returncode})", file=sys.stderr)
                return 1
            rows += json.loads(out.read_text())

    print()
    print(
        "| case | turbines | history | history rows | new readings/update | first update s | update s (median) |"
    )
    print("|---|---:|---|---:|---:|---:|---:|")
    for label, turbines, history, hrows, new, first, seconds in rows:
        print(
            f"| {label} | {turbines:,} | {history} | {hrows:,} | {new:,} | {first:.1f} | {seconds:.1f} |"
        )
    history = [r for r in rows if r[0] == "history"]
    if len(history) == 2:
        ratio = history[1][6] / history[0][6]
        print(f"\n30 days / 1 day update time: {ratio:.2f}x (target <= 1.3x)")
    linear = sorted((r[4], r[6]) for r in rows if r[0] == "new readings")
    if len(linear) >= 2:
        (n0, t0), (n1, t1) = linear[0], linear[-1]
        print(f"new readings {n0:,} -> {n1:,} ({n1 / n0:.0f}x): update time {t1 / t0:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
