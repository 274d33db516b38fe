"""Random dispatch instances with a fixed seed (benchmarks and tests).

Turbines are scattered around the example wind-farm sites, crews are based at the
sites, tasks get a level mix, an opening time in the last few hours and a duration.
`fleet_day` is the same at the scale of a whole fleet: the open tasks of one day stand
at distinct turbines of the generator's fleet (its sites and grid positions), and the
crews are based at turbines spread over their site's layout.
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
    fleet: int | None = None,
) -> Instance:
    """An instance of `tasks` tasks and `crews` crews, the same for the same arguments.

    With `fleet`, positions are those of the generator's turbines 1..fleet instead of
    scatter around the sites (drawn from a second generator, so the other draws, and
    every instance without `fleet`, stay as they were).
    """
    rng = np.random.default_rng(seed)
    placed = _fleet_positions(fleet, tasks, crews, len(SITES), seed) if fleet else None
    chosen = SITES[: sites or len(SITES)]
    crew_list = []
    for k in range(crews):
        site = chosen[k % len(chosen)]
        # Every crew has one main skill; two crews in three have a second one.
        main = SKILLS[k % len(SKILLS)]
        skills = {main}
        if rng.random() < 2 / 3:
            skills.add(SKILLS[(k + 1 + int(rng.integers(2))) % len(SKILLS)])
        latitude = site.latitude + float(rng.normal(0, 0.02))
        longitude = site.longitude + float(rng.normal(0, 0.02))
        if placed is not None:
            latitude, longitude = placed["crews"][k]
        crew_list.append(
            Crew(
                crew_id=f"CREW_{k + 1:02d}",
                latitude=latitude,
                longitude=longitude,
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
        turbine = f"TURBINE_{i + 1:05d}"
        if placed is not None:
            turbine, latitude, longitude = placed["tasks"][i]
        task_list.append(
            Task(
                task_id=f"T{i + 1:04d}",
                turbine_id=turbine,
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


def _fleet_positions(fleet: int, tasks: int, crews: int, sites: int, seed: int) -> dict:
    """Task turbines (distinct, of 1..fleet) and crew bases (a turbine of the crew's site)."""
    from workloads import contract
    from workloads.generator import physics

    if tasks > fleet:
        raise ValueError(f"{tasks} open tasks need at least as many turbines, not {fleet}")
    rng = np.random.default_rng([seed, fleet])
    numbers = rng.choice(np.arange(1, fleet + 1), size=tasks, replace=False)
    latitude, longitude = physics.turbine_position(numbers)
    placed_tasks = [
        (contract.turbine_id(int(n)), float(lat), float(lon))
        for n, lat, lon in zip(numbers, latitude, longitude, strict=True)
    ]
    # Crew k works at site k % sites (as without a fleet): a random turbine of that site.
    per_site = -(-fleet // sites)
    slots = rng.integers(0, per_site, size=crews)
    bases = np.array([1 + (k % sites) + sites * int(s) for k, s in enumerate(slots)])
    bases = np.where(bases > fleet, 1 + np.arange(crews) % sites, bases)
    base_lat, base_lon = physics.turbine_position(bases)
    return {
        "tasks": placed_tasks,
        "crews": [(float(a), float(b)) for a, b in zip(base_lat, base_lon, strict=True)],
    }


def fleet_day(turbines: int, crews: int, *, seed: int = 0, open_share: float = 0.1) -> Instance:
    """One day of a `turbines` fleet: `open_share` of its turbines have an open task."""
    return generate_instance(max(1, round(turbines * open_share)), crews, seed=seed, fleet=turbines)
