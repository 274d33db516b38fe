"""What the simulated year counts as it goes (`simulate.Simulation.totals`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workloads.schedule import costs as table


@dataclass
class Totals:
    downtime_hours: float = 0.0
    lost_kwh: float = 0.0
    potential_kwh: float = 0.0
    action_eur: float = 0.0
    crew_eur: float = 0.0
    tasks_done: int = 0
    late: int = 0
    unsafe: int = 0
    weather_waits: int = 0
    crew_hours: float = 0.0
    shift_hours: float = 0.0
    on_call_hours: float = 0.0  # worked by on-call crews (not in the utilisation)
    repaired_before_trip: int = 0
    repaired_after_trip: int = 0
    trips: int = 0
    false_alarm_visits: int = 0
    inspections: int = 0
    episodes: int = 0
    done_log: list = field(default_factory=list)


def hash_index(seed: int, turbine_id: str, moment: datetime) -> int:
    from workloads.schedule.replay import stable_index

    return stable_index(seed, turbine_id, moment.isoformat(), size=len(table.FAULT_COSTS))
