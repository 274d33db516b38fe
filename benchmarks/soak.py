"""Soak: `windmill up` for a while, with viewers on the API and readers on gold.

While the whole local system runs (generator streaming, continuous pipeline, dispatcher,
dashboard), this script keeps, until `--minutes` have passed:
- `--viewers` simulated viewers (threads), each polling `/api/status`, `/api/alerts` and
  `/api/pipelines` in turn, one request a second;
- one reader loop on gold through the dashboard's own local reader (pyarrow on the
  published table versions), reading every gold table the dashboard reads;
- one reader loop through `windmill sql "SELECT count(*) FROM gold_turbine_status"`
  (a process per query, attached to the running engine).

An *empty read* is a read, after gold data first appeared, that shows no data: a
`/api/status` with no turbines reporting, an `/api/alerts` without its list, a gold
table missing or with 0 rows, a `windmill sql` count of 0. Errors are failed requests,
exceptions and non-zero exits. Memory (RSS) of the dashboard process and of the
supervisor is sampled at the first insight, at 5 minutes and at the end; the goal is
growth ≤ 10% from 5 minutes to the end.

    .venv/bin/python benchmarks/soak.py --minutes 30 [--viewers 20] [--turbines 100]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.stack import launch_up  # noqa: E402
from dashboard.sources import LocalGoldSource  # noqa: E402
from workloads import names  # noqa: E402
from workloads.config import Paths  # noqa: E402

ENDPOINTS = ("/api/status", "/api/alerts", "/api/pipelines")
# Tables that always have rows once the pipeline has run (alerts may rightly be empty).
NEVER_EMPTY = (names.GOLD_STATUS, names.GOLD_HOURLY)


class Tally:
    """Counts shared by the reader threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reads: Counter[str] = Counter()
        self.empty: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.examples: list[str] = []

    def add(self, kind: str, *, empty: bool = False, error: str | None = None) -> None:
        with self.lock:
            self.reads[kind] += 1
            if empty:
                self.empty[kind] += 1
            if error is not None:
                self.errors[kind] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{kind}: {error[:200]}")


