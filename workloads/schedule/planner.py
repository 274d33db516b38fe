"""Solvers of the multi-day schedule: OR-Tools routing (crew-days as vehicles), the greedy
baseline and the exhaustive search that proves tiny optima.

OR-Tools model (`solve`), one per independent part (a site's crews and jobs, in practice):
- one vehicle per shift (crew-day), from and to the crew's base, with a fixed cost of
  the crew's mobilisation; arc cost = driving (KM_EUR per km + the crew's hour rate), and
  for a crew paid above CREW_HOUR_EUR (on call) the extra on its work hours;
- a time dimension in whole minutes from the planning time: each arc rounded *up*; the
  vehicle's start and end bounded by its shift; slack (waiting) allowed for the weather;
- each job's start: at or after its release, and *not* in any minute at which its work
  would overlap a forecast hour above `max_work_wind` (those starts are removed from the
  job's start variable, rounded outward, so an integer-feasible plan is feasible exactly);
- lateness: soft upper bound at the deadline (late_eur_per_hour); left out: a disjunction
  with penalty skip_eur − the job's work cost (served jobs pay their work hours);
- skills: allowed vehicles. Cost units: EUR cents.
The search stops on a solution count, never on the clock (deterministic for a seed); the
time limit is only a safety net. Plans are recomputed exactly (`model.evaluate`), optional
jobs whose removal lowers the cost are dropped (`prune_optional`), and the greedy plan is
returned if it is cheaper.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import timedelta

import numpy as np

from workloads.schedule.costs import CREW_HOUR_EUR, KM_EUR
from workloads.schedule.model import (
    InfeasibleSchedule,
    Problem,
    Schedule,
    earliest_safe_start,
    evaluate,
    hours_between,
    km_between,
    prune_optional,
    route,
)

log = logging.getLogger(__name__)

SCALE = 100  # cents
SOLUTION_LIMIT = 100
EXACT_JOBS = 6
SMALL_JOBS = 12  # up to this many jobs: every operator, from OR-Tools' own first solution
DEFAULT_TIME_LIMIT_S = 20.0


def split(problem: Problem) -> list[Problem]:
    """Independent parts: crews sharing a job they could both do share a part."""
    from workloads.dispatch.solver import connected_parts

    parts = connected_parts(problem.crews, problem.jobs, lambda c, j: _reachable(problem, c, j))
    return [
        Problem(
            problem.now,
            problem.days,
            tuple(cs),
            tuple(js),
            problem.forecast,
            problem.max_work_wind,
            problem.available_from,
        )
        for cs, js in parts
    ]


def _reachable(problem: Problem, crew, job) -> bool:
    if job.skill not in crew.skills:
        return False
    hours = 2 * km_between(crew, job) / crew.speed_kmh + job.duration_hours
    return any(
        hours_between(s.start, s.end) >= hours for s in problem.shifts if s.crew_id == crew.crew_id
    )


def _servable(problem: Problem, crew, job) -> bool:
    """Could `crew` do `job` alone in one of its shifts, in a weather window?"""
    if not _reachable(problem, crew, job):
        return False
    drive = timedelta(hours=km_between(crew, job) / crew.speed_kmh)
    spans = problem.unsafe.get(job.site, ())
    work = timedelta(hours=job.duration_hours)
    return any(
        earliest_safe_start(spans, max(s.start + drive, job.release), job.duration_hours)
        + work
        + drive
        <= s.end
        for s in problem.shifts
        if s.crew_id == crew.crew_id
    )


def solve(
    problem: Problem,
    *,
    seed: int = 0,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    solution_limit: int = SOLUTION_LIMIT,
    exact_up_to: int = EXACT_JOBS,
) -> Schedule:
    """The OR-Tools schedule (see the module docstring); deterministic for a seed."""
    started = time.perf_counter()
    sequences: dict[str, list[str]] = {s.key: [] for s in problem.shifts}
    stats = {"method": "or-tools", "seed": seed, "parts": 0, "hit_time_limit": False}
    for part in split(problem):
        remaining = max(0.05, time_limit_s - (time.perf_counter() - started))
        if len(part.jobs) <= exact_up_to:
            sequences.update(solve_exact(part).sequences())
            stats["exact_parts"] = stats.get("exact_parts", 0) + 1
        else:
            greedy = solve_greedy(part)
            found, hit = _routing(part, seed, remaining, solution_limit, greedy.sequences())
            stats["hit_time_limit"] |= hit
            if found is None or greedy.cost < evaluate(part, found).cost:
                found = greedy.sequences()
                stats["greedy_parts"] = stats.get("greedy_parts", 0) + 1
            sequences.update(found)
        stats["parts"] += 1
    if stats["hit_time_limit"]:
        log.warning("schedule search stopped by its %.1f s time limit", time_limit_s)
    schedule = prune_optional(evaluate(problem, sequences, stats))
    schedule.stats["solve_seconds"] = time.perf_counter() - started
    return schedule


def _minutes(problem: Problem, moment) -> float:
    return hours_between(problem.now, moment) * 60.0


def _routing(
    problem: Problem,
    seed: int,
    time_limit_s: float,
    solution_limit: int,
    start_from: dict[str, list[str]] | None = None,
):
    """(shift key -> sequence, hit the time limit) from OR-Tools, or (None, hit)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    crews = list(problem.crews)
    crew_index = {c.crew_id: k for k, c in enumerate(crews)}
    shifts = list(problem.shifts)
    jobs = [j for j in problem.jobs if any(_servable(problem, c, j) for c in crews)]
    if seed:
        jobs = [jobs[j] for j in np.random.default_rng(seed).permutation(len(jobs))]
    m, n = len(crews), len(jobs)
    if not shifts:
        return None, False
    points = crews + jobs
    km = np.array([[km_between(a, b) for b in points] for a in points])
    work_min = np.array([0.0] * m + [j.duration_hours * 60.0 for j in jobs])
    manager = pywrapcp.RoutingIndexManager(
        m + n,
        len(shifts),
        [crew_index[s.crew_id] for s in shifts],
        [crew_index[s.crew_id] for s in shifts],
    )
    routing = pywrapcp.RoutingModel(manager)
    arc_eval, time_eval = {}, {}
    for speed, rate in sorted({(c.speed_kmh, c.hour_eur) for c in crews}):
        drive_h = km / speed
        # Work is paid at the crew's rate; the penalty below already nets the day rate.
        extra = (rate - CREW_HOUR_EUR) * work_min[:, None] / 60.0
        arc = np.rint((KM_EUR * km + rate * drive_h + extra) * SCALE).astype(np.int64)
        arc_eval[(speed, rate)] = routing.RegisterTransitMatrix(arc.tolist())
        if speed not in time_eval:
            minutes = np.ceil(work_min[:, None] + drive_h * 60.0 - 1e-9).astype(np.int64)
            time_eval[speed] = routing.RegisterTransitMatrix(minutes.tolist())
    horizon = int(math.ceil(max(_minutes(problem, s.end) for s in shifts))) + 1
    for v, shift in enumerate(shifts):
        crew = problem.crews_by_id[shift.crew_id]
        routing.SetArcCostEvaluatorOfVehicle(arc_eval[(crew.speed_kmh, crew.hour_eur)], v)
        routing.SetFixedCostOfVehicle(int(round(crew.mobilisation_eur * SCALE)), v)
    routing.AddDimensionWithVehicleTransits(
        [time_eval[problem.crews_by_id[s.crew_id].speed_kmh] for s in shifts],
        horizon,
        horizon,
        False,
        "time",
    )
    clock = routing.GetDimensionOrDie("time")
    for v, shift in enumerate(shifts):
        start, end = (
            math.ceil(_minutes(problem, shift.start)),
            math.floor(_minutes(problem, shift.end)),
        )
        clock.CumulVar(routing.Start(v)).SetRange(start, end)
        clock.CumulVar(routing.End(v)).SetRange(start, end)
    for node, job in enumerate(jobs, start=m):
        index = manager.NodeToIndex(node)
        var = clock.CumulVar(index)
        var.SetMin(max(0, math.ceil(_minutes(problem, job.release))))
        dur = math.ceil(job.duration_hours * 60.0 - 1e-9)
        for a, b in problem.unsafe.get(job.site, ()):
            low = max(0, math.floor(_minutes(problem, a)) - dur + 1)
            high = min(horizon, math.ceil(_minutes(problem, b)) - 1)
            if low <= high:
                var.RemoveInterval(low, high)
        deadline = _minutes(problem, job.deadline)
        per_minute = int(round(job.late_eur_per_hour * SCALE / 60.0))
        if per_minute > 0:
            clock.SetCumulVarSoftUpperBound(index, max(0, math.floor(deadline)), per_minute)
        penalty = int(round((job.skip_eur - job.work_eur) * SCALE))
        routing.AddDisjunction([index], max(1, penalty))
        allowed = [
            v
            for v, s in enumerate(shifts)
            if _reachable(problem, problem.crews_by_id[s.crew_id], job)
        ]
        routing.VehicleVar(index).SetValues([-1, *allowed])
    for v in range(len(shifts)):
        routing.AddVariableMinimizedByFinalizer(clock.CumulVar(routing.Start(v)))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.solution_limit = solution_limit
    from ortools.util import optional_boolean_pb2

    from workloads.dispatch.solver import SLOW_OPERATORS

    small = n <= SMALL_JOBS
    if not small:  # the dispatcher's finding holds here: on big parts they scan everything
        for name in SLOW_OPERATORS:
            setattr(params.local_search_operators, name, optional_boolean_pb2.BOOL_FALSE)
    params.time_limit.FromMilliseconds(int(max(0.05, time_limit_s) * 1000))
    began = time.perf_counter()
    solution = None
    if start_from and not small:
        # Descend from the greedy plan: a first solution at once, whatever the weather holes.
        node_of = {job.task_id: m + j for j, job in enumerate(jobs)}
        initial_routes = [
            [manager.NodeToIndex(node_of[t]) for t in start_from.get(s.key, ()) if t in node_of]
            for s in shifts
        ]
        routing.CloseModelWithParameters(params)
        initial = routing.ReadAssignmentFromRoutes(initial_routes, True)
        if initial is not None:
            solution = routing.SolveFromAssignmentWithParameters(initial, params)
    if solution is None:
        solution = routing.SolveWithParameters(params)
    hit = time.perf_counter() - began >= time_limit_s * 0.98
    if solution is None:
        return None, hit
    sequences = {}
    for v, shift in enumerate(shifts):
        ids = []
        index = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            ids.append(jobs[manager.IndexToNode(index) - m].task_id)
            index = solution.Value(routing.NextVar(index))
        sequences[shift.key] = ids
    try:
        evaluate(problem, sequences)
    except InfeasibleSchedule as exc:  # rounding is outward, so this is a bug: say so, use greedy
        log.warning("OR-Tools schedule infeasible in exact time (%s); using the greedy plan", exc)
        return None, hit
    return sequences, hit


