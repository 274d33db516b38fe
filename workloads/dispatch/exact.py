"""Exhaustive search: the proven optimum of a small instance (the benchmark's reference).

For every crew, every ordered sequence of the tasks it may do is enumerated (depth-first,
cutting a branch once the crew could no longer get home in its shift, which no extension
can repair since distances obey the triangle inequality); the cheapest route per task set
is kept. A dynamic programme over disjoint task sets then splits the tasks between crews
and "unrouted". Exponential: meant for at most ~10 tasks.
"""

from __future__ import annotations

import math

from workloads.dispatch.evaluate import SHIFT_TOLERANCE_HOURS, evaluate, unrouted_cost
from workloads.dispatch.model import KM_COST, Crew, Instance, Plan, haversine_km

MAX_EXACT_TASKS = 10


def _best_routes(instance: Instance, crew: Crew) -> dict[int, tuple[float, tuple[int, ...]]]:
    """Task set (bit mask) -> (cheapest route cost, order) for one crew; feasible sets only."""
    tasks = instance.tasks
    n = len(tasks)
    allowed = [i for i, t in enumerate(tasks) if t.skill in crew.skills]
    home = [haversine_km(crew.latitude, crew.longitude, t.latitude, t.longitude) for t in tasks]
    dist = [
        [haversine_km(a.latitude, a.longitude, b.latitude, b.longitude) for b in tasks]
        for a in tasks
    ]
    deadline = [instance.deadline_hours(t) for t in tasks]
    limit = crew.shift_hours + SHIFT_TOLERANCE_HOURS
    best: dict[int, tuple[float, tuple[int, ...]]] = {0: (0.0, ())}

    def extend(mask: int, last: int, clock: float, km: float, late: float, order: tuple) -> None:
        for i in allowed:
            if mask >> i & 1:
                continue
            leg = dist[last][i] if last >= 0 else home[i]
            start = clock + leg / crew.speed_kmh
            finish = start + tasks[i].duration_hours
            if finish + home[i] / crew.speed_kmh > limit:
                continue  # cannot get home in time, with or without more tasks
            lateness = late + tasks[i].weight * max(0.0, start - deadline[i])
            total_km = km + leg
            cost = lateness + KM_COST * (total_km + home[i])
            new_mask = mask | 1 << i
            new_order = (*order, i)
            if cost < best.get(new_mask, (math.inf,))[0]:
                best[new_mask] = (cost, new_order)
            extend(new_mask, i, finish, total_km, lateness, new_order)

    if n:
        extend(0, -1, 0.0, 0.0, 0.0, ())
    return best


def solve_exact(instance: Instance) -> Plan:
    """The optimal plan by exhaustive search (at most MAX_EXACT_TASKS tasks)."""
    n = len(instance.tasks)
    if n > MAX_EXACT_TASKS:
        raise ValueError(f"exhaustive search is for at most {MAX_EXACT_TASKS} tasks, got {n}")
    full = (1 << n) - 1
    penalty = [0.0] * (1 << n)
    for mask in range(1, 1 << n):
        low = (mask & -mask).bit_length() - 1
        penalty[mask] = penalty[mask & (mask - 1)] + unrouted_cost(instance.tasks[low])
    per_crew = [_best_routes(instance, crew) for crew in instance.crews]

    # after[k][U]: cheapest way to handle the tasks in U with crews k.. (rest unrouted).
    m = len(instance.crews)
    after: list[list[float]] = [[0.0] * (1 << n) for _ in range(m + 1)]
    choice: list[list[int]] = [[0] * (1 << n) for _ in range(m)]
    after[m] = penalty[:]
    for k in range(m - 1, -1, -1):
        best_k = per_crew[k]
        for universe in range(1 << n):
            best_cost, best_set = after[k + 1][universe], 0
            subset = universe
            while subset:
                route = best_k.get(subset)
                if route is not None:
                    cost = route[0] + after[k + 1][universe & ~subset]
                    if cost < best_cost:
                        best_cost, best_set = cost, subset
                subset = (subset - 1) & universe
            after[k][universe] = best_cost
            choice[k][universe] = best_set

    sequences: dict[str, list[str]] = {}
    universe = full
    for k, crew in enumerate(instance.crews):
        subset = choice[k][universe]
        order = per_crew[k][subset][1] if subset else ()
        sequences[crew.crew_id] = [instance.tasks[i].task_id for i in order]
        universe &= ~subset
    return evaluate(instance, sequences, stats={"method": "exhaustive", "optimum": after[0][full]})