def get_json(port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
        return json.loads(reply.read())


def has_gold(status: dict | None) -> bool:
    return bool(((status or {}).get("fleet") or {}).get("turbines_reporting"))


def viewer(port: int, tally: Tally, stop: threading.Event) -> None:
    turn = 0
    while not stop.is_set():
        path = ENDPOINTS[turn % len(ENDPOINTS)]
        turn += 1
        try:
            body = get_json(port, path)
        except (OSError, ValueError) as exc:
            tally.add(path, error=f"{type(exc).__name__}: {exc}")
        else:
            if path == "/api/status":
                tally.add(path, empty=not has_gold(body))
            elif path == "/api/alerts":
                tally.add(path, empty=not isinstance(body.get("alerts"), list))
            else:
                tally.add(path, empty=not body.get("pipelines"))
        stop.wait(1.0)


def gold_reader(home: Path, tally: Tally, stop: threading.Event) -> None:
    source = LocalGoldSource(Paths(home))
    while not stop.is_set():
        for table in names.DASHBOARD_GOLD_TABLES:
            kind = f"reader:{table}"
            try:
                frame = source.read_table(table)
            except Exception as exc:  # a failed read is what this counts
                tally.add(kind, error=f"{type(exc).__name__}: {exc}")
                continue
            missing = frame is None and table != names.GOLD_DISPATCH
            zero = frame is not None and frame.empty and table in NEVER_EMPTY
            tally.add(kind, empty=missing or zero)
        stop.wait(0.2)


def sql_reader(home: Path, tally: Tally, stop: threading.Event) -> None:
    env = {**os.environ, "WINDMILL_HOME": str(home)}
    query = f"SELECT count(*) AS n FROM {names.GOLD_STATUS}"
    command = [sys.executable, "-m", "workloads.cli", "sql", query, "--format", "json"]
    while not stop.is_set():
        done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or [f"exit {done.returncode}"]
            tally.add("windmill sql", error=lines[-1])
            continue
        try:
            count = json.loads(done.stdout)[0]["n"]
        except (ValueError, LookupError, TypeError) as exc:
            tally.add("windmill sql", error=f"unreadable output {done.stdout[:100]!r}: {exc}")
            continue
        tally.add("windmill sql", empty=count == 0)


def component_rss(root: psutil.Process) -> dict[str, int]:
    """RSS of the supervisor and of the dashboard process (with its own children)."""
    sizes = {"supervisor": 0, "dashboard": 0}
    with contextlib.suppress(psutil.NoSuchProcess):
        sizes["supervisor"] = root.memory_info().rss
        for child in root.children():
            with contextlib.suppress(psutil.NoSuchProcess):
                if "dashboard" in " ".join(child.cmdline()):
                    tree = [child, *child.children(recursive=True)]
                    sizes["dashboard"] = sum(p.memory_info().rss for p in tree)
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--turbines", type=int, default=100)
    parser.add_argument("--backfill-hours", type=float, default=24)
    parser.add_argument("--refresh-seconds", type=float, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    args = parser.parse_args()

    stack = launch_up("windmill-soak-", args.turbines, args.backfill_hours, args.refresh_seconds)
    home, port, up, log = stack.home, stack.port, stack.process, stack.log
    print(f"soaking {args.minutes:g} min with {args.viewers} viewers", flush=True)
    started = time.monotonic()
    root = psutil.Process(up.pid)
    tally = Tally()
    stop = threading.Event()
    threads: list[threading.Thread] = []
    memory: dict[str, dict[str, int]] = {}
    try:
        while True:  # wait for the first insight
            if up.poll() is not None:
                raise SystemExit(f"windmill up exited early with {up.returncode}; see {log.name}")
            if time.monotonic() - started > 900:
                raise SystemExit("no gold data on the dashboard after 900 s")
            with contextlib.suppress(OSError, ValueError):
                if has_gold(get_json(port, "/api/status")):
                    break
            time.sleep(0.5)
        insight = time.monotonic()
        print(f"first insight after {insight - started:.1f} s; soaking", flush=True)
        memory["first insight"] = component_rss(root)
        workers = [(viewer, (port, tally, stop))] * args.viewers
        workers += [(gold_reader, (home, tally, stop)), (sql_reader, (home, tally, stop))]
        for target, worker_args in workers:
            thread = threading.Thread(target=target, args=worker_args, daemon=True)
            thread.start()
            threads.append(thread)
        deadline = insight + args.minutes * 60
        while time.monotonic() < deadline:
            if up.poll() is not None:
                raise SystemExit(f"windmill up exited with {up.returncode}; see {log.name}")
            if "5 min" not in memory and time.monotonic() - insight >= 300:
                memory["5 min"] = component_rss(root)
            time.sleep(1)
        memory["end"] = component_rss(root)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        up.send_signal(signal.SIGINT)
        up.wait(timeout=60)
    finally:
        stop.set()
        if up.poll() is None:
            up.kill()
        log.close()

    print(f"\nsoak of {args.minutes:g} min after the first insight, {args.turbines} turbines")
    print(f"{'reader':36} {'reads':>7} {'empty':>6} {'errors':>6}")
    for kind in sorted(tally.reads):
        print(f"{kind:36} {tally.reads[kind]:7d} {tally.empty[kind]:6d} {tally.errors[kind]:6d}")
    total = sum(tally.reads.values())
    empty, errors = sum(tally.empty.values()), sum(tally.errors.values())
    print(f"{'all':36} {total:7d} {empty:6d} {errors:6d}   (goal: 0 empty, 0 errors)")
    for example in tally.examples:
        print(f"  error: {example}")
    print("\nRSS (MiB)        " + "".join(f"{moment:>15}" for moment in memory))
    for part in ("supervisor", "dashboard"):
        row = "".join(f"{sizes[part] / 2**20:15.0f}" for sizes in memory.values())
        print(f"{part:17}{row}")
    if "5 min" in memory:
        for part in ("supervisor", "dashboard"):
            base = memory["5 min"][part] or 1
            growth = memory["end"][part] / base - 1
            print(f"{part} growth from 5 min to the end: {growth:+.1%} (goal ≤ +10%)")
    print(f"windmill up exit code after SIGINT: {up.returncode}")
    if not args.keep and up.returncode == 0 and errors == 0:
        shutil.rmtree(home, ignore_errors=True)
        Path(log.name).unlink(missing_ok=True)
    else:
        print(f"kept {home} and {log.name}")
    return 0 if empty == 0 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