def priority(job) -> tuple:
    """Most costly to leave out first, then the earlier deadline."""
    return (job.optional, -job.skip_eur, job.deadline, job.task_id)


def solve_greedy(problem: Problem) -> Schedule:
    """Baseline: jobs by `priority`, each at its cheapest feasible insertion (or left out)."""
    sequences: dict[str, list[str]] = {s.key: [] for s in problem.shifts}
    costs = {s.key: 0.0 for s in problem.shifts}
    for job in sorted(problem.jobs, key=priority):
        best = (job.skip_eur, None, -1, 0.0)
        for shift in problem.shifts:
            crew = problem.crews_by_id[shift.crew_id]
            if job.skill not in crew.skills:
                continue
            ids = sequences[shift.key]
            for p in range(len(ids) + 1):
                trial = [*ids[:p], job.task_id, *ids[p:]]
                try:
                    cost = route(problem, shift, trial).cost
                except InfeasibleSchedule:
                    continue
                if cost - costs[shift.key] < best[0] - 1e-9:
                    best = (cost - costs[shift.key], shift.key, p, cost)
        _, key, p, cost = best
        if key is not None:
            sequences[key].insert(p, job.task_id)
            costs[key] = cost
    return prune_optional(evaluate(problem, sequences, {"method": "greedy"}))


