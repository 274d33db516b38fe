"""The physics model over a whole fleet: reading layouts and long-run fault statistics."""

from __future__ import annotations

import numpy as np

from workloads import contract
from workloads.generator.physics import simulate


def fleet_times(
    start_ms: int, steps: int, interval_ms: int, turbines: int, first_step: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(turbine numbers, timestamps ms) of `steps` readings of every turbine, step-major.

    The same layout as a backfill batch: reading i is turbine i % turbines + 1 at step
    i // turbines.
    """
    step = np.repeat(np.arange(first_step, first_step + steps, dtype=np.int64), turbines)
    number = np.tile(np.arange(1, turbines + 1, dtype=np.int64), steps)
    return number, start_ms + step * int(interval_ms)


def fault_shares(
    seed: int, turbines: int, hours: float, interval_ms: int = 600_000, start_ms: int = 0
) -> dict[str, float]:
    """Share of readings in each fault code over a run (computed with the pure model)."""
    steps = int(hours * 3_600_000 / interval_ms)
    counts = dict.fromkeys(contract.FAULT_CODES, 0)
    total = 0
    chunk = max(1, 200_000 // turbines)
    for first in range(0, steps, chunk):
        number, ts = fleet_times(start_ms, min(chunk, steps - first), interval_ms, turbines, first)
        fault = simulate(seed, number, ts)["fault_index"]
        total += len(fault)
        for index, code in enumerate(contract.FAULT_CODES):
            counts[code] += int(np.count_nonzero(fault == index))
    return {code: count / total for code, count in counts.items()}
