"""The planner: constraints (independent checker), optimum on tiny instances, bundling only
when it pays, determinism, weather windows, days off and daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from tests.unit.schedule.checks import violations
from tests.unit.schedule.conftest import BASE, crew, gusty, job, problem, random_jobs
from workloads.schedule import planner
from workloads.schedule.builder import schedule_rows
from workloads.schedule.model import evaluate


def check(schedule):
    p = schedule.problem
    return violations(schedule_rows(schedule), p.crews, p.jobs, p.forecast, p.max_work_wind, p.now)


@pytest.mark.parametrize("seed", range(6))
def test_or_tools_equals_the_exhaustive_optimum_on_tiny_instances(seed):
    crews = [
        crew("C1", ("mechanical", "electrical"), days_off=(5,)),
        crew("C2", ("mechanical", "structural")),
    ]
    p = problem(crews, random_jobs(6, seed), wind=gusty(seed), days=2)
    exact = planner.solve_exact(p)
    assert planner.solve(p).cost == pytest.approx(exact.cost)  # tiny parts: the exact search
    # The routing model itself (forced): on a part this small guided local search may run
    # out of new solutions and stop at its time limit, as in the dispatcher; the cost holds.
    routed = planner.solve(p, exact_up_to=0, time_limit_s=2.0)
    assert routed.cost == pytest.approx(exact.cost, rel=1e-6)
    assert routed.cost == pytest.approx(exact.stats["optimum"], rel=1e-6)
    assert planner.solve_greedy(p).cost >= exact.cost - 1e-6
    assert check(exact) == [] and check(routed) == []


@pytest.mark.parametrize("seed", range(3))
def test_every_solver_keeps_shifts_days_off_and_weather_windows(seed):
    crews = [
        crew("C1", ("mechanical", "electrical"), days_off=(6,)),
        crew("C2", ("mechanical", "structural"), days_off=(5,)),
    ]
    p = problem(crews, random_jobs(24, 100 + seed), wind=gusty(seed), days=3)
    for schedule in (planner.solve(p, seed=seed), planner.solve_greedy(p)):
        assert check(schedule) == []
        assert sum(len(r.visits) for r in schedule.routes) > 0


def test_shifts_follow_the_local_clock_across_daylight_saving():
    """Europe/London goes to BST on 2026-03-29: 07:00 local is 07:00 UTC on Saturday and
    06:00 UTC on Sunday; the crew is off on Monday."""
    p = problem([crew("C1", days_off=(0,))], [], days=4)
    starts = {s.day.isoformat(): s.start for s in p.shifts}
    assert starts == {
        "2026-03-27": datetime(2026, 3, 27, 7, tzinfo=UTC),
        "2026-03-28": datetime(2026, 3, 28, 7, tzinfo=UTC),
        "2026-03-29": datetime(2026, 3, 29, 6, tzinfo=UTC),
    }


def test_no_work_starts_until_the_wind_drops():
    wind = np.full(96, 6.0)
    wind[:7] = 15.0  # unsafe until 12:00 UTC on the first day (origin 05:00)
    p = problem([crew("C1")], [job("A", *BASE, hours=2.0, deadline_h=6.0)], wind=wind, days=1)
    schedule = planner.solve(p)
    (visit,) = [v for r in schedule.routes for v in r.visits]
    assert visit.start == datetime(2026, 3, 27, 12, tzinfo=UTC)
    wind[:] = 15.0
    stormy = planner.solve(problem([crew("C1")], [job("A", *BASE)], wind=wind, days=1))
    assert [t for t, _ in stormy.unassigned] == ["A"]
    assert "no weather window" in stormy.unassigned[0][1]


def test_an_optional_inspection_rides_along_only_when_it_lowers_the_cost():
    near = (BASE[0] + 0.01, BASE[1])
    repair = job("R", *near, hours=3.0)
    ride = job(
        "I",
        near[0] + 0.002,
        near[1],
        kind="inspection",
        hours=1.0,
        late=0.0,
        skip=330.0,
        optional=True,
    )
    together = planner.solve(problem([crew("C1")], [repair, ride], days=1))
    rows = schedule_rows(together).set_index("task")
    assert rows.loc["I", "kind"] == "opportunistic" and rows.loc["R", "kind"] == "repair"
    alone = planner.solve(problem([crew("C1")], [ride], days=1))
    assert [t for t, _ in alone.unassigned] == ["I"]  # a dedicated trip costs more than 330


@pytest.mark.parametrize("solver", ["ortools", "greedy"])
def test_every_served_optional_job_lowers_the_cost(solver):
    p = problem([crew("C1"), crew("C2")], random_jobs(20, 7, optional_share=0.5), days=2)
    schedule = planner.solve(p) if solver == "ortools" else planner.solve_greedy(p)
    sequences = schedule.sequences()
    served = [t for ids in sequences.values() for t in ids if p.jobs_by_id[t].optional]
    assert served
    for task_id in served:
        without = {k: [t for t in v if t != task_id] for k, v in sequences.items()}
        assert evaluate(p, without).cost > schedule.cost


def test_the_same_seed_gives_the_same_schedule():
    p = problem([crew("C1"), crew("C2")], random_jobs(30, 3), wind=gusty(3), days=3)
    first, second = planner.solve(p, seed=5), planner.solve(p, seed=5)
    assert first.sequences() == second.sequences() and first.cost == second.cost
