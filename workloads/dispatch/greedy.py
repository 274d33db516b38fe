"""The greedy baseline: tasks by priority, each to its cheapest feasible insertion.

Priority: higher alert level first, then earlier deadline, then task id. Each task goes
to the crew and position that raise the plan's cost least while keeping the crew within
its shift; it stays unassigned when no insertion is feasible or leaving it out is cheaper.
"""

from __future__ import annotations

import numpy as np

from workloads.dispatch.evaluate import SHIFT_TOLERANCE_HOURS, evaluate, unrouted_cost
from workloads.dispatch.geometry import distance_matrix_km
from workloads.dispatch.model import KM_COST, Instance, Plan


def priority_order(instance: Instance) -> list[int]:
    """Task indices, most urgent first."""
    return sorted(
        range(len(instance.tasks)),
        key=lambda i: (
            -instance.tasks[i].weight,
            instance.tasks[i].deadline,
            instance.tasks[i].task_id,
        ),
    )


def solve_greedy(instance: Instance) -> Plan:
    """The greedy plan (deterministic)."""
    m = len(instance.crews)
    # Nodes: crews' bases 0..m-1, then tasks m..m+n-1.
    points = [(c.latitude, c.longitude) for c in instance.crews] + [
        (t.latitude, t.longitude) for t in instance.tasks
    ]
    dist = distance_matrix_km(points)
    deadline = np.array([0.0] * m + [instance.deadline_hours(t) for t in instance.tasks])
    weight = np.array([0.0] * m + [t.weight for t in instance.tasks])
    duration = np.array([0.0] * m + [t.duration_hours for t in instance.tasks])
    routes: list[list[int]] = [[] for _ in range(m)]

    for i in priority_order(instance):
        task = instance.tasks[i]
        node = m + i
        best = (unrouted_cost(task), -1, -1)  # inserting must beat leaving it out
        for k, crew in enumerate(instance.crews):
            if task.skill not in crew.skills:
                continue
            route = np.array(routes[k], dtype=int)
            speed = crew.speed_kmh
            path = np.concatenate(([k], route, [k]))
            legs = dist[path[:-1], path[1:]]
            # starts[j] of route[j]; finish of the previous node per position p (0..L).
            arrive = np.cumsum(legs / speed + np.concatenate(([0.0], duration[route])))
            starts = arrive[:-1]
            back = arrive[-1]
            prev_finish = np.concatenate(([0.0], starts + duration[route]))
            prev, nxt = path[:-1], path[1:]
            to_new = dist[prev, node]
            from_new = dist[node, nxt]
            added_km = to_new + from_new - legs
            delay = added_km / speed + task.duration_hours
            feasible = back + delay <= crew.shift_hours + SHIFT_TOLERANCE_HOURS
            if not feasible.any():
                continue
            new_start = prev_finish + to_new / speed
            extra = task.weight * np.maximum(0.0, new_start - deadline[node])
            if len(route):
                w, d = weight[route], deadline[route]
                before = w * np.maximum(0.0, starts - d)
                shifted = w[None, :] * np.maximum(
                    0.0, starts[None, :] + delay[:, None] - d[None, :]
                )
                later = np.triu(np.ones((len(route) + 1, len(route)), dtype=bool))
                extra = extra + ((shifted - before[None, :]) * later).sum(axis=1)
            delta = np.where(feasible, extra + KM_COST * added_km, np.inf)
            p = int(np.argmin(delta))
            if delta[p] < best[0]:
                best = (float(delta[p]), k, p)
        _, k, p = best
        if k >= 0:
            routes[k].insert(p, node)

    sequences = {
        crew.crew_id: [instance.tasks[node - m].task_id for node in routes[k]]
        for k, crew in enumerate(instance.crews)
    }
    return evaluate(instance, sequences, stats={"method": "greedy"})