def solve_exact(problem: Problem) -> Schedule:
    """The optimum by exhaustive search: every ordered subset per shift, then a split of the
    jobs between shifts by dynamic programming over job sets. For a handful of jobs."""
    jobs = [j.task_id for j in problem.jobs]
    n = len(jobs)
    if n > 9:
        raise ValueError(f"exhaustive search is for at most 9 jobs, got {n}")
    skip = [0.0] * (1 << n)
    for mask in range(1, 1 << n):
        low = (mask & -mask).bit_length() - 1
        skip[mask] = skip[mask & (mask - 1)] + problem.jobs[low].skip_eur
    per_shift = []
    for shift in problem.shifts:
        best: dict[int, tuple[float, tuple[str, ...]]] = {0: (0.0, ())}

        def extend(mask: int, order: tuple[str, ...], shift=shift, best=best) -> None:
            for i, task_id in enumerate(jobs):
                if mask >> i & 1:
                    continue
                trial = (*order, task_id)
                try:
                    cost = route(problem, shift, trial).cost
                except InfeasibleSchedule:
                    continue  # later additions cannot make it feasible again
                new = mask | 1 << i
                if cost < best.get(new, (math.inf,))[0]:
                    best[new] = (cost, trial)
                extend(new, trial)

        extend(0, ())
        per_shift.append(best)
    count = len(problem.shifts)
    after = [[0.0] * (1 << n) for _ in range(count + 1)]
    choice = [[0] * (1 << n) for _ in range(count)]
    after[count] = skip[:]
    for k in range(count - 1, -1, -1):
        for universe in range(1 << n):
            best_cost, best_set = after[k + 1][universe], 0
            subset = universe
            while subset:
                found = per_shift[k].get(subset)
                if found is not None and found[0] + after[k + 1][universe & ~subset] < best_cost:
                    best_cost, best_set = found[0] + after[k + 1][universe & ~subset], subset
                subset = (subset - 1) & universe
            after[k][universe] = best_cost
            choice[k][universe] = best_set
    sequences = {}
    universe = (1 << n) - 1
    for k, shift in enumerate(problem.shifts):
        subset = choice[k][universe]
        sequences[shift.key] = list(per_shift[k][subset][1]) if subset else []
        universe &= ~subset
    return evaluate(problem, sequences, {"method": "exhaustive", "optimum": after[0][(1 << n) - 1]})


def horizon_end(problem: Problem):
    return problem.now + timedelta(days=problem.days)
