"""An independent checker of dispatch plans (test-only): feasibility and cost from the JSON.

Written from the issue's problem statement without the package's evaluator, so a bug in
the evaluator cannot hide a bug in a solver.
"""

from __future__ import annotations

import math
from datetime import datetime

WEIGHT = {"CRITICAL": 100.0, "WARNING": 10.0, "INFO": 1.0}
DEADLINE_H = {"CRITICAL": 4.0, "WARNING": 24.0, "INFO": 72.0}
SKILL = {
    "GEARBOX_OVERHEAT": "mechanical",
    "HIGH_VIBRATION": "mechanical",
    "LOW_OIL_PRESSURE": "mechanical",
    "GENERATOR_OVERHEAT": "electrical",
    "LOW_POWER_OUTPUT": "electrical",
    "TOWER_LEAN": "structural",
    "INSPECTION": "mechanical",
}
TOLERANCE_S = 0.002  # JSON times have millisecond resolution


def km(a, b) -> float:
    p1, p2 = math.radians(a["latitude"]), math.radians(b["latitude"])
    dp = p2 - p1
    dl = math.radians(b["longitude"] - a["longitude"])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600.0


def check_plan(instance: dict, plan: dict) -> float:
    """Assert `plan` (JSON) is feasible for `instance` (JSON); return its recomputed cost."""
    now = t(instance["now"])
    crews = {c["crew_id"]: c for c in instance["crews"]}
    tasks = {x["task_id"]: x for x in instance["tasks"]}
    assert set(plan) == {"routes", "unassigned", "cost"}
    seen: list[str] = []
    cost = 0.0
    for route in plan["routes"]:
        assert set(route) == {"crew_id", "stops", "km", "return"}
        crew = crews[route["crew_id"]]
        here, clock, total_km = crew, now, 0.0
        for stop in route["stops"]:
            assert set(stop) == {"task_id", "arrival", "start", "finish"}
            task = tasks[stop["task_id"]]
            skill = task.get("skill") or SKILL[task["fault_code"]]
            assert skill in crew["skills"], (crew["crew_id"], task["task_id"])
            leg = km(here, task)
            total_km += leg
            arrival = t(stop["arrival"])
            expected = hours(now, clock) + leg / crew["speed_kmh"]
            assert abs(hours(now, arrival) - expected) * 3600 < TOLERANCE_S
            start, finish = t(stop["start"]), t(stop["finish"])
            assert start >= arrival - _ms()
            assert abs(hours(start, finish) - task["duration_hours"]) * 3600 < TOLERANCE_S
            deadline = hours(now, t(task["opened_at"])) + DEADLINE_H[task["alert_level"]]
            cost += WEIGHT[task["alert_level"]] * max(0.0, hours(now, start) - deadline)
            clock, here = finish, task
            seen.append(task["task_id"])
        leg = km(here, crew)
        total_km += leg
        back = t(route["return"])
        assert abs(hours(now, back) - (hours(now, clock) + leg / crew["speed_kmh"])) * 3600 < (
            TOLERANCE_S
        )
        assert hours(now, back) <= crew["shift_hours"] + 1e-6, crew["crew_id"]
        assert abs(route["km"] - total_km) < 1e-6
        cost += 0.01 * total_km
    unassigned = [u["task_id"] for u in plan["unassigned"]]
    assert all(u["reason"] for u in plan["unassigned"])
    assert len(seen) == len(set(seen)), "a task is routed twice"
    assert sorted(seen + unassigned) == sorted(tasks), "every task is routed or unassigned once"
    for task_id in unassigned:
        cost += WEIGHT[tasks[task_id]["alert_level"]] * 24.0
    # Times in JSON are rounded to the millisecond: lateness may differ by w × 1 ms.
    assert abs(plan["cost"] - cost) <= 1e-6 * max(1.0, cost) + 1e-4, (plan["cost"], cost)
    return cost


def _ms():
    from datetime import timedelta

    return timedelta(milliseconds=2)
