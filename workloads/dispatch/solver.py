"""The OR-Tools routing model of the dispatch problem.

- One vehicle per crew, starting and ending at its own base node.
- Arc cost: 0.01 × km; time dimension in whole seconds (travel at the crew's speed, then
  the task's work), each arc rounded *up* so a route feasible in the model is feasible in
  exact float time; the crew's shift is the dimension's per-vehicle capacity (hard).
- Lateness is soft: a soft upper bound at the deadline, w(level) per hour late.
- Unrouted tasks: a disjunction penalty of w(level) × 24 h; skills: allowed vehicles
  (crews with the skill that can reach the task and return within their shift).
- Everything is scaled to integers with SCALE units per unit of cost.

The instance is first split into independent parts (crews and the tasks they could do;
in practice one per wind-farm region). The search of each part is deterministic (one
worker, stopped by a solution count, never by the clock):
- tiny parts (<= EXACT_PART_TASKS tasks): the exhaustive search (exact.py);
- small parts (<= SMALL_TASKS tasks): parallel cheapest insertion, then guided local
  search stopped after SMALL_SOLUTION_LIMIT solutions;
- bigger ones: start from the greedy plan (restricted to the candidate tasks, see
  `_candidates`), then guided local search with the fast operators for
  BIG_SOLUTION_LIMIT solutions.
The time limit is only a safety net; a plan cut short by it is flagged in
`plan.stats["hit_time_limit"]` (and logged). Times and cost are recomputed exactly by
the evaluator; if rounding made the model's plan costlier than the greedy one, the greedy
plan is returned.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from workloads.dispatch.evaluate import evaluate, fits_alone, unrouted_cost
from workloads.dispatch.geometry import distance_matrix_km
from workloads.dispatch.model import KM_COST, UNROUTED_HOURS, Instance, Plan

log = logging.getLogger(__name__)

SCALE = 36_000  # objective units per unit of cost: 10 per weighted second late
DEFAULT_TIME_LIMIT_S = 30.0
CANDIDATE_MIN_TASKS = 100
CANDIDATE_WORK_FACTOR = 1.5
CANDIDATE_TRAVEL_HOURS = 0.25
EXACT_PART_TASKS = 7  # parts with at most this many tasks: exhaustive search
SMALL_TASKS = 12  # up to this many candidate tasks: guided local search, fixed solution count
SMALL_SOLUTION_LIMIT = 500
BIG_SOLUTION_LIMIT = 100  # bigger parts: guided local search from the greedy plan
# Operators too slow for the benefit on big, oversubscribed instances (hundreds of
# unperformed tasks make the insertion-based ones scan everything at every move).
SLOW_OPERATORS = (
    "use_relocate_expensive_chain",
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_shortest_path_swap_active",
    "use_swap_active_chain",
    "use_shortest_path_two_opt",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
    "use_lin_kernighan",
    "use_exchange_subtrip",
    "use_relocate_subtrip",
    "use_make_chain_inactive",
)


def _search_parameters(small: bool, time_limit_s: float, solution_limit: int | None):
    """Deterministic search: stopped by a local optimum or a solution count, not the clock."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    from ortools.util import optional_boolean_pb2

    params = pywrapcp.DefaultRoutingSearchParameters()
    strategies = routing_enums_pb2.FirstSolutionStrategy
    metaheuristics = routing_enums_pb2.LocalSearchMetaheuristic
    if small:
        params.first_solution_strategy = strategies.PARALLEL_CHEAPEST_INSERTION
        params.local_search_metaheuristic = metaheuristics.GUIDED_LOCAL_SEARCH
        params.solution_limit = solution_limit or SMALL_SOLUTION_LIMIT
    else:
        params.first_solution_strategy = strategies.PARALLEL_CHEAPEST_INSERTION
        params.local_search_metaheuristic = metaheuristics.GUIDED_LOCAL_SEARCH
        params.solution_limit = solution_limit or BIG_SOLUTION_LIMIT
        for name in SLOW_OPERATORS:
            setattr(params.local_search_operators, name, optional_boolean_pb2.BOOL_FALSE)
    params.time_limit.FromMilliseconds(int(max(0.001, time_limit_s) * 1000))
    return params


