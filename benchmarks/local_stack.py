"""Benchmark: cold `windmill up` on an empty home until the dashboard shows gold data.

Measures, on this machine:
- time to first insight: from launching `windmill up` on an empty WINDMILL_HOME (with
  the default 24 h backfill) until the dashboard's `/api/status` reports gold data
  (`fleet.turbines_reporting` > 0, read by the dashboard from `gold_turbine_status`);
- peak memory of all processes together (the supervisor and every child: generator,
  pipeline and their JVMs, dispatcher, dashboard) as the sum of their PSS (see
  `tree_memory`; the sum of RSS is printed beside it), sampled every 0.5 s from the
  launch until `--steady-seconds` after the first insight, with each process's share at
  the peak;
- time for SIGTERM to stop everything.

    .venv/bin/python benchmarks/local_stack.py [--turbines 100] [--backfill-hours 24]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import signal
import sys
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.stack import launch_up  # noqa: E402


def tree_memory(root: psutil.Process) -> tuple[int, int, list[tuple[int, str]]]:
    """Memory of `root` and all its descendants: (sum of RSS, sum of PSS, (PSS, what) each).

    RSS counts a page once per process that maps it: the shared libraries of every Python
    and JVM process, and a JVM's whole heap twice while it forks a helper (Hadoop's local
    file system runs `chmod` and `stat` that way), so a sum of RSS can jump by a gigabyte
    for a moment. PSS (proportional set size) splits each shared page among its sharers:
    its sum is the memory the stack really holds, the figure the target is about. A child
    spawned with vfork shares its parent's address space until it execs (even PSS shows
    it whole): such a child (still running its parent's command line) is left out.
    """
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0, []
    rss = 0
    each: list[tuple[int, str]] = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            argv = process.cmdline()
            if process is not root and argv == process.parent().cmdline():
                continue  # spawned and not yet exec'd: it shares its parent's memory (vfork)
            memory = process.memory_full_info()
            what = describe(argv)
            if what in ("JVM", "-m pyspark.daemon"):  # whose helper
                what = f"{what} of {describe(process.parent().cmdline())}"
            rss += memory.rss
            each.append((memory.pss, what))
    return rss, sum(pss for pss, _ in each), each


def describe(argv: list[str]) -> str:
    """A short name for a process of the stack: its windmill command, or what it runs."""
    if "workloads.cli" in argv:
        rest = argv[argv.index("workloads.cli") + 1 :]
        return "windmill " + " ".join(rest[:2])
    if argv and argv[0].endswith("java"):
        return "JVM"
    return " ".join(argv[1:3])[:40] or "?"


def api_status(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2) as reply:
            return json.loads(reply.read())
    except (OSError, ValueError):
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turbines", type=int, default=100)
    parser.add_argument("--backfill-hours", type=float, default=24)
    parser.add_argument("--refresh-seconds", type=float, default=15)
    parser.add_argument("--steady-seconds", type=float, default=60)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the temporary home and log")
    args = parser.parse_args()

    stack = launch_up(
        "windmill-bench-stack-", args.turbines, args.backfill_hours, args.refresh_seconds
    )
    home, port, up, log = stack.home, stack.port, stack.process, stack.log
    started = time.monotonic()
    root = psutil.Process(up.pid)
    peak = peak_rss = 0
    peak_processes: list[tuple[int, str]] = []
    first_insight: float | None = None
    last_poll = 0.0
    try:
        while True:
            now = time.monotonic()
            if up.poll() is not None:
                raise SystemExit(f"windmill up exited early with {up.returncode}; see {log.name}")
            if now - started > args.timeout:
                raise SystemExit(f"no gold data on the dashboard after {args.timeout:.0f} s")
            rss, pss, each = tree_memory(root)
            peak_rss = max(peak_rss, rss)
            if pss > peak:
                peak, peak_processes = pss, each
            if first_insight is None and now - last_poll >= 0.5:
                last_poll = now
                status = api_status(port)
                fleet = (status or {}).get("fleet") or {}
                if fleet.get("turbines_reporting"):
                    first_insight = now - started
                    print(
                        f"first insight after {first_insight:.1f} s: "
                        f"{fleet['turbines_reporting']} turbines reporting, "
                        f"{fleet.get('power_now_mw')} MW",
                        flush=True,
                    )
            if first_insight is not None and now - started >= first_insight + args.steady_seconds:
                break
            time.sleep(0.5)
        stop_started = time.monotonic()
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=60)
        stopped_in = time.monotonic() - stop_started
    finally:
        if up.poll() is None:
            up.kill()
        log.close()
        if not args.keep and up.returncode == 0:
            shutil.rmtree(home, ignore_errors=True)
            Path(log.name).unlink(missing_ok=True)
    print(
        f"time to first insight (cold start, {args.backfill_hours:g} h backfill of "
        f"{args.turbines} turbines): {first_insight:.1f} s"
    )
    print(
        f"peak memory of all processes together: {peak / 2**20:.0f} MiB PSS "
        f"(sum of RSS, counting shared pages once per process: {peak_rss / 2**20:.0f} MiB) "
        f"(until {args.steady_seconds:.0f} s after first insight; target <= 2560 MiB)"
    )
    print(f"SIGTERM to everything stopped: {stopped_in:.1f} s")
    print(
        "at the peak (PSS): "
        + ", ".join(f"{what} {rss / 2**20:.0f}" for rss, what in sorted(peak_processes)[::-1])
        + " MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
