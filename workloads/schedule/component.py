"""The schedule's part of `windmill up`: re-plan the days ahead after pipeline updates.

`windmill schedule` records its own runs (the `windmill-schedule` job), so the component
only starts it: after a completed pipeline update while the engine is up (the caller's
`after_update`, stack.AfterEachUpdate, as for the dispatcher), at most every `every`
seconds (a multi-day plan moves slowly; updates in between share the next re-plan).
The lead wires it into workloads/supervisor/stack.py.
"""

from __future__ import annotations

from collections.abc import Callable

from workloads.schedule.service import SCHEDULE_JOB
from workloads.supervisor.process import ALWAYS, Component

SCHEDULE_EVERY_S = 120.0


def scheduling(
    argv: list[str],
    after_update: Callable[[], bool],
    every: float = SCHEDULE_EVERY_S,
    env: dict[str, str] | None = None,
    after: tuple[str, ...] = (),
) -> Component:
    """`argv`: the command line of `windmill schedule` (stack.windmill_cli("schedule"))."""
    return Component(
        "schedule",
        argv,
        restart=ALWAYS,
        job=SCHEDULE_JOB,
        records_own_runs=True,
        after=after,
        every=every,
        trigger=after_update,
        env=env,
    )
