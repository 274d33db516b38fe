"""The model's parts of `windmill up`: scoring after pipeline updates, training on a schedule.

- `scoring(...)`: `windmill score` after a completed pipeline update, at most every
  `every` seconds, once a model exists (the shipped bootstrap model counts, so the first
  start scores right after its first update; without any model it waits, no failed runs).
- `training(...)`: `windmill train` once silver spans `min_history_hours` (enough history for
  the split to hold positive rows on both sides), then again every `every` seconds.

The lead wires them into workloads/supervisor/stack.py; both take the trigger of "a new
pipeline update" from there (`AfterEachUpdate`), so this module imports no supervisor
internals beyond `Component`.
"""

from __future__ import annotations

from collections.abc import Callable

from workloads.config import Paths
from workloads.model import SCORE_JOB, TRAIN_JOB
from workloads.model.bundle import META_FILE, default_folder
from workloads.supervisor.process import ALWAYS, Component

SCORE_EVERY_S = 180.0
TRAIN_EVERY_S = 6 * 3600.0
MIN_HISTORY_HOURS = 168.0  # a week: ~0.8 episodes per turbine, enough for both sides of the split


def model_exists(paths: Paths) -> bool:
    """This home's model, or the shipped bootstrap model, is there to score with."""
    return (default_folder(paths.home) / META_FILE).is_file()


def history_hours(paths: Paths) -> float:
    """Hours of silver history, from its date partitions (no Spark, no file reads)."""
    from workloads import storage
    from workloads.names import SILVER

    try:
        days = storage.partition_values(paths, SILVER, "reading_date")
    except OSError:
        return 0.0
    return 24.0 * max(0, len(days) - 1)


def scoring(
    paths: Paths,
    argv: list[str],
    after_update: Callable[[], bool],
    every: float = SCORE_EVERY_S,
    env: dict[str, str] | None = None,
    after: tuple[str, ...] = (),
) -> Component:
    """`argv`: the command line of `windmill score` (stack.windmill_cli("score"))."""
    return Component(
        "score",
        argv,
        restart=ALWAYS,
        job=SCORE_JOB,
        after=after,
        every=every,
        trigger=lambda: model_exists(paths) and after_update(),
        env=env,
    )


def training(
    paths: Paths,
    argv: list[str],
    every: float = TRAIN_EVERY_S,
    min_history_hours: float = MIN_HISTORY_HOURS,
    env: dict[str, str] | None = None,
    after: tuple[str, ...] = (),
) -> Component:
    """`argv`: the command line of `windmill train` (stack.windmill_cli("train"))."""
    return Component(
        "train",
        argv,
        restart=ALWAYS,
        job=TRAIN_JOB,
        after=after,
        every=every,
        trigger=lambda: history_hours(paths) >= min_history_hours,
        env=env,
    )