def solve_routing(
    instance: Instance,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    seed: int = 0,
    solution_limit: int | None = None,
    exact_up_to: int = EXACT_PART_TASKS,
) -> Plan:
    """Solve with OR-Tools routing; deterministic for a given seed (see module docstring).

    Crews and tasks split into independent parts (a task joins the crews that could do it;
    crews sharing a task share a part): each wind-farm region is its own routing model,
    which keeps every local-search move small. The split loses nothing.
    """
    started = time.perf_counter()
    sequences: dict[str, list[str]] = {c.crew_id: [] for c in instance.crews}
    stats: dict = {"method": "or-tools", "seed": seed, "parts": 0, "routable": 0}
    stats["hit_time_limit"] = False
    for part in split(instance):
        remaining = max(0.05, time_limit_s - (time.perf_counter() - started))
        part_sequences, part_stats = _solve_part(part, remaining, seed, solution_limit, exact_up_to)
        sequences.update(part_sequences)
        stats["parts"] += 1
        stats["routable"] += part_stats["routable"]
        stats["hit_time_limit"] |= part_stats.get("hit_time_limit", False)
        if part_stats.get("exact"):
            stats["exact_parts"] = stats.get("exact_parts", 0) + 1
        if part_stats.get("kept_greedy"):
            stats["greedy_parts"] = stats.get("greedy_parts", 0) + 1
    if stats["hit_time_limit"]:
        log.warning(
            "dispatch search stopped by its %.1f s time limit; the plan may vary run to run",
            time_limit_s,
        )
    plan = evaluate(instance, sequences, stats=stats)
    stats["solve_seconds"] = time.perf_counter() - started
    return plan


