"""Exact cost and times of a plan, recomputed from each crew's ordered task list.

Every solver (OR-Tools, greedy, exhaustive) returns sequences; this module turns them
into a `Plan` with float times, so the reported cost is always the recomputed one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workloads.dispatch.model import (
    KM_COST,
    UNROUTED_HOURS,
    Crew,
    Instance,
    Plan,
    Route,
    Stop,
    Task,
    Unassigned,
    after,
    haversine_km,
)

# Float slack when checking the shift (hours): far below a second.
SHIFT_TOLERANCE_HOURS = 1e-9


class InfeasiblePlan(ValueError):
    """A sequence breaks a hard rule (skill, shift, a task twice, an unknown id)."""


@dataclass(frozen=True)
class RouteTimes:
    """Float times of one crew's route, in hours after `now`."""

    starts: tuple[float, ...]
    finishes: tuple[float, ...]
    return_hours: float
    km: float
    lateness_cost: float

    @property
    def cost(self) -> float:
        return self.lateness_cost + KM_COST * self.km


def _km(a: Crew | Task, b: Crew | Task) -> float:
    return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)


def route_times(instance: Instance, crew: Crew, tasks: Sequence[Task]) -> RouteTimes:
    """Times and cost of `crew` doing `tasks` in order (no feasibility check)."""
    clock = 0.0
    km = 0.0
    lateness = 0.0
    here: Crew | Task = crew
    starts, finishes = [], []
    for task in tasks:
        leg = _km(here, task)
        km += leg
        clock += leg / crew.speed_kmh
        starts.append(clock)
        lateness += task.weight * max(0.0, clock - instance.deadline_hours(task))
        clock += task.duration_hours
        finishes.append(clock)
        here = task
    leg = _km(here, crew)
    km += leg
    clock += leg / crew.speed_kmh
    return RouteTimes(tuple(starts), tuple(finishes), clock, km, lateness)


def unrouted_cost(task: Task) -> float:
    return task.weight * UNROUTED_HOURS


def fits_alone(crew: Crew, task: Task) -> bool:
    """Can `crew` do `task` alone within its shift (and has it the skill)?"""
    if task.skill not in crew.skills:
        return False
    hours = 2 * _km(crew, task) / crew.speed_kmh + task.duration_hours
    return hours <= crew.shift_hours + SHIFT_TOLERANCE_HOURS


def unassigned_reason(instance: Instance, task: Task) -> str:
    """Why a task is not in any route, in words."""
    skilled = [c for c in instance.crews if task.skill in c.skills]
    if not skilled:
        return f"no crew has the {task.skill} skill"
    if not any(fits_alone(c, task) for c in skilled):
        return (
            f"no {task.skill} crew can drive there, work {task.duration_hours:g} h"
            " and return within its shift"
        )
    if instance.deadline_hours(task) < -UNROUTED_HOURS:
        return "overdue by more than 24 h: leaving it unassigned costs less than serving it late"
    return f"the {task.skill} crews' shifts are full with more urgent or nearer work"


def evaluate(
    instance: Instance,
    sequences: Mapping[str, Sequence[str]],
    *,
    stats: dict | None = None,
) -> Plan:
    """The exact plan for `sequences` (crew_id -> ordered task ids); raises InfeasiblePlan."""
    seen: set[str] = set()
    routes = []
    cost = 0.0
    for crew_id in sequences:
        if crew_id not in instance.crews_by_id:
            raise InfeasiblePlan(f"unknown crew {crew_id!r}")
    for crew in instance.crews:
        ids = list(sequences.get(crew.crew_id, ()))
        tasks = []
        for task_id in ids:
            if task_id not in instance.tasks_by_id:
                raise InfeasiblePlan(f"unknown task {task_id!r}")
            if task_id in seen:
                raise InfeasiblePlan(f"task {task_id!r} is routed twice")
            seen.add(task_id)
            task = instance.task(task_id)
            if task.skill not in crew.skills:
                raise InfeasiblePlan(f"crew {crew.crew_id} lacks skill {task.skill} for {task_id}")
            tasks.append(task)
        times = route_times(instance, crew, tasks)
        if times.return_hours > crew.shift_hours + SHIFT_TOLERANCE_HOURS:
            raise InfeasiblePlan(
                f"crew {crew.crew_id} returns after {times.return_hours:.4f} h,"
                f" beyond its {crew.shift_hours} h shift"
            )
        stops = tuple(
            Stop(
                task_id=t.task_id,
                arrival=after(instance.now, s),
                start=after(instance.now, s),
                finish=after(instance.now, f),
                lateness_hours=max(0.0, s - instance.deadline_hours(t)),
            )
            for t, s, f in zip(tasks, times.starts, times.finishes, strict=True)
        )
        routes.append(
            Route(
                crew.crew_id,
                stops,
                times.km,
                after(instance.now, times.return_hours),
            )
        )
        cost += times.cost
    unassigned = []
    for task in instance.tasks:
        if task.task_id not in seen:
            cost += unrouted_cost(task)
            unassigned.append(Unassigned(task.task_id, unassigned_reason(instance, task)))
    return Plan(instance.now, tuple(routes), tuple(unassigned), cost, dict(stats or {}))


def plan_cost(instance: Instance, sequences: Mapping[str, Sequence[str]]) -> float:
    """The cost of `sequences` (raises InfeasiblePlan if they break a hard rule)."""
    return evaluate(instance, sequences).cost
