"""Alert latency: a CRITICAL reading landing → the webhook receiving its notification.

Starts `windmill up` (continuous pipeline, small fleet, short backfill, no dispatcher)
and `windmill notify --notify http://127.0.0.1:PORT/hook` (default group_wait 5 s) on a
fresh home, with a local receiver (workloads/alerting/receiver.py). Once the pipeline
publishes gold_fault_episodes, it lands one file per trial with a CRITICAL reading
(GEARBOX_OVERHEAT) of a turbine outside the generated fleet, and measures from the
file's landing to the receiver getting that turbine's firing. Prints p50/p95/max
(goal p95 ≤ 15 s), misses and the conditions, and the notifier's share on its own: from
the gold_fault_episodes version that first holds the episode being published to the
receiver getting it (the rest is the pipeline's update).

    .venv/bin/python benchmarks/alert_latency.py [--trials 20] [--spacing 8]

The notifier runs with `--group-interval 0`: the trials land a few seconds apart into the
same few site groups, and with the default 5 m interval every trial after a group's first
message would wait for that group's next one (Alertmanager's semantics); what is measured
is a new alert's first message, with the default group_wait.

`--notify-in-up` passes `--notify URL` to `windmill up` instead of starting the
notifier beside it (once `windmill up` runs the notifier component). `--ports FIRST-LAST`
is where the receiver and the dashboard listen (default 7200-7299), `--home-prefix` the
temporary home's name.

It also prints where the pipeline's time went, from the ledger (`phases`): each lane's
update time and when gold_fault_episodes' files were published within its update.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.lanes import completed_updates, percentile, print_lanes  # noqa: E402
from workloads import names, storage  # noqa: E402
from workloads.alerting.receiver import Receiver, free_port  # noqa: E402
from workloads.config import Paths  # noqa: E402
from workloads.contract import classify, turbine_id  # noqa: E402

FIRST_TRIAL_TURBINE = 90001  # outside any generated fleet


def critical_reading(number: int, moment: datetime) -> dict:
    row = {
        "turbine_id": turbine_id(number),
        "timestamp": moment.isoformat().replace("+00:00", "Z"),
        "wind_speed": 9.0, "wind_direction": 180.0, "rotor_rpm": 12.0, "power_output": 1500.0,
        "nacelle_temperature": 30.0, "gearbox_temperature": 92.0, "generator_temperature": 55.0,
        "vibration_level": 1.0, "oil_pressure": 50.0, "brake_pressure": 100.0,
        "pitch_angle": 5.0, "yaw_angle": 180.0, "tower_lean": 0.5,
        "latitude": 55.68, "longitude": -4.27,
        "batch_id": f"alert-bench-{number}",
        "ingestion_timestamp": moment.isoformat().replace("+00:00", "Z"),
    }  # fmt: skip
    row["fault_code"], row["alert_level"], row["maintenance_needed"] = classify(row)
    assert row["alert_level"] == "CRITICAL", row
    return row


def land(paths: Paths, number: int) -> float:
    """Write one landing file (atomically, as the generator does); returns its landing time."""
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [critical_reading(number, now - timedelta(seconds=s)) for s in (10, 0)]
    folder = paths.landing
    folder.mkdir(parents=True, exist_ok=True)
    name = f"batch-{now:%Y%m%dT%H%M%S}Z-alert-bench-{number}.jsonl"
    tmp = folder / f".{name}.tmp"
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    os.replace(tmp, folder / name)
    return time.time()


def wait_for_episodes(paths: Paths, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if storage.read_table(paths, names.GOLD_EPISODES) is not None:
                return time.monotonic() - started
        except (OSError, ValueError):
            pass
        time.sleep(2)
    raise SystemExit(f"gold_fault_episodes did not appear within {timeout:.0f} s")


class EpisodeWatch(threading.Thread):
    """When each watched turbine's episode first appeared in a published version."""

    def __init__(self, paths: Paths, turbines: set[str]) -> None:
        super().__init__(daemon=True)
        self.paths, self.turbines = paths, turbines
        self.first_seen: dict[str, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        seen_version = None
        while not self.done.is_set():
            version = storage.current_version(self.paths, names.GOLD_EPISODES)
            if version is not None and version.number != seen_version:
                seen_version = version.number
                try:
                    frame = storage.read_table(self.paths, names.GOLD_EPISODES, ["turbine_id"])
                except (OSError, ValueError):
                    frame = None
                for who in set(frame["turbine_id"]) if frame is not None else ():
                    if who in self.turbines:
                        self.first_seen.setdefault(who, version.published_at)
            time.sleep(0.2)


def port_range(text: str) -> range:
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def pipeline_phases(paths: Paths) -> None:
    """Print each lane's update time and when the episodes were published (from the ledger)."""
    updates = completed_updates(paths)[1:]  # the first update (the history) is not steady state
    print_lanes(updates)
    episodes_at = [
        at
        for u in updates
        if (at := u["metrics"].get("phases", {}).get("published", {}).get(names.GOLD_EPISODES))
        is not None
    ]
    if episodes_at:
        print(
            f"gold_fault_episodes files published, from its update's start: p50 "
            f"{percentile(episodes_at, 0.5):.1f} s  p95 {percentile(episodes_at, 0.95):.1f} s"
        )


def stop(process: subprocess.Popen, grace: float = 60) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--spacing", type=float, default=8.0, help="seconds between trials")
    parser.add_argument("--turbines", type=int, default=20)
    parser.add_argument("--backfill-hours", type=float, default=0.5)
    parser.add_argument("--receiver-port", type=int, default=None, help="default: in --ports")
    parser.add_argument("--ports", type=port_range, default=range(7200, 7300), metavar="A-B")
    parser.add_argument("--home-prefix", default="alert-latency-")
    parser.add_argument("--notify-in-up", action="store_true")
    parser.add_argument("--startup-timeout", type=float, default=900)
    parser.add_argument(
        "--collect-timeout", type=float, default=300, help="wait after the last trial (s)"
    )
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix=args.home_prefix))
    paths = Paths(home)
    half = args.ports.start + len(args.ports) // 2
    receiver = Receiver(args.receiver_port or free_port(range(args.ports.start, half))).start()
    env = {**os.environ, "WINDMILL_HOME": str(home)}
    up_cmd = [
        sys.executable, "-m", "workloads.cli", "up", "--no-dispatch",
        "--turbines", str(args.turbines), "--backfill-hours", str(args.backfill_hours),
        "--port", str(free_port(range(half, args.ports.stop))),
    ]  # fmt: skip
    if args.notify_in_up:
        up_cmd += ["--notify", receiver.url, "--group-interval", "0"]
    log = open(home.parent / f"{home.name}.log", "w")  # noqa: SIM115
    print(f"home {home}; receiver {receiver.url}; log {log.name}", flush=True)
    up = subprocess.Popen(up_cmd, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    notifier = None
    try:
        waited = wait_for_episodes(paths, args.startup_timeout)
        print(f"gold_fault_episodes published after {waited:.0f} s", flush=True)
        if not args.notify_in_up:
            notifier = subprocess.Popen(
                [sys.executable, "-m", "workloads.cli", "notify", "--sla-every", "0",
                 "--group-interval", "0"],
                env={**env, "WINDMILL_NOTIFY": receiver.url},
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            time.sleep(10)  # its first round notifies what is open already (not measured)
        landed: dict[str, float] = {}
        watch = EpisodeWatch(
            paths, {turbine_id(FIRST_TRIAL_TURBINE + i) for i in range(args.trials)}
        )
        watch.start()
        for i in range(args.trials):
            number = FIRST_TRIAL_TURBINE + i
            landed[turbine_id(number)] = land(paths, number)
            time.sleep(args.spacing)
        deadline = time.time() + args.collect_timeout
        received: dict[str, float] = {}
        while time.time() < deadline and len(received) < len(landed):
            for alert in receiver.alerts():
                who = alert["labels"].get("turbine_id")
                if who in landed and alert["status"] == "firing" and who not in received:
                    received[who] = alert["received_at"]
            time.sleep(0.5)
        watch.done.set()
    finally:
        if notifier is not None:
            stop(notifier, 20)
        stop(up)
        receiver.stop()
        log.close()
    latencies = [received[t] - landed[t] for t in received]
    missed = len(landed) - len(received)
    print(
        f"alert latency (CRITICAL reading landed -> webhook received), {len(latencies)} of "
        f"{len(landed)} trials, {missed} missed; group_wait 5 s, continuous pipeline, "
        f"{args.turbines} turbines, {os.cpu_count()} cores"
    )
    if latencies:
        p95 = percentile(latencies, 0.95)
        print(
            f"p50 {percentile(latencies, 0.5):.1f} s  p95 {p95:.1f} s  max {max(latencies):.1f} s"
            f"  (goal p95 <= 15 s: {'met' if p95 <= 15 and not missed else 'NOT met'})"
        )
        share = [received[t] - watch.first_seen[t] for t in received if t in watch.first_seen]
        if share:
            print(
                f"notifier's share (episode published -> webhook received): p50 "
                f"{percentile(share, 0.5):.1f} s  p95 {percentile(share, 0.95):.1f} s  "
                f"max {max(share):.1f} s"
            )
    pipeline_phases(paths)
    return 0 if latencies and not missed else 1


if __name__ == "__main__":
    sys.exit(main())
