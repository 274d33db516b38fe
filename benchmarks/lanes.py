"""The continuous engine's updates per lane (alert path, rest, all), read from the ledger."""

from __future__ import annotations

import statistics
from datetime import datetime

from workloads import names
from workloads.config import Paths
from workloads.engine.runner import lane_name
from workloads.ledger import Ledger


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def completed_updates(paths: Paths, since: float | None = None) -> list[dict]:
    """The pipeline's completed updates with metrics, oldest first; with `since` (epoch
    seconds) only those that started at or after it."""
    ledger = Ledger(paths.ledger)
    updates = ledger.list_updates(ledger.ensure_pipeline(names.PIPELINE_NAME), limit=100_000)
    kept = [
        u
        for u in reversed(updates)
        if u["state"] == "COMPLETED" and "duration_s" in (u.get("metrics") or {})
    ]
    if since is None:
        return kept
    return [u for u in kept if datetime.fromisoformat(u["started_at"]).timestamp() >= since]


def by_lane(updates: list[dict]) -> dict[str, list[dict]]:
    lanes: dict[str, list[dict]] = {}
    for update in updates:
        lanes.setdefault(lane_name(update["metrics"].get("refreshed")), []).append(update)
    return lanes


def print_lanes(updates: list[dict], flows: bool = False) -> None:
    """Per lane: its updates' time (p50/p95); with `flows`, each flow's own time (p50/max)
    and when it was done (seconds from the update's start, p50)."""
    for lane, group in sorted(by_lane(updates).items()):
        durations = [u["metrics"]["duration_s"] for u in group]
        print(
            f"pipeline updates ({lane}): {len(durations)}, p50 {percentile(durations, 0.5):.1f} s"
            f"  p95 {percentile(durations, 0.95):.1f} s"
        )
        if not flows:
            continue
        times: dict[str, dict[str, list[float]]] = {}
        for update in group:
            for flow, phase in update["metrics"].get("phases", {}).get("flows", {}).items():
                for key, seconds in phase.items():  # "run" and/or "done"
                    times.setdefault(flow, {}).setdefault(key, []).append(seconds)
        for flow, flow_times in sorted(times.items()):
            parts = []
            if "run" in flow_times:
                run = flow_times["run"]
                parts.append(f"own time p50 {statistics.median(run):.2f} s, max {max(run):.2f} s")
            if "done" in flow_times:
                parts.append(f"done p50 +{statistics.median(flow_times['done']):.1f} s")
            print(f"  {flow}: {'; '.join(parts)}")
