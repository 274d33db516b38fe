"""Crew dispatcher benchmark: OR-Tools routing vs exhaustive optimum and greedy baseline.

Generated instances (fixed seeds, workloads.dispatch.generate): crews based at the
generator's wind-farm sites, tasks scattered around them, opened in the last 6 hours.

- small (8 tasks, 3 crews, 5 instances): cost against the exhaustive optimum (target: equal)
- typical (200 tasks, 20 crews): time (target <= 2 s) and cost vs greedy (target >= 10% lower)
- large (1,000 tasks, 50 crews): time (target <= 30 s) and cost vs greedy

Run: .venv/bin/python benchmarks/dispatch.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workloads.dispatch import solve, solve_exact, solve_greedy  # noqa: E402
from workloads.dispatch.generate import generate_instance  # noqa: E402
from workloads.dispatch.solver import solve_routing  # noqa: E402


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def small() -> bool:
    print("small: 8 tasks, 3 crews, one site - OR-Tools routing model vs exhaustive optimum")
    equal = 0
    seeds = range(1, 6)
    for seed in seeds:
        instance = generate_instance(8, 3, seed=seed, sites=1)
        exact, exact_s = timed(solve_exact, instance)
        # The routing model itself: solve() would hand parts of <= 7 tasks to the
        # exhaustive search, which would make this comparison trivial.
        plan, plan_s = timed(solve_routing, instance, exact_up_to=0)
        same = abs(plan.cost - exact.cost) <= 1e-9 * max(1.0, exact.cost)
        equal += same
        print(
            f"  seed {seed}: optimum {exact.cost:10.4f} ({exact_s:.2f} s)"
            f"  or-tools {plan.cost:10.4f} ({plan_s:.2f} s)  {'equal' if same else 'WORSE'}"
        )
    print(f"  -> {equal}/{len(seeds)} equal to the optimum (target: all)")
    return equal == len(seeds)


def against_greedy(name: str, tasks: int, crews: int, time_target: float, gain_target):
    instance = generate_instance(tasks, crews, seed=0)
    greedy, greedy_s = timed(solve_greedy, instance)
    plan, plan_s = timed(solve, instance)
    gain = 1 - plan.cost / greedy.cost
    print(f"{name}: {tasks} tasks, {crews} crews")
    print(
        f"  greedy   cost {greedy.cost:12.2f}  routed {greedy.routed:4d}  km {greedy.km:9.1f}"
        f"  {greedy_s:6.2f} s"
    )
    print(
        f"  or-tools cost {plan.cost:12.2f}  routed {plan.routed:4d}  km {plan.km:9.1f}"
        f"  {plan_s:6.2f} s"
    )
    print(
        f"  ({plan.stats['parts']} independent parts, {plan.stats['routable']} candidate tasks,"
        f" time limit hit: {plan.stats['hit_time_limit']})"
    )
    ok = plan_s <= time_target and (gain_target is None or gain >= gain_target)
    target = f"time <= {time_target:g} s" + (
        f", >= {gain_target:.0%} lower cost" if gain_target is not None else ""
    )
    print(f"  -> {gain:.1%} lower cost than greedy in {plan_s:.2f} s (target: {target})")
    return ok


def main() -> int:
    results = {
        "small": small(),
        "typical": against_greedy("typical", 200, 20, 2.0, 0.10),
        "large": against_greedy("large", 1000, 50, 30.0, None),
    }
    missed = [name for name, ok in results.items() if not ok]
    print("all targets met" if not missed else f"targets missed: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
