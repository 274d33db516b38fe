"""The crew dispatcher: which repair crew goes to which turbine, in what order.

`solve(instance)` runs the OR-Tools routing model; `solve_greedy` and `solve_exact` are
the baseline and the exhaustive reference; `evaluate` recomputes any plan's exact cost.
OR-Tools is imported only when solving, so importing this package stays light.
"""

from __future__ import annotations

from workloads.dispatch.evaluate import InfeasiblePlan, evaluate
from workloads.dispatch.exact import solve_exact
from workloads.dispatch.greedy import solve_greedy
from workloads.dispatch.model import Crew, Instance, Plan, Task, parse_instance
from workloads.dispatch.solver import DEFAULT_TIME_LIMIT_S, solve_routing


def solve(instance: Instance, *, time_limit_s: float = DEFAULT_TIME_LIMIT_S, seed: int = 0) -> Plan:
    """The dispatch plan for `instance`: pure, and deterministic for a given seed."""
    return solve_routing(instance, time_limit_s=time_limit_s, seed=seed)


__all__ = [
    "Crew",
    "InfeasiblePlan",
    "Instance",
    "Plan",
    "Task",
    "evaluate",
    "parse_instance",
    "solve",
    "solve_exact",
    "solve_greedy",
]
