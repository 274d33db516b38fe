"""Random dispatch instances with a fixed seed (benchmarks and tests).

Turbines are scattered around the example wind-farm sites, crews are based at the
sites, tasks get a level mix, an opening time in the last few hours and a duration.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from workloads.dispatch.model import SKILL_BY_FAULT, SKILLS, Crew, Instance, Task
from workloads.dispatch.sites import SITES

GENERATED_NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
_FAULTS_BY_LEVEL = {
    "CRITICAL": ("GEARBOX_OVERHEAT", "GENERATOR_OVERHEAT", "TOWER_LEAN"),
    "WARNING": ("HIGH_VIBRATION", "LOW_OIL_PRESSURE"),
    "INFO": ("LOW_POWER_OUTPUT", "INSPECTION"),
}


def generate_instance(
    tasks: int,
    crews: int,
    *,
    seed: int = 0,
    sites: int | None = None,
    spread_km: float = 20.0,
    now: datetime = GENERATED_NOW,
    durations: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 3.0),
    opened_within_hours: float = 6.0,
) -> Instance:
    """An instance of `tasks` tasks and `crews` crews, the same for the same arguments."""
    rng = np.random.default_rng(seed)
    chosen = SITES[: sites or len(SITES)]
    crew_list = []
    for k in range(crews):
        site = chosen[k % len(chosen)]
        # Every crew has one main skill; two crews in three have a second one.
        main = SKILLS[k % len(SKILLS)]
        skills = {main}
        if rng.random() < 2 / 3:
            skills.add(SKILLS[(k + 1 + int(rng.integers(2))) % len(SKILLS)])
        crew_list.append(
            Crew(
                crew_id=f"CREW_{k + 1:02d}",
                latitude=site.latitude + float(rng.normal(0, 0.02)),
                longitude=site.longitude + float(rng.normal(0, 0.02)),
                skills=frozenset(skills),
                shift_hours=float(rng.choice([8.0, 10.0, 12.0])),
                speed_kmh=float(rng.choice([50.0, 60.0, 70.0])),
            )
        )
    task_list = []
    levels = rng.choice(["CRITICAL", "WARNING", "INFO"], size=tasks, p=[0.2, 0.5, 0.3])
    for i in range(tasks):
        site = chosen[int(rng.integers(len(chosen)))]
        level = str(levels[i])
        fault = str(rng.choice(_FAULTS_BY_LEVEL[level]))
        lat_km, lon_km = rng.normal(0, spread_km / 2, size=2)
        latitude = site.latitude + float(lat_km) / 111.2
        longitude = site.longitude + float(lon_km) / (111.2 * np.cos(np.radians(site.latitude)))
        task_list.append(
            Task(
                task_id=f"T{i + 1:04d}",
                turbine_id=f"TURBINE_{i + 1:05d}",
                latitude=round(latitude, 5),
                longitude=round(longitude, 5),
                fault_code=fault,
                alert_level=level,
                skill=SKILL_BY_FAULT[fault],
                duration_hours=float(rng.choice(durations)),
                opened_at=now
                - timedelta(minutes=int(rng.integers(0, int(opened_within_hours * 60)))),
            )
        )
    return Instance(now=now, crews=tuple(crew_list), tasks=tuple(task_list))