def connected_parts(crews, tasks, can_do) -> list[tuple[list, list]]:
    """(crews, tasks) groups: connected parts of the crew–task "could do it" graph
    (`can_do(crew, task)`); crews sharing a task share a part; tasks no crew could do are
    left out. The dispatcher and the multi-day scheduler both split their problems with it."""
    crews = list(crews)
    parent = list(range(len(crews)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    able: list[list[int]] = []
    for task in tasks:
        ks = [k for k, c in enumerate(crews) if can_do(c, task)]
        able.append(ks)
        for k in ks[1:]:
            parent[root(k)] = root(ks[0])
    groups: dict[int, tuple[list, list]] = {}
    for k, crew in enumerate(crews):
        groups.setdefault(root(k), ([], []))[0].append(crew)
    for task, ks in zip(tasks, able, strict=True):
        if ks:
            groups[root(ks[0])][1].append(task)
    return [(cs, ts) for cs, ts in groups.values() if ts]


def split(instance: Instance) -> list[Instance]:
    """Independent sub-instances (see `connected_parts`); tasks no crew could do stay
    unassigned in the final plan."""
    return [
        Instance(now=instance.now, crews=tuple(cs), tasks=tuple(ts))
        for cs, ts in connected_parts(instance.crews, instance.tasks, fits_alone)
    ]


def _solve_part(
    instance: Instance,
    time_limit_s: float,
    seed: int,
    solution_limit: int | None,
    exact_up_to: int,
) -> tuple[dict[str, list[str]], dict]:
    """Crew sequences of one independent part, and its search statistics."""
    from ortools.constraint_solver import pywrapcp

    started = time.perf_counter()
    crews, tasks = instance.crews, instance.tasks
    m = len(crews)
    # Only tasks some crew could do alone are worth a node; the rest stay unassigned.
    routable = [
        i
        for i, task in enumerate(tasks)
        if any(fits_alone(c, task) for c in crews) and _worth_routing(instance, i)
    ]
    routable = _candidates(instance, routable)
    if seed:
        rng = np.random.default_rng(seed)
        routable = [routable[j] for j in rng.permutation(len(routable))]
    stats: dict = {"routable": len(routable)}
    if not routable or not m:
        return {c.crew_id: [] for c in crews}, stats
    if len(routable) <= exact_up_to:
        # A handful of tasks: the exhaustive search proves the optimum in milliseconds
        # (guided local search would only stop at its time limit on such a tiny part).
        from workloads.dispatch.exact import solve_exact

        part = Instance(instance.now, crews, tuple(tasks[i] for i in sorted(routable)))
        stats["exact"] = True
        return solve_exact(part).sequences(), stats

    n = len(routable)
    points = [(c.latitude, c.longitude) for c in crews] + [
        (tasks[i].latitude, tasks[i].longitude) for i in routable
    ]
    km = distance_matrix_km(points)
    service_s = np.array([0.0] * m + [tasks[i].duration_hours * 3600.0 for i in routable])

    manager = pywrapcp.RoutingIndexManager(m + n, m, list(range(m)), list(range(m)))
    routing = pywrapcp.RoutingModel(manager)

    arc = np.rint(km * KM_COST * SCALE).astype(np.int64)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(arc.tolist()))

    # Time transit per distinct speed: work at the origin, then the drive, rounded up.
    by_speed: dict[float, int] = {}
    for speed in sorted({c.speed_kmh for c in crews}):
        seconds = np.ceil(service_s[:, None] + km / speed * 3600.0).astype(np.int64)
        by_speed[speed] = routing.RegisterTransitMatrix(seconds.tolist())
    capacities = [math.floor(c.shift_hours * 3600.0) for c in crews]
    routing.AddDimensionWithVehicleTransitAndCapacity(
        [by_speed[c.speed_kmh] for c in crews], 0, capacities, True, "time"
    )
    clock = routing.GetDimensionOrDie("time")

    for node, i in enumerate(routable, start=m):
        task = tasks[i]
        index = manager.NodeToIndex(node)
        deadline_s = instance.deadline_hours(task) * 3600.0
        per_second = int(round(task.weight * SCALE / 3600.0))
        clock.SetCumulVarSoftUpperBound(index, max(0, math.floor(deadline_s)), per_second)
        # Served while already overdue costs w × overdue even at time 0: routing pays it,
        # so leaving the task out saves it (the penalty is lowered by the same amount).
        overdue_units = task.weight * max(0.0, -deadline_s) / 3600.0 * SCALE
        penalty = int(round(unrouted_cost(task) * SCALE - overdue_units))
        routing.AddDisjunction([index], max(1, penalty))
        # Skills as allowed vehicles (-1: unperformed). SetAllowedVehiclesForIndex takes an
        # absl::Span, which ortools 9.15's Python binding cannot pass: restrict the var instead.
        allowed = [k for k, c in enumerate(crews) if fits_alone(c, task)]
        routing.VehicleVar(index).SetValues([-1, *allowed])

    small = n <= SMALL_TASKS
    params = _search_parameters(small, time_limit_s, solution_limit)
    stats["search"] = "guided local search" + ("" if small else " from the greedy plan")

    built = time.perf_counter()
    greedy = None
    solution = None
    if not small:
        # Start from the greedy plan (kept to the candidate tasks) and descend from there.
        from workloads.dispatch.greedy import solve_greedy

        greedy = solve_greedy(instance)
        node_of = {tasks[i].task_id: m + j for j, i in enumerate(routable)}
        greedy_routes = [
            [manager.NodeToIndex(node_of[s.task_id]) for s in r.stops if s.task_id in node_of]
            for r in greedy.routes
        ]
        routing.CloseModelWithParameters(params)
        initial = routing.ReadAssignmentFromRoutes(greedy_routes, True)
        if initial is not None:
            solution = routing.SolveFromAssignmentWithParameters(initial, params)
    if solution is None:
        solution = routing.SolveWithParameters(params)
    solved = time.perf_counter()
    sequences: dict[str, list[str]] = {c.crew_id: [] for c in crews}
    if solution is not None:
        for k, crew in enumerate(crews):
            index = solution.Value(routing.NextVar(routing.Start(k)))
            while not routing.IsEnd(index):
                task = tasks[routable[manager.IndexToNode(index) - m]]
                sequences[crew.crew_id].append(task.task_id)
                index = solution.Value(routing.NextVar(index))
        stats["objective"] = solution.ObjectiveValue() / SCALE
    stats["hit_time_limit"] = solved - built >= time_limit_s * 0.98
    stats["build_seconds"] = built - started
    stats["search_seconds"] = solved - built
    if greedy is not None and greedy.cost < evaluate(instance, sequences).cost:
        # Integer rounding can make the model prefer a plan marginally worse in exact cost.
        stats["kept_greedy"] = True
        return greedy.sequences(), stats
    return sequences, stats


def _worth_routing(instance: Instance, i: int) -> bool:
    """A task overdue by more than 24 h costs more served than left out."""
    return instance.deadline_hours(instance.tasks[i]) > -UNROUTED_HOURS


def _candidates(instance: Instance, routable: list[int]) -> list[int]:
    """On a heavily oversubscribed instance, only the tasks the crews could plausibly reach.

    Keeps tasks in priority order (level, deadline) until their work adds up to
    CANDIDATE_WORK_FACTOR × the crews' total shift hours; tasks further down the list
    would not fit in any shift and only slow the local search. Small instances keep all.
    """
    if len(routable) <= CANDIDATE_MIN_TASKS:
        return routable
    from workloads.dispatch.greedy import priority_order

    capacity = CANDIDATE_WORK_FACTOR * sum(c.shift_hours for c in instance.crews)
    keep, work = set(), 0.0
    wanted = set(routable)
    for i in priority_order(instance):
        if i not in wanted:
            continue
        if work >= capacity:
            break
        keep.add(i)
        work += instance.tasks[i].duration_hours + CANDIDATE_TRAVEL_HOURS
    return [i for i in routable if i in keep]
